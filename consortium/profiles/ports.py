"""The profiles feature's ports: the :class:`ProfileStore` (wrapped keys, encrypted items, audit log), the
:class:`KeyService` that wraps each reader's data key, its crypto-shredding extension
(:class:`DestroyableKeyService`, :class:`ContextSecrets`), the hub-wide secrets some key services keep beside the
readers' (:class:`HubSecrets`) and the :class:`ConsentLedger`, with the errors their contracts name.

A profile store never sees plaintext. Reader ids are opaque; an item is addressed by ``(reader_id, kind, item_id)`` and
holds only ciphertext and the version bound into it. The audit log says who touched whose data, what kind, how,
when and for which purpose, never the data.

Each port has a memory, a local and an AWS adapter and one contract suite in ``tests/contract/``
(``test_profile_store.py``, ``test_key_service.py``, ``test_consent_ledger.py``, ``test_context_secrets.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from consortium.errors import ConsortiumError, StorageError

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from consortium.profiles.consent import ConsentEvent, Purpose
    from consortium.profiles.models import AuditEntry, StoredItem

__all__ = [
    "ConsentLedger",
    "ContextSecrets",
    "DecryptionError",
    "DestroyableKeyService",
    "HubSecrets",
    "KeyService",
    "KeyServiceError",
    "ProfileStore",
]


class DecryptionError(ConsortiumError):
    """A ciphertext or a wrapped key does not open: it was tampered with, it belongs to another reader or kind
    of record, its encryption context differs, or the key it needs is gone (erased reader, retired KEK).
    Retrying cannot help."""


class KeyServiceError(StorageError):
    """The key service (KMS, the local key file) failed or refused a request.

    ``retryable`` is true for transient failures (throttling, the network) and false for lasting ones (a key
    disabled or deleted, an unsafe or corrupt key file).
    """

    def __init__(self, message: str, *, retryable: bool = True, **details: object) -> None:
        super().__init__(message, **details)
        self.retryable = retryable


class ProfileStore(Protocol):
    """Readers' wrapped data keys, encrypted items and the audit log.

    Example
    -------
    >>> store.put_key("r1", wrapped)
    >>> store.put("r1", "profile", "profile", sealed, 1)
    >>> store.get("r1", "profile", "profile").ciphertext == sealed
    True
    """

    def put_key(self, reader_id: str, wrapped_key: bytes) -> None:
        """Store (or replace) the reader's wrapped data key."""
        ...

    def get_key(self, reader_id: str) -> bytes | None:
        """The reader's wrapped data key, or ``None`` when there is none (never created, or erased)."""
        ...

    def delete_key(self, reader_id: str) -> None:
        """Delete the reader's wrapped data key (nothing happens when there is none)."""
        ...

    def put(self, reader_id: str, kind: str, item_id: str, ciphertext: bytes, version: int) -> None:
        """Store (or replace) one encrypted item."""
        ...

    def get(self, reader_id: str, kind: str, item_id: str) -> StoredItem | None:
        """One item, or ``None``."""
        ...

    def items(self, reader_id: str, kind: str | None = None) -> list[StoredItem]:
        """The reader's items (of one kind, or all), in ``(kind, item_id)`` order."""
        ...

    def delete(self, reader_id: str, kind: str, item_id: str) -> None:
        """Delete one item (nothing happens when it is absent)."""
        ...

    def delete_reader(self, reader_id: str) -> None:
        """Delete every item of the reader (not the wrapped key, not the audit log)."""
        ...

    def readers(self) -> list[str]:
        """The ids of every reader with a wrapped key or an item, sorted."""
        ...

    def audit(self, entry: AuditEntry) -> None:
        """Append one entry to the audit log."""
        ...

    def audit_log(self, reader_id: str) -> list[AuditEntry]:
        """The entries about the reader, in time order (same-moment entries in the order appended)."""
        ...

    def detach_audit(self, reader_id: str, pseudonym: str) -> None:
        """Move every entry about the reader under ``pseudonym`` (:meth:`AuditEntry.detached
        <consortium.profiles.models.AuditEntry.detached>`: the reader id, and the actor id where the reader acted).
        Afterwards ``audit_log(reader_id)`` is empty, so a new reader given the same id starts a log of their
        own, and ``audit_log(pseudonym)`` holds the entries in their order. Moving again moves nothing; a move
        cut short is finished by calling it again."""
        ...

    def transaction(self) -> AbstractContextManager[None]:
        """A block whose writes go together: where the backend has transactions (SQLite) they are one, committed
        when the block ends and rolled back if it raises, and no other writer's change lands between the block's
        reads and writes (a read-modify-write of one reader's items); elsewhere (memory, DynamoDB) each write
        goes as it is made. Reads inside the block see its writes. A block inside another joins it.

        Example
        -------
        >>> with store.transaction():
        ...     store.put("r1", "event", "e1", sealed, 1)
        ...     store.audit(entry)
        """
        ...


