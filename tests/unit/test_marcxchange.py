"""MarcXchange (ISO 25577) records, records that are not what the source says (holdings and authority records,
UNIMARC and MARC21 swapped), and the kind of resource read from coded data where leader/06 says too little.

A MarcXchange file is how the German National Library, the ZDB and the BnF (in UNIMARC) export: MARCXML's
structure in its own namespace, each record naming its format and type. Before, every such record was
quarantined as "not a MARCXML record"; holdings records were quarantined for having no title, and a UNIMARC file
declared as MARC21 likewise, which sent the librarian looking for a title that was there.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING
from xml.sax.saxutils import quoteattr

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marc_builders import book, unimarc_book
from pymarc import Field, Indicators, Leader, Subfield

from consortium.adapters.memory import InMemoryBlobStore, InMemoryRecordStore
from consortium.harvest.formats import reader_for
from consortium.harvest.normalize.marc21 import normalize_marc21
from consortium.harvest.normalize.unimarc import normalize_unimarc
from consortium.harvest.refusals import Refusal
from consortium.harvest.renormalize import reread
from consortium.harvest.service import HarvestReport, HarvestService
from consortium.members import Member, Source, SourceFormat
from consortium.models import ClassScheme, IdentifierScheme, RawPointer, ResourceFormat

if TYPE_CHECKING:
    from pathlib import Path

MEMBER = Member(id="m", name="Member")
V2 = "info:lc/xmlns/marcxchange-v2"


def harvest(path: Path, fmt: str) -> tuple[InMemoryRecordStore, HarvestReport]:
    store = InMemoryRecordStore()
    source = Source.model_validate({"id": "s", "protocol": "marc-file", "path": path, "format": fmt})
    service = HarvestService(store, InMemoryBlobStore(), clock=lambda: datetime(2026, 1, 1, tzinfo=UTC))
    return store, service.harvest_source(MEMBER, source)


def record_xml(leader: str, fields: str, attributes: str = "", prefix: str = "") -> str:
    tag = f"{prefix}record"
    return f"<{tag} {attributes}><{prefix}leader>{leader}</{prefix}leader>{fields}</{tag}>"


def control(tag: str, value: str, prefix: str = "") -> str:
    return f'<{prefix}controlfield tag="{tag}">{value}</{prefix}controlfield>'


def data(tag: str, subfields: dict[str, str], prefix: str = "") -> str:
    inner = "".join(f'<{prefix}subfield code="{c}">{v}</{prefix}subfield>' for c, v in subfields.items())
    return f'<{prefix}datafield tag="{tag}" ind1="1" ind2=" ">{inner}</{prefix}datafield>'


MARC21_BOOK = record_xml(
    "00000nam a2200000 c 4500",
    control("001", "1062935594")
    + control("008", "141201s2015    gw            000 0 ger d")
    + data("020", {"a": "9783957982483"})
    + data("100", {"a": "Fontane, Theodor"})
    + data("245", {"a": "Effi Briest :", "b": "Roman"})
    + data("264", {"b": "Reclam,", "c": "2015"}),
    'format="MARC21" type="Bibliographic"',
)
UNIMARC_BOOK = record_xml(
    "00000nam0 2200000   450 ",
    control("001", "FRBNF123")
    + data("010", {"a": "2-07-036822-X"})
    + data("200", {"a": "L'Étranger", "f": "Albert Camus"})
    + data("210", {"c": "Gallimard", "d": "1972"})
    + data("676", {"a": "843.914"})
    + data("700", {"a": "Camus", "b": "Albert"}),
    'format="UNIMARC" type="Bibliographic"',
)
HOLDINGS = record_xml(
    "00000ny  a2200000   4500",
    control("001", "h1") + control("004", "1062935594") + data("852", {"b": "DE-101"}),
    'format="MARC21" type="Holdings"',
)
DANMARC = record_xml("00000nam  2200000   4500", control("001", "d1"), 'format="danMARC2" type="Bibliographic"')


def collection(*records: str, namespace: str = V2) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?><collection xmlns="{namespace}">{"".join(records)}</collection>'


def test_a_marcxchange_file_is_read_each_record_in_the_format_it_names(tmp_path: Path) -> None:
    path = tmp_path / "dnb.xml"
    path.write_text(collection(MARC21_BOOK, UNIMARC_BOOK, HOLDINGS, DANMARC), encoding="utf-8")
    store, report = harvest(path, "marcxml")
    assert (report.counts.added, report.counts.quarantined) == (2, 2)
    fontane = store.get("m", "1062935594")
    assert fontane is not None
    assert (fontane.title, fontane.subtitle, fontane.authors, fontane.year) == (
        "Effi Briest",
        "Roman",
        ["Fontane, Theodor"],
        2015,
    )
    camus = store.get("m", "FRBNF123")  # 200 $a, 700 $a $b, 210 $c $d, 676: read as UNIMARC, not as MARC21
    assert camus is not None
    assert (camus.title, camus.authors, camus.publisher, camus.year) == (
        "L'Étranger",
        ["Camus, Albert"],
        "Gallimard",
        1972,
    )
    assert [(c.scheme, c.code) for c in camus.classifications] == [(ClassScheme.DDC, "843.914")]
    assert [i.scheme for i in camus.identifiers] == [IdentifierScheme.ISBN]
    refused = {q.position: (q.reason_code, q.reason_field, q.reason) for q in store.quarantined()}
    assert refused == {
        "dnb.xml#3": (
            "not_bibliographic",
            "record/@type",
            "record: a MarcXchange record of type 'Holdings', not a bibliographic one",
        ),
        "dnb.xml#4": (
            "wrong_format",
            "record/@format",
            "record: a MarcXchange record in format 'danMARC2'; the hub reads MARC21 and UNIMARC",
        ),
    }


def test_the_first_marcxchange_namespace_and_a_record_that_names_no_format(tmp_path: Path) -> None:
    plain = record_xml("00000nam a2200000 c 4500", control("001", "x1") + data("245", {"a": "Undeclared"}))
    path = tmp_path / "v1.xml"
    path.write_text(collection(plain, namespace="info:lc/xmlns/marcxchange-v1"), encoding="utf-8")
    store, _ = harvest(path, "marcxml")
    assert [r.title for r in store.records()] == ["Undeclared"]  # no format: MARC21, as MARCXML


def test_a_unimarc_marcxchange_record_read_again_from_the_archive_is_the_same(tmp_path: Path) -> None:
    path = tmp_path / "bnf.xml"
    path.write_text(collection(UNIMARC_BOOK), encoding="utf-8")
    store, archive = InMemoryRecordStore(), InMemoryBlobStore()
    source = Source.model_validate({"id": "s", "protocol": "marc-file", "path": path, "format": "marcxml"})
    HarvestService(store, archive).harvest_source(MEMBER, source)
    [stored] = store.records()
    # As `consortium renormalize` reads an archived record: its bytes alone, through the source format's reader
    # (the record element keeps its namespace and its format attribute, so it is UNIMARC again).
    item = reread(SourceFormat.MARCXML, archive.get(stored.raw.digest), stored.raw.media_type, "bnf.xml")
    again = reader_for(SourceFormat.MARCXML).normalize(item, source=source, member="m", raw=stored.raw)
    assert again == stored
    assert again.title == "L'Étranger"


def test_marcxchange_metadata_in_an_oai_pmh_response(tmp_path: Path) -> None:
    ns = 'xmlns:mx="' + V2 + '"'
    metadata = record_xml(
        "00000nam0 2200000   450 ",
        control("001", "1", "mx:") + data("200", {"a": "Les Misérables"}, "mx:") + data("700", {"a": "Hugo"}, "mx:"),
        f'{ns} format="UNIMARC" type="Bibliographic"',
        "mx:",
    )
    holdings = record_xml("00000nx  a2200000   4500", control("001", "2", "mx:"), f'{ns} type="Holdings"', "mx:")
    envelope = "".join(
        f"<record><header><identifier>oai:bnf:{n}</identifier><datestamp>2026-01-01</datestamp></header>"
        f"<metadata>{body}</metadata></record>"
        for n, body in ((1, metadata), (2, holdings))
    )
    path = tmp_path / "oai.xml"
    path.write_text(
        f'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords>{envelope}</ListRecords></OAI-PMH>',
        encoding="utf-8",
    )
    store, _ = harvest(path, "oai-pmh")
    assert [(r.local_id, r.title, r.authors) for r in store.records()] == [("oai:bnf:1", "Les Misérables", ["Hugo"])]
    [refused] = store.quarantined()
    assert (refused.position, refused.reason_code) == ("oai:bnf:2", "not_bibliographic")


@pytest.mark.parametrize(
    ("kind", "said"),
    [("y", "'y', a holdings record"), ("u", "'u', a holdings record"), ("z", "'z', an authority record")],
)
def test_marc21_holdings_and_authority_records_are_refused_as_such(tmp_path: Path, kind: str, said: str) -> None:
    # A holdings record without 004 (none names the record it holds; with one, see test_holdings_records.py).
    other = book("h1", "Not a title of a book")
    other.leader = Leader(f"00000n{kind}  a2200000   4500")
    other.remove_fields("245", "100", "264", "300")
    other.add_ordered_field(Field(tag="852", indicators=Indicators(" ", " "), subfields=[Subfield("b", "DE-101")]))
    path = tmp_path / "lok.mrc"
    path.write_bytes(book("b1", "A book").as_marc() + other.as_marc())
    store, report = harvest(path, "marc21")
    assert [r.local_id for r in store.records()] == ["b1"]
    [refused] = store.quarantined()
    assert (refused.reason_code, refused.reason_field) == ("not_bibliographic", "leader/06")
    assert refused.reason == f"leader/06: {said} (no title), not a bibliographic one"
    assert report.counts.quarantined == 1


def test_a_titled_record_its_exporter_typed_as_holdings_is_a_book(tmp_path: Path) -> None:
    # BiblioMondo (xbib's bibliomondo.marc.xml) types 25 of its books "u"; each has its 245, 020, 100, 007 "tu".
    typed = book("u1", "Endboss")
    typed.leader = Leader("00000num  2200000|| 450 ")
    typed.add_ordered_field(Field(tag="007", data="tu"))
    path = tmp_path / "bibliomondo.mrc"
    path.write_bytes(typed.as_marc())
    store, _ = harvest(path, "marc21")
    assert [(r.title, r.format) for r in store.records()] == [("Endboss", ResourceFormat.BOOK)]


def test_unimarc_records_in_a_marc21_source_name_the_format_to_declare(tmp_path: Path) -> None:
    path = tmp_path / "periodicals.mrc"
    cnmarc = unimarc_book("c1", "三体", author="刘慈欣", isbn="9787536692930", clc="I247.55", year="2008")
    path.write_bytes(cnmarc.as_marc())
    store, _ = harvest(path, "marc21")
    [refused] = store.quarantined()
    assert (refused.reason_code, refused.reason_field) == ("wrong_format", "245")
    assert refused.reason == (
        "245: the record has no title field (nor 240, 130 or 246), but has a 200 $a as UNIMARC records do: "
        "is the source's format 'unimarc'?"
    )
    store, _ = harvest(path, "unimarc")  # declared as it is, the same file is read
    assert [r.title for r in store.records()] == ["三体"]


def test_marc21_records_in_a_unimarc_source_name_the_format_to_declare(tmp_path: Path) -> None:
    path = tmp_path / "export.mrc"
    path.write_bytes(book("b1", "The Art of Computer Programming").as_marc())
    store, _ = harvest(path, "unimarc")
    [refused] = store.quarantined()
    assert refused.reason_code == "wrong_format"
    assert refused.reason.endswith("but has a 245 $a as MARC21 records do: is the source's format 'marc21'?")


def test_a_record_with_neither_title_is_still_refused_for_its_missing_title(tmp_path: Path) -> None:
    untitled = book("b2", "x")
    untitled.remove_fields("245")
    path = tmp_path / "untitled.mrc"
    path.write_bytes(untitled.as_marc())
    store, _ = harvest(path, "marc21")
    [refused] = store.quarantined()
    assert (refused.reason_code, refused.reason_field) == ("no_title", "245")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    fmt=st.one_of(st.none(), st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=50)),
    kind=st.one_of(st.none(), st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=50)),
    record_type=st.sampled_from("acdefgijkmoprt uvwxyzq#"),
)
def test_any_format_type_or_leader_is_read_or_refused_with_a_code_and_nothing_is_lost(
    tmp_path: Path, fmt: str | None, kind: str | None, record_type: str
) -> None:
    attributes = " ".join(
        f"{name}={quoteattr(value)}" for name, value in (("format", fmt), ("type", kind)) if value is not None
    )
    odd = record_xml(
        f"00000n{record_type}m a2200000 c 4500", control("001", "odd") + data("245", {"a": "T"}), attributes
    )
    path = tmp_path / "fuzz.xml"
    path.write_text(collection(MARC21_BOOK, odd), encoding="utf-8")
    store, report = harvest(path, "marcxml")
    assert store.get("m", "1062935594") is not None  # the good record, whatever came after it
    assert report.counts.added + report.counts.quarantined == 2 and report.complete
    for item in store.quarantined():
        assert item.reason_code in set(Refusal) and item.reason.strip()


@pytest.mark.parametrize(
    ("level", "coded", "expected"),
    [
        ("s", None, ResourceFormat.EJOURNAL),  # xbib's periouni.mrc: 362 online serials, read as software before
        ("s", ("110", "f"), ResourceFormat.DATABASE),
        ("i", ("110", "g"), ResourceFormat.WEB),
        ("i", None, ResourceFormat.DATABASE),
        ("m", ("135", "dr"), ResourceFormat.EBOOK),
        ("m", ("135", "e"), ResourceFormat.DATABASE),
        ("m", ("135", "g"), ResourceFormat.SOFTWARE),
        ("m", None, ResourceFormat.SOFTWARE),
    ],
)
def test_a_unimarc_electronic_resource_by_its_level_and_coded_data(
    level: str, coded: tuple[str, str] | None, expected: ResourceFormat
) -> None:
    record = unimarc_book("e1", "Électronique", author="Dupont", isbn="9787536692930", clc="I247.55", year="2008")
    record.leader = Leader(f"00000nl{level}  2200000 i 450 ")
    if coded is not None:
        record.add_ordered_field(
            Field(tag=coded[0], indicators=Indicators(" ", " "), subfields=[Subfield("a", coded[1])])
        )
    raw = RawPointer(digest="0" * 64, media_type="application/marc")
    assert normalize_unimarc(record, member="m", source_id="s", raw=raw).format is expected


@pytest.mark.parametrize(
    ("record_type", "f007", "f008_26", "expected"),
    [
        ("h", "tu", " ", ResourceFormat.BOOK),  # BiblioMondo's "h" (xbib's bibliomondo.marc.xml): 007 says text
        ("h", "vd", " ", ResourceFormat.VIDEO),
        ("h", "cr", " ", ResourceFormat.EBOOK),  # an electronic resource, remote
        ("h", None, " ", ResourceFormat.OTHER),  # nothing says what it is
        ("m", None, "a", ResourceFormat.DATABASE),  # numeric data (a statistics database's extract)
        ("m", None, "d", ResourceFormat.EBOOK),
        ("m", None, "b", ResourceFormat.SOFTWARE),
        ("m", None, "|", ResourceFormat.SOFTWARE),
    ],
)
def test_a_marc21_format_by_what_the_record_says_when_leader_06_cannot(
    record_type: str, f007: str | None, f008_26: str, expected: ResourceFormat
) -> None:
    record = book("f1", "A record")
    record.leader = Leader(f"00000n{record_type}m a2200000 c 4500")
    f008 = record["008"]
    assert f008 is not None and f008.data is not None
    f008.data = f008.data[:26] + f008_26 + f008.data[27:]
    if f007 is not None:
        record.add_ordered_field(Field(tag="007", data=f007))
    raw = RawPointer(digest="0" * 64, media_type="application/marc")
    assert normalize_marc21(record, member="m", source_id="s", raw=raw).format is expected
