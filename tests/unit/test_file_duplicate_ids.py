"""A control number (001) given twice in one file: the first record read keeps it, the second is quarantined with
a reason naming the id and both positions, and the harvest report counts it; in binary MARC21, UNIMARC and
MARCXML alike, within a page or across pages, in a run resumed after it stopped, and again at every re-harvest."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from marc_builders import book, marcxml_collection, unimarc_book

from consortium.adapters.memory import InMemoryBlobStore, InMemoryRecordStore
from consortium.cli.harvest import report_line
from consortium.harvest.service import HarvestReport, HarvestService
from consortium.members import Member, Source

if TYPE_CHECKING:
    from pathlib import Path

    from pymarc import Record

MEMBER = Member(id="riverside", name="Riverside University Library")


def marc21(*records: Record) -> bytes:
    return b"".join(r.as_marc() for r in records)


def unimarc(record_id: str, title: str) -> Record:
    return unimarc_book(record_id, title, author="刘慈欣", isbn="9787536692930", clc="I247.55", year="2008")


class Hub:
    def __init__(self, tmp_path: Path, name: str, fmt: str, page_size: int = 2) -> None:
        self.source = Source.model_validate(
            {"id": "f", "protocol": "marc-file", "path": tmp_path / name, "format": fmt}
        )
        self.store = InMemoryRecordStore()
        clock = lambda: datetime(2026, 12, 1, tzinfo=UTC)  # noqa: E731
        self.service = HarvestService(self.store, InMemoryBlobStore(), page_size=page_size, clock=clock)

    def run(self, data: bytes, max_pages: int | None = None) -> HarvestReport:
        assert self.source.path is not None
        self.source.path.write_bytes(data)
        return self.service.harvest_source(MEMBER, self.source, max_pages=max_pages)

    def title(self, local_id: str) -> str:
        record = self.store.get("riverside", local_id)
        assert record is not None
        return record.title


@pytest.mark.parametrize("page_size", [2, 10])  # the second record of x on the next page, or the same one
def test_binary_marc_the_first_record_keeps_its_001_and_the_second_is_quarantined(
    tmp_path: Path, page_size: int
) -> None:
    hub = Hub(tmp_path, "books.mrc", "marc21", page_size)
    first, other, second = book("x", "The first"), book("y", "Another"), book("x", "The second")
    data = marc21(first, other, second)
    report = hub.run(data)
    assert hub.title("x") == "The first"
    counts = report.counts
    assert (counts.added, counts.changed, counts.quarantined, counts.duplicates) == (2, 0, 1, 1)
    assert report.complete
    [item] = hub.store.quarantined()
    offset = len(first.as_marc()) + len(other.as_marc())
    assert (item.position, item.local_id) == (f"books.mrc@{offset}", "x")
    assert item.reason == (
        f"control number (001) 'x' is given twice in the file: at books.mrc@0 and again at books.mrc@{offset}; "
        "the first is read, this one is not (give one of them another id, or remove it)"
    )
    assert "1 quarantined, 1 duplicate id(s) in the file (complete)" in report_line(report)

    again = hub.run(data).counts  # the same file again: the same record kept, never the second over it
    assert (again.unchanged, again.changed, again.quarantined, again.duplicates) == (2, 0, 1, 1)
    assert hub.title("x") == "The first" and len(hub.store.quarantined()) == 1


def test_marcxml_names_the_record_numbers(tmp_path: Path) -> None:
    hub = Hub(tmp_path, "books.xml", "marcxml")
    report = hub.run(marcxml_collection(book("x", "The first"), book("y", "Another"), book("x", "The second")))
    assert (report.counts.added, report.counts.duplicates) == (2, 1)
    [item] = hub.store.quarantined()
    assert item.position == "books.xml#3"
    assert item.reason.startswith("control number (001) 'x' is given twice in the file: at books.xml#1 and again")
    assert hub.title("x") == "The first"


def test_unimarc_says_record_identifier(tmp_path: Path) -> None:
    hub = Hub(tmp_path, "books.iso", "unimarc")
    report = hub.run(marc21(unimarc("u1", "三体"), unimarc("u1", "三体 II")))
    assert (report.counts.added, report.counts.duplicates) == (1, 1)
    [item] = hub.store.quarantined()
    assert item.reason.startswith("record identifier (001) 'u1' is given twice in the file: at books.iso@0")
    assert hub.title("u1") == "三体"


def test_a_deletion_of_an_id_the_file_gave_before_is_quarantined_too(tmp_path: Path) -> None:
    hub = Hub(tmp_path, "books.mrc", "marc21")
    report = hub.run(marc21(book("x", "The first"), book("x", "The first", deleted=True)))
    assert (report.counts.added, report.counts.deleted, report.counts.duplicates) == (1, 0, 1)
    assert hub.title("x") == "The first"


@pytest.mark.parametrize(("name", "fmt"), [("books.mrc", "marc21"), ("books.xml", "marcxml")])
def test_a_resumed_run_knows_the_ids_read_before_it_stopped(tmp_path: Path, name: str, fmt: str) -> None:
    hub = Hub(tmp_path, name, fmt)
    records = [book("x", "The first"), book("y", "Another"), book("z", "A third"), book("x", "The second")]
    data = marcxml_collection(*records) if fmt == "marcxml" else marc21(*records)
    stopped = hub.run(data, max_pages=1)  # x and y read, the run still open
    assert not stopped.complete and stopped.counts.added == 2
    resumed = hub.run(data)
    assert resumed.resumed and resumed.complete
    assert (resumed.counts.added, resumed.counts.duplicates) == (3, 1)
    assert hub.title("x") == "The first"
    [item] = hub.store.quarantined()
    assert "given twice in the file: at books." in item.reason


def test_when_the_first_cannot_be_read_the_second_says_the_hub_holds_neither(tmp_path: Path) -> None:
    # As marc4j's chinese_mangled_multibyte.mrc: four records with one 001, the first not valid MARC-8. The first
    # keeps the id all the same (the file is not read again to pick another), so the reason must not say it is read.
    hub = Hub(tmp_path, "books.mrc", "marc21", page_size=10)
    broken = book("x", "The first")
    broken.remove_fields("245")
    second = book("x", "The second")
    report = hub.run(marc21(broken, second))
    assert hub.store.get("riverside", "x") is None
    assert (report.counts.quarantined, report.counts.duplicates) == (2, 1)
    reasons = {q.reason_code: q.reason for q in hub.store.quarantined()}
    assert reasons["no_title"].startswith("245: the record has no title field")
    offset = len(broken.as_marc())
    assert reasons["duplicate_id"] == (
        f"control number (001) 'x' is given twice in the file: at books.mrc@0 and again at books.mrc@{offset}; "
        "the first keeps it but could not be read itself (its own quarantine entry says why), and this one is not "
        "read either, so the hub holds neither (give one of them another id, or remove the broken one)"
    )
