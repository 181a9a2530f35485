"""The BlobStore contract: every raw archive (memory, folder, SQLite, S3 on moto) behaves the same."""

from __future__ import annotations

import hashlib
import uuid
from typing import TYPE_CHECKING, Any

import pytest

from consortium.adapters.local import FolderBlobStore, SqliteBlobStore
from consortium.adapters.memory import InMemoryBlobStore
from consortium.errors import NotFoundError, StorageError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from consortium.harvest.ports import BlobStore

MARC = "01234nam a2200289 i 4500 红楼梦 / 曹雪芹著".encode()


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


@pytest.fixture(params=["memory", "folder", "sqlite", "s3"])
def archive(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BlobStore]:
    if request.param == "memory":
        yield InMemoryBlobStore()
    elif request.param == "folder":
        yield FolderBlobStore(tmp_path / "raw")
    elif request.param == "sqlite":
        store = SqliteBlobStore.open(tmp_path / "data" / "raw.sqlite3")
        yield store
        store.close()
    else:
        from consortium.adapters.aws import S3BlobStore

        client, bucket = request.getfixturevalue("s3")
        yield S3BlobStore(bucket, client)


def test_put_then_get(archive: BlobStore) -> None:
    digest = archive.put(MARC)
    assert digest == hashlib.sha256(MARC).hexdigest()
    assert archive.exists(digest)
    assert archive.get(digest) == MARC


def test_put_is_idempotent(archive: BlobStore) -> None:
    first = archive.put(MARC)
    assert archive.put(MARC) == first
    assert archive.get(first) == MARC


def test_blobs_are_kept_apart(archive: BlobStore) -> None:
    blobs = [b"", b"a", b"b", bytes(range(256)), "题名".encode("gb18030"), b"\x00" * (2 * 1024 * 1024)]
    digests = [archive.put(blob) for blob in blobs]
    assert len(set(digests)) == len(blobs)
    assert [archive.get(d) for d in digests] == blobs


def test_missing_blob(archive: BlobStore) -> None:
    missing = hashlib.sha256(b"never stored").hexdigest()
    assert not archive.exists(missing)
    with pytest.raises(NotFoundError):
        archive.get(missing)


def test_put_many_returns_digests_in_order(archive: BlobStore) -> None:
    blobs = [b"c", MARC, b"", b"a", bytes(range(256))]
    digests = archive.put_many(blobs)
    assert digests == [hashlib.sha256(blob).hexdigest() for blob in blobs]
    assert [archive.get(d) for d in digests] == blobs
    assert all(archive.exists(d) for d in digests)


def test_put_many_is_idempotent(archive: BlobStore) -> None:
    single = archive.put(MARC)
    first = archive.put_many([MARC, b"other"])
    assert first[0] == single
    assert archive.put_many([b"other", MARC]) == first[::-1]
    assert [archive.get(d) for d in first] == [MARC, b"other"]


def test_put_many_with_duplicates_in_one_batch(archive: BlobStore) -> None:
    blobs = [MARC, b"x", MARC, MARC, b"x"]
    digests = archive.put_many(blobs)
    assert len(digests) == len(blobs)
    assert digests == [hashlib.sha256(blob).hexdigest() for blob in blobs]
    assert digests[0] == digests[2] == digests[3] != digests[1] == digests[4]
    assert archive.get(digests[0]) == MARC and archive.get(digests[1]) == b"x"


def test_put_many_of_nothing(archive: BlobStore) -> None:
    assert archive.put_many([]) == []
    assert not archive.exists(hashlib.sha256(b"").hexdigest())


def test_put_many_agrees_with_put(archive: BlobStore) -> None:
    blobs = [f"record {i}".encode() for i in range(40)]
    assert archive.put_many(blobs) == [archive.put(blob) for blob in blobs]


@pytest.mark.parametrize("digest", ["", "abc", "../../etc/passwd", "UPPER"])
def test_malformed_digest_is_not_found(archive: BlobStore, digest: str) -> None:
    stored = archive.put(MARC)
    if digest == "UPPER":
        digest = stored.upper()
    assert not archive.exists(digest)
    with pytest.raises(NotFoundError):
        archive.get(digest)


# -- folder only -----------------------------------------------------------------------------------


def test_folder_layout_and_no_temp_files_left(tmp_path: Path) -> None:
    archive = FolderBlobStore(tmp_path / "raw")
    digest = archive.put(MARC)
    path = tmp_path / "raw" / digest[:2] / digest[2:4] / digest
    assert archive.path_of(digest) == path
    assert path.read_bytes() == MARC
    assert [p for p in (tmp_path / "raw").rglob("*") if p.is_file()] == [path]


