"""The ``consortium`` command, run as a user runs it: a real process, a data folder, a member registry."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from marc_builders import book, holdings_record

from consortium.adapters.local import SqliteRecordStore

REGISTRY = """
[[members]]
id = "riverside"
name = "Riverside University Library"

[[members.sources]]
id = "catalogue"
protocol = "marc-file"
path = "books.mrc"
format = "marc21"
location = "Main stacks"

[[members]]
id = "eastlake"
name = "Eastlake University Library"
name_zh = "东湖大学图书馆"
"""


def cli(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "consortium", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **environment(tmp_path), **(env or {})},
        timeout=300,
        check=False,
    )


def environment(tmp_path: Path) -> dict[str, str]:
    return {
        "CONSORTIUM_DATA_DIR": str(tmp_path / "var"),
        "CONSORTIUM_KEY_DIR": str(tmp_path / "keys"),
        "CONSORTIUM_MEMBERS_FILE": str(tmp_path / "members.toml"),
    }


def write_books(path: Path, count: int) -> None:
    records = [book(f"r{i:05}", f"Book number {i}", isbn=None) for i in range(count)]
    path.write_bytes(b"".join(r.as_marc() for r in records))


@pytest.fixture
def hub(tmp_path: Path) -> Path:
    (tmp_path / "members.toml").write_text(REGISTRY, encoding="utf-8")
    write_books(tmp_path / "books.mrc", 30)
    return tmp_path


def test_members_list(hub: Path) -> None:
    result = cli(hub, "members", "list", "--json")
    assert result.returncode == 0, result.stderr
    members = json.loads(result.stdout)
    assert [m["id"] for m in members] == ["riverside", "eastlake"]
    assert members[1]["name_zh"] == "东湖大学图书馆"
    text = cli(hub, "members", "list").stdout
    assert "catalogue\tmarc-file marc21" in text


def test_invalid_registry_names_member_field_and_reason(hub: Path) -> None:
    (hub / "members.toml").write_text(REGISTRY.replace('format = "marc21"', 'format = "marc99"'), encoding="utf-8")
    result = cli(hub, "members", "list")
    assert result.returncode != 0
    assert "member 'riverside', source 'catalogue', field 'format'" in result.stderr
    assert "marc21" in result.stderr  # the reason lists what is allowed


def test_harvest_then_harvest_again(hub: Path) -> None:
    first = cli(hub, "harvest", "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["total"]["added"] == 30
    second = json.loads(cli(hub, "harvest", "--member", "riverside", "--json").stdout)
    assert second["total"] == {
        "added": 0,
        "changed": 0,
        "unchanged": 30,
        "deleted": 0,
        "quarantined": 0,
        "duplicates": 0,
        "holdings": 0,
        "holdings_unmatched": 0,
        "superseded": 0,
        "withdrawn": 0,
        "withheld": 0,
    }
    assert "riverside/catalogue: 0 added, 0 changed, 30 unchanged" in cli(hub, "harvest").stdout


def test_reindex_rebuilds_a_lost_index_from_the_stored_works(hub: Path) -> None:
    assert cli(hub, "harvest").returncode == 0
    assert json.loads(cli(hub, "reindex", "--json").stdout) == {"indexed": 0, "works": 30}
    assert "nothing to do" in cli(hub, "reindex").stdout
    shutil.rmtree(hub / "var" / "index")  # the index lost: it is derived data
    assert json.loads(cli(hub, "search", "number", "--json").stdout)["total"] == 0
    assert json.loads(cli(hub, "reindex", "--force", "--json").stdout) == {"indexed": 30, "works": 30}
    assert json.loads(cli(hub, "search", "number", "--json").stdout)["total"] == 30


def test_import_with_a_holdings_file(hub: Path) -> None:
    # Voyager's export: the records in one file, their holdings records in another; the line says what was read.
    records, held = hub / "bibs.mrc", hub / "mfhd.mrc"
    records.write_bytes(book("v1", "Voyager book").as_marc())
    held.write_bytes(
        holdings_record("h1", "v1", "QA76 .K58").as_marc() + holdings_record("h9", "v9", "X1 .Y").as_marc()
    )
    result = cli(hub, "import", str(records), "--member", "eastlake", "--format", "marc21", "--holdings", str(held))
    assert result.returncode == 0, result.stderr
    assert "1 added" in result.stdout and "; 1 holdings record(s) read with their record" in result.stdout
    assert "; 1 record(s) of the holdings file not read" in result.stdout
    store = SqliteRecordStore.open(hub / "var" / "consortium.sqlite3")
    stored = store.get("eastlake", "v1")
    assert stored is not None and [h.call_number for h in stored.holdings] == ["QA76 .K58"]
    wrong = cli(hub, "import", str(records), "--member", "eastlake", "--format", "unimarc", "--holdings", str(held))
    assert wrong.returncode == 1 and "--holdings: 'holdings' is a file of MARC 21 holdings records" in wrong.stderr


def test_import_and_quarantine(hub: Path) -> None:
    path = hub / "extra.mrc"
    path.write_bytes(book("x1", "Fine").as_marc() + book("x2", "Bad", isbn="0201896835").as_marc())
    result = cli(hub, "import", str(path), "--member", "eastlake", "--format", "marc21", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) | {"run_id": ""} == {
        "member": "eastlake", "source": "import-extra-mrc", "run_id": "", "complete": True, "resumed": False,
        "stopped": None, "paused": None, "withheld_because": None, "interrupted": False, "added": 1, "changed": 0,
        "unchanged": 0, "deleted": 0, "quarantined": 1, "duplicates": 0, "holdings": 0, "holdings_unmatched": 0,
        "superseded": 0, "withdrawn": 0, "withheld": 0,
    }  # fmt: skip
    quarantined = json.loads(cli(hub, "quarantine", "--json").stdout)
    assert [(q["local_id"], q["reason"]) for q in quarantined] == [
        ("x2", "020$a: ISBN '0201896835': invalid check digit")
    ]
    unknown = cli(hub, "import", str(path), "--member", "nowhere", "--format", "marc21")
    # A hub error is one line on stderr naming the thing, and exit status 1 (no traceback).
    assert unknown.returncode == 1
    assert unknown.stderr.splitlines() == ["Error: no member 'nowhere' in the registry (known: riverside, eastlake)"]


def test_killed_harvest_resumes_to_the_same_store(tmp_path: Path) -> None:
    """SIGKILL a real harvest mid-run; the resumed run ends with the store of an uninterrupted one."""
    for name in ("killed", "whole"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "members.toml").write_text(REGISTRY, encoding="utf-8")
        write_books(tmp_path / name / "books.mrc", 4000)
    small_pages = {"CONSORTIUM_HARVEST_PAGE_SIZE": "10"}

    whole = cli(tmp_path / "whole", "harvest", "--json", env=small_pages)
    assert whole.returncode == 0, whole.stderr

    killed = tmp_path / "killed"
    process = subprocess.Popen(
        [sys.executable, "-m", "consortium", "harvest", "--json"],
        env={**os.environ, **environment(killed), **small_pages},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    database = killed / "var" / "consortium.sqlite3"
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            if database.exists():
                checkpoint = SqliteRecordStore.open(database).checkpoint("riverside/catalogue")
                if checkpoint is not None and checkpoint.counts.added >= 200:
                    break
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    interrupted = SqliteRecordStore.open(database)
    checkpoint = interrupted.checkpoint("riverside/catalogue")
    assert checkpoint is not None and checkpoint.in_progress, "the harvest finished before it could be killed"
    assert 0 < interrupted.count() < 4000

    resumed = cli(killed, "harvest", "--json", env=small_pages)
    assert resumed.returncode == 0, resumed.stderr
    run = json.loads(resumed.stdout)["runs"][0]
    assert run["resumed"] and run["complete"] and run["added"] == 4000

    def contents(folder: Path) -> list[str]:
        store = SqliteRecordStore.open(folder / "var" / "consortium.sqlite3")
        return [r.model_dump_json() for r in store.records()]

    assert contents(killed) == contents(tmp_path / "whole")


def test_run_serves_the_api_and_keys_and_logins_open_it(tmp_path: Path) -> None:
    """A systems librarian's first steps: make a key, log a reader in, start the hub, call the API over HTTP."""
    import requests

    (tmp_path / "members.toml").write_text(REGISTRY, encoding="utf-8")
    write_books(tmp_path / "books.mrc", 5)
    made = cli(tmp_path, "members", "key", "create", "riverside", "--label", "ILS loan feed", "--json")
    assert made.returncode == 0, made.stderr
    key = json.loads(made.stdout)
    assert key["key"].startswith(f"ck_{key['key_id']}_") and "secret_hash" not in key
    listed = json.loads(cli(tmp_path, "members", "key", "list", "riverside", "--json").stdout)
    assert [(k["key_id"], k["revoked_at"]) for k in listed] == [(key["key_id"], None)]
    assert "no member 'nowhere'" in cli(tmp_path, "members", "key", "list", "nowhere").stderr
    token = cli(tmp_path, "login", "alice", "--member", "riverside").stdout.strip()
    assert "staff token needs --member" in cli(tmp_path, "login", "desk", "--role", "member-admin").stderr

    process = subprocess.Popen(
        [sys.executable, "-m", "consortium", "run", "--port", "0", "--json"],
        env={**os.environ, **environment(tmp_path)},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        address = None
        for line in process.stdout:
            if line.startswith('{"api"'):
                address = json.loads(line)["api"]
                break
        assert address is not None
        assert requests.get(f"{address}/search", params={"q": "Book"}, timeout=30).json()["total"] == 5
        library = {"X-Api-Key": key["key"]}
        body = {"reader_id": "alice", "member": "riverside"}
        assert requests.post(f"{address}/readers", json=body, headers=library, timeout=30).status_code == 201
        alice = {"Authorization": f"Bearer {token}"}
        assert requests.get(f"{address}/readers/alice/export", headers=alice, timeout=30).status_code == 200
        assert requests.get(f"{address}/readers/alice/export", headers=library, timeout=30).status_code == 401
        revoked = cli(tmp_path, "members", "key", "revoke", "riverside", key["key_id"])
        assert revoked.returncode == 0, revoked.stderr
        assert requests.get(f"{address}/members/riverside/keys", headers=library, timeout=30).status_code == 401
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
