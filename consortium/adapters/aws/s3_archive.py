"""The raw archive in an S3 bucket: each blob under ``<prefix><sha256>``."""

from __future__ import annotations

import hashlib
import re
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from consortium.adapters.aws.client_errors import error_code
from consortium.errors import NotFoundError, StorageError

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["S3BlobStore"]

_DIGEST = re.compile(r"[0-9a-f]{64}")
_MISSING = frozenset({"404", "NoSuchKey", "NotFound"})
_UPLOADS = 8
"""Concurrent uploads of one :meth:`S3BlobStore.put_many` call (botocore pools 10 connections per client)."""


class S3BlobStore:
    """A :class:`~consortium.harvest.ports.BlobStore` in S3.

    ``put`` asks with HeadObject first and skips the upload when the object is there. On AWS the caller needs
    ``s3:ListBucket`` on the bucket, or S3 answers HeadObject for a missing key with 403 instead of 404.
    ``put_many`` (a harvested page) does not ask: the key is the content's digest, so writing it again writes
    the same bytes, and one PutObject costs less than a HeadObject and a PutObject. It uploads a few blobs at a
    time in threads and returns when all are stored.

    Parameters
    ----------
    bucket
        The bucket.
    client
        A boto3 S3 client; one is made from the default session when omitted.
    prefix
        Put before each digest to make the object key.

    Example
    -------
    >>> archive = S3BlobStore("consortium-raw", boto3.client("s3"))
    >>> archive.get(archive.put(b"..."))
    b'...'
    """

    def __init__(self, bucket: str, client: Any = None, prefix: str = "raw/") -> None:
        self.bucket = bucket
        self.prefix = prefix
        self._client: Any = client if client is not None else boto3.client("s3")

    def key_of(self, digest: str) -> str:
        """The object key of the blob with this digest."""
        return self.prefix + digest

    def put(self, data: bytes) -> str:
        """Store ``data`` and return its SHA-256 digest."""
        digest = hashlib.sha256(data).hexdigest()
        if self.exists(digest):
            return digest
        self._upload(digest, data)
        return digest

    def put_many(self, blobs: Sequence[bytes]) -> list[str]:
        """Store every blob and return their SHA-256 digests, in order; each distinct blob is uploaded once,
        without asking first whether it is there (writing a content-addressed key again changes nothing)."""
        digests = [hashlib.sha256(data).hexdigest() for data in blobs]
        unique = dict(zip(digests, blobs, strict=True))
        if len(unique) == 1:
            [(digest, data)] = unique.items()
            self._upload(digest, data)
        elif unique:
            with ThreadPoolExecutor(max_workers=min(_UPLOADS, len(unique))) as pool:
                futures = [pool.submit(self._upload, digest, data) for digest, data in unique.items()]
            # Leaving the block waited for every upload; the first failure (in page order) is raised.
            for future in futures:
                future.result()
        return digests

    def _upload(self, digest: str, data: bytes) -> None:
        try:
            self._client.put_object(
                Bucket=self.bucket, Key=self.key_of(digest), Body=data, ContentType="application/octet-stream"
            )
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(f"cannot write raw record {digest} to S3: {exc}", digest=digest) from exc

    def get(self, digest: str) -> bytes:
        """The bytes stored under ``digest``; :class:`~consortium.errors.NotFoundError` if none."""
        if _DIGEST.fullmatch(digest) is None:
            raise NotFoundError(f"no raw record with digest {digest}", digest=digest)
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=self.key_of(digest))
            data: bytes = response["Body"].read()
        except ClientError as exc:
            if error_code(exc) in _MISSING:
                raise NotFoundError(f"no raw record with digest {digest}", digest=digest) from exc
            raise StorageError(f"cannot read raw record {digest} from S3: {exc}", digest=digest) from exc
        except BotoCoreError as exc:
            raise StorageError(f"cannot read raw record {digest} from S3: {exc}", digest=digest) from exc
        return data

    def exists(self, digest: str) -> bool:
        """Whether a blob with this digest is stored."""
        if _DIGEST.fullmatch(digest) is None:
            return False
        try:
            self._client.head_object(Bucket=self.bucket, Key=self.key_of(digest))
        except ClientError as exc:
            if error_code(exc) in _MISSING:
                return False
            raise StorageError(f"cannot look up raw record {digest} in S3: {exc}", digest=digest) from exc
        except BotoCoreError as exc:
            raise StorageError(f"cannot look up raw record {digest} in S3: {exc}", digest=digest) from exc
        return True
