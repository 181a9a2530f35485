"""The fitted match model as one object in S3 (the raw archive's bucket, beside the raw records' prefix)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3

from consortium.adapters.aws.s3_objects import head_object, put_object, read_object
from consortium.dedup.kept_model import read_model
from consortium.errors import StorageError

if TYPE_CHECKING:
    from consortium.dedup.model import MatchModel

__all__ = ["MODEL_KEY", "S3MatchModelStore"]

MODEL_KEY = "dedup/model.json"
"""The model's object key (the raw records are under ``raw/``)."""


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
        found = read_object(self._client, self.bucket, self.key, f"the match model {self.where}")
        if found is None:
            return None
        try:
            text = found[0].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise StorageError(f"the match model {self.where} is not UTF-8 text: {exc}") from exc
        return read_model(text, self.where)

    def save(self, model: MatchModel) -> None:
        data = model.to_json().encode("utf-8")
        put_object(
            self._client, self.bucket, self.key, data, f"the match model {self.where}", content_type="application/json"
        )

    def version(self) -> str | None:
        return head_object(self._client, self.bucket, self.key, f"the match model {self.where}")
