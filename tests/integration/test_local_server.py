"""``consortium run``'s API server: the apps under functions/ served on 127.0.0.1 by waitress through the
request→event shim, as API Gateway serves them; and the OpenAPI document kept beside the discovery function."""

from __future__ import annotations

import concurrent.futures
import json
from typing import TYPE_CHECKING

import pytest
import requests
from factories import make_cluster

from consortium.bootstrap import bootstrap
from consortium.cli.api import DOCUMENT_PATH, api_document, document_text, start_server
from consortium.dedup.state import ClusterChange

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from consortium.bootstrap import Container


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Container, str]]:
    monkeypatch.setenv("CONSORTIUM_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CONSORTIUM_KEY_DIR", str(tmp_path / "keys"))
    container = bootstrap()
    container.cluster_store.apply(ClusterChange(saved=[make_cluster("w1", "红楼梦", ("riverside", "lakeside"))]))
    server, thread = start_server(container, "127.0.0.1", 0)
    yield container, f"http://127.0.0.1:{server.effective_port}"
    server.close()
    thread.join(timeout=10)
    container.close()


def test_unknown_paths_and_methods_answer_json(hub: tuple[Container, str]) -> None:
    _, base = hub
    missing = requests.get(f"{base}/nowhere", timeout=10)
    assert missing.status_code == 404 and missing.json()["Code"] == "NotFoundError"
    wrong = requests.delete(f"{base}/search", timeout=10)
    assert wrong.status_code == 405 and wrong.headers["Allow"] == "GET" and "DELETE" in wrong.json()["Message"]
    head = requests.head(f"{base}/members", timeout=10)
    assert head.status_code == 200 and head.content == b""


def test_a_work_page_and_path_parameters_in_any_script(hub: tuple[Container, str]) -> None:
    _, base = hub
    page = requests.get(f"{base}/works/w1", params={"member": "lakeside"}, timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"] == "application/json"
    assert page.json()["work"]["title"] == "红楼梦"
    assert next(h["member"] for h in page.json()["holdings"]) == "lakeside"
    missing = requests.get(f"{base}/works/%E7%BA%A2%E6%A5%BC", timeout=10)
    assert missing.status_code == 404 and "红楼" in missing.json()["Message"]


def test_bodies_over_the_limit_are_413_and_readers_are_served_with_their_token(hub: tuple[Container, str]) -> None:
    container, base = hub
    library = {"X-Api-Key": container.api_keys.create("riverside", "tests").secret}
    created = requests.post(f"{base}/readers", json={"reader_id": "alice", "member": "riverside"}, headers=library)
    assert created.status_code == 201
    alice = {"Authorization": f"Bearer {container.token_issuer.issue('alice', member='riverside')}"}
    huge = {"notes": "x" * 300_000}
    too_big = requests.put(f"{base}/readers/alice/profile", json=huge, headers=alice, timeout=10)
    assert too_big.status_code == 413 and "limit" in too_big.json()["Message"]
    assert requests.get(f"{base}/readers/alice/profile", timeout=10).status_code == 401
    assert requests.get(f"{base}/readers/alice/profile", headers=alice, timeout=10).json()["profile"] == {}


def test_concurrent_requests_each_get_their_own_answer(hub: tuple[Container, str]) -> None:
    _, base = hub

    def fetch(n: int) -> tuple[int, int]:
        answer = requests.get(f"{base}/search", params={"q": "红楼梦", "page_size": 1 + n % 5}, timeout=30)
        return answer.status_code, answer.json()["page_size"]

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(fetch, range(40)))
    assert results == [(200, 1 + n % 5) for n in range(40)]


def test_the_api_describes_itself(hub: tuple[Container, str]) -> None:
    _, base = hub
    document = requests.get(f"{base}/openapi.json", timeout=10).json()
    assert document["openapi"] == "3.1.0"
    assert document["paths"]["/readers/{reader_id}/export"]["get"]["security"] == [{"bearer": []}]
    assert document["paths"]["/search"]["get"]["security"][0] == {}
    page = requests.get(f"{base}/docs", timeout=10)
    assert page.status_code == 200 and "/readers/{reader_id}/export" in page.text


def test_the_kept_openapi_document_is_current(hub: tuple[Container, str]) -> None:
    container, _ = hub
    functions_dir = container.settings.functions_dir
    kept = functions_dir.joinpath(*DOCUMENT_PATH).read_text(encoding="utf-8")
    assert kept == document_text(api_document(functions_dir)), "run: consortium openapi"
    assert json.loads(kept)["info"]["title"] == "Consortium hub API"
