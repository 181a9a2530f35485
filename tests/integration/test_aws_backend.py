"""The whole harvest path, reader erasure and a push run on the AWS adapter set (DynamoDB, S3, KMS and SES on
moto's server on 127.0.0.1)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from factories import make_cluster
from marc_builders import book, unimarc_book
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import RawMessage, ses_backends

from consortium.adapters.aws import (
    DynamoDbRecordStore,
    S3BlobStore,
    ShreddingKmsKeyService,
    create_secrets_table,
    create_table,
)
from consortium.bootstrap import bootstrap
from consortium.config import Settings
from consortium.dedup.state import ClusterChange
from consortium.members import Member, Source
from consortium.profiles.consent import Purpose
from consortium.profiles.models import Actor, ActorRole, ReaderEvent
from consortium.profiles.ports import DecryptionError
from consortium.push.models import Channel, ServiceId


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


def test_erased_reader_stays_unreadable_in_a_backup_of_the_profile_table(
    moto_server: str, aws_client: Callable[[str], Any]
) -> None:
    """Point-in-time recovery keeps the profile table for up to 35 days; erasure must reach that copy too."""
    dynamodb = aws_client("dynamodb")
    profiles, secrets = f"profiles-{uuid.uuid4().hex[:8]}", f"secrets-{uuid.uuid4().hex[:8]}"
    create_table(dynamodb, profiles)
    create_secrets_table(dynamodb, secrets)
    backups = dynamodb.describe_continuous_backups(TableName=secrets)["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "DISABLED"
    key_id = aws_client("kms").create_key()["KeyMetadata"]["KeyId"]
    settings = Settings(
        backend="aws",
        aws_endpoint_url=moto_server,
        profiles_table=profiles,
        reader_secrets_table=secrets,
        kms_key_id=key_id,
    )
    hub = bootstrap(settings)
    assert isinstance(hub.key_service, ShreddingKmsKeyService)
    me = Actor(actor_id="r1", role=ActorRole.READER)
    hub.profiles.create_reader("r1", "riverside", [Purpose.PERSONALIZATION], {"subjects": ["poetry"]})
    hub.profiles.create_reader("r2", "lakeside", [Purpose.PERSONALIZATION])
    now = dt.datetime.now(dt.UTC)
    event = ReaderEvent(event_id="e1", type="search", at=now, query="dream of the red chamber")
    hub.profiles.record_event("r1", event, me)

    def scan() -> list[dict[str, Any]]:
        return list(dynamodb.scan(TableName=profiles, ConsistentRead=True)["Items"])

    backup = scan()  # what a restore from point-in-time recovery would bring back
    assert any(item["pk"]["S"] == "READER#r1" and item["sk"]["S"] == "KEY" for item in backup)

    hub.profiles.erase("r1")
    assert not [item for item in scan() if item["pk"]["S"] == "READER#r1"]

    for item in backup:  # restore the whole backup over the table
        dynamodb.put_item(TableName=profiles, Item=item)
    restored = bootstrap(settings)  # a fresh process: nothing cached
    with pytest.raises(DecryptionError, match="destroyed"):
        restored.profiles.get_profile("r1", me)
    with pytest.raises(DecryptionError):
        restored.profiles.events("r1", me)
    assert restored.profiles.get_reader("r2", Actor(actor_id="r2", role=ActorRole.READER)).member == "lakeside"


def test_a_push_run_on_aws_sends_new_books_through_ses_once(moto_server: str, aws_client: Callable[[str], Any]) -> None:
    """The push job on the AWS adapter set: works and their first-seen index in DynamoDB, the reader's
    subscription and ledgers encrypted under KMS in DynamoDB, the digest sent by SES (all on moto)."""
    dynamodb = aws_client("dynamodb")
    names = {n: f"{n}-{uuid.uuid4().hex[:8]}" for n in ("records", "clusters", "profiles", "secrets")}
    for name in ("records", "clusters", "profiles"):
        create_table(dynamodb, names[name])
    create_secrets_table(dynamodb, names["secrets"])
    domain = f"lib-{uuid.uuid4().hex[:8]}.example"
    aws_client("sesv2").create_email_identity(EmailIdentity=domain)
    settings = Settings(
        backend="aws",
        aws_endpoint_url=moto_server,
        records_table=names["records"],
        clusters_table=names["clusters"],
        profiles_table=names["profiles"],
        reader_secrets_table=names["secrets"],
        kms_key_id=aws_client("kms").create_key()["KeyMetadata"]["KeyId"],
        mail_sender=f"Riverside Library <news@{domain}>",
        public_url="https://hub.example",
    )
    hub = bootstrap(settings)
    me = Actor(actor_id="r1", role=ActorRole.READER)
    hub.profiles.create_reader("r1", "riverside", [Purpose.PUSH])
    hub.profiles.declare_interest("r1", "class:clc:TP31", me)
    hub.push.subscribe("r1", ServiceId.NEW_IN_CLASS, Channel.EMAIL, actor=me, email="r1@example.org")
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    hub.cluster_store.apply(
        ClusterChange(
            saved=[
                make_cluster("rust", "Programming in Rust", ("riverside",), classes=("clc:TP312",), first_seen=soon),
                make_cluster("poems", "Tang poems", ("lakeside",), classes=("clc:I222.742",), first_seen=soon),
            ]
        )
    )

    later = soon + dt.timedelta(days=8)
    first = hub.push.run(now=later)
    again = hub.push.run(now=later + dt.timedelta(hours=1), force=True)

    assert first.delivered == {"email": 1} and first.items == 1
    assert again.items == 0
    sent = [
        m
        for m in ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
        if isinstance(m, RawMessage) and domain in m.source
    ]
    assert len(sent) == 1 and "Programming in Rust" in sent[0].raw_data and "Tang poems" not in sent[0].raw_data
    history = hub.push.history("r1", me)
    assert [(h.cluster_id, h.reason) for h in history] == [("rust", "new in TP31, which you follow · at your library")]
    # In DynamoDB the history is ciphertext only.
    items = dynamodb.scan(TableName=names["profiles"])["Items"]
    assert not any(b"Programming in Rust" in bytes(i.get("ciphertext", {}).get("B", b"")) for i in items)
