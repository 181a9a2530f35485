"""Real records from ../shared/data (see its SOURCES.md): traject, Open Library, pymarc, RecordManager, OAI-PMH.

Every file is harvested with the in-memory adapters, and every record in it, counted here independently of the
readers (record terminators in binary files, ``record`` elements in XML), is accounted for: normalized into the
store, or quarantined with a reason and its raw bytes archived. Spot checks then read source records with pymarc
(or lxml) and compare them with the normalized records.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import pymarc
import pytest
from lxml import etree

from consortium.adapters.memory import InMemoryBlobStore, InMemoryRecordStore
from consortium.harvest.refusals import Refusal
from consortium.harvest.service import HarvestReport, HarvestService
from consortium.members import Member, Source
from consortium.models import Availability, ClassScheme, IdentifierScheme, Record, ResourceFormat

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
pytestmark = [
    pytest.mark.shared_data,
    pytest.mark.skipif(not SHARED.is_dir(), reason=f"the shared data sets are not at {SHARED} (../shared/data)"),
    # The broken files make pymarc warn about subfield codes; what matters is asserted below.
    pytest.mark.filterwarnings("ignore::pymarc.exceptions.BadSubfieldCodeWarning"),
]

SETS = (
    "marc/traject",
    "marc/openlibrary/bin_input",
    "marc/openlibrary/xml_input",
    "marc/pymarc",
    "marc/recordmanager",
    "oai-pmh",
)
BINARY = (".marc", ".mrc", ".dat", ".bin")
MEMBER = Member(id="shared", name="Shared data")
_XML = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def data_files() -> list[Path]:
    if not SHARED.is_dir():
        return []
    return [p for s in SETS for p in sorted((SHARED / s).iterdir()) if p.suffix in (*BINARY, ".xml")]


def source_format(path: Path) -> str:
    if path.name == "testunimarc.dat":  # the one UNIMARC record of the sets (SOURCES.md)
        return "unimarc"
    if path.suffix in BINARY:
        return "marc21"
    root = etree.parse(str(path), _XML).getroot()
    return "oai-pmh" if etree.QName(root).localname == "OAI-PMH" else "marcxml"


def binary_records(path: Path) -> list[bytes]:
    """The file's records, cut at each record terminator (0x1D)."""
    chunks = path.read_bytes().split(b"\x1d")
    return [c.lstrip(b"\r\n\t \x00\x1a") for c in chunks if c.strip(b"\r\n\t \x00\x1a")]


def xml_records(path: Path) -> list[etree._Element]:
    """The outermost ``record`` elements, in any namespace (OAI-PMH records, MARCXML records, foreign ones)."""
    root = etree.parse(str(path), _XML).getroot()
    return list(root.xpath("//*[local-name()='record'][not(ancestor::*[local-name()='record'])]"))


def deletions(path: Path) -> int:
    """Records marked deleted: leader/05 ``d``, or an OAI-PMH header with ``status="deleted"``."""
    if path.suffix in BINARY:
        return sum(chunk[5:6] == b"d" for chunk in binary_records(path))
    count = 0
    for record in xml_records(path):
        leader = record.xpath("string(*[local-name()='leader'])")
        header = record.xpath("*[local-name()='header']/@status")
        count += leader[5:6] == "d" or header == ["deleted"]
    return count


@functools.cache
def harvested(relative: str) -> tuple[InMemoryRecordStore, InMemoryBlobStore, HarvestReport]:
    path = SHARED / relative
    store, archive = InMemoryRecordStore(), InMemoryBlobStore()
    source = Source.model_validate({"id": "f", "protocol": "marc-file", "path": path, "format": source_format(path)})
    service = HarvestService(store, archive, page_size=7, clock=lambda: datetime(2026, 11, 25, tzinfo=UTC))
    logging.disable(logging.WARNING)  # pymarc logs every odd indicator of the broken files
    try:
        report = service.harvest_source(MEMBER, source)
    finally:
        logging.disable(logging.NOTSET)
    return store, archive, report


def record(relative: str, local_id: str | None = None) -> Record:
    store = harvested(relative)[0]
    if local_id is None:
        [only] = store.records()
        return only
    found = store.get(MEMBER.id, local_id)
    assert found is not None, f"{relative}: no record {local_id!r}"
    return found


def reasons(relative: str) -> list[str]:
    return [q.reason for q in harvested(relative)[0].quarantined()]


