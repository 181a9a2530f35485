"""The clusters the bulk path makes and stores, as one digest: to check that a change meant only for speed gives
the same clusters as the code before it.

Usage: ``python bench/dedup_fingerprint.py [--records N]`` (default 200,000 generated records, as
``bench/dedup_speed.py`` makes them). The records are clustered by the bulk path and stored in a SQLite cluster
store in a temporary folder; what is read back is digested: each cluster's records and its merged fields (without
its random id and its times), and each record's blocking keys and the records it shares a cluster with. Run it on
the code before and after (``git stash`` or another worktree, ``PYTHONPATH`` pointing at each): the digests must
be equal. ``--workers N`` (N > 1) clusters in N worker processes and stores a part at a time
(``consortium.dedup.processes``, ``SqliteClusterStore.apply_rows``), as ``bench/dedup_speed.py`` does: the digest
must be the same as with ``--workers 1`` (one ``cluster_bulk``, one ``apply``). Prints the counts and the digest;
the last line is JSON.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from consortium.adapters.local import SqliteClusterStore
from consortium.dedup.bulk import cluster_bulk
from consortium.dedup.processes import cluster_in_processes

sys.path.insert(0, str(Path(__file__).parent))
from dedup_speed import generate

_VARIABLE = {"cluster_id", "first_seen", "updated_at"}
"""A cluster's fields that differ from run to run (a random id, the clock)."""


def fingerprint(store: SqliteClusterStore) -> tuple[str, int, int]:
    """The digest of every stored cluster (records and merged fields) and placement (keys, cluster mates)."""
    digest = hashlib.sha256()
    clusters = []
    for cluster in store.clusters():
        body = cluster.model_dump(mode="json", exclude=_VARIABLE)
        clusters.append(json.dumps(body, sort_keys=True, ensure_ascii=False))
    for line in sorted(clusters):
        digest.update(line.encode("utf-8") + b"\n")
    lines = []
    for cluster in store.clusters():  # in the order of the (random) cluster ids: sorted below
        mates = sorted("/".join(k) for k in cluster.records)
        for key in cluster.records:
            placement = store.placement(key)
            assert placement is not None, key
            lines.append(json.dumps(["/".join(key), sorted(placement.keys), mates]))
    for line in sorted(lines):
        digest.update(line.encode("utf-8") + b"\n")
    return digest.hexdigest(), len(clusters), len(lines)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--workers", type=int, default=1, help="1: cluster_bulk, then apply; more: in processes")
    args = parser.parse_args()
    records = generate(args.records)
    with tempfile.TemporaryDirectory() as folder:
        store = SqliteClusterStore.open(Path(folder) / "clusters.sqlite3")
        if args.workers > 1:
            parts = cluster_in_processes(records, datetime.now(UTC), store.encode, workers=args.workers)
            store.apply_rows(parts, expected=len(records))
        else:
            store.apply(cluster_bulk(records, datetime.now(UTC)))
        digest, clusters, placements = fingerprint(store)
    print(f"{len(records):,} records, {clusters:,} clusters, {placements:,} placements: {digest}")
    print(json.dumps({"records": len(records), "clusters": clusters, "placements": placements, "sha256": digest}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
