"""The local :class:`~consortium.ports.KeyService`: key-encryption keys (KEKs) in a file only its owner reads.

The file is JSON, ``{"current": "<kek id>", "keys": {"<kek id>": "<base64 of 32 bytes>", ...}}``, created on
first use with mode 0600. :meth:`LocalKeyFileService.rotate` adds a new current KEK; :meth:`~LocalKeyFileService.
rewrap` moves a wrapped data key to it; once every wrapped key has moved, :meth:`~LocalKeyFileService.retire`
removes the old KEK.

A wrapped data key (format version 2)::

    b"LK2" | length of the KEK id (1 byte) | KEK id (ASCII) | nonce (12 bytes) | AES-256-GCM(data key) and tag

with the format tag, the KEK id and the canonical JSON of the encryption context as associated data. The AES key
is not the KEK itself but HMAC-SHA256(context secret, ``b"LK2"`` | KEK): each encryption context (each reader)
also has a random 32-byte *context secret* of its own, one 0600 file in the folder ``<key file>.contexts/``
named by the SHA-256 of the context. :meth:`LocalKeyFileService.destroy` deletes that file, after which no copy
of a data key wrapped for that context (a copy of the database, a backup) can be unwrapped any more, even though
the KEK stays. Format version 1 (``b"LK1"``, the KEK alone, no context secret) is still unwrapped; :meth:`rewrap`
moves such keys to version 2.

The guarantee covers copies of wrapped keys and ciphertexts: keep the key file and its ``.contexts`` folder out
of the backups of the data (as a KMS key is), or a backup of both taken before :meth:`destroy` still opens.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
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
from consortium.profiles.crypto import DATA_KEY_BYTES
from consortium.profiles.ports import DecryptionError, KeyServiceError

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["InsecureKeyFileError", "LocalKeyFileService"]

logger = logging.getLogger(__name__)

_MAGIC = b"LK1"
_MAGIC2 = b"LK2"
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


def _derive(secret: bytes, kek: bytes) -> bytes:
    """The AES key that wraps data keys of one context under one KEK (format version 2)."""
    return hmac.new(secret, _MAGIC2 + kek, hashlib.sha256).digest()


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
        self.contexts_dir = path.with_name(path.name + ".contexts")
        """The folder of per-context secrets (see the module notes); :meth:`destroy` deletes one."""
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
        changed, the KEK is no longer in the file or the context's secret was destroyed."""
        magic, kek_id, nonce, body = self._parse(wrapped)
        kek = self._kek(kek_id)
        if magic == _MAGIC2:
            secret = self._context_secret(context, create=False)
            if secret is None:
                raise DecryptionError(
                    "wrapped data key does not open: the secret of its encryption context was destroyed (erased)",
                    kek_id=kek_id,
                )
            kek = _derive(secret, kek)
        try:
            return AESGCM(kek).decrypt(nonce, body, self._associated_data(magic, kek_id, context))
        except InvalidTag as exc:
            raise DecryptionError(
                f"wrapped data key does not open under KEK {kek_id}: its encryption context differs or it was changed",
                kek_id=kek_id,
            ) from exc

    def rewrap(self, wrapped: bytes, context: dict[str, str]) -> bytes:
        """``wrapped`` under the current KEK (unchanged when it already is); the data key stays the same."""
        plaintext = self.unwrap(wrapped, context)
        magic, kek_id, _, _ = self._parse(wrapped)
        if magic == _MAGIC2 and kek_id == self.key_id():
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
        return self._parse(wrapped)[1]

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
        secret = self._context_secret(context, create=True)
        assert secret is not None
        key = _derive(secret, self._kek(kek_id))
        nonce = os.urandom(_NONCE_BYTES)
        header = _MAGIC2 + bytes([len(kek_id)]) + kek_id.encode("ascii")
        return header + nonce + AESGCM(key).encrypt(nonce, plaintext, self._associated_data(_MAGIC2, kek_id, context))

    def _context_path(self, context: dict[str, str]) -> Path:
        return self.contexts_dir / hashlib.sha256(_context_bytes(context)).hexdigest()

    def _context_secret(self, context: dict[str, str], *, create: bool) -> bytes | None:
        """The context's secret; made (0600, its folder 0700) when ``create`` and missing, else ``None``."""
        path = self._context_path(context)
        with self._lock:
            if create:
                self.contexts_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
                try:
                    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                except FileExistsError:
                    pass  # made before (or by another process at the same time): use it
                except OSError as exc:
                    raise KeyServiceError(f"cannot write a context secret in {self.contexts_dir}: {exc}") from exc
                else:
                    with os.fdopen(fd, "wb") as handle:
                        handle.write(os.urandom(_KEK_BYTES))
                        handle.flush()
                        os.fsync(handle.fileno())
                    _fsync_dir(self.contexts_dir)
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
        if len(secret) != _KEK_BYTES:
            raise KeyServiceError(f"a context secret in {self.contexts_dir} is not {_KEK_BYTES} bytes", retryable=False)
        return secret

    @staticmethod
    def _associated_data(magic: bytes, kek_id: str, context: dict[str, str]) -> bytes:
        return magic + kek_id.encode("ascii") + b"\x00" + _context_bytes(context)

    @staticmethod
    def _parse(wrapped: bytes) -> tuple[bytes, str, bytes, bytes]:
        magic = wrapped[: len(_MAGIC)]
        if magic not in (_MAGIC, _MAGIC2) or len(wrapped) < len(_MAGIC) + 1:
            raise DecryptionError(f"not a wrapped data key of format {_MAGIC.decode()} or {_MAGIC2.decode()}")
        start = len(_MAGIC) + 1
        end = start + wrapped[len(_MAGIC)]
        if len(wrapped) < end + _NONCE_BYTES + 16:
            raise DecryptionError("wrapped data key is truncated")
        try:
            kek_id = wrapped[start:end].decode("ascii")
        except UnicodeDecodeError as exc:
            raise DecryptionError("wrapped data key names no valid KEK id") from exc
        return magic, kek_id, wrapped[end : end + _NONCE_BYTES], wrapped[end + _NONCE_BYTES :]

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
