"""One writer at a time in a local data folder.

Two processes harvesting or importing into one data folder at once would race: the record store (SQLite)
serializes its transactions, but the search index (tantivy) has one writer lock, and the second process failed on
it after its records were stored. :class:`DataFolderLock` is an exclusive ``flock`` on ``writer.lock`` in the data
folder: the second writer waits for the first (saying so, with the holder's process id and command), then goes
on. The lock is the kernel's: a writer that dies releases it.
"""

from __future__ import annotations

import fcntl
import os
import sys
import time
from typing import TYPE_CHECKING, Self

from consortium.errors import Interrupted, StorageError

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path
    from types import TracebackType
    from typing import IO

__all__ = ["STOP_POLL", "DataFolderLock"]

STOP_POLL = 0.2
"""How often a wait for the lock that may be asked to stop looks whether it was (seconds)."""


class DataFolderLock:
    """An exclusive lock on a data folder's ``writer.lock``, held inside ``with``; re-entering is not supported.

    Parameters
    ----------
    path
        The lock file (created with its folders if absent).
    on_wait
        Called once, with the holder's description (``pid 123: consortium import ...``), when another process
        holds the lock and this one starts waiting for it.
    should_stop
        Whether this process was asked to stop (``consortium run`` on SIGTERM or Ctrl-C): the wait for another
        process then ends with :class:`~consortium.errors.Interrupted` (the lock not taken), looked at every
        :data:`STOP_POLL` seconds; ``None``: wait as long as it takes.

    Example
    -------
    >>> with DataFolderLock(data_dir / "writer.lock", on_wait=print):
    ...     harvester.harvest_source(member, source)
    """

    def __init__(
        self,
        path: Path,
        on_wait: Callable[[str], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> None:
        self.path = path
        self.on_wait = on_wait
        self.should_stop = should_stop
        self._file: IO[str] | None = None

    def __enter__(self) -> Self:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = self.path.open("a+", encoding="utf-8")
        except OSError as exc:
            raise StorageError(f"cannot open the writer lock {self.path}: {exc.strerror}") from exc
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            if self.on_wait is not None:
                self.on_wait(holder)
            self._wait(handle, holder)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}: consortium {' '.join(sys.argv[1:])}".strip())
        handle.flush()
        self._file = handle
        return self

    def _wait(self, handle: IO[str], holder: str) -> None:
        """Take the lock once the holder lets go; with :attr:`should_stop`, give up when it says so."""
        if self.should_stop is None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            return
        while True:
            if self.should_stop():
                handle.close()
                raise Interrupted(f"asked to stop while waiting for another writer of the data folder ({holder})")
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                time.sleep(STOP_POLL)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        handle, self._file = self._file, None
        if handle is None:
            return
        handle.truncate(0)
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        handle.close()
