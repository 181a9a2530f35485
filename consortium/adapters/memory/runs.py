"""The harvest run store in memory: for unit tests, and a correct :class:`~consortium.harvest.ports.HarvestRunStore`."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from consortium.errors import AlreadyExistsError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from consortium.harvest.runs import HarvestRun

__all__ = ["InMemoryHarvestRunStore"]


class InMemoryHarvestRunStore:
    """A :class:`~consortium.harvest.ports.HarvestRunStore` in a dict; runs go in and out as copies.

    Example
    -------
    >>> store = InMemoryHarvestRunStore()
    >>> store.add(run)
    >>> store.get(run.member, run.run_id) == run
    True
    """

    def __init__(self) -> None:
        self._runs: dict[tuple[str, str], HarvestRun] = {}
        self._lock = threading.Lock()

    def add(self, run: HarvestRun) -> None:
        with self._lock:
            if (run.member, run.run_id) in self._runs:
                raise AlreadyExistsError(f"member {run.member!r} has a run {run.run_id!r} already", run_id=run.run_id)
            self._runs[(run.member, run.run_id)] = run.model_copy(deep=True)

    def save(self, run: HarvestRun) -> None:
        with self._lock:
            self._runs[(run.member, run.run_id)] = run.model_copy(deep=True)

    def get(self, member: str, run_id: str) -> HarvestRun | None:
        found = self._runs.get((member, run_id))
        return found.model_copy(deep=True) if found is not None else None

    def delete(self, member: str, run_ids: Iterable[str]) -> None:
        with self._lock:
            for run_id in run_ids:
                self._runs.pop((member, run_id), None)

    def runs(self, member: str, *, limit: int = 20, before: str | None = None) -> list[HarvestRun]:
        with self._lock:
            ids = sorted((i for m, i in self._runs if m == member and (before is None or i < before)), reverse=True)
            return [self._runs[(member, run_id)].model_copy(deep=True) for run_id in ids[: max(limit, 0)]]
