"""The ranking evidence as one S3 object (by default ``evidence/ranking-evidence.json`` in the raw archive's
bucket, which is encrypted with the hub's data key, versioned and private)."""

from __future__ import annotations

from typing import Any, Final

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from consortium.adapters.aws.client_errors import error_code
from consortium.errors import StorageError
from consortium.push.ports import StoredBlob

__all__ = ["EVIDENCE_KEY", "S3EvidenceStore"]

EVIDENCE_KEY: Final = "evidence/ranking-evidence.json"
"""The object key of the ranking evidence (the permission sets grant exactly this key)."""

_MISSING = frozenset({"404", "NoSuchKey", "NotFound"})


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

    def put(self, data: bytes) -> None:
        try:
            self._client.put_object(Bucket=self.bucket, Key=self.key, Body=data, ContentType="application/json")
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(f"cannot write the ranking evidence to s3://{self.bucket}/{self.key}: {exc}") from exc

    def get(self) -> StoredBlob | None:
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=self.key)
            data: bytes = response["Body"].read()
        except ClientError as exc:
            if error_code(exc) in _MISSING:
                return None
            raise StorageError(f"cannot read the ranking evidence s3://{self.bucket}/{self.key}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"cannot read the ranking evidence s3://{self.bucket}/{self.key}: {exc}") from exc
        return StoredBlob(data, str(response["ETag"]))

    def version(self) -> str | None:
        try:
            response = self._client.head_object(Bucket=self.bucket, Key=self.key)
        except ClientError as exc:
            if error_code(exc) in _MISSING:
                return None
            raise StorageError(f"cannot look up the ranking evidence s3://{self.bucket}/{self.key}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"cannot look up the ranking evidence s3://{self.bucket}/{self.key}: {exc}") from exc
        return str(response["ETag"])