def source_records(relative: str) -> list[pymarc.Record]:
    """The file's records as pymarc reads them, on its own."""
    path = SHARED / relative
    if path.suffix == ".xml":
        return list(pymarc.parse_xml_to_array(str(path)))
    with path.open("rb") as fh:
        utf8 = path.name == "testunimarc.dat"
        return [r for r in pymarc.MARCReader(fh, force_utf8=utf8, hide_utf8_warnings=True) if r]


def source(relative: str, control_number: str | None = None) -> pymarc.Record:
    records = source_records(relative)
    if control_number is None:
        return records[0]
    return next(r for r in records if r["001"] and r["001"].data.strip() == control_number)


def value(marc: pymarc.Record, tag: str, code: str) -> str:
    field = marc[tag]
    assert field is not None, f"no {tag}"
    return str(field[code])


def isbd(text: str) -> str:
    """A subfield without its ISBD punctuation, the plain way (" :", " /", a final period), in Unicode NFC."""
    return re.sub(r"\s*[:/;,=.]$", "", unicodedata.normalize("NFC", text.strip()))


def isbn13(isbn10: str) -> str:
    digits = "978" + re.sub(r"[^0-9Xx]", "", isbn10)[:9]
    check = (10 - sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(digits)) % 10) % 10
    return digits + str(check)


def relative(path: Path) -> str:
    return str(path.relative_to(SHARED))


# -- every record is accounted for ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", data_files(), ids=relative)
def test_every_record_is_normalized_or_quarantined_with_a_reason(path: Path) -> None:
    expected = len(binary_records(path)) if path.suffix in BINARY else len(xml_records(path))
    store, archive, report = harvested(relative(path))
    counts = report.counts
    assert report.complete
    assert expected > 0
    assert counts.added + counts.changed + counts.unchanged + counts.deleted + counts.quarantined == expected
    # A fresh store: no file of these sets repeats a control number (checked), so nothing is "changed"; the only
    # "unchanged" records are deletions (leader/05 d) of records the store never held.
    assert counts.changed == 0 and counts.deleted == 0
    assert counts.unchanged == deletions(path)
    assert store.count() == counts.added
    quarantined = store.quarantined()
    assert len(quarantined) == counts.quarantined
    for item in quarantined:
        assert item.reason.strip(), item.position
        assert archive.exists(item.raw.digest)
    for normalized in store.records():
        assert normalized.title.strip() and archive.exists(normalized.raw.digest)


def union_catalogue_files() -> list[Path]:
    folders = [SHARED / "marc/xbib", SHARED / "marc/marc4j"]
    suffixes = (".xml", ".mrc", ".bin", ".marc21")
    return sorted(p for f in folders if f.is_dir() for p in f.iterdir() if p.suffix in suffixes)


@pytest.mark.parametrize("path", union_catalogue_files(), ids=relative)
def test_union_catalogue_files_lose_no_record(path: Path) -> None:
    # xbib's files (SOURCES.md): MarcXchange, MARC21 holdings, UNIMARC serials, MARC-8 with other scripts, SWB's
    # ISO 2709 that pymarc rejects, an SRU response; marc4j's from many institutions, broken ones on purpose.
    # Each record is stored, or quarantined with a code; none goes unseen.
    fmt = "unimarc" if path.name == "periouni.mrc" else "marcxml" if path.suffix == ".xml" else "marc21"
    if fmt == "marcxml":  # MARC records wherever they stand (zdb-sru-marcxmlplus.xml: inside SRU's own records)
        expected = len(etree.parse(str(path), _XML).xpath("//*[local-name()='record'][*[local-name()='leader']]"))
    else:
        expected = len(binary_records(path))
    store = InMemoryRecordStore()
    source = Source.model_validate({"id": "f", "protocol": "marc-file", "path": path, "format": fmt})
    logging.disable(logging.WARNING)
    try:
        counts = HarvestService(store, InMemoryBlobStore()).harvest_source(MEMBER, source).counts
    finally:
        logging.disable(logging.NOTSET)
    assert counts.added + counts.unchanged + counts.quarantined + counts.holdings == expected > 0
    assert store.count() == counts.added
    assert all(item.reason_code in set(Refusal) for item in store.quarantined())


def harvest_as(relative_path: str, fmt: str) -> tuple[InMemoryRecordStore, HarvestReport]:
    store = InMemoryRecordStore()
    source = Source.model_validate({"id": "f", "protocol": "marc-file", "path": SHARED / relative_path, "format": fmt})
    return store, HarvestService(store, InMemoryBlobStore()).harvest_source(MEMBER, source)


