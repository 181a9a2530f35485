"""The ranking evidence as one file in the data folder (``<data dir>/evidence/ranking-evidence.json``)."""

from __future__ import annotations

import contextlib
import os
import secrets
from typing import TYPE_CHECKING

from consortium.errors import StorageError
from consortium.push.ports import StoredBlob

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["FileEvidenceStore"]


class FileEvidenceStore:
    """An :class:`~consortium.push.ports.EvidenceStore` in one file.

    A write goes to a temporary file beside it, flushed, then renamed over it: a reader sees the old file or
    the new one. The version is the file's modification time (nanoseconds), size and inode, so a rewrite with
    the same bytes is still a new version.

    Example
    -------
    >>> store = FileEvidenceStore(settings.evidence_path)
    >>> store.put(b"{}"); store.get().data
    b'{}'
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def put(self, data: bytes) -> None:
        temporary = self.path.with_name(f".{self.path.name}.{secrets.token_hex(6)}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with temporary.open("wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                temporary.unlink(missing_ok=True)
            raise StorageError(f"cannot write the ranking evidence {self.path}: {exc}", path=str(self.path)) from exc

    def get(self) -> StoredBlob | None:
        try:
            with self.path.open("rb") as handle:
                stat = os.fstat(handle.fileno())
                data = handle.read()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StorageError(f"cannot read the ranking evidence {self.path}: {exc}", path=str(self.path)) from exc
        return StoredBlob(data, _version(stat))

    def version(self) -> str | None:
        try:
            return _version(self.path.stat())
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StorageError(f"cannot read the ranking evidence {self.path}: {exc}", path=str(self.path)) from exc


def _version(stat: os.stat_result) -> str:
    return f"{stat.st_mtime_ns}-{stat.st_size}-{stat.st_ino}"
