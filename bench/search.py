"""Search speed: N generated clusters in the embedded tantivy index, then a mixed query load with 4 facets.

Usage: ``python bench/search.py [--clusters N] [--queries Q] [--landing L] [--index-dir DIR]`` (default 1,000,000
clusters, 1,000 queries, 200 landing pages, a temporary folder that is removed afterwards).

The generator makes clusters as a Chinese-English union catalogue holds them: about half Chinese titles
(words from a vocabulary, Zipf-distributed, so some words are in many titles and most in few), a third English,
the rest German, French, Japanese and Russian records with English-vocabulary titles; authors (Chinese names,
or ``Surname, Given``), years 1950-2025 (more recent ones more often), 5 members with overlapping holdings
(most clusters held by one library, some by two to five), formats, CLC classes for Chinese records and LCC
and/or Dewey for the others, subject headings, publishers and valid ISBNs (ISSNs for journals).

The build goes through :meth:`TantivySearchIndex.rebuild` (one commit), so the rate includes
:func:`~consortium.search.document.index_document` and the tantivy document; generating the clusters is timed
apart and left out. Then 50 warm-up queries and ``--queries`` timed ones, each through
:meth:`TantivySearchIndex.search`, a mix of free text (1-3 English words, 2-4 Chinese characters), fielded
``title:``/``author:``, ISBN look-ups (ISBN-13 or hyphenated ISBN-10), sometimes with filters (language,
format, years, member, class), sometimes with the reader's library boosted, pages 1-3, and always the facets
member, format, language and class. Then the portal's landing page: the empty query with those 4 facets,
``--landing`` times. Then the new-books list (``GET /new-books``): ``--new-books`` searches each of a class three
levels down (``clc:TP3``, ``clc:I24``, ``ddc:005``) first seen in the last 30 days, newest first, a page of 50
(the generated works are first seen a minute apart, so 30 days hold 43,200 of them); the same over 366 days; the
last 30 days of every class; and a fresh hub's case, where every work is in the period.

Each query is searched three ways on the same index, in turn (the first way rotating): as the adapter runs by
default (facet counts kept per index generation: a query asked again before the next write is not counted
again); with no facet cache (every facet counted); and with facets counted as they were before the
single-valued facet keys (over the plain, multi-valued fields, no cache), for a before/after in one run.
Prints the latencies (p50, p95, p99, mean) of each, the mean hit count, the index size on disk and peak RSS
(ru_maxrss). The last line is JSON.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import shutil
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from search_clusters import Corpus
from search_queries import FACETS, describe, make_queries, new_books_queries

from consortium.search import SearchQuery

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from consortium.search import SearchResult

__all__ = [
    "Corpus",
    "describe",
    "folder_size",
    "latency_summary",
    "main",
    "make_queries",
    "peak_rss_mb",
    "percentile",
    "previous_facets",
    "time_ways",
]


def percentile(values: list[float], fraction: float) -> float:
    """The ``fraction`` percentile of ``values``, interpolated between the two nearest ranks."""
    ordered = sorted(values)
    rank = fraction * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def latency_summary(latencies_ms: list[float]) -> dict[str, float]:
    """p50, p95, p99, mean and max of the latencies, in ms rounded to 2 decimals."""
    return {
        "p50_ms": round(percentile(latencies_ms, 0.50), 2),
        "p95_ms": round(percentile(latencies_ms, 0.95), 2),
        "p99_ms": round(percentile(latencies_ms, 0.99), 2),
        "mean_ms": round(statistics.fmean(latencies_ms), 2),
        "max_ms": round(max(latencies_ms), 2),
    }


def folder_size(path: Path) -> int:
    """Bytes in the files under ``path``."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def peak_rss_mb() -> float:
    """This process's peak resident set size (``ru_maxrss``), in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- the benchmark -----------------------------------------------------------------------------------------


def time_ways(ways: Sequence[Callable[[SearchQuery], SearchResult]], queries: list[SearchQuery]) -> list[list[float]]:
    """Each query's latency (ms) in each way of searching, a list per way. Every query goes through every way
    before the next, the first way rotating from query to query: the first to read a query's postings is slower,
    and no way is always first."""
    latencies: list[list[float]] = [[] for _ in ways]
    for number, query in enumerate(queries):
        for step in range(len(ways)):
            way = (number + step) % len(ways)
            began = time.perf_counter()
            ways[way](query)
            latencies[way].append((time.perf_counter() - began) * 1000)
    return latencies


@contextmanager
def previous_facets() -> Iterator[None]:
    """Facets counted as before the facet keys: a terms aggregation over each plain field (multi-valued for
    members and classes), with no cache (pass an index with ``facet_cache_size=0``)."""
    from consortium.adapters.local import tantivy_facets

    keyed = tantivy_facets.KEYED
    setattr(tantivy_facets, "KEYED", {})  # noqa: B010 (a Final, replaced for this comparison only)
    try:
        yield
    finally:
        setattr(tantivy_facets, "KEYED", keyed)  # noqa: B010


def line(label: str, summary: dict[str, float]) -> str:
    return (
        f"  {label}: p50 {summary['p50_ms']:.1f} ms, p95 {summary['p95_ms']:.1f} ms, "
        f"p99 {summary['p99_ms']:.1f} ms, mean {summary['mean_ms']:.1f} ms, max {summary['max_ms']:.1f} ms"
    )


def main() -> int:
    from consortium.adapters.local import TantivySearchIndex

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clusters", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--landing", type=int, default=200, help="times the empty query with facets is timed")
    parser.add_argument("--new-books", type=int, default=200, help="new-books searches timed, of each kind")
    parser.add_argument("--index-dir", type=Path, help="build here and keep it (default: a temporary folder)")
    parser.add_argument("--slowest", type=int, default=5, help="print the N slowest queries")
    args = parser.parse_args()

    temporary = args.index_dir is None
    folder = Path(tempfile.mkdtemp(prefix="search-bench-")) if temporary else args.index_dir
    try:
        corpus = Corpus(args.clusters)
        index = TantivySearchIndex(folder / "index")
        started = time.perf_counter()
        index.rebuild(corpus.clusters())
        wall = time.perf_counter() - started
        build = wall - corpus.seconds
        size = folder_size(folder / "index")
        rss_after_build = peak_rss_mb()
        print(
            f"built {index.count():,} clusters in {build:.1f} s ({args.clusters / build:,.0f} clusters/s, "
            f"document building included; generating took another {corpus.seconds:.1f} s), "
            f"index {size / 1e6:,.0f} MB on disk ({size / max(args.clusters, 1):,.0f} B/cluster), "
            f"peak RSS {rss_after_build:,.0f} MB"
        )

        queries = make_queries(corpus.sample, args.warmup + args.queries)
        uncached = TantivySearchIndex(folder / "index", facet_cache_size=0)  # the same index, no facet cache

        def as_before(query: SearchQuery) -> SearchResult:
            with previous_facets():
                return uncached.search(query)

        ways = [index.search, uncached.search, as_before]
        for query in queries[: args.warmup]:
            for way in ways:
                way(query)
        gc.collect()
        timed = queries[args.warmup :]
        latencies, *others = time_ways(ways, timed)
        summary, counted, previous = map(latency_summary, [latencies, *others])
        hits = [uncached.search(query).total for query in timed]
        mean_hits = statistics.fmean(hits)
        print(
            f"{len(timed):,} queries (4 facets each): p50 {summary['p50_ms']:.1f} ms, p95 {summary['p95_ms']:.1f} ms, "
            f"p99 {summary['p99_ms']:.1f} ms, mean {summary['mean_ms']:.1f} ms, max {summary['max_ms']:.1f} ms; "
            f"mean hits {mean_hits:,.0f} (median {statistics.median(hits):,.0f}, "
            f"{sum(h == 0 for h in hits)} with none)"
        )
        print(line("every facet counted (no cache)", counted))
        print(line("facets counted as before (plain fields, no cache)", previous))
        for latency, total, query in sorted(zip(latencies, hits, timed, strict=True), key=lambda t: -t[0])[
            : args.slowest
        ]:
            print(f"  slow: {latency:6.1f} ms  {total:>9,} hits  {describe(query)}")

        landing = [SearchQuery(facets=FACETS)] * args.landing
        fresh = TantivySearchIndex(folder / "index")  # nothing counted yet
        first = time_ways([fresh.search], landing[:1])[0][0]
        landing_summary, landing_counted, landing_previous = map(
            latency_summary, time_ways([fresh.search, uncached.search, as_before], landing)
        )
        print(
            f"empty query with 4 facets over all {index.count():,} (the landing page), {args.landing} times: "
            f"p50 {landing_summary['p50_ms']:.1f} ms, p95 {landing_summary['p95_ms']:.1f} ms "
            f"(the first, counting its facets: {first:.1f} ms)"
        )
        print(line("every facet counted (no cache)", landing_counted))
        print(line("facets counted as before (plain fields, no cache)", landing_previous))

        newest = corpus.latest_first_seen + timedelta(minutes=1)  # "now": a minute after the last work came
        kinds = {
            "class at depth 3, last 30 days": new_books_queries(corpus.sample, args.new_books, newest - timedelta(30)),
            "class at depth 3, last 366 days": new_books_queries(
                corpus.sample, args.new_books, newest - timedelta(366)
            ),
            "every class, last 30 days": new_books_queries(
                corpus.sample, args.new_books, newest - timedelta(30), with_class=False
            ),
            "class at depth 3, every work in the period (a fresh hub)": new_books_queries(
                corpus.sample, args.new_books, corpus.first_first_seen
            ),
        }
        new_books: dict[str, dict[str, float]] = {}
        for kind, searches in kinds.items():
            for query in searches[: args.warmup]:
                index.search(query)
            (timings,) = time_ways([index.search], searches)
            totals = [index.search(query).total for query in searches]
            new_books[kind] = {**latency_summary(timings), "mean_matches": round(statistics.fmean(totals), 1)}
            print(line(f"new books, {kind} ({statistics.fmean(totals):,.0f} matches on average)", new_books[kind]))

        peak = peak_rss_mb()
        goals = {
            "p95 < 10 ms with 4 facets": summary["p95_ms"] < 10,
            "the empty query with facets p95 < 20 ms": landing_summary["p95_ms"] < 20,
        }
        verdicts = "; ".join(f"{goal}: {'met' if met else 'NOT met'}" for goal, met in goals.items())
        print(f"peak RSS {peak:,.0f} MB; goals at 1M clusters: {verdicts}")
        result_json = {
            "engine": "tantivy",
            "clusters": args.clusters,
            "build_s": round(build, 2),
            "build_clusters_per_s": round(args.clusters / build),
            "generate_s": round(corpus.seconds, 2),
            "index_bytes": size,
            "queries": len(timed),
            **summary,
            "mean_hits": round(mean_hits, 1),
            "no_cache": counted,
            "previous_facets": previous,
            "landing": {**landing_summary, "first_ms": round(first, 2)},
            "landing_no_cache": landing_counted,
            "landing_previous_facets": landing_previous,
            "new_books": new_books,
            "peak_rss_mb": round(peak),
        }
        print(json.dumps(result_json))
    finally:
        if temporary:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