def test_a_title_converted_twice_at_its_source_reads_as_its_other_copy() -> None:
    # Open Library's binary copy of Rein's book is UTF-8 read as Latin-1 and written again ("rÃ¶mische"); its
    # MARCXML copy is right. The harvest reads the first again: both show the same title.
    [binary] = harvested("marc/openlibrary/bin_input/dasrmischepriv00rein_meta.mrc")[0].records()
    [xml] = harvested("marc/openlibrary/xml_input/dasrmischepriv00rein_marc.xml")[0].records()
    raw = (SHARED / "marc/openlibrary/bin_input/dasrmischepriv00rein_meta.mrc").read_bytes()
    assert "rÃ¶mische".encode() in raw  # as the file has it
    assert binary.title == xml.title and binary.title.startswith("Das römische Privatrecht")


def test_marc_in_json_reads_as_the_same_record_in_iso_2709() -> None:
    # marc4j's Summerland in binary MARC and in MARC-in-JSON (one line, and indented): one record, field for field.
    [binary] = harvest_as("marc/marc4j/summerland.mrc", "marc21")[0].records()
    for name in ("summerland-marc-in-json.json", "summerland-marc-in-json-indented.json"):
        [read] = harvest_as(f"marc/marc4j/{name}", "marc-json")[0].records()
        assert read.model_dump(exclude={"raw"}) == binary.model_dump(exclude={"raw"}), name
    [dylan] = harvest_as("marc/marc4j/legal-json-marc-in-json.json", "marc-json")[0].records()
    assert (dylan.title, dylan.format) == ("The freewheelin' Bob Dylan", ResourceFormat.AUDIO)


def test_holdings_records_are_read_with_their_records() -> None:
    # The Newberry Library's Voyager export (marc4j's sample1.mrc): each book followed by its holdings record, 852
    # the call number; the ZDB's SRU answer: each serial with its libraries' holdings records, before or after it.
    store, report = harvest_as("marc/marc4j/sample1.mrc", "marc21")
    mahler = store.get(MEMBER.id, "370607")
    assert mahler is not None and [(h.location, h.call_number) for h in mahler.holdings] == [
        ("gen", "MT130.M25 Z93 2000")
    ]
    # The fourth book cannot be read (invalid UTF-8): it is quarantined with its holdings record, its raw bytes both.
    assert (report.counts.added, report.counts.holdings, report.counts.quarantined) == (3, 4, 1)
    [broken] = store.quarantined()
    assert broken.position == "sample1.mrc@5202" and broken.reason.startswith("245: invalid UTF-8")
    for copy in ("bin_input/lesabndioeinas00sche_meta.mrc", "xml_input/lesabndioeinas00sche_marc.xml"):
        # Open Library's book typed 'x' (holdings), with a 004: a book, its title says, and read as one
        [book] = harvested(f"marc/openlibrary/{copy}")[0].records()
        assert book.local_id == "AET-2444" and book.title.startswith("Lesab")
    store, report = harvest_as("marc/xbib/zdb-sru-marcxmlplus.xml", "marcxml")
    assert (report.counts.added, report.counts.holdings, report.counts.quarantined) == (10, 14, 0)
    mauch = store.get(MEMBER.id, "991237374")
    assert mauch is not None and "1,888.036-C.Neu-Per" in [h.location for h in mauch.holdings]


@pytest.mark.parametrize(
    ("text", "binary"),
    [
        ("brkrtest.mrk", "brkrtest.mrc"),  # MARC-8: every mnemonic of LC's list that MARC-8's Latin sets have
        ("brkrtest.mrk8", "brkrtest_UTF8.mrc"),
        ("brkrtest1.mrk8", "brkrtest_UTF8.mrc"),
        ("u17_marc4j.mrk8", "u17_utf8.mrc"),
    ],
)
def test_marcedit_text_reads_as_the_same_records_in_iso_2709(text: str, binary: str) -> None:
    # marc4j's MARCBreaker test files and the binary MARC they were made from: the same records, field for field.
    store, report = harvest_as(f"marc/marc4j/{text}", "mrk")
    expected, _ = harvest_as(f"marc/marc4j/{binary}", "marc21")
    assert report.complete and not list(store.quarantined())
    read = {r.local_id: r.model_dump(exclude={"raw"}) for r in store.records()}
    assert read == {r.local_id: r.model_dump(exclude={"raw"}) for r in expected.records()}
    assert len(read) == len(re.findall(rb"^=LDR", (SHARED / "marc/marc4j" / text).read_bytes(), re.MULTILINE))


