"""The analytics report kept in memory."""

from __future__ import annotations

__all__ = ["InMemoryAnalyticsStore"]


class InMemoryAnalyticsStore:
    """An :class:`~consortium.analytics.ports.AnalyticsStore` in memory."""

    def __init__(self) -> None:
        self._data: bytes | None = None

    def save(self, data: bytes) -> None:
        self._data = bytes(data)

    def latest(self) -> bytes | None:
        return self._data
