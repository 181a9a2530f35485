"""MARC 21 holdings records (MFHD) read with the bibliographic record beside them: their 852 call numbers and 866
statements become that record's holdings, whatever the file's format and however the file is paged; one whose
record is not beside it is quarantined saying so; an archived record reads back with its holdings."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marc_builders import FILE_WRITERS, book, holdings_record
from pymarc import Field, Leader, Record

from consortium.adapters.memory import InMemoryBlobStore, InMemoryRecordStore
from consortium.cli.harvest import report_line
from consortium.harvest.formats import reader_for
from consortium.harvest.renormalize import reread
from consortium.harvest.service import HarvestReport, HarvestService
from consortium.members import Member, Source, SourceFormat
from consortium.models import RawPointer

if TYPE_CHECKING:
    from pathlib import Path

MEMBER = Member(id="m", name="Member")


def harvest(tmp_path: Path, records: list[Record], fmt: str = "marc21", **kwargs: int) -> tuple[Hub, HarvestReport]:
    hub = Hub(tmp_path, fmt, **kwargs)
    return hub, hub.run(records)


class Hub:
    def __init__(self, tmp_path: Path, fmt: str, page_size: int = 100) -> None:
        tmp_path.mkdir(exist_ok=True)
        self.path = tmp_path / f"export.{fmt}"
        self.fmt = fmt
        self.source = Source.model_validate({"id": "s", "protocol": "marc-file", "path": self.path, "format": fmt})
        self.store, self.archive = InMemoryRecordStore(), InMemoryBlobStore()
        clock = lambda: datetime(2026, 12, 5, tzinfo=UTC)  # noqa: E731
        self.service = HarvestService(self.store, self.archive, page_size=page_size, clock=clock)

    def run(self, records: list[Record], max_pages: int | None = None) -> HarvestReport:
        self.path.write_bytes(FILE_WRITERS[self.fmt](records))
        return self.service.harvest_source(MEMBER, self.source, max_pages=max_pages)

    def shelves(self) -> dict[str, list[tuple[str | None, str | None, str | None]]]:
        return {r.local_id: [(h.location, h.call_number, h.coverage) for h in r.holdings] for r in self.store.records()}

    def refused(self) -> dict[str, tuple[str | None, str]]:
        return {
            q.position.rsplit("@", 1)[-1].rsplit("#", 1)[-1]: (q.reason_code, q.reason)
            for q in self.store.quarantined()
        }


FILE = [
    book("b1", "Concrete mathematics"),
    holdings_record("h1", "b1", "QA39.2 .G733"),
    holdings_record("h2", "b1", "QA39.2 .G733a", coverage="v.1-v.2"),
    book("b2", "Digital typography"),  # no holdings record: its own holding, as before
    holdings_record("h3", "b3", "Z253 .K58"),  # before its record, as SRU's collections may have it
    book("b3", "The TeXbook"),
]
SHELVES = {
    "b1": [("gen", "QA39.2 .G733", None), ("gen", "QA39.2 .G733a", "v.1-v.2")],
    "b2": [(None, None, None)],
    "b3": [("gen", "Z253 .K58", None)],
}


@pytest.mark.parametrize("fmt", sorted(FILE_WRITERS))
@pytest.mark.parametrize("page_size", [1, 2, 3, 100])
def test_holdings_records_become_the_holdings_of_their_record(tmp_path: Path, fmt: str, page_size: int) -> None:
    hub, report = harvest(tmp_path, FILE, fmt, page_size=page_size)
    assert report.complete and not list(hub.store.quarantined())
    assert hub.shelves() == SHELVES
    assert (report.counts.added, report.counts.holdings, report.counts.seen) == (3, 3, 3)
    assert report_line(report).endswith("; 3 holdings record(s) read with their record (complete)")


def test_a_holdings_record_whose_record_is_not_beside_it_is_quarantined_saying_so(tmp_path: Path) -> None:
    gone = book("b4", "Deleted", deleted=True)
    records = [*FILE[:4], holdings_record("h9", "b9", "X1 .Y2"), gone, holdings_record("h4", "b4", "X1 .Y3")]
    hub, report = harvest(tmp_path, records, "marcxml")
    assert report.complete and hub.shelves() == {"b1": SHELVES["b1"], "b2": SHELVES["b2"]}
    said = (
        "004: a holdings record of record '{}', which {}: a holdings record is read only beside its record, in the "
        "same file"
    )
    assert hub.refused() == {
        "5": (
            "not_bibliographic",
            said.format("b9", "is neither the record before it nor the one after it in the file"),
        ),
        "7": ("not_bibliographic", said.format("b4", "the file deletes")),
    }


def test_a_resumed_run_reads_the_same_as_one_run(tmp_path: Path) -> None:
    hub = Hub(tmp_path, "marc21", page_size=1)
    first = hub.run(FILE, max_pages=2)
    assert not first.complete
    assert hub.run(FILE).complete and hub.shelves() == SHELVES


def test_a_changed_holdings_record_changes_its_record(tmp_path: Path) -> None:
    hub, _ = harvest(tmp_path, FILE)
    moved = [*FILE[:2], holdings_record("h2", "b1", "QA39.2 .G733b", coverage="v.1-v.3"), *FILE[3:]]
    again = hub.run(moved)
    assert (again.counts.changed, again.counts.unchanged) == (1, 2)
    assert hub.shelves()["b1"] == [("gen", "QA39.2 .G733", None), ("gen", "QA39.2 .G733b", "v.1-v.3")]


@pytest.mark.parametrize("fmt", sorted(FILE_WRITERS))
def test_an_archived_record_reads_back_with_its_holdings(tmp_path: Path, fmt: str) -> None:
    hub, _ = harvest(tmp_path, FILE, fmt)
    for stored in hub.store.records():
        source_format = SourceFormat(fmt)
        item = reread(source_format, hub.archive.get(stored.raw.digest), stored.raw.media_type, "archived")
        pointer = RawPointer(digest=stored.raw.digest, media_type=stored.raw.media_type)
        again = reader_for(source_format).normalize(item, source=hub.source, member="m", raw=pointer)
        assert again == stored


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    layout=st.lists(st.tuples(st.booleans(), st.integers(0, 3)), min_size=1, max_size=9),
    page_size=st.integers(1, 4),
)
def test_any_file_reads_the_same_in_any_pages_and_loses_no_record(
    tmp_path: Path, layout: list[tuple[bool, int]], page_size: int
) -> None:
    # Any order of records and holdings records (of records before, after, elsewhere or nowhere in the file).
    records = [
        holdings_record(f"h{n}", f"b{k}", f"QA{n} .A{k}")
        if is_holdings
        else book(f"b{k}-{n}" if n % 3 else f"b{k}", "T")
        for n, (is_holdings, k) in enumerate(layout)
    ]
    whole, report = harvest(tmp_path / "whole", records, "marc21")
    paged, paged_report = harvest(tmp_path / "paged", records, "marc21", page_size=page_size)
    assert paged.shelves() == whole.shelves() and paged.refused() == whole.refused()
    counts = paged_report.counts
    assert counts.added + counts.quarantined + counts.holdings == len(records)
    assert paged_report.counts == report.counts


def test_a_titled_record_typed_holdings_and_a_deleted_holdings_record_are_no_holdings_of_the_record_before(
    tmp_path: Path,
) -> None:
    # Open Library's lesabndioeinas00sche: a book typed 'x' with a 004 is a book (it has a title), read as one; a
    # deleted holdings record is the deletion of its own id, not a holding of the record before it.
    typed = book("t1", "Lesabéndio")
    typed.leader = Leader("00000nx  a2200000 a 4500")
    typed.add_ordered_field(Field(tag="004", data="b1"))
    gone = holdings_record("h9", "b1", "QA1 .B2")
    gone.leader = Leader("00000dx  a22000001  4500")
    hub, report = harvest(tmp_path, [FILE[0], gone, typed])
    assert report.complete and not list(hub.store.quarantined())
    assert hub.shelves() == {"b1": [(None, None, None)], "t1": [(None, None, None)]}
    assert (report.counts.added, report.counts.unchanged, report.counts.holdings) == (2, 1, 0)
