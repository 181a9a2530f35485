"""The whole harvest path on the AWS adapter set (DynamoDB and S3 on moto's server on 127.0.0.1)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from marc_builders import book, unimarc_book

from consortium.adapters.aws import DynamoDbRecordStore, S3BlobStore, create_table
from consortium.bootstrap import bootstrap
from consortium.config import Settings
from consortium.members import Member, Source


def test_harvest_into_dynamodb_and_s3(tmp_path: Path, moto_server: str, aws_client: Callable[[str], Any]) -> None:
    table, bucket = f"records-{uuid.uuid4().hex[:8]}", f"raw-{uuid.uuid4().hex[:8]}"
    clusters_table = f"clusters-{uuid.uuid4().hex[:8]}"
    create_table(aws_client("dynamodb"), table)
    create_table(aws_client("dynamodb"), clusters_table)
    aws_client("s3").create_bucket(Bucket=bucket)
    settings = Settings(
        backend="aws",
        aws_endpoint_url=moto_server,
        records_table=table,
        clusters_table=clusters_table,
        raw_bucket=bucket,
        harvest_page_size=3,
    )
    hub = bootstrap(settings)
    assert isinstance(hub.record_store, DynamoDbRecordStore) and isinstance(hub.archive, S3BlobStore)

    path = tmp_path / "cn.iso"
    records = [unimarc_book(f"e{i}", f"书名{i}", author="刘慈欣", isbn="9787536692930", clc="I247.55", year="2008")
               for i in range(5)]  # fmt: skip
    path.write_bytes(b"".join(r.as_marc() for r in records) + book("bad", "x", isbn="0201896835").as_marc())
    member = Member(id="eastlake", name="Eastlake")
    source = Source.model_validate({"id": "cn", "protocol": "marc-file", "path": path, "format": "unimarc"})

    report = hub.harvester.harvest_source(member, source)
    assert (report.counts.added, report.counts.quarantined) == (5, 1)
    stored = hub.record_store.get("eastlake", "e3")
    assert stored is not None and stored.title == "书名3"
    assert hub.archive.get(stored.raw.digest) == records[3].as_marc()
    # Clustered as harvested: five records with one ISBN and one author are one work in DynamoDB.
    assert hub.cluster_store.count() == 1
    [cluster] = hub.cluster_store.clusters()
    assert len(cluster.records) == 5
    again = hub.harvester.harvest_source(member, source)
    assert again.counts.unchanged == 5
