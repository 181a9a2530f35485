"""SRU 2.0 (``handle_sru``) and its CQL subset over a small in-memory hub: indexes and their aliases, relations,
booleans, paging, schemas, explain, and a diagnostic naming each thing a client can get wrong."""

from __future__ import annotations

from itertools import product
from typing import Any

import pytest
from lxml import etree
from provider_hub import Hub, generated_books, sample_books

from consortium.catalogue_out import PublishedCatalogue, handle_sru
from consortium.catalogue_out.cql import CqlError, disjunction, parse_cql

NS = {
    "s": "http://docs.oasis-open.org/ns/search-ws/sruResponse",
    "d": "http://docs.oasis-open.org/ns/search-ws/diagnostic",
    "m": "http://www.loc.gov/MARC21/slim",
    "dc": "http://purl.org/dc/elements/1.1/",
    "zr": "http://explain.z3950.org/dtd/2.0/",
}
BASE = "http://127.0.0.1:8000/sru"


@pytest.fixture(scope="module")
def hub() -> Hub:
    hub = Hub()
    hub.add(*sample_books())
    hub.add(*generated_books(150))
    return hub


def sru(hub: Hub, params: Any = None, **kw: str) -> etree._Element:
    response = handle_sru(params if params is not None else kw, BASE, hub.published)
    assert (response.status, response.content_type) == (200, "text/xml; charset=utf-8")
    return etree.fromstring(response.body)


def total(root: etree._Element) -> int:
    return int(root.findtext("s:numberOfRecords", namespaces=NS) or "-1")


def titles(root: etree._Element) -> list[str]:
    found = []
    for record in root.iterfind(".//s:recordData", NS):
        marc = record.find(".//m:datafield[@tag='245']/m:subfield[@code='a']", NS)
        dc = record.find(".//dc:title", NS)
        found.append((marc if marc is not None else dc).text or "")  # type: ignore[union-attr]
    return found


def diagnostic(root: etree._Element) -> tuple[str, str] | None:
    found = root.find(".//d:diagnostic", NS)
    if found is None:
        return None
    return (found.findtext("d:uri", namespaces=NS) or "").rpartition("/")[2], found.findtext(
        "d:details", namespaces=NS
    ) or ""


def found(hub: Hub, query: str) -> set[str]:
    root = sru(hub, query=query, maximumRecords="100")
    assert diagnostic(root) is None, diagnostic(root)
    return set(titles(root))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("algorithms", {"Introduction to algorithms"}),
        ("title = algorithms", {"Introduction to algorithms"}),
        ('dc.title="introduction algorithms"', {"Introduction to algorithms"}),
        ('TITLE all "art programming"', {"The art of computer programming"}),
        ('title adj "computer programming"', {"The art of computer programming"}),
        ("title == 红楼梦", {"红楼梦"}),
        ("author = knuth", {"The art of computer programming"}),
        ("dc.creator=刘慈欣", {"三体"}),
        ('bath.author = "Melville"', {"Moby Dick"}),
        ("subject = whaling", {"Moby Dick", "Whaling voyages"}),
        ("dc.subject = 科幻小说", {"三体"}),
        ("isbn = 9787020002207", {"红楼梦"}),
        ("isbn = 978-7-02-000220-7", {"红楼梦"}),
        ("isbn = 702000220X", {"红楼梦"}),
        ("cql.serverChoice = 活着", {"活着"}),
        ("cql.anywhere = whaling", {"Moby Dick", "Whaling voyages"}),
    ],
)
def test_indexes_and_their_aliases(hub: Hub, query: str, expected: set[str]) -> None:
    assert found(hub, query) == expected


def test_isbn_finds_the_work(hub: Hub) -> None:
    isbn = sample_books()[2].identifiers[0].value
    assert found(hub, f"isbn = {isbn}") == {"红楼梦"}
    assert found(hub, f'bath.isbn any "{isbn} {sample_books()[0].identifiers[0].value}"') == {
        "红楼梦",
        "Introduction to algorithms",
    }


