"""The harvest run store in DynamoDB, in the records table (its key schema, :func:`create_table`).

=====================  ====================  ==============================
item                   ``pk``                ``sk``
=====================  ====================  ==============================
harvest run            ``RUN#<member>``      ``<run_id>``
=====================  ====================  ==============================

Each item holds the run as JSON in ``body``. A member's runs are one partition, read newest first by a Query in
descending ``sk`` order (run ids sort by time); ``add`` is a PutItem conditional on no item under the key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from consortium.adapters.aws.dynamodb_common import DynamoDbStore, item, key_of
from consortium.errors import AlreadyExistsError
from consortium.harvest.runs import HarvestRun

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["DynamoDbHarvestRunStore"]


class DynamoDbHarvestRunStore(DynamoDbStore):
    """A :class:`~consortium.harvest.ports.HarvestRunStore` in a DynamoDB table (strongly consistent reads).

    Made as :class:`~consortium.adapters.aws.dynamodb_common.DynamoDbStore` is: ``table_name``, ``client``,
    ``sleep``.

    Example
    -------
    >>> store = DynamoDbHarvestRunStore("consortium-records", boto3.client("dynamodb"))
    >>> store.add(run)
    """

    def add(self, run: HarvestRun) -> None:
        """Keep a new run; :class:`ConflictError` when the member has a run with its id."""
        new = item(key_of(f"RUN#{run.member}", run.run_id), body=run.model_dump_json())
        if not self._table.put(new, "add harvest run", if_absent=True):
            raise AlreadyExistsError(f"member {run.member!r} has a run {run.run_id!r} already", run_id=run.run_id)

    def save(self, run: HarvestRun) -> None:
        """Keep the run as it is now."""
        self._table.put(item(key_of(f"RUN#{run.member}", run.run_id), body=run.model_dump_json()), "save harvest run")

    def get(self, member: str, run_id: str) -> HarvestRun | None:
        """The member's run, or ``None``."""
        found = self._table.get(key_of(f"RUN#{member}", run_id), "get harvest run")
        return HarvestRun.model_validate_json(found["body"]["S"]) if found else None

    def delete(self, member: str, run_ids: Iterable[str]) -> None:
        """Forget these runs of the member (a DeleteItem each: a handful a day)."""
        for run_id in run_ids:
            self._table.delete(key_of(f"RUN#{member}", run_id), "delete harvest run")

    def runs(self, member: str, *, limit: int = 20, before: str | None = None) -> list[HarvestRun]:
        """The member's runs, newest first: one descending Query (an item at exactly ``before`` is skipped)."""
        if limit <= 0:
            return []
        rows = self._table.query(
            f"RUN#{member}",
            high=before,
            limit=limit + (before is not None),
            descending=True,
            action="read harvest runs",
        )
        found = [HarvestRun.model_validate_json(row["body"]["S"]) for row in rows if row["sk"]["S"] != before]
        return found[:limit]
