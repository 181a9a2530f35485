"""Who may do what, every route × every caller, with the exact status.

Each row is a route of the apps; each column a caller: anonymous, reader A (alice, of riverside, whose data the
paths name), reader B (bob, also of riverside), riverside's member administrator, riverside's API key,
lakeside's API key, an expired token, a forged token (signed by another key), a revoked key, and on the member API
for IAM riverside's and lakeside's AWS principals and one no member names (API Gateway's verified principal in the
request context, as the member API for IAM passes it: here put there by the test, standing in for API Gateway's
check of the signature). A fresh hub serves
each row; its callers go in this order, so a row may show the effect of an earlier caller (a second create is a
409, a used one-click link is a 404).

The test fails when a route has no row, when a row names no route, and when an app has a route outside its
route table: adding a route means deciding who may call it, here.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from chalice.test import Client
from factories import make_cluster
from function_apps import FUNCTIONS, load_function

from consortium.auth import LocalTokenIssuer, StaffRole
from consortium.dedup.state import ClusterChange
from consortium.http.server import APPS, unload_module
from consortium.models import Availability, Classification, ClassScheme, Holding
from consortium.profiles.consent import Purpose
from consortium.profiles.models import Actor, ActorRole
from consortium.push.models import Channel, ServiceId

if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import ModuleType

CALLERS = (
    "anonymous", "reader A", "reader B", "staff X", "key X", "key Y", "expired", "forged", "revoked",
    "iam X", "iam Y", "iam ?",
)  # fmt: skip

PUBLIC = "200 200 200 200 200 200 401 401 401 200 200 403"
"""A route anyone may call: bad credentials are still refused (an AWS principal no member names: 403)."""
OWN = "401 {} 403 403 401 401 401 401 401 401 401 403"
"""A reader's own route: only reader A, with the status given; an API key or an AWS signature is not the
credential it takes (401)."""

LIB = "401 403 403 {0} {1} 403 401 401 401 {1} 403 403"
"""A member's route: its administrator, its key and its AWS principal, with the statuses given; readers and other
members not."""
STAFF = "401 403 403 {} 401 401 401 401 401 401 401 403"
"""A route for the member's staff (a subject librarian or administrator) only: no API key, no AWS principal."""

