"""Harvest runs on the local backend: a member's run goes to the hub's worker thread, takes the data folder's
writer lock, and is kept in SQLite, where a restarted hub still finds it; ``consortium harvest`` (another
process) keeps its harvests as runs too."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from test_cli import REGISTRY, cli, write_books

from consortium.adapters.local.writer_lock import DataFolderLock
from consortium.adapters.memory import BackgroundQueue
from consortium.bootstrap import bootstrap
from consortium.config import Settings
from consortium.errors import StorageError
from consortium.harvest.runs import RunState, RunTrigger


def test_a_members_run_goes_in_the_background_and_survives_restart(tmp_path: Path) -> None:
    (tmp_path / "members.toml").write_text(REGISTRY, encoding="utf-8")
    write_books(tmp_path / "books.mrc", 30)
    settings = Settings(data_dir=tmp_path / "var", members_file=tmp_path / "members.toml")
    hub = bootstrap(settings)
    queue = hub.harvest_queue
    assert isinstance(queue, BackgroundQueue)

    with DataFolderLock(settings.data_dir / "writer.lock"):  # another writer at work: the run waits for it
        run = hub.harvest_runs.start("riverside", requested_by="key-1")
        assert run.state is RunState.QUEUED
        time.sleep(0.3)
        assert hub.harvest_runs.get("riverside", run.run_id).state is RunState.QUEUED
    assert queue.join(timeout=60)
    done = hub.harvest_runs.get("riverside", run.run_id)
    assert (done.state, done.counts.added, done.records) == (RunState.SUCCEEDED, 30, 30)

    restarted = bootstrap(settings)
    assert restarted.harvest_runs.runs("riverside").runs == [done]
    assert restarted.record_store.count("riverside") == 30
    assert restarted.search_index.count() > 0  # the worker's harvest was clustered and indexed as it went

    result = cli(tmp_path, "harvest", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["total"]["unchanged"] == 30
    newest = restarted.harvest_runs.runs("riverside").runs[0]
    assert (newest.trigger, newest.state, newest.counts.unchanged) == (RunTrigger.COMMAND, RunState.SUCCEEDED, 30)
    restarted.close()
    hub.close()


def test_an_api_worker_hands_a_members_run_to_the_hubs_process(tmp_path: Path) -> None:
    """Under ``consortium run --workers N`` the API workers queue a member's run in a folder; the hub's process
    (the one that writes the search index) runs it."""
    from consortium.adapters.local.folder_queue import FolderQueue

    (tmp_path / "members.toml").write_text(REGISTRY, encoding="utf-8")
    write_books(tmp_path / "books.mrc", 30)
    handover = tmp_path / "var" / "queue" / "harvest"
    hub_settings = Settings(data_dir=tmp_path / "var", members_file=tmp_path / "members.toml")
    worker = bootstrap(hub_settings.model_copy(update={"harvest_queue_dir": handover}))
    assert isinstance(worker.harvest_queue, FolderQueue)
    run = worker.harvest_runs.start("riverside", requested_by="key-1")
    time.sleep(0.3)
    assert worker.harvest_runs.get("riverside", run.run_id).state is RunState.QUEUED  # the worker runs nothing
    assert worker.record_store.count("riverside") == 0

    hub = bootstrap(hub_settings)
    [message] = FolderQueue(handover).receive()
    hub.run_queued_harvest(message)
    done = worker.harvest_runs.get("riverside", run.run_id)
    assert (done.state, done.counts.added) == (RunState.SUCCEEDED, 30)
    assert worker.search_index.count() > 0  # the hub indexed it; the worker's searches see it
    hub.close()
    worker.close()


def test_a_closed_hub_leaves_no_harvest_worker_and_no_open_file(tmp_path: Path) -> None:
    """Once a member's run went in the background, closing the container stops the worker thread (after the run)
    and closes every file the container and the worker opened under the data folder."""
    import threading

    from fd_report import open_under

    (tmp_path / "members.toml").write_text(REGISTRY, encoding="utf-8")
    write_books(tmp_path / "books.mrc", 10)
    settings = Settings(data_dir=tmp_path / "var", members_file=tmp_path / "members.toml")
    data = str(settings.data_dir.resolve())

    def harvest_workers() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t.name == "consortium-harvest" and t.is_alive()]

    assert harvest_workers() == []
    hub = bootstrap(settings)
    run = hub.harvest_runs.start("riverside", requested_by="key-1")
    queue = hub.harvest_queue
    assert isinstance(queue, BackgroundQueue)
    assert queue.join(timeout=60)
    assert hub.harvest_runs.get("riverside", run.run_id).state is RunState.SUCCEEDED
    assert len(harvest_workers()) == 1  # the worker waits for the next run, holding the hub
    assert open_under(data) != []

    hub.close()
    assert harvest_workers() == []
    assert open_under(data) == []
    with pytest.raises(StorageError, match="closed"):  # the closed hub starts nothing
        hub.harvest_runs.start("riverside", requested_by="key-1")
