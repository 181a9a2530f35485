"""The AnalyticsStore contract: the report kept in memory, in a file of the data folder and in S3 (moto) behaves
the same: nothing before the first save, the last save whole after it, an unreadable place a StorageError."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import pytest

from consortium.adapters.local import FileAnalyticsStore
from consortium.adapters.memory import InMemoryAnalyticsStore
from consortium.errors import StorageError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from consortium.analytics.ports import AnalyticsStore

REPORT = '{"periods": ["2026-10"], "rows": [{"value": "红楼梦"}]}'.encode()


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
def store(request: pytest.FixtureRequest, tmp_path: Path) -> AnalyticsStore:
    if request.param == "memory":
        return InMemoryAnalyticsStore()
    if request.param == "file":
        return FileAnalyticsStore(tmp_path / "var" / "analytics" / "report.json")
    from consortium.adapters.aws import S3AnalyticsStore

    client, bucket = request.getfixturevalue("s3")
    return S3AnalyticsStore(bucket, client)


def test_nothing_before_the_first_report(store: AnalyticsStore) -> None:
    assert store.latest() is None


def test_the_last_report_saved_is_the_one_read(store: AnalyticsStore) -> None:
    store.save(b"{}")
    store.save(REPORT)
    assert store.latest() == REPORT


def test_a_file_store_leaves_no_temporary_file_and_names_an_unwritable_place(tmp_path: Path) -> None:
    store = FileAnalyticsStore(tmp_path / "analytics" / "report.json")
    store.save(REPORT)
    assert [p.name for p in (tmp_path / "analytics").iterdir()] == ["report.json"]
    (tmp_path / "blocked").write_text("a file, not a folder")
    with pytest.raises(StorageError, match="cannot write the analytics report"):
        FileAnalyticsStore(tmp_path / "blocked" / "report.json").save(REPORT)


def test_s3_names_a_missing_bucket(aws_client: Callable[[str], Any]) -> None:
    from consortium.adapters.aws import S3AnalyticsStore

    store = S3AnalyticsStore(f"missing-{uuid.uuid4().hex[:8]}", aws_client("s3"))
    with pytest.raises(StorageError, match="analytics report"):
        store.latest()