MATRIX: dict[str, str] = {
    # discovery: anyone
    "GET /search?q=poems&facet=member": PUBLIC,
    "GET /works/{cluster_id}": PUBLIC,
    "GET /works/{cluster_id}/editions": PUBLIC,
    "GET /works/{cluster_id}/export?format=marc": PUBLIC,
    "GET /new-books?class=clc:TP3": PUBLIC,
    "GET /classes?scheme=clc&parent=T": PUBLIC,
    "GET /members": PUBLIC,
    "GET /openapi.json": PUBLIC,
    "GET /docs": PUBLIC,
    "GET /health": PUBLIC,
    "GET /push/services": PUBLIC,
    "GET /oai?verb=Identify": PUBLIC,
    "POST /oai": PUBLIC,
    "GET /sru?operation=explain": PUBLIC,
    # members: their own member only; keys are managed by an administrator, not by a key
    "GET /members/{member_id}/keys": "401 403 403 200 200 403 401 401 401 200 403 403",
    "POST /members/{member_id}/keys": "401 403 403 201 401 401 401 401 401 401 401 403",
    "DELETE /members/{member_id}/keys/{key_id}": "401 403 403 200 401 401 401 401 401 401 401 403",
    "GET /members/{member_id}/sources": LIB.format(200, 200),
    "POST /members/{member_id}/sources": LIB.format(201, 409),  # the second time: the source exists
    "GET /members/{member_id}/sources/{source_id}": LIB.format(200, 200),
    "PATCH /members/{member_id}/sources/{source_id}": LIB.format(200, 200),
    "POST /members/{member_id}/sources/{source_id}/pause": LIB.format(200, 200),
    "POST /members/{member_id}/sources/{source_id}/resume": LIB.format(200, 200),
    "POST /members/{member_id}/harvests": LIB.format(202, 409),  # one run at a time
    "GET /members/{member_id}/harvests": LIB.format(200, 200),
    "GET /members/{member_id}/harvests/{run_id}": LIB.format(404, 404),
    "GET /members/{member_id}/quarantine": LIB.format(200, 200),
    "GET /members/{member_id}/quarantine/{item_id}": LIB.format(404, 404),
    "GET /members/{member_id}/quarantine/{item_id}/raw": LIB.format(404, 404),
    "POST /members/{member_id}/events": LIB.format(200, 200),
    "GET /members/{member_id}/statistics": LIB.format(200, 200),
    "GET /members/{member_id}/contribution": LIB.format(200, 200),
    "GET /members/{member_id}/sharing": LIB.format(200, 200),
    # an administrator's decision
    "PUT /members/{member_id}/sharing": "401 403 403 200 401 401 401 401 401 401 401 403",
    # cooperation: a reader asks for a loan for themself; the libraries see their own requests, and only their
    # administrators take a step (no request of that id here: 404 once the caller may ask)
    "POST /readers/{reader_id}/ill": OWN.format(201),
    "GET /readers/{reader_id}/ill": OWN.format(200),
    "POST /readers/{reader_id}/ill/{request_id}/cancel": OWN.format(404),
    "GET /members/{member_id}/ill": LIB.format(200, 200),
    "GET /members/{member_id}/ill/{request_id}": LIB.format(404, 404),
    "POST /members/{member_id}/ill/{request_id}": "401 403 403 404 401 401 401 401 401 401 401 403",
    "GET /members/{member_id}/ill-balance": LIB.format(200, 200),
    # subject librarians' lists: the member's librarians (here its administrator, who may too), never its key;
    # published lists for anyone (no list of that id here: 404)
    "POST /members/{member_id}/lists": STAFF.format(201),
    "GET /members/{member_id}/lists": STAFF.format(200),
    "GET /members/{member_id}/lists/{list_id}": STAFF.format(404),
    "PATCH /members/{member_id}/lists/{list_id}": STAFF.format(404),
    "DELETE /members/{member_id}/lists/{list_id}": STAFF.format(404),
    "PUT /members/{member_id}/lists/{list_id}/works/{cluster_id}": STAFF.format(404),
    "DELETE /members/{member_id}/lists/{list_id}/works/{cluster_id}": STAFF.format(404),
    "POST /members/{member_id}/lists/{list_id}/publish": STAFF.format(404),
    "POST /members/{member_id}/lists/{list_id}/withdraw": STAFF.format(404),
    "GET /lists": PUBLIC,
    # analytics: consortium-wide aggregates for staff (any member's, or the consortium office's), never a key
    "GET /analytics?table=member&metric=searches": STAFF.format(200),
    "GET /analytics/export?table=class&metric=loans": STAFF.format(200),
    "GET /lists/{list_id}": "404 404 404 404 404 404 401 401 401 404 404 403",
    # readers: the reader; a reader of their library made by that library (a second time: it exists)
    "POST /readers": "401 403 403 201 409 403 401 401 401 409 403 403",
    "GET /readers/{reader_id}/profile": OWN.format(200),
    "PUT /readers/{reader_id}/profile": OWN.format(200),
    "POST /readers/{reader_id}/consents": OWN.format(200),
    "GET /readers/{reader_id}/consents": OWN.format(200),
    # a borrow is posted by the reader's library, never by a reader nor another member (404: no such reader)
    "POST /readers/{reader_id}/events": "401 403 403 200 200 404 401 401 401 200 404 403",
    "GET /readers/{reader_id}/interests": OWN.format(200),
    "PUT /readers/{reader_id}/interests": OWN.format(200),
    "DELETE /readers/{reader_id}/interests?key=subject:poetry": OWN.format(200),
    "GET /readers/{reader_id}/prompts": OWN.format(200),
    "POST /readers/{reader_id}/prompts/{prompt_id}": OWN.format(404),
    "GET /readers/{reader_id}/export": OWN.format(200),
    "DELETE /readers/{reader_id}": OWN.format(204),
    "GET /readers/{reader_id}/subscriptions": OWN.format(200),
    "GET /readers/{reader_id}/subscriptions/{service_name}": OWN.format(200),
    "PUT /readers/{reader_id}/subscriptions/{service_name}": OWN.format(200),
    "DELETE /readers/{reader_id}/subscriptions/{service_name}": OWN.format(204),
    "GET /readers/{reader_id}/push/history": OWN.format(200),
    "POST /readers/{reader_id}/push/items/{cluster_id}": OWN.format(404),
    "GET /readers/{reader_id}/push/mutes": OWN.format(200),
    "PUT /readers/{reader_id}/push/mutes": OWN.format(200),
    "DELETE /readers/{reader_id}/push/mutes?kind=author&key=author:li+bai": OWN.format(200),
    "GET /readers/{reader_id}/push/inbox": OWN.format(200),
    "POST /readers/{reader_id}/push/inbox/{digest_id}/read": OWN.format(404),
    "DELETE /readers/{reader_id}/push/inbox/{digest_id}": OWN.format(204),  # deleting what is gone is done
    # by token: the URL is the key, for anyone holding it; one click unsubscribes, the next finds nothing
    "GET /push/feeds/{token}": PUBLIC,
    "GET /push/unsubscribe/{token}": PUBLIC,
    "POST /push/unsubscribe/{token}": "200 404 404 404 404 404 401 401 401 404 404 403",
}

