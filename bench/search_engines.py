"""Which embedded engine, by measurement: tantivy (:class:`TantivySearchIndex`) against SQLite FTS5.

Usage: ``python bench/search_engines.py [--clusters N] [--queries Q] [--fts-detail full|column]`` (default
200,000 clusters, 1,000 queries).

Both engines index the same generated corpus (``bench/search.py``'s generator) and answer the same query mix
(free text, Chinese, fielded, ISBN, filters, member boost, pages 1-3, facets member, format, language, class),
both from :func:`~consortium.search.plan.plan_query` and :func:`~consortium.search.document.index_document`,
both returning a :class:`~consortium.search.query.SearchResult`. The build rate includes building the index
documents for both; generating the clusters is left out.

The FTS5 side is written here, minimal but fair:

- one FTS5 table over the pre-analyzed ``title_terms``, ``authors_terms``, ``subjects_terms`` and
  ``publisher_terms`` (and ``isbns``, ``issns``), with the ``unicode61`` tokenizer: the terms are already cut
  and normalized by :mod:`consortium.search.analysis` and separated by spaces, so splitting on spaces is all a
  tokenizer has to do (a ``trigram`` tokenizer would index the joined term text again, several times larger,
  and would not match a one- or two-character Chinese term at all); contentless (``content=''``), as tantivy
  stores only the display fields;
- ``docs`` (rowid = the FTS rowid) with the display fields; ``keys`` (the same rowid), narrow, with year,
  format and language for filters and facets; ``doc_members`` and ``doc_classes`` for the multi-valued
  keywords, each keyed for filtering by value and indexed for joining from the matches;
- a query's clauses become an FTS5 expression (each clause an OR of ``{columns} : "term"``, the clauses joined
  by AND), ranked by ``bm25`` with column weights title 3, authors 2, the others 1, plus 1.5 for the reader's
  library (as tantivy's constant-score ``Should``); the matches (rowid and score) go to a temporary table
  once, then the page, the count and the facets (``GROUP BY`` over the matching rowids; format and language in
  one pass) are read from it.

Agreement: for every timed query, whether both engines give the same total and the same facet counts, and how
much of the page they share (the two BM25s differ, and ties order differently); for a sample of queries, the
full set of matching cluster ids. The last line is JSON.
"""

from __future__ import annotations

import argparse
import gc
import json
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from search import Corpus, describe, folder_size, latency_summary, make_queries, peak_rss_mb

from consortium.search.document import index_document
from consortium.search.plan import MEMBER_BOOST, facet_counts, hit_from_document, plan_query
from consortium.search.query import SearchResult

if TYPE_CHECKING:
    from collections.abc import Iterable

    from consortium.search.plan import QueryPlan
    from consortium.search.query import SearchQuery

FTS_COLUMNS = ("title_terms", "authors_terms", "subjects_terms", "publisher_terms", "isbns", "issns")
BM25_WEIGHTS = (3.0, 2.0, 1.0, 1.0, 1.0, 1.0)
_SORTS = {"year_desc": "d.year DESC, m.doc", "year_asc": "d.year ASC, m.doc", "title": "d.title_sort, m.doc"}


