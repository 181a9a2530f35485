"""The DBLP-ACM benchmark as two whole source tables, the form a harvest-then-dedup pipeline sees: blocking's
pair completeness, and the clusters of the bulk path (a ``dedup rebuild``: weights fitted to the records, then
clustered) scored pairwise against the complete gold mapping. For bench/dedup_quality.py.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from dedup_sets import to_record

from consortium.dedup.bulk import CANDIDATES_PER_KEY, cluster_bulk
from consortium.dedup.fit import fit_collection
from consortium.dedup.keys import record_keys

if TYPE_CHECKING:
    from pathlib import Path

    from consortium.models import Record

__all__ = ["evaluate_tables"]


def _read(path: Path, member: str) -> list[Record]:
    with path.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream, delimiter="%"))
    return [
        to_record(member, row["id"], {"title": row["title"], "authors": row["authors"] or "",
                                      "publication": row["venue"] or "", "year": row["year"] or ""})
        for row in rows
    ]  # fmt: skip


def _candidates(records: list[Record], keys_of: Any) -> set[tuple[str, str]]:
    """Cross-source pairs sharing a key, at most :data:`CANDIDATES_PER_KEY` earlier records a key (as clustering
    compares them)."""
    blocks: dict[str, list[Record]] = {}
    pairs: set[tuple[str, str]] = set()
    for record in records:
        for key in keys_of(record):
            block = blocks.setdefault(key, [])
            for other in block[:CANDIDATES_PER_KEY]:
                if other.member != record.member:
                    a, b = sorted((other, record), key=lambda r: r.member)
                    pairs.add((a.local_id, b.local_id))
            block.append(record)
    return pairs


def _first_words_only(record: Record) -> list[str]:
    """The keys before issue 14: identifiers and the title's first four words."""
    return [k for k in record_keys(record) if k.startswith("t:")][:1]


def evaluate_tables(folder: Path) -> dict[str, Any]:
    """Pair completeness and reduction of the blocking keys (now and before), and pairwise precision, recall and
    F1 of the bulk clusters, against ``gt.csv``."""
    acm = _read(folder / "acm.csv", "acm")
    dblp = _read(folder / "dblp.csv", "dblp")
    with (folder / "gt.csv").open(encoding="utf-8") as stream:
        gold = {(row["D2"], row["D1"]) for row in csv.DictReader(stream, delimiter="%")}  # (acm id, dblp id)
    records = acm + dblp
    result: dict[str, Any] = {"set": "dblp-acm/tables", "level": "edition", "records": len(records),
                              "gold_pairs": len(gold)}  # fmt: skip
    for name, keys_of in (("blocking", record_keys), ("blocking_first_words_only", _first_words_only)):
        found = _candidates(records, keys_of)
        result[name] = {
            "pair_completeness": round(len(found & gold) / len(gold), 4),
            "candidate_pairs": len(found),
            "reduction_ratio": round(1 - len(found) / (len(acm) * len(dblp)), 6),
        }
    model = fit_collection(records)
    change = cluster_bulk(records, datetime.now(UTC), model=model)
    predicted: set[tuple[str, str]] = set()
    for cluster in change.saved:
        acm_ids = [local for member, local in cluster.records if member == "acm"]
        dblp_ids = [local for member, local in cluster.records if member == "dblp"]
        predicted.update((a, d) for a in acm_ids for d in dblp_ids)
    tp = len(predicted & gold)
    precision = tp / len(predicted) if predicted else 0.0
    recall = tp / len(gold)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    result |= {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
               "clusters": len(change.saved)}  # fmt: skip
    return result
