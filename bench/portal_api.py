"""The portal's class browse and help for empty searches: their cost on N generated clusters in the embedded tantivy
index.

Usage: ``python bench/portal_api.py [--clusters N] [--repeat R]`` (default 200,000 clusters, each case 50 times).

The corpus is the search benchmark's (``search_clusters.Corpus``: CLC classes for Chinese records, LCC and Dewey
for the others, with many distinct class numbers). Timed, each through the core function the route calls:

- ``GET /classes``: each scheme's main classes (every work counted), one of them (CLC T, LCC Q, Dewey 500), a
  class two levels down, and the main classes of the last 30 days (a filter on first seen);
- ``GET /search`` that finds nothing: a misspelt English title word (one letter changed), a word no work holds
  with two filters, and a title term that finds nothing in titles; and the common path (a search that finds
  works) through :func:`search_with_suggestions` beside the bare :meth:`TantivySearchIndex.search`, to show it
  costs nothing more.

Prints p50/p95/mean per case; the last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from datetime import timedelta
from typing import TYPE_CHECKING

from search import percentile
from search_clusters import EN_WORDS, Corpus

from consortium.adapters.local import TantivySearchIndex
from consortium.search import parse_query_string
from consortium.search.class_browse import browse_classes
from consortium.search.suggestions import search_with_suggestions

if TYPE_CHECKING:
    from collections.abc import Callable


def timed(run: Callable[[], object], repeat: int) -> dict[str, float]:
    run()  # warm
    latencies = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        latencies.append((time.perf_counter() - started) * 1000)
    return {
        "p50_ms": round(percentile(latencies, 0.5), 2),
        "p95_ms": round(percentile(latencies, 0.95), 2),
        "mean_ms": round(statistics.fmean(latencies), 2),
    }


def misspell(word: str, rng: random.Random) -> str:
    position = rng.randrange(1, len(word))
    letter = rng.choice([c for c in "abcdefghijklmnopqrstuvwxyz" if c != word[position]])
    return word[:position] + letter + word[position + 1 :]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    corpus = Corpus(args.clusters)
    index = TantivySearchIndex(None, writer_heap=200_000_000)
    started = time.perf_counter()
    index.rebuild(corpus.clusters())
    print(f"{args.clusters:,} clusters indexed in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    recent = corpus.latest_first_seen - timedelta(days=30)
    rng = random.Random(5)
    long_words = [w for w in EN_WORDS if len(w) >= 6]
    cases: dict[str, Callable[[], object]] = {
        "classes clc main": lambda: browse_classes(index, "clc"),
        "classes lcc main": lambda: browse_classes(index, "lcc"),
        "classes ddc main": lambda: browse_classes(index, "ddc"),
        "classes clc T": lambda: browse_classes(index, "clc", "T"),
        "classes lcc Q": lambda: browse_classes(index, "lcc", "Q"),
        "classes ddc 500": lambda: browse_classes(index, "ddc", "500"),
        "classes clc TP3": lambda: browse_classes(index, "clc", "TP3"),
        "classes clc main, last 30 days": lambda: browse_classes(index, "clc", since=recent),
    }
    misspelt = [misspell(rng.choice(long_words), rng) for _ in range(args.repeat + 1)]
    words = iter(misspelt * 3)
    cases["empty search: a misspelt word"] = lambda: search_with_suggestions(index, parse_query_string(next(words)))
    cases["empty search: unknown word, 2 filters"] = lambda: search_with_suggestions(
        index, parse_query_string("zyxwvut format:ebook lang:eng")
    )
    cases["empty search: title term elsewhere"] = lambda: search_with_suggestions(
        index, parse_query_string("title:zhang")
    )
    found = parse_query_string("learning systems", facets=["member", "format", "language", "class"])
    cases["found: search_with_suggestions"] = lambda: search_with_suggestions(index, found)
    cases["found: index.search"] = lambda: index.search(found)
    figures = {}
    for name, run in cases.items():
        figures[name] = timed(run, args.repeat)
        line = figures[name]
        print(f"{name:40} p50 {line['p50_ms']:7.2f} ms  p95 {line['p95_ms']:7.2f} ms  mean {line['mean_ms']:7.2f} ms")
    sample = search_with_suggestions(index, parse_query_string(misspelt[0]))
    print(f"e.g. {misspelt[0]!r}: {[(s.kind, s.q, s.count) for s in sample.suggestions]}")
    print(json.dumps({"clusters": args.clusters, "repeat": args.repeat, "cases": figures}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
