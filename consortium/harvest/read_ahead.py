"""Reading ahead: while the harvest stores a page, the next one is fetched and parsed in a thread.

A server's next page is asked for as soon as the one before is handed over, so the wait for the server, the
transfer and the XML parse (which lxml does without the GIL) overlap with normalizing and storing the page
before. Only reading moves to the thread: pages are handed over in order, one at a time, and everything that
commits (records, checkpoints, clustering) stays in the caller's thread, so resuming works as before: a page
read ahead but not committed when a run dies is read again by the next run, from the last committed checkpoint.

An error reading a page (the server failing, a bad token) is raised when that page is asked for, after the pages
before it were handed over, as without reading ahead. At most ``depth`` pages are read ahead of the one the
caller holds, and nothing more is read once the caller stops. A caller asked to stop (``should_stop``) does not
wait for a page still being read (a slow server, a retry's backoff): :class:`~consortium.errors.Interrupted` is
raised where the page was asked for, and the read under way is abandoned.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import TYPE_CHECKING, TypeVar

from consortium.errors import Interrupted

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterator

__all__ = ["read_ahead"]

T = TypeVar("T")
log = logging.getLogger(__name__)

_END = object()
"""What the reading thread queues after the last item."""
STOP_POLL = 0.1
"""How often a caller waiting for an item looks whether it was asked to stop (seconds)."""


def _close(items: Iterator[object]) -> None:
    close = getattr(items, "close", None)
    try:
        if close is not None:
            close()
    except Exception:  # the reading was abandoned: a failure to close it must not hide why
        log.warning("closing a page reader read ahead failed", exc_info=True)


def read_ahead(items: Iterator[T], *, depth: int = 1, should_stop: Callable[[], bool] | None = None) -> Generator[T]:
    """The items of ``items`` in order, read in a thread up to ``depth`` items ahead of the one the caller
    handles; :class:`~consortium.errors.Interrupted` instead of the next item once ``should_stop()`` is true.

    ``items`` is advanced from the thread only, one ``next`` at a time, so it need not be thread-safe, only
    usable from another thread than the one that made it. Closing the returned generator stops reading:
    ``items`` is closed once the read under way, if any, has ended, and whatever was read ahead is dropped.

    Example
    -------
    >>> for page in read_ahead(client.list_records("marc21")):
    ...     store(page)  # the next page is fetched meanwhile
    """
    if depth < 1:
        raise ValueError("read_ahead needs a depth of 1 or more")
    ready: queue.SimpleQueue[tuple[object, BaseException | None]] = queue.SimpleQueue()
    room = threading.Semaphore(depth)  # a permit for each item that may be read before the caller takes it
    stop = threading.Event()

    def run() -> None:
        try:
            while True:
                room.acquire()
                if stop.is_set():
                    return
                try:
                    item = next(items)
                except StopIteration:
                    ready.put((_END, None))
                    return
                ready.put((item, None))
        except BaseException as exc:  # handed to the caller's thread, raised there
            ready.put((_END, exc))
        finally:
            _close(items)

    threading.Thread(target=run, name="harvest-read-ahead", daemon=True).start()
    try:
        while True:
            item, error = _next(ready, should_stop)
            if error is not None:
                raise error
            if item is _END:
                return
            room.release()  # the caller takes this one: the thread may read one more
            yield item  # type: ignore[misc]  # anything but _END is an item of ``items``
    finally:
        stop.set()
        room.release()  # wakes the thread if it waits for room; it then stops


def _next(
    ready: queue.SimpleQueue[tuple[object, BaseException | None]], should_stop: Callable[[], bool] | None
) -> tuple[object, BaseException | None]:
    """The next item the thread read, waiting for it; :class:`Interrupted` once ``should_stop()`` is true."""
    if should_stop is None:
        return ready.get()
    while True:
        if should_stop():
            raise Interrupted("asked to stop while the next page was being read")
        try:
            return ready.get(timeout=STOP_POLL)
        except queue.Empty:
            continue