ROOT_MEMBERS = Path(__file__).resolve().parents[2] / "members.toml"
NDJSON = "application/x-ndjson"
LOAN = (
    '{"reader_id": "alice", "event_id": "up-1", "type": "borrow", "at": "2026-03-01T10:00:00+00:00", '
    '"cluster_id": "w1"}'
)

BODIES: dict[str, Any] = {
    "POST /oai": "verb=Identify",
    "POST /members/{member_id}/sources": {
        "id": "union",
        "protocol": "oai-pmh",
        "url": "https://catalogue.example.org/oai",
        "format": "marcxml",
    },
    "PATCH /members/{member_id}/sources/{source_id}": {"schedule": "rate(2 days)"},
    "POST /members/{member_id}/sources/{source_id}/pause": {"reason": "moving to a new ILS"},
    "POST /members/{member_id}/harvests": {"source_id": "catalogue"},
    "POST /members/{member_id}/events": (NDJSON, LOAN + "\n" + LOAN.replace("up-1", "up-2")),
    "POST /members/{member_id}/keys": {"label": "ILS loan feed"},
    "PUT /members/{member_id}/sharing": {"share_holdings": True},
    "POST /readers/{reader_id}/ill": {"cluster_id": "w2"},
    "POST /members/{member_id}/ill/{request_id}": {"state": "accepted"},
    "POST /members/{member_id}/lists": {"title": "Tang poetry", "class_code": "clc:I222"},
    "PUT /members/{member_id}/lists/{list_id}/works/{cluster_id}": {"note": "the standard anthology"},
    "PATCH /members/{member_id}/lists/{list_id}": {"title": "Tang and Song poetry"},
    "POST /readers": {"reader_id": "carol", "member": "riverside"},
    "PUT /readers/{reader_id}/profile": {"lang": "chi"},
    "POST /readers/{reader_id}/consents": {"purpose": "analytics", "granted": True},
    "POST /readers/{reader_id}/events": {
        "event_id": "loan-1",
        "type": "borrow",
        "at": "2026-03-01T10:00:00+00:00",
        "cluster_id": "w1",
    },
    "PUT /readers/{reader_id}/interests": {"key": "subject:poetry"},
    "POST /readers/{reader_id}/prompts/{prompt_id}": {"accept": True},
    "PUT /readers/{reader_id}/subscriptions/{service_name}": {"channel": "inbox"},
    "POST /readers/{reader_id}/push/items/{cluster_id}": {"action": "not_interested"},
    "PUT /readers/{reader_id}/push/mutes": {"kind": "author", "key": "author:li bai"},
    "POST /push/unsubscribe/{token}": "List-Unsubscribe=One-Click",
}


def _signed(principal: str) -> dict[str, str]:
    """A request signed with AWS credentials (its Authorization header is the signature API Gateway checked)."""
    return {
        "Authorization": "AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20261204/eu-west-1/execute-api/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=0123abcd",
        PRINCIPAL_HEADER: principal,
    }


