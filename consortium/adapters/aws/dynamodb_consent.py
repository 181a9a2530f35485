"""The consent ledger in one DynamoDB table (the record store's key schema), append-only by construction.

=====================  ====================================  ==========================================
item                   ``pk``                                ``sk``
=====================  ====================================  ==========================================
consent event          ``CONSENT#<reader_id>``               ``<time>#<append stamp>#<random suffix>``
=====================  ====================================  ==========================================

An event item holds the :class:`~consortium.profiles.consent.ConsentEvent` as JSON in ``body``. ``<time>`` is
the event's moment in UTC with microseconds in a fixed-width ISO form, so ``sk`` order is time order. The
append stamp (nanoseconds since the epoch, 20 digits, never lower than the previous one this ledger made)
keeps events at the same moment in the order they were appended, and a random suffix makes every ``sk``
unique. The prefix differs from the other stores', so the ledger may share a table made by
:func:`~consortium.adapters.aws.dynamodb_common.create_table`.

The code only ever writes an event with a PutItem conditioned on the item not existing, so no event is ever
overwritten; there is no UpdateItem. The only deletion is :meth:`DynamoDbConsentLedger.erase`, which removes
a reader's whole history (one Query for the keys, then BatchWriteItem deletes, unprocessed items retried).
"""

from __future__ import annotations

import time
import uuid

from consortium.adapters.aws.dynamodb_common import DynamoDbStore, delete_request, item, key_of
from consortium.adapters.timestamps import utc_stamp
from consortium.errors import StorageError
from consortium.profiles.consent import ConsentEvent, Purpose, current_from

__all__ = ["DynamoDbConsentLedger"]


def _pk(reader_id: str) -> str:
    return f"CONSENT#{reader_id}"


class DynamoDbConsentLedger(DynamoDbStore):
    """A :class:`~consortium.profiles.ports.ConsentLedger` in a DynamoDB table.

    Reads are strongly consistent. See the module notes on the key layout and why events are never changed.

    Made as :class:`~consortium.adapters.aws.dynamodb_common.DynamoDbStore` is: ``table_name``, ``client``,
    ``sleep``.

    Example
    -------
    >>> ledger = DynamoDbConsentLedger("consortium-profiles", boto3.client("dynamodb"))
    >>> ledger.append(event)
    >>> ledger.current(event.reader_id)[event.purpose]
    """

    _last_ns = 0
    """The append stamp of the last event this ledger wrote (nanoseconds since the epoch)."""

    def append(self, event: ConsentEvent) -> None:
        """Record a grant or a withdrawal."""
        self._last_ns = max(time.time_ns(), self._last_ns + 1)
        sk = f"{utc_stamp(event.at)}#{self._last_ns:020d}#{uuid.uuid4().hex}"
        if not self._table.put(
            item(key_of(_pk(event.reader_id), sk), body=event.model_dump_json()), "append consent event", if_absent=True
        ):
            raise StorageError(
                f"DynamoDB could not append a consent event in table {self._table.name}: its key is taken",
                table=self._table.name,
            )

    def history(self, reader_id: str) -> list[ConsentEvent]:
        """The reader's events in time order (events at the same moment in the order they were appended)."""
        rows = self._table.query(_pk(reader_id), action="read consent history")
        return [ConsentEvent.model_validate_json(row["body"]["S"]) for row in rows]

    def current(self, reader_id: str) -> dict[Purpose, bool]:
        """Whether each purpose is granted now: its latest event decides, and no event means not granted."""
        return current_from(self.history(reader_id))

    def erase(self, reader_id: str) -> None:
        """Remove the reader's whole history."""
        rows = self._table.query(_pk(reader_id), attributes=["pk", "sk"], action="read consent history")
        self._table.batch_write(
            [delete_request(row["pk"]["S"], row["sk"]["S"]) for row in rows], "erase consent events"
        )
