"""The MatchModelStore contract: memory, a file of the data folder and an S3 object (moto) behave the same."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pytest

from consortium.adapters.local import FileMatchModelStore
from consortium.adapters.memory import InMemoryMatchModelStore
from consortium.dedup.model import PRIOR_MODEL
from consortium.errors import ValidationError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from consortium.dedup.ports import MatchModelStore

FITTED = replace(PRIOR_MODEL, prior=0.04, fitted_on={"records": 1200, "candidate_pairs": 300},
                 generic_titles=frozenset({"editorial", "book review column"}))  # fmt: skip


@pytest.fixture
def s3(aws_client: Callable[[str], Any]) -> Iterator[tuple[Any, str]]:
    client = aws_client("s3")
    bucket = f"raw-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    yield client, bucket
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            client.delete_object(Bucket=bucket, Key=obj["Key"])
    client.delete_bucket(Bucket=bucket)


@pytest.fixture(params=["memory", "file", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> MatchModelStore:
    if request.param == "memory":
        return InMemoryMatchModelStore()
    if request.param == "file":
        return FileMatchModelStore(tmp_path / "var" / "dedup_model.json")
    from consortium.adapters.aws import S3MatchModelStore

    client, bucket = request.getfixturevalue("s3")
    return S3MatchModelStore(bucket, client)


def _corrupt(store: MatchModelStore, text: str) -> None:
    """Put ``text`` where the store keeps its model (as a damaged or hand-edited copy would be)."""
    if isinstance(store, InMemoryMatchModelStore):
        store._text = text
    elif isinstance(store, FileMatchModelStore):
        store.path.write_text(text, encoding="utf-8")
    else:
        store._client.put_object(Bucket=store.bucket, Key=store.key, Body=text.encode())


def test_nothing_kept_at_first(store: MatchModelStore) -> None:
    assert store.load() is None
    assert store.version() is None


def test_a_saved_model_reads_back_whole(store: MatchModelStore) -> None:
    store.save(FITTED)
    assert store.load() == FITTED
    assert store.version() is not None


def test_saving_another_model_changes_the_version(store: MatchModelStore) -> None:
    store.save(FITTED)
    first = store.version()
    assert store.version() == first  # asking again is not a change
    store.save(replace(FITTED, prior=0.05))
    assert store.version() != first
    loaded = store.load()
    assert loaded is not None and loaded.prior == 0.05


def test_a_model_that_does_not_fit_is_refused_naming_where_and_what(store: MatchModelStore) -> None:
    store.save(FITTED)
    text = FITTED.to_json().replace('"prior": 0.04', '"prior": 1.5')
    _corrupt(store, text)
    with pytest.raises(ValidationError, match="prior") as caught:
        store.load()
    assert store.where in str(caught.value)


@pytest.mark.parametrize(("text", "what"), [("not json", "not a match model"), ('{"u": {}}', "no 'm'")])
def test_what_is_not_a_model_at_all_is_refused_naming_where(store: MatchModelStore, text: str, what: str) -> None:
    store.save(FITTED)
    _corrupt(store, text)
    with pytest.raises(ValidationError, match=what) as caught:
        store.load()
    assert store.where in str(caught.value)
