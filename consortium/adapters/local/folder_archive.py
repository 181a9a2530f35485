"""The raw archive as a folder of content-addressed files: ``root/ab/cd/<sha256>``."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from consortium.errors import NotFoundError, StorageError

__all__ = ["FolderBlobStore"]

_DIGEST = re.compile(r"[0-9a-f]{64}")


class FolderBlobStore:
    """A :class:`~consortium.ports.BlobStore` in a folder.

    Each blob is written to a temporary file beside its final place and renamed into it, so a reader never
    sees a partial file and a killed writer leaves at most a stray ``.tmp`` file. Writing a blob that is
    already there does nothing.

    Parameters
    ----------
    root
        The archive folder; created on the first write.
    fsync
        Flush each new file to disk before renaming it, so it survives a power cut (slower).

    Example
    -------
    >>> archive = FolderBlobStore(settings.archive_dir)
    >>> archive.get(archive.put(b"..."))
    b'...'
    """

    def __init__(self, root: Path, *, fsync: bool = False) -> None:
        self.root = root
        self._fsync = fsync

    def path_of(self, digest: str) -> Path:
        """Where the blob with this digest is (or would be) stored."""
        return self.root / digest[:2] / digest[2:4] / digest

    def put(self, data: bytes) -> str:
        """Store ``data`` and return its SHA-256 digest."""
        digest = hashlib.sha256(data).hexdigest()
        path = self.path_of(digest)
        if path.is_file():
            return digest
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{digest[:8]}-", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                    if self._fsync:
                        out.flush()
                        os.fsync(out.fileno())
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise StorageError(f"cannot write raw record {digest}: {exc}", digest=digest) from exc
        return digest

    def get(self, digest: str) -> bytes:
        """The bytes stored under ``digest``; :class:`~consortium.errors.NotFoundError` if none."""
        if _DIGEST.fullmatch(digest) is None:
            raise NotFoundError(f"no raw record with digest {digest}", digest=digest)
        try:
            return self.path_of(digest).read_bytes()
        except FileNotFoundError:
            raise NotFoundError(f"no raw record with digest {digest}", digest=digest) from None
        except OSError as exc:
            raise StorageError(f"cannot read raw record {digest}: {exc}", digest=digest) from exc

    def exists(self, digest: str) -> bool:
        """Whether a blob with this digest is stored."""
        return _DIGEST.fullmatch(digest) is not None and self.path_of(digest).is_file()
