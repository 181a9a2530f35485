"""A :class:`~consortium.dedup.ports.PlanStore` in S3: ``<prefix><run>/<file>`` in the raw archive's bucket."""

from __future__ import annotations

from typing import Any

import boto3

from consortium.adapters.aws.s3_objects import put_object, read_object
from consortium.errors import NotFoundError

__all__ = ["S3PlanStore"]


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
        put_object(self._client, self.bucket, self.prefix + name, data, f"rebuild plan file {name} to S3")

    def get(self, name: str) -> bytes:
        found = read_object(self._client, self.bucket, self.prefix + name, f"rebuild plan file {name} from S3")
        if found is None:
            raise NotFoundError(f"no rebuild plan file {name} (plan the run first)")
        return found[0]
