"""The local :class:`~consortium.profiles.ports.KeyService`: key-encryption keys (KEKs) in a file only its owner reads.

The file is JSON, ``{"current": "<kek id>", "keys": {"<kek id>": "<base64 of 32 bytes>", ...}}``, created on
first use with mode 0600. :meth:`LocalKeyFileService.rotate` adds a new current KEK; :meth:`~LocalKeyFileService.
rewrap` moves a wrapped data key to it; once every wrapped key has moved, :meth:`~LocalKeyFileService.retire`
removes the old KEK.

Data keys are wrapped in the format of :mod:`consortium.adapters.kek_wrapping`: each encryption context (each
reader) has a random 32-byte *context secret* of its own, one 0600 file in the folder ``<key file>.contexts/``
named by the SHA-256 of the context. :meth:`LocalKeyFileService.destroy` deletes that file, after which no copy
of a data key wrapped for that context (a copy of the database, a backup) can be unwrapped any more, even though
the KEK stays.

The guarantee covers copies of wrapped keys and ciphertexts: keep the key file and its ``.contexts`` folder out
of the backups of the data (as a KMS key is), or a backup of both taken before :meth:`destroy` still opens.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import logging
import os
import secrets
import stat
import threading
import uuid
from typing import TYPE_CHECKING

from consortium.adapters.kek_wrapping import KEK_BYTES, KekWrappingKeyService, context_name, new_kek_id
from consortium.errors import ConflictError
from consortium.profiles.ports import DecryptionError, KeyServiceError

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["InsecureKeyFileError", "LocalKeyFileService"]

logger = logging.getLogger(__name__)


class InsecureKeyFileError(KeyServiceError):
    """The key file can be read or written by the group or by others; fix it with ``chmod 600``."""

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message, retryable=False, **details)


def _fsync_dir(path: Path) -> None:
    """Make a file's creation or removal in ``path`` durable (best effort where directories cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class LocalKeyFileService(KekWrappingKeyService):
    """KEKs in a local file; each data key is wrapped with AES-256-GCM under the current KEK.

    Parameters
    ----------
    path
        The key file; it is created (mode 0600, its folder too) on first use when missing. A file that the
        group or others may read or write is refused with :class:`InsecureKeyFileError`.

    Example
    -------
    >>> keys = LocalKeyFileService(Path("var/keys.json"))
    >>> plaintext, wrapped = keys.generate_data_key({"consortium:reader": "r1"})
    >>> keys.rotate()
    'kek-...'
    >>> wrapped = keys.rewrap(wrapped, {"consortium:reader": "r1"})
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.contexts_dir = path.with_name(path.name + ".contexts")
        """The folder of per-context secrets (see the module notes); :meth:`destroy` deletes one."""
        self._lock = threading.RLock()
        self._current: str | None = None
        self._keks: dict[str, bytes] = {}
        self._stamp: tuple[int, int, int] | None = None
        """The file as last read: inode, modification time, size (a rotation replaces the file)."""

    def __repr__(self) -> str:
        return f"LocalKeyFileService({str(self.path)!r})"

    # -- the port: KekWrappingKeyService, over this file

    def key_id(self) -> str:
        """The id of the current KEK; the file is read again when it changed (another process rotated it), so
        that no key is wrapped under a KEK about to be retired."""
        with self._lock:
            self._ensure_loaded()
            stamp = self._file_stamp()
            if stamp is not None and stamp != self._stamp:  # a file gone is never made again here
                self._load()
            assert self._current is not None
            return self._current

    # -- key management

    def kek_ids(self) -> list[str]:
        """The ids of every KEK in the file, sorted."""
        with self._lock:
            self._load()
            return sorted(self._keks)

    def destroy(self, context: dict[str, str]) -> None:
        """Destroy the secret of ``context``: every data key wrapped for it, every copy included, can no longer be
        unwrapped (crypto-shredding, for erasing a reader). Nothing happens when there is none."""
        path = self._context_path(context)
        with self._lock:
            try:
                path.unlink()
            except FileNotFoundError:
                return
            except OSError as exc:
                raise KeyServiceError(f"cannot destroy a context secret in {self.contexts_dir}: {exc}") from exc
            _fsync_dir(self.contexts_dir)
        logger.info("destroyed a context secret in %s", self.contexts_dir)

    def rotate(self) -> str:
        """Add a new KEK and make it current; return its id. Older KEKs stay until :meth:`retire`."""
        with self._lock:
            self._load()
            kek_id = new_kek_id()
            keks = {**self._keks, kek_id: os.urandom(KEK_BYTES)}
            self._write(kek_id, keks)
            self._current, self._keks = kek_id, keks
        logger.info("rotated the key file %s: current KEK is now %s", self.path, kek_id)
        return kek_id

    def retire(self, kek_id: str) -> None:
        """Remove an old KEK from the file. Data keys still wrapped under it can no longer be unwrapped, so
        :meth:`rewrap` them all first. The current KEK cannot be retired."""
        with self._lock:
            self._load()
            if kek_id == self._current:
                raise ConflictError(f"KEK {kek_id} is the current one; rotate before retiring it", kek_id=kek_id)
            if kek_id not in self._keks:
                return
            keks = {k: v for k, v in self._keks.items() if k != kek_id}
            assert self._current is not None
            self._write(self._current, keks)
            self._keks = keks
        logger.info("retired KEK %s from the key file %s", kek_id, self.path)

    # -- inside

    def _context_path(self, context: dict[str, str]) -> Path:
        return self.contexts_dir / context_name(context)

    def _context_secret(self, context: dict[str, str], *, create: bool) -> bytes | None:
        """The context's secret; made (0600, its folder 0700) when ``create`` and missing, else ``None``."""
        path = self._context_path(context)
        with self._lock:
            if create:
                self.contexts_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
                if not path.exists():
                    self._publish_secret(path)
            try:
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                return None
            except OSError as exc:
                raise KeyServiceError(f"cannot read a context secret in {self.contexts_dir}: {exc}") from exc
            with os.fdopen(fd, "rb") as handle:
                mode = os.fstat(handle.fileno()).st_mode
                if mode & (stat.S_IRWXG | stat.S_IRWXO):
                    raise InsecureKeyFileError(
                        f"a context secret in {self.contexts_dir} has mode {stat.S_IMODE(mode):04o}: the group or "
                        f"others may use it; run `chmod -R go= {self.contexts_dir}`",
                        path=str(self.contexts_dir),
                    )
                secret = handle.read()
        if len(secret) != KEK_BYTES:
            raise KeyServiceError(f"a context secret in {self.contexts_dir} is not {KEK_BYTES} bytes", retryable=False)
        return secret

    def _publish_secret(self, path: Path) -> None:
        """Write a new secret whole in a temporary file, then link it at ``path``: a reader never sees a part of
        it, and when another process links its own first, that one is kept (the link fails; ours is dropped)."""
        partial = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}.partial")
        try:
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(os.urandom(KEK_BYTES))
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(partial, path)
            except FileExistsError:
                pass  # made by another process at the same time: use theirs
            else:
                _fsync_dir(self.contexts_dir)
        except OSError as exc:
            raise KeyServiceError(f"cannot write a context secret in {self.contexts_dir}: {exc}") from exc
        finally:
            partial.unlink(missing_ok=True)

    def _kek(self, kek_id: str) -> bytes:
        with self._lock:
            self._ensure_loaded()
            if kek_id not in self._keks:
                self._load()  # another process may have rotated the file
            kek = self._keks.get(kek_id)
        if kek is None:
            raise DecryptionError(
                f"KEK {kek_id} is not in the key file {self.path} (retired, or another key folder: a data folder "
                "restored or moved needs the key folder it was used with, CONSORTIUM_KEY_DIR)",
                kek_id=kek_id,
            )
        return kek

    def _ensure_loaded(self) -> None:
        if self._current is None:
            self._load()

    def _load(self) -> None:
        """Read the file (creating it when missing) into memory. Caller holds the lock."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            self._create()
            fd = os.open(self.path, os.O_RDONLY)
        except OSError as exc:
            raise KeyServiceError(f"cannot open the key file {self.path}: {exc}", retryable=False) from exc
        with os.fdopen(fd, "rb") as handle:
            status = os.fstat(handle.fileno())
            mode = status.st_mode
            if mode & (stat.S_IRWXG | stat.S_IRWXO):
                raise InsecureKeyFileError(
                    f"the key file {self.path} has mode {stat.S_IMODE(mode):04o}: the group or others may use it; "
                    f"run `chmod 600 {self.path}`",
                    path=str(self.path),
                )
            raw = handle.read()
        self._current, self._keks = self._decode(raw)
        self._stamp = (status.st_ino, status.st_mtime_ns, status.st_size)

    def _file_stamp(self) -> tuple[int, int, int] | None:
        try:
            status = os.stat(self.path)
        except OSError:
            return None
        return status.st_ino, status.st_mtime_ns, status.st_size

    def _decode(self, raw: bytes) -> tuple[str, dict[str, bytes]]:
        broken = f"the key file {self.path} is not a valid key file"
        try:
            doc = json.loads(raw)
            current = doc["current"]
            keks = {str(k): base64.b64decode(v, validate=True) for k, v in doc["keys"].items()}
        except (ValueError, KeyError, TypeError, AttributeError, binascii.Error) as exc:
            raise KeyServiceError(broken, retryable=False) from exc
        if current not in keks or any(len(v) != KEK_BYTES for v in keks.values()):
            raise KeyServiceError(f"{broken}: no current KEK, or a KEK is not {KEK_BYTES} bytes", retryable=False)
        return current, keks

    def _create(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        kek_id = new_kek_id()
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return  # another process made it first: use theirs
        with os.fdopen(fd, "wb") as handle:
            handle.write(self._encode(kek_id, {kek_id: os.urandom(KEK_BYTES)}))
            handle.flush()
            os.fsync(handle.fileno())
        logger.info("created the key file %s with KEK %s", self.path, kek_id)

    def _write(self, current: str, keks: dict[str, bytes]) -> None:
        """Replace the file atomically (a 0600 temporary file beside it, then rename)."""
        tmp = self.path.with_name(f".{self.path.name}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(self._encode(current, keks))
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    tmp.unlink()
                raise
        except OSError as exc:
            raise KeyServiceError(f"cannot write the key file {self.path}: {exc}", retryable=False) from exc

    @staticmethod
    def _encode(current: str, keks: dict[str, bytes]) -> bytes:
        doc = {"current": current, "keys": {k: base64.b64encode(v).decode("ascii") for k, v in keks.items()}}
        return json.dumps(doc, indent=2, sort_keys=True).encode()