class KeyService(Protocol):
    """Wraps each reader's data key under a key-encryption key (KMS, or the local key file).

    ``context`` is an encryption context: the same mapping must be given to unwrap or rewrap as was given when
    the key was made, or the call fails with :class:`DecryptionError`. Failures of
    the service itself raise :class:`KeyServiceError`. Implementations never log
    keys, only key ids.

    Example
    -------
    >>> plaintext, wrapped = keys.generate_data_key({"reader": "r1"})
    >>> keys.unwrap(wrapped, {"reader": "r1"}) == plaintext
    True
    """

    def generate_data_key(self, context: dict[str, str]) -> tuple[bytes, bytes]:
        """A fresh 256-bit data key: ``(plaintext key, wrapped key)``. Store only the wrapped one."""
        ...

    def unwrap(self, wrapped: bytes, context: dict[str, str]) -> bytes:
        """The plaintext data key inside ``wrapped``."""
        ...

    def rewrap(self, wrapped: bytes, context: dict[str, str]) -> bytes:
        """``wrapped`` re-wrapped under the current key-encryption key (after a rotation); the data key, and
        so every payload encrypted under it, stays the same."""
        ...

    def key_id(self) -> str:
        """The id of the key-encryption key that new data keys are wrapped under."""
        ...


@runtime_checkable
class DestroyableKeyService(Protocol):
    """A key service that can destroy what it holds for one encryption context (crypto-shredding)."""

    def destroy(self, context: dict[str, str]) -> None: ...


@runtime_checkable
class HubSecrets(Protocol):
    """A key service that also keeps named hub-wide secrets: random 32-byte secrets that belong to no reader
    (the key of push tokens, :mod:`consortium.push.tokens`), kept where the readers' context secrets are (the
    in-memory service, the local key folder, the AWS secrets table without backups), under an encryption context
    no reader's can equal (:func:`~consortium.profiles.crypto.hub_secret_context`). Erasing a reader never
    touches them.

    Example
    -------
    >>> secret = keys.hub_secret("push-token-key:1", create=True)
    >>> keys.hub_secret("push-token-key:1", create=False) == secret
    True
    >>> keys.destroy_hub_secret("push-token-key:1")
    """

    def hub_secret(self, name: str, *, create: bool) -> bytes | None:
        """The secret called ``name`` (32 bytes): made first when ``create`` and there is none (two callers
        racing get the same one), else ``None`` when there is none (never made, or destroyed)."""
        ...

    def destroy_hub_secret(self, name: str) -> None:
        """Delete the secret called ``name`` (nothing happens when there is none)."""
        ...


class ContextSecrets(Protocol):
    """Where :class:`ShreddingKmsKeyService` keeps a random secret per encryption context, out of every backup."""

    def get(self, context: dict[str, str], *, create: bool) -> bytes | None:
        """The context's secret; made first when ``create`` and there is none, else ``None`` when there is none."""
        ...

    def destroy(self, context: dict[str, str]) -> None:
        """Delete the context's secret (nothing happens when there is none): data keys that need it no longer
        open, in any copy."""
        ...


class ConsentLedger(Protocol):
    """The append-only record of every reader's consent decisions.

    Granting and withdrawing are the same call. No single event is ever updated or deleted; :meth:`erase`
    removes a reader's whole history, for the right to erasure.

    Example
    -------
    >>> ledger.append(ConsentEvent(reader_id="r1", purpose=Purpose.PUSH, granted=True,
    ...                            policy_version=policy.version, at=now))
    >>> ledger.current("r1")[Purpose.PUSH]
    True
    """

    def append(self, event: ConsentEvent) -> None:
        """Record a grant or a withdrawal."""
        ...

    def history(self, reader_id: str) -> list[ConsentEvent]:
        """The reader's events in time order (events at the same moment in the order they were appended)."""
        ...

    def current(self, reader_id: str) -> dict[Purpose, bool]:
        """Whether each purpose is granted now: its latest event decides, and no event means not granted."""
        ...

    def erase(self, reader_id: str) -> None:
        """Remove the reader's whole history (nothing happens for a reader with none)."""
        ...
