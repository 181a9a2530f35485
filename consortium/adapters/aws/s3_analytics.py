"""The analytics report as one object in an S3 bucket (the raw archive's, under ``analytics/``)."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from consortium.adapters.aws.client_errors import error_code
from consortium.errors import StorageError

__all__ = ["S3AnalyticsStore"]

_MISSING = frozenset({"404", "NoSuchKey", "NotFound"})


class S3AnalyticsStore:
    """An :class:`~consortium.analytics.ports.AnalyticsStore` in S3: one PutObject replaces the report whole
    (S3 is strongly consistent for a read after a write).

    Example
    -------
    >>> store = S3AnalyticsStore("consortium-raw", boto3.client("s3"))
    """

    def __init__(self, bucket: str, client: Any = None, key: str = "analytics/report.json") -> None:
        self.bucket = bucket
        self.key = key
        self._client: Any = client if client is not None else boto3.client("s3")

    def save(self, data: bytes) -> None:
        try:
            self._client.put_object(Bucket=self.bucket, Key=self.key, Body=data, ContentType="application/json")
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(f"cannot write the analytics report s3://{self.bucket}/{self.key}: {exc}") from exc

    def latest(self) -> bytes | None:
        try:
            answer = self._client.get_object(Bucket=self.bucket, Key=self.key)
            data: bytes = answer["Body"].read()
        except ClientError as exc:
            if error_code(exc) in _MISSING:
                return None
            raise StorageError(f"cannot read the analytics report s3://{self.bucket}/{self.key}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"cannot read the analytics report s3://{self.bucket}/{self.key}: {exc}") from exc
        return data
