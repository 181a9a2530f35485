"""Per-reader secrets for crypto-shredding on AWS, in a DynamoDB table kept out of every backup.

Erasing a reader deletes their wrapped data key and ciphertexts, but DynamoDB point-in-time recovery (and any
on-demand backup) keeps a copy of the profile table for up to 35 days, and KMS would still unwrap the key in that
copy. So each reader also has a random 32-byte *context secret* here, mixed into their data key by
:class:`~consortium.adapters.aws.kms_keys.ShreddingKmsKeyService`; erasure deletes the secret, and from then on
no copy of the reader's data opens, the backups included.

That only holds if this table itself has no copies: no point-in-time recovery, no on-demand backups, no AWS Backup
plan, no global-table replica, no export. :func:`create_secrets_table` makes it that way, and the CDK stack does
the same. Losing this table loses every reader's data, which is why it is tiny and has nothing else in it.

=====================  ==========================================================
item                   attributes
=====================  ==========================================================
a context's secret     ``pk`` = SHA-256 (hex) of the canonical JSON of the context,
                       ``secret`` (binary, 32 bytes)
=====================  ==========================================================

The reader's id is never stored here in clear.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

import boto3
from botocore.exceptions import ClientError

from consortium.adapters.aws.dynamodb_store import _errors
from consortium.profiles.ports import KeyServiceError

__all__ = ["DynamoDbContextSecrets", "create_secrets_table"]

SECRET_BYTES = 32


def _context_hash(context: dict[str, str]) -> str:
    canonical = json.dumps(context, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def create_secrets_table(client: Any, table_name: str) -> None:
    """Create the secrets table (on-demand, string ``pk``, no sort key) and wait until it is active. Point-in-time
    recovery is left off, and turned off if it was on. A table that already exists is kept."""
    with _errors("create the reader secrets table"):
        try:
            client.create_table(
                TableName=table_name,
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                BillingMode="PAY_PER_REQUEST",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ResourceInUseException":
                raise
        client.get_waiter("table_exists").wait(TableName=table_name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        client.update_continuous_backups(
            TableName=table_name,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False},
        )


class DynamoDbContextSecrets:
    """Random secrets per encryption context in a DynamoDB table without backups (see the module notes).

    Parameters
    ----------
    table_name
        The table, as made by :func:`create_secrets_table`.
    client
        A boto3 DynamoDB client; a default one is made when omitted.
    """

    def __init__(self, table_name: str, client: Any = None) -> None:
        self.table_name = table_name
        self._client = client if client is not None else boto3.client("dynamodb")

    def __repr__(self) -> str:
        return f"DynamoDbContextSecrets({self.table_name!r})"

    def get(self, context: dict[str, str], *, create: bool) -> bytes | None:
        """The context's secret; made when ``create`` and missing (two callers racing get the same one), else
        ``None`` when there is none (never made, or destroyed)."""
        key = {"pk": {"S": _context_hash(context)}}
        if create:
            try:
                self._client.put_item(
                    TableName=self.table_name,
                    Item=key | {"secret": {"B": os.urandom(SECRET_BYTES)}},
                    ConditionExpression="attribute_not_exists(pk)",
                )
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                    raise _failure("write", exc) from exc
        try:
            item = self._client.get_item(TableName=self.table_name, Key=key, ConsistentRead=True).get("Item")
        except ClientError as exc:
            raise _failure("read", exc) from exc
        if item is None:
            return None
        secret = bytes(item["secret"]["B"])
        if len(secret) != SECRET_BYTES:
            raise KeyServiceError(f"a context secret in {self.table_name} is not {SECRET_BYTES} bytes", retryable=False)
        return secret

    def destroy(self, context: dict[str, str]) -> None:
        """Delete the context's secret (nothing happens when there is none)."""
        try:
            self._client.delete_item(TableName=self.table_name, Key={"pk": {"S": _context_hash(context)}})
        except ClientError as exc:
            raise _failure("delete", exc) from exc


def _failure(action: str, exc: ClientError) -> KeyServiceError:
    code = str(exc.response.get("Error", {}).get("Code", ""))
    retryable = code in {"ProvisionedThroughputExceededException", "ThrottlingException", "InternalServerError"}
    return KeyServiceError(
        f"cannot {action} a reader secret in DynamoDB: {code or exc}", retryable=retryable, code=code
    )