@pytest.mark.parametrize(
    "name", ["marc-json.json", "summerland-marc-json.json", "illegal-marc-in-json.json"]
)  # the older MARC-JSON (keys without quotes), and a record with a line break inside a string
def test_json_that_is_not_marc_in_json_is_refused_whole_saying_where(name: str) -> None:
    store, report = harvest_as(f"marc/marc4j/{name}", "marc-json")
    [refused] = store.quarantined()
    assert not report.complete and store.count() == 0
    assert re.fullmatch(r"not a MARC-in-JSON file: line \d+, column \d+: .+", refused.reason), refused.reason


# The deliberately broken pymarc files: what happens to their records is a fact about the data.
KNOWN_BROKEN = {
    # file: (records, normalized, a phrase every quarantine reason has)
    "bad_records.mrc": (8, 0, ""),
    "1251.dat": (6, 0, "invalid MARC-8: a byte with no MARC-8 character"),  # Windows-1251 declared MARC-8
    "bad_marc8_escape.dat": (1, 0, "invalid MARC-8: a malformed escape sequence"),
    "bad_eacc_encoding.dat": (1, 0, "880$a: invalid MARC-8"),
    "bad_tag.xml": (1, 0, "leader: 17 characters"),
    "utf8_errors.dat": (1, 1, ""),
    "utf8_invalid.mrc": (1, 1, ""),  # its bytes are valid UTF-8 (U+FFFD where a byte was lost)
    "bad_subfield_code.dat": (1, 1, ""),
    "bad_indicator.dat": (1, 1, ""),
}


@pytest.mark.parametrize("name", sorted(KNOWN_BROKEN))
def test_the_known_broken_pymarc_files(name: str) -> None:
    records, normalized, phrase = KNOWN_BROKEN[name]
    report = harvested(f"marc/pymarc/{name}")[2]
    assert (report.counts.seen, report.counts.added) == (records, normalized)
    assert all(phrase in reason for reason in reasons(f"marc/pymarc/{name}"))


def test_bad_records_each_name_what_is_wrong() -> None:
    found = sorted(harvested("marc/pymarc/bad_records.mrc")[0].quarantined(), key=lambda q: int(q.position[16:]))
    assert [q.position for q in found] == [f"bad_records.mrc@{n}" for n in (0, 127, 254, 381, 509, 637, 764, 790)]
    by_position = {int(q.position[16:]): q.reason for q in found}
    assert by_position[381] == "directory: 13 bytes is not a whole number of 12-byte entries"
    assert by_position[509] == "directory: byte 27 (0xc3) is not ASCII"  # a length written '\xc3\xb908' (ù08)
    assert "NoFieldsFound" in by_position[764]
    # The others are readable once the directory is taken from the field terminators (base address 99937, 0,
    # 'f0037'), and like the first and last, they have no control number to be stored under.
    for position in (0, 127, 254, 637, 790):
        assert by_position[position].startswith("001: the record has no control number")


# -- spot checks against the source records -------------------------------------------------------------------


