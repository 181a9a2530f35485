"""Reading one page ahead: while the harvest stores a page, the next one is fetched and parsed in a thread.

A server's next page is asked for as soon as a page is handed over, so the wait for the server, the transfer
and the XML parse (which lxml does without the GIL) overlap with normalizing and storing the page before. Only
reading moves to the thread: pages are handed over in order, one at a time, and everything that commits
(records, checkpoints, clustering) stays in the caller's thread, so resuming works as before: a page read ahead
but not committed when a run dies is simply read again by the next run, from the last committed checkpoint.

An error reading a page (the server failing, a bad token) is raised when that page is asked for, after the pages
before it were handed over, as without reading ahead. At most one page is read ahead, and nothing is read once
the caller stops.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from collections.abc import Generator, Iterator

__all__ = ["read_ahead"]

T = TypeVar("T")
log = logging.getLogger(__name__)


class _Next(Generic[T]):
    """``next(items)`` running in a daemon thread: its item, its end, or its error, when :meth:`result` asks."""

    def __init__(self, items: Iterator[T]) -> None:
        self._items = items
        self._lock = threading.Lock()
        self._item: list[T] = []
        self._error: BaseException | None = None
        self._done = False
        self._abandoned = False
        self._thread = threading.Thread(target=self._run, name="harvest-read-ahead", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._item = [next(self._items)]
        except StopIteration:
            pass
        except BaseException as exc:  # handed to the caller's thread, raised there
            self._error = exc
        with self._lock:
            self._done = True
            if self._abandoned:
                _close(self._items)

    def result(self) -> list[T]:
        """Wait for the item: ``[item]``, or ``[]`` at the end; the reading error raises."""
        self._thread.join()
        if self._error is not None:
            error, self._error = self._error, None  # the traceback holds frames: drop it once raised
            raise error
        return self._item

    def abandon(self) -> None:
        """The caller stopped: close the iterator now if nothing reads it, else once the read under way ends (its
        item or error is dropped)."""
        with self._lock:
            self._abandoned = True
            if self._done:
                _close(self._items)


def _close(items: Iterator[object]) -> None:
    close = getattr(items, "close", None)
    try:
        if close is not None:
            close()
    except Exception:  # the reading was abandoned: a failure to close it must not hide why
        log.warning("closing a page reader read ahead failed", exc_info=True)


def read_ahead(items: Iterator[T]) -> Generator[T]:
    """The items of ``items`` in order, the next one read in a thread while the caller handles the one before.

    ``items`` is advanced from a worker thread, one ``next`` at a time (never two at once), so it need not be
    thread-safe, only usable from another thread than the one that made it. Closing the returned generator
    stops reading: ``items`` is closed once the read under way, if any, has ended.

    Example
    -------
    >>> for page in read_ahead(client.list_records("marc21")):
    ...     store(page)  # the next page is fetched meanwhile
    """
    pending = _Next(items)
    try:
        while True:
            got = pending.result()
            if not got:
                return
            pending = _Next(items)
            yield got[0]
    finally:
        pending.abandon()
