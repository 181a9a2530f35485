"""A harvest interrupted at any point, then resumed, leaves exactly the store of an uninterrupted run."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marc_builders import book

from consortium.adapters.memory import InMemoryBlobStore, InMemoryRecordStore
from consortium.harvest.service import HarvestService
from consortium.harvest.state import PageCommit
from consortium.members import Member, Source

MEMBER = Member(id="m", name="Member")


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


class CrashingArchive(InMemoryBlobStore):
    def __init__(self, crash_at: int) -> None:
        super().__init__()
        self.crash_at, self.puts = crash_at, 0

    def put(self, data: bytes) -> str:
        self.puts += 1
        if self.puts == self.crash_at:
            raise Crash
        return super().put(data)


def write_file(path: Path) -> Source:
    records = [book(f"r{i:03}", f"Title {i}") for i in range(23)]
    records.insert(7, book("bad", "Bad ISBN", isbn="0201896835"))
    path.write_bytes(b"".join(r.as_marc() for r in records))
    return Source.model_validate({"id": "f", "protocol": "marc-file", "path": path, "format": "marc21"})


def snapshot(store: InMemoryRecordStore) -> tuple[list[str], list[str]]:
    records = [r.model_dump_json() for r in store.records()]
    quarantine = [f"{q.position}|{q.reason}|{q.raw.digest}" for q in store.quarantined()]
    return records, quarantine


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[tuple[list[str], list[str]], Path]:
    path = tmp_path_factory.mktemp("ref") / "f.mrc"
    source = write_file(path)
    store = InMemoryRecordStore()
    HarvestService(store, InMemoryBlobStore(), page_size=4).harvest_source(MEMBER, source)
    return snapshot(store), path


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(crash_at=st.integers(min_value=1, max_value=7), after=st.booleans())
def test_crash_at_any_commit_then_resume(
    reference: tuple[tuple[list[str], list[str]], Path], crash_at: int, after: bool
) -> None:
    expected, path = reference
    source = Source.model_validate({"id": "f", "protocol": "marc-file", "path": path, "format": "marc21"})
    store = CrashingStore(crash_at, after)
    archive = InMemoryBlobStore()
    service = HarvestService(store, archive, page_size=4)
    with pytest.raises(Crash):
        service.harvest_source(MEMBER, source)
    report = service.harvest_source(MEMBER, source)
    assert report.complete
    assert snapshot(store) == expected
    # Counts cover the whole run, resumed or not: 23 added and 1 quarantined, each once.
    if report.resumed:
        assert (report.counts.added, report.counts.quarantined) == (23, 1)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(crash_at=st.integers(min_value=1, max_value=24))
def test_crash_while_archiving_then_resume(reference: tuple[tuple[list[str], list[str]], Path], crash_at: int) -> None:
    expected, path = reference
    source = Source.model_validate({"id": "f", "protocol": "marc-file", "path": path, "format": "marc21"})
    store = InMemoryRecordStore()
    archive = CrashingArchive(crash_at)
    service = HarvestService(store, archive, page_size=4)
    with pytest.raises(Crash):
        service.harvest_source(MEMBER, source)
    assert service.harvest_source(MEMBER, source).complete
    assert snapshot(store) == expected
    for record in store.records():
        assert archive.exists(record.raw.digest)


def test_a_changed_file_starts_a_new_run(tmp_path: Path) -> None:
    source = write_file(tmp_path / "f.mrc")
    store = CrashingStore(2, after=True)
    service = HarvestService(store, InMemoryBlobStore(), page_size=4)
    with pytest.raises(Crash):
        service.harvest_source(MEMBER, source)
    (tmp_path / "f.mrc").write_bytes(book("only", "The only record").as_marc())
    report = service.harvest_source(MEMBER, source)
    assert not report.resumed and report.complete
    assert store.get("m", "only") is not None
