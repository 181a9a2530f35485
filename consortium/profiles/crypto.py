"""Envelope encryption of each reader's personal data.

Each reader has a data key of their own (AES-256). Only its wrapped form is stored: the :class:`KeyService`
(KMS, or the local key file) wraps it under a key-encryption key (KEK), with the reader's id as encryption
context. Every payload (profile, events, sent items) is sealed with AES-256-GCM under the reader's data key, with
associated data that binds the reader id, the record kind and the record version, so a ciphertext copied to
another reader or to another kind of record does not decrypt. Erasing a reader destroys the wrapped key: every
copy of the ciphertexts, backups included, becomes unreadable.

Sealed payload format (version 1)::

    b"CE1" | nonce (12 bytes) | AES-256-GCM ciphertext and 16-byte tag

Nonces are 96 bits from :func:`os.urandom`. Random nonces are safe while one key seals fewer than 2**32 messages
(NIST SP 800-38D, §8.3: the chance of any repeat then stays below 2**-32); one reader's key seals a few messages
per event, orders of magnitude below that bound.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections import OrderedDict

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from consortium.profiles.ports import DecryptionError, KeyService, KeyServiceError

__all__ = [
    "DATA_KEY_BYTES",
    "EnvelopeCipher",
    "hub_secret_context",
    "reader_context",
]

logger = logging.getLogger(__name__)

DATA_KEY_BYTES = 32
"""Length of a reader's data key (AES-256)."""

_MAGIC = b"CE1"
_NONCE_BYTES = 12
_TAG_BYTES = 16


def reader_context(reader_id: str) -> dict[str, str]:
    """The encryption context that a reader's data key is wrapped with."""
    return {"consortium:reader": reader_id}


def hub_secret_context(name: str) -> dict[str, str]:
    """The encryption context a hub-wide secret (:class:`~consortium.profiles.ports.HubSecrets`) is kept under:
    its key differs from :func:`reader_context`'s, so no reader id can name it."""
    return {"consortium:hub-secret": name}


def _associated_data(reader_id: str, kind: str, version: int) -> bytes:
    # JSON of a list is unambiguous (no field can run into the next), and the format tag is bound too.
    return _MAGIC + json.dumps([reader_id, kind, version], ensure_ascii=False, separators=(",", ":")).encode()


class EnvelopeCipher:
    """Seal and open a reader's payloads under that reader's data key.

    Unwrapped data keys are kept in a small in-memory LRU (per wrapped key and reader), so a burst of records
    of one reader costs one call to the key service. Keys are never logged.

    Parameters
    ----------
    keys
        The key service that makes and unwraps data keys.
    cache_size
        How many unwrapped data keys to keep; ``0`` keeps none.

    Example
    -------
    >>> cipher = EnvelopeCipher(keys)
    >>> wrapped = cipher.new_reader_key("r1")  # store this with the reader
    >>> sealed = cipher.encrypt(wrapped, "r1", "profile", 1, b'{"name": "..."}')
    >>> cipher.decrypt(wrapped, "r1", "profile", 1, sealed)
    b'{"name": "..."}'
    """

    def __init__(self, keys: KeyService, cache_size: int = 256) -> None:
        if cache_size < 0:
            raise ValueError("cache_size must not be negative")
        self._keys = keys
        self._cache_size = cache_size
        self._cache: OrderedDict[tuple[bytes, str], AESGCM] = OrderedDict()
        self._lock = threading.Lock()

    def new_reader_key(self, reader_id: str) -> bytes:
        """Make a data key for the reader and return its wrapped form, the one to store."""
        plaintext, wrapped = self._keys.generate_data_key(reader_context(reader_id))
        if len(plaintext) != DATA_KEY_BYTES:
            raise KeyServiceError(
                f"the key service returned a {len(plaintext)}-byte data key, not {DATA_KEY_BYTES}", retryable=False
            )
        self._remember(wrapped, reader_id, AESGCM(plaintext))
        logger.debug("made a data key under KEK %s", self._keys.key_id())
        return wrapped

    def encrypt(self, wrapped_key: bytes, reader_id: str, kind: str, version: int, plaintext: bytes) -> bytes:
        """Seal ``plaintext`` (one record of ``kind`` at ``version``) for the reader, with a fresh nonce."""
        aead = self._aead(wrapped_key, reader_id)
        nonce = os.urandom(_NONCE_BYTES)
        return _MAGIC + nonce + aead.encrypt(nonce, plaintext, _associated_data(reader_id, kind, version))

    def decrypt(self, wrapped_key: bytes, reader_id: str, kind: str, version: int, ciphertext: bytes) -> bytes:
        """Open a payload sealed by :meth:`encrypt` with the same reader, kind and version.

        Raises :class:`DecryptionError` when anything differs or the bytes were changed.
        """
        if not ciphertext.startswith(_MAGIC):
            raise DecryptionError(f"not a sealed payload of format {_MAGIC.decode()}", kind=kind)
        if len(ciphertext) < len(_MAGIC) + _NONCE_BYTES + _TAG_BYTES:
            raise DecryptionError("sealed payload is truncated", kind=kind)
        aead = self._aead(wrapped_key, reader_id)
        nonce = ciphertext[len(_MAGIC) : len(_MAGIC) + _NONCE_BYTES]
        body = ciphertext[len(_MAGIC) + _NONCE_BYTES :]
        try:
            return aead.decrypt(nonce, body, _associated_data(reader_id, kind, version))
        except InvalidTag as exc:
            raise DecryptionError(
                f"{kind} v{version} payload does not open for this reader: it was changed, or it belongs to "
                "another reader, kind or version",
                kind=kind,
                version=version,
            ) from exc

    def forget(self, wrapped_key: bytes) -> None:
        """Drop the unwrapped key of ``wrapped_key`` from the cache (call it when erasing the reader)."""
        with self._lock:
            for cached in [entry for entry in self._cache if entry[0] == wrapped_key]:
                del self._cache[cached]

    def clear(self) -> None:
        """Drop every cached data key."""
        with self._lock:
            self._cache.clear()

    def _aead(self, wrapped_key: bytes, reader_id: str) -> AESGCM:
        entry = (wrapped_key, reader_id)
        with self._lock:
            aead = self._cache.get(entry)
            if aead is not None:
                self._cache.move_to_end(entry)
                return aead
        plaintext = self._keys.unwrap(wrapped_key, reader_context(reader_id))
        if len(plaintext) != DATA_KEY_BYTES:
            raise DecryptionError(f"unwrapped data key has {len(plaintext)} bytes, not {DATA_KEY_BYTES}")
        aead = AESGCM(plaintext)
        self._remember(wrapped_key, reader_id, aead)
        return aead

    def _remember(self, wrapped_key: bytes, reader_id: str, aead: AESGCM) -> None:
        if self._cache_size == 0:
            return
        with self._lock:
            self._cache[(wrapped_key, reader_id)] = aead
            self._cache.move_to_end((wrapped_key, reader_id))
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
