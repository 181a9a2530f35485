"""Harvesting MARC21, MARCXML, UNIMARC/CNMARC and KBART files into the store (in-memory adapters)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from marc_builders import book, marcxml_collection, unimarc_book
from pymarc import Field, Indicators, Subfield

from consortium.adapters.memory import InMemoryBlobStore, InMemoryRecordStore
from consortium.harvest.service import HarvestService
from consortium.members import Member, Source
from consortium.models import ClassScheme, IdentifierScheme, ResourceFormat

MEMBER = Member(id="riverside", name="Riverside University Library")


def source_for(path: Path, fmt: str, **kw: object) -> Source:
    protocol = "kbart-file" if fmt == "kbart" else "marc-file"
    return Source.model_validate({"id": "file", "protocol": protocol, "path": path, "format": fmt, **kw})


@pytest.fixture
def store() -> InMemoryRecordStore:
    return InMemoryRecordStore()


@pytest.fixture
def archive() -> InMemoryBlobStore:
    return InMemoryBlobStore()


@pytest.fixture
def service(store: InMemoryRecordStore, archive: InMemoryBlobStore) -> HarvestService:
    return HarvestService(store, archive, page_size=2, clock=lambda: datetime(2026, 11, 25, tzinfo=UTC))


def write_marc(path: Path, *records: object) -> Path:
    path.write_bytes(b"".join(r.as_marc() for r in records))  # type: ignore[attr-defined]
    return path


def test_marc21_file_is_normalized_and_stored(
    tmp_path: Path, service: HarvestService, store: InMemoryRecordStore
) -> None:
    path = write_marc(
        tmp_path / "books.mrc",
        book(
            "b1",
            "The art of computer programming",
            isbn="0201896834 (v. 1)",
            subjects=("Computer programming",),
        ),
        book("b2", "Concrete mathematics", author="Graham, Ronald L.", isbn="9780201558029", year="1994"),
        book("b3", "Digital typography", isbn="1575860104", year="1999"),
    )
    report = service.harvest_source(MEMBER, source_for(path, "marc21", location="Main stacks"))

    assert report.complete
    assert report.counts.added == 3 and report.counts.quarantined == 0
    record = store.get("riverside", "b1")
    assert record is not None
    assert record.title == "The art of computer programming"
    assert record.authors == ["Knuth, Donald E."]
    assert record.publisher == "Addison-Wesley"
    assert record.year == 1997 and record.language == "eng" and record.pages == 650
    assert record.identifier_values(IdentifierScheme.ISBN) == ["9780201896831"]
    assert record.subjects == ["Computer programming"]
    assert record.format is ResourceFormat.BOOK
    assert record.holdings[0].member == "riverside" and record.holdings[0].location == "Main stacks"


def test_raw_record_is_archived_and_renormalizable(
    tmp_path: Path, service: HarvestService, store: InMemoryRecordStore, archive: InMemoryBlobStore
) -> None:
    original = book("b1", "Concrete mathematics", isbn="9780201558029")
    path = write_marc(tmp_path / "one.mrc", original)
    service.harvest_source(MEMBER, source_for(path, "marc21"))
    record = store.get("riverside", "b1")
    assert record is not None
    assert archive.get(record.raw.digest) == original.as_marc()


def test_unchanged_records_are_a_no_op_and_changes_are_counted(
    tmp_path: Path, service: HarvestService, store: InMemoryRecordStore
) -> None:
    first = [book("b1", "Concrete mathematics"), book("b2", "Digital typography")]
    path = write_marc(tmp_path / "f.mrc", *first)
    src = source_for(path, "marc21")
    service.harvest_source(MEMBER, src)

    again = service.harvest_source(MEMBER, src)
    assert again.counts.model_dump() == {
        "added": 0,
        "changed": 0,
        "unchanged": 2,
        "deleted": 0,
        "quarantined": 0,
        "duplicates": 0,
        "holdings": 0,
        "holdings_unmatched": 0,
        "superseded": 0,
        "withdrawn": 0,
        "withheld": 0,
    }

    write_marc(path, book("b1", "Concrete mathematics: a foundation"), book("b2", "Digital typography", deleted=True))
    third = service.harvest_source(MEMBER, src)
    assert (third.counts.changed, third.counts.deleted) == (1, 1)
    assert store.get("riverside", "b2") is None
    record = store.get("riverside", "b1")
    assert record is not None and record.title == "Concrete mathematics: a foundation"


def test_marcxml_file(tmp_path: Path, service: HarvestService, store: InMemoryRecordStore) -> None:
    path = tmp_path / "c.xml"
    path.write_bytes(marcxml_collection(book("x1", "活着", author="余华", clc="I247.57", language="chi")))
    report = service.harvest_source(MEMBER, source_for(path, "marcxml"))
    assert report.counts.added == 1
    record = store.get("riverside", "x1")
    assert record is not None
    assert record.title == "活着" and record.language == "chi"
    assert [(c.scheme, c.code) for c in record.classifications] == [(ClassScheme.CLC, "I247.57")]


def test_cnmarc_file(tmp_path: Path, service: HarvestService, store: InMemoryRecordStore) -> None:
    path = write_marc(
        tmp_path / "cn.iso",
        unimarc_book("e1", "三体", author="刘慈欣", isbn="978-7-5366-9293-0", clc="I247.55", year="2008"),
    )
    service.harvest_source(MEMBER, source_for(path, "unimarc"))
    record = store.get("riverside", "e1")
    assert record is not None
    assert (record.title, record.authors, record.publisher, record.year) == (
        "三体",
        ["刘慈欣"],
        "重庆出版社",
        2008,
    )
    assert record.identifier_values(IdentifierScheme.ISBN) == ["9787536692930"]
    assert record.classifications[0].scheme is ClassScheme.CLC and record.classifications[0].code == "I247.55"
    assert record.subjects == ["科学幻想小说 -- 中国 -- 当代"]
    assert record.pages == 302 and record.language == "chi"
    assert record.holdings[0].call_number == "I247.55/123" and record.holdings[0].location == "中文书库"


def test_marc21_series_is_read_without_isbd_punctuation(
    tmp_path: Path, service: HarvestService, store: InMemoryRecordStore
) -> None:
    traced = book("s1", "Fundamental algorithms", series="The art of computer programming", series_number="v. 1.")
    traced.add_field(
        Field(
            tag="830",
            indicators=Indicators(" ", "0"),
            subfields=[Subfield("a", "Art of computer programming (Series) ;"), Subfield("v", "v. 1.")],
        )
    )
    path = write_marc(
        tmp_path / "series.mrc",
        book("s0", "Seminumerical algorithms", series="The art of computer programming", series_number="v. 2"),
        traced,
        book("s2", "Concrete mathematics"),
    )
    service.harvest_source(MEMBER, source_for(path, "marc21"))
    transcribed, controlled, alone = (store.get("riverside", i) for i in ("s0", "s1", "s2"))
    assert transcribed is not None and controlled is not None and alone is not None
    assert (transcribed.series, transcribed.series_number) == ("The art of computer programming", "v. 2")
    # 830 (the controlled form) is preferred over the 490 transcribed from the piece.
    assert (controlled.series, controlled.series_number) == ("Art of computer programming (Series)", "v. 1")
    assert (alone.series, alone.series_number) == (None, None)


def test_marcxml_series(tmp_path: Path, service: HarvestService, store: InMemoryRecordStore) -> None:
    path = tmp_path / "series.xml"
    path.write_bytes(
        marcxml_collection(book("x2", "许三观卖血记", author="余华", series="余华作品", series_number="第3卷"))
    )
    service.harvest_source(MEMBER, source_for(path, "marcxml"))
    record = store.get("riverside", "x2")
    assert record is not None and (record.series, record.series_number) == ("余华作品", "第3卷")


def test_cnmarc_series_from_225_else_410(tmp_path: Path, service: HarvestService, store: InMemoryRecordStore) -> None:
    linked = unimarc_book("e3", "死神永生", author="刘慈欣", isbn="978-7-5366-9293-0", clc="I247.55", year="2010")
    linked.add_field(
        Field(
            tag="410", indicators=Indicators(" ", "0"), subfields=[Subfield("t", "地球往事三部曲."), Subfield("v", "3")]
        )
    )
    path = write_marc(
        tmp_path / "series.iso",
        unimarc_book(
            "e2",
            "黑暗森林",
            author="刘慈欣",
            isbn="978-7-5366-9293-0",
            clc="I247.55",
            year="2008",
            series="中国科幻基石丛书 ;",
            series_number="第2卷.",
        ),
        linked,
    )
    service.harvest_source(MEMBER, source_for(path, "unimarc"))
    statement, link = store.get("riverside", "e2"), store.get("riverside", "e3")
    assert statement is not None and link is not None
    assert (statement.series, statement.series_number) == ("中国科幻基石丛书", "第2卷")
    assert (link.series, link.series_number) == ("地球往事三部曲", "3")


KBART_HEADER = (
    "publication_title\tprint_identifier\tonline_identifier\tdate_first_issue_online\tnum_first_vol_online\t"
    "num_first_issue_online\tdate_last_issue_online\tnum_last_vol_online\tnum_last_issue_online\ttitle_url\t"
    "first_author\ttitle_id\tembargo_info\tcoverage_depth\tnotes\tpublisher_name\tpublication_type\n"
)


def test_kbart_rows_become_electronic_resources(
    tmp_path: Path, service: HarvestService, store: InMemoryRecordStore
) -> None:
    path = tmp_path / "package.txt"
    path.write_text(
        KBART_HEADER
        + "Communications of the ACM\t0001-0782\t1557-7317\t1958-01-01\t1\t1\t\t\t\thttps://dl.acm.org/toc/cacm\t"
        "\tcacm\t\tfulltext\t\tACM\tserial\n"
        + "Bad ISSN journal\t0001-0783\t\t2000\t\t\t\t\t\thttps://example.org/j\t\tbad\t\tfulltext\t\tX\tserial\n",
        encoding="utf-8",
    )
    report = service.harvest_source(MEMBER, source_for(path, "kbart"))
    assert (report.counts.added, report.counts.quarantined) == (1, 1)
    record = store.get("riverside", "cacm")
    assert record is not None
    assert record.format is ResourceFormat.EJOURNAL
    assert record.identifier_values(IdentifierScheme.ISSN) == ["0001-0782", "1557-7317"]
    assert record.holdings[0].url == "https://dl.acm.org/toc/cacm"
    assert record.holdings[0].coverage == "1958-01-01 v.1 no.1 - present"
    [bad] = store.quarantined()
    assert bad.position == "package.txt:3" and "print_identifier" in bad.reason and "check digit" in bad.reason


def test_a_kbart_row_with_nothing_to_know_it_by_is_quarantined_in_kbart_terms(
    tmp_path: Path, service: HarvestService, store: InMemoryRecordStore
) -> None:
    path = tmp_path / "package.txt"
    path.write_text(
        KBART_HEADER + "A journal without ids" + "\t" * 3 + "2000" + "\t" * 10 + "fulltext\t\tX\tserial\n",
        encoding="utf-8",
    )
    report = service.harvest_source(MEMBER, source_for(path, "kbart"))
    assert report.counts.quarantined == 1
    [row] = store.quarantined()
    assert row.reason == "the row has no title_id, online_identifier, print_identifier or title_url to know it by"


def test_report_counts_every_outcome(tmp_path: Path, service: HarvestService, store: InMemoryRecordStore) -> None:
    path = write_marc(
        tmp_path / "mixed.mrc",
        book("ok", "Fine"),
        book("badisbn", "Bad ISBN", isbn="0201896835"),
    )
    report = service.harvest_source(MEMBER, source_for(path, "marc21"))
    assert (report.counts.added, report.counts.quarantined, report.counts.seen) == (1, 1, 2)
    [item] = store.quarantined()
    assert item.local_id == "badisbn"
    assert item.reason == "020$a: ISBN '0201896835': invalid check digit"


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_a_record_fixed_and_harvested_again_leaves_the_quarantine(tmp_path: Path, backend: str) -> None:
    from consortium.adapters.local import SqliteRecordStore

    store = InMemoryRecordStore() if backend == "memory" else SqliteRecordStore.open(tmp_path / "records.sqlite3")
    service = HarvestService(store, InMemoryBlobStore(), page_size=2, clock=lambda: datetime(2026, 11, 25, tzinfo=UTC))
    path = write_marc(
        tmp_path / "books.mrc",
        book("ok", "Fine"),
        book("badisbn", "Bad ISBN", isbn="0201896835"),
        book("stillbad", "Still bad", isbn="0201896835"),
    )
    src = source_for(path, "marc21")
    first = service.harvest_source(MEMBER, src)
    assert (first.counts.added, first.counts.quarantined) == (1, 2)
    assert sorted(q.local_id or "" for q in store.quarantined()) == ["badisbn", "stillbad"]

    # The cataloguer fixes one record and harvests again.
    write_marc(
        path,
        book("ok", "Fine"),
        book("badisbn", "Bad ISBN", isbn="0201896834"),
        book("stillbad", "Still bad", isbn="0201896835"),
    )
    second = service.harvest_source(MEMBER, src)
    assert (second.counts.unchanged, second.counts.added, second.counts.superseded) == (1, 1, 1)
    assert [q.local_id for q in store.quarantined()] == ["stillbad"]

    # The other is deleted at the source: its quarantined versions go too; an empty quarantine is left.
    write_marc(
        path,
        book("ok", "Fine"),
        book("badisbn", "Bad ISBN", isbn="0201896834"),
        book("stillbad", "Still bad", isbn="0201896835", deleted=True),
    )
    third = service.harvest_source(MEMBER, src)
    assert (third.counts.unchanged, third.counts.superseded, third.counts.quarantined) == (3, 1, 0)
    assert store.quarantined() == [] and store.count_quarantined("riverside") == 0
    checkpoint = store.checkpoint("riverside/file")
    assert checkpoint is not None and checkpoint.counts.superseded == 1
