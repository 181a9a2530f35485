"""The harvest feature's ports: the record store (normalized records, quarantine, checkpoints), the raw
archive (:class:`BlobStore`) and the members' harvest runs (:class:`HarvestRunStore`).

Adapters: memory (:mod:`consortium.adapters.memory.stores`), SQLite and folder (:mod:`consortium.adapters.local`),
DynamoDB and S3 (:mod:`consortium.adapters.aws`); contract suites ``tests/contract/test_record_store.py``,
``tests/contract/test_blob_store.py`` and ``tests/contract/test_harvest_runs.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

    from consortium.harvest.runs import HarvestRun
    from consortium.harvest.state import Checkpoint, PageCommit, RecordChange
    from consortium.models import QuarantinedRecord, Record, ResourceFormat

__all__ = ["BlobStore", "Follower", "HarvestRunStore", "RecordStore"]


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

    def get_many(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Record]:
        """The records under these ``(member, local_id)`` keys that are stored (absent ones left out), read in
        batches: what a partition of a partitioned rebuild reads instead of every record."""
        ...

    def commit(self, page: PageCommit) -> int:
        """Apply a page's upserts, deletes and quarantined records, then save its checkpoint.

        The quarantined records the page supersedes (:meth:`~consortium.harvest.state.PageCommit.superseding`)
        leave the quarantine with it, found through an index of ``(member, source_id, local_id)``, never by
        reading a member's whole quarantine; so do the page's :attr:`~consortium.harvest.state.PageCommit.cleared`
        ones (by key; those gone already count for nothing). The checkpoint is saved with them counted in
        ``counts.superseded``. Returns how many left.
        """
        ...

    def source_ids(self, member: str, source_id: str) -> Iterator[str]:
        """The ids of the member's records stored from this source (their ``source_id``), in id order.

        Read from an index of member and source, never from the member's other records: what a complete run of a
        file compares with the ids its file gave (:mod:`consortium.harvest.withdrawals`).
        """
        ...

    def source_quarantine(self, member: str, source_id: str) -> Iterator[QuarantinedRecord]:
        """The member's quarantined records of this source, by position: read from the member's quarantine index
        at the source's place, never another source's."""
        ...

    def records(self, member: str | None = None) -> Iterator[Record]:
        """Every stored record, or one member's, in ``(member, local_id)`` order."""
        ...

    def count(self, member: str | None = None) -> int: ...

    def count_by_format(self, member: str | None = None) -> dict[ResourceFormat, int]:
        """How many records of each format are stored, in all or for one member (formats with none left out).

        Read from counts or an index the store keeps, never by reading every record.
        """
        ...

    def quarantined(self, member: str | None = None) -> list[QuarantinedRecord]: ...

    def count_quarantined(self, member: str | None = None) -> int:
        """How many quarantined records are kept, in all or for one member (without reading them)."""
        ...

    def quarantine_page(
        self, member: str, *, after: tuple[str, str, str] | None = None, limit: int = 50
    ) -> list[QuarantinedRecord]:
        """At most ``limit`` of the member's quarantined records, by source and position, those after the one
        whose :attr:`~consortium.models.QuarantinedRecord.key` is ``after`` (the last of the page before).

        Read a page at a time from an index of the member's, never the whole quarantine; paging with each page's
        last key gives every one of the member's records once.
        """
        ...

    def quarantined_record(self, member: str, key: tuple[str, str, str]) -> QuarantinedRecord | None:
        """The member's quarantined record under ``key`` (``(source_id, position, raw digest)``), or ``None``
        (another member's is not the member's)."""
        ...

    def checkpoint(self, source_id: str) -> Checkpoint | None:
        """The source's last saved checkpoint."""
        ...

    def checkpoints(self) -> list[Checkpoint]:
        """Every source's last saved checkpoint, in source id order (one per source ever harvested)."""
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


class HarvestRunStore(Protocol):
    """Members' harvest runs (:class:`~consortium.harvest.runs.HarvestRun`), keyed by ``(member, run_id)``.

    Example
    -------
    >>> store.add(run)
    >>> store.runs("riverside", limit=20)[0].run_id == run.run_id
    True
    """

    def add(self, run: HarvestRun) -> None:
        """Keep a new run; :class:`~consortium.errors.ConflictError` when the member has a run with its id."""
        ...

    def save(self, run: HarvestRun) -> None:
        """Keep the run as it is now (replacing what was kept under its id)."""
        ...

    def get(self, member: str, run_id: str) -> HarvestRun | None:
        """The member's run, or ``None`` (another member's run with that id is not the member's)."""
        ...

    def runs(self, member: str, *, limit: int = 20, before: str | None = None) -> list[HarvestRun]:
        """The member's runs, newest first (by run id, descending): at most ``limit``, and only those whose id
        sorts before ``before`` when given (the next page after a run id)."""
        ...

    def delete(self, member: str, run_ids: Iterable[str]) -> None:
        """Forget these runs of the member (ids it has not are ignored)."""
        ...


class Follower(Protocol):
    """Clustering and indexing that follow a harvest elsewhere (another process) while it goes on: batches of
    committed changes are handed over, and followed later, in order (see :mod:`consortium.harvest.following`).

    Adapter: :mod:`consortium.bootstrap.follower` (a process of the local hub).
    """

    def hand(self, changes: list[RecordChange]) -> None:
        """Hand over one batch; :class:`~consortium.errors.StorageError` if the follower is no longer there."""

    def followed(self, *, wait: bool = False) -> int:
        """How many of the batches handed over are followed (clustered and indexed, committed), at once, or
        once one more is (``wait``); :class:`~consortium.errors.StorageError` if the follower died or failed."""

    def close(self) -> str:
        """Stop the follower (once what was handed over is done, if it still runs): how it ended."""

    def abandon(self) -> str:
        """Stop the follower at once, leaving what it has not committed (the harvest's checkpoint names it): how
        it ended. For a harvest asked to stop, which must not wait for batches handed over."""
