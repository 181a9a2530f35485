"""Builders of test objects: records, quarantined records, checkpoints, pages; and a flaky DynamoDB client."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from consortium.harvest.state import Checkpoint, PageCommit, RecordChange
from consortium.models import (
    Availability,
    Classification,
    ClassScheme,
    Holding,
    Identifier,
    IdentifierScheme,
    QuarantinedRecord,
    RawPointer,
    Record,
)

__all__ = [
    "HalfDoneDynamoDb",
    "NoScan",
    "delete",
    "make_checkpoint",
    "make_page",
    "make_quarantined",
    "make_record",
    "make_rich_record",
    "raw_of",
    "upsert",
]

T0 = datetime(2025, 3, 1, 8, 30, 15, 123456, tzinfo=UTC)


def raw_of(text: str) -> RawPointer:
    """A pointer to the archived raw record ``text`` (MARC by default)."""
    return RawPointer(digest=RawPointer.digest_of(text.encode()), media_type="application/marc")


def make_record(member: str = "m", local_id: str = "1", title: str = "A title", **kw: Any) -> Record:
    """A valid record; its raw digest depends on member, id and title unless ``raw`` is given."""
    kw.setdefault("source_id", f"{member}-oai")
    kw.setdefault("raw", raw_of(f"{member}/{local_id}/{title}"))
    return Record(member=member, local_id=local_id, title=title, **kw)


def make_rich_record(member: str = "pku", local_id: str = "b1") -> Record:
    """A record with every field set, in Chinese (datestamp at UTC+8)."""
    return make_record(
        member,
        local_id,
        "红楼梦",
        subtitle="脂砚斋重评石头记",
        authors=["曹雪芹", "高鹗"],
        publisher="人民文学出版社",
        year=1982,
        language="chi",
        edition="第3版",
        pages=1606,
        identifiers=[Identifier(scheme=IdentifierScheme.ISBN, value="9787020002207")],
        subjects=["章回小说 — 中国 — 清代"],
        classifications=[Classification(scheme=ClassScheme.CLC, code="I242.4")],
        holdings=[
            Holding(
                member=member,
                location="古籍阅览室",
                call_number="I242.4/5",
                availability=Availability.ON_LOAN,
            )
        ],
        datestamp=datetime(2024, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=8))),
    )


def make_quarantined(
    member: str = "m",
    position: str = "oai:m:1",
    reason: str = "leader is not MARC21",
    raw: str = "junk",
    **kw: Any,
) -> QuarantinedRecord:
    """A quarantined record from ``<member>-oai`` at ``position`` whose raw bytes are ``raw``."""
    kw.setdefault("source_id", f"{member}-oai")
    kw.setdefault("quarantined_at", T0)
    return QuarantinedRecord(member=member, position=position, reason=reason, raw=raw_of(raw), **kw)


def make_checkpoint(source_id: str = "m-oai", run_id: str = "run-1", **kw: Any) -> Checkpoint:
    kw.setdefault("started_at", T0)
    return Checkpoint(source_id=source_id, run_id=run_id, **kw)


def upsert(record: Record) -> RecordChange:
    return RecordChange(member=record.member, local_id=record.local_id, record=record)


def delete(member: str, local_id: str) -> RecordChange:
    return RecordChange(member=member, local_id=local_id)


def make_page(
    *changes: Record | RecordChange,
    quarantined: list[QuarantinedRecord] | None = None,
    checkpoint: Checkpoint | None = None,
) -> PageCommit:
    """A page of changes (a bare record means an upsert of it), committed with ``checkpoint``."""
    return PageCommit(
        changes=[upsert(c) if isinstance(c, Record) else c for c in changes],
        quarantined=quarantined or [],
        checkpoint=checkpoint or make_checkpoint(),
    )


class NoScan:
    """A DynamoDB client that refuses Scan: what reads through an index or a count must never need."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def __getattr__(self, name: str) -> Any:
        if name == "scan":
            raise AssertionError("a Scan where a Query should do")
        return getattr(self.client, name)


