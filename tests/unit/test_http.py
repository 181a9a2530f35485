"""What the Chalice apps share (consortium.http): the route table's guard (deny by default, credentials, scoping),
the error table, body and query parsing, the actor, the lazy container."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any, Literal

import pytest
from chalice.app import Chalice
from chalice.test import Client
from pydantic import Field

from consortium import errors
from consortium.adapters.memory import ManualClock
from consortium.adapters.memory.api_keys import InMemoryApiKeyStore
from consortium.auth import ApiKeys, Authenticator, LocalTokenIssuer, StaffRole
from consortium.http import (
    ANYONE,
    LIBRARY,
    READER,
    READER_OR_LIBRARY,
    TOKEN_URL,
    LambdaContainer,
    RequestBody,
    RouteTable,
    Text,
    caller_actor,
)
from consortium.profiles.consent import ConsentError
from consortium.profiles.models import ActorRole

if TYPE_CHECKING:
    from pathlib import Path

FAILURES: dict[str, Exception] = {
    "consent": ConsentError("consent for purpose 'push' has not been granted", purpose="push"),
    "missing": errors.NotFoundError("no reader 'r9'"),
    "conflict": errors.ConflictError("reader 'r1' exists"),
    "invalid": errors.ValidationError("bad scheme 'nope'"),
    "bug": RuntimeError("a bug"),
}

FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
HOMES = {"r1": "riverside", "r2": "riverside", "l1": "lakeside"}


class Note(RequestBody):
    text: Text
    pinned: bool = False


class OneClick(RequestBody):
    value: Literal["One-Click"] = Field(alias="List-Unsubscribe")


class Lookup(RequestBody):
    text: Text
    tags: list[str] = Field(default_factory=list)


class Hub:
    """An app with one route of each kind, its key store and its token issuer."""

    def __init__(self, key_dir: Path) -> None:
        self.clock = ManualClock(dt.datetime.now(dt.UTC))
        self.issuer = LocalTokenIssuer(key_dir / "signing.pem", clock=self.clock)
        self.keys = ApiKeys(InMemoryApiKeyStore())
        self.app = self._make_app()

    def _make_app(self) -> Chalice:
        app = Chalice(app_name="http-test")

        def member_of(reader_id: str) -> str:
            if reader_id not in HOMES:
                raise errors.NotFoundError(f"no reader {reader_id!r}")
            return HOMES[reader_id]

        routes = RouteTable(app, lambda: Authenticator(self.issuer.verifier(), self.keys), member_of, "tests")

        @routes.route("GET", "/fail/{kind}", ANYONE)
        def fail(kind: str) -> dict[str, Any]:
            """Fail."""
            raise FAILURES[kind]

        @routes.route("PUT", "/notes/{reader_id}", READER_OR_LIBRARY, body=Note, max_body=1_000)
        def note(reader_id: str, body: Note) -> dict[str, Any]:
            """A note by the reader, or pinned by their library."""
            actor = caller_actor(reader_id, ActorRole.MEMBER_STAFF if body.pinned else ActorRole.READER)
            return {"note": body.model_dump(), "actor": actor.model_dump(mode="json")}

        @routes.route("DELETE", "/notes/{reader_id}", READER, query=Lookup)
        def forget(reader_id: str, query: Lookup) -> dict[str, Any]:
            """Forget a note."""
            return {"query": query.model_dump()}

        @routes.route("GET", "/members/{member_id}/secrets", LIBRARY)
        def secrets(member_id: str) -> dict[str, Any]:
            """The member's own."""
            return {"member": member_id}

        @routes.route("POST", "/unsubscribe", TOKEN_URL, body=OneClick, content_types=(FORM, MULTIPART))
        def unsubscribe(body: OneClick) -> dict[str, bool]:
            """One click."""
            return {"one_click": body.value == "One-Click"}

        @app.route("/forgotten")
        def forgotten() -> dict[str, Any]:
            return {"open": True}

        return app

    def reader(self, reader_id: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.issuer.issue(reader_id, member=HOMES.get(reader_id))}"}

    def staff(self, member: str, *roles: StaffRole) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.issuer.issue('desk-1', member=member, roles=roles)}"}

    def key(self, member: str) -> dict[str, str]:
        return {"X-Api-Key": self.keys.create(member, "tests").secret}

    def call(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any, dict[str, str]]:
        kwargs: dict[str, Any] = {"headers": dict(headers or {})}
        if body is not None:
            kwargs["headers"]["Content-Type"] = "application/json"
            kwargs["body"] = body if isinstance(body, str) else json.dumps(body)
        with Client(self.app) as client:
            response = getattr(client.http, method)(path, **kwargs)
        return response.status_code, json.loads(response.body or "null"), dict(response.headers)


