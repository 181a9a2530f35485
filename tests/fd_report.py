"""Which tests leave files, sockets or pipes open: ``pytest --fd-report=FILE`` (off unless asked; Linux, /proc).

For every test whose set-up, call and tear-down together change how many descriptors the test process holds, one
JSON line goes to FILE: the test, the count before and after, and what the new descriptors point to, grouped
(``<tmp>/var/consortium.sqlite3-wal``, ``socket``, ``pipe``...). At the end, one line with what is still open and
one with what is still open after a garbage collection (the difference: objects no test closed, freed only when
the collector ran). A module's or package's fixtures are torn down with its last test, so their growth shows there.

Example
-------
``pytest -o addopts="" -q -p no:cacheprovider tests/integration --fd-report=fds.jsonl``, then sum the ``delta``
of each test file's lines (``grows`` in the last lines says which kinds are left).
"""

from __future__ import annotations

import gc
import json
import os
import re
from collections import Counter
from typing import TYPE_CHECKING, Any, TextIO

import pytest

if TYPE_CHECKING:
    from collections.abc import Generator
    from pathlib import Path

__all__ = ["FdReport", "open_descriptors", "open_under"]

_TEMP = re.compile(r"/tmp/pytest-of-[^/]+/pytest-\d+/[^/]+")


def open_descriptors() -> dict[str, str]:
    """This process's open descriptors: number → what it points to (a path, ``socket:[…]``, ``pipe:[…]``)."""
    found = {}
    for fd in os.listdir("/proc/self/fd"):
        try:
            found[fd] = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # closed since it was listed (the listing's own, or another thread's)
            continue
    return found


def open_under(folder: str | os.PathLike[str]) -> list[str]:
    """The files under ``folder`` this process holds open, sorted (what a test checks is closed: other tests'
    descriptors may open and close meanwhile)."""
    prefix = str(folder)
    return sorted(target for target in open_descriptors().values() if target.startswith(prefix))


def _kind(target: str) -> str:
    """What a descriptor points to, without the numbers that differ from one test to the next."""
    if target.startswith(("socket:", "pipe:")):
        return target.split(":", 1)[0]
    return re.sub(r"\d+", "N", _TEMP.sub("<tmp>", target))


def _kinds(targets: Any) -> dict[str, int]:
    return dict(Counter(_kind(target) for target in targets).most_common(12))


class FdReport:
    """The plugin ``--fd-report`` registers (see the module notes)."""

    def __init__(self, path: Path) -> None:
        self._out: TextIO = path.open("w", encoding="utf-8")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None]:
        before = open_descriptors()
        yield
        after = open_descriptors()
        if len(after) != len(before):
            new = [target for fd, target in after.items() if before.get(fd) != target]
            self._write(test=item.nodeid, before=len(before), after=len(after), delta=len(after) - len(before),
                        grows=_kinds(new))  # fmt: skip

    def pytest_sessionfinish(self) -> None:
        self._write(end="open", count=len(held := open_descriptors()), grows=_kinds(held.values()))
        gc.collect()
        self._write(end="open after a collection", count=len(held := open_descriptors()), grows=_kinds(held.values()))
        self._out.close()

    def _write(self, **line: Any) -> None:
        self._out.write(json.dumps(line, ensure_ascii=False) + "\n")
        self._out.flush()
