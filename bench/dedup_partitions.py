"""Memory of the partitioned rebuild: the planning pass, and one partition, each in a process of its own.

Usage: ``python bench/dedup_partitions.py [--records N] [--partitions P]`` (default 1,000,000 records, 8
partitions). The records are generated as ``bench/dedup_speed.py`` generates them (its vocabulary, authors,
members and variations), but as a stream: the record store here holds none of them, as DynamoDB holds them on
AWS, so the peak RSS is the step's own. The plan is written to a temporary folder; the partition step re-clusters
partition 0 (the largest, as packing fills partitions largest component first) into an in-memory cluster store,
which therefore holds what that partition writes; its records are kept from one pass of the stream (the store
reads them by key on AWS). Prints each step's peak RSS (``ru_maxrss`` of its child
process), time, and the plan's components; the last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, cast

from dedup_speed import GIVEN, MEMBERS, SURNAMES, WORDS, isbn13

from consortium.adapters.local import FolderPlanStore
from consortium.adapters.memory.clusters import InMemoryClusterStore
from consortium.dedup.partition import cluster_partition, load_plan, partition_keys, plan_partitions
from consortium.models import Identifier, IdentifierScheme, RawPointer, Record

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from consortium.harvest.ports import RecordStore


def stream(count: int, seed: int = 7) -> Iterator[Record]:
    """``count`` records, the same ones on every call: works with one to three member copies."""
    rng = random.Random(seed)
    raw = RawPointer(digest="0" * 64, media_type="application/marc")
    made = work = 0
    while made < count:
        work += 1
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 6))).capitalize()
        subtitle = " ".join(rng.choice(WORDS) for _ in range(3)) if rng.random() < 0.4 else None
        surname, given = rng.choice(SURNAMES), rng.choice(GIVEN)
        year = rng.randint(1950, 2025)
        isbn = isbn13(work)
        copies = 1 if rng.random() < 0.7 else rng.randint(2, 3)
        for member in rng.sample(MEMBERS, copies):
            if made == count:
                return
            variant = made % 4
            made += 1
            yield Record(
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


class StreamedStore:
    """The records of :func:`stream` as a record store for one partition: ``get_many`` answers from the records of
    the partition, kept as one pass of the stream goes by (DynamoDB reads them by key instead)."""

    def __init__(self, count: int, wanted: set[tuple[str, str]]) -> None:
        self.count = count
        self.wanted = wanted
        self.kept: dict[tuple[str, str], Record] | None = None

    def get_many(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Record]:
        if self.kept is None:
            self.kept = {r.key: r for r in stream(self.count) if r.key in self.wanted}
        return {key: self.kept[key] for key in keys if key in self.kept}


def step(name: str, records: int, partitions: int, folder: Path) -> dict[str, object]:
    """Run one step in this process and report it."""
    plans = FolderPlanStore(folder)
    started, cpu = time.perf_counter(), time.process_time()
    out: dict[str, object]
    if name == "plan":
        plan = plan_partitions(
            lambda: stream(records),
            InMemoryClusterStore(),
            plans,
            run="bench",
            partitions=partitions,
            now=datetime.now(UTC),
        )
        out = plan.as_dict()
    else:
        wanted = set(partition_keys(plans, load_plan(plans, "bench"), 0))
        store = cast("RecordStore", StreamedStore(records, wanted))
        result = cluster_partition(store, InMemoryClusterStore(), plans, run="bench", index=0, now=datetime.now(UTC))
        out = {"partition": 0, "records": result.records, "clusters": result.clusters}
    out |= {
        "step": name,
        "seconds": round(time.perf_counter() - started, 1),
        "cpu_s": round(time.process_time() - cpu, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--step", choices=["plan", "partition"], help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        print(json.dumps(step(args.step, args.records, args.partitions, args.folder)))
        return 0
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for name in ("plan", "partition"):
            command = [sys.executable, __file__, "--records", str(args.records), "--partitions", str(args.partitions)]
            done = subprocess.run(
                [*command, "--step", name, "--folder", folder], capture_output=True, text=True, check=True
            )
            results[name] = json.loads(done.stdout.splitlines()[-1])
    plan, part = results["plan"], results["partition"]
    print(f"plan: {args.records:,} records, {plan['keys']:,} keys, {plan['components']:,} components, "
          f"largest {plan['largest_component']['records']:,} records; peak RSS {plan['peak_rss_mb']:,} MB, "
          f"{plan['seconds']} s")  # fmt: skip
    print(f"partition 0 of {args.partitions}: {part['records']:,} records -> {part['clusters']:,} clusters; "
          f"peak RSS {part['peak_rss_mb']:,} MB, {part['seconds']} s")  # fmt: skip
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