def test_a_marc21_book_field_by_field() -> None:
    marc = source("marc/traject/manufacturing_consent.marc")
    got = record("marc/traject/manufacturing_consent.marc")
    assert got.local_id == marc["001"].data == "2710183"
    assert got.title == isbd(value(marc, "245", "a")) == "Manufacturing consent"
    assert got.subtitle == isbd(value(marc, "245", "b")) == "the political economy of the mass media"
    assert (value(marc, "100", "a"), value(marc, "700", "a")) == ("Herman, Edward S.", "Chomsky, Noam.")
    assert got.authors == ["Herman, Edward S.", "Chomsky, Noam"]  # the initial keeps its period
    assert got.publisher == isbd(value(marc, "260", "b")) == "Pantheon Books"
    assert got.year == int(marc["008"].data[7:11]) == 2002
    assert got.language == marc["008"].data[35:38] == "eng"
    # Both 020s (ISBN-10 and ISBN-13 of the same book) give one ISBN-13.
    isbns = [str(f["a"]) for f in marc.get_fields("020")]
    assert isbns == ["0375714499", "9780375714498"]
    assert got.identifier_values(IdentifierScheme.ISBN) == [isbn13(isbns[0])] == [isbns[1]]
    # 035: "ocm47971712" and "(OCoLC)47971712" are the OCLC number; the bare "2710183" is the library's own.
    assert [str(f["a"]) for f in marc.get_fields("035")] == ["2710183", "2710183", "ocm47971712", "(OCoLC)47971712"]
    assert got.identifier_values(IdentifierScheme.OCLC) == ["47971712"]
    assert value(marc, "010", "a") == "  2001050014"
    assert got.identifier_values(IdentifierScheme.LCCN) == ["2001050014"]
    assert value(marc, "082", "a") == "381/.4530223"
    assert [(c.scheme, c.code) for c in got.classifications] == [
        (ClassScheme.LCC, value(marc, "050", "a")),
        (ClassScheme.DDC, "381.4530223"),
    ]
    assert got.subjects == ["Mass media -- Ownership", "Mass media and propaganda"]
    assert got.format is ResourceFormat.BOOK


def test_lccn_normalization_and_isbn_10_conversion() -> None:
    bijou = source("marc/openlibrary/bin_input/bijouorannualofl1828cole_meta.mrc")
    assert value(bijou, "010", "a") == "sc 83-3257"
    got = record("marc/openlibrary/bin_input/bijouorannualofl1828cole_meta.mrc")
    assert got.identifier_values(IdentifierScheme.LCCN) == ["sc83003257"]
    assert got.identifier_values(IdentifierScheme.OCLC) == []  # its 035s are "1532939" and "0110946 $b MULS"
    assert got.format is ResourceFormat.JOURNAL  # leader/07 s: a serial
    dewey = source("marc/recordmanager/marc_dewey.xml")
    assert value(dewey, "020", "a") == "2-200-37100-4"
    got = record("marc/recordmanager/marc_dewey.xml")
    assert got.identifier_values(IdentifierScheme.ISBN) == [isbn13("2-200-37100-4")] == ["9782200371005"]
    assert [(c.scheme, c.code) for c in got.classifications] == [(ClassScheme.DDC, value(dewey, "082", "a"))]


def test_name_subject_headings_keep_dates_and_titles() -> None:
    marc = source("marc/traject/george_eliot.marc")
    first = marc.get_fields("600")[0]
    assert (first["a"], first["d"], first.get_subfields("x")) == (
        "Eliot, George,",
        "1819-1880",
        ["Knowledge", "Psychology."],
    )
    got = record("marc/traject/george_eliot.marc")
    assert got.subjects[:4] == [
        "Eliot, George, 1819-1880 -- Knowledge -- Psychology",
        "Eliot, George, 1819-1880. Daniel Deronda",
        "Eliot, George, 1819-1880. Middlemarch",
        "Eliot, George, 1819-1880 -- Characters",
    ]
    # A corporate subject keeps its subordinate units, not just "United States".
    hearings = record("marc/openlibrary/bin_input/wrapped_lines.mrc")
    assert hearings.subjects[0] == "United States. Congress. House. Committee on Foreign Affairs"
    assert hearings.authors[0] == "United States. Congress. House. Committee on Foreign Affairs"


def test_marc8_is_decoded_to_composed_unicode() -> None:
    marc = source("marc/traject/one-marc8.mrc")
    assert str(marc.leader)[9] == " "  # MARC-8
    raw = (SHARED / "marc/traject/one-marc8.mrc").read_bytes()
    assert b"globaliza\xf0c\xe4ao" in raw  # cedilla and tilde written before their letters
    got = record("marc/traject/one-marc8.mrc")
    assert got.title == isbd(value(marc, "245", "a")) == "Por uma outra globalização"
    assert got.subtitle == "do pensamemto único à consciência universal"
    assert got.authors == ["Santos, Mílton"]
    assert unicodedata.is_normalized("NFC", got.title + got.subtitle + got.authors[0])


def test_one_record_in_marc8_and_in_utf8_with_and_without_the_leader_flag() -> None:
    files = ("marc8.dat", "utf8_with_leader_flag.dat", "utf8_without_leader_flag.dat")
    codings = [str(source(f"marc/pymarc/{f}").leader)[9] for f in files]
    assert codings == [" ", "a", " "]  # the third declares MARC-8 but is UTF-8
    raw = (SHARED / "marc/pymarc/utf8_without_leader_flag.dat").read_bytes()
    assert unicodedata.normalize("NFD", "communauté").encode() in raw  # e and a combining acute, in UTF-8
    normalized = [record(f"marc/pymarc/{f}").model_dump(exclude={"raw"}) for f in files]
    assert normalized[0] == normalized[1] == normalized[2]
    assert normalized[0]["title"] == "Escape from loneliness"


