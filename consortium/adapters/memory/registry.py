"""The source override store in memory: for unit tests, and a correct
:class:`~consortium.registry.ports.SourceOverrideStore`."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from consortium.errors import VersionConflictError

if TYPE_CHECKING:
    from consortium.registry.models import SourceOverride

__all__ = ["InMemorySourceOverrideStore"]


class InMemorySourceOverrideStore:
    """A :class:`~consortium.registry.ports.SourceOverrideStore` in a dict; overrides go in and out as copies.

    Example
    -------
    >>> store = InMemorySourceOverrideStore()
    >>> store.save(override)
    >>> store.get(override.member, override.source_id) == override
    True
    """

    def __init__(self) -> None:
        self._overrides: dict[tuple[str, str], SourceOverride] = {}
        self._lock = threading.Lock()

    def get(self, member: str, source_id: str) -> SourceOverride | None:
        found = self._overrides.get((member, source_id))
        return found.model_copy(deep=True) if found is not None else None

    def overrides(self, member: str | None = None) -> list[SourceOverride]:
        return [
            self._overrides[key].model_copy(deep=True)
            for key in sorted(self._overrides)
            if member is None or key[0] == member
        ]

    def save(self, override: SourceOverride) -> None:
        key = (override.member, override.source_id)
        with self._lock:
            stored = self._overrides.get(key)
            version = stored.version if stored is not None else 0
            if version != override.version - 1:
                raise VersionConflictError(
                    f"source {override.source_id!r} of member {override.member!r} is at version {version}, "
                    f"not {override.version - 1}",
                    version=version,
                )
            self._overrides[key] = override.model_copy(deep=True)

    def delete(self, member: str, source_id: str) -> None:
        with self._lock:
            self._overrides.pop((member, source_id), None)
