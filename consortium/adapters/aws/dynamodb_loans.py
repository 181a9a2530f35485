"""The inter-library loan request store in DynamoDB, in the records table (its key schema,
:func:`~consortium.adapters.aws.dynamodb_common.create_table`).

=====================  ==============================  ==============================
item                   ``pk``                          ``sk``
=====================  ==============================  ==============================
request                ``ILL``                         ``<request_id>``
by lending member      ``ILL#lender#<member>``         ``<created, UTC ISO>#<request_id>``
by borrowing member    ``ILL#borrower#<member>``       ``<created, UTC ISO>#<request_id>``
by reader              ``ILL#reader#<reader_id>``      ``<created, UTC ISO>#<request_id>``
=====================  ==============================  ==============================

Each item holds the request as JSON in ``body``; the listings are one Query of their partition, newest first. A
save is one TransactWriteItems: the request conditional on its stored ``version`` (or on no item, for version 1)
and its three listing items, so the listings never disagree with the request and of two racing saves of one
version one wins and the other gets a :class:`~consortium.errors.ConflictError`.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from botocore.exceptions import ClientError

from consortium.adapters.aws.dynamodb_common import DynamoDbStore, error_code, item, key_of
from consortium.cooperation.models import LoanRequest, Side
from consortium.errors import VersionConflictError

__all__ = ["DynamoDbLoanRequestStore"]

_PK = "ILL"


def _listed(request: LoanRequest) -> str:
    return f"{request.created_at.astimezone(UTC).isoformat()}#{request.request_id}"


def _listings(request: LoanRequest, reader_id: str | None = None) -> list[dict[str, Any]]:
    body = request.model_dump_json()
    return [
        item(key_of(f"{_PK}#{name}#{value}", _listed(request)), body=body)
        for name, value in (
            ("lender", request.lender),
            ("borrower", request.borrower),
            ("reader", reader_id if reader_id is not None else request.reader_id),
        )
    ]


class DynamoDbLoanRequestStore(DynamoDbStore):
    """A :class:`~consortium.cooperation.ports.LoanRequestStore` in a DynamoDB table (strongly consistent reads).

    Made as :class:`~consortium.adapters.aws.dynamodb_common.DynamoDbStore` is: ``table_name``, ``client``,
    ``sleep``.

    Example
    -------
    >>> store = DynamoDbLoanRequestStore("consortium-records", boto3.client("dynamodb"))
    >>> store.save(request)
    """

    def get(self, request_id: str) -> LoanRequest | None:
        found = self._table.get(key_of(_PK, request_id), "get loan request")
        return LoanRequest.model_validate_json(found["body"]["S"]) if found else None

    def save(self, request: LoanRequest) -> None:
        main = item(key_of(_PK, request.request_id), body=request.model_dump_json())
        main["version"] = {"N": str(request.version)}
        condition: dict[str, Any] = (
            {"ConditionExpression": "attribute_not_exists(#pk)", "ExpressionAttributeNames": {"#pk": "pk"}}
            if request.version == 1
            else {
                "ConditionExpression": "#v = :previous",
                "ExpressionAttributeNames": {"#v": "version"},
                "ExpressionAttributeValues": {":previous": {"N": str(request.version - 1)}},
            }
        )
        puts = [{"Put": {"TableName": self._table.name, "Item": main, **condition}}]
        puts += [{"Put": {"TableName": self._table.name, "Item": listed}} for listed in _listings(request)]
        with self._table.errors("save loan request"):
            try:
                self._table.client.transact_write_items(TransactItems=puts)
            except ClientError as exc:
                reasons = exc.response.get("CancellationReasons") or []
                failed = error_code(exc) == "TransactionCanceledException" and any(
                    r.get("Code") == "ConditionalCheckFailed" for r in reasons
                )
                if not failed:
                    raise
                stored = self.get(request.request_id)
                version = stored.version if stored is not None else 0
                raise VersionConflictError(
                    f"request {request.request_id} is at version {version}, not {request.version - 1}: "
                    "it was changed in between",
                    version=version,
                ) from exc

    def for_member(self, member: str, side: Side) -> list[LoanRequest]:
        name = "lender" if side is Side.LENDING else "borrower"
        return self._listing(f"{_PK}#{name}#{member}")

    def for_reader(self, reader_id: str) -> list[LoanRequest]:
        return self._listing(f"{_PK}#reader#{reader_id}")

    def forget_reader(self, reader_id: str, pseudonym: str) -> None:
        for request in self.for_reader(reader_id):
            renamed = request.under_pseudonym(pseudonym)
            main = item(key_of(_PK, request.request_id), body=renamed.model_dump_json())
            main["version"] = {"N": str(request.version)}
            writes: list[dict[str, Any]] = [
                {
                    "Delete": {
                        "TableName": self._table.name,
                        "Key": key_of(f"{_PK}#reader#{reader_id}", _listed(request)),
                    }
                },
                {"Put": {"TableName": self._table.name, "Item": main}},
            ]
            writes += [{"Put": {"TableName": self._table.name, "Item": listed}} for listed in _listings(renamed)]
            with self._table.errors("forget a reader's loan requests"):
                self._table.client.transact_write_items(TransactItems=writes)

    def _listing(self, pk: str) -> list[LoanRequest]:
        rows = self._table.query(pk, descending=True, action="list loan requests")
        return [LoanRequest.model_validate_json(row["body"]["S"]) for row in rows]
