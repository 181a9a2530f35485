"""A print copy's shelf status read at harvest, where the records carry it: Koha's items (MARC21 952, UNIMARC
995), Ex Libris' AVA, and MARC 21 876 $j item status linked to 852. Each form is built with pymarc as the system
exports it, normalized directly and through the harvest of a binary file and of MARCXML (the readers that do not
build pymarc objects); an odd value leaves the copy ``unknown`` and the record is stored all the same."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from marc_builders import book, unimarc_book
from pymarc import Field, Indicators, Leader, Record, Subfield, XMLWriter

from consortium.adapters.memory import InMemoryBlobStore, InMemoryRecordStore
from consortium.harvest.normalize.marc21 import normalize_marc21
from consortium.harvest.normalize.shelf_status import combined, item_status_text, koha_item_status
from consortium.harvest.normalize.unimarc import normalize_unimarc
from consortium.harvest.service import HarvestService
from consortium.members import Member, Source
from consortium.models import Availability, Holding, RawPointer, ResourceFormat

if TYPE_CHECKING:
    from pathlib import Path

A = Availability
RAW = RawPointer(digest="0" * 64, media_type="application/marc")


def field(tag: str, *pairs: str) -> Field:
    """A data field from code, value, code, value..."""
    subfields = [Subfield(pairs[i], pairs[i + 1]) for i in range(0, len(pairs), 2)]
    return Field(tag=tag, indicators=Indicators(" ", " "), subfields=subfields)


def marc21(*fields: Field) -> Record:
    record = book("b1", "The art of computer programming")
    for extra in fields:
        record.add_field(extra)
    return record


def unimarc(*fields: Field) -> Record:
    record = unimarc_book("u1", "三体", author="刘慈欣", isbn="9787536692930", clc="I247.55", year="2008")
    for extra in fields:
        record.add_field(extra)
    return record


def shelves(holdings: list[Holding]) -> list[tuple[str | None, str | None, Availability]]:
    return [(h.location, h.call_number, h.availability) for h in holdings]


def holdings21(*fields: Field) -> list[tuple[str | None, str | None, Availability]]:
    return shelves(normalize_marc21(marc21(*fields), member="m", source_id="s", raw=RAW).holdings)


# -- Koha, MARC21 952 --------------------------------------------------------------------------------------------


def test_koha_952_items_give_each_shelf_its_status() -> None:
    got = holdings21(
        field("952", "a", "MAIN", "c", "STACKS", "o", "QA76 .K5", "7", "0", "1", "0", "0", "0"),
        field("952", "a", "MAIN", "c", "STACKS", "o", "QA76 .K5", "7", "0", "q", "2026-12-24"),  # same shelf
        field("952", "a", "EAST", "c", "GEN", "o", "QA76 .K5 c.2", "7", "0", "q", "2026-12-24 23:59:00"),
        field("952", "a", "EAST", "c", "REF", "o", "QA76 .K5 ref", "7", "1"),  # not for loan
        field("952", "a", "WEST", "c", "GEN", "o", "QA76 .K5 c.3", "1", "2"),  # lost
        field("952", "a", "NORTH", "c", "GEN", "o", "QA76 .K5 c.4", "0", "1"),  # withdrawn
        field("952", "a", "SOUTH", "o", "QA76 .K5 c.5", "7", "-1"),  # Koha's "ordered"
    )
    assert got == [
        ("MAIN STACKS", "QA76 .K5", A.AVAILABLE),  # one of its two copies is on the shelf
        ("EAST GEN", "QA76 .K5 c.2", A.ON_LOAN),
        ("EAST REF", "QA76 .K5 ref", A.UNAVAILABLE),
        ("WEST GEN", "QA76 .K5 c.3", A.UNAVAILABLE),
        ("NORTH GEN", "QA76 .K5 c.4", A.UNAVAILABLE),
        ("SOUTH", "QA76 .K5 c.5", A.UNAVAILABLE),
    ]


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (("b", "MAIN", "o", "QA76"), A.UNKNOWN),  # no status exported: nothing says it is on the shelf
        (("b", "MAIN", "o", "QA76", "7", "no"), A.UNKNOWN),  # not Koha's number
        (("b", "MAIN", "o", "QA76", "7", "0", "q", "soon"), A.UNKNOWN),  # not a date due
        (("b", "MAIN", "o", "QA76", "7", "0", "1", "lost?"), A.UNKNOWN),
        (("b", "MAIN", "o", "QA76", "7", " 0 "), A.AVAILABLE),
        (("b", "MAIN", "o", "QA76", "1", "0"), A.AVAILABLE),  # one status given, and clear
    ],
)
def test_a_koha_item_with_no_status_or_an_odd_one_stays_unknown(item: tuple[str, ...], expected: Availability) -> None:
    [(location, call_number, status)] = holdings21(field("952", *item))
    assert (location, call_number, status) == ("MAIN", "QA76", expected)


def test_koha_items_describe_the_copies_an_852_beside_them_does() -> None:
    got = holdings21(
        field("852", "b", "MAIN", "c", "STACKS", "h", "QA76 .K5"),
        field("952", "b", "MAIN", "c", "STACKS", "o", "QA76 .K5", "7", "0", "q", "2026-12-24"),
    )
    assert got == [("MAIN STACKS", "QA76 .K5", A.ON_LOAN)]  # one holding, not two


# -- Ex Libris AVA (Alma, Aleph) -----------------------------------------------------------------------------------


def test_ava_gives_each_holding_its_availability() -> None:
    got = holdings21(
        field("AVA", "a", "01XX_INST", "b", "MAIN", "c", "Stacks", "d", "QA76 .K5", "e", "available", "f", "2"),
        field("AVA", "b", "LAW", "c", "Reserve", "d", "QA76 .K5 c.2", "e", "unavailable"),
        field("AVA", "b", "ANNEX", "c", "Storage", "d", "QA76 .K5 v.1-3", "e", "check_holdings"),
        field("AVA", "b", "SCI", "c", "Stacks", "d", "QA76 .K5 c.3", "e", "Available "),
        field("AVA", "b", "ART", "c", "Stacks", "d", "QA76 .K5 c.4", "e", "maybe"),
        field("AVA", "b", "MUS", "c", "Stacks", "d", "QA76 .K5 c.5"),
    )
    assert got == [
        ("MAIN Stacks", "QA76 .K5", A.AVAILABLE),
        ("LAW Reserve", "QA76 .K5 c.2", A.UNAVAILABLE),
        ("ANNEX Storage", "QA76 .K5 v.1-3", A.UNKNOWN),
        ("SCI Stacks", "QA76 .K5 c.3", A.AVAILABLE),
        ("ART Stacks", "QA76 .K5 c.4", A.UNKNOWN),
        ("MUS Stacks", "QA76 .K5 c.5", A.UNKNOWN),
    ]


def test_ava_replaces_the_852_it_describes() -> None:
    got = holdings21(
        field("852", "b", "MAIN", "c", "Stacks", "h", "QA76 .K5"),
        field("AVA", "b", "MAIN", "c", "Stacks", "d", "QA76 .K5", "e", "available"),
    )
    assert got == [("MAIN Stacks", "QA76 .K5", A.AVAILABLE)]


# -- 852 with 876 $j -----------------------------------------------------------------------------------------------


def test_876_item_status_gives_its_852_a_status() -> None:
    assert holdings21(field("852", "b", "MAIN", "h", "QA76 .K5"), field("876", "p", "39001", "j", "On loan.")) == [
        ("MAIN", "QA76 .K5", A.ON_LOAN)
    ]
    assert holdings21(
        field("852", "8", "1", "b", "MAIN", "h", "QA76 .K5"),
        field("852", "8", "2", "b", "ANNEX", "h", "QA76 .K5 c.2"),
        field("876", "8", "1.1", "j", "Checked out"),
        field("876", "8", "1.2", "j", "Available"),
        field("876", "8", "2.1", "j", "Missing"),
    ) == [("MAIN", "QA76 .K5", A.AVAILABLE), ("ANNEX", "QA76 .K5 c.2", A.UNAVAILABLE)]


def test_an_876_that_names_no_holding_or_an_unread_status_leaves_it_unknown() -> None:
    assert holdings21(
        field("852", "8", "1", "b", "MAIN", "h", "QA76 .K5"),
        field("852", "8", "2", "b", "ANNEX", "h", "QA76 .K5 c.2"),
        field("876", "j", "Available"),  # no $8, and two holdings: whose?
        field("876", "8", "2.1", "j", "At the bindery"),  # not a phrase read
    ) == [("MAIN", "QA76 .K5", A.UNKNOWN), ("ANNEX", "QA76 .K5 c.2", A.UNKNOWN)]
    assert holdings21(field("852", "b", "MAIN", "h", "QA76 .K5")) == [("MAIN", "QA76 .K5", A.UNKNOWN)]


def coverage21(*fields: Field) -> list[tuple[str | None, str | None]]:
    holdings = normalize_marc21(marc21(*fields), member="m", source_id="s", raw=RAW).holdings
    return [(h.location, h.coverage) for h in holdings]


def test_866_says_what_each_shelf_holding_of_a_serial_holds() -> None:
    # As a union catalogue of serials shows it: which volumes each copy has, linked by $8 as 876 items are.
    assert coverage21(
        field("852", "8", "1", "b", "MAIN", "h", "Z671 .L7"),
        field("852", "8", "2", "b", "STORE", "h", "Z671 .L7"),
        field("866", "8", "1\\x", "a", "v.1 (1990)-v.20 (2009)"),
        field("866", "8", "2\\x", "a", "v.21 (2010)-", "z", "Current issues in the reading room"),
        field("866", "8", "2\\x", "a", "Suppl. 1-3"),
    ) == [
        ("MAIN", "v.1 (1990)-v.20 (2009)"),
        ("STORE", "v.21 (2010)- (Current issues in the reading room); Suppl. 1-3"),
    ]
    # One holding: every 866 is its, whatever its $8 (Open Library's 880_Nihon_no_chasho.mrc: 852 without $8,
    # 866 $8 0); an 866 with no $a keeps its note.
    assert coverage21(field("852", "b", "MAIN"), field("866", "8", "0", "a", "pt.1-2")) == [("MAIN", "pt.1-2")]
    assert coverage21(field("852", "b", "MAIN"), field("866", "z", "All vols. in the annex")) == [
        ("MAIN", "All vols. in the annex")
    ]
    # Two holdings and an 866 that names neither: no one's.
    assert coverage21(
        field("852", "8", "1", "b", "MAIN"), field("852", "8", "2", "b", "STORE"), field("866", "a", "v.1-")
    ) == [("MAIN", None), ("STORE", None)]


def link(indicator2: str, *pairs: str) -> Field:
    subfields = [Subfield(pairs[i], pairs[i + 1]) for i in range(0, len(pairs), 2)]
    return Field(tag="856", indicators=Indicators("4", indicator2), subfields=subfields)


def test_a_link_to_a_table_of_contents_or_a_blurb_is_no_online_copy() -> None:
    # As LC's and the German National Library's records give them (856 41 or 4_, $3 naming what the link shows).
    toc = link("1", "3", "Table of contents only", "u", "http://www.loc.gov/catdir/toc/ecip0710/2007007890.html")
    blurb = link(" ", "3", "Inhaltstext", "u", "http://d-nb.info/1062935594/04")
    held = normalize_marc21(marc21(toc, blurb), member="m", source_id="s", raw=RAW).holdings
    assert [(h.url, h.availability) for h in held] == [(None, A.UNKNOWN)]  # its one print copy, no link
    years = link("0", "3", "2000-2001", "u", "https://journals.example/x")
    [online] = normalize_marc21(marc21(years), member="m", source_id="s", raw=RAW).holdings
    assert (online.url, online.coverage, online.availability) == ("https://journals.example/x", "2000-2001", A.ONLINE)


def test_a_print_journal_with_a_link_to_its_contents_stays_print() -> None:
    journal = marc21(link("1", "3", "Inhaltsverzeichnis", "u", "http://d-nb.info/x/04"))
    journal.leader = Leader("00000nas a2200000 c 4500")
    assert normalize_marc21(journal, member="m", source_id="s", raw=RAW).format is ResourceFormat.JOURNAL
    journal.get_fields("856")[0].subfields[0] = Subfield("3", "1995-")
    assert normalize_marc21(journal, member="m", source_id="s", raw=RAW).format is ResourceFormat.EJOURNAL


def test_866_beside_alma_availability_or_the_one_copy_a_record_without_852_has() -> None:
    ava = field("AVA", "b", "BUHR", "c", "Ask at any library", "d", "QH5 .N2", "e", "check_holdings")
    summary = field("866", "b", "Buhr Shelving Facility", "z", "All vols. in Buhr", "a", "1827-1937")
    assert coverage21(ava, summary) == [("BUHR Ask at any library", "1827-1937 (All vols. in Buhr)")]
    assert coverage21(field("866", "a", "1828-1830")) == [(None, "1828-1830")]


def test_links_stay_online_and_a_record_with_no_holdings_field_keeps_its_one_unknown_copy() -> None:
    got = holdings21(field("856", "u", "https://example.org/taocp"))
    assert got == [(None, None, A.ONLINE)]
    assert holdings21() == [(None, None, A.UNKNOWN)]


# -- Koha, UNIMARC 995 ---------------------------------------------------------------------------------------------


def test_koha_995_items_in_unimarc() -> None:
    record = unimarc(
        field("995", "b", "ELU", "e", "中文书库", "k", "I247.55/12", "o", "0", "2", "0", "0", "0"),
        field("995", "b", "ELU", "e", "外文书库", "k", "I247.55/L6", "o", "0", "n", "2026-12-24"),
        field("995", "b", "ELU", "e", "保存本库", "k", "I247.55/12-2", "o", "1"),
        field("995", "b", "ELU", "e", "分馆", "k", "I247.55/12-3", "o", "不外借"),  # not Koha's number
        field("905", "a", "ELU", "c", "中文书库", "d", "I247.55", "e", "12"),  # the same copies, no status
    )
    got = normalize_unimarc(record, member="eastlake", source_id="s", raw=RAW).holdings
    assert shelves(got) == [
        ("ELU 中文书库", "I247.55/12", A.AVAILABLE),
        ("ELU 外文书库", "I247.55/L6", A.ON_LOAN),
        ("ELU 保存本库", "I247.55/12-2", A.UNAVAILABLE),
        ("ELU 分馆", "I247.55/12-3", A.UNKNOWN),
    ]


def test_cnmarc_905_copies_stay_unknown() -> None:
    record = unimarc()  # the builder's record carries its 905 copy
    assert record.get_fields("905") and not record.get_fields("995")
    got = normalize_unimarc(record, member="eastlake", source_id="s", raw=RAW).holdings
    assert got and {h.availability for h in got} == {A.UNKNOWN}


# -- the rules on their own ----------------------------------------------------------------------------------------


def test_a_holding_of_several_copies() -> None:
    assert combined([A.ON_LOAN, A.AVAILABLE]) is A.AVAILABLE
    assert combined([A.ON_LOAN, A.UNKNOWN]) is A.UNKNOWN  # the unknown copy may be on the shelf
    assert combined([A.ON_LOAN, A.UNAVAILABLE]) is A.ON_LOAN
    assert combined([A.UNAVAILABLE]) is A.UNAVAILABLE
    assert combined([]) is A.UNKNOWN


def test_the_koha_and_item_status_readers() -> None:
    assert koha_item_status(["0"], [], [], ["2026-01-02T10:00"]) is A.ON_LOAN
    assert koha_item_status(["0"], ["1"], [], ["2026-01-02"]) is A.UNAVAILABLE  # lost while on loan
    assert koha_item_status([""], [""], [""], [""]) is A.UNKNOWN  # empty subfields say nothing
    assert [item_status_text([v]) for v in ("ON SHELF", "Charged", "withdrawn;", "Lost?", "")] == [
        A.AVAILABLE,
        A.ON_LOAN,
        A.UNAVAILABLE,
        A.UNKNOWN,
        A.UNKNOWN,
    ]


# -- through a harvest: binary MARC21 and MARCXML, read without pymarc objects -----------------------------------


def harvested(path: Path, fmt: str) -> tuple[list[tuple[str | None, str | None, Availability]], int]:
    store = InMemoryRecordStore()
    source = Source.model_validate({"id": "s", "protocol": "marc-file", "path": path, "format": fmt})
    service = HarvestService(store, InMemoryBlobStore(), clock=lambda: datetime(2026, 1, 1, tzinfo=UTC))
    service.harvest_source(Member(id="m", name="Member"), source)
    [record] = store.records()
    return shelves(record.holdings), len(store.quarantined())


KOHA_RECORD = (
    field("952", "a", "MAIN", "o", "QA76 .K5", "7", "0", "q", "2026-12-24"),
    field("952", "a", "EAST", "o", "QA76 .K5 c.2", "7", "0", "1", "0"),
    field("952", "a", "WEST", "o", "QA76 .K5 c.3", "7", "??"),
)
KOHA_EXPECTED = [
    ("MAIN", "QA76 .K5", A.ON_LOAN),
    ("EAST", "QA76 .K5 c.2", A.AVAILABLE),
    ("WEST", "QA76 .K5 c.3", A.UNKNOWN),
]


def test_statuses_are_read_the_same_from_a_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "koha.mrc"
    path.write_bytes(marc21(*KOHA_RECORD).as_marc())
    assert harvested(path, "marc21") == (KOHA_EXPECTED, 0)  # the odd value quarantines nothing


def test_statuses_are_read_the_same_from_marcxml(tmp_path: Path) -> None:
    path = tmp_path / "alma.xml"
    writer = XMLWriter(path.open("wb"))
    alma = marc21(field("AVA", "b", "MAIN", "c", "Stacks", "d", "QA76 .K5", "e", "unavailable"))
    alma["001"].data = "b2"
    writer.write(alma)
    writer.write(marc21(*KOHA_RECORD))
    writer.close()
    store = InMemoryRecordStore()
    source = Source.model_validate({"id": "s", "protocol": "marc-file", "path": path, "format": "marcxml"})
    HarvestService(store, InMemoryBlobStore(), clock=lambda: datetime(2026, 1, 1, tzinfo=UTC)).harvest_source(
        Member(id="m", name="Member"), source
    )
    assert store.quarantined() == []
    by_id = {record.local_id: shelves(record.holdings) for record in store.records()}
    assert by_id == {"b1": KOHA_EXPECTED, "b2": [("MAIN Stacks", "QA76 .K5", A.UNAVAILABLE)]}


def test_unimarc_statuses_are_read_from_a_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "koha-unimarc.mrc"
    record = unimarc(field("995", "b", "ELU", "k", "I247.55/12", "o", "0", "n", "2026-12-24"))
    path.write_bytes(record.as_marc())
    assert harvested(path, "unimarc") == ([("ELU", "I247.55/12", A.ON_LOAN)], 0)
