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

import os
from typing import Any

import boto3

from consortium.adapters.aws.dynamodb_common import TRANSIENT_CODES, DynamoDbTable, create_table
from consortium.adapters.kek_wrapping import KEK_BYTES, context_name
from consortium.profiles.ports import KeyServiceError

__all__ = ["DynamoDbContextSecrets", "create_secrets_table"]


def _failure(message: str, code: str) -> KeyServiceError:
    """A failed call as :class:`KeyServiceError`, retryable when DynamoDB says the failure is transient."""
    return KeyServiceError(message, retryable=code in TRANSIENT_CODES or not code, code=code)


def create_secrets_table(client: Any, table_name: str) -> None:
    """Create the secrets table (on-demand, string ``pk``, no sort key) and wait until it is active. Point-in-time
    recovery is left off, and turned off if it was on. A table that already exists is kept."""
    create_table(client, table_name, sort_key=False)
    with DynamoDbTable(client, table_name).errors("turn point-in-time recovery off"):
        client.update_continuous_backups(
            TableName=table_name,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False},
        )


class DynamoDbContextSecrets:
    """Random secrets per encryption context in a DynamoDB table without backups (see the module notes).

    A :class:`~consortium.profiles.ports.ContextSecrets`; every failure is a
    :class:`~consortium.profiles.ports.KeyServiceError`.

    Parameters
    ----------
    table_name
        The table, as made by :func:`create_secrets_table`.
    client
        A boto3 DynamoDB client; a default one is made when omitted.

    Example
    -------
    >>> secrets = DynamoDbContextSecrets("consortium-reader-secrets", boto3.client("dynamodb"))
    >>> secret = secrets.get({"consortium:reader": "r1"}, create=True)
    >>> secrets.destroy({"consortium:reader": "r1"})
    """

    def __init__(self, table_name: str, client: Any = None) -> None:
        self.table_name = table_name
        client = client if client is not None else boto3.client("dynamodb")
        self._table = DynamoDbTable(client, table_name, error=_failure)

    def __repr__(self) -> str:
        return f"DynamoDbContextSecrets({self.table_name!r})"

    def get(self, context: dict[str, str], *, create: bool) -> bytes | None:
        """The context's secret; made when ``create`` and missing (two callers racing get the same one), else
        ``None`` when there is none (never made, or destroyed)."""
        key = {"pk": {"S": context_name(context)}}
        if create:
            self._table.put(key | {"secret": {"B": os.urandom(KEK_BYTES)}}, "write a reader secret", if_absent=True)
        found = self._table.get(key, "read a reader secret")
        if found is None:
            return None
        secret = bytes(found["secret"]["B"])
        if len(secret) != KEK_BYTES:
            raise KeyServiceError(f"a context secret in {self.table_name} is not {KEK_BYTES} bytes", retryable=False)
        return secret

    def destroy(self, context: dict[str, str]) -> None:
        """Delete the context's secret (nothing happens when there is none)."""
        self._table.delete({"pk": {"S": context_name(context)}}, "delete a reader secret")
