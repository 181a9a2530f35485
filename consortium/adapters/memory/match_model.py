"""The fitted match model kept in memory (tests, and the simplest adapter)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from consortium.dedup.kept_model import read_model

if TYPE_CHECKING:
    from consortium.dedup.model import MatchModel

__all__ = ["InMemoryMatchModelStore"]


class InMemoryMatchModelStore:
    """A :class:`~consortium.dedup.ports.MatchModelStore` in memory: the model is kept as its JSON, as the
    other adapters keep it, so a model that does not read back is found here too."""

    def __init__(self, text: str | None = None) -> None:
        self._text = text
        self._version = 0 if text is None else 1

    @property
    def where(self) -> str:
        return "memory"

    def load(self) -> MatchModel | None:
        return None if self._text is None else read_model(self._text, self.where)

    def save(self, model: MatchModel) -> None:
        self._text = model.to_json()
        self._version += 1

    def version(self) -> str | None:
        return None if self._text is None else str(self._version)
