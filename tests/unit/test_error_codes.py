"""The API's error codes: every error answer keeps Chalice's ``Code`` and ``Message`` and adds a stable ``code``
(with the ``field`` and the records it names), for the core's errors, the guard's and Chalice's own; the codes
the core names are all in one catalogue, which README's table, the OpenAPI schema and the portal's messages in
both languages follow; and quarantine reasons have codes of their own, each documented and translated."""

from __future__ import annotations

import ast
import datetime as dt
import importlib
import json
import pkgutil
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pydantic
import pytest
from chalice.app import Chalice
from chalice.test import Client

import consortium
from consortium import errors
from consortium.adapters.memory import ManualClock
from consortium.adapters.memory.api_keys import InMemoryApiKeyStore
from consortium.auth import ApiKeys, Authenticator, LocalTokenIssuer
from consortium.harvest.refusals import REFUSALS, Refusal
from consortium.http import ANYONE, READER, RequestBody, RouteTable, Text
from consortium.http.problems import API_ERRORS, ErrorBody
from consortium.profiles.consent import ConsentError

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parents[2]
NEVER_ANSWERED = {"internal_error", "upstream_error", "storage_error"}
"""Codes of the errors that become a 500 (whose answer says ``internal_error``): never an answer's own."""

FAILURES: dict[str, tuple[Exception, int, str]] = {
    "version": (
        errors.VersionConflictError("list l1 is at version 3, not 2: it was changed since you read it", version=3),
        409,
        "version_conflict",
    ),
    "consent": (
        ConsentError("consent for purpose 'push' has not been granted", purpose="push", reader_id="reader-7"),
        403,
        "consent_required",
    ),
    "missing": (errors.NotFoundError("no work 'w1'", cluster_id="w1"), 404, "not_found"),
    "field": (errors.ValidationError("field 'limit': must be from 1 to 200", field="limit"), 400, "invalid_field"),
    "named": (errors.ValidationError("field 'lender': not a member"), 400, "invalid_field"),
    "whole": (errors.ValidationError("the upload has no events"), 400, "invalid_request"),
    "exists": (errors.AlreadyExistsError("the reader exists already", reader_id="reader-7"), 409, "already_exists"),
    "state": (errors.InvalidStateError("list l1 is published: withdraw it first", list_id="l1"), 409, "invalid_state"),
    "busy": (errors.InProgressError("a harvest of member 'm' is running", run_id="r1"), 409, "in_progress"),
    "lender": (errors.ConflictError("no member may lend 'w1' now", error_code="no_lender"), 409, "no_lender"),
    "conflict": (errors.ConflictError("reader 'r1' exists"), 409, "conflict"),
    # a code the catalogue does not document (a quarantine reason): the answer's status says the code
    "record": (errors.RecordError("245$a: no title", error_code=Refusal.NO_TITLE, field="245$a"), 400, "invalid_field"),
    # a code documented with another status than the error's: the status says the code
    "odd": (errors.NotFoundError("gone", error_code="version_conflict"), 404, "not_found"),
    "bug": (RuntimeError("a bug with reader-7's data"), 500, "internal_error"),
}


class Note(RequestBody):
    text: Text
    pinned: bool = False


