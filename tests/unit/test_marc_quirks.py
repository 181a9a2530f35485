"""Records as real catalogues write them (each case met in ../shared/data, rebuilt here so it always runs).

Directories counted in characters, records declared MARC-8 that are UTF-8 or another encoding, bare system
numbers in 035, name headings, corporate names, shelf numbers in 050/090, reprint dates, ``[s.n.]``, extents,
non-sorting marks, Dublin Core without namespaces, foreign XML, deletions of records never harvested.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from marc_builders import book
from pymarc import Field, Indicators, Subfield

from consortium.adapters.memory import InMemoryBlobStore, InMemoryRecordStore
from consortium.harvest.identifiers import normalize_oclc
from consortium.harvest.normalize.text import clean, language_code, page_count, publisher_name
from consortium.harvest.service import HarvestReport, HarvestService
from consortium.members import Member, Source
from consortium.models import ClassScheme, Record

MEMBER = Member(id="m", name="Member")


def harvest(path: Path, fmt: str) -> tuple[InMemoryRecordStore, HarvestReport]:
    store = InMemoryRecordStore()
    source = Source.model_validate({"id": "s", "protocol": "marc-file", "path": path, "format": fmt})
    service = HarvestService(store, InMemoryBlobStore(), clock=lambda: datetime(2026, 1, 1, tzinfo=UTC))
    return store, service.harvest_source(MEMBER, source)


def one(path: Path, fmt: str = "marc21") -> Record:
    store, _ = harvest(path, fmt)
    assert store.quarantined() == []
    [record] = store.records()
    return record


def iso2709(fields: list[tuple[str, bytes]], *, coding: str = " ") -> bytes:
    """A binary record from raw field bytes (indicators and subfields included), leader/09 ``coding``."""
    directory, body = b"", b""
    for tag, data in fields:
        directory += tag.encode() + b"%04d%05d" % (len(data) + 1, len(body))
        body += data + b"\x1e"
    base = 24 + len(directory) + 1
    leader = b"%05dnam %s22%05d   4500" % (base + len(body) + 1, coding.encode(), base)
    return leader + directory + b"\x1e" + body + b"\x1d"


def counted_in_characters(record: bytes) -> bytes:
    """The record with its directory lengths and offsets counted in characters, as some exporters write them."""
    base = int(record[12:17])
    fields = record[base:-1].split(b"\x1e")[:-1]
    directory, offset = b"", 0
    for i, data in enumerate(fields):
        length = len(data.decode("utf-8")) + 1
        directory += record[24 + 12 * i : 27 + 12 * i] + b"%04d%05d" % (length, offset)
        offset += length
    return record[:24] + directory + record[base - 1 :]


def test_a_directory_counted_in_characters_is_rebuilt_from_the_field_terminators(tmp_path: Path) -> None:
    good = book("b1", "Société et café", subjects=("Cafés (Restaurants) -- France",)).as_marc()
    (tmp_path / "good.mrc").write_bytes(good)
    (tmp_path / "chars.mrc").write_bytes(counted_in_characters(good))
    expected = one(tmp_path / "good.mrc")
    record = one(tmp_path / "chars.mrc")
    assert record.model_dump(exclude={"raw"}) == expected.model_dump(exclude={"raw"})
    assert record.subjects == ["Cafés (Restaurants) -- France"]


def test_marc8_diacritics_are_decoded_and_composed(tmp_path: Path) -> None:
    # MARC-8 writes the combining mark before its letter: \xe2 acute, \xf0 cedilla, \xe4 tilde.
    fields = [("001", b"m8"), ("245", b"10\x1faPor uma outra globaliza\xf0c\xe4ao :\x1fbdo pensamento \xe2unico.")]
    (tmp_path / "m8.mrc").write_bytes(iso2709(fields))
    record = one(tmp_path / "m8.mrc")
    assert (record.title, record.subtitle) == ("Por uma outra globalização", "do pensamento único")


def test_utf8_in_a_record_declared_marc8_is_read_as_utf8(tmp_path: Path) -> None:
    fields = [("001", b"u8"), ("245", "10\x1faÀ la communauté.".encode())]
    (tmp_path / "u8.mrc").write_bytes(iso2709(fields))
    assert one(tmp_path / "u8.mrc").title == "À la communauté"


@pytest.mark.parametrize(
    ("text", "title"),
    [
        # As OCLC writes 880s (xbib's IRMARC8.bin): the script's set designated with ESC ( and words spaced by 0x20,
        # which is a space in every set, not a byte with no character; back to Latin with ESC ( B.
        (b"\x1b(2`gim ldzpbcez eldvld\x1b(B.", "אחים להתנגדות ולהצלה"),
        (b"\x1b(3GdWHYI \x1b(B1", "الطبعة 1"),
        (b"\x1b(NeWREJSKAQ PO\\ZIQ\x1b(B", "Еврейская поэзия"),
        # LC's numeric character references, for characters MARC-8 has not: the character, not its ten letters.
        (b"&#x200F;\x1b(3UfYGA\x1b(B&#x200F;", "\u200fصنعاء\u200f"),
        (b"Caf&#xE9; &#xD800; &#x0007; &#x2603;", "Café &#xD800; &#x0007; ☃"),  # no character, a control: as written
    ],
)
def test_marc8_in_other_scripts_and_character_references(tmp_path: Path, text: bytes, title: str) -> None:
    (tmp_path / "m8.mrc").write_bytes(iso2709([("001", b"x"), ("245", b"10\x1fa" + text)]))
    assert one(tmp_path / "m8.mrc").title == title


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Путь".encode("cp1251"), "a byte with no MARC-8 character"),
        (b"Soci\x1bt\xe2e linn\x1benne", "a malformed escape sequence"),
    ],
)
def test_text_that_is_not_marc8_is_quarantined_not_blanked(tmp_path: Path, text: bytes, problem: str) -> None:
    (tmp_path / "bad.mrc").write_bytes(iso2709([("001", b"x"), ("245", b"10\x1fa" + text)]))
    store, _ = harvest(tmp_path / "bad.mrc", "marc21")
    [item] = store.quarantined()
    assert store.count() == 0
    assert item.reason.startswith(f"245$a: invalid MARC-8: {problem}")


def test_oclc_numbers_need_their_prefix() -> None:
    assert normalize_oclc("(OCoLC)47971712").value == "47971712"  # type: ignore[union-attr]
    assert normalize_oclc("ocm01424970").value == "1424970"  # type: ignore[union-attr]
    assert normalize_oclc("2710183") is None  # a local system number in 035, not an OCLC number


def test_subject_name_headings_keep_their_dates_and_titles_without_isbd_commas(tmp_path: Path) -> None:
    record = book("s1", "Rereading George Eliot", subjects=())
    record.add_field(
        Field(
            tag="600",
            indicators=Indicators("1", "0"),
            subfields=[
                Subfield("a", "Eliot, George,"),
                Subfield("d", "1819-1880"),
                Subfield("x", "Knowledge"),
                Subfield("x", "Psychology."),
            ],
        ),
        Field(
            tag="610",
            indicators=Indicators("1", "0"),
            subfields=[
                Subfield("a", "United States."),
                Subfield("b", "Congress."),
                Subfield("b", "House."),
                Subfield("e", "author."),
            ],
        ),
        Field(
            tag="650", indicators=Indicators(" ", "0"), subfields=[Subfield("a", "Perl (Computer program language)")]
        ),
    )
    (tmp_path / "s.mrc").write_bytes(record.as_marc())
    assert one(tmp_path / "s.mrc").subjects == [
        "Eliot, George, 1819-1880 -- Knowledge -- Psychology",
        "United States. Congress. House",
        "Perl (Computer program language)",
    ]


def test_corporate_authors_keep_their_subordinate_units(tmp_path: Path) -> None:
    record = book("c1", "DAWN annual report", author=None)
    record.add_field(
        Field(
            tag="110",
            indicators=Indicators("1", " "),
            subfields=[Subfield("a", "United States."), Subfield("b", "Drug Enforcement Administration.")],
        )
    )
    (tmp_path / "c.mrc").write_bytes(record.as_marc())
    assert one(tmp_path / "c.mrc").authors == ["United States. Drug Enforcement Administration"]


def test_shelf_numbers_are_not_lc_classes_and_dewey_loses_its_marks(tmp_path: Path) -> None:
    record = book("k1", "Classified")
    for tag, value in [("050", "MLCME 2002/02660 (D)"), ("090", "(Alma)9933385663506253"), ("050", "QA76.73.P22")]:
        record.add_field(Field(tag=tag, indicators=Indicators("0", "0"), subfields=[Subfield("a", value)]))
    record.add_field(Field(tag="082", indicators=Indicators("0", "0"), subfields=[Subfield("a", "938.5/0 s")]))
    (tmp_path / "k.mrc").write_bytes(record.as_marc())
    assert [(c.scheme, c.code) for c in one(tmp_path / "k.mrc").classifications] == [
        (ClassScheme.LCC, "QA76.73.P22"),
        (ClassScheme.DDC, "938.50"),
    ]


def test_a_reprint_with_its_dates_in_the_wrong_order_takes_the_later(tmp_path: Path) -> None:
    record = book("r1", "Around the world in eighty days", year="2010")
    record["008"].data = "100816r18732010tnu           000 1 eng d"
    (tmp_path / "r.mrc").write_bytes(record.as_marc())
    assert one(tmp_path / "r.mrc").year == 2010


def test_unknown_publishers_and_extents() -> None:
    assert [publisher_name(v) for v in ("[s.n.],", "s.n", "S.n.", "[publisher not identified]")] == [None] * 4
    assert publisher_name("Dalmatian Press,") == "Dalmatian Press"
    assert page_count("320, 11 p.") == 320
    assert page_count("247, 16 pages ;") == 247
    assert page_count("xxiii, 551 sivua :") == 551
    assert [page_count(v) for v in ("6 v. :", "1 map", "2 sound discs")] == [None, None, None]


def test_clean_drops_control_characters_and_keeps_inner_brackets() -> None:
    assert clean("\x88L'\x89altra faccia della spirale") == "L'altra faccia della spirale"  # UNIMARC NSB/NSE
    assert clean("Pokrov. [Ipatʹevskīĭ monastyrʹ, Kostroma].") == "Pokrov. [Ipatʹevskīĭ monastyrʹ, Kostroma]"
    assert clean("[Editions du Seuil]") == "Editions du Seuil"
    assert clean(", Isaac") == "Isaac"  # UNIMARC $b as Italian catalogues write it
    assert clean("Suomen tiekartta. 1.") == "Suomen tiekartta. 1"
    assert clean("Knuth, Donald E.") == "Knuth, Donald E."


def test_dublin_core_without_namespaces_in_a_saved_oai_response(tmp_path: Path) -> None:
    (tmp_path / "oai.xml").write_text(
        "<OAI-PMH><ListRecords><record><header><identifier>oai:x:1</identifier>"
        "<datestamp>2018-05-03T18:09:08Z</datestamp></header><metadata><dc><title>Spice Storage</title>"
        "<creator>Norda Essential Oil and Chemical Company</creator><date>1950s</date><type>Image</type>"
        "</dc></metadata></record></ListRecords></OAI-PMH>",
        encoding="utf-8",
    )
    record = one(tmp_path / "oai.xml", "oai-pmh")
    assert (record.local_id, record.title, record.authors, record.year) == (
        "oai:x:1",
        "Spice Storage",
        ["Norda Essential Oil and Chemical Company"],
        1950,
    )


def test_foreign_record_elements_in_a_marcxml_file(tmp_path: Path) -> None:
    (tmp_path / "ns.xml").write_text(
        '<top xmlns="http://example.org/top"><record><a>not MARC</a></record></top>', encoding="utf-8"
    )
    store, _ = harvest(tmp_path / "ns.xml", "marcxml")
    [item] = store.quarantined()
    assert item.reason == "record: an element in namespace http://example.org/top, not a MARCXML or MarcXchange record"
    # An OAI-PMH record around a MARC record is a wrapper: the MARC record inside is read, the wrapper is not.
    (tmp_path / "wrapped.xml").write_text(
        '<ListRecords xmlns="http://www.openarchives.org/OAI/2.0/"><record><metadata>'
        '<record xmlns="http://www.loc.gov/MARC21/slim"><leader>00000nam a2200000 a 4500</leader>'
        '<controlfield tag="001">w1</controlfield><datafield tag="245" ind1="0" ind2="0">'
        '<subfield code="a">Wrapped</subfield></datafield></record></metadata></record></ListRecords>',
        encoding="utf-8",
    )
    assert one(tmp_path / "wrapped.xml", "marcxml").title == "Wrapped"


def test_deleting_a_record_never_harvested_is_counted(tmp_path: Path) -> None:
    (tmp_path / "d.mrc").write_bytes(book("gone", "Deleted", deleted=True).as_marc())
    store, report = harvest(tmp_path / "d.mrc", "marc21")
    assert store.count() == 0 and store.quarantined() == []
    assert (report.counts.unchanged, report.counts.seen) == (1, 1)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("eng", "eng"), ("fra", "fre"), ("en_US", "eng"), ("pt-BR", "por"), ("pl", "pol"), ("English", "eng"),
        ("français", "fre"), ("Japanese", "jpn"), ("Deutsch", "ger"), ("chi; eng", "chi"), ("other", None),
        ("und", None), ("|||", None), ("Swahili", None),  # a name not known is no code, not its first letters
    ],
)  # fmt: skip
def test_language_values_to_marc_codes(value: str, code: str | None) -> None:
    assert language_code(value) == code


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Das rÃ¶mische Privatrecht", "Das römische Privatrecht"),  # Open Library's dasrmischepriv00rein_meta.mrc
        ("CafÃ© society", "Café society"),
        ("â€œQuotedâ€\x9d", "“Quoted”"),
        ("IRMÃ E IRMÃO", "IRMÃ E IRMÃO"),  # Portuguese capitals, not the mark of the mistake: as they are
        ("São Paulo", "São Paulo"),
    ],
)
def test_utf8_read_as_latin1_at_the_source_is_read_again(text: str, shown: str) -> None:
    assert clean(text) == shown