class Hub:
    """Every app over one data folder, with alice and bob of riverside, a work, and alice's feed."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.modules = {name: load_function(name) for name in APPS}
        self.apps = {name: module.app for name, module in self.modules.items()}
        hub = self.modules["profile"].container()
        work = make_cluster("w1", "Poems", ("riverside", "lakeside"))
        work = work.model_copy(update={"classifications": [Classification(scheme=ClassScheme.CLC, code="TP312")]})
        lent = make_cluster("w2", "Songs", ("lakeside",))
        lent = lent.model_copy(update={"holdings": [Holding(member="lakeside", availability=Availability.AVAILABLE)]})
        hub.cluster_store.apply(ClusterChange(saved=[work, lent]))
        staff = Actor(actor_id="riverside/desk", role=ActorRole.MEMBER_STAFF)
        for reader_id in ("alice", "bob"):
            hub.profiles.create_reader(reader_id, "riverside", [Purpose.PERSONALIZATION, Purpose.PUSH], actor=staff)
        alice = Actor(actor_id="alice", role=ActorRole.READER)
        _, self.token = hub.push.subscribe("alice", ServiceId.NEW_IN_CLASS, Channel.ATOM, actor=alice)
        hub.push.subscribe("alice", ServiceId.INTERESTED_NEW, Channel.INBOX, actor=alice)
        self.revoked_key = hub.api_keys.create("riverside", "old")
        hub.api_keys.revoke("riverside", self.revoked_key.key.key_id)
        self.spare_key = hub.api_keys.create("riverside", "spare")
        hub.analytics.build()  # an empty report (no month closed with ten readers): staff read it
        issuer = hub.token_issuer
        forger = LocalTokenIssuer(tmp / "forger.pem", issuer=issuer.issuer)
        bearer = "Bearer {}".format
        self.headers: dict[str, dict[str, str]] = {
            "anonymous": {},
            "reader A": {"Authorization": bearer(issuer.issue("alice", member="riverside"))},
            "reader B": {"Authorization": bearer(issuer.issue("bob", member="riverside"))},
            "staff X": {
                "Authorization": bearer(issuer.issue("desk", member="riverside", roles=[StaffRole.MEMBER_ADMIN]))
            },
            "key X": {"X-Api-Key": hub.api_keys.create("riverside", "ils").secret},
            "key Y": {"X-Api-Key": hub.api_keys.create("lakeside", "ils").secret},
            "expired": {
                "Authorization": bearer(issuer.issue("alice", member="riverside", lifetime=dt.timedelta(minutes=-5)))
            },
            "forged": {"Authorization": bearer(forger.issue("alice", member="riverside"))},
            "revoked": {"X-Api-Key": self.revoked_key.secret},
            "iam X": _signed("arn:aws:sts::123456789012:assumed-role/riverside-ils/loan-feed"),
            "iam Y": _signed("arn:aws:sts::210987654321:assumed-role/lakeside-ils/loan-feed"),
            "iam ?": _signed("arn:aws:sts::123456789012:assumed-role/someone-else/s1"),
        }

    def path(self, route: str) -> str:
        return route.format(
            reader_id="alice",
            member_id="riverside",
            cluster_id="w1",
            key_id=self.spare_key.key.key_id,
            service_name="interested_new",
            prompt_id="p-none",
            digest_id="d-none",
            token=self.token,
            source_id="catalogue",
            run_id="run-none",
            item_id="q-none",
            request_id="ill-none",
            list_id="list-none",
        )

    def close(self) -> None:
        """Close the apps' containers (their database files) and drop the imports."""
        for module in self.modules.values():
            unload_module(module)

    def app_of(self, method: str, pattern: str) -> ModuleType:
        for module in self.modules.values():
            if (method, pattern) in module.routes.specs:
                return module
        raise AssertionError(f"no app has {method} {pattern}")


IAM_API = "iamapi0001"
"""The member API for IAM's id (``CONSORTIUM_MEMBER_IAM_API_ID``)."""
PRINCIPALS = {
    "riverside": "arn:aws:iam::123456789012:role/riverside-ils",
    "lakeside": "arn:aws:iam::210987654321:role/lakeside-ils",
}
PRINCIPAL_HEADER = "x-test-aws-principal"
"""Where a test names the principal API Gateway would have verified; moved into the request context, never sent on."""


@pytest.fixture
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("CONSORTIUM_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CONSORTIUM_KEY_DIR", str(tmp_path / "keys"))
    members = ROOT_MEMBERS.read_text(encoding="utf-8").replace(
        'path = "samples/', f'path = "{ROOT_MEMBERS.parent}/samples/'
    )
    for member, arn in PRINCIPALS.items():
        members = members.replace(f'id = "{member}"\n', f'id = "{member}"\niam_principals = ["{arn}"]\n', 1)
    (tmp_path / "members.toml").write_text(members, encoding="utf-8")
    monkeypatch.setenv("CONSORTIUM_MEMBERS_FILE", str(tmp_path / "members.toml"))
    monkeypatch.setenv("CONSORTIUM_MEMBER_IAM_API_ID", IAM_API)
    yield tmp_path


@pytest.fixture
def hub(environment: Path) -> Iterator[Hub]:
    made = Hub(environment)
    yield made
    made.close()