class Hub:
    """An app with a route of each kind behind the route table's guard."""

    def __init__(self, key_dir: Path) -> None:
        self.issuer = LocalTokenIssuer(key_dir / "signing.pem", clock=ManualClock(dt.datetime.now(dt.UTC)))
        self.keys = ApiKeys(InMemoryApiKeyStore())
        self.app = Chalice(app_name="codes")
        routes = RouteTable(
            self.app, lambda: Authenticator(self.issuer.verifier(), self.keys), lambda _: "riverside", "tests"
        )

        @routes.route("GET", "/fail/{kind}", ANYONE)
        def fail(kind: str) -> dict[str, Any]:
            """Fail."""
            raise FAILURES[kind][0]

        @routes.route("PUT", "/notes/{reader_id}", READER, body=Note, max_body=1_000)
        def note(reader_id: str, body: Note) -> dict[str, Any]:
            """A note of the reader's."""
            return body.model_dump()

        @self.app.route("/forgotten")
        def forgotten() -> dict[str, Any]:
            return {"open": True}

    def reader(self, reader_id: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.issuer.issue(reader_id, member='riverside')}"}

    def call(
        self, method: str, path: str, body: str | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        sent = {"Content-Type": "application/json", **(headers or {})} if body is not None else dict(headers or {})
        with Client(self.app) as client:
            answer = getattr(client.http, method)(path, headers=sent, **({"body": body} if body is not None else {}))
        found: dict[str, Any] = json.loads(answer.body)
        assert answer.status_code == API_ERRORS[found["code"]].status, found  # the catalogue's status, always
        ErrorBody.model_validate(found)
        return answer.status_code, found, dict(answer.headers)


@pytest.fixture
def hub(tmp_path: Path) -> Hub:
    return Hub(tmp_path)


@pytest.mark.parametrize("kind", list(FAILURES))
def test_each_core_error_answers_its_code_beside_the_chalice_code_and_message(hub: Hub, kind: str) -> None:
    exc, status, code = FAILURES[kind]
    got, body, _ = hub.call("get", f"/fail/{kind}")
    assert (got, body["code"]) == (status, code)
    assert body["Code"] and body["Message"]
    if status != 500:
        assert body["Message"] == str(exc)
    assert "reader-7" not in json.dumps(body)  # a reader's id is never repeated, whatever the error kept


def test_the_field_and_the_records_named_come_with_the_code(hub: Hub) -> None:
    assert hub.call("get", "/fail/version")[1] == {
        "Code": "ConflictError",
        "Message": "list l1 is at version 3, not 2: it was changed since you read it",
        "code": "version_conflict",
        "details": {"version": 3},
    }
    assert hub.call("get", "/fail/consent")[1]["details"] == {"purpose": "push"}
    assert hub.call("get", "/fail/missing")[1]["details"] == {"cluster_id": "w1"}
    assert hub.call("get", "/fail/state")[1]["details"] == {"list_id": "l1"}
    assert hub.call("get", "/fail/field")[1]["field"] == "limit"
    assert hub.call("get", "/fail/named")[1]["field"] == "lender"  # read from the message's "field '...'"
    assert "field" not in hub.call("get", "/fail/whole")[1]
    assert hub.call("get", "/fail/record")[1]["field"] == "245$a"


def test_a_body_that_does_not_validate_names_each_field_with_its_reason(hub: Hub) -> None:
    r1 = hub.reader("r1")
    status, body, _ = hub.call("put", "/notes/r1", json.dumps({"text": "  ", "pinned": "maybe", "colour": "x"}), r1)
    assert (status, body["Code"], body["code"], body["field"]) == (400, "BadRequestError", "invalid_field", "text")
    assert {(e["field"], e["reason"]) for e in body["errors"]} == {
        ("text", "string_too_short"),
        ("pinned", "bool_parsing"),
        ("colour", "extra_forbidden"),
    }
    assert all(e["message"] for e in body["errors"])
    status, body, _ = hub.call("put", "/notes/r1", "{not json", r1)
    assert (status, body["code"]) == (400, "invalid_json")
    status, body, _ = hub.call("put", "/notes/r1", '{"text": "a", "text": "b"}', r1)
    assert (status, body["code"], body["field"]) == (400, "invalid_json", "text")


def test_the_guard_answers_with_codes(hub: Hub) -> None:
    note = json.dumps({"text": "x"})
    status, body, headers = hub.call("put", "/notes/r1", note)
    assert (status, body["code"]) == (401, "login_required") and headers["WWW-Authenticate"].startswith("Bearer")
    key = {"X-Api-Key": hub.keys.create("riverside", "tests").secret}
    assert hub.call("put", "/notes/r1", note, key)[1]["code"] == "wrong_credential"
    assert hub.call("put", "/notes/r1", note, {"Authorization": "Bearer nope"})[1]["code"] == "invalid_credentials"
    assert hub.call("put", "/notes/r2", note, hub.reader("r1"))[1]["code"] == "forbidden"
    status, body, _ = hub.call("put", "/notes/r1", json.dumps({"text": "x" * 2_000}), hub.reader("r1"))
    assert (status, body["code"], body["Code"]) == (413, "too_large", "RequestEntityTooLarge")
    assert hub.call("get", "/forgotten")[1]["code"] == "route_closed"


def test_chalices_own_errors_get_their_code_too(hub: Hub) -> None:
    status, body, headers = hub.call("delete", "/fail/missing")
    assert (status, body["Code"], body["code"]) == (405, "MethodNotAllowedError", "method_not_allowed")
    assert headers["Allow"] == "GET"
    status, body, _ = hub.call("put", "/notes/r1", "text=x", {"Content-Type": "text/plain", **hub.reader("r1")})
    assert (status, body["code"]) == (415, "unsupported_media_type")
    status, body, _ = hub.call("get", "/fail/bug")
    assert (status, body["Code"], body["code"]) == (500, "InternalServerError", "internal_error")


# -- the catalogue


def _modules() -> Iterator[str]:
    for found in pkgutil.walk_packages(consortium.__path__, "consortium."):
        if not found.name.endswith("__main__"):
            yield found.name


def _error_classes() -> set[type[errors.ConsortiumError]]:
    for name in _modules():
        importlib.import_module(name)
    seen: set[type[errors.ConsortiumError]] = set()
    todo: list[type[errors.ConsortiumError]] = [errors.ConsortiumError]
    while todo:
        cls = todo.pop()
        if cls not in seen:
            seen.add(cls)
            todo.extend(cls.__subclasses__())
    return seen


def _named_codes() -> dict[str, str]:
    """Every code a raise or a class of the package names (``error_code="..."``, ``error_code=Refusal.X``), with
    where."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "consortium").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            value = None
            if isinstance(node, ast.keyword) and node.arg == "error_code":
                value = node.value
            elif isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "error_code" for t in node.targets):
                value = node.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                found[value.value] = f"{path.relative_to(ROOT)}:{node.lineno}"
            elif isinstance(value, ast.Attribute) and getattr(value.value, "id", None) == "Refusal":
                found[Refusal[value.attr].value] = f"{path.relative_to(ROOT)}:{node.lineno}"
    return found


def test_every_code_the_core_names_is_documented() -> None:
    documented = set(API_ERRORS) | {r.value for r in Refusal} | NEVER_ANSWERED
    classes = {cls.__qualname__: cls.error_code for cls in _error_classes()}
    assert {name: code for name, code in classes.items() if code not in documented} == {}
    named = _named_codes()
    assert len(named) > 20
    assert {code: where for code, where in named.items() if code not in documented} == {}
    assert {r.value for r in Refusal} <= set(named), "each quarantine code is given somewhere"
    assert set(REFUSALS) == set(Refusal)


def test_the_openapi_error_schema_lists_the_codes() -> None:
    document = json.loads((ROOT / "functions" / "discovery" / "openapi.json").read_text("utf-8"))
    schema = document["components"]["schemas"]["ErrorBody"]
    assert schema["properties"]["code"]["enum"] == sorted(API_ERRORS)
    assert set(schema["required"]) == {"Code", "Message", "code"}


def _readme_table(heading: str) -> dict[str, list[str]]:
    text = (ROOT / "README.md").read_text("utf-8")
    section = text.split(heading, 1)[1]
    rows = re.findall(r"^\| `(\w+)` \|(.*)\|$", section.split("\n\n|", 1)[1].split("\n\n", 1)[0], re.M)
    return {code: [cell.strip() for cell in rest.split("|")] for code, rest in rows}


def test_readme_documents_every_api_code_with_its_status() -> None:
    table = _readme_table("### Error codes")
    assert list(table) == list(API_ERRORS)
    assert {code: int(cells[0]) for code, cells in table.items()} == {c: e.status for c, e in API_ERRORS.items()}


def test_readme_documents_every_quarantine_code() -> None:
    assert list(_readme_table("### Quarantine reason codes")) == [r.value for r in Refusal]


def _bundle(name: str) -> dict[str, str]:
    found: dict[str, str] = json.loads((ROOT / "portal" / "assets" / "i18n" / f"{name}.json").read_text("utf-8"))
    return found


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_portal_says_every_code_in_both_languages(lang: str) -> None:
    shared, staff = _bundle(lang), _bundle(f"staff.{lang}")
    assert sorted(f"error.code.{code}" for code in API_ERRORS if f"error.code.{code}" not in shared) == []
    missing = [r.value for r in Refusal if f"staff.harvests.reason.{r.value}" not in staff]
    assert missing == []
    if lang == "zh":
        han = re.compile(r"[\u3400-\u9fff]")
        keys = [f"error.code.{c}" for c in API_ERRORS]
        assert [k for k in keys if not han.search(shared[k])] == []
        assert [r for r in Refusal if not han.search(staff[f"staff.harvests.reason.{r.value}"])] == []


def test_a_pydantic_error_is_not_a_core_error_but_has_a_code() -> None:
    """The table that maps errors to statuses covers pydantic's, which carries no ``error_code``."""
    with pytest.raises(pydantic.ValidationError) as caught:
        Note.model_validate({})
    from consortium.http.errors import error_for

    answer = error_for(caught.value)
    assert answer.status_code == 400 and json.loads(answer.body)["code"] == "invalid_field"
