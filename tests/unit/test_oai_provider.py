"""The OAI-PMH provider (``handle_oai``) over a small in-memory hub: every verb, every error code, incremental
lists, sets, resumption tokens and deleted records."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import pytest
from lxml import etree
from provider_hub import KEY, START, Hub, book, generated_books, isbn13, sample_books

from consortium.catalogue_out import PublishedCatalogue, handle_oai

NS = {"o": "http://www.openarchives.org/OAI/2.0/", "m": "http://www.loc.gov/MARC21/slim"}
BASE = "https://hub.example.org/oai"


def oai(hub: Hub, params: Any = None, **kw: str) -> etree._Element:
    """The parsed answer to a request of ``params`` (or these keyword arguments)."""
    response = handle_oai(params if params is not None else kw, BASE, hub.published, hub.clock)
    assert (response.status, response.content_type) == (200, "text/xml; charset=utf-8")
    return etree.fromstring(response.body)


def error(root: etree._Element) -> str | None:
    found = root.find("o:error", NS)
    return found.get("code") if found is not None else None


def identifiers(root: etree._Element) -> list[str]:
    return [e.text or "" for e in root.iterfind(".//o:header/o:identifier", NS)]


def deleted(root: etree._Element) -> list[str]:
    return [
        h.findtext("o:identifier", namespaces=NS) or ""
        for h in root.iterfind(".//o:header", NS)
        if h.get("status") == "deleted"
    ]


def token(root: etree._Element) -> etree._Element | None:
    return root.find(".//o:resumptionToken", NS)


def oai_id(hub: Hub, member: str, local_id: str) -> str:
    return hub.published.oai_identifier(hub.work_of(member, local_id).cluster_id)


def harvest(hub: Hub, verb: str = "ListIdentifiers", **kw: str) -> tuple[list[str], list[etree._Element]]:
    """Every identifier of a list, following its tokens; and each response."""
    pages = [oai(hub, verb=verb, metadataPrefix=kw.pop("metadataPrefix", "marc21"), **kw)]
    while (following := token(pages[-1])) is not None and following.text:
        pages.append(oai(hub, verb=verb, resumptionToken=following.text))
    return [i for page in pages for i in identifiers(page)], pages


@pytest.fixture
def hub() -> Hub:
    hub = Hub(page_size=4)
    hub.add(*sample_books())
    return hub


def test_identify(hub: Hub) -> None:
    root = oai(hub, verb="Identify")
    identify = root.find("o:Identify", NS)
    assert identify is not None
    assert identify.findtext("o:baseURL", namespaces=NS) == BASE
    assert identify.findtext("o:protocolVersion", namespaces=NS) == "2.0"
    assert identify.findtext("o:deletedRecord", namespaces=NS) == "persistent"
    assert identify.findtext("o:granularity", namespaces=NS) == "YYYY-MM-DDThh:mm:ssZ"
    assert identify.findtext("o:earliestDatestamp", namespaces=NS) == "2026-03-02T09:00:01Z"
    assert root.find("o:request", NS).attrib == {"verb": "Identify"}  # type: ignore[union-attr]
    assert "oai:consortium.local:" in etree.tostring(identify).decode()


def test_list_metadata_formats(hub: Hub) -> None:
    prefixes = [e.text for e in oai(hub, verb="ListMetadataFormats").iterfind(".//o:metadataPrefix", NS)]
    assert prefixes == ["marc21", "oai_dc"]
    item = oai(hub, verb="ListMetadataFormats", identifier=oai_id(hub, "riverside", "r3"))
    assert len(item.findall(".//o:metadataFormat", NS)) == 2
    assert error(oai(hub, verb="ListMetadataFormats", identifier="oai:consortium.local:nope")) == "idDoesNotExist"
    assert error(oai(hub, verb="ListMetadataFormats", identifier="oai:elsewhere.org:x")) == "idDoesNotExist"


def test_list_sets_names_each_member_that_shows_its_holdings(hub: Hub) -> None:
    root = oai(hub, verb="ListSets")
    specs = [e.text for e in root.iterfind(".//o:setSpec", NS)]
    assert specs == ["member", "member:eastlake", "member:lakeside", "member:riverside"]
    assert "Riverside University Library" in etree.tostring(root).decode()
    assert error(oai(hub, verb="ListSets", resumptionToken="x")) == "badResumptionToken"
    lonely = Hub(members=())
    assert error(oai(lonely, verb="ListSets")) == "noSetHierarchy"
    assert error(oai(lonely, verb="ListRecords", metadataPrefix="marc21", set="member:x")) == "noSetHierarchy"


def test_get_record_in_both_formats(hub: Hub) -> None:
    identifier = oai_id(hub, "eastlake", "e1")
    root = oai(hub, verb="GetRecord", identifier=identifier, metadataPrefix="marc21")
    record = root.find(".//o:record", NS)
    assert record is not None and record.findtext("o:header/o:identifier", namespaces=NS) == identifier
    assert [s.text for s in record.iterfind("o:header/o:setSpec", NS)] == ["member:eastlake", "member:lakeside"]
    assert record.find(".//m:record", NS) is not None
    dc = oai(hub, verb="GetRecord", identifier=identifier, metadataPrefix="oai_dc")
    assert "<dc:title>红楼梦</dc:title>" in etree.tostring(dc, encoding="unicode")
    assert error(oai(hub, verb="GetRecord", identifier=identifier, metadataPrefix="mods")) == "cannotDisseminateFormat"
    assert error(oai(hub, verb="GetRecord", identifier=identifier + "x", metadataPrefix="marc21")) == "idDoesNotExist"


def test_a_work_only_a_member_not_sharing_its_holdings_holds_is_served_as_deleted(hub: Hub) -> None:
    """Outside that member the work is not in the catalogue (as in search and SRU): no title, no set, no holdings;
    a deleted header, so a harvester that had it learns it went."""
    identifier = oai_id(hub, "hidden", "h1")
    for prefix in ("marc21", "oai_dc"):
        root = oai(hub, verb="GetRecord", identifier=identifier, metadataPrefix=prefix)
        text = etree.tostring(root, encoding="unicode")
        assert "Whaling voyages" not in text and "Starbuck" not in text and "hidden" not in text
        header = root.find(".//o:record/o:header", NS)
        assert header is not None and header.get("status") == "deleted"
        assert root.find(".//o:metadata", NS) is None and root.find(".//o:setSpec", NS) is None
    listed = etree.tostring(oai(hub, verb="ListRecords", metadataPrefix="oai_dc"), encoding="unicode")
    assert "Whaling voyages" not in listed and "Starbuck" not in listed and "Moby" in listed
    assert error(oai(hub, verb="ListIdentifiers", metadataPrefix="marc21", set="member:hidden")) == "noRecordsMatch"


def test_a_work_a_hiding_member_shares_with_others_is_served_with_their_holdings_only(hub: Hub) -> None:
    shared = dict(authors=["Cormen, Thomas H."], year=2009, publisher="MIT Press", language="eng")
    hub.add(book("hidden", "h2", "Introduction to algorithms", isbn=isbn13(262033848), **shared))
    identifier = oai_id(hub, "hidden", "h2")
    assert identifier == oai_id(hub, "riverside", "r1")  # one work of three members
    root = oai(hub, verb="GetRecord", identifier=identifier, metadataPrefix="marc21")
    text = etree.tostring(root, encoding="unicode")
    assert root.find(".//o:header", NS).get("status") is None and "Introduction to algorithms" in text
    assert "hidden" not in text and 'tag="852"' in text and "riverside" in text


def test_a_token_chain_lists_every_work_once(hub: Hub) -> None:
    hub.add(*generated_books(9))
    found, pages = harvest(hub)
    assert len(found) == len(set(found)) == hub.clusters.count() == 19
    assert len(pages) == 5
    tokens = [token(page) for page in pages]
    assert [t.get("cursor") for t in tokens] == ["0", "4", "8", "12", "16"]  # type: ignore[union-attr]
    assert {t.get("completeListSize") for t in tokens} == {"19"}  # type: ignore[union-attr]
    assert tokens[0].get("expirationDate") == "2026-03-03T09:00:02Z"  # type: ignore[union-attr]
    assert tokens[-1].text is None and tokens[-1].get("expirationDate") is None  # type: ignore[union-attr]
    records, _ = harvest(hub, "ListRecords", metadataPrefix="oai_dc")
    assert records == found


def test_a_list_in_one_page_has_no_token(hub: Hub) -> None:
    root = oai(hub, verb="ListIdentifiers", metadataPrefix="marc21", set="member:eastlake")
    assert len(identifiers(root)) == 3 and token(root) is None


def test_a_change_during_a_harvest_comes_in_the_next_one(hub: Hub) -> None:
    hub.clock.advance(timedelta(minutes=1))
    first = oai(hub, verb="ListIdentifiers", metadataPrefix="marc21")
    hub.add(book("riverside", "late", "A book catalogued during the harvest"))
    seen = identifiers(first)
    page = first
    while (following := token(page)) is not None and following.text:
        page = oai(hub, verb="ListIdentifiers", resumptionToken=following.text)
        seen += identifiers(page)
    late = oai_id(hub, "riverside", "late")
    assert late not in seen and len(seen) == 10
    since = first.findtext("o:responseDate", namespaces=NS)
    assert since is not None
    assert identifiers(oai(hub, verb="ListIdentifiers", metadataPrefix="marc21", **{"from": since})) == [late]


def test_from_and_until_select_by_last_change(hub: Hub) -> None:
    hub.clock.advance(timedelta(hours=1))
    hub.add(book("lakeside", "l9", "A later book"))
    later = oai_id(hub, "lakeside", "l9")
    assert identifiers(
        oai(hub, verb="ListIdentifiers", metadataPrefix="marc21", **{"from": "2026-03-02T10:00:02Z"})
    ) == [later]
    # until includes its whole second; a day includes the whole day.
    until = {"until": "2026-03-02T09:00:01Z"}
    assert len(identifiers(oai(hub, verb="ListIdentifiers", metadataPrefix="marc21", **until))) == 4
    assert (
        error(oai(hub, verb="ListIdentifiers", metadataPrefix="marc21", until="2026-03-02T09:00:00Z"))
        == "noRecordsMatch"
    )
    day = oai(hub, verb="ListIdentifiers", metadataPrefix="oai_dc", **{"from": "2026-03-02", "until": "2026-03-02"})
    assert identifiers(day)[:4] == identifiers(oai(hub, verb="ListIdentifiers", metadataPrefix="marc21", **until))
    assert (
        error(oai(hub, verb="ListIdentifiers", metadataPrefix="marc21", **{"from": "2026-03-03"})) == "noRecordsMatch"
    )
    assert error(oai(hub, verb="ListIdentifiers", metadataPrefix="marc21", until="9999-12-31")) is None
    header = oai(hub, verb="GetRecord", identifier=later, metadataPrefix="marc21").find(".//o:datestamp", NS)
    assert header is not None and header.text == "2026-03-02T10:00:02Z"


@pytest.mark.parametrize(
    ("dates", "message"),
    [
        ({"from": "2026-03-02T09:00:00"}, "not a UTC date"),
        ({"from": "2026-03-02T09:00:00.5Z"}, "not a UTC date"),
        ({"from": "2026-02-30"}, "not a real date"),
        ({"until": "2026-1-1"}, "not a UTC date"),
        ({"until": "0000-01-01"}, "not a real date"),
        ({"from": "yesterday"}, "not a UTC date"),
        ({"from": "2026-03-02", "until": "2026-03-02T10:00:00Z"}, "same granularity"),
        ({"from": "2026-03-03", "until": "2026-03-02"}, "later than until"),
    ],
)
def test_bad_dates_are_bad_arguments(hub: Hub, dates: dict[str, str], message: str) -> None:
    root = oai(hub, verb="ListRecords", metadataPrefix="marc21", **dates)
    assert error(root) == "badArgument"
    assert message in (root.findtext("o:error", namespaces=NS) or "")
    assert root.find("o:request", NS).attrib == {}  # type: ignore[union-attr]


def test_sets_select_a_members_works(hub: Hub) -> None:
    lakeside, _ = harvest(hub, set="member:lakeside")
    assert sorted(lakeside) == sorted(oai_id(hub, "lakeside", n) for n in ("l1", "l2", "l3", "l4", "l5"))
    assert error(oai(hub, verb="ListRecords", metadataPrefix="marc21", set="member:nobody")) == "noRecordsMatch"
    assert error(oai(hub, verb="ListRecords", metadataPrefix="marc21", set="format:book")) == "noRecordsMatch"
    everything, _ = harvest(hub, set="member")
    assert len(everything) == hub.clusters.count()


def test_withdrawn_and_merged_works_are_deleted_records(hub: Hub) -> None:
    moby, algorithms = oai_id(hub, "riverside", "r3"), oai_id(hub, "riverside", "r1")
    hub.withdraw(("riverside", "r3"))
    since = {"from": "2026-03-02T09:00:02Z"}
    root = oai(hub, verb="ListIdentifiers", metadataPrefix="marc21", **since)
    assert deleted(root) == [moby] and identifiers(root) == [moby]
    header = root.find(".//o:header", NS)
    assert header is not None and [s.text for s in header.iterfind("o:setSpec", NS)] == ["member:riverside"]
    gone = oai(hub, verb="GetRecord", identifier=moby, metadataPrefix="marc21")
    assert deleted(gone) == [moby] and gone.find(".//o:metadata", NS) is None
    assert gone.findtext(".//o:datestamp", namespaces=NS) == "2026-03-02T09:00:02Z"  # when dedup deleted it
    # A record that joins another work: its old work disappears (deleted), the work it joins changes.
    hub.add(book("eastlake", "e9", "Introduction to algorithms, third edition"))
    lone = oai_id(hub, "eastlake", "e9")
    hub.add(
        book(
            "eastlake",
            "e9",
            "Introduction to algorithms",
            isbn=sample_books()[0].identifiers[0].value,
            authors=["Cormen, Thomas H."],
            year=2009,
            publisher="MIT Press",
            language="eng",
        )
    )
    assert hub.work_of("eastlake", "e9").cluster_id == algorithms.rpartition(":")[2]
    root = oai(hub, verb="ListRecords", metadataPrefix="marc21", **{"from": "2026-03-02T09:00:04Z"})
    assert sorted(identifiers(root)) == sorted([algorithms, lone]) and deleted(root) == [lone]
    assert len(root.findall(".//o:metadata", NS)) == 1
    assert lone in harvest(hub, set="member:eastlake")[0]


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, "badVerb"),
        ({"verb": "ListThings"}, "badVerb"),
        ({"verb": ["Identify", "Identify"]}, "badVerb"),
        ({"verb": "Identify", "extra": "1"}, "badArgument"),
        ({"verb": "ListRecords"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": ["marc21", "oai_dc"]}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": ""}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "marc21", "resumptionToken": "x"}, "badArgument"),
        ({"verb": "GetRecord", "identifier": "oai:consortium.local:x"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "mods"}, "cannotDisseminateFormat"),
        ({"verb": "ListIdentifiers", "resumptionToken": "not-a-token"}, "badResumptionToken"),
        ({"verb": "ListRecords", "metadataPrefix": "marc21", "from": "2030-01-01"}, "noRecordsMatch"),
    ],
)
def test_every_error_code(hub: Hub, params: dict[str, Any], code: str) -> None:
    root = oai(hub, params)
    assert error(root) == code
    request = root.find("o:request", NS)
    assert request is not None and request.text == BASE
    if code in ("badVerb", "badArgument"):
        assert request.attrib == {}


def test_tokens_are_tamper_evident_and_expire(hub: Hub) -> None:
    first = token(oai(hub, verb="ListRecords", metadataPrefix="marc21"))
    assert first is not None and first.text
    body, _, mac = first.text.partition(".")
    state = json.loads(base64.urlsafe_b64decode(body + "=="))
    state["position"] = 0
    forged = base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=") + "." + mac
    for bad in (forged, first.text[:-3] + "AAA", first.text + "x", "", ".", first.text.replace(".", "")):
        if bad:
            assert error(oai(hub, verb="ListRecords", resumptionToken=bad)) == "badResumptionToken", bad
    assert error(oai(hub, verb="ListIdentifiers", resumptionToken=first.text)) == "badResumptionToken"
    other_key = Hub(page_size=4)
    other_key.published = PublishedCatalogue(clusters=hub.clusters, token_key=b"another-key-of-sixteen-bytes")
    assert error(oai(other_key, verb="ListRecords", resumptionToken=first.text)) == "badResumptionToken"
    assert error(oai(hub, verb="ListRecords", resumptionToken=first.text)) is None
    hub.clock.advance(timedelta(hours=24))
    expired = oai(hub, verb="ListRecords", resumptionToken=first.text)
    assert error(expired) == "badResumptionToken" and "expired" in (expired.findtext("o:error", namespaces=NS) or "")


def test_arguments_come_as_a_query_string_a_form_body_or_a_mapping(hub: Hub) -> None:
    for params in (
        "verb=ListIdentifiers&metadataPrefix=marc21&set=member%3Aeastlake",
        b"verb=ListIdentifiers&metadataPrefix=marc21&set=member:eastlake",
        {"verb": ["ListIdentifiers"], "metadataPrefix": "marc21", "set": ("member:eastlake",)},
    ):
        assert len(identifiers(oai(hub, params))) == 3
    assert error(oai(hub, b"verb=Identify&x=\xff")) == "badArgument"
    assert error(oai(hub, "&".join(["verb=Identify"] * 40))) == "badArgument"
    assert error(oai(hub, {"verb": "GetRecord", "identifier": "x" * 5000, "metadataPrefix": "marc21"})) == "badArgument"


def test_a_big_catalogue_is_listed_a_page_at_a_time() -> None:
    """A page reads page_size + 1 entries of the change index, never the whole catalogue."""
    hub = Hub(page_size=50)
    hub.add(*generated_books(400))

    class Counting:
        def __init__(self, inner: Any) -> None:
            self.inner, self.read = inner, 0

        def __getattr__(self, name: str) -> Any:
            if name in ("clusters", "new_since", "most_shared"):
                raise AssertionError(f"{name} reads the whole catalogue")
            return getattr(self.inner, name)

        def changed(self, *args: Any, **kw: Any) -> Any:
            found = self.inner.changed(*args, **kw)
            self.read += len(found)
            return found

    counting = Counting(hub.clusters)
    hub.published = PublishedCatalogue(clusters=counting, token_key=KEY, page_size=50)  # type: ignore[arg-type]
    root = oai(hub, verb="ListRecords", metadataPrefix="marc21")
    assert len(identifiers(root)) == 50 and counting.read == 51
    assert token(root).get("completeListSize") == "400"  # type: ignore[union-attr]
    assert START < hub.clock()


def test_a_rebuild_lists_the_old_works_as_deleted_and_the_new_ones(hub: Hub) -> None:
    """``consortium dedup rebuild`` gives works new ids: a harvester sees every old id deleted, every new one."""
    before = set(harvest(hub)[0])
    hub.clock.advance(timedelta(minutes=1))
    hub.catalogue.rebuild()
    found, pages = harvest(hub, **{"from": "2026-03-02T09:01:00Z"})
    gone = {identifier for page in pages for identifier in deleted(page)}
    withheld = {oai_id(hub, "hidden", "h1")}  # the new id of the work only "hidden" holds: deleted from the start
    assert gone == before | withheld and len(set(found) - before) == hub.clusters.count() == 10
