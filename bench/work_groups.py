"""Work groups: what the work id costs the merge, and how fast a work's editions and translations are found.

Usage: ``python bench/work_groups.py [--clusters N] [--lookups L] [--seed S]`` (default 50,000 clusters, 1,000
look-ups).

Generated catalogue: works with 1 to 6 editions (most have one; geometric), each edition a cluster of its own
(another year and publisher, the title sometimes with a bracketed qualifier or another subtitle, the author's
name in either order), and a fifth of the works with a translation (German, French or Chinese title, naming the
original title as its uniform title). Then:

1. the work key and id of every cluster (:func:`~consortium.dedup.work_groups.cluster_work_id`): microseconds a
   cluster, what :func:`~consortium.dedup.merge.merge_cluster` now adds to each merge;
2. the clusters in an in-memory cluster store and the embedded tantivy index (timed apart, one commit);
3. ``--lookups`` times :func:`~consortium.editions.work_group` (``GET /works/{id}/editions``: one ``work:``
   search, then the group's clusters from the store) for random clusters: p50, p95, p99 in ms, and whether each
   answer is the generated group exactly (editions and translations apart).

The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from consortium.adapters.local import TantivySearchIndex
from consortium.adapters.memory.clusters import InMemoryClusterStore
from consortium.dedup.state import ClusterChange
from consortium.dedup.work_groups import cluster_work_id
from consortium.editions import work_group
from consortium.models import Cluster, ResourceFormat

WORDS = (
    "history theory practice science art nature mind language society power structure revolution machine "
    "learning data systems design network city river mountain light shadow memory time space order chaos "
    "reason faith war peace law economy money market state nation culture music poetry novel letters"
).split()
SURNAMES = "Smith Kuhn Knuth Garcia Mueller Dubois Tanaka Ivanov Rossi Nowak Silva Cohen Lee Brown Walker".split()
GIVEN = "Anna Thomas Maria Pierre Yuki Olga Marco Ewa Joao David Min Laura Peter Ines Omar".split()
TRANSLATED = {"ger": "Die Geschichte der", "fre": "La theorie de la", "chi": "历史与理论之"}
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def generate(count: int, rng: random.Random) -> tuple[list[Cluster], dict[str, tuple[set[str], set[str]]]]:
    """About ``count`` clusters (whole works), and for each the ids of its group's other editions and of its
    translations (the truth)."""
    clusters: list[Cluster] = []
    truth: dict[str, tuple[set[str], set[str]]] = {}
    work = 0
    while len(clusters) < count:
        work += 1
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 6))).capitalize() + f" {work}"
        surname, given = rng.choice(SURNAMES), rng.choice(GIVEN)
        editions = min(1 + int(rng.expovariate(1.2)), 6)
        group: list[tuple[Cluster, bool]] = []
        for n in range(editions):
            shown = title if rng.random() < 0.7 else f"{title} [{rng.choice(['electronic resource', 'print'])}]"
            author = f"{surname}, {given}" if rng.random() < 0.6 else f"{given} {surname}"
            group.append((_cluster(f"c{len(clusters) + len(group)}", shown, author, "eng", 1950 + n * 7), False))
        if rng.random() < 0.2:
            language = rng.choice(sorted(TRANSLATED))
            translated = f"{TRANSLATED[language]} {title.lower()}"
            cluster = _cluster(f"c{len(clusters) + len(group)}", translated, f"{surname}, {given}", language, 2001)
            group.append((cluster.model_copy(update={"uniform_title": title}), True))
        for cluster, _ in group:
            others = [(c.cluster_id, t) for c, t in group if c.cluster_id != cluster.cluster_id]
            own_translation = dict((c.cluster_id, t) for c, t in group)[cluster.cluster_id]
            # seen from a translation, the originals are "other editions"; from an original, translations are
            truth[cluster.cluster_id] = (
                {i for i, t in others if not t or own_translation},
                {i for i, t in others if t and not own_translation},
            )
        clusters.extend(c for c, _ in group)
    return clusters, truth


def _cluster(cluster_id: str, title: str, author: str, language: str, year: int) -> Cluster:
    return Cluster(
        cluster_id=cluster_id,
        records=[("m", cluster_id)],
        format=ResourceFormat.BOOK,
        title=title,
        authors=[author],
        language=language,
        year=year,
        first_seen=T0,
        updated_at=T0,
    )


def percentile(values: list[float], q: float) -> float:
    ranked = sorted(values)
    return ranked[min(len(ranked) - 1, int(q * len(ranked)))]


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clusters", type=int, default=50_000)
    parser.add_argument("--lookups", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    clusters, truth = generate(args.clusters, rng)

    started = time.perf_counter()
    ids = [cluster_work_id(c) for c in clusters]
    key_us = (time.perf_counter() - started) / len(clusters) * 1e6
    clusters = [c.model_copy(update={"work_id": w}) for c, w in zip(clusters, ids, strict=True)]
    print(f"work key and id: {key_us:.1f} us a cluster ({len(clusters):,} clusters, {len(set(ids)):,} works)")

    store = InMemoryClusterStore()
    store.apply(ClusterChange(saved=clusters))
    with tempfile.TemporaryDirectory() as folder:
        index = TantivySearchIndex(Path(folder) / "index")
        started = time.perf_counter()
        index.rebuild(iter(clusters))
        print(f"indexed in {time.perf_counter() - started:.1f} s")
        picked = rng.sample(clusters, min(args.lookups, len(clusters)))
        for cluster in picked[:50]:  # warm-up
            work_group(cluster, index, store)
        times: list[float] = []
        exact = 0
        for cluster in picked:
            started = time.perf_counter()
            group = work_group(cluster, index, store)
            times.append((time.perf_counter() - started) * 1000)
            found = ({e.cluster_id for e in group.editions}, {e.cluster_id for e in group.translations})
            exact += found == truth[cluster.cluster_id]
    result = {
        "clusters": len(clusters),
        "works": len(set(ids)),
        "work_id_us_per_cluster": round(key_us, 2),
        "editions_p50_ms": round(statistics.median(times), 2),
        "editions_p95_ms": round(percentile(times, 0.95), 2),
        "editions_p99_ms": round(percentile(times, 0.99), 2),
        "exact_groups": f"{exact}/{len(picked)}",
    }
    print(
        f"GET /works/{{id}}/editions (work_group): p50 {result['editions_p50_ms']} ms, p95 "
        f"{result['editions_p95_ms']} ms, p99 {result['editions_p99_ms']} ms; groups exactly as generated: "
        f"{result['exact_groups']}"
    )
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
