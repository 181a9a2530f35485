"""The analytics report as one object in an S3 bucket (the raw archive's, under ``analytics/``)."""

from __future__ import annotations

from typing import Any

import boto3

from consortium.adapters.aws.s3_objects import put_object, read_object

__all__ = ["S3AnalyticsStore"]


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
        what = f"the analytics report s3://{self.bucket}/{self.key}"
        put_object(self._client, self.bucket, self.key, data, what, content_type="application/json")

    def latest(self) -> bytes | None:
        found = read_object(self._client, self.bucket, self.key, f"the analytics report s3://{self.bucket}/{self.key}")
        return None if found is None else found[0]
