"""The search domain's role mapping (the custom resource of the functions stack), against a server on 127.0.0.1
that records what it is sent: standing in for the security plugin's REST API of the domain and for
CloudFormation's pre-signed response URL."""

from __future__ import annotations

import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, ClassVar

import pytest

from consortium.adapters.aws.opensearch_roles import ROLES, handler

if TYPE_CHECKING:
    from collections.abc import Iterator


class Recorder(BaseHTTPRequestHandler):
    calls: ClassVar[list[tuple[str, str, Any, str]]] = []
    refuse: str | None = None

    def do_PUT(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("Content-Encoding") == "gzip":  # opensearch-py compresses its requests
            body = gzip.decompress(body)
        self.calls.append((self.command, self.path, json.loads(body or b"null"), self.headers.get("Authorization", "")))
        refused = self.refuse is not None and self.path.startswith(self.refuse)
        answer = b'{"status":"FORBIDDEN","message":"no permissions"}' if refused else b'{"status":"OK"}'
        self.send_response(403 if refused else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    Recorder.calls, Recorder.refuse = [], None
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}"
    settings = {"CONSORTIUM_OPENSEARCH_ENDPOINT": url, "CONSORTIUM_AWS_REGION": "us-east-1"}
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", **settings}.items():
        monkeypatch.setenv(name, value)
    yield url
    httpd.shutdown()


def event(url: str, kind: str = "Create") -> dict[str, Any]:
    return {
        "RequestType": kind,
        "ResponseURL": f"{url}/cloudformation-response?signature=x",
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/Consortium-Dev-Functions/1",
        "RequestId": "r-1",
        "LogicalResourceId": "SearchRoleMapping",
        "ResourceProperties": {
            "Search": ["arn:aws:iam::123456789012:role/discovery"],
            "Index": ["arn:aws:iam::123456789012:role/harvest-step", "arn:aws:iam::123456789012:role/rebuild"],
        },
    }


def test_create_puts_both_roles_and_their_mappings_signed_then_answers_cloudformation(server: str) -> None:
    handler(event(server), None)
    paths = [(path, body) for _, path, body, _ in Recorder.calls]
    assert [p for p, _ in paths] == [
        "/_plugins/_security/api/roles/consortium_search",
        "/_plugins/_security/api/roles/consortium_index",
        "/_plugins/_security/api/rolesmapping/consortium_search",
        "/_plugins/_security/api/rolesmapping/consortium_index",
        "/cloudformation-response?signature=x",
    ]
    assert paths[0][1] == ROLES["consortium_search"]
    assert paths[0][1]["index_permissions"][0]["allowed_actions"] == ["read"]
    assert paths[2][1]["backend_roles"] == ["arn:aws:iam::123456789012:role/discovery"]
    assert paths[3][1]["backend_roles"] == [
        "arn:aws:iam::123456789012:role/harvest-step",
        "arn:aws:iam::123456789012:role/rebuild",
    ]
    assert all(auth.startswith("AWS4-HMAC-SHA256") for _, path, _, auth in Recorder.calls if "_plugins" in path)
    answer = paths[-1][1]
    assert answer["Status"] == "SUCCESS" and answer["LogicalResourceId"] == "SearchRoleMapping"
    assert answer["PhysicalResourceId"] == "consortium-search-roles" and answer["RequestId"] == "r-1"


def test_a_refused_mapping_fails_the_deployment_with_the_reason(server: str) -> None:
    Recorder.refuse = "/_plugins/_security/api/rolesmapping"
    handler(event(server, "Update"), None)
    answer = Recorder.calls[-1][2]
    assert answer["Status"] == "FAILED" and "403" in answer["Reason"] and "mapping the search roles" in answer["Reason"]


def test_delete_leaves_the_roles_and_succeeds(server: str) -> None:
    handler({**event(server, "Delete"), "PhysicalResourceId": "consortium-search-roles"}, None)
    [(_, path, answer, _)] = Recorder.calls
    assert path.startswith("/cloudformation-response") and answer["Status"] == "SUCCESS"