def test_invalid_utf8_is_quarantined_naming_it() -> None:
    store, archive, _ = harvested("marc/traject/bad_utf_byte.utf8.marc")
    [item] = store.quarantined()
    assert "invalid UTF-8" in item.reason
    raw = archive.get(item.raw.digest)
    assert raw[9:10] == b"a"
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")


def test_dublin_core_languages_as_dspace_writes_them() -> None:
    # Erasmus University's DSpace (2003): "en", "en_US", "nl" and "other", which is no language (it was "oth").
    path = SHARED / "oai-pmh/pyoai-eur-dspace-2003/00005.xml"
    store = InMemoryRecordStore()
    source = Source.model_validate({"id": "f", "protocol": "marc-file", "path": path, "format": "oai-pmh"})
    HarvestService(store, InMemoryBlobStore()).harvest_source(MEMBER, source)
    written = re.findall(r"<dc:language>([^<]*)</dc:language>", path.read_text(encoding="utf-8"))
    assert sorted(set(written)) == ["en", "en_US", "nl", "other"]
    languages = sorted((r.language or "-") for r in store.records())
    assert languages == sorted({"en": "eng", "en_US": "eng", "nl": "dut", "other": "-"}[w] for w in written)


def test_what_a_copy_of_a_set_or_serial_holds_is_read_from_866() -> None:
    nihon = record("marc/openlibrary/bin_input/880_Nihon_no_chasho.mrc")
    assert [(h.location, h.coverage) for h in nihon.holdings] == [("off,eax", "pt.1-2")]
    assert value(source("marc/openlibrary/bin_input/880_Nihon_no_chasho.mrc"), "866", "a") == "pt.1-2"
    alma = record("marc/openlibrary/xml_input/abhandlungender01ggoog_marc.xml")  # an 866 beside Alma's AVA
    assert [(h.location, h.coverage) for h in alma.holdings] == [
        ("BUHR Ask at any library", "1827-1937 (All vols. in Buhr)")
    ]


def test_oclc_records_in_marc8_and_in_marcxchange_are_the_same_records() -> None:
    # SOURCES.md: xbib's IRMARC8.bin is 0.xml-3.xml, ten OCLC records with Hebrew, Arabic and Cyrillic in 880s:
    # MARC-8 with spaces between the words of those scripts and character references (&#x200F;), against
    # MarcXchange in UTF-8. Before, three of the binary ones were quarantined and all ten XML ones.
    binary = {r.local_id: r for r in harvested("marc/xbib/IRMARC8.bin")[0].records()}
    xml = {r.local_id: r for name in "0123" for r in harvested(f"marc/xbib/{name}.xml")[0].records()}
    assert len(binary) == len(xml) == 10
    assert not reasons("marc/xbib/IRMARC8.bin")

    def same(record: Record) -> dict[str, object]:
        # LC's MARC-8 table gives a ligature's two halves (U+FE20, U+FE21); OCLC's XML, the double breve (U+0361).
        text = record.model_dump_json(exclude={"raw", "source_id"})
        return json.loads(text.replace("\ufe20", "\u0361").replace("\ufe21", ""))

    assert {k: same(r) for k, r in binary.items()} == {k: same(r) for k, r in xml.items()}


@pytest.mark.parametrize(
    "relative_path",
    [
        "marc/openlibrary/bin_input/talis_no_title2.mrc",
        "marc/openlibrary/bin_input/talis_740.mrc",
        "marc/traject/escaped_character_reference.marc8.marc",
    ],
)
def test_records_without_a_title_are_quarantined_naming_245(relative_path: str) -> None:
    marc = source(relative_path)
    assert marc.get_fields("245", "240", "130", "246") == []
    [reason] = reasons(relative_path)
    assert reason.startswith("245: the record has no title field")


def test_a_record_without_245_takes_its_uniform_title() -> None:
    marc = source("marc/openlibrary/bin_input/talis_no_title.mrc")
    assert marc.get_fields("245") == []
    assert record("marc/openlibrary/bin_input/talis_no_title.mrc").title == isbd(value(marc, "240", "a")) == "Plays"


