"""The record store and the raw archive in memory: for unit tests, and correct
:class:`~consortium.harvest.ports.RecordStore` and :class:`~consortium.harvest.ports.BlobStore` adapters."""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import TYPE_CHECKING

from consortium.errors import NotFoundError

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

    from consortium.harvest.state import Checkpoint, PageCommit
    from consortium.models import QuarantinedRecord, Record, ResourceFormat

__all__ = ["InMemoryBlobStore", "InMemoryRecordStore"]


class InMemoryRecordStore:
    """A :class:`~consortium.harvest.ports.RecordStore` in dicts; records and checkpoints go in and out as copies.

    Example
    -------
    >>> store = InMemoryRecordStore()
    >>> store.commit(PageCommit(changes=[RecordChange(member="m", local_id="1", record=record)], checkpoint=cp))
    >>> store.get("m", "1") == record
    True
    """

    def __init__(self) -> None:
        self._records: dict[tuple[str, str], Record] = {}
        self._quarantine: dict[tuple[str, str, str, str], QuarantinedRecord] = {}
        """By ``(member, source_id, position, digest)``: two members' sources may share an id, a position and the
        same bytes (one vendor's file loaded by both), and each keeps its own."""
        self._checkpoints: dict[str, Checkpoint] = {}
        self._by_source: dict[tuple[str, str], set[str]] = {}
        """The ids of each member's records by their source (what :meth:`source_ids` reads)."""

    def get(self, member: str, local_id: str) -> Record | None:
        record = self._records.get((member, local_id))
        return record.model_copy(deep=True) if record else None

    def get_many(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Record]:
        return {key: record.model_copy(deep=True) for key in keys if (record := self._records.get(key)) is not None}

    def digests(self, member: str, local_ids: Iterable[str]) -> dict[str, str]:
        found = {}
        for local_id in local_ids:
            record = self._records.get((member, local_id))
            if record is not None:
                found[local_id] = record.raw.digest
        return found

    def commit(self, page: PageCommit) -> int:
        superseding = page.superseding()
        kept = {(q.member, q.source_id, q.position, q.raw.digest) for q in page.quarantined}
        gone = [
            key
            for key, q in self._quarantine.items()
            if q.local_id is not None and (q.member, q.source_id, q.local_id) in superseding and key not in kept
        ]
        gone += [
            k for q in page.cleared if (k := (q.member, *q.key)) in self._quarantine and k not in kept and k not in gone
        ]
        for key in gone:
            del self._quarantine[key]
        for change in page.changes:
            old = self._records.pop((change.member, change.local_id), None)
            if old is not None:
                self._by_source[(old.member, old.source_id)].discard(old.local_id)
            if change.record is not None:
                self._records[(change.member, change.local_id)] = change.record.model_copy(deep=True)
                self._by_source.setdefault((change.member, change.record.source_id), set()).add(change.local_id)
        for item in page.quarantined:
            self._quarantine[(item.member, item.source_id, item.position, item.raw.digest)] = item.model_copy(deep=True)
        self._checkpoints[page.checkpoint.source_id] = page.counted(len(gone)).model_copy(deep=True)
        return len(gone)

    def records(self, member: str | None = None) -> Iterator[Record]:
        for key in sorted(self._records):
            if member is None or key[0] == member:
                yield self._records[key].model_copy(deep=True)

    def source_ids(self, member: str, source_id: str) -> Iterator[str]:
        yield from sorted(self._by_source.get((member, source_id), ()))

    def source_quarantine(self, member: str, source_id: str) -> Iterator[QuarantinedRecord]:
        keys = sorted(k for k in self._quarantine if k[:2] == (member, source_id))
        for key in keys:
            if (found := self._quarantine.get(key)) is not None:
                yield found.model_copy(deep=True)

    def count(self, member: str | None = None) -> int:
        return sum(1 for key in self._records if member is None or key[0] == member)

    def count_by_format(self, member: str | None = None) -> dict[ResourceFormat, int]:
        return dict(Counter(r.format for (m, _), r in self._records.items() if member is None or m == member))

    def count_quarantined(self, member: str | None = None) -> int:
        return sum(1 for q in self._quarantine.values() if member is None or q.member == member)

    def quarantined(self, member: str | None = None) -> list[QuarantinedRecord]:
        items = [q for q in self._quarantine.values() if member is None or q.member == member]
        return sorted(items, key=lambda q: (q.member, q.source_id, q.position))

    def quarantine_page(
        self, member: str, *, after: tuple[str, str, str] | None = None, limit: int = 50
    ) -> list[QuarantinedRecord]:
        keys = sorted(k[1:] for k in self._quarantine if k[0] == member and (after is None or k[1:] > after))
        return [self._quarantine[(member, *key)].model_copy(deep=True) for key in keys[: max(limit, 0)]]

    def quarantined_record(self, member: str, key: tuple[str, str, str]) -> QuarantinedRecord | None:
        found = self._quarantine.get((member, *key))
        return found.model_copy(deep=True) if found is not None else None

    def checkpoint(self, source_id: str) -> Checkpoint | None:
        cp = self._checkpoints.get(source_id)
        return cp.model_copy(deep=True) if cp else None

    def checkpoints(self) -> list[Checkpoint]:
        return [self._checkpoints[key].model_copy(deep=True) for key in sorted(self._checkpoints)]


class InMemoryBlobStore:
    """A :class:`~consortium.harvest.ports.BlobStore` in a dict keyed by SHA-256 digest.

    Example
    -------
    >>> archive = InMemoryBlobStore()
    >>> archive.get(archive.put(b"..."))
    b'...'
    """

    def __init__(self) -> None:
        self._blobs: dict[str, bytes] = {}

    def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        self._blobs.setdefault(digest, bytes(data))
        return digest

    def put_many(self, blobs: Sequence[bytes]) -> list[str]:
        # Through put, so that a subclass wrapping put (a test double) sees every blob.
        return [self.put(data) for data in blobs]

    def get(self, digest: str) -> bytes:
        try:
            return self._blobs[digest]
        except KeyError:
            raise NotFoundError(f"no raw record with digest {digest}", digest=digest) from None

    def exists(self, digest: str) -> bool:
        return digest in self._blobs
