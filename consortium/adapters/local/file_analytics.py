"""The analytics report in one JSON file of the data folder, replaced atomically."""

from __future__ import annotations

import os
import tempfile
from typing import TYPE_CHECKING

from consortium.errors import StorageError

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["FileAnalyticsStore"]


class FileAnalyticsStore:
    """An :class:`~consortium.analytics.ports.AnalyticsStore` in a file (``<data dir>/analytics/report.json``):
    written to a temporary file beside it, flushed, then renamed over it, so a reader never sees half a report.

    Example
    -------
    >>> store = FileAnalyticsStore(settings.data_dir / "analytics" / "report.json")
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def save(self, data: bytes) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(prefix=".report-", dir=self.path.parent)
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(name, self.path)
        except OSError as exc:
            raise StorageError(f"cannot write the analytics report {self.path}: {exc.strerror}") from exc

    def latest(self) -> bytes | None:
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StorageError(f"cannot read the analytics report {self.path}: {exc.strerror}") from exc
