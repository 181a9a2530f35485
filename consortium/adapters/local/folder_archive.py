"""The raw archive as a folder of content-addressed files: ``root/ab/cd/<sha256>``."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from consortium.errors import NotFoundError, StorageError

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["FolderBlobStore"]

_DIGEST = re.compile(r"[0-9a-f]{64}")
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)


class FolderBlobStore:
    """A :class:`~consortium.harvest.ports.BlobStore` in a folder.

    Each blob is written to a temporary file beside its final place and renamed into it, so a reader never
    sees a partial file and a killed writer leaves at most a stray ``.tmp`` file. Writing a blob that is
    already there does nothing. The temporary file's name is the digest with a token of this store and thread,
    created exclusively (``mkstemp`` picks another name only if that one is taken), and the folders this store
    has made are remembered, so writing a batch costs little more than its files.

    Parameters
    ----------
    root
        The archive folder; created on the first write.
    fsync
        Flush each new file to disk before renaming it, so it survives a power cut (slower).

    Example
    -------
    >>> archive = FolderBlobStore(settings.data_dir / "raw")
    >>> archive.get(archive.put(b"..."))
    b'...'
    """

    def __init__(self, root: Path, *, fsync: bool = False) -> None:
        self.root = root
        self._fsync = fsync
        self._token = secrets.token_hex(6)
        self._folders: set[Path] = set()

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
            self._write(path, digest, data)
        except OSError as exc:
            raise StorageError(f"cannot write raw record {digest}: {exc}", digest=digest) from exc
        return digest

    def put_many(self, blobs: Sequence[bytes]) -> list[str]:
        """Store every blob and return their SHA-256 digests, in order."""
        return [self.put(data) for data in blobs]

    def _write(self, path: Path, digest: str, data: bytes) -> None:
        folder = path.parent
        if folder not in self._folders:
            folder.mkdir(parents=True, exist_ok=True)
            self._folders.add(folder)
        tmp = folder / f".{digest}-{self._token}-{threading.get_ident()}.tmp"
        try:
            fd = os.open(tmp, _CREATE, 0o600)
        except FileNotFoundError:  # the folder was removed since this store made it
            self._folders.discard(folder)
            folder.mkdir(parents=True, exist_ok=True)
            self._folders.add(folder)
            fd = os.open(tmp, _CREATE, 0o600)
        except FileExistsError:  # never with a fresh token, but an exclusive name is what matters
            fd, name = tempfile.mkstemp(dir=folder, prefix=f".{digest[:8]}-", suffix=".tmp")
            tmp = Path(name)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                if self._fsync:
                    out.flush()
                    os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

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
