"""The fitted match model as one object in S3 (the raw archive's bucket, beside the raw records' prefix)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from consortium.adapters.aws.client_errors import error_code
from consortium.dedup.kept_model import read_model
from consortium.errors import StorageError

if TYPE_CHECKING:
    from consortium.dedup.model import MatchModel

__all__ = ["MODEL_KEY", "S3MatchModelStore"]

MODEL_KEY = "dedup/model.json"
"""The model's object key (the raw records are under ``raw/``)."""
_MISSING = frozenset({"404", "NoSuchKey", "NotFound"})


class S3MatchModelStore:
    """A :class:`~consortium.dedup.ports.MatchModelStore` as one S3 object (a PutObject replaces it whole; the
    bucket's versioning keeps the models before). :meth:`version` is the object's ETag, from a HeadObject.

    As for the raw archive, the caller needs ``s3:ListBucket`` on the bucket so that a missing model answers 404
    (else 403).

    Example
    -------
    >>> store = S3MatchModelStore("consortium-raw", boto3.client("s3"))
    """

    def __init__(self, bucket: str, client: Any = None, key: str = MODEL_KEY) -> None:
        self.bucket = bucket
        self.key = key
        self._client: Any = client if client is not None else boto3.client("s3")

    @property
    def where(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    def load(self) -> MatchModel | None:
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=self.key)
            data: bytes = response["Body"].read()
        except ClientError as exc:
            if error_code(exc) in _MISSING:
                return None
            raise StorageError(f"cannot read the match model {self.where}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"cannot read the match model {self.where}: {exc}") from exc
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise StorageError(f"the match model {self.where} is not UTF-8 text: {exc}") from exc
        return read_model(text, self.where)

    def save(self, model: MatchModel) -> None:
        try:
            self._client.put_object(
                Bucket=self.bucket, Key=self.key, Body=model.to_json().encode("utf-8"), ContentType="application/json"
            )
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(f"cannot write the match model {self.where}: {exc}") from exc

    def version(self) -> str | None:
        try:
            response = self._client.head_object(Bucket=self.bucket, Key=self.key)
        except ClientError as exc:
            if error_code(exc) in _MISSING:
                return None
            raise StorageError(f"cannot look up the match model {self.where}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"cannot look up the match model {self.where}: {exc}") from exc
        return str(response.get("ETag") or response.get("LastModified"))
