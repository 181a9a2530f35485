"""Records a member's file no longer gives, end to end on the local server: the member harvests its catalogue file
through the member API, weeds two books (one another member also holds) and drops a bad record, and harvests
again: the holdings leave search and the work pages, a work no one else holds leaves the index, the quarantined
record leaves the quarantine. A source whose files are increments keeps what its next file does not give; a file
lacking most of a catalogue withdraws nothing, says why, and the member confirms it."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pytest
import requests
from marc_builders import book

from consortium.bootstrap import bootstrap
from consortium.cli.api import start_server

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
path = "riverside.mrc"
format = "marc21"

[[members]]
id = "lakeside"
name = "Lakeside Public Library"

[[members.sources]]
id = "catalogue"
protocol = "marc-file"
path = "lakeside.mrc"
format = "marc21"
file = "increments"
"""

WORDS = ("almond", "birch", "cedar", "dogwood", "elm", "fir", "ginkgo", "hazel")
"""The title words of riverside's books r0 ... r7 (r0 is also lakeside's l0)."""


def riverside_books(*numbers: int, bad: bool = False) -> bytes:
    chosen = [book(f"r{n}", f"Weeding {WORDS[n]}", isbn=None) for n in numbers if n]
    if 0 in numbers:  # the book both libraries hold: one work
        chosen.insert(0, book("r0", "Concrete mathematics", isbn="9780201558029"))
    if bad:
        chosen.append(book("rbad", "Weeding broken", isbn="0201896835"))  # an ISBN with a wrong check digit
    return b"".join(r.as_marc() for r in chosen)


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Path, dict[str, dict[str, str]]]]:
    (tmp_path / "members.toml").write_text(REGISTRY, encoding="utf-8")
    (tmp_path / "riverside.mrc").write_bytes(riverside_books(*range(8), bad=True))
    lakeside = [book("l0", "Concrete mathematics", isbn="9780201558029"), book("l1", "Lakeside larch", isbn=None)]
    (tmp_path / "lakeside.mrc").write_bytes(b"".join(r.as_marc() for r in lakeside))
    monkeypatch.setenv("CONSORTIUM_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CONSORTIUM_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("CONSORTIUM_MEMBERS_FILE", str(tmp_path / "members.toml"))
    container = bootstrap()
    server, thread = start_server(container, "127.0.0.1", 0)
    keys = {m: {"X-Api-Key": container.api_keys.create(m, "ILS").secret} for m in ("riverside", "lakeside")}
    yield f"http://127.0.0.1:{server.effective_port}", tmp_path, keys
    server.close()
    thread.join(timeout=10)
    container.close()


def harvest(base: str, member: str, key: dict[str, str], **body: Any) -> dict[str, Any]:
    """Start a harvest of the member's catalogue through the member API and wait for its end."""
    started = requests.post(
        f"{base}/members/{member}/harvests", json={"source_id": "catalogue", **body}, headers=key, timeout=30
    )
    assert started.status_code == 202, started.text
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        run: dict[str, Any] = requests.get(
            f"{base}/members/{member}/harvests/{started.json()['run_id']}", headers=key, timeout=30
        ).json()
        if run["state"] not in ("queued", "running"):
            assert run["state"] == "succeeded", run
            return dict(run["sources"][0])
        time.sleep(0.1)
    raise AssertionError("the harvest did not end")


def hits(base: str, query: str) -> list[dict[str, Any]]:
    found = requests.get(f"{base}/search", params={"q": query}, timeout=30).json()
    return list(found["hits"])


def holders(base: str, work: str) -> list[str] | None:
    """The members holding the work on its page (``None``: no such work)."""
    answer = requests.get(f"{base}/works/{work}", timeout=30)
    if answer.status_code == 404:
        return None
    assert answer.status_code == 200, answer.text
    return sorted({h["member"] for h in answer.json()["holdings"]})


def quarantined(base: str, key: dict[str, str]) -> int:
    return int(requests.get(f"{base}/members/riverside/quarantine", headers=key, timeout=30).json()["total"])


def test_what_a_members_file_no_longer_gives_leaves_search_work_pages_and_the_quarantine(
    hub: tuple[str, Path, dict[str, dict[str, str]]],
) -> None:
    base, folder, keys = hub
    first = harvest(base, "riverside", keys["riverside"])
    assert (first["counts"]["added"], first["counts"]["quarantined"]) == (8, 1)
    assert harvest(base, "lakeside", keys["lakeside"])["counts"]["added"] == 2
    [shared] = hits(base, "concrete mathematics")
    assert sorted(shared["members"]) == ["lakeside", "riverside"]
    assert holders(base, shared["cluster_id"]) == ["lakeside", "riverside"]
    [birch] = hits(base, "weeding birch")
    assert holders(base, birch["cluster_id"]) == ["riverside"]
    assert quarantined(base, keys["riverside"]) == 1

    # Riverside weeds the book both libraries hold and "birch", and the bad record is gone from its export.
    (folder / "riverside.mrc").write_bytes(riverside_books(2, 3, 4, 5, 6, 7))
    second = harvest(base, "riverside", keys["riverside"])
    counts = second["counts"]
    assert (counts["unchanged"], counts["withdrawn"], counts["superseded"], counts["withheld"]) == (6, 2, 1, 0)
    assert second["notice"] is None
    [shared_now] = hits(base, "concrete mathematics")
    assert shared_now["members"] == ["lakeside"]  # lakeside's holding stays; riverside's is gone
    assert holders(base, shared_now["cluster_id"]) == ["lakeside"]
    assert holders(base, shared["cluster_id"]) in (None, ["lakeside"])
    assert hits(base, "weeding birch") == []  # a work no member holds leaves the index
    assert holders(base, birch["cluster_id"]) is None
    assert hits(base, "member:riverside") and all(
        "weeding" in h["title"].lower() for h in hits(base, "member:riverside")
    )
    assert quarantined(base, keys["riverside"]) == 0

    # Lakeside sends increments: its next file holds only what changed, and "larch" stays.
    (folder / "lakeside.mrc").write_bytes(book("l0", "Concrete mathematics", isbn="9780201558029").as_marc())
    increment = harvest(base, "lakeside", keys["lakeside"])
    assert (increment["counts"]["unchanged"], increment["counts"]["withdrawn"]) == (1, 0)
    assert [h["members"] for h in hits(base, "lakeside larch")] == [["lakeside"]]

    # A file lacking most of riverside's catalogue (one record of six): nothing is withdrawn, and the run says why.
    (folder / "riverside.mrc").write_bytes(riverside_books(2))
    held = harvest(base, "riverside", keys["riverside"])
    assert (held["counts"]["withdrawn"], held["counts"]["withheld"]) == (0, 5)
    assert held["notice"].startswith(
        "5 record(s) of riverside/catalogue are not in this file and were not withdrawn: more than 50% of the 6"
    )
    assert '"confirm_withdrawals": true' in held["notice"] and 'file = "increments"' in held["notice"]
    assert len(hits(base, "weeding")) == 6
    # The librarian checks the export: it is right (the rest went to another library). Confirmed, they go.
    confirmed = harvest(base, "riverside", keys["riverside"], confirm_withdrawals=True)
    assert (confirmed["counts"]["withdrawn"], confirmed["counts"]["withheld"], confirmed["notice"]) == (5, 0, None)
    assert [h["title"] for h in hits(base, "weeding")] == ["Weeding cedar"]
    refused = requests.post(
        f"{base}/members/riverside/harvests", json={"confirm_withdrawals": True}, headers=keys["riverside"], timeout=30
    )
    assert refused.status_code == 400 and "field 'confirm_withdrawals'" in refused.json()["Message"]
