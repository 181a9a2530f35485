"""The hub's OAI-PMH provider harvested over HTTP by sickle, a harvester no one here wrote, on 127.0.0.1 (the
handlers served by waitress, ``provider_server.py``): token chains, incremental runs, sets, deletes after
records merge or are withdrawn, and OAI errors as sickle raises them. One hub keeps its works in SQLite."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from provider_hub import Hub, book, generated_books, sample_books
from provider_server import ProviderServer
from sickle import Sickle
from sickle.oaiexceptions import (
    BadArgument,
    BadResumptionToken,
    CannotDisseminateFormat,
    IdDoesNotExist,
    NoRecordsMatch,
)

from consortium.adapters.local import SqliteClusterStore, SqliteRecordStore
from consortium.adapters.local.sqlite_common import open_database

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

MARC = "{http://www.loc.gov/MARC21/slim}"


@pytest.fixture(params=["memory", "sqlite"])
def hub(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Hub]:
    if request.param == "memory":
        yield Hub(page_size=3)
        return
    path = tmp_path / "hub.sqlite3"  # used by the server's thread too
    clusters = open_database(path, "cluster database", SqliteClusterStore, check_same_thread=False)
    records = open_database(path, "record database", SqliteRecordStore, check_same_thread=False)
    yield Hub(page_size=3, clusters=clusters, records=records)
    clusters.close()
    records.close()


def ids(records: object) -> list[str]:
    return [r.header.identifier for r in records]  # type: ignore[attr-defined]


def test_sickle_follows_the_token_chain_over_several_pages(hub: Hub) -> None:
    hub.add(*sample_books())
    hub.add(*generated_books(8))
    with ProviderServer(hub.published, hub.clock) as server:
        sickle = Sickle(server.oai_url, max_retries=0, timeout=60)
        listing = sickle.ListRecords(metadataPrefix="marc21")
        records = list(listing)
        assert len(records) == len(set(ids(records))) == hub.clusters.count() == 18
        token = listing.resumption_token
        assert token is not None and (token.cursor, token.complete_list_size) == ("15", "18")
        assert [r.header.deleted for r in records].count(True) == 1  # the work only "hidden" holds: withheld
        shown = [r for r in records if not r.header.deleted]
        titles = {r.xml.find(f".//{MARC}datafield[@tag='245']/{MARC}subfield[@code='a']").text for r in shown}
        assert {"红楼梦", "Introduction to algorithms", "Generated volume 7 of the consortium test shelf"} <= titles
        headers = list(sickle.ListIdentifiers(metadataPrefix="oai_dc"))
        assert [h.identifier for h in headers] == ids(records)
        dc = list(sickle.ListRecords(metadataPrefix="oai_dc", set="member:eastlake"))
        assert sorted(r.metadata["title"][0] for r in dc) == ["三体", "活着", "红楼梦"]
        assert sickle.Identify().deletedRecord == "persistent"
        sets = [s.setSpec for s in sickle.ListSets()]
        assert sets == ["member", "member:eastlake", "member:lakeside", "member:riverside"]
        formats = [f.metadataPrefix for f in sickle.ListMetadataFormats()]
        assert formats == ["marc21", "oai_dc"]


def test_sickle_harvests_incrementally_and_sees_deletes(hub: Hub) -> None:
    hub.add(*sample_books())
    with ProviderServer(hub.published, hub.clock) as server:
        sickle = Sickle(server.oai_url, max_retries=0, timeout=60)
        first = sickle.ListRecords(metadataPrefix="marc21")
        everything = {r.header.identifier: r for r in first}
        since = first.oai_response.xml.findtext("{http://www.openarchives.org/OAI/2.0/}responseDate")
        assert len(everything) == 10 and since == "2026-03-02T09:00:01Z"

        hub.clock.advance(timedelta(minutes=5))
        moby = hub.published.oai_identifier(hub.work_of("riverside", "r3").cluster_id)
        algorithms = hub.published.oai_identifier(hub.work_of("riverside", "r1").cluster_id)
        hub.withdraw(("riverside", "r3"))  # a member withdraws its only copy: the work goes
        hub.add(book("eastlake", "e8", "Intro to algorithms"))  # a new work ...
        lone = hub.published.oai_identifier(hub.work_of("eastlake", "e8").cluster_id)
        first = sample_books()[0]  # ... then catalogued again, as the work the others hold: the two merge
        hub.add(book("eastlake", "e8", first.title, isbn=first.identifiers[0].value, authors=first.authors, year=2009))
        assert hub.work_of("eastlake", "e8").cluster_id == algorithms.rpartition(":")[2]

        changed = list(sickle.ListRecords(metadataPrefix="marc21", **{"from": "2026-03-02T09:01:00Z"}))
        status = {r.header.identifier: r.header.deleted for r in changed}
        assert status == {moby: True, lone: True, algorithms: False}
        merged = next(r for r in changed if r.header.identifier == algorithms)
        holders = [
            f.find(f"{MARC}subfield[@code='a']").text for f in merged.xml.iterfind(f".//{MARC}datafield[@tag='852']")
        ]
        assert sorted(holders) == ["eastlake", "lakeside", "riverside"]
        gone = next(r for r in changed if r.header.identifier == moby)
        assert gone.deleted and gone.xml.find("{http://www.openarchives.org/OAI/2.0/}metadata") is None
        by_set = sickle.ListIdentifiers(
            metadataPrefix="marc21", set="member:riverside", **{"from": "2026-03-02T09:01:00Z"}
        )
        assert {h.identifier: h.deleted for h in by_set} == {moby: True, algorithms: False}
        assert sickle.GetRecord(identifier=moby, metadataPrefix="oai_dc").header.deleted


def test_sickle_raises_the_oai_errors_it_is_given(hub: Hub) -> None:
    hub.add(*sample_books())
    with ProviderServer(hub.published, hub.clock) as server:
        sickle = Sickle(server.oai_url, max_retries=0, timeout=60)
        with pytest.raises(CannotDisseminateFormat):
            list(sickle.ListRecords(metadataPrefix="mods"))
        with pytest.raises(NoRecordsMatch):
            list(sickle.ListRecords(metadataPrefix="marc21", **{"from": "2030-01-01"}))
        with pytest.raises(BadArgument):
            list(sickle.ListRecords(metadataPrefix="marc21", **{"from": "2026-03-02T09:00Z"}))
        with pytest.raises(BadResumptionToken):
            list(sickle.ListRecords(resumptionToken="forged.token"))
        with pytest.raises(IdDoesNotExist):
            sickle.GetRecord(identifier="oai:consortium.local:nothing", metadataPrefix="marc21")
    with ProviderServer(hub.published, hub.clock) as server:
        post = Sickle(server.oai_url, http_method="POST", max_retries=0, timeout=60)
        assert len(list(post.ListIdentifiers(metadataPrefix="marc21"))) == 10