def test_booleans_and_parentheses(hub: Hub) -> None:
    assert found(hub, "whaling or 三体") == {"Moby Dick", "Whaling voyages", "三体"}
    assert found(hub, "subject=whaling not author=melville") == {"Whaling voyages"}
    assert found(hub, "subject=whaling and author=melville") == {"Moby Dick"}
    assert found(hub, "(moby or 活着) and year < 1900") == {"Moby Dick"}
    assert found(hub, "moby or 活着 and year < 1900") == {"Moby Dick"}  # left to right: (moby or 活着) and ...
    assert found(hub, "moby or (活着 and year < 1900)") == {"Moby Dick"}
    assert found(hub, "moby or (活着 and year > 1900)") == {"Moby Dick", "活着"}
    assert found(hub, 'title any "moby nature 活着"') == {"Moby Dick", "Nature", "活着"}
    assert found(hub, "cql.allRecords = 1 not title = generated") == {t.title for t in sample_books()}
    assert found(hub, "whaling not (author = melville or author = starbuck)") == set()
    assert found(hub, "year >= 2008 and year <= 2009 not 三体 not generated") == {"Introduction to algorithms"}
    assert found(hub, "year = 1851 or year = 1878") == {"Moby Dick", "Whaling voyages"}


def test_boolean_results_match_the_sets_of_their_leaves(hub: Hub) -> None:
    """Every combination of two leaves and a boolean: the SRU result is the set algebra of the leaves' results."""
    leaves = ["subject = whaling", "year < 1900", "chinese or 三体", 'title any "moby 活着"', "author = melville"]
    alone = {leaf: found(hub, leaf) for leaf in leaves}
    for (a, b), op in product(product(leaves, leaves), ["and", "or", "not"]):
        expected = {"and": alone[a] & alone[b], "or": alone[a] | alone[b], "not": alone[a] - alone[b]}[op]
        assert found(hub, f"({a}) {op} ({b})") == expected, f"({a}) {op} ({b})"


def test_paging_by_start_record_and_maximum_records(hub: Hub) -> None:
    query = "title = generated"
    first = sru(hub, query=query, maximumRecords="7")
    assert total(first) == 150 and len(titles(first)) == 7
    assert first.findtext("s:nextRecordPosition", namespaces=NS) == "8"
    everything = titles(sru(hub, query=query, maximumRecords="100")) + titles(
        sru(hub, query=query, startRecord="101", maximumRecords="100")
    )
    assert len(everything) == len(set(everything)) == 150
    middle = sru(hub, query=query, startRecord="98", maximumRecords="5")
    assert titles(middle) == everything[97:102]
    assert [p.text for p in middle.iterfind(".//s:recordPosition", NS)] == ["98", "99", "100", "101", "102"]
    last = sru(hub, query=query, startRecord="148", maximumRecords="10")
    assert len(titles(last)) == 3 and last.find("s:nextRecordPosition", NS) is None
    counted = sru(hub, query=query, maximumRecords="0")
    assert total(counted) == 150 and titles(counted) == []
    assert len(titles(sru(hub, query=query, maximumRecords="1000"))) == 100
    assert len(titles(sru(hub, query=query))) == 10
    past = sru(hub, query=query, startRecord="151")
    assert total(past) == 150 and titles(past) == [] and diagnostic(past) == ("61", "151")
    boolean = titles(sru(hub, query=f"{query} or moby", startRecord="148", maximumRecords="10"))
    assert len(boolean) == 4


def test_record_schemas_and_escaping(hub: Hub) -> None:
    marc = sru(hub, query="moby", recordSchema="info:srw/schema/1/marcxml-v1.1")
    assert marc.findtext(".//s:recordSchema", namespaces=NS) == "info:srw/schema/1/marcxml-v1.1"
    dc = sru(hub, query="moby", recordSchema="dc")
    assert dc.findtext(".//s:recordSchema", namespaces=NS) == "info:srw/schema/1/dc-v1.1"
    assert dc.findtext(".//dc:creator", namespaces=NS) == "Melville, Herman"
    escaped = sru(hub, query="moby", recordXMLEscaping="string")
    data = escaped.findtext(".//s:recordData", namespaces=NS) or ""
    assert data.startswith("<record xmlns=") and escaped.findtext(".//s:recordXMLEscaping", namespaces=NS) == "string"
    assert "Moby Dick" in etree.tostring(etree.fromstring(data.encode()), encoding="unicode")
    assert diagnostic(sru(hub, query="moby", recordSchema="mods")) == ("66", "mods")
    assert diagnostic(sru(hub, query="moby", recordXMLEscaping="json")) == ("71", "json")


def test_explain(hub: Hub) -> None:
    for params in ({}, {"operation": "explain", "version": "2.0"}):
        root = sru(hub, params)
        assert etree.QName(root).localname == "explainResponse"
        assert root.findtext(".//zr:host", namespaces=NS) == "127.0.0.1"
        assert root.findtext(".//zr:port", namespaces=NS) == "8000"
        indexes = [e.text for e in root.iterfind(".//zr:index/zr:title", NS)]
        assert indexes == ["title", "author", "subject", "isbn", "any", "year"]


