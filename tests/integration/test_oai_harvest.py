"""Harvesting over HTTP from a real OAI-PMH server (oai-repo, written by others) on 127.0.0.1."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from oai_server import FixtureRepository, OaiTestServer, dc_record, marcxml_record

from consortium.adapters.memory import InMemoryBlobStore, InMemoryRecordStore
from consortium.errors import UpstreamError
from consortium.harvest.oai_errors import CannotDisseminateFormatError
from consortium.harvest.oai_pmh import MOST_EMPTY_PAGES_IN_A_ROW, OaiPmhClient
from consortium.harvest.service import HarvestService
from consortium.harvest.sweep import FailureLog, harvest_sources
from consortium.members import Member, Source
from consortium.models import ClassScheme, IdentifierScheme, ResourceFormat

if TYPE_CHECKING:
    from pathlib import Path

MEMBER = Member(id="lakeside", name="Lakeside University Library")
BOOKS = [
    ("oai:lake:1", "The art of computer programming", "Knuth, Donald E.", "0201896834", "1997", "TP311"),
    ("oai:lake:2", "三体", "刘慈欣", "9787536692930", "2008", "I247.55"),
    ("oai:lake:3", "Concrete mathematics", "Graham, Ronald L.", "9780201558029", "1994", "O1"),
    ("oai:lake:4", "Digital typography", "Knuth, Donald E.", "1575860104", "1999", "TS8"),
    ("oai:lake:5", "活着", "余华", None, "1993", "I247.57"),
    ("oai:lake:6", "围城", "钱钟书", None, "1947", "I246.57"),
    (
        "oai:lake:7",
        "Structure and interpretation of computer programs",
        "Abelson, Harold",
        "0262011530",
        "1996",
        "TP311",
    ),
]


def day(n: int) -> datetime:
    return datetime(2026, 1, n, 9, 0, 0, tzinfo=UTC)


@pytest.fixture
def repo() -> FixtureRepository:
    repo = FixtureRepository()
    for n, (identifier, title, author, isbn, year, clc) in enumerate(BOOKS, start=1):
        repo.add(identifier, day(n), marcxml=marcxml_record(identifier, title, author, isbn, year, clc))
    return repo


def make_service(sleeps: list[float] | None = None) -> tuple[HarvestService, InMemoryRecordStore]:
    store = InMemoryRecordStore()
    recorded = sleeps if sleeps is not None else []

    def client(url: str) -> OaiPmhClient:
        return OaiPmhClient(url, timeout=5, max_retries=3, sleep=recorded.append)

    return HarvestService(store, InMemoryBlobStore(), oai_client=client), store


def source(url: str, fmt: str = "marcxml") -> Source:
    return Source(id="oai", protocol="oai-pmh", url=url, format=fmt)  # type: ignore[arg-type]


def test_full_harvest_follows_resumption_tokens(repo: FixtureRepository) -> None:
    service, store = make_service()
    with OaiTestServer(repo, page_size=3) as server:
        report = service.harvest_source(MEMBER, source(server.base_url))
        tokens = [r for r in server.requests if "resumptionToken" in r]
    assert report.complete and report.counts.added == 7
    assert len(tokens) == 2
    record = store.get("lakeside", "oai:lake:2")
    assert record is not None
    assert (record.title, record.authors, record.year) == ("三体", ["刘慈欣"], 2008)
    assert record.identifier_values(IdentifierScheme.ISBN) == ["9787536692930"]
    assert record.classifications[0].scheme is ClassScheme.CLC
    assert record.datestamp == day(2)


def test_second_run_is_incremental_and_applies_changes_and_deletes(repo: FixtureRepository) -> None:
    service, store = make_service()
    with OaiTestServer(repo, page_size=3) as server:
        service.harvest_source(MEMBER, source(server.base_url))
        repo.update(
            "oai:lake:3",
            day(20),
            marcxml=marcxml_record("oai:lake:3", "Concrete mathematics: a foundation for computer science"),
        )
        repo.delete("oai:lake:5", day(21))
        repo.add("oai:lake:8", day(22), marcxml=marcxml_record("oai:lake:8", "算法导论", "Cormen, Thomas H."))
        server.clear_requests()
        report = service.harvest_source(MEMBER, source(server.base_url))
        first = server.requests[0]
    assert first["from"] == "2026-01-07T09:00:00Z"
    # The boundary record (datestamp == from) comes again and is unchanged.
    assert report.counts.model_dump() == {
        "added": 1,
        "changed": 1,
        "unchanged": 1,
        "deleted": 1,
        "quarantined": 0,
        "duplicates": 0,
        "holdings": 0,
        "holdings_unmatched": 0,
        "superseded": 0,
        "withdrawn": 0,
        "withheld": 0,
    }
    assert store.get("lakeside", "oai:lake:5") is None
    changed = store.get("lakeside", "oai:lake:3")
    assert changed is not None and changed.title == "Concrete mathematics: a foundation for computer science"
    assert store.count("lakeside") == 7


def test_retry_after_is_honoured(repo: FixtureRepository) -> None:
    sleeps: list[float] = []
    service, store = make_service(sleeps)
    with OaiTestServer(repo, page_size=3) as server:
        server.fail_next(2, status=503, retry_after="7")
        report = service.harvest_source(MEMBER, source(server.base_url))
    assert report.complete and store.count() == 7
    assert sleeps == [7.0, 7.0]


def test_persistent_failure_is_an_upstream_error_and_the_run_resumes_later(repo: FixtureRepository) -> None:
    service, store = make_service()
    with OaiTestServer(repo, page_size=3) as server:
        # The first page is served, then the server fails every try for the second (1 + 3 retries), whether it
        # is asked for after the first page is stored or while it is (read ahead).
        server.fail_next(4, status=500, retry_after="0", after=1)
        with pytest.raises(UpstreamError, match="still failing after 4 tries"):
            service.harvest_source(MEMBER, source(server.base_url))
        assert store.count() == 3
        cp = store.checkpoint("lakeside/oai")
        assert cp is not None and cp.in_progress and cp.cursor and cp.cursor["token"]

        server.clear_requests()
        report = service.harvest_source(MEMBER, source(server.base_url))
        assert "resumptionToken" in server.requests[0]
    assert report.resumed and report.complete
    assert report.counts.added == 7 and store.count() == 7


def test_no_records_match_is_an_empty_result(repo: FixtureRepository) -> None:
    service, _store = make_service()
    with OaiTestServer(repo, page_size=3) as server:
        service.harvest_source(MEMBER, source(server.base_url))
        for identifier, *_ in BOOKS:
            repo.remove(identifier)
        repo.add("oai:lake:0", day(1), marcxml=marcxml_record("oai:lake:0", "Old"))
        report = service.harvest_source(MEMBER, source(server.base_url))
    assert report.complete and report.counts.seen == 0


def test_unsupported_format_is_a_clear_error(repo: FixtureRepository) -> None:
    service, _ = make_service()
    with OaiTestServer(repo, page_size=3) as server:
        bad = Source(id="oai", protocol="oai-pmh", url=server.base_url, format="marcxml", metadata_prefix="mods")  # type: ignore[arg-type]
        with pytest.raises(CannotDisseminateFormatError, match="cannotDisseminateFormat"):
            service.harvest_source(MEMBER, bad)


def test_dublin_core_records() -> None:
    repo = FixtureRepository()
    repo.add("oai:ir:1", day(1), dc=dc_record("Open access thesis", "Li, Wei", "https://ir.example.edu/1", "2021"))
    service, store = make_service()
    with OaiTestServer(repo, page_size=3) as server:
        service.harvest_source(MEMBER, source(server.base_url, "oai_dc"))
    record = store.get("lakeside", "oai:ir:1")
    assert record is not None
    assert (record.title, record.authors, record.year) == ("Open access thesis", ["Li, Wei"], 2021)
    assert record.format is ResourceFormat.EBOOK
    assert record.holdings[0].url == "https://ir.example.edu/1"


def test_marcxchange_records_from_a_live_server_each_in_the_format_it_names() -> None:
    # As the BnF's and the German National Library's OAI-PMH servers answer: MarcXchange (ISO 25577), a UNIMARC
    # record and a MARC21 one under one metadataPrefix, and a holdings record among them.
    def marcxchange(fmt: str, kind: str, leader: str, fields: str) -> bytes:
        return (
            f'<record xmlns="info:lc/xmlns/marcxchange-v2" format="{fmt}" type="{kind}"><leader>{leader}</leader>'
            f"{fields}</record>"
        ).encode()

    def datafield(tag: str, **subfields: str) -> str:
        inner = "".join(f'<subfield code="{code}">{value}</subfield>' for code, value in subfields.items())
        return f'<datafield tag="{tag}" ind1="1" ind2=" ">{inner}</datafield>'

    repo = FixtureRepository()
    unimarc = datafield("200", a="Les Misérables", f="Victor Hugo") + datafield("700", a="Hugo", b="Victor")
    repo.add("oai:bnf:1", day(1), marcxml=marcxchange("UNIMARC", "Bibliographic", "00000nam0 2200000   450 ", unimarc))
    marc21 = datafield("100", a="Fontane, Theodor") + datafield("245", a="Effi Briest")
    repo.add("oai:dnb:2", day(2), marcxml=marcxchange("MARC21", "Bibliographic", "00000nam a2200000 c 4500", marc21))
    repo.add("oai:dnb:3", day(3), marcxml=marcxchange("MARC21", "Holdings", "00000ny  a2200000   4500", ""))
    service, store = make_service()
    with OaiTestServer(repo, page_size=2) as server:
        report = service.harvest_source(MEMBER, source(server.base_url))
    assert [(r.local_id, r.title, r.authors) for r in store.records()] == [
        ("oai:bnf:1", "Les Misérables", ["Hugo, Victor"]),
        ("oai:dnb:2", "Effi Briest", ["Fontane, Theodor"]),
    ]
    [holdings] = store.quarantined()
    assert (holdings.position, holdings.reason_code) == ("oai:dnb:3", "not_bibliographic")
    assert report.complete and report.counts.quarantined == 1


@pytest.mark.parametrize("most", [4, None])  # None: the client's default, MOST_EMPTY_PAGES_IN_A_ROW
def test_a_server_giving_empty_pages_with_new_tokens_forever_is_stopped_keeping_what_was_harvested(
    repo: FixtureRepository, tmp_path: Path, most: int | None
) -> None:
    # past its 7 records the server lists one it then drops (no MARC of it): an empty page, a new token, forever
    repo.add("oai:lake:dc-only", day(20), dc=dc_record("Only in Dublin Core"))
    store = InMemoryRecordStore()

    def client(url: str) -> OaiPmhClient:
        bound = {} if most is None else {"most_empty_pages": most}
        return OaiPmhClient(url, timeout=5, max_retries=0, sleep=lambda _: None, **bound)

    service = HarvestService(store, InMemoryBlobStore(), oai_client=client)
    failures = FailureLog(tmp_path / "failures.json")
    with OaiTestServer(repo, page_size=3, endless="oai:lake:dc-only") as server:
        reports, [failed] = harvest_sources([(MEMBER, source(server.base_url))], service.harvest_source, failures, now)
        asked = len(server.requests)
    empty = most or MOST_EMPTY_PAGES_IN_A_ROW
    assert reports == [] and asked == 3 + empty  # the three pages holding the records, then the empty ones
    assert store.count("lakeside") == 7  # kept
    checkpoint = store.checkpoint("lakeside/oai")
    assert checkpoint is not None and checkpoint.in_progress and checkpoint.counts.added == 7
    last = checkpoint.cursor["token"]  # where the next run resumes
    assert failed.line().startswith(f"lakeside/oai: FAILED: UpstreamError: {server.base_url} gave {empty} pages")
    assert f"new resumption token, the last {last!r}: the listing would never end" in failed.error


def now() -> datetime:
    return datetime(2026, 2, 1, tzinfo=UTC)
