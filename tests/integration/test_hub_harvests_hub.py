"""One hub harvests another: hub A (the sample consortium on the local defaults, SQLite and tantivy) serves its
works over OAI-PMH (``marc21``) on 127.0.0.1; hub B, configured with one OAI-PMH source pointing at A, harvests
them with the project's own harvester, and has the same works. Then A changes (a work withdrawn, one edited)
and B's incremental harvest follows."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from factories import delete, make_page, upsert
from provider_server import ProviderServer

from consortium.adapters.local import SqliteClusterStore
from consortium.adapters.local.sqlite_common import open_database
from consortium.bootstrap import Container, bootstrap
from consortium.catalogue_out import PublishedCatalogue
from consortium.config import Settings
from consortium.search.query import SearchQuery

if TYPE_CHECKING:
    from collections.abc import Iterator

    from consortium.models import Cluster, Record

ROOT = Path(__file__).resolve().parents[2]
SAME = ("title", "subtitle", "uniform_title", "authors", "publisher", "year", "language", "edition", "series",
        "series_number", "pages", "subjects", "format")  # fmt: skip


@pytest.fixture(scope="module")
def hubs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Container, Container]]:
    tmp = tmp_path_factory.mktemp("hubs")
    a = bootstrap(Settings(data_dir=tmp / "a", members_file=ROOT / "members.toml", key_dir=tmp / "keys"))
    for member in a.registry.members:
        for source in member.sources:
            assert a.harvester.harvest_source(member, source).complete
    served = open_database(a.settings.sqlite_path, "cluster database", SqliteClusterStore, check_same_thread=False)
    catalogue = PublishedCatalogue.from_registry(a.registry, served, b"hub-a-token-key-for-tests", page_size=25)
    with ProviderServer(catalogue) as server:
        (tmp / "b").mkdir()
        registry = tmp / "b" / "members.toml"
        registry.write_text(
            '[[members]]\nid = "hub-a"\nname = "Consortium A"\n\n[[members.sources]]\nid = "oai"\n'
            f'protocol = "oai-pmh"\nurl = "{server.oai_url}"\nformat = "marcxml"\n'
        )
        b = bootstrap(Settings(data_dir=tmp / "b", members_file=registry, key_dir=tmp / "keys"))
        yield a, b
    served.close()
    b.close()
    a.close()


def harvest(b: Container) -> Any:
    member = b.registry.members[0]
    report = b.harvester.harvest_source(member, member.sources[0])
    assert report.complete
    return report.counts


def assert_same_works(a: Container, b: Container) -> None:
    """Each of B's records is one of A's works, field for field (holdings by place, call number and URL), and
    B clusters them into as many works as A has."""
    works: dict[str, Cluster] = {c.cluster_id: c for c in a.cluster_store.clusters()}
    records: list[Record] = list(b.record_store.records())
    assert sorted(r.local_id.rpartition(":")[2] for r in records) == sorted(works)
    for record in records:
        work = works[record.local_id.rpartition(":")[2]]
        for name in SAME:
            assert getattr(record, name) == getattr(work, name), (work.title, name)
        assert sorted(map(str, record.identifiers)) == sorted(map(str, work.identifiers)), work.title
        assert sorted(map(str, record.classifications)) == sorted(map(str, work.classifications)), work.title
        places = sorted(str((h.location, h.call_number, h.url)) for h in record.holdings)
        assert places == sorted(str((h.location, h.call_number, h.url)) for h in work.holdings), work.title
    assert b.cluster_store.count() == a.cluster_store.count()


def test_hub_b_harvests_the_same_works_from_hub_a(hubs: tuple[Container, Container]) -> None:
    a, b = hubs
    counts = harvest(b)
    assert counts.added == a.cluster_store.count() == 84 and counts.quarantined == 0
    assert_same_works(a, b)
    # B searches them like its own (held by its one member, hub A).
    assert b.search_index.search(SearchQuery(text="红楼梦")).total == 1
    algorithms = b.search_index.search(SearchQuery(title="introduction to algorithms")).hits
    assert [hit.members for hit in algorithms] == [["hub-a"]]


def test_hub_b_follows_hub_a_incrementally(hubs: tuple[Container, Container]) -> None:
    a, b = hubs
    if b.record_store.count() == 0:
        harvest(b)
    alone = next(c for c in a.cluster_store.clusters() if len(c.records) == 1 and "riverside" in c.members)
    edited = next(c for c in a.cluster_store.clusters() if len(c.records) == 1 and c.cluster_id != alone.cluster_id)
    withdrawn = delete(*alone.records[0])
    record = a.record_store.get(*edited.records[0])
    assert record is not None
    changed = upsert(record.model_copy(update={"title": record.title + " (revised)"}))
    a.record_store.commit(make_page(withdrawn, changed))
    a.catalogue.follow([withdrawn, changed])

    counts = harvest(b)
    assert (counts.deleted, counts.added) == (1, 0) and counts.changed >= 1
    assert b.record_store.get("hub-a", f"oai:consortium.local:{alone.cluster_id}") is None
    revised = b.record_store.get("hub-a", f"oai:consortium.local:{edited.cluster_id}")
    assert revised is not None and revised.title.endswith("(revised)")
    assert_same_works(a, b)
    assert harvest(b).added == 0  # nothing new: the next run lists only what changed since
