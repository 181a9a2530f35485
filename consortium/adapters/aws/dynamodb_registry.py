"""The source override store in DynamoDB, in the records table (its key schema, :func:`create_table`).

=====================  ====================  ==============================
item                   ``pk``                ``sk``
=====================  ====================  ==============================
source override        ``SRC``               ``<member>#<source_id>``
=====================  ====================  ==============================

Every override is in one partition: they are few (a handful per member) and read together each time the
registry is read (one Query; one member's is a ``begins_with`` Query, exact because ``#`` sorts below every
character a member id may hold). Each item holds the override as JSON in ``body`` and its ``version`` as a
number; a save is one PutItem conditional on the stored version (or on no item, for version 1), so of two racing
saves of one version one wins and the other gets a :class:`~consortium.errors.ConflictError`.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from consortium.adapters.aws.dynamodb_common import DynamoDbStore, error_code, item, key_of
from consortium.errors import VersionConflictError
from consortium.registry.models import SourceOverride

__all__ = ["DynamoDbSourceOverrideStore"]

_PK = "SRC"


def _sk(member: str, source_id: str) -> str:
    return f"{member}#{source_id}"


class DynamoDbSourceOverrideStore(DynamoDbStore):
    """A :class:`~consortium.registry.ports.SourceOverrideStore` in a DynamoDB table (strongly consistent reads).

    Made as :class:`~consortium.adapters.aws.dynamodb_common.DynamoDbStore` is: ``table_name``, ``client``,
    ``sleep``.

    Example
    -------
    >>> store = DynamoDbSourceOverrideStore("consortium-records", boto3.client("dynamodb"))
    >>> store.save(override)
    """

    def get(self, member: str, source_id: str) -> SourceOverride | None:
        """The member's override of the source, or ``None``."""
        found = self._table.get(key_of(_PK, _sk(member, source_id)), "get source override")
        return SourceOverride.model_validate_json(found["body"]["S"]) if found else None

    def overrides(self, member: str | None = None) -> list[SourceOverride]:
        """Every override, or one member's, in ``(member, source_id)`` order (one Query)."""
        prefix = f"{member}#" if member is not None else ""
        rows = self._table.query(_PK, prefix=prefix, action="read source overrides")
        found = [SourceOverride.model_validate_json(row["body"]["S"]) for row in rows]
        return sorted(found, key=lambda o: (o.member, o.source_id))

    def save(self, override: SourceOverride) -> None:
        """Store ``override`` over version ``override.version - 1``: one conditional PutItem."""
        new = item(key_of(_PK, _sk(override.member, override.source_id)), body=override.model_dump_json())
        new["version"] = {"N": str(override.version)}
        condition: dict[str, Any] = (
            {"ConditionExpression": "attribute_not_exists(#pk)", "ExpressionAttributeNames": {"#pk": "pk"}}
            if override.version == 1
            else {
                "ConditionExpression": "#v = :previous",
                "ExpressionAttributeNames": {"#v": "version"},
                "ExpressionAttributeValues": {":previous": {"N": str(override.version - 1)}},
            }
        )
        with self._table.errors("save source override"):
            try:
                self._table.client.put_item(TableName=self._table.name, Item=new, **condition)
            except ClientError as exc:
                if error_code(exc) != "ConditionalCheckFailedException":
                    raise
                stored = self.get(override.member, override.source_id)
                version = stored.version if stored is not None else 0
                raise VersionConflictError(
                    f"source {override.source_id!r} of member {override.member!r} is at version {version}, "
                    f"not {override.version - 1}",
                    version=version,
                ) from exc

    def delete(self, member: str, source_id: str) -> None:
        """Forget the override (nothing happens when there is none)."""
        self._table.delete(key_of(_PK, _sk(member, source_id)), "delete source override")
