"""The AWS :class:`~consortium.profiles.ports.KeyService`: readers' data keys made and wrapped by a KMS key."""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from consortium.profiles.crypto import hub_secret_context
from consortium.profiles.ports import DecryptionError, KeyServiceError

if TYPE_CHECKING:
    from consortium.profiles.ports import ContextSecrets

__all__ = ["KmsKeyService", "ShreddingKmsKeyService"]

_UNREADABLE = frozenset({"InvalidCiphertextException", "IncorrectKeyException"})
"""KMS refused the ciphertext itself: wrong encryption context, changed bytes, or another key's ciphertext."""
_RETRYABLE = frozenset(
    {
        "DependencyTimeoutException",
        "KMSInternalException",
        "KeyUnavailableException",
        "LimitExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
    }
)


class KmsKeyService:
    """A :class:`~consortium.profiles.ports.KeyService` over one symmetric KMS key (customer managed).

    Data keys come from GenerateDataKey (``AES_256``) with the encryption context; unwrapping is Decrypt with
    the same context; :meth:`rewrap` is ReEncrypt to ``key_id``, which never shows the data key to the caller.
    KMS rotates the key material of a key by itself (old ciphertexts keep working); to move to another KMS key,
    point ``key_id`` (best an alias) at it and rewrap every stored data key. Decrypt is called without a KeyId
    (a symmetric ciphertext names its key), so keys wrapped under the previous KMS key still open until
    rewrapped. The caller needs ``kms:GenerateDataKey``, ``kms:Decrypt`` and ``kms:ReEncrypt*`` on the keys.

    Parameters
    ----------
    key_id
        The key id, key ARN, alias name (``alias/...``) or alias ARN of the KMS key new data keys are wrapped
        under.
    client
        A boto3 KMS client; one is made from the default session when omitted.

    Example
    -------
    >>> keys = KmsKeyService("alias/consortium-readers", boto3.client("kms"))
    >>> plaintext, wrapped = keys.generate_data_key({"consortium:reader": "r1"})
    """

    def __init__(self, key_id: str, client: Any = None) -> None:
        self._key_id = key_id
        self._client: Any = client if client is not None else boto3.client("kms")

    def __repr__(self) -> str:
        return f"KmsKeyService({self._key_id!r})"

    def generate_data_key(self, context: dict[str, str]) -> tuple[bytes, bytes]:
        """A fresh 256-bit data key and its wrapped form (the KMS ciphertext blob)."""
        try:
            response = self._client.generate_data_key(KeyId=self._key_id, KeySpec="AES_256", EncryptionContext=context)
        except (ClientError, BotoCoreError) as exc:
            raise _error("generate a data key", self._key_id, exc) from exc
        return bytes(response["Plaintext"]), bytes(response["CiphertextBlob"])

    def unwrap(self, wrapped: bytes, context: dict[str, str]) -> bytes:
        """The data key inside ``wrapped``; :class:`DecryptionError` when KMS refuses the ciphertext."""
        try:
            response = self._client.decrypt(CiphertextBlob=wrapped, EncryptionContext=context)
        except (ClientError, BotoCoreError) as exc:
            raise _error("unwrap a data key", self._key_id, exc) from exc
        return bytes(response["Plaintext"])

    def rewrap(self, wrapped: bytes, context: dict[str, str]) -> bytes:
        """``wrapped`` re-encrypted under ``key_id`` by KMS (ReEncrypt), with the same context."""
        try:
            response = self._client.re_encrypt(
                CiphertextBlob=wrapped,
                SourceEncryptionContext=context,
                DestinationKeyId=self._key_id,
                DestinationEncryptionContext=context,
            )
        except (ClientError, BotoCoreError) as exc:
            raise _error("rewrap a data key", self._key_id, exc) from exc
        return bytes(response["CiphertextBlob"])

    def key_id(self) -> str:
        """The KMS key (id, ARN or alias, as given) that new data keys are wrapped under."""
        return self._key_id