def _through_member_api_for_iam(client: Client) -> None:
    """Requests naming a principal in :data:`PRINCIPAL_HEADER` reach the app as the member API for IAM passes them:
    the verified principal in ``requestContext.identity.userArn``, the API's id in ``apiId``."""
    converter = client.http._local_gateway.event_converter  # type: ignore[attr-defined]
    create = converter.create_lambda_event

    def create_lambda_event(method: str, path: str, headers: dict[str, str], body: bytes | None = None) -> Any:
        principal = next((v for k, v in headers.items() if k.lower() == PRINCIPAL_HEADER), None)
        headers = {k: v for k, v in headers.items() if k.lower() != PRINCIPAL_HEADER}
        event = create(method, path, headers, body)
        if principal is not None:
            event["requestContext"]["identity"]["userArn"] = principal
            event["requestContext"]["apiId"] = IAM_API
        return event

    converter.create_lambda_event = create_lambda_event


def _routes() -> set[str]:
    found: set[str] = set()
    for name in APPS:
        module = load_function(name)
        declared = set(module.routes.specs)
        served = {(method, path) for path, methods in module.app.routes.items() for method in methods}
        unload_module(module)
        assert served == declared, f"{name}: routes outside the route table: {sorted(served - declared)}"
        found |= {f"{method} {path}" for method, path in declared}
    return found


def test_every_route_has_a_row_and_every_row_a_route(environment: Path) -> None:
    rows = {row.split("?")[0] for row in MATRIX}
    routes = _routes()
    assert not routes - rows, f"routes without a row in MATRIX: {sorted(routes - rows)}"
    assert not rows - routes, f"rows naming no route: {sorted(rows - routes)}"


@pytest.mark.parametrize("row", sorted(MATRIX))
def test_route_by_caller(row: str, hub: Hub) -> None:
    method, target = row.split(" ", 1)
    pattern = target.split("?")[0]
    module = hub.app_of(method, pattern)
    body = BODIES.get(row)
    got: list[str] = []
    with Client(module.app, stage_name="test", project_dir=str(FUNCTIONS / module.__name__.split("_")[0])) as client:
        _through_member_api_for_iam(client)
        for caller in CALLERS:
            headers = dict(hub.headers[caller])
            kwargs: dict[str, Any] = {"headers": headers}
            if isinstance(body, tuple):
                headers["Content-Type"], kwargs["body"] = body
            elif isinstance(body, str):
                headers["Content-Type"] = "application/x-www-form-urlencoded"
                kwargs["body"] = body
            elif body is not None:
                headers["Content-Type"] = "application/json"
                kwargs["body"] = json.dumps(body)
            response = getattr(client.http, method.lower())(hub.path(target), **kwargs)
            got.append(str(response.status_code))
    expected = MATRIX[row].split()
    assert got == expected, "\n".join(
        f"{caller:10} expected {want} got {have}" for caller, want, have in zip(CALLERS, expected, got, strict=True)
    )


def test_what_a_library_does_to_a_readers_data_is_in_the_readers_audit(hub: Hub) -> None:
    module = hub.app_of("POST", "/readers/{reader_id}/events")
    key_id = hub.headers["key X"]["X-Api-Key"].split("_")[1]
    with Client(module.app, stage_name="test") as client:
        headers = {**hub.headers["key X"], "Content-Type": "application/json"}
        body = json.dumps(BODIES["POST /readers/{reader_id}/events"])
        assert client.http.post("/readers/alice/events", headers=headers, body=body).status_code == 200
        export = client.http.get("/readers/alice/export", headers=hub.headers["reader A"])
    audit = json.loads(export.body)["audit"]
    by_library = [entry for entry in audit if entry["actor_id"] == f"riverside/key:{key_id}"]
    assert by_library and {entry["actor_role"] for entry in by_library} == {"member_staff"}


def test_what_a_member_system_does_with_its_aws_principal_is_audited_under_it(hub: Hub) -> None:
    module = hub.app_of("POST", "/readers/{reader_id}/events")
    with Client(module.app, stage_name="test") as client:
        _through_member_api_for_iam(client)
        headers = {**hub.headers["iam X"], "Content-Type": "application/json"}
        body = json.dumps(BODIES["POST /readers/{reader_id}/events"])
        assert client.http.post("/readers/alice/events", headers=headers, body=body).status_code == 200
        export = client.http.get("/readers/alice/export", headers=hub.headers["reader A"])
    audit = json.loads(export.body)["audit"]
    assert [e for e in audit if e["actor_id"] == "riverside/iam:role/riverside-ils"]