@pytest.mark.parametrize(
    ("relative_path", "script"),
    [
        ("marc/traject/hebrew880s.marc", "HEBREW"),
        ("marc/openlibrary/bin_input/880_Nihon_no_chasho.mrc", "CJK"),
        ("marc/openlibrary/bin_input/880_arabic_french_many_linkages.mrc", "ARABIC"),
        ("marc/recordmanager/marc_alt_script.xml", "CJK"),
    ],
)
def test_alternate_scripts_the_record_keeps_the_romanized_title(relative_path: str, script: str) -> None:
    """880 fields are not normalized: the Record has the romanized 245; the original script stays in the raw
    record in the archive (and a later issue may index it)."""
    marc = source(relative_path)
    original = next(f for f in marc.get_fields("880") if str(f["6"]).startswith("245"))
    assert any(script in unicodedata.name(c, "") for c in str(original["a"]))
    got = record(relative_path)
    assert got.title == isbd(value(marc, "245", "a"))
    assert not any(script in unicodedata.name(c, "") for c in got.title + " ".join(got.authors))
    archive = harvested(relative_path)[1]
    assert str(original["a"]).encode() in archive.get(got.raw.digest)


def test_formats_thesis_serials_audio_map_ebook() -> None:
    thesis = record("marc/traject/manuscript_online_thesis.marc")
    marc = source("marc/traject/manuscript_online_thesis.marc")
    assert value(marc, "502", "a").startswith("Thesis (Ph. D.)")
    assert thesis.format is ResourceFormat.THESIS
    assert [h.url for h in thesis.holdings] == [value(marc, "856", "u")]
    nature = record("marc/traject/nature.marc")
    assert (str(source("marc/traject/nature.marc").leader)[7], nature.format) == ("s", ResourceFormat.JOURNAL)
    assert nature.identifier_values(IdentifierScheme.ISSN) == ["0028-0836"]  # 022 $z (incorrect ISSN) ignored
    online = record("marc/traject/the_business_ren.marc")
    assert online.format is ResourceFormat.EJOURNAL and all(h.url for h in online.holdings)
    assert record("marc/traject/louis_armstrong.marc").format is ResourceFormat.AUDIO
    assert record("marc/traject/missing-second-date.marc").format is ResourceFormat.MAP
    assert record("marc/traject/online_only.marc").format is ResourceFormat.EBOOK


def test_years_dates_and_publishers() -> None:
    marc = source("marc/openlibrary/bin_input/reprint_date_wrong_order.mrc")
    f008 = marc["008"].data
    assert (f008[6], f008[7:11], f008[11:15], value(marc, "260", "c")) == ("r", "1873", "2010", "2010.")
    got = record("marc/openlibrary/bin_input/reprint_date_wrong_order.mrc")
    assert (got.year, got.publisher) == (2010, "Dalmatian Press")
    marc = source("marc/openlibrary/bin_input/test-publish-sn-sl-nd.mrc")
    assert (value(marc, "260", "b"), value(marc, "260", "c")) == ("[s.n],", "[n.d.]")
    got = record("marc/openlibrary/bin_input/test-publish-sn-sl-nd.mrc")
    assert (got.publisher, got.year) == (None, None)
    assert record("marc/openlibrary/bin_input/engineercorpsofh00sher_meta.mrc").pages == 320  # "320, 11 p."


def test_titles_keep_inner_brackets_and_lose_isbd_punctuation() -> None:
    marc = source("marc/pymarc/regression45.dat")
    assert isbd(value(marc, "245", "a")).endswith("[Ipatʹevskīĭ monastyrʹ, Kostroma]")
    got = record("marc/pymarc/regression45.dat", marc["001"].data)
    assert got.title == "Pokrov, podarennyĭ Dimitrīem Ivanovichem Godunovym. [Ipatʹevskīĭ monastyrʹ, Kostroma]"


def test_shelf_numbers_in_050_are_not_classifications() -> None:
    marc = source("marc/traject/test_data.utf8.mrc", "00282371")
    assert value(marc, "050", "a") == "MLCME 2002/02660 (D)"  # an LC shelf number for uncatalogued material
    assert record("marc/traject/test_data.utf8.mrc", "00282371").classifications == []


