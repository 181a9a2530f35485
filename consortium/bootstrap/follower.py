"""Clustering and indexing in a second process of the local hub, following a harvest (a
:class:`~consortium.harvest.ports.Follower`).

A harvest of the local hub spends about as much CPU clustering and indexing as fetching, parsing, normalizing and
storing, nearly all of it holding one GIL. :class:`ProcessFollower` puts the second half in a process of its own
(started with ``spawn``: it builds its own container from the settings, with its own SQLite connections and
search index writer), so both halves run at once on two cores. The harvest sends it each batch of committed
changes (the records in hand as JSON, not read back: pydantic writes and reads it a good deal faster than
pickle, 6 and 44 µs a record against 24 and 47); it follows them in order (several waiting batches in one
cluster store transaction and one index commit, with one index writer kept for its whole life) and answers how
many it has done.

It is the only writer of the cluster store and the search index while it runs (the harvest writes neither until
it has stopped). It holds ``follower.lock`` in the data folder for its whole life; a writer starting waits for
that lock before it catches up (:func:`wait_for_followers`), so a follower left behind by a harvest that was
killed never writes beside the next one. It stops at once, whatever it was doing, when the harvest's end of the
pipe closes without saying goodbye (the harvest died, or was asked to stop: :meth:`ProcessFollower.abandon`): an
unfinished cluster transaction or index commit is rolled back, and the harvest's last checkpoint still names every
record it had not confirmed. It ignores SIGINT and SIGTERM (a terminal's Ctrl-C and a service manager's stop reach
every process of the hub): the harvest it follows decides when it stops.
"""

from __future__ import annotations

import atexit
import gc
import logging
import multiprocessing
import os
import queue
import signal
import sys
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter

from consortium.errors import StorageError
from consortium.gc_tuning import fewer_collections
from consortium.harvest.state import RecordChange

if TYPE_CHECKING:
    from collections.abc import Callable
    from multiprocessing.connection import Connection
    from pathlib import Path

    from consortium.adapters.local import TantivySearchIndex
    from consortium.catalogue import Catalogue
    from consortium.config import Settings

__all__ = ["ORPHANED", "ProcessFollower", "lock_path", "wait_for_followers"]

log = logging.getLogger(__name__)

ORPHANED = 75
"""The follower's exit status when the harvest that started it went away without closing it."""
STOPPING = 60.0
"""Seconds :meth:`ProcessFollower.close` waits for the follower to finish what it was handed."""
ABANDONING = 5.0
"""Seconds :meth:`ProcessFollower.abandon` waits for the follower to exit before killing it."""
BATCH = TypeAdapter(list[RecordChange])
"""A batch as it goes through the pipe: a JSON array of changes (empty bytes say goodbye)."""


def lock_path(data_dir: Path) -> Path:
    """The lock a follower holds while it lives."""
    return data_dir / "follower.lock"


def wait_for_followers(data_dir: Path, should_stop: Callable[[], bool] | None = None) -> None:
    """Wait until no follower process of this data folder is alive (one a killed harvest left may still be
    finishing a batch); call it holding the data folder's writer lock, before catching up. ``should_stop``: as
    :class:`~consortium.adapters.local.writer_lock.DataFolderLock`'s."""
    from consortium.adapters.local.writer_lock import DataFolderLock

    def waiting(holder: str) -> None:
        log.info("waiting for a follower process (%s) to stop", holder)

    with DataFolderLock(lock_path(data_dir), on_wait=waiting, should_stop=should_stop):
        pass


class ProcessFollower:
    """A follower process for the local hub with these settings, started at once.

    Example
    -------
    >>> follower = ProcessFollower(settings)
    >>> follower.hand(changes)
    >>> follower.followed(wait=True)
    1
    >>> follower.close()
    'exit status 0'
    """

    def __init__(self, settings: Settings) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, theirs = context.Pipe()
        self._process = context.Process(
            target=follow_in_this_process, args=(settings, theirs), name="consortium-follower", daemon=True
        )
        self._process.start()
        theirs.close()
        # A hub leaving without closing it (an error on the way out) closes the pipe as it exits, before
        # multiprocessing joins its children: the follower, which ignores SIGTERM, then stops by itself.
        atexit.register(self._conn.close)
        self._done = 0
        self._failed: str | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def hand(self, changes: list[RecordChange]) -> None:
        if self._failed is not None:
            raise StorageError(self._failed)
        try:
            self._conn.send_bytes(BATCH.dump_json(changes))
        except (OSError, ValueError) as exc:
            raise self._stopped() from exc

    def followed(self, *, wait: bool = False) -> int:
        if self._failed is not None:
            raise StorageError(self._failed)
        try:
            while wait or self._conn.poll():
                self._answer(self._conn.recv())
                wait = False
        except (EOFError, OSError) as exc:
            raise self._stopped() from exc
        return self._done

    def close(self) -> str:
        """Say goodbye and wait for the follower to finish and exit (stopping it after :data:`STOPPING` s)."""
        if self._process.exitcode is None:
            try:
                self._conn.send_bytes(b"")
            except (OSError, ValueError):
                pass
            self._process.join(STOPPING)
            if self._process.exitcode is None:
                self._process.kill()  # it ignores SIGTERM (see follow_in_this_process)
                self._process.join()
        self._conn.close()
        atexit.unregister(self._conn.close)
        return self._failed or f"exit status {self._process.exitcode}"

    def abandon(self) -> str:
        """Stop the follower at once (the harvest was asked to stop): close the pipe without goodbye, so it exits
        whatever it was doing (an unfinished round rolls back; the harvest's checkpoint names it), and wait for it
        (killing it after :data:`ABANDONING` s)."""
        self._conn.close()
        atexit.unregister(self._conn.close)
        self._process.join(ABANDONING)
        if self._process.exitcode is None:
            self._process.kill()
            self._process.join()
        return self._failed or f"exit status {self._process.exitcode}"

    def _answer(self, message: Any) -> None:
        if isinstance(message, int):
            self._done = message
            return
        self._failed = f"clustering and indexing failed in the follower process: {message}"
        raise StorageError(self._failed)

    def _stopped(self) -> StorageError:
        self._process.join(5)
        self._failed = f"the follower process stopped (exit status {self._process.exitcode})"
        return StorageError(self._failed)


