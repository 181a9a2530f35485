"""Harvesting over OAI-PMH with pages read ahead (the default) stores exactly what reading one page at a time
stores, first and incremental runs alike, and a run killed at any commit resumes to the same store; over HTTP
from oai-repo on 127.0.0.1."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from oai_server import FixtureRepository, OaiTestServer, marcxml_record

from consortium.adapters.memory import InMemoryBlobStore, InMemoryRecordStore
from consortium.harvest.oai_pmh import OaiPmhClient
from consortium.harvest.service import HarvestService
from consortium.members import Member, Source

if TYPE_CHECKING:
    from collections.abc import Iterator

    from consortium.harvest.state import PageCommit

MEMBER = Member(id="lakeside", name="Lakeside University Library")
PAGE = 3
RECORDS = 20  # 7 pages


class Crash(Exception):
    """The process dies here."""


class CrashingStore(InMemoryRecordStore):
    """Dies on its ``crash_at``-th commit, before or after applying it."""

    def __init__(self, crash_at: int, after: bool) -> None:
        super().__init__()
        self.crash_at, self.after, self.commits = crash_at, after, 0

    def commit(self, page: PageCommit) -> int:
        self.commits += 1
        if self.commits == self.crash_at and not self.after:
            raise Crash
        superseded = super().commit(page)
        if self.commits == self.crash_at and self.after:
            raise Crash
        return superseded


def make_repo() -> FixtureRepository:
    repo = FixtureRepository()
    for n in range(RECORDS):
        identifier = f"oai:lake:{n:02}"
        isbn = "0201896835" if n == 8 else None  # a bad check digit: quarantined
        record = marcxml_record(identifier, f"Title {n}", f"Author {n}, A.", isbn, 1990 + n)
        repo.add(identifier, datetime(2026, 1, 1 + n, 9, tzinfo=UTC), marcxml=record)
    return repo


def service(store: InMemoryRecordStore, archive: InMemoryBlobStore, *, ahead: int) -> HarvestService:
    def client(url: str) -> OaiPmhClient:
        return OaiPmhClient(url, timeout=5, max_retries=0)

    return HarvestService(store, archive, oai_client=client, read_ahead=ahead)


def snapshot(store: InMemoryRecordStore) -> tuple[list[str], list[str], list[str]]:
    records = [r.model_dump_json() for r in store.records()]
    quarantine = [f"{q.position}|{q.reason}|{q.raw.digest}" for q in store.quarantined()]
    checkpoint = store.checkpoint("lakeside/oai")
    assert checkpoint is not None
    kept = checkpoint.model_dump(include={"source_id", "high_water", "cursor", "stopped", "unfollowed"})
    return records, quarantine, [str(kept), str(checkpoint.counts)]


@pytest.fixture(scope="module")
def server() -> Iterator[OaiTestServer]:
    with OaiTestServer(make_repo(), page_size=PAGE) as running:
        yield running


@pytest.fixture(scope="module")
def one_page_at_a_time(server: OaiTestServer) -> tuple[list[str], list[str], list[str]]:
    store = InMemoryRecordStore()
    report = service(store, InMemoryBlobStore(), ahead=0).harvest_source(MEMBER, source(server))
    assert report.complete and (report.counts.added, report.counts.quarantined) == (RECORDS - 1, 1)
    return snapshot(store)


def source(server: OaiTestServer) -> Source:
    return Source(id="oai", protocol="oai-pmh", url=server.base_url, format="marcxml")  # type: ignore[arg-type]


@pytest.mark.parametrize("depth", [1, 2, 5])
def test_reading_ahead_stores_what_one_page_at_a_time_stores(
    server: OaiTestServer, one_page_at_a_time: tuple[list[str], list[str], list[str]], depth: int
) -> None:
    store = InMemoryRecordStore()
    archive = InMemoryBlobStore()
    report = service(store, archive, ahead=depth).harvest_source(MEMBER, source(server))
    assert report.complete
    assert snapshot(store) == one_page_at_a_time
    for record in store.records():
        assert archive.exists(record.raw.digest)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(crash_at=st.integers(min_value=1, max_value=7), after=st.booleans())
def test_a_run_reading_ahead_killed_at_any_commit_resumes_to_the_same_store(
    server: OaiTestServer, one_page_at_a_time: tuple[list[str], list[str], list[str]], crash_at: int, after: bool
) -> None:
    assume(not (after and crash_at == 7))  # dying after the last commit leaves a finished run: nothing to resume
    store = CrashingStore(crash_at, after)
    archive = InMemoryBlobStore()
    harvester = service(store, archive, ahead=1)
    with pytest.raises(Crash):
        harvester.harvest_source(MEMBER, source(server))
    committed = store.commits - (0 if after else 1)
    checkpoint = store.checkpoint("lakeside/oai")
    assert (checkpoint is not None and checkpoint.in_progress) or committed == 0
    report = harvester.harvest_source(MEMBER, source(server))
    assert report.complete
    assert report.resumed == (committed > 0)
    assert snapshot(store) == one_page_at_a_time
    if report.resumed:  # the counts cover the whole run, each record once
        assert (report.counts.added, report.counts.quarantined) == (RECORDS - 1, 1)


def test_an_incremental_run_reading_ahead_stores_what_one_page_at_a_time_stores() -> None:
    stores = {}
    for depth in (0, 1):
        repo = make_repo()
        store = InMemoryRecordStore()
        harvester = service(store, InMemoryBlobStore(), ahead=depth)
        with OaiTestServer(repo, page_size=PAGE) as running:
            harvester.harvest_source(MEMBER, source(running))
            for n in (3, 11, 12):  # changed: one is now quarantined, two get new titles
                isbn = "0201896835" if n == 3 else None
                record = marcxml_record(f"oai:lake:{n:02}", f"Changed title {n}", None, isbn, 2001)
                repo.update(f"oai:lake:{n:02}", datetime(2026, 2, 1 + n, 9, tzinfo=UTC), marcxml=record)
            repo.delete("oai:lake:05", datetime(2026, 2, 20, 9, tzinfo=UTC))
            for n in range(RECORDS, RECORDS + 7):
                record = marcxml_record(f"oai:lake:{n:02}", f"New {n}", f"Writer {n}", None, 2020)
                repo.add(f"oai:lake:{n:02}", datetime(2026, 3, 1, 9, n, tzinfo=UTC), marcxml=record)
            report = harvester.harvest_source(MEMBER, source(running))
        assert report.complete and report.counts.added == 7 and report.counts.deleted == 1
        stores[depth] = snapshot(store)
    assert stores[1] == stores[0]