def test_shelf_status_is_read_only_where_the_record_gives_it() -> None:
    # University of Michigan's record published by Aleph with AVA $e check_holdings: the system could not tell.
    ava = source("marc/openlibrary/xml_input/abhandlungender01ggoog_marc.xml")
    assert value(ava, "AVA", "e") == "check_holdings"
    got = record("marc/openlibrary/xml_input/abhandlungender01ggoog_marc.xml")
    assert [(h.location, h.call_number, h.availability) for h in got.holdings if h.url is None] == [
        (f"{value(ava, 'AVA', 'b')} {value(ava, 'AVA', 'c')}", value(ava, "AVA", "d"), Availability.UNKNOWN)
    ]
    # RecordManager's record with two 852 holdings and the two 952 items on them, which carry no status.
    items = source("marc/recordmanager/marc_alt_script.xml")
    assert len(items.get_fields("852")) == len(items.get_fields("952")) == 2
    got = record("marc/recordmanager/marc_alt_script.xml")
    assert [(h.location, h.availability) for h in got.holdings] == [
        (f"{f['b']} {f['c']}", Availability.UNKNOWN) for f in items.get_fields("952")
    ]


def test_unimarc_record() -> None:
    marc = source("marc/pymarc/testunimarc.dat")
    assert value(marc, "200", "a") == "\x88L'\x89altra faccia della spirale"  # non-sorting "L'" marked
    got = record("marc/pymarc/testunimarc.dat")
    assert got.local_id == marc["001"].data
    assert got.title == "L'altra faccia della spirale"
    assert got.authors == ["Asimov, Isaac", "Fruttero, Carlo", "Lucentini, Franco", "Scaglia, Cesare"]
    assert (value(marc, "700", "a"), value(marc, "700", "b")) == ("Asimov", ", Isaac")
    assert got.identifier_values(IdentifierScheme.ISBN) == [isbn13(value(marc, "010", "a"))]
    assert got.year == int(value(marc, "100", "a")[9:13]) == 1996
    assert (got.language, got.publisher, got.pages) == ("ita", "A. Mondadori", 201)


def test_broken_directories_read_from_the_field_terminators() -> None:
    # bad_subfield_code.dat is one.dat with a two-byte subfield code in 245: every offset after it is one off.
    broken = record("marc/pymarc/bad_subfield_code.dat").model_dump(exclude={"raw", "holdings"})
    assert broken == record("marc/pymarc/one.dat").model_dump(exclude={"raw", "holdings"})
    assert "Perl (Computer program language)" in broken["subjects"]
    # upei_short_008.mrc: wrong base address, lengths without the field terminators; no 001, 035 instead.
    raw = (SHARED / "marc/openlibrary/bin_input/upei_short_008.mrc").read_bytes()
    assert b"\x1faCharlottetown area profile." in raw and b"\x1fa(Sirsi) AAY-1602" in raw
    got = record("marc/openlibrary/bin_input/upei_short_008.mrc")
    assert (got.local_id, got.title, got.year, got.pages) == (
        "(Sirsi) AAY-1602",
        "Charlottetown area profile",
        1984,
        80,
    )


def test_oai_pmh_responses_with_and_without_namespaces() -> None:
    def summary(relative_path: str) -> set[tuple[str, str, tuple[str, ...], int | None]]:
        return {(r.local_id, r.title, tuple(r.authors), r.year) for r in harvested(relative_path)[0].records()}

    with_ns = summary("oai-pmh/traject-sample-oai-pmh.xml")
    without = summary("oai-pmh/traject-sample-oai-no-namespace.xml")
    assert with_ns == without and len(with_ns) == 10
    titles = [
        t.strip()
        for t in etree.parse(str(SHARED / "oai-pmh/traject-sample-oai-no-namespace.xml"), _XML).xpath(
            "//dc/title/text()"
        )
    ]
    assert sorted(t for _, t, _, _ in without) == sorted(titles)
    got = record("oai-pmh/traject-oai-pmh-one-record-first.xml")
    assert (got.local_id, got.title, got.year) == ("oai:sciencehistoryorg:fq977t769", "Spice Storage", 1950)
    assert got.subjects[:2] == ["Research, Industrial--Laboratories", "Essences and essential oils industry"]


def test_a_foreign_xml_document_is_not_taken_for_marcxml() -> None:
    [reason] = reasons("marc/traject/namespace-test.xml")
    assert reason == "record: an element in namespace http://example.org/top, not a MARCXML or MarcXchange record"
