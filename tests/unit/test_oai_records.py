"""The records the provider writes, read back by the hub's own MARC21 and Dublin Core normalizers (what another
hub harvesting this one does): every field the merged record has comes back, for every kind of resource."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pymarc
import pytest
from factories import T0, raw_of
from lxml import etree

from consortium.catalogue_out.dublin_core import dublin_core
from consortium.catalogue_out.marcxml import marcxml
from consortium.dedup.state import ClusterVersion
from consortium.harvest.normalize.dublin_core import normalize_dublin_core
from consortium.harvest.normalize.marc21 import normalize_marc21
from consortium.harvest.normalize.marcxml import marcxml_to_pymarc
from consortium.models import (
    Availability,
    Classification,
    ClassScheme,
    Cluster,
    Holding,
    Identifier,
    IdentifierScheme,
    ResourceFormat,
)

HOLDINGS = [
    Holding(member="riverside", location="Main Library", call_number="QA76.6 .C662", availability=Availability.ON_LOAN),
    Holding(member="lakeside", location="Central", call_number="005.1 COR"),
]
ONLINE = [
    Holding(member="lakeside", url="https://ebooks.example/42", availability=Availability.ONLINE, coverage="2001-")
]


def rich(resource_format: ResourceFormat) -> Cluster:
    online = resource_format in (
        ResourceFormat.EBOOK,
        ResourceFormat.EJOURNAL,
        ResourceFormat.DATABASE,
        ResourceFormat.WEB,
    )
    return Cluster(
        cluster_id="c0ffee",
        records=[("lakeside", "l1"), ("riverside", "r1")],
        format=resource_format,
        title="Introduction to algorithms",
        subtitle="a & b <c>",
        authors=["Cormen, Thomas H.", "Leiserson, Charles E."],
        publisher="MIT Press",
        year=2009,
        language="eng",
        edition="3rd ed",
        series="MIT electrical engineering and computer science series",
        series_number="v. 3",
        pages=1312,
        identifiers=[
            Identifier(scheme=IdentifierScheme.ISBN, value="9780262033848"),
            Identifier(scheme=IdentifierScheme.LCCN, value="2009008593"),
            Identifier(scheme=IdentifierScheme.OCLC, value="311310321"),
            Identifier(scheme=IdentifierScheme.DOI, value="10.5555/1614191"),
        ],
        subjects=["Computer programming", "Computer algorithms — Textbooks"],
        classifications=[
            Classification(scheme=ClassScheme.LCC, code="QA76.6"),
            Classification(scheme=ClassScheme.DDC, code="005.1"),
            Classification(scheme=ClassScheme.CLC, code="TP301.6"),
            Classification(scheme=ClassScheme.UDC, code="004.4"),
        ],
        holdings=ONLINE if online else HOLDINGS,
        first_seen=T0,
        updated_at=T0 + timedelta(days=1),
    )


def read_marc(cluster: Cluster) -> tuple[pymarc.Record, object]:
    element = etree.fromstring(marcxml(ClusterVersion.of(cluster), cluster.holdings))
    marc = marcxml_to_pymarc(element)
    record = normalize_marc21(marc, member="hub", source_id="oai", raw=raw_of("x"), local_id=cluster.cluster_id)
    return marc, record


@pytest.mark.parametrize("resource_format", list(ResourceFormat))
def test_marcxml_reads_back_as_the_same_work(resource_format: ResourceFormat) -> None:
    cluster = rich(resource_format)
    marc, record = read_marc(cluster)
    assert record.format is resource_format  # type: ignore[attr-defined]
    same = (
        "title",
        "subtitle",
        "authors",
        "publisher",
        "year",
        "language",
        "edition",
        "series",
        "series_number",
        "pages",
        "subjects",
    )
    for name in same:
        assert getattr(record, name) == getattr(cluster, name), name
    # MARC fields go in tag order, so identifiers and classes come back grouped by scheme.
    assert sorted(record.identifiers, key=str) == sorted(cluster.identifiers, key=str)  # type: ignore[attr-defined]
    assert sorted(record.classifications, key=str) == sorted(cluster.classifications, key=str)  # type: ignore[attr-defined]
    held = [(h.location, h.call_number, h.url) for h in record.holdings]  # type: ignore[attr-defined]
    assert held == [(h.location, h.call_number, h.url) for h in cluster.holdings]
    assert marc["001"].data == "c0ffee" and marc["005"].data == "20250302083015.0"
    assert marc.leader[9] == "a" and len(str(marc.leader)) == 24 and len(marc["008"].data) == 40


def test_holdings_fields_name_the_member() -> None:
    marc, _ = read_marc(rich(ResourceFormat.BOOK))
    assert [(f.get("a"), f.get("b"), f.get("h"), f.get("z")) for f in marc.get_fields("852")] == [
        ("riverside", "Main Library", "QA76.6 .C662", "On loan"),
        ("lakeside", "Central", "005.1 COR", None),
    ]
    online, _ = read_marc(rich(ResourceFormat.EBOOK))
    (link,) = online.get_fields("856")
    assert (tuple(link.indicators), link["u"], link["3"], link["z"]) == (
        ("4", "0"),
        "https://ebooks.example/42",
        "2001-",
        "lakeside",
    )


def test_a_print_journal_held_online_too_stays_a_journal() -> None:
    journal = rich(ResourceFormat.JOURNAL).model_copy(update={"holdings": HOLDINGS + ONLINE})
    marc, record = read_marc(journal)
    assert record.format is ResourceFormat.JOURNAL  # type: ignore[attr-defined]
    assert [h.url for h in record.holdings] == [None, None, "https://ebooks.example/42"]  # type: ignore[attr-defined]
    assert tuple(marc["856"].indicators) == ("4", " ")


def test_what_a_serial_copy_holds_goes_out_in_866_and_comes_back() -> None:
    shelves = [
        Holding(member="riverside", location="Stacks", call_number="Z671 .L7", coverage="v.1 (1990)-v.20 (2009)"),
        Holding(member="lakeside", location="Store"),
        Holding(member="eastlake", location="Annex", coverage="2005-2008; 2012-"),
    ]
    journal = rich(ResourceFormat.JOURNAL).model_copy(update={"holdings": shelves + ONLINE})
    marc, record = read_marc(journal)
    assert [(f.get("8"), f.get("a")) for f in marc.get_fields("852")] == [
        ("1", "riverside"),
        (None, "lakeside"),
        ("3", "eastlake"),
    ]
    assert [(f.get("8"), f.get("a")) for f in marc.get_fields("866")] == [
        ("1", "v.1 (1990)-v.20 (2009)"),
        ("3", "2005-2008; 2012-"),
    ]
    got = [(h.location, h.coverage) for h in record.holdings]  # type: ignore[attr-defined]
    assert got[:3] == [("Stacks", "v.1 (1990)-v.20 (2009)"), ("Store", None), ("Annex", "2005-2008; 2012-")]
    assert got[3:] == [(None, "2001-")]  # the link's 856 $3 (materials specified) reads back too


def test_a_sparse_record_in_chinese() -> None:
    cluster = Cluster(
        cluster_id="簇1",
        records=[("eastlake", "1")],
        format="book",
        title="活着",
        language="chi",
        first_seen=datetime(2026, 1, 1, 23, tzinfo=timezone(timedelta(hours=8))),
        updated_at=datetime(2026, 1, 2, tzinfo=UTC),
    )
    marc, record = read_marc(cluster)
    assert (record.title, record.authors, record.year, record.language) == ("活着", [], None, "chi")  # type: ignore[attr-defined]
    assert marc["008"].data[6:11] == "nuuuu" and marc["008"].data[:6] == "260101"
    assert tuple(marc["245"].indicators) == ("0", "0")


def test_oai_dc_reads_back() -> None:
    cluster = rich(ResourceFormat.BOOK)
    element = etree.fromstring(dublin_core(ClusterVersion.of(cluster), cluster.holdings))
    record = normalize_dublin_core(element, member="hub", source_id="oai", local_id="c0ffee", raw=raw_of("x"))
    assert (record.title, record.subtitle, record.authors) == (cluster.title, cluster.subtitle, cluster.authors)
    assert (record.publisher, record.year, record.language, record.pages) == ("MIT Press", 2009, "eng", 1312)
    assert record.subjects == cluster.subjects
    assert {i.scheme for i in record.identifiers} == {IdentifierScheme.ISBN, IdentifierScheme.DOI}
    journal = rich(ResourceFormat.EJOURNAL)
    element = etree.fromstring(dublin_core(ClusterVersion.of(journal), journal.holdings))
    read = normalize_dublin_core(element, member="hub", source_id="oai", local_id="j", raw=raw_of("x"))
    assert read.format is ResourceFormat.JOURNAL and read.holdings[0].url == "https://ebooks.example/42"


def test_text_that_xml_cannot_carry_is_dropped_not_fatal() -> None:
    cluster = rich(ResourceFormat.BOOK).model_copy(
        update={"title": "Bad\x00 \x1b[31mtitle\ufffe", "subjects": ["\ud800x"]}
    )
    _, record = read_marc(cluster)
    assert record.title == "Bad [31mtitle"  # type: ignore[attr-defined]