class WatchedQueries(NoScan):
    """A :class:`NoScan` client that notes the partition each Query reads (``queried``), with the prefix of the sort
    keys it reads there, if any (``SRC#a#cat S*``)."""

    def __init__(self, client: Any) -> None:
        super().__init__(client)
        self.queried: list[str] = []

    def __getattr__(self, name: str) -> Any:
        if name != "query":
            return super().__getattr__(name)

        def query(**kw: Any) -> Any:
            values = kw["ExpressionAttributeValues"]
            self.queried.append(values[":pk"]["S"] + (f" {values[':prefix']['S']}*" if ":prefix" in values else ""))
            return self.client.query(**kw)

        return query


class HalfDoneDynamoDb:
    """A DynamoDB client that leaves half of every batch unprocessed, as DynamoDB may under load."""

    def __init__(self, client: Any, *, never: bool = False) -> None:
        self.client, self.never, self.batches = client, never, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def batch_write_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        ((table, items),) = RequestItems.items()
        self.batches += 1
        cut = 0 if self.never else (len(items) + 1) // 2
        if cut:
            self.client.batch_write_item(RequestItems={table: items[:cut]})
        return {"UnprocessedItems": {table: items[cut:]} if items[cut:] else {}}

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        ((table, request),) = RequestItems.items()
        keys, cut = request["Keys"], (len(request["Keys"]) + 1) // 2
        response = self.client.batch_get_item(RequestItems={table: request | {"Keys": keys[:cut]}})
        rest = {table: request | {"Keys": keys[cut:]}} if keys[cut:] else {}
        return {"Responses": response["Responses"], "UnprocessedKeys": rest}


def make_test_cluster(
    cluster_id: str = "c1", records: list[tuple[str, str]] | None = None, title: str = "A title", **kw: Any
) -> Any:
    """A valid :class:`~consortium.models.Cluster` (first seen and updated at ``T0`` unless given)."""
    from consortium.models import Cluster

    kw.setdefault("format", "book")
    kw.setdefault("first_seen", T0)
    kw.setdefault("updated_at", T0)
    return Cluster(cluster_id=cluster_id, records=sorted(records or [("m", "1")]), title=title, **kw)


def make_cluster(
    cluster_id: str = "c1",
    title: str = "A title",
    members: tuple[str, ...] | list[str] = ("m",),
    *,
    isbn: str | None = None,
    issn: str | None = None,
    classes: tuple[str, ...] | list[str] = (),
    **kw: Any,
) -> Any:
    """A :class:`~consortium.models.Cluster` held by ``members`` (one record and one holding each).

    ``isbn`` (ISBN-13) and ``issn`` (``NNNN-NNNC``) become identifiers; ``classes`` are ``"scheme:code"``
    (``"clc:TP181"``, ``"lcc:QA76.6"``); other keywords are Cluster fields (format defaults to book).
    """
    from consortium.models import Cluster

    identifiers = [Identifier(scheme=IdentifierScheme.ISBN, value=isbn)] if isbn else []
    if issn:
        identifiers.append(Identifier(scheme=IdentifierScheme.ISSN, value=issn))
    kw.setdefault("format", "book")
    kw.setdefault("first_seen", T0)
    kw.setdefault("updated_at", T0)
    kw.setdefault("identifiers", identifiers)
    kw.setdefault(
        "classifications",
        [Classification(scheme=ClassScheme(c.split(":", 1)[0]), code=c.split(":", 1)[1]) for c in classes],
    )
    kw.setdefault("holdings", [Holding(member=m, call_number=f"{cluster_id}/{m}") for m in members])
    records = sorted((m, f"{cluster_id}-{m}") for m in members)
    return Cluster(cluster_id=cluster_id, records=records, title=title, **kw)
