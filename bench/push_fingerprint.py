"""A fingerprint of every digest the push benchmark's population plans: to prove a change to the planner left
every list the same.

Builds the population of ``bench/push.py`` (``--readers``, ``--works``, ``--seed``) and its ranking evidence (the
loans of every reader, built in this process), plans every due digest in one process as the push job plans a
run's readers (:func:`~consortium.push.planner.plan_batch`: in interest order, the digests handed back in the
readers' order), and prints two SHA-256:

* ``rounded``: over each digest's reader, service and ordered items (work id, score rounded to 9 digits, reason
  in English and Chinese, whether the reader's library holds it): what a change that only makes the planner
  faster must leave as it was;
* ``exact``: the same with every score's exact bits (``float.hex``): what two runs of the same code must agree
  on, under any ``PYTHONHASHSEED`` (a sum taken in a set's order can differ in its last bit from run to run).

Usage: ``python bench/push_fingerprint.py [--readers 5000] [--works 10000] [--seed 1] [--evidence-readers N]
[--cache DIR] [--json]``; check a change with ``--expect ROUNDED`` (exits 1 when the lists differ).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from push import MEMBERS, NOW, build_population, population_evidence

from consortium.push.evidence_store import decode_evidence
from consortium.push.index import NewWorks
from consortium.push.planner import plan_batch

if TYPE_CHECKING:
    from collections.abc import Iterable

    from consortium.push.models import Digest

__all__ = ["fingerprints", "main"]


def fingerprints(digests: Iterable[Digest]) -> tuple[str, str, int, int]:
    """``(rounded, exact, digests, items)`` of the digests, in the order planned."""
    rounded, exact = hashlib.sha256(), hashlib.sha256()
    count = items = 0
    for digest in digests:
        count += 1
        head = f"{digest.reader_id}\t{digest.service}\t{len(digest.items)}\n"
        rounded.update(head.encode())
        exact.update(head.encode())
        for item in digest.items:
            items += 1
            tail = f"\t{item.reason}\t{item.reason_zh}\t{item.at_home}\n"
            rounded.update(f"{item.cluster_id}\t{item.score:.9f}{tail}".encode())
            exact.update(f"{item.cluster_id}\t{item.score.hex()}{tail}".encode())
    return rounded.hexdigest(), exact.hexdigest(), count, items


def run(readers: int, works: int, seed: int, evidence_readers: int | None, cache: Path | None = None) -> dict[str, Any]:
    started = time.perf_counter()
    counted = readers if evidence_readers is None else evidence_readers
    name = f"{readers}-{works}-{seed}-{counted}"
    if cache is not None and (cache / f"{name}.pickle").exists():
        population, document = pickle.loads((cache / f"{name}.pickle").read_bytes())  # the inputs this script wrote
    else:
        population = build_population(readers, works, seed)
        document = population_evidence(population, counted) if counted > 0 else b""
        if cache is not None:
            cache.mkdir(parents=True, exist_ok=True)
            (cache / f"{name}.pickle").write_bytes(pickle.dumps((population, document)))
    evidence = decode_evidence(document) if document else None
    index = NewWorks.build(population.clusters)
    inputs_s = time.perf_counter() - started
    started = time.process_time()
    digests = plan_batch(population.readers, index, NOW, members_total=len(MEMBERS), evidence=evidence)
    plan_cpu_s = time.process_time() - started
    rounded, exact, count, items = fingerprints(digests)
    return {
        "readers": readers,
        "works": works,
        "seed": seed,
        "evidence_readers": counted,
        "digests": count,
        "items": items,
        "rounded": rounded,
        "exact": exact,
        "inputs_s": round(inputs_s, 1),
        "plan_cpu_s": round(plan_cpu_s, 2),
        "plan_cpu_us_per_reader": round(plan_cpu_s / readers * 1e6) if readers else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--readers", type=int, default=5_000)
    parser.add_argument("--works", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--evidence-readers", type=int, default=None, help="evidence from this many readers' loans (default: all)"
    )
    parser.add_argument(
        "--cache", type=Path, help="keep the generated inputs in this folder and reuse them (they take a minute)"
    )
    parser.add_argument("--expect", help="the rounded fingerprint the run must give (exit 1 otherwise)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON only")
    args = parser.parse_args()
    result = run(args.readers, args.works, args.seed, args.evidence_readers, args.cache)
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"{result['readers']:,} readers, {result['works']:,} new works (seed {result['seed']}), evidence of "
            f"{result['evidence_readers']:,} readers: {result['digests']:,} digests, {result['items']:,} items"
        )
        print(f"rounded: {result['rounded']}")
        print(f"exact:   {result['exact']}")
        print(
            f"planning CPU {result['plan_cpu_s']} s, {result['plan_cpu_us_per_reader']:,} us a reader "
            f"(inputs {result['inputs_s']} s, not counted)"
        )
    if args.expect and args.expect != result["rounded"]:
        print(f"DIFFERS from the expected {args.expect}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
