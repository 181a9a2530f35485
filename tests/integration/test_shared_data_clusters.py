"""Clustering the real MARC records of ../shared/data (see its SOURCES.md).

Open Library's test records come twice, as binary MARC21 (``bin_input``) and as MARCXML (``xml_input``): treated
as two members, each record written both ways must form one work with itself and with nothing else. The sets
of the other libraries share no work with them, so they must add no merge.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from consortium.adapters.memory import InMemoryBlobStore, InMemoryRecordStore
from consortium.adapters.memory.clusters import InMemoryClusterStore
from consortium.dedup.service import DedupService
from consortium.harvest.service import HarvestService
from consortium.members import Member, Source

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "marc"
pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason="needs ../shared/data/marc beside the repository")

SETS = {
    "olbin": ("openlibrary/bin_input", "marc21"),
    "olxml": ("openlibrary/xml_input", "marcxml"),
    "traject": ("traject", None),
    "recordmanager": ("recordmanager", "marcxml"),
}


@pytest.fixture(scope="module")
def clustered() -> tuple[InMemoryRecordStore, InMemoryClusterStore]:
    logging.getLogger("pymarc").setLevel(logging.ERROR)
    records = InMemoryRecordStore()
    harvester = HarvestService(records, InMemoryBlobStore())
    for member_id, (folder, fmt) in SETS.items():
        member = Member(id=member_id, name=member_id)
        for number, path in enumerate(sorted((DATA / folder).iterdir())):
            chosen = fmt or ("marcxml" if path.suffix == ".xml" else "marc21")
            if path.suffix not in (".xml", ".mrc", ".marc") or b"OAI-PMH" in path.read_bytes()[:500]:
                continue
            source = Source.model_validate(
                {"id": f"f{number}", "protocol": "marc-file", "path": path, "format": chosen}
            )
            harvester.harvest_source(member, source)
    clusters = InMemoryClusterStore()
    DedupService(records, clusters).apply(r.key for r in records.records())
    return records, clusters


def test_each_record_written_twice_is_one_work(clustered: tuple[InMemoryRecordStore, InMemoryClusterStore]) -> None:
    records, clusters = clustered
    both = {r.local_id for r in records.records("olbin")} & {r.local_id for r in records.records("olxml")}
    assert len(both) >= 15
    for local_id in sorted(both):
        left, right = clusters.placement(("olbin", local_id)), clusters.placement(("olxml", local_id))
        assert left is not None and right is not None
        assert left.cluster_id == right.cluster_id, local_id


def test_no_wrong_merge(clustered: tuple[InMemoryRecordStore, InMemoryClusterStore]) -> None:
    _, clusters = clustered
    for cluster in clusters.clusters():
        # Every merge is one Open Library record with its other encoding (mojibake included: "rÃ¶mische").
        assert len({local_id for _, local_id in cluster.records}) == 1, cluster.records
        assert len(cluster.records) <= 2
