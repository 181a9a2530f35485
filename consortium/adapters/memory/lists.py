"""The curated list store in memory: for unit tests, and a correct
:class:`~consortium.cooperation.ports.CuratedListStore`."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from consortium.errors import VersionConflictError

if TYPE_CHECKING:
    from consortium.cooperation.lists import CuratedList, ListState

__all__ = ["InMemoryCuratedListStore"]


class InMemoryCuratedListStore:
    """A :class:`~consortium.cooperation.ports.CuratedListStore` in a dict; lists go in and out as copies."""

    def __init__(self) -> None:
        self._lists: dict[str, CuratedList] = {}
        self._lock = threading.Lock()

    def get(self, list_id: str) -> CuratedList | None:
        found = self._lists.get(list_id)
        return found.model_copy(deep=True) if found is not None else None

    def save(self, curated: CuratedList) -> None:
        with self._lock:
            stored = self._lists.get(curated.list_id)
            version = stored.version if stored is not None else 0
            if version != curated.version - 1:
                raise VersionConflictError(
                    f"list {curated.list_id} is at version {version}, not {curated.version - 1}: "
                    "it was changed in between",
                    version=version,
                )
            self._lists[curated.list_id] = curated.model_copy(deep=True)

    def delete(self, list_id: str, version: int) -> None:
        with self._lock:
            stored = self._lists.get(list_id)
            found = stored.version if stored is not None else 0
            if found != version:
                raise VersionConflictError(
                    f"list {list_id} is at version {found}, not {version}: it was changed in between", version=found
                )
            del self._lists[list_id]

    def lists(self, member: str | None = None, state: ListState | None = None) -> list[CuratedList]:
        with self._lock:
            found = [
                c.model_copy(deep=True)
                for c in self._lists.values()
                if (member is None or c.member == member) and (state is None or c.state is state)
            ]
        return sorted(found, key=lambda c: (c.updated_at, c.list_id), reverse=True)