@pytest.mark.parametrize(
    ("params", "number", "details"),
    [
        ({"query": "title="}, "10", "="),
        ({"query": "(title = moby"}, "13", "("),
        ({"query": "moby)"}, "13", ")"),
        ({"query": '"moby'}, "14", '"moby'),
        ({"query": "publisher = mit"}, "16", "publisher"),
        ({"query": "title < moby"}, "19", "<"),
        ({"query": "title =/cql.stem moby"}, "20", "="),
        ({"query": 'title = ""'}, "27", "title"),
        ({"query": "title = mob*"}, "28", "mob*"),
        ({"query": "title = ^moby"}, "31", "^moby"),
        ({"query": "year = nineteen"}, "36", "nineteen"),
        ({"query": "title = ..."}, "36", "title"),
        ({"query": "moby prox dick"}, "37", "prox"),
        ({"query": "moby and/rel.algorithm=cori dick"}, "46", "and"),
        ({"query": " or ".join(["moby"] * 30)}, "38", "24"),
        ({"query": '>dc="info:srw/cql-context-set/1/dc-v1.1" dc.title=moby'}, "48", "prefix assignment"),
        ({"query": "moby sortBy dc.title"}, "80", "sortBy"),
        ({"query": "(" * 40 + "moby" + ")" * 40}, "13", "16"),
        ({"query": "title = " + "x" * 300}, "23", "x" * 40),
        ({"operation": "searchRetrieve"}, "7", "query"),
        ({"query": "  "}, "7", "query"),
        ({"operation": "scan", "scanClause": "title"}, "8", "scanClause"),
        ({"operation": "scan"}, "4", "scan"),
        ({"query": "moby", "version": "1.2"}, "5", "2.0"),
        ({"query": "moby", "queryType": "pqf"}, "6", "queryType"),
        ({"query": "moby", "startRecord": "0"}, "6", "startRecord"),
        ({"query": "moby", "maximumRecords": "-1"}, "6", "maximumRecords"),
        ({"query": "moby", "maximumRecords": "9" * 30}, "6", "maximumRecords"),
        ({"query": ["moby", "dick"]}, "6", "query"),
        ({"query": "moby", "QUERY": "dick"}, "6", "QUERY"),
        ({"query": "moby", "sortKeys": "title"}, "8", "sortKeys"),
        ({"query": "moby", "startRecord": "10001"}, "61", "10001"),
    ],
)
def test_diagnostics_name_the_problem(hub: Hub, params: dict[str, Any], number: str, details: str) -> None:
    root = sru(hub, params)
    assert diagnostic(root) == (number, details)
    assert root.find(".//d:message", NS) is not None


def test_extension_parameters_and_earlier_clients_parameters_are_accepted(hub: Hub) -> None:
    root = sru(
        hub,
        {
            "query": "moby",
            "x-info-debug": "1",
            "operation": "searchRetrieve",
            "version": "2.0",
            "recordPacking": "xml",
            "resultSetTTL": "60",
        },
    )
    assert diagnostic(root) is None and titles(root) == ["Moby Dick"]
    assert titles(sru(hub, "query=title%3D%22moby%20dick%22&recordSchema=marcxml")) == ["Moby Dick"]


def test_without_a_search_index_every_search_is_a_diagnostic(hub: Hub) -> None:
    bare = Hub()
    bare.published = PublishedCatalogue(clusters=hub.clusters, token_key=b"0123456789abcdef")
    assert diagnostic(sru(bare, query="moby")) == ("1", "search")
    assert etree.QName(sru(bare, {})).localname == "explainResponse"


def test_a_work_gone_since_the_search_is_a_surrogate_diagnostic() -> None:
    hub = Hub()
    hub.add(*sample_books())
    hub.index.upsert([hub.work_of("riverside", "r3").model_copy(update={"cluster_id": "vanished"})])
    root = sru(hub, query="moby")
    schemas = [e.text for e in root.iterfind(".//s:recordSchema", NS)]
    assert "info:srw/schema/1/diagnostics-v1.1" in schemas and total(root) == 2


@pytest.mark.parametrize(
    ("query", "branches"),
    [
        ("a", 1),
        ("a or b or c", 3),
        ("(a or b) and (c or d)", 4),
        ("a not (b not c)", 2),
        ('title any "a b c d" and (x or y)', 8),
    ],
)
def test_queries_become_disjunctions(query: str, branches: int) -> None:
    assert len(disjunction(parse_cql(query))) == branches


def test_a_query_that_expands_too_far_is_refused() -> None:
    with pytest.raises(CqlError) as refused:
        disjunction(parse_cql(" and ".join(f"(a{n} or b{n})" for n in range(6))))
    assert refused.value.number == 38