def follow_in_this_process(settings: Settings, conn: Connection) -> None:
    """The follower process: take batches from ``conn`` and follow them, answering how many are done, until
    goodbye (empty bytes) comes; exit at once (:data:`ORPHANED`) if the pipe closes first."""
    from consortium.adapters.local.writer_lock import DataFolderLock
    from consortium.bootstrap import Container

    # Ctrl-C reaches the harvest too, and so does SIGTERM when a service manager signals every process of the hub
    # (systemd's control group): the harvest says when to stop (goodbye, or its end of the pipe closing).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    sys.argv[1:] = ["follower", f"(of pid {os.getppid()})"]  # what its lock says to a writer waiting for it
    logging.basicConfig(level=logging.WARNING, format="follower: %(levelname)s %(name)s: %(message)s")
    inbox: queue.SimpleQueue[bytes] = queue.SimpleQueue()

    def receive() -> None:
        while True:
            try:
                message = conn.recv_bytes()
            except (EOFError, OSError):
                os._exit(ORPHANED)  # the harvest died: stop now (what is not committed rolls back)
            inbox.put(message)
            if not message:
                return

    with DataFolderLock(lock_path(settings.data_dir)), fewer_collections():  # as the harvest it follows
        threading.Thread(target=receive, name="follower-inbox", daemon=True).start()
        catalogue = Container(settings).catalogue
        gc.freeze()  # what starting made stays: the collector need not walk it again
        try:
            with _one_writer(catalogue):
                _follow(catalogue, inbox, conn)
        except Exception as exc:
            conn.send(f"{type(exc).__name__}: {exc}")
            return
    conn.close()


def _one_writer(catalogue: Catalogue) -> AbstractContextManager[None]:
    """The embedded search index's writer, held for the follower's life (see
    :meth:`~consortium.adapters.local.TantivySearchIndex.writing`); nothing to hold for another index."""
    index = _staging_index(catalogue)
    return index.writing() if index is not None else nullcontext()


def _staging_index(catalogue: Catalogue) -> TantivySearchIndex | None:
    from consortium.adapters.local import TantivySearchIndex

    return catalogue.index if isinstance(catalogue.index, TantivySearchIndex) else None


def _follow(catalogue: Catalogue, inbox: queue.SimpleQueue[bytes], conn: Connection) -> None:
    """Follow the batches coming to ``inbox`` (all those waiting at once) until goodbye, answering on ``conn``
    after each round how many batches are done.

    A round's index commit runs in a thread while the next round is clustered: tantivy lets go of the GIL while
    it commits, so the clustering goes on instead of waiting for it (about a tenth of the follower's time). The
    thread answers once the commit has ended (a batch is done when its clusters are stored and indexed); the next
    round stages its documents only after it (one commit at a time, in order)."""
    index = _staging_index(catalogue)
    answers = threading.Lock()
    """Held for each answer: the commit thread's and this thread's never interleave on the pipe."""
    done, ending = 0, False
    committing: Future[None] | None = None
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="follower-commit") as committer:
        while not ending:
            messages = [inbox.get()]
            while not inbox.empty():
                messages.append(inbox.get())
            ending = not messages[-1]
            batches = [BATCH.validate_json(message) for message in messages if message]
            changes = [change for batch in batches for change in batch]
            done += len(batches)
            if index is None:
                if changes:
                    catalogue.follow(changes)
                conn.send(done)
                continue
            update = catalogue.cluster(changes) if changes else None
            if committing is not None:
                committing.result()  # the last round's commit has ended (answered), or its error is raised here
            if update is not None:
                index.stage(update.saved, update.deleted)
            committing = committer.submit(_commit, index, conn, answers, done)
        if committing is not None:
            committing.result()


def _commit(index: TantivySearchIndex, conn: Connection, answers: threading.Lock, done: int) -> None:
    """Commit the staged round and answer how many batches are done (or the error: the harvest then stops
    waiting for this process and follows what it had not confirmed itself)."""
    try:
        index.commit_staged()
    except Exception as exc:
        with answers:
            conn.send(f"{type(exc).__name__}: {exc}")
        raise
    with answers:
        conn.send(done)
