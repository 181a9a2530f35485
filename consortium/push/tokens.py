"""Push tokens: a subscription's private token, which is its Atom feed's URL and its one-click unsubscribe link
(RFC 8058). Whoever holds a forwarded mail, a shared feed reader or a proxy log holds the token, so it must be
unforgeable and revocable, and it must not tell who the reader is.

Tokens issued now (format 2)::

    <generation>.<sealed>.<secret>

``secret``
    32 random bytes, base64url: what makes the token unforgeable. The whole token is kept, encrypted, in the
    reader's subscription and compared in constant time, so subscribing again (a new token replaces it) or
    unsubscribing (it is cleared) revokes it, and erasing the reader leaves nothing it could match.
``sealed``
    base64url of a random 16-byte nonce and AES-SIV (RFC 5297, a 512-bit key) of the reader id in UTF-8, padded
    to a multiple of 64 bytes; the associated data bind the format, the generation, the secret and the nonce, so
    changing any part opens nothing, before any store is read. The hub opens it to find the one reader to look up
    (no index, no scan); to anyone else it is noise whose length shows only how many 64-byte blocks the id
    needs (every id of up to 63 bytes gives the same length), and two tokens of one reader share nothing. AES-SIV,
    not AES-GCM: the key is hub-wide and long-lived, and every process seals with random nonces; a repeated
    nonce would cost GCM its secrecy and its authentication key, and costs SIV only showing that two tokens seal
    the same id.
``generation``
    which token key sealed it (``[a-z0-9]{1,16}``, ``CONSORTIUM_PUSH_TOKEN_KEY``, default ``1``). The key is
    HKDF-SHA256 of the hub secret ``push-token-key:<generation>``, kept by the key service beside the readers'
    secrets (:class:`~consortium.profiles.ports.HubSecrets`: in memory, the local key folder, or the AWS secrets
    table that has no backups). Rotating is setting a new generation: new tokens are sealed under it, older ones
    keep opening while their generation's secret is kept. :meth:`PushTokens.retire` destroys an old generation's
    secret, and with it every token sealed under it (readers subscribe again for new links). A process keeps a
    key it looked up for :data:`KEY_CACHE_SECONDS`, so a retirement elsewhere reaches it within that time.

Legacy tokens (format 1, ``<reader id, base64url>.<32 random bytes, base64url>``) showed the reader id. They are
never issued again, but a link already mailed must keep working, so they are still opened for lookup: a legacy
token lives as long as its subscription keeps it, which is until the reader subscribes to that service again (the
new token replaces it) or unsubscribes. Until then the digests of that subscription still carry it.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import threading
import time
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from consortium.errors import ConfigError, ConflictError, NotFoundError, ValidationError
from consortium.profiles.ports import HubSecrets

if TYPE_CHECKING:
    from collections.abc import Callable

    from consortium.profiles.ports import KeyService

__all__ = [
    "DEFAULT_GENERATION",
    "KEY_CACHE_SECONDS",
    "UNKNOWN_TOKEN",
    "PushTokens",
    "UnknownTokenError",
    "token_key_name",
]

UNKNOWN_TOKEN = "no such feed or link"
"""The one message of :class:`UnknownTokenError`."""

DEFAULT_GENERATION = "1"
"""The token key generation new tokens are sealed under unless configured otherwise."""

KEY_CACHE_SECONDS = 300.0
"""How long a process keeps a token key it looked up before asking the key service again."""

_FORMAT = b"consortium push token 2"
_GENERATION = re.compile(r"[a-z0-9]{1,16}")
_SECRET_BYTES = 32
_SECRET_CHARS = 43
"""The base64url length of the secret (32 bytes, unpadded)."""
_NONCE_BYTES = 16
_TAG_BYTES = 16
_BLOCK = 64
"""Reader ids are padded to a multiple of this many bytes before sealing."""
_LEGACY_SECRET_CHARS = 32


class UnknownTokenError(NotFoundError):
    """A private token that opens nothing: malformed, changed, revoked, never made, of an unknown or erased
    reader, sealed under a retired key, or (for a feed) of a subscription not delivered as a feed. Every such
    token gets the same message, so that an answer never tells whether a reader exists."""

    def __init__(self) -> None:
        super().__init__(UNKNOWN_TOKEN)


def token_key_name(generation: str) -> str:
    """The name of the hub secret a generation's token key is derived from."""
    return f"push-token-key:{generation}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    """The bytes whose canonical unpadded base64url ``text`` is; :class:`UnknownTokenError` for anything else."""
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise UnknownTokenError from exc
    if not text or _b64(data) != text:  # characters outside the alphabet, or stray bits: not ours
        raise UnknownTokenError
    return data


def _pad(data: bytes) -> bytes:
    """ISO/IEC 7816-4 padding (0x80, then zeros) to a multiple of :data:`_BLOCK` bytes."""
    fill = _BLOCK - len(data) % _BLOCK
    return data + b"\x80" + b"\x00" * (fill - 1)


def _unpad(padded: bytes) -> bytes:
    stripped = padded.rstrip(b"\x00")
    if not stripped.endswith(b"\x80"):
        raise UnknownTokenError
    return stripped[:-1]


def _associated_data(generation: str, secret: str, nonce: bytes) -> list[bytes]:
    # RFC 5297 takes the nonce as the last associated-data component.
    return [_FORMAT, generation.encode("ascii"), secret.encode("ascii"), nonce]


def _legacy_owner(owner: str, secret: str) -> str:
    """The reader id a format-1 token names (only a lookup key: the token must still match the one kept)."""
    if len(secret) < _LEGACY_SECRET_CHARS:
        raise UnknownTokenError
    try:
        return _unb64(owner).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnknownTokenError from exc


class PushTokens:
    """Issues format-2 tokens and finds the reader a token names (see the module notes).

    Parameters
    ----------
    keys
        The key service; it keeps the token keys' secrets when it is a
        :class:`~consortium.profiles.ports.HubSecrets` (every key service the hub builds is). Without one, issuing
        or opening a format-2 token is a :class:`~consortium.errors.ConfigError`; legacy tokens still open.
    generation
        The token key generation new tokens are sealed under.
    key_cache_seconds, monotonic
        How long a looked-up key is kept, and the clock that measures it.

    Example
    -------
    >>> tokens = PushTokens(InMemoryKeyService())
    >>> token = tokens.issue("林黛玉")
    >>> tokens.owner(token)
    '林黛玉'
    """

    def __init__(
        self,
        keys: KeyService | None,
        generation: str = DEFAULT_GENERATION,
        *,
        key_cache_seconds: float = KEY_CACHE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if not _GENERATION.fullmatch(generation):
            raise ConfigError(
                f"a push token key generation is 1 to 16 lowercase letters or digits, not {generation!r}",
                field="push_token_key",
            )
        self.generation = generation
        self._secrets = keys if isinstance(keys, HubSecrets) else None
        self._ttl = key_cache_seconds
        self._monotonic = monotonic
        self._cache: dict[str, tuple[AESSIV, float]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"PushTokens(generation={self.generation!r})"

    def issue(self, reader_id: str) -> str:
        """A new token for ``reader_id``, sealed under the current generation's key (made on first use)."""
        cipher = self._cipher(self.generation, create=True)
        assert cipher is not None
        secret = _b64(os.urandom(_SECRET_BYTES))
        nonce = os.urandom(_NONCE_BYTES)
        sealed = cipher.encrypt(_pad(reader_id.encode("utf-8")), _associated_data(self.generation, secret, nonce))
        return f"{self.generation}.{_b64(nonce + sealed)}.{secret}"

    def owner(self, token: str) -> str:
        """The reader id ``token`` names: only where to look, since a revoked token still names its reader (the
        caller compares the token with the one the subscription keeps). :class:`UnknownTokenError` when it names
        none: malformed, changed, or sealed under a key that is not kept."""
        parts = token.split(".")
        if len(parts) == 2:
            return _legacy_owner(*parts)
        if len(parts) != 3:
            raise UnknownTokenError
        generation, sealed_text, secret = parts
        if not _GENERATION.fullmatch(generation) or len(secret) != _SECRET_CHARS:
            raise UnknownTokenError
        _unb64(secret)
        blob = _unb64(sealed_text)
        body = len(blob) - _NONCE_BYTES - _TAG_BYTES
        if body < _BLOCK or body % _BLOCK:
            raise UnknownTokenError
        cipher = self._cipher(generation, create=False)
        if cipher is None:
            raise UnknownTokenError
        nonce = blob[:_NONCE_BYTES]
        try:
            padded = cipher.decrypt(blob[_NONCE_BYTES:], _associated_data(generation, secret, nonce))
        except InvalidTag as exc:
            raise UnknownTokenError from exc
        try:
            return _unpad(padded).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UnknownTokenError from exc

    def retire(self, generation: str) -> None:
        """Destroy an old generation's key: every token sealed under it opens nothing from now on (in other
        processes, within :data:`KEY_CACHE_SECONDS`). The current generation cannot be retired."""
        if generation == self.generation:
            raise ConflictError(
                f"token key {generation} is the current one; set another before retiring it", generation=generation
            )
        if not _GENERATION.fullmatch(generation):
            raise ValidationError(f"no such token key generation: {generation!r}", generation=generation)
        self._hub_secrets().destroy_hub_secret(token_key_name(generation))
        with self._lock:
            self._cache.pop(generation, None)

    # -- inside

    def _hub_secrets(self) -> HubSecrets:
        if self._secrets is None:
            raise ConfigError(
                "push tokens need a key service that keeps hub secrets (the in-memory one, the local key file, "
                "or ShreddingKmsKeyService on AWS)"
            )
        return self._secrets

    def _cipher(self, generation: str, *, create: bool) -> AESSIV | None:
        """The generation's AES-SIV, from the cache or derived from its hub secret; ``None`` when the secret is
        not kept (and ``create`` is false)."""
        now = self._monotonic()
        with self._lock:
            cached = self._cache.get(generation)
        if cached is not None and cached[1] > now:
            return cached[0]
        secret = self._hub_secrets().hub_secret(token_key_name(generation), create=create)
        if secret is None:
            with self._lock:
                self._cache.pop(generation, None)
            return None
        key = HKDF(hashes.SHA256(), 64, salt=None, info=_FORMAT + b"\x00" + generation.encode("ascii")).derive(secret)
        cipher = AESSIV(key)
        with self._lock:
            self._cache[generation] = (cipher, now + self._ttl)
        return cipher
