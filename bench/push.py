"""Push planning throughput: generated readers and new works through :func:`consortium.push.planner.plan`.

Generates ``--works`` new clusters (fine-grained CLC classes from a few hundred codes over the 22 top classes,
1-3 subjects from about 2,000, 1-2 authors from about 8,000, some series, held by 1-4 of 4 members, first seen
over the last 7 days) and ``--readers`` readers (an interest profile learned from 5-40 borrows of older works
and 0-3 declared keys, up to 5 recent borrows, weekly ``new_in_class`` and ``interested_new`` subscriptions that
are due, some with a sent ledger and a mute or two). Then times, apart, building the inputs (not part of the
goal), :meth:`~consortium.push.index.NewWorks.build` and planning every due digest.

The ranking evidence is in place as push runs have it (issue 15): built from the population's loans (every
reader's older loans, and a fifth of the readers' loans of this week's new works; the loans of the first
``--evidence-readers`` readers, since the key pairs of 100,000 readers take long to count in Python and the build
is the daily job's, not the run's) with :func:`~consortium.push.coborrow.coborrowing` at ten readers a pair, key
rarity over every older and new work, then encoded as the stored JSON document and decoded again as a push run
reads it. Building it is timed apart (not part of the goal); decoding it is part of the run (``evidence_load_s``).
``--evidence-readers 0`` plans without evidence, as before.

Goal (issue 5): 100,000 readers and 10,000 new works planned in under 60 s on 2 cores.

Usage: ``python bench/push.py [--readers 100000] [--works 10000] [--seed 1] [--evidence-readers 20000] [--json]
[--profile] [--inputs-cache DIR]``.
``--inputs-cache DIR`` keeps the generated inputs (readers, works, evidence document: minutes to build at 100,000
readers) in ``DIR`` and reuses them, so that runs of two versions of the planner can alternate on the same inputs.
``--profile`` runs the planning under cProfile and prints the top 20 functions (own time, then cumulative).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import multiprocessing
import os
import pickle
import pstats
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from push_population import MEMBERS, NOW, Population, build_population

from consortium.profiles.interest_keys import keys_for_cluster
from consortium.push.coborrow import MIN_READERS, coborrowing
from consortium.push.evidence import Evidence
from consortium.push.evidence_store import decode_evidence, encode_evidence
from consortium.push.index import NewWorks
from consortium.push.planner import interest_order, plan, plan_batch

if TYPE_CHECKING:
    from consortium.push.models import Digest

__all__ = [
    "GOAL_SECONDS",
    "MEMBERS",
    "NOW",
    "Population",
    "build_population",
    "main",
    "plan_digests",
    "population_evidence",
    "run",
]

GOAL_SECONDS = 60.0


def population_evidence(population: Population, readers: int) -> bytes:
    """The stored evidence document of the population: loans of its first ``readers`` readers."""
    counted = {plan_.reader_id for plan_ in population.readers[:readers]}
    loans = [loan for loan in population.loans if loan[0] in counted]
    keys = dict(population.old_keys)
    keys.update((cluster.cluster_id, tuple(keys_for_cluster(cluster))) for cluster in population.clusters)
    counts, neighbours, related = coborrowing(loans, lambda cluster_id: keys[cluster_id])
    shown = {cluster_id: n for cluster_id, n in counts.items() if n >= MIN_READERS}
    evidence = Evidence.of_keys(keys.values(), loans=shown, neighbours=neighbours, related=related)
    return encode_evidence(evidence, NOW)


def plan_digests(
    population: Population, works: NewWorks, max_seconds: float | None = None, evidence: Evidence | None = None
) -> tuple[list[Digest], int]:
    """Every due digest, and how many readers were planned: all of them, unless planning went past
    ``max_seconds`` (then it stops after the reader at hand, and the figures are extrapolated). Without
    ``max_seconds``, as the push job plans a shard (:func:`~consortium.push.planner.plan_batch`: every digest kept)."""
    if max_seconds is None:
        kept = plan_batch(population.readers, works, NOW, members_total=len(MEMBERS), evidence=evidence)
        return kept, len({digest.reader_id for digest in kept})
    digests: list[Digest] = []
    started = time.perf_counter()
    planned: set[str] = set()
    # In interest order, as plan_batch plans; lazily, to stop at max_seconds.
    readers = interest_order(population.readers)
    for digest in plan(readers, works, NOW, members_total=len(MEMBERS), evidence=evidence):
        if digest.reader_id not in planned:
            if max_seconds is not None and time.perf_counter() - started > max_seconds:
                break
            planned.add(digest.reader_id)
        digests.append(digest)
    return digests, len(planned)


_SHARED: tuple[Population, NewWorks, Evidence | None] | None = None
"""What forked planning processes inherit (set just before the pool is made)."""


def _plan_slice(bounds: tuple[int, int]) -> tuple[int, list[int], float]:
    """Plan readers ``bounds[0]:bounds[1]`` of the inherited population in the order the push job plans a shard's
    (:func:`~consortium.push.planner.interest_order`, as :func:`~consortium.push.planner.plan_batch` does): (readers,
    items per digest, CPU seconds the process spent planning them). Only counts are kept, not the digests."""
    assert _SHARED is not None
    population, works, evidence = _SHARED
    started = time.process_time()
    readers = interest_order(population.readers[bounds[0] : bounds[1]])
    items = [len(d.items) for d in plan(readers, works, NOW, members_total=len(MEMBERS), evidence=evidence)]
    return len(readers), items, time.process_time() - started


def plan_in_processes(
    population: Population, works: NewWorks, workers: int, evidence: Evidence | None = None
) -> tuple[list[int], int, float]:
    """Plan every reader in ``workers`` forked processes (planning is pure: readers are independent, as the
    shards of the AWS fan-out are); the items per digest, the readers planned, and the CPU seconds the
    processes spent planning (summed: unlike the wall clock, it does not grow with other jobs' load)."""
    global _SHARED  # noqa: PLW0603 (handed to forked children)
    _SHARED = (population, works, evidence)
    n = len(population.readers)
    # Slices of about 3,000 readers handed out one at a time, as the fan-out's shards are taken by whichever
    # function is free: no process waits at the end on another's last large slice.
    step = max(1, -(-n // (workers * 16)))
    slices = [(start, min(n, start + step)) for start in range(0, n, step)]
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            results = pool.map(_plan_slice, slices, chunksize=1)
    finally:
        _SHARED = None
    return (
        [count for _, items, _ in results for count in items],
        sum(planned for planned, _, _ in results),
        sum(cpu for _, _, cpu in results),
    )


def run(
    readers: int,
    works: int,
    seed: int = 1,
    *,
    profile: bool = False,
    max_seconds: float | None = None,
    workers: int = 1,
    evidence_readers: int = 20_000,
    inputs_cache: Path | None = None,
) -> dict[str, Any]:
    """Build the inputs, index the new works, plan every digest; the figures (and the profile, if asked).
    ``inputs_cache``: a folder where the generated population and evidence document are kept and reused."""
    cached = None
    if inputs_cache is not None:
        cached = inputs_cache / f"push-inputs-{readers}-{works}-{seed}-{max(evidence_readers, 0)}.pickle"
    started = time.perf_counter()
    document = b""
    evidence_build_s = evidence_load_s = 0.0
    from_cache = cached is not None and cached.exists()
    if from_cache:
        assert cached is not None
        population, document = pickle.loads(cached.read_bytes())  # written below, by this benchmark
    else:
        population = build_population(readers, works, seed)
    inputs_s = time.perf_counter() - started

    evidence: Evidence | None = None
    if evidence_readers > 0:
        started = time.perf_counter()
        if not document:
            # Built in a child process, as the daily job builds it apart from the runs: the run's process only
            # decodes the stored document (counting pairs leaves a heap behind that slows everything after it).
            with multiprocessing.get_context("fork").Pool(1) as pool:
                document = pool.apply(population_evidence, (population, evidence_readers))
            evidence_build_s = time.perf_counter() - started
        started = time.perf_counter()
        evidence = decode_evidence(document)
        evidence_load_s = time.perf_counter() - started

    if cached is not None and not cached.exists():
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_bytes(pickle.dumps((population, document), protocol=pickle.HIGHEST_PROTOCOL))

    started = time.perf_counter()
    index = NewWorks.build(population.clusters)
    index_s = time.perf_counter() - started

    profiler = cProfile.Profile() if profile else None
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    if workers > 1 and not profile and max_seconds is None:
        items, planned, plan_cpu_s = plan_in_processes(population, index, workers, evidence)
    else:
        cpu_started = time.process_time()
        if profiler is not None:
            profiler.enable()
        digests, planned = plan_digests(population, index, max_seconds, evidence)
        if profiler is not None:
            profiler.disable()
        plan_cpu_s = time.process_time() - cpu_started
        items = [len(d.items) for d in digests]
    plan_s = time.perf_counter() - started
    load_after = os.getloadavg()[0]

    full_plan_s = plan_s * readers / planned if planned else plan_s
    result: dict[str, Any] = {
        "readers": readers,
        "works": works,
        "seed": seed,
        "readers_planned": planned,
        "inputs_s": round(inputs_s, 2),
        "inputs_cached": from_cache,
        "evidence_readers": min(evidence_readers, readers),
        "evidence_build_s": round(evidence_build_s, 2),
        "evidence_bytes": len(document),
        "evidence_work_pairs": sum(len(v) for v in evidence.neighbours.values()) // 2 if evidence else 0,
        "evidence_key_pairs": sum(len(v) for v in evidence.related.values()) // 2 if evidence else 0,
        "evidence_load_s": round(evidence_load_s, 3),
        "index_s": round(index_s, 3),
        "plan_s": round(plan_s, 2),
        "plan_s_all_readers": round(full_plan_s, 1),
        "plan_cpu_s": round(plan_cpu_s, 2),
        "plan_cpu_us_per_reader": round(plan_cpu_s / planned * 1e6) if planned else 0,
        "load_average": [round(load_before, 2), round(load_after, 2)],
        "extrapolated": planned < readers,
        "total_s": round(evidence_load_s + index_s + full_plan_s, 2),
        "workers": workers if workers > 1 and not profile and max_seconds is None else 1,
        "digests": len(items),
        "items": sum(items),
        "items_per_digest": round(sum(items) / len(items), 2) if items else 0.0,
        "empty_digest_share": round(items.count(0) / len(items), 4) if items else 0.0,
        "digests_per_s": round(len(items) / plan_s, 1) if plan_s else 0.0,
        "readers_per_s": round(planned / plan_s, 1) if plan_s else 0.0,
        "profiled": profile,
        "goal_s": GOAL_SECONDS,
        "goal_met": evidence_load_s + index_s + full_plan_s < GOAL_SECONDS,
    }
    if profiler is not None:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(20)
        stats.sort_stats("cumulative").print_stats(20)
        result["profile"] = out.getvalue()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--readers", type=int, default=100_000)
    parser.add_argument("--works", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--workers", type=int, default=min(2, os.cpu_count() or 1), help="planning processes (default: 2 cores)"
    )
    parser.add_argument(
        "--evidence-readers",
        type=int,
        default=20_000,
        help="build the ranking evidence from the loans of this many readers (0: plan without evidence)",
    )
    parser.add_argument(
        "--inputs-cache",
        type=Path,
        default=None,
        help="keep the generated readers, works and evidence document in this folder and reuse them (they take "
        "minutes to build and are not part of the goal; the planning code is whatever PYTHONPATH gives)",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON only")
    parser.add_argument("--profile", action="store_true", help="plan under cProfile and print the top 20")
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=None,
        help="stop planning after this long and extrapolate to every reader (for runs far off the goal)",
    )
    args = parser.parse_args()
    result = run(
        args.readers,
        args.works,
        args.seed,
        profile=args.profile,
        max_seconds=args.max_seconds,
        workers=args.workers,
        evidence_readers=args.evidence_readers,
        inputs_cache=args.inputs_cache,
    )
    profile_text = result.pop("profile", None)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{result['readers']:,} readers, {result['works']:,} new works (seed {result['seed']})")
        made = "reading the cached inputs" if result["inputs_cached"] else "building the inputs"
        print(f"{made + ':':<26}{result['inputs_s']:>8} s (not part of the goal)")
        if result["evidence_readers"]:
            print(
                f"evidence (build):         {result['evidence_build_s']:>8} s (not part of the goal): loans of "
                f"{result['evidence_readers']:,} readers, {result['evidence_work_pairs']:,} work pairs, "
                f"{result['evidence_key_pairs']:,} key pairs, {result['evidence_bytes']:,} bytes"
            )
            print(f"evidence (read, decode):  {result['evidence_load_s']:>8} s")
        else:
            print("evidence:                     none (--evidence-readers 0)")
        print(f"NewWorks.build:           {result['index_s']:>8} s")
        print(f"planning:                 {result['plan_s']:>8} s{' (under cProfile)' if args.profile else ''}")
        print(
            f"planning CPU:             {result['plan_cpu_s']:>8} s over {result['workers']} process(es), "
            f"{result['plan_cpu_us_per_reader']:,} us a reader (load average {result['load_average'][0]} before, "
            f"{result['load_average'][1]} after, on {os.cpu_count()} cores)"
        )
        if result["extrapolated"]:
            print(
                f"  stopped after {result['readers_planned']:,} readers: all {result['readers']:,} would take "
                f"{result['plan_s_all_readers']:,} s (extrapolated)"
            )
        print(
            f"digests planned:          {result['digests']:>8,}  items {result['items']:,}, "
            f"{result['items_per_digest']} per digest, {result['empty_digest_share']:.1%} empty"
        )
        print(f"digests/s:                {result['digests_per_s']:>8,}")
        print(f"readers/s:                {result['readers_per_s']:>8,}")
        verdict = "meets" if result["goal_met"] else "misses"
        estimate = " (extrapolated)" if result["extrapolated"] else ""
        print(f"evidence + index + plan:  {result['total_s']:>8,} s{estimate}: {verdict} the {GOAL_SECONDS:g} s goal")
    if profile_text:
        print(profile_text)


if __name__ == "__main__":
    main()
