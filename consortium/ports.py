"""The ports the core depends on. Each has a local adapter, an AWS adapter and an in-memory one, and one
contract suite in ``tests/contract`` that every adapter passes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from consortium.profiles.store import ProfileStore

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence
    from datetime import datetime

    from consortium.dedup.state import ClusterChange, RecordKey, RecordPlacement
    from consortium.harvest.state import Checkpoint, PageCommit
    from consortium.models import Cluster, QuarantinedRecord, Record

__all__ = ["BlobStore", "ClusterStore", "KeyService", "ProfileStore", "RecordStore"]


class RecordStore(Protocol):
    """Normalized records keyed by ``(member, local_id)``, the quarantine, and harvest checkpoints.

    Example
    -------
    >>> store.commit(PageCommit(changes=[RecordChange(member="m", local_id="1", record=rec)], checkpoint=cp))
    >>> store.get("m", "1").title
    """

    def get(self, member: str, local_id: str) -> Record | None:
        """The record, or ``None`` when the member has no record with that id."""
        ...

    def digests(self, member: str, local_ids: Iterable[str]) -> dict[str, str]:
        """The raw digest of each of these records that is stored (absent ids are left out)."""
        ...

    def commit(self, page: PageCommit) -> None:
        """Apply a page's upserts, deletes and quarantined records, then save its checkpoint."""
        ...

    def records(self, member: str | None = None) -> Iterator[Record]:
        """Every stored record, or one member's, in ``(member, local_id)`` order."""
        ...

    def count(self, member: str | None = None) -> int: ...

    def quarantined(self, member: str | None = None) -> list[QuarantinedRecord]: ...

    def checkpoint(self, source_id: str) -> Checkpoint | None:
        """The source's last saved checkpoint."""
        ...


class BlobStore(Protocol):
    """The raw archive: bytes stored under their SHA-256 digest (content-addressed, so writes are idempotent)."""

    def put(self, data: bytes) -> str:
        """Store ``data`` and return its digest."""
        ...

    def put_many(self, blobs: Sequence[bytes]) -> list[str]:
        """Store every blob of ``blobs`` and return their digests, in order (one per blob, duplicates included).

        Idempotent like :meth:`put`: a blob already stored is left as it is. When it returns, every blob is
        stored; when it raises, some may be (an empty batch does nothing).
        """
        ...

    def get(self, digest: str) -> bytes:
        """The bytes stored under ``digest``; :class:`~consortium.errors.NotFoundError` if none."""
        ...

    def exists(self, digest: str) -> bool: ...


class ClusterStore(Protocol):
    """Clusters (works), each record's placement in one, and the blocking index of candidate keys.

    Example
    -------
    >>> store.apply(ClusterChange(placements=[placement], saved=[cluster]))
    >>> store.cluster_of(("riverside", "b1"))
    """

    def placement(self, key: RecordKey) -> RecordPlacement | None:
        """The record's cluster, keys and first-seen time, or ``None`` for a record never clustered."""
        ...

    def lookup(self, keys: Iterable[str], limit: int = 100) -> dict[str, list[RecordKey]]:
        """For each blocking key, the records that have it (at most ``limit`` each, in key order)."""
        ...

    def members_of(self, cluster_id: str) -> list[RecordKey]:
        """The records placed in the cluster, sorted."""
        ...

    def get(self, cluster_id: str) -> Cluster | None: ...

    def apply(self, change: ClusterChange) -> None:
        """Apply the whole change, or nothing of it."""
        ...

    def clusters(self) -> Iterator[Cluster]:
        """Every cluster, by id."""
        ...

    def new_since(self, since: datetime, until: datetime | None = None) -> Iterator[Cluster]:
        """Clusters whose first_seen is in [since, until) (until=None: no upper bound), oldest first (ties by
        cluster_id).

        Read through an index on ``first_seen``, not by scanning every cluster. Times are compared as instants
        (a naive datetime counts as UTC). A deleted cluster is never returned; a cluster saved again appears
        once, under its current ``first_seen``.
        """
        ...

    def count(self) -> int: ...


class KeyService(Protocol):
    """Wraps each reader's data key under a key-encryption key (KMS, or the local key file).

    ``context`` is an encryption context: the same mapping must be given to unwrap or rewrap as was given when
    the key was made, or the call fails with :class:`~consortium.profiles.crypto.DecryptionError`. Failures of
    the service itself raise :class:`~consortium.profiles.crypto.KeyServiceError`. Implementations never log
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
