"""The API's error codes on the real apps, over HTTP on the local server: each refusal a reader, a librarian or a
member's system meets (an unknown path, no or a forged token, another reader's data, a bad interest key or
weight, a push subscription without its consent, a reader created twice, a list edited over a colleague's change
and deleted once published, a query that does not parse, a body that is not JSON) answers its stable ``code`` with
the status README's table gives it, the field and records it names, and Chalice's ``Code`` and ``Message`` as
before; the member API's quarantine gives each record its reason code."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
import requests
from marc_builders import book

from consortium.auth import StaffRole
from consortium.bootstrap import bootstrap
from consortium.cli.api import start_server
from consortium.cli.common import writing
from consortium.cli.harvest import harvest_all
from consortium.http.problems import API_ERRORS, ErrorBody
from consortium.profiles.consent import Purpose
from consortium.profiles.models import Actor, ActorRole

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from consortium.bootstrap import Container

REGISTRY = """
[[members]]
id = "riverside"
name = "Riverside University Library"

[[members.sources]]
id = "catalogue"
protocol = "marc-file"
path = "books.mrc"
format = "marc21"
"""


class Hub:
    def __init__(self, container: Container, base: str) -> None:
        self.container = container
        self.base = base
        self.key = {"X-Api-Key": container.api_keys.create("riverside", "ILS").secret}

    def reader(self, reader_id: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.container.token_issuer.issue(reader_id, member='riverside')}"}

    def staff(self, account: str) -> dict[str, str]:
        token = self.container.token_issuer.issue(account, member="riverside", roles=(StaffRole.SUBJECT_LIBRARIAN,))
        return {"Authorization": f"Bearer {token}"}

    def call(self, method: str, path: str, headers: dict[str, str] | None = None, **kwargs: Any) -> requests.Response:
        return requests.request(method, f"{self.base}{path}", headers=headers or {}, timeout=30, **kwargs)

    def refused(
        self, method: str, path: str, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> tuple[int, dict[str, Any]]:
        """An error answer: its status, and its body, which must be an ``ErrorBody`` whose code the catalogue
        gives this status."""
        answer = self.call(method, path, headers, **kwargs)
        body: dict[str, Any] = answer.json()
        ErrorBody.model_validate(body)
        assert API_ERRORS[body["code"]].status == answer.status_code, body
        return answer.status_code, body


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Hub]:
    (tmp_path / "members.toml").write_text(REGISTRY, encoding="utf-8")
    records = [book("x1", "Fine book"), book("x2", "Bad book", isbn="0201896835")]  # a wrong check digit
    (tmp_path / "books.mrc").write_bytes(b"".join(r.as_marc() for r in records))
    monkeypatch.setenv("CONSORTIUM_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CONSORTIUM_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("CONSORTIUM_MEMBERS_FILE", str(tmp_path / "members.toml"))
    container = bootstrap()
    with writing(container):
        _, failed = harvest_all(container)
    assert not failed
    staff = Actor(actor_id="riverside/desk", role=ActorRole.MEMBER_STAFF)
    container.profiles.create_reader("alice", "riverside", [Purpose.PERSONALIZATION], actor=staff)
    server, thread = start_server(container, "127.0.0.1", 0)
    yield Hub(container, f"http://127.0.0.1:{server.effective_port}")
    server.close()
    thread.join(timeout=10)
    container.close()


def test_the_server_the_guard_and_the_readers_routes_answer_their_codes(hub: Hub) -> None:
    assert hub.refused("get", "/nowhere")[1]["code"] == "no_route"
    status, body = hub.refused("delete", "/search")
    assert (status, body["code"], body["Code"]) == (405, "method_not_allowed", "MethodNotAllowedError")
    assert hub.refused("get", "/readers/alice/profile")[1]["code"] == "login_required"
    forged = {"Authorization": "Bearer eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhbGljZSJ9.AAAA"}
    assert hub.refused("get", "/readers/alice/profile", forged)[1]["code"] == "invalid_credentials"
    assert hub.refused("get", "/readers/bob/profile", hub.reader("alice"))[1]["code"] == "forbidden"

    alice = hub.reader("alice")
    status, body = hub.refused("put", "/readers/alice/interests", alice, json={"key": "class:clc:ZZZ999"})
    assert (status, body["code"], body["field"]) == (400, "invalid_field", "key")
    assert body["Code"] == "BadRequestError" and body["Message"].startswith("field 'key': ")
    status, body = hub.refused("put", "/readers/alice/interests", alice, json={"key": "class:clc:TP312", "weight": 0})
    assert body == {  # README's example, as the API gives it
        "Code": "BadRequestError",
        "Message": "field 'weight': Input should be greater than 0",
        "code": "invalid_field",
        "field": "weight",
        "errors": [{"field": "weight", "reason": "greater_than", "message": "Input should be greater than 0"}],
    }
    status, body = hub.refused("put", "/readers/alice/interests", alice, data=b"{not json")
    assert (status, body["code"]) == (400, "invalid_json")

    status, body = hub.refused("put", "/readers/alice/subscriptions/new_in_class", alice, json={"channel": "inbox"})
    assert (status, body["code"], body["details"]) == (403, "consent_required", {"purpose": "push"})
    assert "alice" not in body["Message"] and "reader_id" not in body["details"]

    again = {"reader_id": "alice", "member": "riverside", "consents": []}
    assert hub.refused("post", "/readers", hub.key, json=again)[1]["code"] == "already_exists"
    status, body = hub.refused("get", "/search", params={"q": "year:abc"})
    assert (status, body["code"], body["field"]) == (400, "invalid_query", "year")
    assert hub.refused("get", "/works/w-nothing")[1]["code"] == "not_found"


def test_a_list_edited_over_a_colleagues_change_and_deleted_once_published(hub: Hub) -> None:
    li, other = hub.staff("li"), hub.staff("li-2")
    made = hub.call("post", "/members/riverside/lists", li, json={"title": "Knuth"}).json()
    path = f"/members/riverside/lists/{made['list_id']}"
    status, body = hub.refused("patch", path, li, json={"class_code": "TP3"})
    assert (status, body["code"], body["field"], body["errors"][0]["reason"]) == (
        400,
        "invalid_field",
        "class_code",
        "class_with_scheme",
    )
    assert hub.call("patch", path, other, params={"version": made["version"]}, json={"subject": "Art"}).ok
    status, body = hub.refused("patch", path, li, params={"version": made["version"]}, json={"subject": "Music"})
    assert (status, body["Code"], body["code"]) == (409, "ConflictError", "version_conflict")
    assert body["details"] == {"version": made["version"] + 1}  # the stored one, to read again

    hit = hub.call("get", "/search", params={"q": "title:fine"}).json()["hits"][0]["cluster_id"]
    assert hub.call("put", f"{path}/works/{hit}", li, json={"note": None}).ok
    assert hub.call("post", f"{path}/publish", li).ok
    status, body = hub.refused("delete", path, li)
    assert (status, body["code"], body["details"]) == (
        409,
        "invalid_state",
        {"list_id": made["list_id"], "state": "published"},
    )
    status, body = hub.refused("get", "/members/riverside/lists/nothing", li)
    assert (status, body["code"], body["details"]) == (404, "not_found", {"list_id": "nothing"})


def test_the_member_api_gives_each_quarantined_record_its_reason_code(hub: Hub) -> None:
    page = hub.call("get", "/members/riverside/quarantine", hub.key).json()
    [item] = page["items"]
    assert (item["local_id"], item["reason"]) == ("x2", "020$a: ISBN '0201896835': invalid check digit")
    assert (item["reason_code"], item["reason_field"]) == ("invalid_identifier", "020$a")
