"""The EvidenceStore contract: every store of the ranking evidence (memory, a file, S3 on moto) keeps one document,
replaced whole, with a version that changes when it is written."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import pytest

from consortium.adapters.local.evidence_file import FileEvidenceStore
from consortium.adapters.memory.evidence import InMemoryEvidenceStore
from consortium.errors import StorageError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from consortium.push.ports import EvidenceStore


@pytest.fixture
def s3(aws_client: Callable[[str], Any]) -> Iterator[tuple[Any, str]]:
    """An S3 client and a fresh bucket."""
    client = aws_client("s3")
    bucket = f"raw-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    yield client, bucket
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            client.delete_object(Bucket=bucket, Key=obj["Key"])
    client.delete_bucket(Bucket=bucket)


@pytest.fixture(params=["memory", "file", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> EvidenceStore:
    if request.param == "memory":
        return InMemoryEvidenceStore()
    if request.param == "file":
        return FileEvidenceStore(tmp_path / "var" / "evidence" / "ranking-evidence.json")
    from consortium.adapters.aws.s3_evidence import S3EvidenceStore

    client, bucket = request.getfixturevalue("s3")
    return S3EvidenceStore(bucket, client)


def test_nothing_stored_yet(store: EvidenceStore) -> None:
    assert store.get() is None
    assert store.version() is None


def test_put_then_get_with_its_version(store: EvidenceStore) -> None:
    document = '{"format":1,"key_works":{"subject:鲸鱼":3}}'.encode()
    store.put(document)
    blob = store.get()
    assert blob is not None and blob.data == document
    assert store.version() == blob.version


def test_a_new_document_replaces_the_old_and_changes_the_version(store: EvidenceStore) -> None:
    store.put(b'{"built_at":"2026-12-03T05:00:00+00:00"}')
    first = store.version()
    store.put(b'{"built_at":"2026-12-04T05:00:00+00:00","loans":{}}')
    blob = store.get()
    assert blob is not None and blob.data == b'{"built_at":"2026-12-04T05:00:00+00:00","loans":{}}'
    assert first is not None and blob.version != first and store.version() == blob.version


def test_a_large_document(store: EvidenceStore) -> None:
    document = b"{" + b",".join(b'"k%d":%d' % (n, n) for n in range(200_000)) + b"}"
    store.put(document)
    blob = store.get()
    assert blob is not None and blob.data == document


# -- file only


def test_the_file_is_replaced_atomically_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "evidence" / "ranking-evidence.json"
    store = FileEvidenceStore(path)
    store.put(b"{}")
    store.put(b'{"a":1}')
    assert [p.name for p in path.parent.iterdir()] == ["ranking-evidence.json"]
    assert path.read_bytes() == b'{"a":1}'


def test_a_file_that_cannot_be_written_is_a_storage_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "evidence").write_text("a file where the folder should be", encoding="utf-8")
    store = FileEvidenceStore(tmp_path / "evidence" / "ranking-evidence.json")
    with pytest.raises(StorageError, match=r"ranking-evidence\.json"):
        store.put(b"{}")
