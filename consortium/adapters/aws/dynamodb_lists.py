"""The curated list store in DynamoDB, in the records table: every list in one partition, ``LIST`` (sort key: the
list's id), as JSON in ``body`` with its ``version``. Lists are few (a handful per subject librarian) and listed
together (one Query, filtered and ordered here); a save is one PutItem conditional on the stored version, so of
two racing saves of one version one wins and the other gets a :class:`~consortium.errors.ConflictError`; a delete
is one DeleteItem on the same condition."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from consortium.adapters.aws.dynamodb_common import DynamoDbStore, error_code, item, key_of
from consortium.cooperation.lists import CuratedList
from consortium.errors import VersionConflictError

if TYPE_CHECKING:
    from consortium.cooperation.lists import ListState

__all__ = ["DynamoDbCuratedListStore"]

_PK = "LIST"


class DynamoDbCuratedListStore(DynamoDbStore):
    """A :class:`~consortium.cooperation.ports.CuratedListStore` in a DynamoDB table (strongly consistent reads)."""

    def get(self, list_id: str) -> CuratedList | None:
        found = self._table.get(key_of(_PK, list_id), "get curated list")
        return CuratedList.model_validate_json(found["body"]["S"]) if found else None

    def save(self, curated: CuratedList) -> None:
        new = item(key_of(_PK, curated.list_id), body=curated.model_dump_json())
        new["version"] = {"N": str(curated.version)}
        condition: dict[str, Any] = (
            {"ConditionExpression": "attribute_not_exists(#pk)", "ExpressionAttributeNames": {"#pk": "pk"}}
            if curated.version == 1
            else {
                "ConditionExpression": "#v = :previous",
                "ExpressionAttributeNames": {"#v": "version"},
                "ExpressionAttributeValues": {":previous": {"N": str(curated.version - 1)}},
            }
        )
        with self._table.errors("save curated list"):
            try:
                self._table.client.put_item(TableName=self._table.name, Item=new, **condition)
            except ClientError as exc:
                if error_code(exc) != "ConditionalCheckFailedException":
                    raise
                stored = self.get(curated.list_id)
                version = stored.version if stored is not None else 0
                raise VersionConflictError(
                    f"list {curated.list_id} is at version {version}, not {curated.version - 1}: "
                    "it was changed in between",
                    version=version,
                ) from exc

    def delete(self, list_id: str, version: int) -> None:
        condition = {
            "ConditionExpression": "#v = :version",
            "ExpressionAttributeNames": {"#v": "version"},
            "ExpressionAttributeValues": {":version": {"N": str(version)}},
        }
        with self._table.errors("delete curated list"):
            try:
                self._table.client.delete_item(TableName=self._table.name, Key=key_of(_PK, list_id), **condition)
            except ClientError as exc:
                if error_code(exc) != "ConditionalCheckFailedException":
                    raise
                stored = self.get(list_id)
                found = stored.version if stored is not None else 0
                raise VersionConflictError(
                    f"list {list_id} is at version {found}, not {version}: it was changed in between", version=found
                ) from exc

    def lists(self, member: str | None = None, state: ListState | None = None) -> list[CuratedList]:
        rows = self._table.query(_PK, action="read curated lists")
        found = [CuratedList.model_validate_json(row["body"]["S"]) for row in rows]
        chosen = [c for c in found if (member is None or c.member == member) and (state is None or c.state is state)]
        return sorted(chosen, key=lambda c: (c.updated_at, c.list_id), reverse=True)
