"""Clusters and the index follow every committed page, even when the process died in between."""

from __future__ import annotations

from pathlib import Path

import pytest
from marc_builders import book

from consortium.adapters.memory import InMemoryBlobStore, InMemoryRecordStore, InMemorySearchIndex
from consortium.adapters.memory.clusters import InMemoryClusterStore
from consortium.catalogue import Catalogue
from consortium.dedup.service import DedupService
from consortium.harvest.service import HarvestService
from consortium.members import Member, Source
from consortium.search.query import SearchQuery

MEMBER = Member(id="riverside", name="Riverside")


class Died(Exception):
    """The process stops here."""


def test_a_page_committed_but_never_clustered_is_clustered_on_the_next_run(tmp_path: Path) -> None:
    records, clusters, index = InMemoryRecordStore(), InMemoryClusterStore(), InMemorySearchIndex()
    catalogue = Catalogue(records, clusters, index, DedupService(records, clusters))
    path = tmp_path / "f.mrc"
    path.write_bytes(b"".join(book(f"b{i}", f"Book number {i}").as_marc() for i in range(5)))
    source = Source.model_validate({"id": "f", "protocol": "marc-file", "path": path, "format": "marc21"})
    calls = {"n": 0}

    def follow(keys: list[tuple[str, str]]) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise Died  # after the second page's commit, before its clustering
        catalogue.follow(keys)

    harvester = HarvestService(records, InMemoryBlobStore(), page_size=2, on_commit=follow)
    with pytest.raises(Died):
        harvester.harvest_source(MEMBER, source)
    assert records.count() == 4 and clusters.count() == 2

    report = harvester.harvest_source(MEMBER, source)
    assert report.complete and report.resumed
    assert clusters.count() == 5
    assert index.search(SearchQuery(text="book number 3")).total == 1
