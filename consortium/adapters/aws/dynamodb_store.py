"""The record store in one DynamoDB table (single-table design).

=====================  ====================================  ==========================================
item                   ``pk``                                ``sk``
=====================  ====================================  ==========================================
record                 ``REC#<member>``                      ``<local_id>``
quarantined record     ``QUAR#<member>``                     ``<source_id>#<position>#<raw digest>``
checkpoint             ``CP``                                ``<source_id>``
member directory       ``MEMBERS``                           ``<member>``
=====================  ====================================  ==========================================

Record, quarantine and checkpoint items hold the model as JSON in ``body``; records also hold ``digest``. The
member directory lists every member that ever had a record or a quarantined one, so that reading all records
is one sorted Query per member. DynamoDB sorts ``sk`` by UTF-8 bytes, which is the code-point order Python
sorts strings in, so records come out in ``(member, local_id)`` order.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from consortium.adapters.aws.dynamodb_common import DynamoDbStore, delete_request, item, key_of, put_request
from consortium.harvest.state import Checkpoint, PageCommit, RecordChange
from consortium.models import QuarantinedRecord, Record

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

__all__ = ["DynamoDbRecordStore"]

_MEMBERS = "MEMBERS"
_CHECKPOINT = "CP"


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

    # -- reads ---------------------------------------------------------------------------------------------

    def get(self, member: str, local_id: str) -> Record | None:
        """The record, or ``None`` when the member has no record with that id."""
        found = self._table.get(key_of(f"REC#{member}", local_id), "get record")
        return Record.model_validate_json(found["body"]["S"]) if found else None

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

    def count(self, member: str | None = None) -> int:
        """How many records are stored, in all or for one member."""
        members = [member] if member is not None else self._members()
        return sum(self._table.count(f"REC#{each}", action="count records") for each in members)

    def quarantined(self, member: str | None = None) -> list[QuarantinedRecord]:
        """The quarantined records, in ``(member, source_id, position)`` order."""
        items = [
            QuarantinedRecord.model_validate_json(row["body"]["S"])
            for each in ([member] if member is not None else self._members())
            for row in self._table.query(f"QUAR#{each}", action="read quarantine")
        ]
        return sorted(items, key=lambda q: (q.member, q.source_id, q.position))

    def checkpoint(self, source_id: str) -> Checkpoint | None:
        """The source's last saved checkpoint."""
        found = self._table.get(key_of(_CHECKPOINT, source_id), "get checkpoint")
        return Checkpoint.model_validate_json(found["body"]["S"]) if found else None

    # -- writes --------------------------------------------------------------------------------------------

    def commit(self, page: PageCommit) -> None:
        """Write a page's upserts, deletes and quarantined records, then put its checkpoint.

        When a page changes one key more than once, its last change wins, as if applied in order.
        """
        last: dict[tuple[str, str], RecordChange] = {}
        for change in page.changes:
            last[(change.member, change.local_id)] = change
        quarantine = {(q.source_id, q.position, q.raw.digest): q for q in page.quarantined}

        new_members = {c.member for c in last.values() if c.record is not None}
        new_members |= {q.member for q in quarantine.values()}
        new_members -= self._known_members
        self._table.batch_write([put_request(key_of(_MEMBERS, m)) for m in sorted(new_members)], "write members")
        self._known_members |= new_members

        requests: list[dict[str, Any]] = []
        for (member, local_id), change in last.items():
            if change.record is None:
                requests.append(delete_request(f"REC#{member}", local_id))
            else:
                body = change.record.model_dump_json()
                requests.append(
                    put_request(key_of(f"REC#{member}", local_id), digest=change.record.raw.digest, body=body)
                )
        for (source_id, position, digest), q in quarantine.items():
            requests.append(
                put_request(key_of(f"QUAR#{q.member}", f"{source_id}#{position}#{digest}"), body=q.model_dump_json())
            )
        self._table.batch_write(requests, "write records")

        cp = page.checkpoint
        self._table.put(item(key_of(_CHECKPOINT, cp.source_id), body=cp.model_dump_json()), "put checkpoint")

    def _members(self) -> list[str]:
        return [row["sk"]["S"] for row in self._table.query(_MEMBERS, action="read members")]
