"""The local :class:`~consortium.ports.KeyService`: key-encryption keys (KEKs) in a file only its owner reads.

The file is JSON, ``{"current": "<kek id>", "keys": {"<kek id>": "<base64 of 32 bytes>", ...}}``, created on
first use with mode 0600. :meth:`LocalKeyFileService.rotate` adds a new current KEK; :meth:`~LocalKeyFileService.
rewrap` moves a wrapped data key to it; once every wrapped key has moved, :meth:`~LocalKeyFileService.retire`
removes the old KEK.

A wrapped data key (format version 1)::

    b"LK1" | length of the KEK id (1 byte) | KEK id (ASCII) | nonce (12 bytes) | AES-256-GCM(data key) and tag

with the KEK id and the canonical JSON of the encryption context as associated data.
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
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from consortium.errors import ConflictError
from consortium.profiles.crypto import DATA_KEY_BYTES, DecryptionError, KeyServiceError

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["InsecureKeyFileError", "LocalKeyFileService"]

logger = logging.getLogger(__name__)

_MAGIC = b"LK1"
_NONCE_BYTES = 12
_KEK_BYTES = 32


class InsecureKeyFileError(KeyServiceError):
    """The key file can be read or written by the group or by others; fix it with ``chmod 600``."""

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message, retryable=False, **details)


def _context_bytes(context: dict[str, str]) -> bytes:
    return json.dumps(context, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _new_kek_id() -> str:
    return "kek-" + secrets.token_hex(8)


class LocalKeyFileService:
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
        self._lock = threading.RLock()
        self._current: str | None = None
        self._keks: dict[str, bytes] = {}

    def __repr__(self) -> str:
        return f"LocalKeyFileService({str(self.path)!r})"

    # -- the port

    def generate_data_key(self, context: dict[str, str]) -> tuple[bytes, bytes]:
        """A fresh 256-bit data key and its wrapped form under the current KEK."""
        plaintext = os.urandom(DATA_KEY_BYTES)
        return plaintext, self._wrap(plaintext, context)

    def unwrap(self, wrapped: bytes, context: dict[str, str]) -> bytes:
        """The data key inside ``wrapped``; :class:`DecryptionError` if the context differs, the bytes were
        changed or the KEK is no longer in the file."""
        kek_id, nonce, body = self._parse(wrapped)
        kek = self._kek(kek_id)
        try:
            return AESGCM(kek).decrypt(nonce, body, self._associated_data(kek_id, context))
        except InvalidTag as exc:
            raise DecryptionError(
                f"wrapped data key does not open under KEK {kek_id}: its encryption context differs or it was changed",
                kek_id=kek_id,
            ) from exc

    def rewrap(self, wrapped: bytes, context: dict[str, str]) -> bytes:
        """``wrapped`` under the current KEK (unchanged when it already is); the data key stays the same."""
        plaintext = self.unwrap(wrapped, context)
        if self._parse(wrapped)[0] == self.key_id():
            return wrapped
        return self._wrap(plaintext, context)

    def key_id(self) -> str:
        """The id of the current KEK."""
        with self._lock:
            self._ensure_loaded()
            assert self._current is not None
            return self._current

    # -- key management

    def kek_ids(self) -> list[str]:
        """The ids of every KEK in the file, sorted."""
        with self._lock:
            self._load()
            return sorted(self._keks)

    def kek_of(self, wrapped: bytes) -> str:
        """The id of the KEK that ``wrapped`` is wrapped under."""
        return self._parse(wrapped)[0]

    def rotate(self) -> str:
        """Add a new KEK and make it current; return its id. Older KEKs stay until :meth:`retire`."""
        with self._lock:
            self._load()
            kek_id = _new_kek_id()
            keks = {**self._keks, kek_id: os.urandom(_KEK_BYTES)}
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

    def _wrap(self, plaintext: bytes, context: dict[str, str]) -> bytes:
        kek_id = self.key_id()
        kek = self._kek(kek_id)
        nonce = os.urandom(_NONCE_BYTES)
        header = _MAGIC + bytes([len(kek_id)]) + kek_id.encode("ascii")
        return header + nonce + AESGCM(kek).encrypt(nonce, plaintext, self._associated_data(kek_id, context))

    @staticmethod
    def _associated_data(kek_id: str, context: dict[str, str]) -> bytes:
        return _MAGIC + kek_id.encode("ascii") + b"\x00" + _context_bytes(context)

    @staticmethod
    def _parse(wrapped: bytes) -> tuple[str, bytes, bytes]:
        if not wrapped.startswith(_MAGIC) or len(wrapped) < len(_MAGIC) + 1:
            raise DecryptionError(f"not a wrapped data key of format {_MAGIC.decode()}")
        start = len(_MAGIC) + 1
        end = start + wrapped[len(_MAGIC)]
        if len(wrapped) < end + _NONCE_BYTES + 16:
            raise DecryptionError("wrapped data key is truncated")
        try:
            kek_id = wrapped[start:end].decode("ascii")
        except UnicodeDecodeError as exc:
            raise DecryptionError("wrapped data key names no valid KEK id") from exc
        return kek_id, wrapped[end : end + _NONCE_BYTES], wrapped[end + _NONCE_BYTES :]

    def _kek(self, kek_id: str) -> bytes:
        with self._lock:
            self._ensure_loaded()
            if kek_id not in self._keks:
                self._load()  # another process may have rotated the file
            kek = self._keks.get(kek_id)
        if kek is None:
            raise DecryptionError(f"KEK {kek_id} is not in the key file (retired, or another file)", kek_id=kek_id)
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
            mode = os.fstat(handle.fileno()).st_mode
            if mode & (stat.S_IRWXG | stat.S_IRWXO):
                raise InsecureKeyFileError(
                    f"the key file {self.path} has mode {stat.S_IMODE(mode):04o}: the group or others may use it; "
                    f"run `chmod 600 {self.path}`",
                    path=str(self.path),
                )
            raw = handle.read()
        self._current, self._keks = self._decode(raw)

    def _decode(self, raw: bytes) -> tuple[str, dict[str, bytes]]:
        broken = f"the key file {self.path} is not a valid key file"
        try:
            doc = json.loads(raw)
            current = doc["current"]
            keks = {str(k): base64.b64decode(v, validate=True) for k, v in doc["keys"].items()}
        except (ValueError, KeyError, TypeError, AttributeError, binascii.Error) as exc:
            raise KeyServiceError(broken, retryable=False) from exc
        if current not in keks or any(len(v) != _KEK_BYTES for v in keks.values()):
            raise KeyServiceError(f"{broken}: no current KEK, or a KEK is not {_KEK_BYTES} bytes", retryable=False)
        return current, keks

    def _create(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        kek_id = _new_kek_id()
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return  # another process made it first: use theirs
        with os.fdopen(fd, "wb") as handle:
            handle.write(self._encode(kek_id, {kek_id: os.urandom(_KEK_BYTES)}))
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
