"""Sanity checks of the oai-repo based test endpoint, with plain ``requests`` (no project code)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
import requests
from lxml import etree
from oai_server import MARC_NS, OAI_DC_NS, FixtureRepository, OaiTestServer, dc_record, marcxml_record

if TYPE_CHECKING:
    from collections.abc import Iterator

NS = {"oai": "http://www.openarchives.org/OAI/2.0/", "marc": MARC_NS, "oai_dc": OAI_DC_NS}


def stamp(day: int, hour: int = 0) -> datetime:
    return datetime(2024, 1, day, hour, tzinfo=UTC)


@pytest.fixture
def repo() -> FixtureRepository:
    repo = FixtureRepository(set_names={"books": "Books"})
    for n in range(1, 8):
        repo.add(
            f"oai:test:{n}",
            stamp(n),
            marcxml=marcxml_record(
                f"cn{n}", f"Title {n}", author="Author", isbn="9787111111111", year=2020, clc="TP312"
            ),
            dc=dc_record(f"Title {n}", creator="Author") if n % 2 else None,
            sets=["books"] if n <= 4 else ["serials"],
        )
    return repo


@pytest.fixture
def server(repo: FixtureRepository) -> Iterator[OaiTestServer]:
    with OaiTestServer(repo, page_size=3) as server:
        yield server


def oai(server: OaiTestServer, **params: str) -> etree._Element:
    resp = requests.get(server.base_url, params=params, timeout=5)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("text/xml")
    return etree.fromstring(resp.content)


def error_code(root: etree._Element) -> str | None:
    return root.xpath("string(oai:error/@code)", namespaces=NS) or None


def test_identify(server: OaiTestServer) -> None:
    root = oai(server, verb="Identify")
    assert error_code(root) is None
    ident = root.find("oai:Identify", NS)
    assert ident.findtext("oai:baseURL", namespaces=NS) == server.base_url
    assert ident.findtext("oai:granularity", namespaces=NS) == "YYYY-MM-DDThh:mm:ssZ"
    assert ident.findtext("oai:deletedRecord", namespaces=NS) == "persistent"
    assert ident.findtext("oai:earliestDatestamp", namespaces=NS) == "2024-01-01T00:00:00Z"
    assert server.requests == [{"verb": "Identify"}]
    assert server.base_url.startswith("http://127.0.0.1:")


def test_list_records_pages_with_resumption_token(server: OaiTestServer) -> None:
    params: dict[str, str] = {"verb": "ListRecords", "metadataPrefix": "marc21"}
    pages: list[list[str]] = []
    cursors = []
    while True:
        root = oai(server, **params)
        assert error_code(root) is None
        pages.append(root.xpath("//oai:record/oai:header/oai:identifier/text()", namespaces=NS))
        marc = root.xpath("//oai:metadata/marc:record", namespaces=NS)
        assert len(marc) == len(pages[-1])
        assert marc[0].xpath("string(marc:datafield[@tag='245']/marc:subfield[@code='a'])", namespaces=NS)
        token = root.find("oai:ListRecords/oai:resumptionToken", NS)
        assert token is not None
        assert token.get("completeListSize") == "7"
        cursors.append(token.get("cursor"))
        if not token.text:
            break
        params = {"verb": "ListRecords", "resumptionToken": token.text}
    assert [len(p) for p in pages] == [3, 3, 1]
    assert list(itertools.chain.from_iterable(pages)) == [f"oai:test:{n}" for n in range(1, 8)]
    assert cursors == ["0", "3", "6"]
    assert "resumptionToken" in server.requests[1]
    assert "resumptionToken" in server.requests[2]
    assert server.requests[2]["resumptionToken"] != server.requests[1]["resumptionToken"]


def test_deleted_record_has_status_deleted(server: OaiTestServer, repo: FixtureRepository) -> None:
    repo.delete("oai:test:2", stamp(10))
    root = oai(server, verb="ListRecords", metadataPrefix="marc21", **{"from": "2024-01-10T00:00:00Z"})
    records = root.findall("oai:ListRecords/oai:record", NS)
    assert len(records) == 1
    header = records[0].find("oai:header", NS)
    assert header.get("status") == "deleted"
    assert header.findtext("oai:identifier", namespaces=NS) == "oai:test:2"
    assert header.findtext("oai:datestamp", namespaces=NS) == "2024-01-10T00:00:00Z"
    assert records[0].find("oai:metadata", NS) is None

    # also for a format the record never had, and in ListIdentifiers / GetRecord
    root = oai(server, verb="ListIdentifiers", metadataPrefix="oai_dc", **{"from": "2024-01-10T00:00:00Z"})
    assert root.xpath("//oai:header/@status", namespaces=NS) == ["deleted"]
    root = oai(server, verb="GetRecord", identifier="oai:test:2", metadataPrefix="marc21")
    assert root.xpath("//oai:header/@status", namespaces=NS) == ["deleted"]
    assert root.xpath("//oai:metadata", namespaces=NS) == []
    # live records carry no status
    root = oai(server, verb="GetRecord", identifier="oai:test:3", metadataPrefix="marc21")
    assert root.xpath("//oai:header/@status", namespaces=NS) == []


def test_from_until_and_set_filter(server: OaiTestServer) -> None:
    root = oai(server, verb="ListIdentifiers", metadataPrefix="marc21", **{"from": "2024-01-05T00:00:00Z"})
    ids = root.xpath("//oai:header/oai:identifier/text()", namespaces=NS)
    assert ids == ["oai:test:5", "oai:test:6", "oai:test:7"]
    assert server.requests[-1]["from"] == "2024-01-05T00:00:00Z"

    root = oai(server, verb="ListIdentifiers", metadataPrefix="marc21", until="2024-01-02", set="books")
    assert root.xpath("//oai:header/oai:identifier/text()", namespaces=NS) == ["oai:test:1", "oai:test:2"]

    root = oai(server, verb="ListRecords", metadataPrefix="oai_dc", set="books")
    assert root.xpath("//oai:header/oai:identifier/text()", namespaces=NS) == ["oai:test:1", "oai:test:3"]
    assert root.xpath("//oai_dc:dc/*[local-name()='title']/text()", namespaces=NS) == ["Title 1", "Title 3"]


def test_injected_503_carries_retry_after(server: OaiTestServer) -> None:
    server.fail_next(2, status=503, retry_after="1")
    for _ in range(2):
        resp = requests.get(server.base_url, params={"verb": "Identify"}, timeout=5)
        assert resp.status_code == 503
        assert resp.headers["Retry-After"] == "1"
    resp = requests.get(server.base_url, params={"verb": "Identify"}, timeout=5)
    assert resp.status_code == 200
    assert server.statuses == [503, 503, 200]
    assert len(server.requests) == 3


def test_no_records_match_for_empty_range(server: OaiTestServer) -> None:
    root = oai(server, verb="ListRecords", metadataPrefix="marc21", **{"from": "2030-01-01T00:00:00Z"})
    assert error_code(root) == "noRecordsMatch"


def test_cannot_disseminate_format(server: OaiTestServer) -> None:
    root = oai(server, verb="ListRecords", metadataPrefix="mods")
    assert error_code(root) == "cannotDisseminateFormat"
    root = oai(server, verb="GetRecord", identifier="oai:test:2", metadataPrefix="oai_dc")  # no DC for #2
    assert error_code(root) == "cannotDisseminateFormat"


def test_bad_arguments(server: OaiTestServer) -> None:
    root = oai(server, verb="ListRecords", metadataPrefix="marc21", **{"from": "2024-01-05T00:00:00+00:00"})
    assert error_code(root) == "badArgument"
    root = oai(server, verb="ListRecords", resumptionToken="not-a-token")
    assert error_code(root) == "badResumptionToken"
    assert error_code(oai(server, verb="Nope")) == "badVerb"


def test_token_survives_a_server_restart(repo: FixtureRepository) -> None:
    with OaiTestServer(repo, page_size=3) as first:
        root = oai(first, verb="ListIdentifiers", metadataPrefix="marc21")
        token = root.findtext("oai:ListIdentifiers/oai:resumptionToken", namespaces=NS)
    with OaiTestServer(repo, page_size=3) as second:
        root = oai(second, verb="ListIdentifiers", resumptionToken=token)
        assert root.xpath("//oai:header/oai:identifier/text()", namespaces=NS) == [
            "oai:test:4",
            "oai:test:5",
            "oai:test:6",
        ]


def test_strict_tokens_invalidate_on_change(repo: FixtureRepository) -> None:
    with OaiTestServer(repo, page_size=3, strict_tokens=True) as server:
        root = oai(server, verb="ListRecords", metadataPrefix="marc21")
        token = root.findtext("oai:ListRecords/oai:resumptionToken", namespaces=NS)
        repo.update("oai:test:1", stamp(20))
        assert error_code(oai(server, verb="ListRecords", resumptionToken=token)) == "badResumptionToken"
