"""One writer at a time on a SQLite file, waiting in line rather than polling.

SQLite lets one connection write at a time. A connection that finds the write lock taken waits its busy timeout
(5 s): it sleeps and tries again, sleeping longer each time (up to 100 ms a try), then fails with "database is
locked". With the API served by several processes, each with several threads, readers' events and audited reads
all write to the profile database: under the load bench, writers slept hundreds of milliseconds each for a lock
held a millisecond at a time, and some failed after 5 s.

A :class:`WriteGate` puts them in line: a lock of this process (its threads) and then an exclusive ``flock`` on a
file beside the database (``<name>-writer.lock``; every process), taken before ``BEGIN IMMEDIATE`` and let go after
the commit. A writer waiting for the gate waits in the kernel and goes on the moment the last one is done; the
kernel lets go of a process's ``flock`` when the process ends, however it ends. Readers never take it (WAL mode:
they do not wait for writers).
"""

from __future__ import annotations

import fcntl
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING

from consortium.errors import StorageError

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path
    from typing import IO

__all__ = ["WAIT_LIMIT", "WriteGate", "write_gate"]

WAIT_LIMIT = 30.0
"""How long a writer waits for another thread of its process to finish writing before it gives up (seconds)."""

_gates: dict[Path, WriteGate] = {}
_gates_lock = threading.Lock()


def write_gate(database: Path) -> WriteGate:
    """The gate of the database file ``database``, one per file in this process."""
    key = database.resolve()
    with _gates_lock:
        gate = _gates.get(key)
        if gate is None:
            gate = _gates[key] = WriteGate(key.with_name(key.name + "-writer.lock"))
        return gate


class WriteGate:
    """One writer at a time on a database, across this process's threads and every process (see the module).

    Parameters
    ----------
    path
        The lock file (created if absent).

    Example
    -------
    >>> with write_gate(data_dir / "profiles.sqlite3").held("profile database"):
    ...     conn.execute("BEGIN IMMEDIATE")
    ...     ...
    ...     conn.commit()
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._depth = 0
        self._file: IO[bytes] | None = None

    @contextmanager
    def held(self, what: str) -> Iterator[None]:
        """Hold the gate inside the block (a block inside another of the same thread holds it already);
        :class:`StorageError` naming ``what`` when another thread of this process keeps it over
        :data:`WAIT_LIMIT` seconds, or the lock file cannot be opened."""
        if not self._lock.acquire(timeout=WAIT_LIMIT):
            raise StorageError(f"{what}: another writer of this process held the database over {WAIT_LIMIT:.0f} s")
        try:
            if self._depth == 0:
                file = self._open(what)  # open while held only: a process with many databases keeps no file open
                try:
                    fcntl.flock(file.fileno(), fcntl.LOCK_EX)  # waits in the kernel, without the interpreter lock
                except BaseException:
                    file.close()
                    raise
                self._file = file
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0 and self._file is not None:
                    self._file.close()  # lets go of the flock
                    self._file = None
        finally:
            self._lock.release()

    def _open(self, what: str) -> IO[bytes]:
        try:
            return self.path.open("ab")
        except OSError as exc:
            raise StorageError(f"{what}: cannot open the write lock {self.path}: {exc.strerror}") from exc
