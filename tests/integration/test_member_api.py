"""The member API as a member library's systems librarian uses it, over HTTP on the local server: its sources,
a harvest it starts and follows, its quarantine, a loan upload line by line, its statistics."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pytest
import requests
from marc_builders import book

from consortium.bootstrap import bootstrap
from consortium.cli.api import start_server
from consortium.profiles.consent import Purpose
from consortium.profiles.models import Actor, ActorRole

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

REGISTRY = """
[[members]]
id = "riverside"
name = "Riverside University Library"

[[members.sources]]
id = "catalogue"
protocol = "marc-file"
path = "books.mrc"
format = "marc21"

[[members]]
id = "lakeside"
name = "Lakeside Public Library"
"""


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, dict[str, str], dict[str, str]]]:
    (tmp_path / "members.toml").write_text(REGISTRY, encoding="utf-8")
    records = [book(f"r{i}", f"Book number {i}", isbn=None) for i in range(12)]
    # A garbage record, ended (one the file ends inside would make the run incomplete: cut short).
    (tmp_path / "books.mrc").write_bytes(b"".join(r.as_marc() for r in records) + b"00042garbage record\x1d")
    monkeypatch.setenv("CONSORTIUM_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CONSORTIUM_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("CONSORTIUM_MEMBERS_FILE", str(tmp_path / "members.toml"))
    container = bootstrap()
    staff = Actor(actor_id="riverside/desk", role=ActorRole.MEMBER_STAFF)
    container.profiles.create_reader("alice", "riverside", [Purpose.PERSONALIZATION], actor=staff)
    container.profiles.create_reader("larry", "lakeside", [Purpose.PERSONALIZATION], actor=staff)
    server, thread = start_server(container, "127.0.0.1", 0)
    riverside = {"X-Api-Key": container.api_keys.create("riverside", "ILS").secret}
    lakeside = {"X-Api-Key": container.api_keys.create("lakeside", "ILS").secret}
    yield f"http://127.0.0.1:{server.effective_port}", riverside, lakeside
    server.close()
    thread.join(timeout=10)
    container.close()


def wait_for_run(base: str, key: dict[str, str], run_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        run: dict[str, Any] = requests.get(
            f"{base}/members/riverside/harvests/{run_id}", headers=key, timeout=30
        ).json()
        if run["state"] in ("succeeded", "failed", "partial"):
            return run
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} did not finish: {run}")


def test_a_member_runs_its_part_of_the_hub(api: tuple[str, dict[str, str], dict[str, str]]) -> None:
    base, key, other = api
    sources = requests.get(f"{base}/members/riverside/sources", headers=key, timeout=30).json()["sources"]
    assert [s["source"]["id"] for s in sources] == ["catalogue"]
    bad = requests.post(f"{base}/members/riverside/sources", json={"id": "x", "protocol": "oai-pmh"}, headers=key)
    assert bad.status_code == 400 and "field 'format'" in bad.json()["Message"]
    paused = requests.post(
        f"{base}/members/riverside/sources/catalogue/pause", json={"reason": "new ILS"}, headers=key, timeout=30
    )
    assert paused.status_code == 200 and paused.json()["source"]["paused"] is True
    resumed = requests.post(f"{base}/members/riverside/sources/catalogue/resume", headers=key, timeout=30)
    assert resumed.json()["source"]["paused"] is False

    started = requests.post(f"{base}/members/riverside/harvests", json={}, headers=key, timeout=30)
    assert started.status_code == 202
    run = wait_for_run(base, key, started.json()["run_id"])
    assert run["state"] in ("succeeded", "partial"), run
    listed = requests.get(f"{base}/members/riverside/harvests", headers=key, timeout=30).json()
    assert started.json()["run_id"] in [r["run_id"] for r in listed["runs"]]
    assert requests.get(f"{base}/members/riverside/harvests", headers=other, timeout=30).status_code == 403

    quarantined = requests.get(f"{base}/members/riverside/quarantine", headers=key, timeout=30).json()
    assert quarantined["total"] >= 1 and quarantined["items"][0]["reason"]
    item_id = quarantined["items"][0]["item_id"]
    raw = requests.get(f"{base}/members/riverside/quarantine/{item_id}/raw", headers=key, timeout=30)
    assert raw.status_code == 200 and b"garbage" in raw.content
    assert requests.get(f"{base}/members/lakeside/quarantine/{item_id}", headers=other, timeout=30).status_code == 404

    work = requests.get(f"{base}/search", params={"q": "number"}, timeout=30).json()["hits"][0]["cluster_id"]
    at = "2026-03-01T10:00:00+00:00"
    lines = [
        f'{{"reader_id": "alice", "event_id": "l1", "type": "borrow", "at": "{at}", "cluster_id": "{work}"}}',
        "not json",
        f'{{"reader_id": "larry", "event_id": "l2", "type": "borrow", "at": "{at}", "cluster_id": "{work}"}}',
        f'{{"reader_id": "alice", "event_id": "l3", "type": "return", "at": "{at}", "cluster_id": "{work}"}}',
    ]
    ndjson = {**key, "Content-Type": "application/x-ndjson"}
    report = requests.post(f"{base}/members/riverside/events", data="\n".join(lines), headers=ndjson, timeout=30)
    assert report.status_code == 200
    outcome = {line["line"]: line["status"] for line in report.json()["lines"]}
    assert outcome == {1: "stored", 2: "rejected", 3: "rejected", 4: "stored"}
    reasons = {line["line"]: line["reason"] for line in report.json()["lines"]}
    assert "JSON" in reasons[2] and "no reader" in reasons[3]  # lakeside's reader: as if there were none
    statistics = requests.get(f"{base}/members/riverside/statistics", headers=key, timeout=30).json()
    assert statistics["records"] >= 12
