"""The collector settings for bulk work are restored after it, never undo a freeze made by someone else, and a
worker's pause in collecting ends with one pass."""

from __future__ import annotations

import gc

from consortium.gc_tuning import collected_after, fewer_collections, frozen_heap


def test_frozen_heap_freezes_what_is_alive_then_unfreezes() -> None:
    gc.unfreeze()  # a clean start (freezing only changes when the collector looks, never what it collects)
    alive = [object() for _ in range(10)]
    with frozen_heap():
        assert gc.get_freeze_count() > 0
        made_inside = [[] for _ in range(10)]
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0
    assert len(alive) == len(made_inside) == 10


def test_frozen_heap_leaves_a_freeze_made_before_it() -> None:
    gc.freeze()
    try:
        before = gc.get_freeze_count()
        made_since = [[] for _ in range(10_000)]  # what a second freeze would add to the frozen ones
        with frozen_heap():
            # not frozen again (a frozen object freed meanwhile, by another thread, may lower the count)
            assert 0 < gc.get_freeze_count() <= before
        assert 0 < gc.get_freeze_count() <= before  # and not undone
        assert len(made_since) == 10_000
    finally:
        gc.unfreeze()


def test_frozen_heap_unfreezes_when_the_block_raises() -> None:
    gc.unfreeze()
    try:
        with frozen_heap():
            raise RuntimeError("planning failed")
    except RuntimeError:
        pass
    assert gc.get_freeze_count() == 0


def test_fewer_collections_restores_the_thresholds() -> None:
    before = gc.get_threshold()
    with fewer_collections():
        assert gc.get_threshold()[0] >= before[0]
    assert gc.get_threshold() == before


def test_collected_after_turns_the_collector_off_then_frees_the_cycles_left() -> None:
    assert gc.isenabled()

    class Node:
        def __init__(self) -> None:
            self.me = self

    collected: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "stop":
            collected.append(info["collected"])

    gc.callbacks.append(count)
    try:
        with collected_after():
            assert not gc.isenabled()
            for _ in range(100_000):  # far past any threshold: no pass while off
                Node()
            assert collected == []
        assert gc.isenabled()
        assert sum(collected) >= 100_000  # the one pass after found the cycles
    finally:
        gc.callbacks.remove(count)


def test_collected_after_leaves_a_collector_turned_off_before_it() -> None:
    gc.disable()
    try:
        with collected_after():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