def _error(action: str, key_id: str, exc: ClientError | BotoCoreError) -> DecryptionError | KeyServiceError:
    if isinstance(exc, BotoCoreError):
        return KeyServiceError(f"cannot {action} with KMS key {key_id}: {exc}", key_id=key_id)
    code = str(exc.response.get("Error", {}).get("Code", ""))
    if code in _UNREADABLE:
        return DecryptionError(
            f"KMS cannot {action}: the ciphertext is not readable with this encryption context ({code})",
            key_id=key_id,
            code=code,
        )
    return KeyServiceError(
        f"KMS refused to {action} with key {key_id}: {code or exc}",
        retryable=code in _RETRYABLE,
        key_id=key_id,
        code=code,
    )


_SHREDDABLE = b"KS1"
"""The prefix of a wrapped key whose data key also needs the context's secret (:class:`ShreddingKmsKeyService`).
A KMS ciphertext blob never starts with it (its first byte is a format version, 0x01 or 0x02)."""


class ShreddingKmsKeyService(KmsKeyService):
    """:class:`KmsKeyService` whose data keys can be destroyed one reader at a time, backups included.

    The data key is HMAC-SHA256(context secret, ``b"KS1"`` | the KMS data key): KMS still wraps, rotates and
    rewraps the KMS part, and the random per-context secret lives in ``secrets`` (a table without backups,
    :class:`~consortium.adapters.aws.reader_secrets.DynamoDbContextSecrets`). :meth:`destroy` deletes the secret:
    a wrapped key restored from a point-in-time backup of the profile table still unwraps at KMS, but the data
    key it gives is useless without the secret. The wrapped form is ``b"KS1"`` | KMS ciphertext blob; keys
    wrapped by a plain :class:`KmsKeyService` (no prefix) still unwrap, without that protection.

    It also keeps hub-wide secrets (:class:`~consortium.profiles.ports.HubSecrets`, the key of push tokens) in
    the same table, under :func:`~consortium.profiles.crypto.hub_secret_context`; a plain :class:`KmsKeyService`
    keeps none.

    Example
    -------
    >>> keys = ShreddingKmsKeyService("alias/consortium-readers", DynamoDbContextSecrets("reader-secrets"))
    >>> keys.destroy({"consortium:reader": "r1"})  # r1's data keys, every copy, no longer open
    """

    def __init__(self, key_id: str, secrets: ContextSecrets, client: Any = None) -> None:
        super().__init__(key_id, client)
        self._secrets = secrets

    def __repr__(self) -> str:
        return f"ShreddingKmsKeyService({self.key_id()!r}, {self._secrets!r})"

    def generate_data_key(self, context: dict[str, str]) -> tuple[bytes, bytes]:
        secret = self._secrets.get(context, create=True)
        assert secret is not None
        material, blob = super().generate_data_key(context)
        return _derive(secret, material), _SHREDDABLE + blob

    def unwrap(self, wrapped: bytes, context: dict[str, str]) -> bytes:
        if not wrapped.startswith(_SHREDDABLE):
            return super().unwrap(wrapped, context)
        secret = self._secrets.get(context, create=False)
        if secret is None:
            raise DecryptionError(
                "wrapped data key does not open: the secret of its encryption context was destroyed (erased)",
                key_id=self.key_id(),
            )
        return _derive(secret, super().unwrap(wrapped[len(_SHREDDABLE) :], context))

    def rewrap(self, wrapped: bytes, context: dict[str, str]) -> bytes:
        """``wrapped`` with its KMS part re-encrypted under ``key_id``; the secret, and so the data key, stay."""
        if not wrapped.startswith(_SHREDDABLE):
            return super().rewrap(wrapped, context)
        return _SHREDDABLE + super().rewrap(wrapped[len(_SHREDDABLE) :], context)

    def destroy(self, context: dict[str, str]) -> None:
        """Destroy the context's secret: no data key wrapped for it, in any copy, opens again."""
        self._secrets.destroy(context)

    def hub_secret(self, name: str, *, create: bool) -> bytes | None:
        """The hub-wide secret called ``name``, kept in the secrets table like a reader's."""
        return self._secrets.get(hub_secret_context(name), create=create)

    def destroy_hub_secret(self, name: str) -> None:
        """Delete the hub-wide secret called ``name`` (nothing happens when there is none)."""
        self._secrets.destroy(hub_secret_context(name))


def _derive(secret: bytes, material: bytes) -> bytes:
    return hmac.new(secret, _SHREDDABLE + material, hashlib.sha256).digest()
