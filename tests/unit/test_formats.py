"""Harvest formats as plugins: the registry, a saved OAI-PMH response, and the plain ISO 2709 read."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pymarc
import pytest
from marc_builders import book, unimarc_book

from consortium.adapters.memory import InMemoryBlobStore, InMemoryRecordStore
from consortium.errors import ConfigError
from consortium.harvest.formats import FORMATS, reader_for
from consortium.harvest.formats.iso2709 import parse_iso2709
from consortium.harvest.normalize.common import FieldIndex
from consortium.harvest.service import HarvestService
from consortium.members import Member, Source, SourceFormat

if TYPE_CHECKING:
    from pathlib import Path

    from consortium.harvest.normalize.common import MarcFields
    from consortium.harvest.oai_pmh import OaiPmhClient

MEMBER = Member(id="riverside", name="Riverside University Library")
SAVED_RESPONSE = b"""<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2026-11-25T00:00:00Z</responseDate>
<request verb="ListRecords">http://riverside.example/oai</request><ListRecords>
<record><header><identifier>oai:riverside:1</identifier><datestamp>2026-11-20</datestamp></header><metadata>
<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:title>Deep rivers</dc:title><dc:creator>Arguedas, Jose Maria</dc:creator><dc:date>1958</dc:date>
</oai_dc:dc></metadata></record>
<resumptionToken>page-2</resumptionToken></ListRecords></OAI-PMH>"""


def test_every_source_format_has_one_reader() -> None:
    assert set(FORMATS) == set(SourceFormat)
    assert {reader.name for reader in FORMATS.values()} == {str(fmt) for fmt in SourceFormat}


def test_a_format_listed_only_by_servers_cannot_be_read_from_a_file() -> None:
    with pytest.raises(ConfigError, match="oai_dc"):
        list(reader_for(SourceFormat.OAI_DC).file_pages(b"", name="f.xml", cursor={}, page_size=10))


def test_a_saved_oai_pmh_response_is_read_without_any_client(tmp_path: Path) -> None:
    def no_network(url: str) -> OaiPmhClient:
        raise AssertionError(f"a client was built for {url}")

    path = tmp_path / "saved.xml"
    path.write_bytes(SAVED_RESPONSE)
    store = InMemoryRecordStore()
    service = HarvestService(store, InMemoryBlobStore(), oai_client=no_network, clock=lambda: datetime.now(UTC))
    source = Source.model_validate({"id": "saved", "protocol": "marc-file", "path": path, "format": "oai-pmh"})
    report = service.harvest_source(MEMBER, source)
    assert report.complete and report.counts.added == 1  # the token is not followed: one saved page
    record = store.get(MEMBER.id, "oai:riverside:1")
    assert record is not None and record.title == "Deep rivers" and record.year == 1958
    assert record.datestamp == datetime(2026, 11, 20, tzinfo=UTC)


def test_a_saved_getrecord_response_is_its_one_record(tmp_path: Path) -> None:
    # What a librarian saves from a browser to load one record (sickle's GetRecord.xml in ../shared/data is one).
    one = SAVED_RESPONSE.replace(b'verb="ListRecords"', b'verb="GetRecord"').replace(b"<ListRecords>", b"<GetRecord>")
    one = one.replace(b"<resumptionToken>page-2</resumptionToken></ListRecords>", b"</GetRecord>")
    path = tmp_path / "one.xml"
    path.write_bytes(one)
    store = InMemoryRecordStore()
    source = Source.model_validate({"id": "saved", "protocol": "marc-file", "path": path, "format": "oai-pmh"})
    report = HarvestService(store, InMemoryBlobStore()).harvest_source(MEMBER, source)
    assert report.complete and [r.title for r in store.records()] == ["Deep rivers"]
    path.write_bytes(one.replace(b"GetRecord>", b"Identify>"))  # any other verb's response: no record in it
    store = InMemoryRecordStore()
    HarvestService(store, InMemoryBlobStore()).harvest_source(MEMBER, source)
    [refused] = store.quarantined()
    assert refused.reason == "OAI-PMH response from one.xml has no ListRecords or GetRecord element"


def _fields(marc: MarcFields) -> list[tuple[str, str | None, str, list[str]]]:
    return [
        (f.tag, f.data, f.indicator2, f.get_subfields(*"abcdefghijklmnopqrstuvwxyz0123456789"))
        for f in FieldIndex.of(marc).get_fields()
    ]


@pytest.mark.parametrize(
    ("chunk", "force_utf8"),
    [
        (book("b1", "Ägyptische Grammatik", isbn="9780262033848", subjects=("Egyptian language",)).as_marc(), False),
        (unimarc_book("u1", "红楼梦", author="曹雪芹", isbn=None, clc="I242.4", year="1982").as_marc(), True),
    ],
)
def test_a_plain_record_reads_as_pymarc_reads_it(chunk: bytes, force_utf8: bool) -> None:
    plain = parse_iso2709(chunk, force_utf8=force_utf8)
    assert isinstance(plain, FieldIndex)  # read directly, not by pymarc
    expected = pymarc.Record(data=chunk, to_unicode=True, force_utf8=True, utf8_handling="strict")
    assert _fields(plain) == _fields(expected)
    assert plain.leader == str(expected.leader)


def test_a_marc8_record_is_read_by_pymarc() -> None:
    chunk = book("b1", "Deep rivers").as_marc()
    marc8 = chunk[:9] + b" " + chunk[10:]  # leader/09 blank: MARC-8, decoded strictly by the pymarc path
    parsed = parse_iso2709(marc8, force_utf8=False)
    assert isinstance(parsed, pymarc.Record)
    assert _fields(parsed) == _fields(parse_iso2709(chunk, force_utf8=False))


def test_a_record_whose_indicator_is_a_delimiter_reads_as_pymarc_reads_it() -> None:
    chunk = book("b1", "Deep rivers").as_marc().replace(b"\x1e10\x1fa", b"\x1e\x1f0\x1fa", 1)  # 245's first indicator
    parsed = parse_iso2709(chunk, force_utf8=False)
    assert isinstance(parsed, pymarc.Record)
    assert _fields(parsed) == _fields(pymarc.Record(data=chunk, to_unicode=True, force_utf8=True))
