"""``consortium run`` (and ``consortium harvest``) asked to stop (SIGTERM, as systemd or Docker do; SIGINT,
Ctrl-C) while a harvest is under way, of a slow OAI-PMH server on 127.0.0.1 (oai-repo) that holds its next page:
the hub exits 0 within a bound (not waiting for the page; the one-shot command 130), keeping every page it
committed; the run is recorded interrupted; the next start resumes after the last page. Once while harvesting at
start, once while serving (a harvest a member asked for through the API, run by the hub's harvest thread, two API
worker processes).

The timeouts are bounds on hanging, not speed checks: the hub used to wait for the held page (or never stopped)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
import requests
from oai_server import FixtureRepository, OaiTestServer, marcxml_record

from consortium.adapters.local import SqliteRecordStore
from consortium.adapters.local.sqlite_runs import SqliteHarvestRunStore
from consortium.adapters.local.writer_lock import DataFolderLock

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

STOPPED_WITHIN = 20.0
"""Seconds a stopping hub may take before the test calls it hung (it takes about a second; the held page, 60)."""
WAIT = 120.0
"""Seconds to wait for a harvest to reach a page, on a loaded machine."""
PAGE = 5
T0 = datetime(2026, 1, 1, 9, tzinfo=UTC)


def add_records(repo: FixtureRepository, first: int, count: int) -> None:
    for n in range(first, first + count):
        identifier = f"oai:river:{n:03}"
        record = marcxml_record(identifier, f"Slow river book {n}", f"Author {n}, A.", None, 2000 + n % 20)
        repo.add(identifier, T0 + timedelta(hours=n), marcxml=record)


def environment(folder: Path) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("CONSORTIUM_")},
        "CONSORTIUM_DATA_DIR": str(folder / "var"),
        "CONSORTIUM_KEY_DIR": str(folder / "keys"),
        "CONSORTIUM_MEMBERS_FILE": str(folder / "members.toml"),
    }


def registry(folder: Path, url: str) -> None:
    (folder / "members.toml").write_text(
        '[[members]]\nid = "riverside"\nname = "Riverside"\n\n'
        f'[[members.sources]]\nid = "oai"\nprotocol = "oai-pmh"\nurl = "{url}"\nformat = "marcxml"\n',
        encoding="utf-8",
    )


def started(folder: Path, *args: str) -> subprocess.Popen[str]:
    """``consortium ARGS`` started over the data folder of ``folder``, its output read through pipes."""
    return subprocess.Popen(
        [sys.executable, "-m", "consortium", *args],
        env=environment(folder),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def hub(folder: Path, *args: str) -> subprocess.Popen[str]:
    return started(folder, "run", "--json", "--port", "0", *args)


def cli(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "consortium", *args],
        env=environment(folder),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@contextmanager
def reaped(process: subprocess.Popen[str]) -> Iterator[subprocess.Popen[str]]:
    """``process`` for the block; killed (and waited for) after it, if a failed check left it running."""
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def wait_for_records(folder: Path, count: int, process: subprocess.Popen[str]) -> None:
    """Until the store holds ``count`` records of the member (pages committed), or fail."""
    database = folder / "var" / "consortium.sqlite3"
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline and process.poll() is None:
        if database.exists() and SqliteRecordStore.open(database).count("riverside") >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"the harvest did not commit {count} records (exit status {process.poll()})")


def stopped(process: subprocess.Popen[str], signum: signal.Signals) -> tuple[int, str, str]:
    """Send ``signum`` and wait for the hub to exit: its status, stdout and stderr."""
    process.send_signal(signum)
    try:
        out, err = process.communicate(timeout=STOPPED_WITHIN)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        raise AssertionError(f"the hub had not stopped {STOPPED_WITHIN:.0f} s after {signum.name}:\n{err}") from None
    return process.returncode, out, err


def last_run(folder: Path) -> Any:
    [run] = SqliteHarvestRunStore.open(folder / "var" / "consortium.sqlite3").runs("riverside", limit=1)
    return run


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_while_harvesting_at_start_keeps_the_pages_and_the_next_start_resumes(
    tmp_path: Path, signum: signal.Signals
) -> None:
    repo = FixtureRepository()
    add_records(repo, 0, 6 * PAGE)
    with OaiTestServer(repo, page_size=PAGE) as server:
        registry(tmp_path, server.base_url)
        server.hold_after(2)  # pages 1 and 2 come at once; page 3 is held (a slow server)
        with reaped(hub(tmp_path)) as process:
            wait_for_records(tmp_path, 2 * PAGE, process)
            code, out, err = stopped(process, signum)
        assert code == 0, err
        assert f"stopped on request ({signum.name})" in err
        [run] = json.loads(out)["runs"]  # the summary of what was harvested, and nothing served
        assert (run["interrupted"], run["complete"], run["added"]) == (True, False, 2 * PAGE)
        store = SqliteRecordStore.open(tmp_path / "var" / "consortium.sqlite3")
        assert store.count("riverside") == 2 * PAGE  # every page committed is kept
        checkpoint = store.checkpoint("riverside/oai")
        assert checkpoint is not None and checkpoint.in_progress
        recorded = last_run(tmp_path)
        assert recorded.state == "interrupted" and "stopped on request" in (recorded.error or "")
        assert recorded.sources[0].pages == 2

        server.release()
        again = cli(tmp_path, "run", "--once", "--json")
        assert again.returncode == 0, again.stderr
        [resumed] = json.loads(again.stdout)["runs"]
        assert resumed["resumed"] and resumed["complete"] and not resumed["interrupted"]
        assert SqliteRecordStore.open(tmp_path / "var" / "consortium.sqlite3").count("riverside") == 6 * PAGE
        assert last_run(tmp_path).state == "succeeded"


def test_ctrl_c_during_consortium_harvest_stops_after_the_page_and_the_next_harvest_resumes(tmp_path: Path) -> None:
    """The one-shot command: what it did is reported, exit 130 (not click's "Aborted!" and a traceback-free 1)."""
    repo = FixtureRepository()
    add_records(repo, 0, 6 * PAGE)
    with OaiTestServer(repo, page_size=PAGE) as server:
        registry(tmp_path, server.base_url)
        server.hold_after(2)
        with reaped(started(tmp_path, "harvest", "--json")) as process:
            wait_for_records(tmp_path, 2 * PAGE, process)
            code, out, err = stopped(process, signal.SIGINT)
        assert code == 130, err
        assert "stopped on request (SIGINT)" in err and "Aborted" not in err
        [run] = json.loads(out)["runs"]
        assert (run["interrupted"], run["complete"], run["added"]) == (True, False, 2 * PAGE)
        recorded = last_run(tmp_path)
        assert recorded.state == "interrupted" and recorded.error_code == "interrupted"

        server.release()
        again = cli(tmp_path, "harvest", "--json")
        assert again.returncode == 0, again.stderr
        [resumed] = json.loads(again.stdout)["runs"]
        assert resumed["resumed"] and resumed["complete"]
        assert SqliteRecordStore.open(tmp_path / "var" / "consortium.sqlite3").count("riverside") == 6 * PAGE


def test_ctrl_c_while_serving_stops_a_harvest_a_member_asked_for_and_every_worker(tmp_path: Path) -> None:
    repo = FixtureRepository()
    add_records(repo, 0, 2 * PAGE)
    with OaiTestServer(repo, page_size=PAGE) as server:
        registry(tmp_path, server.base_url)
        made = cli(tmp_path, "members", "key", "create", "riverside", "--label", "ILS", "--json")
        assert made.returncode == 0, made.stderr
        key = {"X-Api-Key": json.loads(made.stdout)["key"]}
        with reaped(hub(tmp_path, "--workers", "2")) as process:
            assert process.stdout is not None
            started: dict[str, Any] = {}
            for line in process.stdout:
                if line.startswith('{"api"'):
                    started = json.loads(line)
                    break
            assert started, "the hub did not start serving"
            add_records(repo, 2 * PAGE, 4 * PAGE)  # new records since the first harvest
            server.hold_after(2)
            asked = requests.post(f"{started['api']}/members/riverside/harvests", json={}, headers=key, timeout=30)
            assert asked.status_code == 202, asked.text
            run_url = f"{started['api']}/members/riverside/harvests/{asked.json()['run_id']}"
            deadline = time.monotonic() + WAIT
            while time.monotonic() < deadline and requests.get(run_url, headers=key, timeout=30).json()["pages"] < 2:
                time.sleep(0.05)  # the member follows its run: two pages committed, the third held
            kept = SqliteRecordStore.open(tmp_path / "var" / "consortium.sqlite3").count("riverside")
            code, _, err = stopped(process, signal.SIGINT)
        assert code == 0, err
        assert not any(_alive(pid) for pid in started["workers"])
        recorded = last_run(tmp_path)
        assert recorded.run_id == asked.json()["run_id"] and recorded.trigger == "api"
        assert recorded.state == "interrupted" and recorded.sources[0].pages == 2
        assert kept > 2 * PAGE  # the first harvest's, and the run's two pages
        assert SqliteRecordStore.open(tmp_path / "var" / "consortium.sqlite3").count("riverside") == kept


def test_a_stop_while_the_workers_start_is_a_stop_not_a_failure(tmp_path: Path) -> None:
    repo = FixtureRepository()
    add_records(repo, 0, PAGE)
    with OaiTestServer(repo, page_size=PAGE) as server:
        registry(tmp_path, server.base_url)
        with reaped(hub(tmp_path, "--workers", "2")) as process:
            assert process.stdout is not None
            for line in process.stdout:
                if line == "}\n":  # the end of the summary: the API workers start now (a second or two)
                    break
            code, _, err = stopped(process, signal.SIGTERM)
    assert code == 0, err
    assert "Error" not in err and "stopped on request (SIGTERM)" in err


def test_a_stop_while_waiting_for_another_writer_of_the_data_folder_ends_the_wait(tmp_path: Path) -> None:
    registry(tmp_path, "http://127.0.0.1:9/oai")  # never reached: the hub stops before harvesting
    with DataFolderLock(tmp_path / "var" / "writer.lock"):  # another process is writing (a long import, say)
        with reaped(hub(tmp_path)) as process:
            assert process.stderr is not None
            waiting = process.stderr.readline()  # the hub says it waits, and for whom
            assert waiting.startswith(f"waiting: another process (pid {os.getpid()}"), waiting
            code, out, err = stopped(process, signal.SIGTERM)
    assert code == 0, err
    assert out == "" and "stopped on request (SIGTERM)" in err  # nothing begun: no summary


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
