"""Running Python's cyclic garbage collector less often during bulk work."""

from __future__ import annotations

import gc
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["collected_after", "fewer_collections", "frozen_heap"]

_GC_THRESHOLD = (50_000, 50, 1000)
"""The cyclic collector's thresholds during bulk work (Python's default is (700, 10, 10))."""


class _GcSetting:
    """The collector's thresholds as they were before the first harvest under way, and how many are."""

    lock = threading.Lock()
    users = 0
    saved: tuple[int, int, int] | None = None


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Run the cyclic garbage collector less often, restoring its thresholds after.

    A harvest or a bulk clustering makes millions of short-lived objects, nearly all freed by reference
    counting; at the default thresholds the collector runs thousands of times over the ones still alive (a
    page's records waiting for their commit, a collection's match views) and finds little: a tenth to a third of
    the time. Callers running at once share one setting: the first sets it and the last restores what it found.
    """
    state = _GcSetting
    with state.lock:
        if state.users == 0:
            state.saved = gc.get_threshold()
            if state.saved[0] != 0:  # a threshold of 0 turns automatic collection off: left so
                gc.set_threshold(*(max(now, more) for now, more in zip(state.saved, _GC_THRESHOLD, strict=True)))
        state.users += 1
    try:
        yield
    finally:
        with state.lock:
            state.users -= 1
            if state.users == 0 and state.saved is not None:
                gc.set_threshold(*state.saved)
                state.saved = None


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Leave the objects alive now out of the cyclic collector's passes until the block ends (:func:`gc.freeze`,
    then :func:`gc.unfreeze`).

    For work that keeps what it makes on top of a large heap that outlives it (a push run keeps a shard's digests
    over its readers, index and evidence): each object kept counts towards a full pass, and a full pass walks the
    whole heap. When objects are frozen already (a follower freezes what starting made, or another block is under
    way), nothing is done: unfreezing at the end would undo theirs. Only the collector's timing changes, never
    what is collected in the end.
    """
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@contextmanager
def collected_after() -> Iterator[None]:
    """No cyclic collection during the block, then one full pass (:func:`gc.disable`, then :func:`gc.enable` and
    :func:`gc.collect`); left as it is when the collector was off already.

    For a worker process that only makes one large result at a time (a bulk clustering's part): even at the
    thresholds of :func:`fewer_collections` the collector walks the part's millions of objects, all still alive,
    again and again, and finds nearly nothing. The pass after frees whatever cycles the block left, so a worker
    making one part after another does not grow. Not for a process where other threads work meanwhile: the
    setting is the whole process's.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()
