"""Reading ahead: pages in order, the next ones read while the caller handles one, never more than the depth
asked, errors where they were, nothing read once the caller stops, and a caller asked to stop not kept waiting by
a page that takes long."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import pytest

from consortium.errors import Interrupted
from consortium.harvest.read_ahead import read_ahead

if TYPE_CHECKING:
    from collections.abc import Iterator

WAIT = 10.0
"""Seconds a test waits for the reading thread before failing (it takes microseconds)."""


class Pages:
    """Pages 1..n (an error instead of page ``fail_at``), noting each read, whether it was closed, and an event set
    as each page is read."""

    def __init__(self, n: int, fail_at: int | None = None) -> None:
        self.n, self.fail_at = n, fail_at
        self.read: list[int] = []
        self.closed = threading.Event()
        self.readers: set[str] = set()
        self.was_read = {page: threading.Event() for page in range(1, n + 2)}

    def __iter__(self) -> Iterator[int]:
        try:
            for page in range(1, self.n + 1):
                self.readers.add(threading.current_thread().name)
                self.read.append(page)
                self.was_read[page].set()
                if page == self.fail_at:
                    raise ValueError(f"page {page} cannot be read")
                yield page
        finally:
            self.closed.set()


def test_pages_come_in_order_read_by_another_thread() -> None:
    pages = Pages(5)
    assert list(read_ahead(iter(pages))) == [1, 2, 3, 4, 5]
    assert pages.read == [1, 2, 3, 4, 5]
    assert pages.readers == {"harvest-read-ahead"}
    assert pages.closed.is_set()


def test_the_next_page_is_read_while_the_caller_holds_one_and_no_further() -> None:
    pages = Pages(5)
    for page in read_ahead(iter(pages)):
        # Handling this page: the next one is read meanwhile (without reading ahead this would time out).
        if page < 5:
            assert pages.was_read[page + 1].wait(WAIT)
        assert pages.read[-1] <= page + 1  # never two ahead
    assert pages.read == [1, 2, 3, 4, 5]


def test_an_error_comes_after_the_pages_before_it() -> None:
    pages = Pages(5, fail_at=3)
    got = []
    with pytest.raises(ValueError, match="page 3 cannot be read"):
        for page in read_ahead(iter(pages)):
            if page == 2:
                assert pages.was_read[3].wait(WAIT)  # read, failed, and not raised yet: page 2 is handled first
            got.append(page)
    assert got == [1, 2]
    assert pages.read == [1, 2, 3]  # nothing after the failure
    assert pages.closed.wait(WAIT)


def test_stopping_early_closes_the_reader_and_reads_nothing_more() -> None:
    pages = Pages(10)
    ahead = read_ahead(iter(pages))
    assert next(ahead) == 1
    assert pages.was_read[2].wait(WAIT)
    ahead.close()
    assert pages.closed.wait(WAIT)
    assert pages.read == [1, 2]  # page 2 was read ahead and dropped


def test_an_error_in_the_caller_stops_reading() -> None:
    pages = Pages(10)
    with pytest.raises(RuntimeError):
        for page in read_ahead(iter(pages)):
            if page == 3:
                raise RuntimeError("the store failed")
    assert pages.closed.wait(WAIT)
    assert pages.read in ([1, 2, 3], [1, 2, 3, 4])  # page 4, if it was under way when the caller stopped


def test_nothing_to_read() -> None:
    assert list(read_ahead(iter(Pages(0)))) == []


@pytest.mark.parametrize("depth", [2, 3])
def test_up_to_depth_pages_are_read_ahead(depth: int) -> None:
    pages = Pages(8)
    for page in read_ahead(iter(pages), depth=depth):
        if page + depth <= 8:
            assert pages.was_read[page + depth].wait(WAIT)
        assert pages.read[-1] <= page + depth
    assert pages.read == list(range(1, 9))


def test_a_depth_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="depth of 1 or more"):
        next(read_ahead(iter(Pages(1)), depth=0))


def test_a_caller_asked_to_stop_does_not_wait_for_a_slow_page() -> None:
    stop = threading.Event()
    release = threading.Event()
    closed = threading.Event()

    def pages() -> Iterator[int]:
        try:
            yield 1
            release.wait(WAIT)  # the server takes long over page 2
            yield 2
        finally:
            closed.set()

    reading = read_ahead(pages(), should_stop=stop.is_set)
    assert next(reading) == 1
    stop.set()  # SIGTERM, while page 2 is being read
    with pytest.raises(Interrupted):
        next(reading)
    assert not closed.is_set()  # the read under way was not waited for...
    release.set()
    assert closed.wait(WAIT)  # ...and the pages are closed once it ends