@pytest.fixture
def hub(tmp_path: Path) -> Hub:
    return Hub(tmp_path)


@pytest.mark.parametrize(
    ("kind", "status"), [("consent", 403), ("missing", 404), ("conflict", 409), ("invalid", 400), ("bug", 500)]
)
def test_each_core_error_has_one_status_and_keeps_its_message(hub: Hub, kind: str, status: int) -> None:
    got, body, _ = hub.call("get", f"/fail/{kind}")
    assert got == status
    if status != 500:
        assert body["Message"] == str(FAILURES[kind])
    else:
        assert "a bug" not in body["Message"]


def test_a_bad_body_is_one_400_naming_every_field(hub: Hub) -> None:
    status, body, _ = hub.call("put", "/notes/r1", {"text": "  ", "pinned": "maybe", "colour": "red"}, hub.reader("r1"))
    assert status == 400
    message = body["Message"]
    assert "field 'text'" in message and "field 'pinned'" in message and "field 'colour'" in message
    assert message.count("; ") == 2
    status, body, _ = hub.call("put", "/notes/r1", "{not json", hub.reader("r1"))
    assert status == 400 and "not JSON" in body["Message"]


def test_a_query_is_parsed_into_its_model_and_a_body_is_refused_where_none_is_taken(hub: Hub) -> None:
    r1 = hub.reader("r1")
    assert hub.call("delete", "/notes/r1?text=+novels+&tags=a&tags=b", headers=r1)[1]["query"] == {
        "text": "novels",
        "tags": ["a", "b"],
    }
    status, body, _ = hub.call("delete", "/notes/r1?text=a&text=b", headers=r1)
    assert status == 400 and "field 'text'" in body["Message"]
    status, body, _ = hub.call("delete", "/notes/r1?text=a", {"text": "x"}, r1)
    assert status == 400 and "takes no body" in body["Message"]


def test_a_body_over_the_routes_limit_is_413(hub: Hub) -> None:
    status, body, _ = hub.call("put", "/notes/r1", {"text": "x" * 2_000}, hub.reader("r1"))
    assert status == 413 and "1000 bytes" in body["Message"]


def test_a_route_added_outside_the_table_is_closed(hub: Hub) -> None:
    status, body, _ = hub.call("get", "/forgotten")
    assert status == 403 and "declares no access" in body["Message"]


def test_readers_reach_their_own_data_only(hub: Hub) -> None:
    status, body, headers = hub.call("put", "/notes/r1", {"text": "x"})
    assert status == 401 and headers["WWW-Authenticate"].startswith("Bearer")
    assert hub.call("put", "/notes/r1", {"text": "x"}, hub.reader("r1"))[1]["actor"] == {
        "actor_id": "r1",
        "role": "reader",
    }
    status, body, _ = hub.call("put", "/notes/r2", {"text": "x"}, hub.reader("r1"))
    assert status == 403 and body["Message"] == "a reader may only reach their own data"
    for reader_id in ("r1", "r2"):  # a reader's token never acts as library staff, on their data or another's
        status, body, _ = hub.call("put", f"/notes/{reader_id}", {"text": "x", "pinned": True}, hub.reader("r1"))
        assert status == 403, reader_id


