"""A :class:`~consortium.dedup.ports.PlanStore` in S3: ``<prefix><run>/<file>`` in the raw archive's bucket."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from consortium.adapters.aws.client_errors import error_code
from consortium.errors import NotFoundError, StorageError

__all__ = ["S3PlanStore"]

_MISSING = frozenset({"404", "NoSuchKey", "NotFound"})


class S3PlanStore:
    """A partitioned rebuild's plan in S3, where every partition's task reads it.

    Parameters
    ----------
    bucket
        The bucket (the stage's raw archive: encrypted, private, TLS only).
    client
        A boto3 S3 client; one is made from the default session when omitted.
    prefix
        Put before each name (``rebuild/``; the raw archive's own blobs are under ``raw/``).

    Example
    -------
    >>> S3PlanStore("consortium-raw", boto3.client("s3")).get("run-1/plan.json")
    """

    def __init__(self, bucket: str, client: Any = None, prefix: str = "rebuild/") -> None:
        self.bucket = bucket
        self.prefix = prefix
        self._client: Any = client if client is not None else boto3.client("s3")

    def put(self, name: str, data: bytes) -> None:
        try:
            self._client.put_object(Bucket=self.bucket, Key=self.prefix + name, Body=data)
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(f"cannot write rebuild plan file {name} to S3: {exc}") from exc

    def get(self, name: str) -> bytes:
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=self.prefix + name)
            data: bytes = response["Body"].read()
        except ClientError as exc:
            if error_code(exc) in _MISSING:
                raise NotFoundError(f"no rebuild plan file {name} (plan the run first)") from exc
            raise StorageError(f"cannot read rebuild plan file {name} from S3: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"cannot read rebuild plan file {name} from S3: {exc}") from exc
        return data
