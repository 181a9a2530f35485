"""schemathesis against the local server, from the OpenAPI document: every operation called with what the
document allows (and with what it does not), as a reader, a library and anonymously — no 5xx, every answer
matches its documented status, content type and schema."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import pytest
import schemathesis
from factories import make_cluster
from function_apps import FUNCTIONS
from hypothesis import HealthCheck, settings
from schemathesis import checks

from consortium.bootstrap import bootstrap
from consortium.cli.api import start_server
from consortium.dedup.state import ClusterChange
from consortium.profiles.consent import Purpose
from consortium.profiles.models import Actor, ActorRole

if TYPE_CHECKING:
    from collections.abc import Iterator

SCHEMA = schemathesis.openapi.from_path(str(FUNCTIONS / "discovery" / "openapi.json"))
GRAMMAR = {
    ("GET", "/search"),  # the query language: year:abc, a query of punctuation alone, page x page_size <= 10,000
    ("GET", "/classes"),  # the parent is a code of the scheme asked for (TP3 is CLC's, not Dewey's)
    ("GET", "/members/{member_id}/quarantine"),  # an opaque cursor the hub gave, or none
    ("GET", "/members/{member_id}/harvests"),  # the same
    ("POST", "/members/{member_id}/sources"),  # a protocol's format and its url or path, as members.toml
    ("PATCH", "/members/{member_id}/sources/{source_id}"),  # the same, on the source once changed
    ("POST", "/readers/{reader_id}/events"),  # the fields each type of event needs (a rating its rating)
    ("POST", "/members/{member_id}/events"),  # JSON Lines: one event a line, at least one
    ("PUT", "/readers/{reader_id}/push/mutes"),  # the key a kind of mute takes (a class mute a class key)
    ("POST", "/members/{member_id}/harvests"),  # confirm_withdrawals confirms the source_id given with it
}
"""Operations whose input has rules a JSON Schema does not state (each named above, and each in the document's
descriptions): a 400 naming the field is their answer to input that breaks them, so the check that every
schema-valid request is accepted is left out for these alone; every other check runs on them."""

EXAMPLES = int(os.environ.get("CONSORTIUM_SCHEMATHESIS_EXAMPLES", "15"))
"""Cases per operation and caller (more: set the variable; the default keeps the suite's time bounded)."""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("schemathesis")
    saved = {name: os.environ.get(name) for name in ("CONSORTIUM_DATA_DIR", "CONSORTIUM_KEY_DIR")}
    os.environ["CONSORTIUM_DATA_DIR"] = str(folder / "var")
    os.environ["CONSORTIUM_KEY_DIR"] = str(folder / "keys")
    container = bootstrap()
    container.cluster_store.apply(ClusterChange(saved=[make_cluster("w1", "Poems", ("riverside",))]))
    staff = Actor(actor_id="riverside/desk", role=ActorRole.MEMBER_STAFF)
    container.profiles.create_reader("alice", "riverside", [Purpose.PERSONALIZATION, Purpose.PUSH], actor=staff)
    http, thread = start_server(container, "127.0.0.1", 0)
    yield {
        "base_url": f"http://127.0.0.1:{http.effective_port}",
        "callers": {
            "anonymous": {},
            "reader": {"Authorization": f"Bearer {container.token_issuer.issue('alice', member='riverside')}"},
            "library": {"X-Api-Key": container.api_keys.create("riverside", "schemathesis").secret},
        },
    }
    http.close()
    thread.join(timeout=10)
    container.close()
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.mark.parametrize("caller", ["anonymous", "reader", "library"])
@SCHEMA.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_its_document(case: schemathesis.Case, caller: str, server: dict[str, Any]) -> None:
    own = {"reader": ("reader_id", "alice"), "library": ("member_id", "riverside")}.get(caller)
    if own and case.path_parameters and own[0] in case.path_parameters:
        case.path_parameters[own[0]] = own[1]  # the caller's own reader or member: past the guard, into the route
    excluded = [checks.positive_data_acceptance] if (case.method, case.path) in GRAMMAR else []
    case.call_and_validate(base_url=server["base_url"], headers=server["callers"][caller], excluded_checks=excluded)