class Fts5SearchIndex:
    """The search port's ``rebuild`` and ``search`` over SQLite FTS5 (see the module notes)."""

    def __init__(self, path: Path, *, detail: str = "full") -> None:
        self.path = path
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA mmap_size = 1073741824")
        self.db.execute("PRAGMA cache_size = -262144")  # 256 MB
        self.db.execute("PRAGMA temp_store = MEMORY")
        columns = ", ".join(FTS_COLUMNS)
        self.db.executescript(
            f"""
            CREATE VIRTUAL TABLE fts USING fts5({columns}, content='', detail={detail},
                tokenize="unicode61 remove_diacritics 0");
            CREATE TABLE docs (id INTEGER PRIMARY KEY, cluster_id TEXT NOT NULL, title TEXT, title_sort TEXT,
                authors TEXT, year INTEGER, format TEXT, members TEXT);
            CREATE TABLE keys (id INTEGER PRIMARY KEY, year INTEGER, format TEXT NOT NULL, language TEXT);
            CREATE TABLE doc_members (member TEXT NOT NULL, doc INTEGER NOT NULL, PRIMARY KEY (member, doc))
                WITHOUT ROWID;
            CREATE TABLE doc_classes (class_top TEXT NOT NULL, doc INTEGER NOT NULL, PRIMARY KEY (class_top, doc))
                WITHOUT ROWID;
            CREATE TEMP TABLE m (doc INTEGER PRIMARY KEY, score REAL);
            """
        )

    def rebuild(self, clusters: Iterable[Any]) -> None:
        db = self.db
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        db.execute("BEGIN")
        fts_sql = f"INSERT INTO fts(rowid, {', '.join(FTS_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?)"
        docs_sql = "INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        fts_rows: list[tuple[Any, ...]] = []
        doc_rows: list[tuple[Any, ...]] = []
        key_rows: list[tuple[Any, ...]] = []
        member_rows: list[tuple[str, int]] = []
        class_rows: list[tuple[str, int]] = []

        def flush() -> None:
            db.executemany(fts_sql, fts_rows)
            db.executemany(docs_sql, doc_rows)
            db.executemany("INSERT INTO keys VALUES (?, ?, ?, ?)", key_rows)
            db.executemany("INSERT INTO doc_members VALUES (?, ?)", member_rows)
            db.executemany("INSERT INTO doc_classes VALUES (?, ?)", class_rows)
            for rows in (fts_rows, doc_rows, key_rows, member_rows, class_rows):
                rows.clear()

        for rowid, cluster in enumerate(clusters, start=1):
            d = index_document(cluster)
            fts_rows.append(
                (
                    rowid,
                    d["title_terms"],
                    d["authors_terms"],
                    d["subjects_terms"],
                    d["publisher_terms"],
                    " ".join(d["isbns"]),
                    " ".join(i.replace("-", "") for i in d["issns"]),
                )
            )
            doc_rows.append(
                (
                    rowid,
                    d["cluster_id"],
                    d["title"],
                    d["title_sort"],
                    json.dumps(d["authors"], ensure_ascii=False),
                    d["year"],
                    d["format"],
                    json.dumps(d["members"]),
                )
            )
            key_rows.append((rowid, d["year"], d["format"], d["language"]))
            member_rows.extend((member, rowid) for member in d["members"])
            class_rows.extend((top, rowid) for top in d["class_top"])
            if len(doc_rows) >= 10_000:
                flush()
        flush()
        db.execute("INSERT INTO fts(fts) VALUES ('optimize')")
        db.execute("CREATE INDEX doc_members_by_doc ON doc_members (doc, member)")
        db.execute("CREATE INDEX doc_classes_by_doc ON doc_classes (doc, class_top)")
        db.execute("COMMIT")
        db.execute("ANALYZE")

    def count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM docs").fetchone()[0])

    @staticmethod
    def match_expression(plan: QueryPlan) -> str:
        """The FTS5 query for the plan's clauses: every clause, each satisfied by any of its alternatives."""
        clauses = []
        for clause in plan.clauses:
            by_value: dict[str, list[str]] = {}
            for term in clause.alternatives:
                value = term.value.replace("-", "") if term.field == "issns" else term.value
                by_value.setdefault(value, []).append(term.field)
            options = []
            for value, fields in by_value.items():
                quoted = '"' + value.replace('"', '""') + '"'
                options.append(f"{{{' '.join(fields)}}} : {quoted}")
            clauses.append("(" + " OR ".join(options) + ")")
        return " AND ".join(clauses)

    def _collect(self, plan: QueryPlan) -> None:
        """Put the matches of ``plan`` and their scores in the temporary table ``m``."""
        where: list[str] = []
        args: list[Any] = []
        weights = ", ".join(str(w) for w in BM25_WEIGHTS)
        if plan.clauses:
            source, rowid, score = "fts", "fts.rowid", f"-bm25(fts, {weights})"
            where.append("fts MATCH ?")
            args.append(self.match_expression(plan))
        else:
            source, rowid, score = "keys k", "k.id", "1.0"
        joins_keys = not plan.clauses
        for keyword in plan.filters:
            marks = ", ".join("?" for _ in keyword.values)
            if keyword.field in ("format", "language"):
                where.append(f"k.{keyword.field} IN ({marks})")
                joins_keys = True
            elif keyword.field == "members":
                where.append(f"EXISTS (SELECT 1 FROM doc_members WHERE member IN ({marks}) AND doc = {rowid})")
            elif keyword.field == "class_top":
                where.append(f"EXISTS (SELECT 1 FROM doc_classes WHERE class_top IN ({marks}) AND doc = {rowid})")
            else:
                # The query mix (bench/search.py make_queries) filters on format, language, members, class only.
                raise ValueError(f"the FTS5 side of this comparison has no {keyword.field!r} filter")
            args.extend(keyword.values)
        for bounds in plan.ranges:
            if bounds.field != "year":
                raise ValueError(f"the FTS5 side of this comparison has no {bounds.field!r} range")
            if bounds.lower is not None:
                where.append("k.year >= ?")
                args.append(bounds.lower)
            if bounds.upper is not None:
                where.append("k.year <= ?")
                args.append(bounds.upper)
            if plan.clauses:
                joins_keys = True
        if joins_keys and plan.clauses:
            source += " CROSS JOIN keys k ON k.id = fts.rowid"
        boost_args: list[Any] = []
        if plan.boost_member is not None:
            score += (
                f" + CASE WHEN EXISTS (SELECT 1 FROM doc_members WHERE member = ? AND doc = {rowid})"
                f" THEN {MEMBER_BOOST} ELSE 0 END"
            )
            boost_args.append(plan.boost_member)
        sql = f"INSERT INTO m (doc, score) SELECT {rowid}, {score} FROM {source}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        self.db.execute("DELETE FROM m")
        self.db.execute(sql, [*boost_args, *args])

    def search(self, query: SearchQuery) -> SearchResult:
        plan = plan_query(query)
        self._collect(plan)
        db = self.db
        total = int(db.execute("SELECT count(*) FROM m").fetchone()[0])
        order = _SORTS.get(query.sort, "m.score DESC, m.doc")
        rows = db.execute(
            "SELECT d.cluster_id, d.title, d.authors, d.year, d.format, d.members, m.score "
            f"FROM m CROSS JOIN docs d ON d.id = m.doc ORDER BY {order} LIMIT ? OFFSET ?",
            (query.page_size, query.offset),
        ).fetchall()
        relevance = query.sort == "relevance"
        hits = [
            hit_from_document(
                {
                    "cluster_id": cid,
                    "title": title,
                    "authors": json.loads(authors),
                    "year": year,
                    "format": fmt,
                    "members": json.loads(members),
                },
                float(score) if relevance else None,
            )
            for cid, title, authors, year, fmt, members, score in rows
        ]
        facets: dict[str, Any] = {}
        wanted = dict(plan.facets)
        if "format" in wanted.values() or "language" in wanted.values():
            by_format: dict[str, int] = {}
            by_language: dict[str, int] = {}
            for fmt, language, n in db.execute(
                "SELECT k.format, k.language, count(*) FROM m CROSS JOIN keys k ON k.id = m.doc GROUP BY 1, 2"
            ):
                by_format[fmt] = by_format.get(fmt, 0) + n
                if language is not None:
                    by_language[language] = by_language.get(language, 0) + n
            for name, field in plan.facets:
                if field == "format":
                    facets[name] = facet_counts(by_format)
                elif field == "language":
                    facets[name] = facet_counts(by_language)
        for name, field in plan.facets:
            if field == "members":
                sql = "SELECT x.member, count(*) FROM m CROSS JOIN doc_members x ON x.doc = m.doc GROUP BY 1"
            elif field == "class_top":
                sql = "SELECT x.class_top, count(*) FROM m CROSS JOIN doc_classes x ON x.doc = m.doc GROUP BY 1"
            elif field == "year":
                sql = (
                    "SELECT k.year, count(*) FROM m CROSS JOIN keys k ON k.id = m.doc WHERE k.year NOT NULL GROUP BY 1"
                )
            else:
                continue
            facets[name] = facet_counts({str(value): n for value, n in db.execute(sql)})
        facets = {name: facets[name] for name, _ in plan.facets if name in facets}
        return SearchResult(total=total, hits=hits, facets=facets, page=query.page, page_size=query.page_size)

    def matching_ids(self, query: SearchQuery) -> set[str]:
        self._collect(plan_query(query))
        return {cid for (cid,) in self.db.execute("SELECT d.cluster_id FROM m CROSS JOIN docs d ON d.id = m.doc")}

    def close(self) -> None:
        self.db.close()


