"""Clustering speed: N generated records with realistic overlap, clustered incrementally.

Usage: ``python bench/dedup_speed.py [--records N]`` (default 1,000,000). The whole set is clustered by the bulk
path (a first load or a rebuild); the incremental path (one record at a time, handed over 1,000 a call as a
harvest hands them, each call one cluster store write) is timed on the first 20,000. The generator makes works
with titles from a fixed vocabulary, authors, years, publishers and ISBNs; about 30% of the records are another
member's copy of a work (5 members), described with the variations union catalogues see: ISBN missing in one
copy, a subtitle dropped, ISBD punctuation, the author inverted or not, a year one off. Prints records/s and
peak memory (tracemalloc is not used: it slows Python down; ru_maxrss is read instead), and the CPU time of
clustering and storing (less changed than wall time by other work on the machine). With ``--workers N`` (N > 1;
default 2 where there are 2 cores, as the goal's "on 2 cores") the records are clustered by N worker processes
(``consortium.dedup.processes``), a part at a time, while this process stores each part as it comes
(``SqliteClusterStore.apply_rows``, one transaction): one time for both, and the CPU time of this process and of
the workers; ``--workers 1`` clusters here, then stores. With the ``bench`` extra installed, Splink 5 (DuckDB)
deduplicates the first ``--splink N`` records (default 200,000; 0: not run) and our bulk path the same records
again, both timed in the same run (``bench/dedup_speed_splink.py`` has Splink's configuration). The last line is JSON.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from consortium.adapters.local import SqliteClusterStore
from consortium.adapters.memory import InMemoryRecordStore
from consortium.adapters.memory.clusters import InMemoryClusterStore
from consortium.dedup.bulk import cluster_bulk
from consortium.dedup.processes import cluster_in_processes
from consortium.dedup.service import DedupService
from consortium.harvest.state import Checkpoint, PageCommit, RecordChange
from consortium.models import Identifier, IdentifierScheme, RawPointer, Record

if TYPE_CHECKING:
    from collections.abc import Iterator

    from consortium.adapters.local.sqlite_cluster_rows import ClusterRows

HANDED_OVER = 1000
"""Records a call of the incremental path, as a harvest hands them to clustering (``harvest_follow_every``)."""

WORDS = (
    "data systems theory practice history modern introduction advanced principles design analysis learning "
    "networks computing science art music law economics politics society culture language china world war "
    "peace river mountain city life death love time space energy health medicine biology chemistry physics "
    "mathematics statistics algorithms programming software engineering management finance markets logic"
).split()
# Real catalogues have tens of thousands of distinct title words: add made-up ones so that title keys are as
# distinctive as in a real catalogue (a small vocabulary makes huge blocks no catalogue has).
_SYLLABLES = "ka lo mi ra ten vor sel bu dra nik po ste al ber cu fen gri har iv jo".split()
WORDS += [a + b + c for a in _SYLLABLES for b in _SYLLABLES for c in ("", "s", "tion", "ing", "ic")]
SURNAMES = "smith wang li zhang liu chen yang huang zhao wu zhou xu sun ma zhu hu guo he gao lin".split()
GIVEN = "john mary wei fang lei jun ming hua david anna peter laura jian yan".split()
MEMBERS = ["m1", "m2", "m3", "m4", "m5"]


def isbn13(n: int) -> str:
    body = f"978{n:09d}"[:12]
    check = (10 - sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(body)) % 10) % 10
    return body + str(check)


def generate(count: int, seed: int = 7) -> list[Record]:
    rng = random.Random(seed)
    raw = RawPointer(digest="0" * 64, media_type="application/marc")
    records: list[Record] = []
    work = 0
    while len(records) < count:
        work += 1
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 6))).capitalize()
        subtitle = " ".join(rng.choice(WORDS) for _ in range(3)) if rng.random() < 0.4 else None
        surname, given = rng.choice(SURNAMES), rng.choice(GIVEN)
        year = rng.randint(1950, 2025)
        isbn = isbn13(work)
        copies = 1 if rng.random() < 0.7 else rng.randint(2, 3)
        for member in rng.sample(MEMBERS, copies):
            variant = len(records) % 4
            records.append(
                Record(
                    member=member,
                    local_id=f"{member}-{work}",
                    source_id="bench",
                    title=title + (" /" if variant == 1 else ""),
                    subtitle=None if variant == 2 else subtitle,
                    authors=[f"{surname.title()}, {given.title()}" if variant != 3 else f"{given} {surname}"],
                    year=year + (1 if variant == 3 and rng.random() < 0.3 else 0),
                    publisher=rng.choice(["MIT Press", "Springer", "人民出版社", "Wiley"]),
                    identifiers=[] if variant == 2 else [Identifier(scheme=IdentifierScheme.ISBN, value=isbn)],
                    raw=raw,
                )
            )
    return records[:count]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument(
        "--workers",
        type=int,
        default=min(2, os.cpu_count() or 1),
        help="processes clustering while this one stores (1: cluster, then store; default: 2 cores, as the goal)",
    )
    parser.add_argument("--splink", type=int, default=200_000, help="records Splink deduplicates (0: none)")
    args = parser.parse_args()
    started = time.perf_counter()
    records = generate(args.records)
    generated = time.perf_counter() - started
    if args.workers > 1:
        timing = _in_processes(records, args.workers)
    else:
        timing = _in_one_process(records)
    elapsed, stored, cluster_count, key_count = (timing[k] for k in ("seconds", "stored", "clusters", "keys"))
    sample = records[: min(len(records), 20_000)]
    store = InMemoryRecordStore()
    checkpoint = Checkpoint(source_id="bench", run_id="bench", started_at=datetime.now(UTC))
    page = [RecordChange(member=r.member, local_id=r.local_id, record=r) for r in sample]
    store.commit(PageCommit(changes=page, checkpoint=checkpoint))
    service = DedupService(store, InMemoryClusterStore())
    started = time.perf_counter()
    for start in range(0, len(sample), HANDED_OVER):  # as harvesting does: the records in hand
        service.apply_records((r.key, r) for r in sample[start : start + HANDED_OVER])
    incremental_rate = len(sample) / (time.perf_counter() - started)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peer = _splink_beside(records[: args.splink]) if args.splink > 0 else None
    total = elapsed + stored
    result = {
        "records": len(records),
        "clusters": cluster_count,
        "workers": args.workers,
        "total_s": round(total, 2),
        "seconds": round(elapsed, 2),
        "store_sqlite_s": round(stored, 2),
        "cpu_s": round(timing["cpu"], 2),
        "store_cpu_s": round(timing["store_cpu"], 2),
        "workers_cpu_s": round(timing["workers_cpu"], 2),
        "blocking_keys": key_count,
        "records_per_s": round(len(records) / total),
        "peak_rss_mb": round(peak_mb),
        "worker_peak_rss_mb": round(timing["worker_rss_mb"]),
        "incremental_records_per_s": round(incremental_rate),
        "incremental_sample": len(sample),
        "generate_s": round(generated, 2),
        "splink": peer,
    }
    if args.workers > 1:
        print(f"{len(records):,} records -> {cluster_count:,} clusters and their {key_count:,} blocking keys "
              f"clustered and stored in SQLite in {total:.1f} s ({result['records_per_s']:,} records/s; "
              f"{args.workers} worker processes cluster while this one stores, one transaction)")  # fmt: skip
        print(f"CPU time: this process {timing['store_cpu']:.1f} s, the workers {timing['workers_cpu']:.1f} s; "
              f"peak RSS {peak_mb:,.0f} MB here, {timing['worker_rss_mb']:,.0f} MB the largest worker")  # fmt: skip
    else:
        print(f"{len(records):,} records -> {cluster_count:,} clusters in {elapsed:.1f} s "
              f"({len(records) / elapsed:,.0f} records/s, bulk), peak RSS {peak_mb:,.0f} MB")  # fmt: skip
        print(f"storing the clusters, placements and {key_count:,} blocking keys in SQLite: {stored:.1f} s more")
        print(f"CPU time (what a busy machine changes least): clustering {timing['cpu']:.1f} s, "
              f"storing {timing['store_cpu']:.1f} s")  # fmt: skip
    print(f"incremental path (one record at a time, {HANDED_OVER:,} a call): {incremental_rate:,.0f} records/s "
          f"over the first {len(sample):,}")  # fmt: skip
    if peer:
        print(f"Splink 5 (DuckDB) on the first {peer['records']:,} records: {peer['clusters']:,} clusters in "
              f"{peer['seconds']:.1f} s (CPU of this process {peer['cpu_s']:.1f} s; DuckDB uses 2 cores)")  # fmt: skip
        print(f"ours on the same records: {peer['ours_clusters']:,} clusters in {peer['ours_seconds']:.1f} s")
    print(json.dumps(result))
    return 0


def _in_one_process(records: list[Record]) -> dict[str, Any]:
    """The bulk path in this process: cluster every record, then store the change (``apply``)."""
    started, cpu = time.perf_counter(), time.process_time()
    change = cluster_bulk(records, datetime.now(UTC))
    elapsed, cluster_cpu = time.perf_counter() - started, time.process_time() - cpu
    key_count = sum(len(p.keys) for p in change.placements)
    with tempfile.TemporaryDirectory() as folder:
        clusters = SqliteClusterStore.open(Path(folder) / "clusters.sqlite3")
        started, cpu = time.perf_counter(), time.process_time()
        clusters.apply(change)
        stored, store_cpu = time.perf_counter() - started, time.process_time() - cpu
        cluster_count = clusters.count()
    del change
    return {"seconds": elapsed, "stored": stored, "cpu": cluster_cpu, "store_cpu": store_cpu, "workers_cpu": 0.0,
            "worker_rss_mb": 0.0, "clusters": cluster_count, "keys": key_count}  # fmt: skip


def _in_processes(records: list[Record], workers: int) -> dict[str, Any]:
    """The bulk path in ``workers`` processes, each part stored (``apply_rows``) as it comes: one time for both."""
    keys = [0]

    def counted(parts: Iterator[ClusterRows]) -> Iterator[ClusterRows]:
        for part in parts:
            keys[0] += len(part.keys)
            yield part

    with tempfile.TemporaryDirectory() as folder:
        clusters = SqliteClusterStore.open(Path(folder) / "clusters.sqlite3")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started, cpu = time.perf_counter(), time.process_time()
        parts = cluster_in_processes(records, datetime.now(UTC), clusters.encode, workers=workers)
        clusters.apply_rows(counted(parts), expected=len(records))
        elapsed, own_cpu = time.perf_counter() - started, time.process_time() - cpu
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cluster_count = clusters.count()
    children = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return {"seconds": elapsed, "stored": 0.0, "cpu": 0.0, "store_cpu": own_cpu, "workers_cpu": children,
            "worker_rss_mb": after.ru_maxrss / 1024, "clusters": cluster_count, "keys": keys[0]}  # fmt: skip


def _splink_beside(records: list[Record]) -> dict[str, Any] | None:
    """Splink's time and clusters on these records, and ours on the same; ``None`` without the bench extra."""
    if importlib.util.find_spec("splink") is None or importlib.util.find_spec("pandas") is None:
        print("Splink not run: the bench extra (splink, pandas) is not installed")
        return None
    from dedup_speed_splink import run_splink

    started = time.perf_counter()
    ours = cluster_bulk(records, datetime.now(UTC))
    ours_seconds = time.perf_counter() - started
    peer = run_splink(records)
    return peer | {"ours_seconds": round(ours_seconds, 2), "ours_clusters": len(ours.saved)}


if __name__ == "__main__":
    sys.exit(main())
