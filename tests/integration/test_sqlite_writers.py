"""SQLite writers of several threads and processes wait in line (the write gate of
:mod:`consortium.adapters.local.sqlite_gate`) instead of failing with "database is locked" when SQLite's own
wait, its busy timeout, runs out: what the API's worker processes need, all writing readers' events and audit
entries to one profile database."""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING

import pytest

from consortium.adapters.local.sqlite_profiles import SqliteProfileStore
from consortium.errors import StorageError
from consortium.profiles.consent import Purpose
from consortium.profiles.models import AuditEntry

if TYPE_CHECKING:
    from pathlib import Path

T0 = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)
HOLDER = """
import sys, time
from pathlib import Path
from consortium.adapters.local.sqlite_profiles import SqliteProfileStore
store = SqliteProfileStore.open(Path(sys.argv[1]))
with store.transaction():
    store.put("r1", "event", "first", b"first", 1)
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
store.close()
"""


def test_a_writer_waits_in_line_while_another_process_writes(tmp_path: Path) -> None:
    path = tmp_path / "profiles.sqlite3"
    gated = SqliteProfileStore.open(path)
    gated._conn.execute("PRAGMA busy_timeout = 50")  # SQLite alone would give up after 50 ms
    alone = SqliteProfileStore(sqlite3.connect(path, timeout=0.05, isolation_level=None))  # not in line
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(path), "3"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        with pytest.raises(StorageError, match="database is locked"):
            alone.put("r1", "event", "lost", b"lost", 1)
        gated.put("r1", "event", "second", b"second", 1)  # waits for the other process's commit
        assert holder.wait(timeout=60) == 0
    finally:
        holder.kill()
        holder.wait()
    assert [i.item_id for i in gated.items("r1")] == ["first", "second"]
    gated.close()
    alone.close()


def test_threads_with_their_own_connections_all_write(tmp_path: Path) -> None:
    path = tmp_path / "profiles.sqlite3"
    stores = [SqliteProfileStore.open(path) for _ in range(4)]
    for store in stores:
        store._conn.execute("PRAGMA busy_timeout = 50")
    failures: list[Exception] = []

    def write(n: int, store: SqliteProfileStore) -> None:
        for i in range(8):
            entry = AuditEntry(
                reader_id=f"r{n}", actor_id="k", actor_role="member_staff", kind="event", action="write",
                purpose=Purpose.PERSONALIZATION, at=T0,
            )  # fmt: skip
            try:
                with store.transaction():
                    store.put(f"r{n}", "event", f"e{i}", b"x" * 4000, 1)
                    time.sleep(0.06)  # longer than the others' busy timeout: alone, they would give up
                    store.audit(entry)
            except StorageError as exc:
                failures.append(exc)

    threads = [threading.Thread(target=write, args=(n, s)) for n, s in enumerate(stores)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert [len(stores[0].items(f"r{n}")) for n in range(4)] == [8] * 4
    for store in stores:
        store.close()


def test_a_process_with_many_databases_keeps_no_lock_file_open(tmp_path: Path) -> None:
    """A long-lived process (a test session, a hub opening many data folders) would run out of descriptors, and
    waitress's select() fails on one numbered over 1024."""
    from fd_report import open_under

    for n in range(40):
        store = SqliteProfileStore.open(tmp_path / f"db{n}" / "profiles.sqlite3")
        store.put("r1", "event", "e1", b"x", 1)
        assert open_under(tmp_path)  # the check sees a store's files while it is open
        store.close()
    assert open_under(tmp_path) == []
