"""The fitted match model in a file of the data folder (``dedup_model.json``)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from consortium.dedup.kept_model import read_model
from consortium.errors import StorageError

if TYPE_CHECKING:
    from pathlib import Path

    from consortium.dedup.model import MatchModel

__all__ = ["FileMatchModelStore"]


class FileMatchModelStore:
    """A :class:`~consortium.dedup.ports.MatchModelStore` in one JSON file, written to a temporary file beside it
    and renamed over it (a reader sees the old model or the new one, whole).

    Example
    -------
    >>> store = FileMatchModelStore(settings.data_dir / "dedup_model.json")
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def where(self) -> str:
        return str(self.path)

    def load(self) -> MatchModel | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise StorageError(f"cannot read the match model {self.path}: {exc}", path=str(self.path)) from exc
        return read_model(text, self.where)

    def save(self, model: MatchModel) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(model.to_json(), encoding="utf-8")
            tmp.replace(self.path)
        except OSError as exc:
            raise StorageError(f"cannot write the match model {self.path}: {exc}", path=str(self.path)) from exc

    def version(self) -> str | None:
        try:
            found = os.stat(self.path)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StorageError(f"cannot look at the match model {self.path}: {exc}", path=str(self.path)) from exc
        return f"{found.st_mtime_ns}:{found.st_size}:{found.st_ino}"
