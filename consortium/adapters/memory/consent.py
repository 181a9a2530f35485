"""The consent ledger in memory: for unit tests, and a correct :class:`~consortium.profiles.ports.ConsentLedger`."""

from __future__ import annotations

from consortium.profiles.consent import ConsentEvent, Purpose, current_from

__all__ = ["InMemoryConsentLedger"]


class InMemoryConsentLedger:
    """A :class:`~consortium.profiles.ports.ConsentLedger` held in a dict of per-reader event lists.

    Example
    -------
    >>> ledger = InMemoryConsentLedger()
    >>> ledger.append(event)
    >>> ledger.current(event.reader_id)[event.purpose]
    """

    def __init__(self) -> None:
        self._events: dict[str, list[ConsentEvent]] = {}

    def append(self, event: ConsentEvent) -> None:
        """Record a grant or a withdrawal."""
        self._events.setdefault(event.reader_id, []).append(event)

    def history(self, reader_id: str) -> list[ConsentEvent]:
        """The reader's events in time order (events at the same moment in the order they were appended)."""
        return sorted(self._events.get(reader_id, []), key=lambda event: event.at)

    def current(self, reader_id: str) -> dict[Purpose, bool]:
        """Whether each purpose is granted now: its latest event decides, and no event means not granted."""
        return current_from(self.history(reader_id))

    def erase(self, reader_id: str) -> None:
        """Remove the reader's whole history."""
        self._events.pop(reader_id, None)