def test_a_library_reaches_its_own_readers_and_acts_as_itself(hub: Hub) -> None:
    key = hub.key("riverside")
    key_id = key["X-Api-Key"].split("_")[1]
    status, body, _ = hub.call("put", "/notes/r2", {"text": "x", "pinned": True}, key)
    assert (status, body["actor"]) == (200, {"actor_id": f"riverside/key:{key_id}", "role": "member_staff"})
    staff = hub.staff("riverside", StaffRole.MEMBER_ADMIN)
    assert hub.call("put", "/notes/r2", {"text": "x", "pinned": True}, staff)[1]["actor"]["actor_id"] == (
        "riverside/desk-1"
    )
    # a library does not act as the reader, and learns nothing of other members' readers (404, as for none)
    assert hub.call("put", "/notes/r2", {"text": "x"}, key)[0] == 403
    for reader_id in ("l1", "nobody"):
        status, body, _ = hub.call("put", f"/notes/{reader_id}", {"text": "x", "pinned": True}, key)
        assert (status, body["Message"]) == (404, f"no reader {reader_id!r} of riverside")
    # a subject librarian is staff without the administrator role: no reader data
    librarian = hub.staff("riverside", StaffRole.SUBJECT_LIBRARIAN)
    assert hub.call("put", "/notes/r2", {"text": "x", "pinned": True}, librarian)[0] == 403


def test_a_member_reaches_its_own_member_routes_only(hub: Hub) -> None:
    assert hub.call("get", "/members/riverside/secrets", headers=hub.key("riverside"))[:2] == (
        200,
        {"member": "riverside"},
    )
    status, body, _ = hub.call("get", "/members/riverside/secrets", headers=hub.key("lakeside"))
    assert status == 403 and "lakeside" in body["Message"]
    assert hub.call("get", "/members/riverside/secrets", headers=hub.reader("r1"))[0] == 403
    assert hub.call("get", "/members/riverside/secrets")[0] == 401


def test_bad_credentials_are_401_on_every_route(hub: Hub, tmp_path: Path) -> None:
    key = hub.key("riverside")
    expired = {"Authorization": f"Bearer {hub.issuer.issue('r1', lifetime=dt.timedelta(minutes=-5))}"}
    forger = LocalTokenIssuer(tmp_path / "other.pem")
    forged = {"Authorization": f"Bearer {forger.issue('r1')}"}
    unknown_key = {"X-Api-Key": "ck_0123456789abcdef_" + "A" * 43}
    both = {**hub.reader("r1"), **key}
    cases = {
        "expired": (expired, "expired"),
        "forged": (forged, "not know"),
        "garbage": ({"Authorization": "Bearer abc.def.ghi"}, "not valid"),
        "basic": ({"Authorization": "Basic cjE6cHc="}, "Bearer"),
        "unknown key": (unknown_key, "not valid"),
        "malformed key": ({"X-Api-Key": "let-me-in"}, "malformed"),
        "both": (both, "not both"),
    }
    for name, (headers, said) in cases.items():
        for method, path in (("get", "/fail/missing"), ("put", "/notes/r1")):
            status, body, _ = hub.call(method, path, {"text": "x"} if method == "put" else None, headers)
            assert status == 401 and said in body["Message"], (name, path, body)
    hub.keys.revoke("riverside", key["X-Api-Key"].split("_")[1])
    status, body, _ = hub.call("put", "/notes/r1", {"text": "x", "pinned": True}, key)
    assert status == 401 and "revoked" in body["Message"]


def test_the_container_is_built_once_until_reset() -> None:
    built: list[object] = []

    def build() -> Any:
        built.append(object())
        return built[-1]

    container = LambdaContainer(build)
    assert built == []  # nothing at import time
    assert container() is container() is built[0]
    container.reset()
    assert container() is built[1] and len(built) == 2


def test_a_form_body_url_encoded_or_multipart_is_parsed_into_its_model(hub: Hub) -> None:
    def posted(body: str, content_type: str) -> int:
        with Client(hub.app) as client:
            response = client.http.post("/unsubscribe", headers={"Content-Type": content_type}, body=body)
        status: int = response.status_code
        return status

    part = '--b\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n--b--\r\n'
    multipart = f"{MULTIPART}; boundary=b"
    assert posted("List-Unsubscribe=One-Click", FORM) == 200
    assert posted("List-Unsubscribe=Yes", FORM) == 400
    assert posted("", FORM) == 400
    assert posted(part.format(name="List-Unsubscribe", value="One-Click"), multipart) == 200
    assert posted(part.format(name="Other", value="x"), multipart) == 400
