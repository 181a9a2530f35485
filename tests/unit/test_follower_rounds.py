"""The follower process's loop (run here in a thread, on a pipe): each round's index commit runs beside the next
round's clustering, and is answered once it has ended; a commit that fails is answered at once, even while the
loop waits for the next batch, so the harvest never waits for an answer that cannot come."""

from __future__ import annotations

import multiprocessing
import queue
import threading
from typing import Any

import pytest
from factories import make_cluster

from consortium.adapters.local import TantivySearchIndex
from consortium.bootstrap.follower import BATCH, _follow
from consortium.dedup.service import ClusterUpdate
from consortium.errors import StorageError
from consortium.harvest.state import RecordChange


class Clustering:
    """A catalogue whose clustering of each round makes one cluster per change, and notes the index's count
    when each round's clustering begins."""

    def __init__(self, index: TantivySearchIndex) -> None:
        self.index = index
        self.rounds: list[int] = []

    def cluster(self, changes: list[RecordChange]) -> ClusterUpdate:
        self.rounds.append(len(changes))
        return ClusterUpdate(saved=[make_cluster(c.local_id, f"Title {c.local_id}", ["hill"]) for c in changes])


def batch(*ids: str) -> bytes:
    return BATCH.dump_json([RecordChange(member="hill", local_id=i) for i in ids])


def run(catalogue: Any, inbox: queue.SimpleQueue[bytes]) -> tuple[threading.Thread, Any, list[BaseException]]:
    ours, theirs = multiprocessing.Pipe()
    raised: list[BaseException] = []

    def loop() -> None:
        try:
            with catalogue.index.writing():
                _follow(catalogue, inbox, theirs)
        except BaseException as exc:  # handed to the test
            raised.append(exc)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return thread, ours, raised


def test_each_round_is_answered_once_committed_and_indexed() -> None:
    index = TantivySearchIndex(None)
    catalogue = Clustering(index)
    inbox: queue.SimpleQueue[bytes] = queue.SimpleQueue()
    inbox.put(batch("a", "b"))
    thread, pipe, raised = run(catalogue, inbox)
    assert pipe.poll(30) and pipe.recv() == 1
    assert index.count() == 2  # answered once indexed
    inbox.put(batch("c"))
    inbox.put(batch("d", "e"))
    inbox.put(b"")
    answers = [pipe.recv()]
    while answers[-1] != 3:
        answers.append(pipe.recv())
    thread.join(30)
    assert not raised
    assert answers[-1] == 3 and index.count() == 5
    assert sum(catalogue.rounds) == 5


def test_a_failed_commit_is_answered_while_the_loop_waits_for_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    index = TantivySearchIndex(None)

    def failing() -> None:
        raise StorageError("writing the search index failed: disk full")

    monkeypatch.setattr(index, "commit_staged", failing)
    inbox: queue.SimpleQueue[bytes] = queue.SimpleQueue()
    inbox.put(batch("a"))
    thread, pipe, raised = run(Clustering(index), inbox)
    assert pipe.poll(30), "the failed commit was not answered"
    assert pipe.recv() == "StorageError: writing the search index failed: disk full"
    inbox.put(b"")  # the harvest, told, closes the follower
    thread.join(30)
    assert not thread.is_alive()
    assert [type(exc) for exc in raised] == [StorageError]
    assert index.count() == 0
