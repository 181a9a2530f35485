"""Hostile input to the OAI-PMH and SRU handlers: whatever the arguments (random names and values, control
characters, huge values, repeated arguments, random bytes, random CQL), the answer is HTTP 200 with a
well-formed XML document, never an exception."""

from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from provider_hub import Hub, sample_books

from consortium.catalogue_out import handle_oai, handle_sru

HUB = Hub(page_size=3)
HUB.add(*sample_books())
BASE = "http://127.0.0.1/x\x00<&>"
NAMES = [
    "verb",
    "metadataPrefix",
    "from",
    "until",
    "set",
    "identifier",
    "resumptionToken",
    "query",
    "startRecord",
    "maximumRecords",
    "recordSchema",
    "operation",
    "version",
    "queryType",
    "recordXMLEscaping",
]
VALUES = [
    "Identify",
    "ListRecords",
    "ListIdentifiers",
    "GetRecord",
    "ListSets",
    "ListMetadataFormats",
    "marc21",
    "oai_dc",
    "member:riverside",
    "member",
    "2026-03-02",
    "2026-03-02T09:00:00Z",
    "9999-12-31",
    "0",
    "-1",
    "99999999999999999999",
    "searchRetrieve",
    "explain",
    "2.0",
    "1.2",
    "dc",
    "string",
    "cql",
]
WILD = st.text(alphabet=st.characters(codec="utf-8"), max_size=60)
VALUE = st.one_of(st.sampled_from(VALUES), WILD, st.text(alphabet=string.printable, max_size=5000))
PARAMS = st.dictionaries(
    st.one_of(st.sampled_from(NAMES), WILD), st.one_of(VALUE, st.lists(VALUE, min_size=1, max_size=3)), max_size=8
)
CQL_PIECES = [
    "title",
    "author",
    "dc.title",
    "any",
    "=",
    "==",
    "<",
    ">=",
    "all",
    "and",
    "or",
    "not",
    "prox",
    "(",
    ")",
    '"',
    "\\",
    "*",
    "^",
    "/",
    "moby",
    "红楼梦",
    "cql.allRecords",
    "1",
    "year",
    "1900",
    "sortBy",
    ">",
    "\x00",
    " ",
]
CQL = st.lists(st.one_of(st.sampled_from(CQL_PIECES), WILD), max_size=30).map(" ".join)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def well_formed(body: bytes) -> etree._Element:
    return etree.fromstring(body)


@SETTINGS
@given(PARAMS)
def test_oai_answers_any_arguments(params: dict[str, object]) -> None:
    response = handle_oai(params, BASE, HUB.published, HUB.clock)  # type: ignore[arg-type]
    assert response.status == 200
    well_formed(response.body)


@SETTINGS
@given(PARAMS)
def test_sru_answers_any_arguments(params: dict[str, object]) -> None:
    response = handle_sru(params, BASE, HUB.published)  # type: ignore[arg-type]
    assert response.status == 200
    well_formed(response.body)


@SETTINGS
@given(CQL, st.sampled_from(["1", "2", "99"]), st.sampled_from(["0", "3", "100"]))
def test_sru_answers_any_query(query: str, start: str, maximum: str) -> None:
    response = handle_sru({"query": query, "startRecord": start, "maximumRecords": maximum}, BASE, HUB.published)
    assert response.status == 200
    root = well_formed(response.body)
    assert etree.QName(root).localname == "searchRetrieveResponse"


@SETTINGS
@given(st.binary(max_size=400))
def test_raw_query_strings_of_any_bytes(data: bytes) -> None:
    for handler in (
        lambda: handle_oai(data, BASE, HUB.published, HUB.clock),
        lambda: handle_sru(data, BASE, HUB.published),
    ):
        response = handler()
        assert response.status == 200
        well_formed(response.body)


@SETTINGS
@given(st.text(max_size=300))
def test_any_resumption_token_is_refused_cleanly(token: str) -> None:
    root = well_formed(
        handle_oai({"verb": "ListRecords", "resumptionToken": token}, BASE, HUB.published, HUB.clock).body
    )
    assert root.find("{http://www.openarchives.org/OAI/2.0/}error") is not None


@pytest.mark.parametrize(
    "query",
    [
        "verb=ListRecords&metadataPrefix=marc21&from=" + "9" * 4000,
        "verb=ListRecords&metadataPrefix=marc21&until=99999-01-01",
        "verb=ListRecords&metadataPrefix=marc21&from=2026-03-02T24:00:00Z",
        "verb=GetRecord&metadataPrefix=marc21&identifier=oai:consortium.local:%00%01",
        "verb=GetRecord&metadataPrefix=marc21&identifier=oai%3Aconsortium.local%3A" + "a" * 3000,
        "verb=ListRecords&metadataPrefix=marc21&set=member:" + "%FF" * 10,
        "verb=Identify&" + "&".join(f"a{n}=1" for n in range(200)),
        "verb=%00Identify",
        "verb",
        "=&=&=",
        "%",
    ],
)
def test_hostile_query_strings(query: str) -> None:
    response = handle_oai(query, BASE, HUB.published, HUB.clock)
    assert response.status == 200
    error = well_formed(response.body).find("{http://www.openarchives.org/OAI/2.0/}error")
    assert error is not None and error.get("code") in ("badArgument", "badVerb", "idDoesNotExist", "noRecordsMatch")
