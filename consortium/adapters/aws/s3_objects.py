"""One S3 object read, written or looked up, with S3's errors as :class:`~consortium.errors.StorageError` naming
what the object is and where: the single-object stores (ranking evidence, match model, analytics report, rebuild
plans) share these.

A missing object is ``None`` only where S3 answers 404: to a caller with ``s3:ListBucket`` on the bucket (a caller
without it gets 403, an error here).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from consortium.adapters.aws.client_errors import error_code
from consortium.errors import StorageError

__all__ = ["MISSING", "head_object", "put_object", "read_object"]

MISSING = frozenset({"404", "NoSuchKey", "NotFound"})
"""The error codes S3 answers for a key that is not there."""


def read_object(client: Any, bucket: str, key: str, what: str) -> tuple[bytes, str] | None:
    """The object's bytes and ETag, ``None`` when it is not there; ``what`` names it in errors (``"the match
    model s3://b/k"``)."""
    try:
        response = client.get_object(Bucket=bucket, Key=key)
        data: bytes = response["Body"].read()
    except ClientError as exc:
        if error_code(exc) in MISSING:
            return None
        raise StorageError(f"cannot read {what}: {exc}") from exc
    except BotoCoreError as exc:
        raise StorageError(f"cannot read {what}: {exc}") from exc
    return data, str(response.get("ETag") or response.get("LastModified"))


def put_object(client: Any, bucket: str, key: str, data: bytes, what: str, *, content_type: str | None = None) -> None:
    """Write the object whole (it replaces the one there); ``what`` names it in errors."""
    extra = {"ContentType": content_type} if content_type else {}
    try:
        client.put_object(Bucket=bucket, Key=key, Body=data, **extra)
    except (ClientError, BotoCoreError) as exc:
        raise StorageError(f"cannot write {what}: {exc}") from exc


def head_object(client: Any, bucket: str, key: str, what: str) -> str | None:
    """The object's ETag (its version), ``None`` when it is not there; ``what`` names it in errors."""
    try:
        response = client.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if error_code(exc) in MISSING:
            return None
        raise StorageError(f"cannot look up {what}: {exc}") from exc
    except BotoCoreError as exc:
        raise StorageError(f"cannot look up {what}: {exc}") from exc
    return str(response.get("ETag") or response.get("LastModified"))
