"""The ranking evidence as one S3 object (by default ``evidence/ranking-evidence.json`` in the raw archive's
bucket, which is encrypted with the hub's data key, versioned and private)."""

from __future__ import annotations

from typing import Any, Final

import boto3

from consortium.adapters.aws.s3_objects import head_object, put_object, read_object
from consortium.push.ports import StoredBlob

__all__ = ["EVIDENCE_KEY", "S3EvidenceStore"]

EVIDENCE_KEY: Final = "evidence/ranking-evidence.json"
"""The object key of the ranking evidence (the permission sets grant exactly this key)."""


class S3EvidenceStore:
    """An :class:`~consortium.push.ports.EvidenceStore` in one S3 object; its version is the object's ETag.

    A missing object is ``None`` only where S3 answers 404: to a caller with ``s3:ListBucket`` on the bucket. A
    caller without it gets 403 for a missing key, which is a :class:`~consortium.errors.StorageError` here (the
    push functions then rank without the evidence and log why).

    Example
    -------
    >>> store = S3EvidenceStore("consortium-raw", boto3.client("s3"))
    >>> store.put(b"{}"); store.get().data
    b'{}'
    """

    def __init__(self, bucket: str, client: Any = None, key: str = EVIDENCE_KEY) -> None:
        self.bucket = bucket
        self.key = key
        self._client: Any = client if client is not None else boto3.client("s3")

    @property
    def _what(self) -> str:
        return f"the ranking evidence s3://{self.bucket}/{self.key}"

    def put(self, data: bytes) -> None:
        put_object(self._client, self.bucket, self.key, data, self._what, content_type="application/json")

    def get(self) -> StoredBlob | None:
        found = read_object(self._client, self.bucket, self.key, self._what)
        return None if found is None else StoredBlob(*found)

    def version(self) -> str | None:
        return head_object(self._client, self.bucket, self.key, self._what)
