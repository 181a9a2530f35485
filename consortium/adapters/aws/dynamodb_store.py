"""The record store in one DynamoDB table (single-table design).

=====================  ====================================  ==========================================
item                   ``pk``                                ``sk``
=====================  ====================================  ==========================================
record                 ``REC#<member>``                      ``<local_id>``
quarantined record     ``QUAR#<member>``                     ``<source_id>#<position>#<raw digest>``
quarantine by id       ``QID#<member>``                      ``<source_id>#<local_id>``
checkpoint             ``CP``                                ``<source_id>``
member directory       ``MEMBERS``                           ``<member>``
format entry           ``FMT#<member>#<format>``             ``<local_id>``
format directory       ``FORMATS``                           ``<member>#<format>``
source entry           ``RSRC#<member>#<source_id>``         ``<local_id>``
=====================  ====================================  ==========================================

Record, quarantine and checkpoint items hold the model as JSON in ``body``; records also hold ``digest``,
``format`` and ``source`` (source entries: :mod:`~consortium.adapters.aws.dynamodb_sources`). The member
directory lists every member that ever had a record or a quarantined one, so that reading all records is one
sorted Query per member, and counting them or the quarantined ones one Query with ``Select=COUNT`` per member.

Records per format, without a Scan: each record has one *format entry* in the partition of its member and
format, counted with ``Select=COUNT``; the *format directory* lists every (member, format) pair that ever had
an entry (never deleted), so :meth:`DynamoDbRecordStore.count_by_format` knows which partitions to count.
Before a page's records are written, ``commit`` reads their stored ``format`` (BatchGetItem) and writes the
entries that change: put in the new format's partition and deleted from the old one when a record is added,
changes format or is deleted; a record whose format stays costs no write. They are written before the records,
so the same page applied again after a failure (as a resumed harvest does) reads the old formats again and
converges. The cost: a page's records are read once more (their whole size counts towards read capacity,
whatever the projection), and each added or deleted record costs one more write. A table made before the
index: :meth:`DynamoDbRecordStore.index_formats` writes the entries and ``format`` of every record (Queries,
no Scan); run it while no harvest runs.

Quarantined records a good version supersedes, without reading a member's quarantine: each quarantined record
read with an id is listed (its ``sk``) in the ``quarantine by id`` item of its member, source and id, attribute
``sks`` (JSON). ``commit`` reads the items of the page's records (BatchGetItem; source ids have no ``#``), and
deletes the quarantined records they list (but those the page quarantines itself) and the items; then writes
the items of the page's own quarantined records (read, merged, put: one writer per source at a time), before
the records, so that the same page applied again converges. A table made before the index:
:meth:`DynamoDbRecordStore.index_quarantine` writes the items of every quarantined record (Queries, no Scan);
run it while no harvest runs. The records of a source's quarantine that a complete run of its file no longer
gives (a page's ``cleared``) are read by key (to count those still there), taken out of their ``quarantine by id``
items, then deleted.

DynamoDB sorts ``sk`` by UTF-8 bytes, which is the code-point order Python sorts strings in, so records come
out in ``(member, local_id)`` order.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

from consortium.adapters.aws.dynamodb_common import DynamoDbStore, delete_request, item, key_of, put_request
from consortium.adapters.aws.dynamodb_sources import SOURCE, entry_writes, source_ids, source_pk
from consortium.harvest.state import Checkpoint, PageCommit, RecordChange
from consortium.models import QuarantinedRecord, Record, ResourceFormat

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

__all__ = ["DynamoDbRecordStore"]

_MEMBERS = "MEMBERS"
_CHECKPOINT = "CP"
_FORMATS = "FORMATS"


def _format_pk(member: str, fmt: str) -> str:
    return f"FMT#{member}#{fmt}"


def _quarantine_sk(source_id: str, position: str, digest: str) -> str:
    return f"{source_id}#{position}#{digest}"


def _by_id_key(member: str, source_id: str, local_id: str) -> dict[str, Any]:
    return key_of(f"QID#{member}", f"{source_id}#{local_id}")


class DynamoDbRecordStore(DynamoDbStore):
    """A :class:`~consortium.harvest.ports.RecordStore` in a DynamoDB table.

    A page is written with batched writes and its checkpoint is put last, so a crash part-way leaves the old
    checkpoint and re-applying the page gives the same result. Reads are strongly consistent.

    Made as :class:`~consortium.adapters.aws.dynamodb_common.DynamoDbStore` is: ``table_name``, ``client``,
    ``sleep``.

    Example
    -------
    >>> store = DynamoDbRecordStore("consortium-records", boto3.client("dynamodb"))
    >>> store.commit(page)
    """

    def __init__(self, table_name: str, client: Any = None, *, sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__(table_name, client, sleep=sleep)
        self._known_members: set[str] = set()
        self._known_formats: set[tuple[str, str]] = set()
        """The (member, format) pairs this store knows to be in the format directory."""

    # -- reads ---------------------------------------------------------------------------------------------

    def get(self, member: str, local_id: str) -> Record | None:
        """The record, or ``None`` when the member has no record with that id."""
        found = self._table.get(key_of(f"REC#{member}", local_id), "get record")
        return Record.model_validate_json(found["body"]["S"]) if found else None

    def get_many(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Record]:
        """The stored records under these keys (absent ones left out): BatchGetItem, 100 keys a call."""
        items = [key_of(f"REC#{member}", local_id) for member, local_id in dict.fromkeys(keys)]
        found: dict[tuple[str, str], Record] = {}
        for row in self._table.batch_get(items, ["body"], "read records"):
            record = Record.model_validate_json(row["body"]["S"])
            found[record.member, record.local_id] = record
        return found

    def digests(self, member: str, local_ids: Iterable[str]) -> dict[str, str]:
        """The raw digest of each of these records that is stored (absent ids are left out)."""
        keys = [key_of(f"REC#{member}", local_id) for local_id in dict.fromkeys(local_ids)]
        return {
            row["sk"]["S"]: row["digest"]["S"] for row in self._table.batch_get(keys, ["sk", "digest"], "read digests")
        }

    def records(self, member: str | None = None) -> Iterator[Record]:
        """Every stored record, or one member's, in ``(member, local_id)`` order."""
        for each in [member] if member is not None else self._members():
            for row in self._table.query(f"REC#{each}", action="read records"):
                yield Record.model_validate_json(row["body"]["S"])

    def source_ids(self, member: str, source_id: str) -> Iterator[str]:
        """The ids of the member's records from this source, in id order: one Query of the source's entries."""
        return source_ids(self._table, member, source_id)

    def source_quarantine(self, member: str, source_id: str) -> Iterator[QuarantinedRecord]:
        """The member's quarantined records of this source, by position: a Query of the member's quarantine
        partition for the sort keys that start with the source's id."""
        for row in self._table.query(f"QUAR#{member}", prefix=f"{source_id}#", action="read a source's quarantine"):
            yield QuarantinedRecord.model_validate_json(row["body"]["S"])

    def count(self, member: str | None = None) -> int:
        """How many records are stored, in all or for one member."""
        members = [member] if member is not None else self._members()
        return sum(self._table.count(f"REC#{each}", action="count records") for each in members)

    def count_by_format(self, member: str | None = None) -> dict[ResourceFormat, int]:
        """How many records of each format are stored, in all or for one member (formats with none left out):
        one Query of the format directory, then one count per (member, format) partition."""
        counts: Counter[ResourceFormat] = Counter()
        for row in self._table.query(_FORMATS, action="read the format directory"):
            each, _, fmt = row["sk"]["S"].rpartition("#")
            if member is None or each == member:
                counts[ResourceFormat(fmt)] += self._table.count(_format_pk(each, fmt), action="count formats")
        return {fmt: count for fmt, count in counts.items() if count}

    def count_quarantined(self, member: str | None = None) -> int:
        """How many quarantined records are kept, in all or for one member (a count per member partition)."""
        members = [member] if member is not None else self._members()
        return sum(self._table.count(f"QUAR#{each}", action="count quarantined") for each in members)

    def quarantined(self, member: str | None = None) -> list[QuarantinedRecord]:
        """The quarantined records, in ``(member, source_id, position)`` order."""
        items = [
            QuarantinedRecord.model_validate_json(row["body"]["S"])
            for each in ([member] if member is not None else self._members())
            for row in self._table.query(f"QUAR#{each}", action="read quarantine")
        ]
        return sorted(items, key=lambda q: (q.member, q.source_id, q.position))

    def quarantine_page(
        self, member: str, *, after: tuple[str, str, str] | None = None, limit: int = 50
    ) -> list[QuarantinedRecord]:
        """A page of the member's quarantined records in ``sk`` order: one Query of its partition from
        ``after``'s sort key (the item at it skipped)."""
        if limit <= 0:
            return []
        low = _quarantine_sk(*after) if after is not None else None
        rows = self._table.query(
            f"QUAR#{member}", low=low, limit=limit + (low is not None), action="read quarantine page"
        )
        found = [QuarantinedRecord.model_validate_json(row["body"]["S"]) for row in rows if row["sk"]["S"] != low]
        return found[:limit]

    def quarantined_record(self, member: str, key: tuple[str, str, str]) -> QuarantinedRecord | None:
        """The member's quarantined record under ``key`` (its item in the member's partition), or ``None``."""
        found = self._table.get(key_of(f"QUAR#{member}", _quarantine_sk(*key)), "get quarantined record")
        return QuarantinedRecord.model_validate_json(found["body"]["S"]) if found else None

    def checkpoint(self, source_id: str) -> Checkpoint | None:
        """The source's last saved checkpoint."""
        found = self._table.get(key_of(_CHECKPOINT, source_id), "get checkpoint")
        return Checkpoint.model_validate_json(found["body"]["S"]) if found else None

    def checkpoints(self) -> list[Checkpoint]:
        """Every source's last saved checkpoint, in source id order (one Query of their partition)."""
        rows = self._table.query(_CHECKPOINT, action="read checkpoints")
        return [Checkpoint.model_validate_json(row["body"]["S"]) for row in rows]

    # -- writes --------------------------------------------------------------------------------------------

    def commit(self, page: PageCommit) -> int:
        """Write a page's upserts, deletes and quarantined records, then put its checkpoint; delete the
        quarantined records the page supersedes first (see the module), and return how many.

        When a page changes one key more than once, its last change wins, as if applied in order.
        """
        last: dict[tuple[str, str], RecordChange] = {}
        for change in page.changes:
            last[(change.member, change.local_id)] = change
        quarantine = {(q.member, *q.key): q for q in page.quarantined}  # two members' may share a key

        new_members = {c.member for c in last.values() if c.record is not None}
        new_members |= {q.member for q in quarantine.values()}
        new_members -= self._known_members
        self._table.batch_write([put_request(key_of(_MEMBERS, m)) for m in sorted(new_members)], "write members")
        self._known_members |= new_members
        deleted_entries = self._update_entries(last)
        superseded = self._supersede(page) + self._clear(page)
        self._index_quarantined(list(quarantine.values()))

        requests: list[dict[str, Any]] = []
        for (member, local_id), change in last.items():
            if change.record is None:
                requests.append(delete_request(f"REC#{member}", local_id))
            else:
                body = change.record.model_dump_json()
                requests.append(
                    put_request(
                        key_of(f"REC#{member}", local_id),
                        digest=change.record.raw.digest,
                        format=change.record.format.value,
                        source=change.record.source_id,
                        body=body,
                    )
                )
        for q in quarantine.values():
            requests.append(put_request(key_of(f"QUAR#{q.member}", _quarantine_sk(*q.key)), body=q.model_dump_json()))
        self._table.batch_write(requests, "write records")
        self._table.batch_write(deleted_entries, "delete source entries")

        cp = page.counted(superseded)
        self._table.put(item(key_of(_CHECKPOINT, cp.source_id), body=cp.model_dump_json()), "put checkpoint")
        return superseded

    def index_quarantine(self) -> int:
        """Write the ``quarantine by id`` item of every quarantined record read with an id (for a table made
        before that index); return how many quarantined records there are. Idempotent; Queries per member, no
        Scan. Run it while no harvest runs."""
        count = 0
        for member in self._members():
            items = [
                QuarantinedRecord.model_validate_json(row["body"]["S"])
                for row in self._table.query(f"QUAR#{member}", action="read quarantine")
            ]
            self._index_quarantined(items)
            count += len(items)
        return count

    def index_sources(self) -> int:
        """Write the ``source`` and the source entry of every record (for a table made before the source index);
        return how many records there are. Idempotent; Queries per member, no Scan. Run it while no harvest
        runs."""

        def entries(member: str, sources: dict[str, str]) -> None:
            before = [put_request(key_of(source_pk(member, s), i)) for i, s in sources.items()]
            self._table.batch_write(before, "write source entries")

        return self._backfill(SOURCE, lambda record: record.source_id, entries, "index record sources")

    def index_formats(self) -> int:
        """Write the format entry and ``format`` of every record (for a table made before the format index);
        return how many records there are. Idempotent; Queries per member, no Scan. Run it while no harvest
        runs."""
        return self._backfill(
            "format", lambda record: record.format.value, self._write_format_entries, "index record formats"
        )

    def _backfill(
        self,
        attribute: str,
        value_of: Callable[[Record], str],
        write_entries: Callable[[str, dict[str, str]], None],
        action: str,
    ) -> int:
        """Give every record item ``attribute`` (its value read from the record's body) and the index entries
        ``write_entries`` makes of a member's values by local id, a member at a time; return how many records."""
        count = 0
        for member in self._members():
            rows = list(self._table.query(f"REC#{member}", action="read records"))
            values = {row["sk"]["S"]: value_of(Record.model_validate_json(row["body"]["S"])) for row in rows}
            write_entries(member, values)
            self._table.batch_write(
                [{"PutRequest": {"Item": row | item({}, **{attribute: values[row["sk"]["S"]]})}} for row in rows],
                action,
            )
            count += len(rows)
        return count

    # -- helpers -------------------------------------------------------------------------------------------

    def _update_entries(self, last: dict[tuple[str, str], RecordChange]) -> list[dict[str, Any]]:
        """Bring the format index and the source index in line with a page's last change of each record (see the
        module and :mod:`~consortium.adapters.aws.dynamodb_sources`); return the source entries to delete once the
        records are written."""
        keys = [key_of(f"REC#{member}", local_id) for member, local_id in last]
        rows = list(self._table.batch_get(keys, ["pk", "sk", "format", SOURCE], "read record formats and sources"))
        stored = {(r["pk"]["S"].removeprefix("REC#"), r["sk"]["S"]): r["format"]["S"] for r in rows if "format" in r}
        sources = {(r["pk"]["S"].removeprefix("REC#"), r["sk"]["S"]): r[SOURCE]["S"] for r in rows if SOURCE in r}
        before, after = entry_writes(last, sources)
        self._table.batch_write(before, "write source entries")
        stale: list[dict[str, Any]] = []
        fresh: dict[str, dict[str, str]] = {}
        for (member, local_id), change in last.items():
            old = stored.get((member, local_id))
            new = change.record.format.value if change.record is not None else None
            if old is not None and old != new:
                stale.append(delete_request(_format_pk(member, old), local_id))
            if new is not None and old != new:
                fresh.setdefault(member, {})[local_id] = new
        for member, formats in fresh.items():
            self._write_format_entries(member, formats)
        self._table.batch_write(stale, "delete format entries")
        return after

    def _write_format_entries(self, member: str, formats: dict[str, str]) -> None:
        """Put the format entries of a member's records (local id → format), after the directory items."""
        pairs = {(member, fmt) for fmt in formats.values()} - self._known_formats
        directory = [put_request(key_of(_FORMATS, f"{m}#{fmt}")) for m, fmt in sorted(pairs)]
        self._table.batch_write(directory, "write the format directory")
        self._known_formats |= pairs
        entries = [put_request(key_of(_format_pk(member, fmt), local_id)) for local_id, fmt in formats.items()]
        self._table.batch_write(entries, "write format entries")

    def _supersede(self, page: PageCommit) -> int:
        """Delete the quarantined records the page supersedes (but those it quarantines itself) and their
        ``quarantine by id`` items; how many records."""
        keys = [_by_id_key(*ids) for ids in sorted(page.superseding())]
        rows = list(self._table.batch_get(keys, ["pk", "sk", "sks"], "read quarantine by id")) if keys else []
        kept = {(f"QUAR#{q.member}", _quarantine_sk(*q.key)) for q in page.quarantined}
        gone = {
            (row["pk"]["S"].replace("QID#", "QUAR#", 1), sk) for row in rows for sk in json.loads(row["sks"]["S"])
        } - kept
        requests = [delete_request(pk, sk) for pk, sk in sorted(gone)]
        requests += [delete_request(row["pk"]["S"], row["sk"]["S"]) for row in rows]
        self._table.batch_write(requests, "delete superseded quarantined records")
        return len(gone)

    def _clear(self, page: PageCommit) -> int:
        """Delete the page's cleared quarantined records (but those it quarantines itself): first out of their
        ``quarantine by id`` items, then themselves; how many were there."""
        kept = {(f"QUAR#{q.member}", _quarantine_sk(*q.key)) for q in page.quarantined}
        wanted = {(f"QUAR#{q.member}", _quarantine_sk(*q.key)): q for q in page.cleared}
        keys = [key_of(pk, sk) for pk, sk in sorted(wanted.keys() - kept)]
        found = {(r["pk"]["S"], r["sk"]["S"]) for r in self._table.batch_get(keys, ["pk", "sk"], "read cleared")}
        gone: dict[tuple[str, str, str], set[str]] = {}
        for pk, sk in found:
            q = wanted[(pk, sk)]
            if q.local_id is not None:
                gone.setdefault((q.member, q.source_id, q.local_id), set()).add(sk)
        if gone:
            index = [_by_id_key(*ids) for ids in sorted(gone)]
            requests = []
            for row in self._table.batch_get(index, ["pk", "sk", "sks"], "read quarantine by id"):
                source_id, _, local_id = row["sk"]["S"].partition("#")
                left = set(json.loads(row["sks"]["S"])) - gone[row["pk"]["S"].removeprefix("QID#"), source_id, local_id]
                pk, sk = row["pk"]["S"], row["sk"]["S"]
                requests.append(
                    put_request(key_of(pk, sk), sks=json.dumps(sorted(left))) if left else delete_request(pk, sk)
                )
            self._table.batch_write(requests, "write quarantine by id")
        self._table.batch_write([delete_request(pk, sk) for pk, sk in sorted(found)], "delete cleared quarantine")
        return len(found)

    def _index_quarantined(self, items: list[QuarantinedRecord]) -> None:
        """Add these quarantined records (those with an id) to their ``quarantine by id`` items."""
        fresh: dict[tuple[str, str, str], set[str]] = {}
        for q in items:
            if q.local_id is not None:
                fresh.setdefault((q.member, q.source_id, q.local_id), set()).add(_quarantine_sk(*q.key))
        if not fresh:
            return
        keys = [_by_id_key(*ids) for ids in sorted(fresh)]
        for row in self._table.batch_get(keys, ["pk", "sk", "sks"], "read quarantine by id"):
            source_id, _, local_id = row["sk"]["S"].partition("#")
            fresh[row["pk"]["S"].removeprefix("QID#"), source_id, local_id] |= set(json.loads(row["sks"]["S"]))
        requests = [put_request(_by_id_key(*ids), sks=json.dumps(sorted(sks))) for ids, sks in sorted(fresh.items())]
        self._table.batch_write(requests, "write quarantine by id")

    def _members(self) -> list[str]:
        return [row["sk"]["S"] for row in self._table.query(_MEMBERS, action="read members")]
