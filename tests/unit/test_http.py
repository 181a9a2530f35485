"""What the Chalice apps share (consortium.http): the error table, body parsing, the caller, the lazy container."""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.app import AuthRequest, AuthResponse, Chalice
from chalice.test import Client

from consortium import errors
from consortium.http import (
    LambdaContainer,
    RequestBody,
    Text,
    caller_actor,
    http_errors,
    identity,
    one_click,
    parse_body,
)
from consortium.profiles.consent import ConsentError
from consortium.profiles.models import ActorRole

FAILURES: dict[str, Exception] = {
    "consent": ConsentError("consent for purpose 'push' has not been granted", purpose="push"),
    "missing": errors.NotFoundError("no reader 'r9'"),
    "conflict": errors.ConflictError("reader 'r1' exists"),
    "invalid": errors.ValidationError("bad scheme 'nope'"),
    "bug": RuntimeError("a bug"),
}


FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"


class Note(RequestBody):
    text: Text
    pinned: bool = False


def make_app() -> Chalice:
    app = Chalice(app_name="http-test")

    @app.authorizer()
    def gateway(auth: AuthRequest) -> AuthResponse:
        """API Gateway's part: ``Cognito <sub>`` as a user pool puts it, ``<key>`` as a custom authorizer."""
        scheme, _, sub = auth.token.partition(" ")
        if scheme == "Cognito":
            return AuthResponse(routes=["*"], principal_id="cognito", context={"claims": {"sub": sub}})
        return AuthResponse(routes=["*"], principal_id=auth.token)

    @app.route("/fail/{kind}")
    @http_errors
    def fail(kind: str) -> dict[str, Any]:
        raise FAILURES[kind]

    @app.route("/notes/{reader_id}", methods=["PUT", "DELETE"])
    @app.route("/signed/notes/{reader_id}", methods=["PUT"], authorizer=gateway)
    @http_errors
    def note(reader_id: str) -> dict[str, Any]:
        request = app.current_request
        body = parse_body(app, Note, or_query=request is not None and request.method == "DELETE")
        actor = caller_actor(app, reader_id, ActorRole.MEMBER_STAFF if body.pinned else ActorRole.READER)
        return {"note": body.model_dump(), "actor": actor.model_dump(mode="json")}

    @app.route("/unsubscribe", methods=["POST"], content_types=[FORM, MULTIPART])
    def unsubscribe() -> dict[str, bool]:
        return {"one_click": one_click(app)}

    return app


def call(method: str, path: str, body: Any = None, caller: str | None = None) -> tuple[int, Any]:
    headers = {} if caller is None else {"Authorization": caller}
    kwargs: dict[str, Any] = {"headers": headers}
    if body is not None:
        kwargs = {"headers": {**headers, "Content-Type": "application/json"}, "body": json.dumps(body)}
    with Client(make_app()) as client:
        response = getattr(client.http, method)(path, **kwargs)
    return response.status_code, json.loads(response.body)


@pytest.mark.parametrize(
    ("kind", "status"), [("consent", 403), ("missing", 404), ("conflict", 409), ("invalid", 400), ("bug", 500)]
)
def test_each_core_error_has_one_status_and_keeps_its_message(kind: str, status: int) -> None:
    got, body = call("get", f"/fail/{kind}")
    assert got == status
    if status != 500:
        assert body["Message"] == str(FAILURES[kind])
    else:
        assert "a bug" not in body["Message"]


def test_a_bad_body_is_one_400_naming_every_field() -> None:
    status, body = call("put", "/notes/r1", {"text": "  ", "pinned": "maybe", "colour": "red"})
    assert status == 400
    message = body["Message"]
    assert "field 'text'" in message and "field 'pinned'" in message and "field 'colour'" in message
    assert message.count("; ") == 2


def test_a_delete_takes_its_body_or_its_query_string() -> None:
    assert call("delete", "/notes/r1", {"text": " poems "})[1]["note"] == {"text": "poems", "pinned": False}
    assert call("delete", "/notes/r1?text=novels")[1]["note"]["text"] == "novels"
    assert call("put", "/notes/r1?text=novels")[0] == 400  # only a DELETE falls back to the query string


def test_without_an_authorizer_the_path_names_the_caller() -> None:
    assert call("put", "/notes/r1", {"text": "x"})[1]["actor"] == {"actor_id": "r1", "role": "reader"}
    staff = call("put", "/notes/r1", {"text": "x", "pinned": True})[1]["actor"]
    assert staff == {"actor_id": identity.MEMBER_CALLER, "role": "member_staff"}


def test_an_authorized_reader_acts_only_on_their_own_id() -> None:
    for caller in ("Cognito r1", "r1"):
        got = call("put", "/signed/notes/r1", {"text": "x"}, caller)[1]["actor"]
        assert got == {"actor_id": "r1", "role": "reader"}, caller
        status, body = call("put", "/signed/notes/r2", {"text": "x"}, caller)
        assert status == 403 and body["Message"] == "a reader may only act on their own data"
    # A member's system acts on its readers as itself.
    staff = call("put", "/signed/notes/r2", {"text": "x", "pinned": True}, "member-key-3")[1]["actor"]
    assert staff == {"actor_id": "member-key-3", "role": "member_staff"}


def test_a_readers_token_never_acts_as_library_staff() -> None:
    for reader_id in ("r2", "r1"):  # another reader's data, or their own
        status, body = call("put", f"/signed/notes/{reader_id}", {"text": "x", "pinned": True}, "Cognito r1")
        assert status == 403 and body["Message"] == "a reader may not act as library staff"


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


def test_one_click_unsubscribe_is_the_rfc_8058_body_only() -> None:
    def posted(body: str, content_type: str) -> bool:
        with Client(make_app()) as client:
            response = client.http.post("/unsubscribe", headers={"Content-Type": content_type}, body=body)
        answer: bool = json.loads(response.body)["one_click"]
        return answer

    part = '--b\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n--b--\r\n'
    multipart = f"{MULTIPART}; boundary=b"
    assert posted("List-Unsubscribe=One-Click", FORM) is True
    assert posted("List-Unsubscribe=Yes", FORM) is False
    assert posted("", FORM) is False
    assert posted(part.format(name="List-Unsubscribe", value="One-Click"), multipart) is True
    assert posted(part.format(name="Other", value="x"), multipart) is False
