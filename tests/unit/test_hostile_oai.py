"""Hostile OAI-PMH servers: a resumption token loop, error codes, deleted headers, good and bad records in a page."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from consortium.adapters.memory import InMemoryBlobStore, InMemoryRecordStore
from consortium.errors import UpstreamError
from consortium.harvest.oai_errors import BadResumptionTokenError
from consortium.harvest.oai_pmh import OaiPmhClient
from consortium.harvest.service import HarvestService
from consortium.harvest.xml_safety import UnsafeXmlError
from consortium.members import Member, Source

MEMBER = Member(id="m", name="Member")
SOURCE = Source(id="oai", protocol="oai-pmh", url="https://oai.example.org/oai", format="marcxml")  # type: ignore[arg-type]
OAI = "http://www.openarchives.org/OAI/2.0/"


def marc(local: str, title: str) -> str:
    return (
        '<record xmlns="http://www.loc.gov/MARC21/slim"><leader>00000nam a2200000 a 4500</leader>'
        f'<controlfield tag="001">{local}</controlfield>'
        '<controlfield tag="008">200101s2020    xxu           000 0 eng d</controlfield>'
        f'<datafield tag="245" ind1="0" ind2="0"><subfield code="a">{title}</subfield></datafield>'
        "</record>"
    )


def record(identifier: str, metadata: str | None, *, deleted: bool = False) -> str:
    status = ' status="deleted"' if deleted else ""
    body = f"<metadata>{metadata}</metadata>" if metadata is not None else ""
    header = f"<header{status}><identifier>{identifier}</identifier><datestamp>2026-01-01</datestamp></header>"
    return f"<record>{header}{body}</record>"


def page(*records: str, token: str | None = None) -> bytes:
    resumption = f"<resumptionToken>{token}</resumptionToken>" if token is not None else ""
    return (
        f'<?xml version="1.0"?><OAI-PMH xmlns="{OAI}"><responseDate>2026-01-01T00:00:00Z</responseDate>'
        f"<request>x</request><ListRecords>{''.join(records)}{resumption}</ListRecords></OAI-PMH>"
    ).encode()


def error(code: str) -> bytes:
    return (
        f'<?xml version="1.0"?><OAI-PMH xmlns="{OAI}"><responseDate>2026-01-01T00:00:00Z</responseDate>'
        f'<request>x</request><error code="{code}">said the server</error></OAI-PMH>'
    ).encode()


class ScriptedServer(requests.Session):
    """Answers each ``ListRecords`` from ``answer(params)``; keeps every request's parameters."""

    def __init__(self, answer: Any) -> None:
        super().__init__()
        self.answer = answer
        self.asked: list[dict[str, str]] = []

    def get(self, url: str | bytes, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        params = dict(kwargs.get("params") or {})
        self.asked.append(params)
        if len(self.asked) > 50:
            raise AssertionError("the harvester kept asking")
        response = requests.Response()
        response.status_code = 200
        response._content = self.answer(params)
        return response


def harvest(server: ScriptedServer) -> tuple[InMemoryRecordStore, Any]:
    store = InMemoryRecordStore()

    def client(url: str) -> OaiPmhClient:
        return OaiPmhClient(url, session=server, max_retries=0, sleep=lambda _: None)

    service = HarvestService(store, InMemoryBlobStore(), oai_client=client)
    return store, service.harvest_source(MEMBER, SOURCE)


def test_a_resumption_token_the_server_repeats_forever_stops_the_listing() -> None:
    def answer(params: dict[str, str]) -> bytes:
        n = len(server.asked)
        return page(record(f"oai:x:{n}", marc(f"r{n}", f"Title {n}")), token="same")

    server = ScriptedServer(answer)
    with pytest.raises(UpstreamError, match="gave resumption token 'same' again after 1 page"):
        harvest(server)
    assert len(server.asked) == 2


def test_a_token_loop_over_several_tokens_stops_too() -> None:
    tokens = ["a", "b", "c", "a"]

    def answer(params: dict[str, str]) -> bytes:
        n = len(server.asked)
        return page(record(f"oai:x:{n}", marc(f"r{n}", f"Title {n}")), token=tokens[(n - 1) % 4])

    server = ScriptedServer(answer)
    with pytest.raises(UpstreamError, match="'a' again after 3 page"):
        list(OaiPmhClient("https://oai.example.org/oai", session=server, max_retries=0).list_records("marc21"))
    assert [p.get("resumptionToken") for p in server.asked] == [None, "a", "b", "c"]


def test_deleted_headers_without_metadata_and_a_bad_record_in_a_good_page() -> None:
    answer = page(
        record("oai:x:1", marc("1", "A good one")),
        record("oai:x:2", None, deleted=True),
        record("oai:x:3", None),  # not deleted, no metadata
        record("oai:x:4", '<foreign xmlns="urn:other"><title>Not MARC</title></foreign>'),
        record("", marc("5", "No identifier")),
        record("oai:x:6", marc("6", "Another good one")),
    )
    store, _ = harvest(ScriptedServer(lambda _: answer))
    assert sorted(r.local_id for r in store.records()) == ["oai:x:1", "oai:x:6"]
    reasons = {q.position: q.reason for q in store.quarantined()}
    assert reasons["oai:x:3"] == "metadata: the record is not deleted but has no metadata"
    assert "metadata: expected MARCXML, MarcXchange or Dublin Core" in reasons["oai:x:4"]
    assert reasons["(no identifier)"] == "header: the record has no OAI identifier"
    assert len(reasons) == 3


def test_no_records_match_is_empty_and_a_bad_token_from_the_start_is_an_error() -> None:
    store, _ = harvest(ScriptedServer(lambda _: error("noRecordsMatch")))
    assert store.count() == 0 and store.quarantined() == []
    with pytest.raises(BadResumptionTokenError):
        harvest(ScriptedServer(lambda _: error("badResumptionToken")))


def test_a_response_with_a_doctype_is_refused_naming_the_server() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE OAI-PMH [<!ENTITY a "aaaa">]><OAI-PMH xmlns="' + OAI.encode() + b'"/>'
    with pytest.raises(UnsafeXmlError, match=r"^OAI-PMH response from https://oai.example.org/oai: .*DOCTYPE"):
        harvest(ScriptedServer(lambda _: bomb))


def test_empty_pages_in_a_row_end_the_listing_but_a_record_or_a_deletion_between_them_does_not() -> None:
    # a page with a record, 3 empty, a deletion, 4 empty, a record, then empty pages with new tokens forever
    kinds = ["record", *["empty"] * 3, "deleted", *["empty"] * 4, "record"]

    def answer(params: dict[str, str]) -> bytes:
        n = len(server.asked)
        kind = kinds[n - 1] if n <= len(kinds) else "empty"
        if kind == "record":
            return page(record(f"oai:x:{n}", marc(f"r{n}", f"Title {n}")), token=f"t{n}")
        if kind == "deleted":
            return page(record("oai:x:1", None, deleted=True), token=f"t{n}")
        return page(token=f"t{n}")

    server = ScriptedServer(answer)
    client = OaiPmhClient("https://oai.example.org/oai", session=server, max_retries=0, most_empty_pages=5)
    pages = []
    with pytest.raises(UpstreamError, match="gave 5 pages in a row without a record or a deletion") as raised:
        pages.extend(client.list_records("marc21"))
    assert len(server.asked) == len(kinds) + 5 == len(pages)  # every page before the stop was given
    assert "the last 't15'" in str(raised.value) and str(raised.value).startswith("https://oai.example.org/oai ")