def tantivy_matching_ids(index: Any, query: SearchQuery, total: int) -> set[str]:
    searcher = index._index.searcher()
    found = searcher.search(index._compile(plan_query(query)), limit=max(total, 1))
    return {searcher.doc(address)["cluster_id"][0] for _, address in found.hits}


class Outcome(NamedTuple):
    """What a result is compared by, in plain tuples (holding 1,000 ``SearchResult`` objects would make the
    garbage collector's full passes land on some of the timed queries)."""

    total: int
    facets: tuple[tuple[str, tuple[tuple[str, int], ...]], ...]
    page: tuple[str, ...]


def run_queries(index: Any, queries: list[SearchQuery], warmup: int) -> tuple[list[float], list[Outcome]]:
    for query in queries[:warmup]:
        index.search(query)
    gc.collect()
    latencies, outcomes = [], []
    for query in queries[warmup:]:
        began = time.perf_counter()
        result = index.search(query)
        latencies.append((time.perf_counter() - began) * 1000)
        facets = tuple((name, tuple((f.value, f.count) for f in counts)) for name, counts in result.facets.items())
        outcomes.append(Outcome(result.total, facets, tuple(h.cluster_id for h in result.hits)))
        del result
    return latencies, outcomes


def main() -> int:
    from consortium.adapters.local import TantivySearchIndex

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clusters", type=int, default=200_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--fts-detail", choices=["full", "column"], default="full")
    parser.add_argument("--full-sets", type=int, default=100, help="queries whose whole result sets are compared")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="search-engines-"))
    report: dict[str, Any] = {"clusters": args.clusters, "queries": args.queries}
    try:
        corpus = Corpus(args.clusters)
        engines: dict[str, Any] = {
            "tantivy": lambda: TantivySearchIndex(folder / "tantivy"),
            "fts5": lambda: Fts5SearchIndex(folder / "fts5.sqlite", detail=args.fts_detail),
        }
        built: dict[str, Any] = {}
        results: dict[str, list[Outcome]] = {}
        queries: list[SearchQuery] = []
        for name, make in engines.items():
            index = make()
            started = time.perf_counter()
            index.rebuild(corpus.clusters())
            build = time.perf_counter() - started - corpus.seconds
            target = folder / "tantivy" if name == "tantivy" else folder / "fts5.sqlite"
            size = folder_size(target) if target.is_dir() else target.stat().st_size
            if not queries:
                queries = make_queries(corpus.sample, args.warmup + args.queries)
            latencies, results[name] = run_queries(index, queries, args.warmup)
            summary = latency_summary(latencies)
            mean_hits = statistics.fmean(r.total for r in results[name])
            built[name] = index
            report[name] = {
                "build_s": round(build, 2),
                "build_clusters_per_s": round(args.clusters / build),
                "index_bytes": size,
                **summary,
                "mean_hits": round(mean_hits, 1),
            }
            print(
                f"{name:8s} built {index.count():,} in {build:.1f} s ({args.clusters / build:,.0f} clusters/s), "
                f"{size / 1e6:,.0f} MB on disk; queries p50 {summary['p50_ms']:.2f} ms, "
                f"p95 {summary['p95_ms']:.2f} ms, "
                f"p99 {summary['p99_ms']:.2f} ms, mean {summary['mean_ms']:.2f} ms; mean hits {mean_hits:,.0f}"
            )

        timed = queries[args.warmup :]
        same_total = same_facets = same_page_set = 0
        overlaps = []
        mismatches = []
        for query, a, b in zip(timed, results["tantivy"], results["fts5"], strict=True):
            same_total += a.total == b.total
            same_facets += a.facets == b.facets
            ids_a, ids_b = set(a.page), set(b.page)
            same_page_set += ids_a == ids_b
            if ids_a or ids_b:
                overlaps.append(len(ids_a & ids_b) / max(len(ids_a), len(ids_b)))
            if a.total != b.total or a.facets != b.facets:
                mismatches.append((query, a.total, b.total))
        sample = [(q, r.total) for q, r in zip(timed, results["tantivy"], strict=True) if r.total <= 5000]
        sample = sample[: args.full_sets]
        same_sets = sum(
            tantivy_matching_ids(built["tantivy"], q, total) == built["fts5"].matching_ids(q) for q, total in sample
        )
        n = len(timed)
        print(
            f"agreement over {n:,} queries: same total {same_total:,}, same facet counts {same_facets:,}, "
            f"same page (as a set) {same_page_set:,}, mean page overlap {statistics.fmean(overlaps):.1%}; "
            f"whole result sets identical on {same_sets}/{len(sample)} sampled queries (<= 5,000 hits)"
        )
        for query, total_a, total_b in mismatches[:5]:
            print(f"  differs: tantivy {total_a:,} fts5 {total_b:,}  {describe(query)}")
        speed = report["fts5"]["p95_ms"] / report["tantivy"]["p95_ms"]
        print(
            f"p95: tantivy {report['tantivy']['p95_ms']:.2f} ms, fts5 {report['fts5']['p95_ms']:.2f} ms "
            f"(fts5 {speed:.1f}x); peak RSS {peak_rss_mb():,.0f} MB"
        )
        report["agreement"] = {
            "same_total": same_total,
            "same_facets": same_facets,
            "same_page_set": same_page_set,
            "mean_page_overlap": round(statistics.fmean(overlaps), 3),
            "full_sets_identical": same_sets,
            "full_sets_sampled": len(sample),
        }
        report["peak_rss_mb"] = round(peak_rss_mb())
        built["fts5"].close()
        print(json.dumps(report))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
