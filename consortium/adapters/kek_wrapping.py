"""What the local key file and the in-memory key service share: the wrapped-key format and the port's methods,
over three storage hooks (the current KEK's id, a KEK by id, a context's secret).

A wrapped data key (format version 2)::

    b"LK2" | length of the KEK id (1 byte) | KEK id (ASCII) | nonce (12 bytes) | AES-256-GCM(data key) and tag

with the format tag, the KEK id and the canonical JSON of the encryption context as associated data. The AES key
is HMAC-SHA256(context secret, ``b"LK2"`` | KEK): destroying a context's secret makes every copy of a data key
wrapped for it useless, while the KEK stays. Format version 1 (``b"LK1"``, the KEK alone) is still unwrapped;
:meth:`~KekWrappingKeyService.rewrap` moves such keys to version 2.

Hub-wide secrets (:class:`~consortium.profiles.ports.HubSecrets`) are context secrets too, under
:func:`~consortium.profiles.crypto.hub_secret_context`: kept, made and destroyed by the same hooks.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from abc import ABC, abstractmethod

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from consortium.profiles.crypto import DATA_KEY_BYTES, hub_secret_context
from consortium.profiles.ports import DecryptionError

__all__ = ["KEK_BYTES", "KekWrappingKeyService", "context_bytes", "context_name", "new_kek_id"]

_MAGIC = b"LK1"
_MAGIC2 = b"LK2"
_NONCE_BYTES = 12
KEK_BYTES = 32
"""Length of a KEK and of a context secret."""


def context_bytes(context: dict[str, str]) -> bytes:
    """The canonical JSON of an encryption context (key order does not matter)."""
    return json.dumps(context, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def context_name(context: dict[str, str]) -> str:
    """The name a context's secret is kept under: the SHA-256 of its canonical JSON (never the reader id)."""
    return hashlib.sha256(context_bytes(context)).hexdigest()


def new_kek_id() -> str:
    """A fresh KEK id, ``kek-`` and 16 hex digits."""
    return "kek-" + secrets.token_hex(8)


def _derive(secret: bytes, kek: bytes) -> bytes:
    """The AES key that wraps data keys of one context under one KEK (format version 2)."""
    return hmac.new(secret, _MAGIC2 + kek, hashlib.sha256).digest()


class KekWrappingKeyService(ABC):
    """A :class:`~consortium.profiles.ports.KeyService` that wraps data keys under its own KEKs (see the module
    notes); subclasses keep the KEKs and context secrets (:meth:`key_id`, :meth:`_kek`, :meth:`_context_secret`).
    """

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

    def hub_secret(self, name: str, *, create: bool) -> bytes | None:
        """The hub-wide secret called ``name``, kept as a context secret (see the module notes)."""
        return self._context_secret(hub_secret_context(name), create=create)

    def destroy_hub_secret(self, name: str) -> None:
        """Destroy the hub-wide secret called ``name`` (nothing happens when there is none)."""
        self.destroy(hub_secret_context(name))

    def kek_of(self, wrapped: bytes) -> str:
        """The id of the KEK that ``wrapped`` is wrapped under."""
        return self._parse(wrapped)[1]

    def is_current(self, wrapped: bytes) -> bool:
        """Whether ``wrapped`` is in the current format under the current KEK (:meth:`rewrap` would keep it);
        ``False`` for bytes that are no wrapped key."""
        try:
            magic, kek_id, _, _ = self._parse(wrapped)
        except DecryptionError:
            return False
        return magic == _MAGIC2 and kek_id == self.key_id()

    @abstractmethod
    def key_id(self) -> str:
        """The id of the current KEK."""

    @abstractmethod
    def destroy(self, context: dict[str, str]) -> None:
        """Destroy the context's secret (crypto-shredding); nothing happens when there is none."""

    @abstractmethod
    def _kek(self, kek_id: str) -> bytes:
        """The KEK ``kek_id``; :class:`DecryptionError` when it is not kept (retired, or another store)."""

    @abstractmethod
    def _context_secret(self, context: dict[str, str], *, create: bool) -> bytes | None:
        """The context's secret; made when ``create`` and missing, else ``None`` when there is none."""

    def _wrap(self, plaintext: bytes, context: dict[str, str]) -> bytes:
        kek_id = self.key_id()
        secret = self._context_secret(context, create=True)
        assert secret is not None
        key = _derive(secret, self._kek(kek_id))
        nonce = os.urandom(_NONCE_BYTES)
        header = _MAGIC2 + bytes([len(kek_id)]) + kek_id.encode("ascii")
        return header + nonce + AESGCM(key).encrypt(nonce, plaintext, self._associated_data(_MAGIC2, kek_id, context))

    @staticmethod
    def _associated_data(magic: bytes, kek_id: str, context: dict[str, str]) -> bytes:
        return magic + kek_id.encode("ascii") + b"\x00" + context_bytes(context)

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
