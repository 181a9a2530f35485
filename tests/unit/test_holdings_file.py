"""A file source's holdings file (Voyager's and FOLIO's exports write holdings records apart from the records):
each holdings record read with the record its 004 names, in every MARC 21 file format; one naming no record of the
file counted; a changed holdings file a changed record; resumed runs, the archive and members.toml."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from marc_builders import FILE_WRITERS, book, holdings_record
from pymarc import Leader

from consortium.adapters.memory import InMemoryBlobStore, InMemoryRecordStore
from consortium.errors import ConfigError
from consortium.harvest.formats import reader_for
from consortium.harvest.renormalize import reread
from consortium.harvest.service import HarvestReport, HarvestService
from consortium.member_files import file_problems
from consortium.members import Member, Source, SourceFormat, load_registry
from consortium.models import RawPointer

if TYPE_CHECKING:
    from pathlib import Path

    from pymarc import Record

MEMBER = Member(id="m", name="Member")
RECORDS = [book("b1", "Concrete mathematics"), book("b2", "Digital typography"), book("b3", "The TeXbook")]
HOLDINGS = [
    holdings_record("h1", "b1", "QA39.2 .G733"),
    holdings_record("h3", "b3", "Z253 .K58", coverage="v.1-v.2"),
    book("x1", "A record in the holdings file"),  # not a holdings record: left out
    holdings_record("h2", "b1", "QA39.2 .G733a"),  # after another record's: each goes to its own record
    holdings_record("h9", "b9", "X1 .Y2"),  # of a record the file does not give
]


class Hub:
    def __init__(self, tmp_path: Path, fmt: str = "marc21", page_size: int = 100) -> None:
        self.fmt, self.path, self.held = fmt, tmp_path / f"records.{fmt}", tmp_path / f"holdings.{fmt}"
        values = {"id": "s", "protocol": "marc-file", "path": self.path, "format": fmt, "holdings": self.held}
        self.source = Source.model_validate(values)
        self.store, self.archive = InMemoryRecordStore(), InMemoryBlobStore()
        clock = lambda: datetime(2026, 12, 5, tzinfo=UTC)  # noqa: E731
        self.service = HarvestService(self.store, self.archive, page_size=page_size, clock=clock)

    def run(self, records: list[Record], held: list[Record], max_pages: int | None = None) -> HarvestReport:
        self.path.write_bytes(FILE_WRITERS[self.fmt](records))
        self.held.write_bytes(FILE_WRITERS[self.fmt](held))
        return self.service.harvest_source(MEMBER, self.source, max_pages=max_pages)

    def shelves(self) -> dict[str, list[tuple[str | None, str | None, str | None]]]:
        return {r.local_id: [(h.location, h.call_number, h.coverage) for h in r.holdings] for r in self.store.records()}


SHELVES = {
    "b1": [("gen", "QA39.2 .G733", None), ("gen", "QA39.2 .G733a", None)],
    "b2": [(None, None, None)],
    "b3": [("gen", "Z253 .K58", "v.1-v.2")],
}


@pytest.mark.parametrize("fmt", sorted(FILE_WRITERS))
def test_each_holdings_record_is_read_with_the_record_it_names(tmp_path: Path, fmt: str) -> None:
    hub = Hub(tmp_path, fmt)
    report = hub.run(RECORDS, HOLDINGS)
    assert report.complete and not list(hub.store.quarantined())
    assert hub.shelves() == SHELVES
    counts = report.counts
    assert (counts.added, counts.holdings, counts.holdings_unmatched) == (3, 3, 2)  # h9, and the record x1
    for stored in hub.store.records():  # each reads back from the archive alone, with its holdings
        item = reread(SourceFormat(fmt), hub.archive.get(stored.raw.digest), stored.raw.media_type, "archived")
        pointer = RawPointer(digest=stored.raw.digest, media_type=stored.raw.media_type)
        assert reader_for(SourceFormat(fmt)).normalize(item, source=hub.source, member="m", raw=pointer) == stored


def test_a_changed_holdings_file_changes_the_records_it_holds_and_runs_resume_over_both_files(tmp_path: Path) -> None:
    hub = Hub(tmp_path, page_size=1)
    first = hub.run(RECORDS, HOLDINGS, max_pages=1)
    assert not first.complete
    moved = [holdings_record("h1", "b1", "QA39.2 .G733 2nd"), *HOLDINGS[1:]]
    second = hub.run(RECORDS, moved)  # another holdings file: a new run, not the first one resumed
    assert second.complete and not second.resumed
    assert hub.shelves()["b1"] == [("gen", "QA39.2 .G733 2nd", None), ("gen", "QA39.2 .G733a", None)]
    again = hub.run(RECORDS, HOLDINGS)
    assert (again.counts.changed, again.counts.unchanged) == (1, 2)
    assert hub.shelves() == SHELVES


def test_a_resumed_run_reads_the_same_as_one_run(tmp_path: Path) -> None:
    hub = Hub(tmp_path, page_size=1)
    assert not hub.run(RECORDS, HOLDINGS, max_pages=2).complete
    resumed = hub.run(RECORDS, HOLDINGS)
    assert resumed.complete and resumed.resumed and hub.shelves() == SHELVES
    assert resumed.counts.holdings_unmatched == 2  # counted once, when the run started


def test_members_toml_names_a_holdings_file_for_a_marc_21_file_source_only(tmp_path: Path) -> None:
    def registry(source: str) -> Path:
        path = tmp_path / "members.toml"
        path.write_text(f'[[members]]\nid = "m"\nname = "M"\n\n[[members.sources]]\nid = "s"\n{source}\n')
        return path

    loaded = load_registry(registry('protocol = "marc-file"\nformat = "marc21"\npath = "r.mrc"\nholdings = "h.mrc"'))
    source = loaded.get("m").sources[0]
    assert source.holdings == (tmp_path / "h.mrc").resolve()  # relative to members.toml, as path is
    [(_, _, missing), _] = file_problems(loaded)
    assert missing == f"member 'm', source 's', field 'path': {tmp_path / 'r.mrc'} does not exist"
    assert file_problems(loaded)[1][2].startswith("member 'm', source 's', field 'holdings': ")
    for source, said in [
        ('protocol = "oai-pmh"\nurl = "https://x.example/oai"\nformat = "marcxml"\nholdings = "h.mrc"', "not oai-pmh"),
        ('protocol = "marc-file"\nformat = "unimarc"\npath = "r.mrc"\nholdings = "h.mrc"', "not for a unimarc"),
    ]:
        with pytest.raises(ConfigError, match=said):
            load_registry(registry(source))


def test_a_deleted_holdings_record_is_no_holding_and_an_unreadable_one_is_counted(tmp_path: Path) -> None:
    hub = Hub(tmp_path)
    hub.run(RECORDS, HOLDINGS)
    gone = holdings_record("h1", "b1", "QA39.2 .G733")
    gone.leader = Leader("00000dx  a22000001  4500")  # the library withdrew that copy
    broken = holdings_record("h5", "b2", "QA1 .B2").as_marc().replace(b"gen", b"g\xffn")  # not UTF-8, as it says
    hub.path.write_bytes(FILE_WRITERS["marc21"](RECORDS))
    hub.held.write_bytes(gone.as_marc() + broken + holdings_record("h2", "b1", "QA39.2 .G733a").as_marc())
    report = hub.service.harvest_source(MEMBER, hub.source)
    assert hub.shelves()["b1"] == [("gen", "QA39.2 .G733a", None)]
    assert (report.counts.changed, report.counts.holdings_unmatched) == (2, 1)  # b1 and b3 changed; h5 not read