def test_folder_put_skips_writing_an_existing_file(tmp_path: Path) -> None:
    archive = FolderBlobStore(tmp_path, fsync=True)
    path = archive.path_of(archive.put(MARC))
    before = path.stat()
    archive.put(MARC)
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_folder_write_failure_is_a_storage_error(tmp_path: Path) -> None:
    (tmp_path / "raw").write_text("a file where the folder should be")
    with pytest.raises(StorageError):
        FolderBlobStore(tmp_path / "raw").put(MARC)


def test_folder_put_many_leaves_only_the_blobs(tmp_path: Path) -> None:
    archive = FolderBlobStore(tmp_path / "raw")
    blobs = [f"record {i}".encode() for i in range(30)]
    digests = archive.put_many([*blobs, *blobs[:5]])
    files = sorted(p for p in (tmp_path / "raw").rglob("*") if p.is_file())
    assert files == sorted(archive.path_of(d) for d in set(digests))
    assert [archive.path_of(d).read_bytes() for d in digests[:30]] == blobs


def test_folder_put_after_its_folder_was_removed(tmp_path: Path) -> None:
    import shutil

    archive = FolderBlobStore(tmp_path / "raw")
    digest = archive.put(MARC)
    shutil.rmtree(tmp_path / "raw")
    assert archive.put_many([MARC]) == [digest]
    assert archive.get(digest) == MARC


# -- SQLite only -----------------------------------------------------------------------------------


def test_sqlite_blobs_persist_after_reopening(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "raw.sqlite3"
    archive = SqliteBlobStore.open(path, fsync=True)
    digests = archive.put_many([MARC, b"other"])
    archive.close()
    reopened = SqliteBlobStore.open(path)
    try:
        assert [reopened.get(d) for d in digests] == [MARC, b"other"]
    finally:
        reopened.close()


def test_sqlite_open_failure_is_a_storage_error(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("a file where the folder should be")
    with pytest.raises(StorageError):
        SqliteBlobStore.open(tmp_path / "data" / "raw.sqlite3")


def test_sqlite_write_failure_is_a_storage_error(tmp_path: Path) -> None:
    archive = SqliteBlobStore.open(tmp_path / "raw.sqlite3")
    archive.close()
    with pytest.raises(StorageError):
        archive.put_many([MARC])


# -- S3 only ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["raw/", "archive/v1/", ""])
def test_s3_key_is_prefix_and_digest(s3: tuple[Any, str], prefix: str) -> None:
    from consortium.adapters.aws import S3BlobStore

    client, bucket = s3
    digest = S3BlobStore(bucket, client, prefix=prefix).put(MARC)
    keys = [obj["Key"] for obj in client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == [prefix + digest]


def test_s3_put_skips_upload_when_present(s3: tuple[Any, str]) -> None:
    from consortium.adapters.aws import S3BlobStore

    client, bucket = s3
    uploads: list[str] = []
    client.meta.events.register(
        "before-parameter-build.s3.PutObject", lambda params, **_: uploads.append(params["Key"])
    )
    archive = S3BlobStore(bucket, client)
    archive.put(MARC)
    archive.put(MARC)
    assert len(uploads) == 1


def test_s3_put_many_uploads_each_blob_once_without_asking(s3: tuple[Any, str]) -> None:
    from consortium.adapters.aws import S3BlobStore

    client, bucket = s3
    calls: list[str] = []
    client.meta.events.register("before-parameter-build.s3.PutObject", lambda params, **_: calls.append("put"))
    client.meta.events.register("before-parameter-build.s3.HeadObject", lambda params, **_: calls.append("head"))
    archive = S3BlobStore(bucket, client)
    blobs = [f"record {i}".encode() for i in range(20)]
    digests = archive.put_many([*blobs, blobs[0]])
    assert calls == ["put"] * 20
    keys = {obj["Key"] for obj in client.list_objects_v2(Bucket=bucket)["Contents"]}
    assert keys == {"raw/" + d for d in digests}


def test_s3_missing_bucket_is_a_storage_error(aws_client: Callable[[str], Any]) -> None:
    from botocore.exceptions import ClientError

    from consortium.adapters.aws import S3BlobStore

    archive = S3BlobStore(f"missing-{uuid.uuid4().hex[:12]}", aws_client("s3"))
    with pytest.raises(StorageError) as caught:
        archive.put(MARC)
    assert isinstance(caught.value.__cause__, ClientError)
    with pytest.raises(StorageError):
        archive.get(hashlib.sha256(MARC).hexdigest())
    for batch in ([MARC], [MARC, b"other", b"third"]):
        with pytest.raises(StorageError) as caught:
            archive.put_many(batch)
        assert isinstance(caught.value.__cause__, ClientError)


def test_s3_default_client(s3: tuple[Any, str], moto_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from consortium.adapters.aws import S3BlobStore

    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    _, bucket = s3
    archive = S3BlobStore(bucket)
    assert archive.get(archive.put(MARC)) == MARC
