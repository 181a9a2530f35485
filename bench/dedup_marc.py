"""The real MARC records of ../shared/data/marc clustered by both paths, for bench/dedup_quality.py.

Each folder is one member (Open Library's binary and MARCXML copies of the same records are two); each file is
declared in its format, as its member would declare it (by its suffix; the two UNIMARC files by name). The records
are clustered by the incremental path in three shuffled arrival orders, a page of 1,000 at a time as a harvest
hands them over, and by the bulk path (a rebuild), all with one model fitted to the records: the cluster counts
must agree. Labels derived from the records themselves: two records of different members that share an ISBN
or OCLC number are one edition (what the identifier says); the share of those pairs in one cluster is the
recall on derived labels, and the pairs in one cluster that share no identifier are counted beside it.
"""

from __future__ import annotations

import itertools
import logging
import random
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from consortium.adapters.memory import InMemoryBlobStore, InMemoryRecordStore
from consortium.adapters.memory.clusters import InMemoryClusterStore
from consortium.dedup.bulk import cluster_bulk
from consortium.dedup.fit import fit_collection
from consortium.dedup.service import DedupService
from consortium.harvest.service import HarvestService
from consortium.harvest.state import Checkpoint, PageCommit, RecordChange
from consortium.members import Member, Source
from consortium.models import IdentifierScheme

if TYPE_CHECKING:
    from pathlib import Path

    from consortium.models import Record

__all__ = ["evaluate_marc"]

_SUFFIXES = {".xml": "marcxml", ".mrc": "marc21", ".marc": "marc21", ".dat": "marc21", ".bin": "marc21",
             ".marc21": "marc21"}  # fmt: skip
_UNIMARC = {"periouni.mrc", "testunimarc.dat"}
"""The UNIMARC files of the sets (SOURCES.md): declared as such, as their member would."""
PAGE = 1000


def _harvest(folder: Path) -> list[Record]:
    logging.getLogger("pymarc").setLevel(logging.ERROR)
    logging.getLogger("consortium").setLevel(logging.ERROR)
    store = InMemoryRecordStore()
    harvester = HarvestService(store, InMemoryBlobStore())
    members = [p for p in sorted(folder.iterdir()) if p.is_dir()]
    members = [s for p in members for s in ([p] if p.name != "openlibrary" else sorted(p.iterdir())) if s.is_dir()]
    for directory in members:
        member = Member(id=directory.name.replace("_", "-"), name=directory.name)
        for number, path in enumerate(sorted(directory.iterdir())):
            kind = "unimarc" if path.name in _UNIMARC else _SUFFIXES.get(path.suffix)
            if kind is None or b"OAI-PMH" in path.read_bytes()[:500]:
                continue
            source = Source.model_validate({"id": f"f{number}", "protocol": "marc-file", "path": path, "format": kind})
            try:
                harvester.harvest_source(member, source)
            except Exception:
                continue
    return list(store.records())


def _partition(groups: list[list[tuple[str, str]]]) -> list[tuple[tuple[str, str], ...]]:
    return sorted(tuple(sorted(g)) for g in groups)


def _incremental(records: list[Record], seed: int, model: Any) -> list[tuple[tuple[str, str], ...]]:
    order = list(records)
    random.Random(seed).shuffle(order)
    store, clusters = InMemoryRecordStore(), InMemoryClusterStore()
    service = DedupService(store, clusters, model=model)
    checkpoint = Checkpoint(source_id="bench", run_id="bench", started_at=datetime.now(UTC))
    for start in range(0, len(order), PAGE):
        page = order[start : start + PAGE]
        changes = [RecordChange(member=r.member, local_id=r.local_id, record=r) for r in page]
        store.commit(PageCommit(changes=changes, checkpoint=checkpoint))
        service.apply(r.key for r in page)
    return _partition([list(c.records) for c in clusters.clusters()])


def _identifiers(record: Record) -> set[str]:
    schemes = (IdentifierScheme.ISBN, IdentifierScheme.OCLC)
    return {f"{i.scheme.value}:{i.value}" for i in record.identifiers if i.scheme in schemes}


def evaluate_marc(folder: Path) -> dict[str, Any]:
    """Cluster counts of both paths and recall on the pairs the records' own identifiers label."""
    records = _harvest(folder)
    model = fit_collection(records)
    bulk = _partition([list(c.records) for c in cluster_bulk(records, datetime.now(UTC), model=model).saved])
    orders = [_incremental(records, seed, model) for seed in range(3)]
    by_key = {r.key: r for r in records}
    cluster_of = {key: n for n, group in enumerate(bulk) for key in group}
    labelled: set[tuple[tuple[str, str], tuple[str, str]]] = set()
    holders: dict[str, list[tuple[str, str]]] = {}
    for record in records:
        for identifier in _identifiers(record):
            holders.setdefault(identifier, []).append(record.key)
    for keys in holders.values():
        labelled.update((a, b) for a, b in itertools.combinations(sorted(keys), 2) if a[0] != b[0])
    together = sum(cluster_of[a] == cluster_of[b] for a, b in labelled)
    unproven = sum(
        1
        for group in bulk
        for a, b in itertools.combinations(group, 2)
        if a[0] != b[0] and not _identifiers(by_key[a]) & _identifiers(by_key[b])
    )
    return {
        "set": "marc (all folders)",
        "level": "edition",
        "records": len(records),
        "members": len({r.member for r in records}),
        "clusters_bulk": len(bulk),
        "clusters_incremental": [len(o) for o in orders],
        "same_clusters_every_order": all(o == bulk for o in orders),
        "identifier_pairs": len(labelled),
        "identifier_pairs_together": together,
        "recall_on_identifier_pairs": round(together / len(labelled), 4) if labelled else None,
        "pairs_together_without_shared_identifier": unproven,
    }
