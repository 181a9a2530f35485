"""Two writers in one data folder, and a writer that dies between committing a page and indexing it: the second
writer waits, the counts are true, and the index never misses a committed record."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import TYPE_CHECKING

from fault_table import Outcome, record
from hub_cli import cli, environment, write_books

from consortium.adapters.local.writer_lock import DataFolderLock
from consortium.bootstrap import bootstrap
from consortium.config import Settings
from consortium.harvest.service import HarvestService, import_source
from consortium.members import SourceFormat
from consortium.search.query import SearchQuery

if TYPE_CHECKING:
    from pathlib import Path

    from consortium.harvest.state import RecordChange

REGISTRY = '[[members]]\nid = "riverside"\nname = "Riverside"\n'


def _search_total(tmp_path: Path) -> int:
    result = cli(tmp_path, "search", "--json")
    assert result.returncode == 0, result.stderr
    return int(json.loads(result.stdout)["total"])


def test_two_writers_wait_for_each_other_and_count_truly(tmp_path: Path) -> None:
    (tmp_path / "members.toml").write_text(REGISTRY, encoding="utf-8")
    write_books(tmp_path / "a.mrc", "a", 3000)
    write_books(tmp_path / "b.mrc", "b", 2000)
    files = ["a.mrc", "a.mrc", "b.mrc"]  # the same file twice, and another file, all at once
    holder = DataFolderLock(tmp_path / "var" / "writer.lock")
    with holder:  # every import starts while another process writes
        processes, errors = [], []
        for number, name in enumerate(files):
            err = (tmp_path / f"err{number}.txt").open("w")
            errors.append(err)
            command = ["import", str(tmp_path / name), "--member", "riverside", "--format", "marc21", "--json"]
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "consortium", *command],
                    stdout=subprocess.PIPE,
                    stderr=err,
                    text=True,
                    env=environment(tmp_path),
                )
            )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not all(
            "waiting" in (tmp_path / f"err{n}.txt").read_text() for n in range(len(files))
        ):
            time.sleep(0.2)
    reports = [json.loads(p.communicate(timeout=300)[0]) for p in processes]
    for err in errors:
        err.close()
    assert [p.returncode for p in processes] == [0, 0, 0]
    for number in range(len(files)):
        assert f"waiting: another process (pid {os.getpid()}" in (tmp_path / f"err{number}.txt").read_text()
    same = sorted((r["added"], r["unchanged"]) for r in reports[:2])
    assert same == [(0, 3000), (3000, 0)]  # the second import of a.mrc finds every record already there
    assert reports[2]["added"] == 2000
    stored = sum(r["added"] for r in reports)
    found = _search_total(tmp_path)
    assert stored == found == 5000
    record(
        Outcome("three imports at once (a.mrc twice, b.mrc)", 5000, found, 5000 - found, 0, "serialized, true counts")
    )


class Killed(BaseException):
    """The process dies (a BaseException, as SIGKILL would leave nothing to catch)."""


def test_a_writer_killed_between_commit_and_index_is_caught_up_at_the_next_start(tmp_path: Path) -> None:
    (tmp_path / "members.toml").write_text(REGISTRY, encoding="utf-8")
    write_books(tmp_path / "books.mrc", "k", 1000)
    settings = Settings(data_dir=tmp_path / "var", members_file=tmp_path / "members.toml")
    hub = bootstrap(settings)
    follows = 0

    def follow_then_die(changes: list[RecordChange]) -> None:
        nonlocal follows
        follows += 1
        if follows == 3:
            raise Killed  # page 3 is committed, and the process dies before indexing it
        hub.catalogue.follow(changes)

    dying = HarvestService(hub.record_store, hub.archive, page_size=100, on_commit=follow_then_die)
    member = hub.registry.get("riverside")
    try:
        dying.harvest_source(member, import_source(tmp_path / "books.mrc", SourceFormat.MARC21))
    except Killed:
        pass
    stored = hub.record_store.count()
    unindexed = stored - hub.search_index.search(SearchQuery()).total
    assert (stored, unindexed) == (300, 100)

    write_books(tmp_path / "other.mrc", "o", 10)  # the next writer to start catches the index up first
    assert (
        cli(tmp_path, "import", str(tmp_path / "other.mrc"), "--member", "riverside", "--format", "marc21").returncode
        == 0
    )
    found = _search_total(tmp_path)
    assert found == 310
    resumed = json.loads(
        cli(
            tmp_path, "import", str(tmp_path / "books.mrc"), "--member", "riverside", "--format", "marc21", "--json"
        ).stdout
    )
    assert (resumed["resumed"], resumed["added"], resumed["complete"]) == (True, 1000, True)
    assert _search_total(tmp_path) == 1010
    record(
        Outcome(
            "killed between store commit and index (page 3 of 10)",
            300,
            found - 10,
            300 - (found - 10),
            0,
            "indexed at next start",
        )
    )
