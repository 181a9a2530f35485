"""The DynamoDB record store's index of records by source: what a complete run of a file reads to find the
records its file no longer gives (:mod:`consortium.harvest.withdrawals`), without reading the member's others.

=====================  ====================================  ==========================================
item                   ``pk``                                ``sk``
=====================  ====================================  ==========================================
source entry           ``RSRC#<member>#<source_id>``         ``<local_id>``
=====================  ====================================  ==========================================

A record item names its source in the attribute ``source``, and has an entry in that source's partition (member
and source ids hold no ``#``). ``commit`` reads the stored ``source`` of a page's records (with their ``format``,
in the same BatchGetItem) and writes what changes, so that the index never lacks the entry of a stored record:

- a record added, or moved to another source (one member's two sources giving one id), gets its new entry, and
  loses its old one, *before* the record item is written: a page applied again after a failure (its records not
  yet written are new or changed again) reads the old source again and converges;
- a record deleted loses its entry (and the entry under the source the deletion came from) *after* the record
  item is deleted: a failure in between leaves an entry whose record is gone, which the next complete run of the
  source finds, reads (no record) and deletes again, counting nothing.

The cost: the stored ``source`` is read in the BatchGetItem that reads ``format`` already; a record added, moved
or deleted costs one write more (a record changed in place, none).

A table made before the index: :meth:`~consortium.adapters.aws.DynamoDbRecordStore.index_sources` writes the
``source`` and the entry of every record (Queries per member, no Scan); run it once while no harvest runs. Until
then a record stored before has no entry, so no complete run withdraws it (nothing is withdrawn wrongly).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from consortium.adapters.aws.dynamodb_common import delete_request, key_of, put_request

if TYPE_CHECKING:
    from collections.abc import Iterator

    from consortium.adapters.aws.dynamodb_common import DynamoDbTable
    from consortium.harvest.state import RecordChange

__all__ = ["SOURCE", "entry_writes", "source_ids", "source_pk"]

SOURCE = "source"
"""The record item's attribute naming its source."""


def source_pk(member: str, source_id: str) -> str:
    """The partition of a member's records from one source."""
    return f"RSRC#{member}#{source_id}"


def entry_writes(
    last: dict[tuple[str, str], RecordChange], stored: dict[tuple[str, str], str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The source entries to write before a page's record items and those to delete after them (see the module),
    for the page's last change of each record and the ``source`` stored for each (absent: none)."""
    before: dict[tuple[str, str], dict[str, Any]] = {}
    after: dict[tuple[str, str], dict[str, Any]] = {}
    for (member, local_id), change in last.items():
        old = stored.get((member, local_id))
        if change.record is not None:
            new = change.record.source_id
            if old != new:
                before[(source_pk(member, new), local_id)] = put_request(key_of(source_pk(member, new), local_id))
                if old is not None:
                    before[(source_pk(member, old), local_id)] = delete_request(source_pk(member, old), local_id)
            continue
        for each in {old, change.source_id} - {None}:
            assert each is not None
            after[(source_pk(member, each), local_id)] = delete_request(source_pk(member, each), local_id)
    return list(before.values()), list(after.values())


def source_ids(table: DynamoDbTable, member: str, source_id: str) -> Iterator[str]:
    """The ids in a source's partition, in id order (one paged Query, keys only)."""
    for row in table.query(source_pk(member, source_id), attributes=["sk"], action="read records by source"):
        yield row["sk"]["S"]
