"""The embedded search index: tantivy (a Lucene-like engine in Rust, through its official Python bindings).

Schema
    ``cluster_id`` (stored, raw: the key upserts and deletes go by); the analyzed ``*_terms`` fields with
    tantivy's ``whitespace`` tokenizer, since their text is already cut into terms by
    :mod:`consortium.search.analysis` (tantivy's ``default`` and ``en_stem`` tokenizers keep a run of Chinese
    characters as one term, and Porter stemming conflates ``computer`` with ``computation`` in every language;
    our analysis is shared with the in-memory adapter and maps to OpenSearch's ``minimal_english``); keyword
    fields with the ``raw`` tokenizer, fast for facets and filters (``class_chain``, every class of a work at every
    depth, is indexed only: it filters; ``class_tree``, the class tree's steps, is read from the term dictionary by the
    class browse); ``year`` and ``first_seen_us`` as fast integer fields (tantivy's date
    fields keep whole seconds in their fast columns; the ranges are to the microsecond); ``title_sort`` and
    ``newest_sort`` fast for sorting. Display fields are stored for the hit list.

    A sort on a fast field breaks ties by the document's place in the index, not by ``cluster_id`` as the other
    adapters do; so ``newest`` sorts by ``newest_sort``, a text key that puts the later ``first_seen`` first and
    then the lower ``cluster_id`` (:func:`newest_key`). An index of an older schema is replaced by an empty one and
    rebuilt from the stored works (:attr:`TantivySearchIndex.needs_rebuild`).

Queries are built from :func:`~consortium.search.plan.plan_query` with ``tantivy.Query`` constructors (term,
term set, range, boolean, boost, constant score), not the query-string parser: the terms are analyzed already,
and user text never reaches a parser. Filters score zero (``const_score_query``), so they narrow without
reordering; the reader's library is a ``Should`` clause with a constant score. Facets are terms aggregations
(``Searcher.aggregate``, the OpenSearch aggregation JSON) over single-valued keys where a field may hold several
values (:mod:`~consortium.adapters.local.tantivy_facets`).

Searches read the index's latest commit, by this process or another: the reader reloads only when told (tantivy's
``manual`` policy), and each search first compares the index's ``meta.json`` (which every commit rewrites) with
the one it last loaded, reloading when they differ. Each reload starts a new *generation*; facet counts are
cached per generation, so none counted before a write is served after it.
"""

from __future__ import annotations

import logging
import re
import threading
from contextlib import contextmanager
from itertools import islice
from typing import TYPE_CHECKING, Any

import tantivy

from consortium.adapters.local.tantivy_facets import KEYED, FacetCache, count_facets, facet_key
from consortium.adapters.local.tantivy_schema import ID_FIELDS, STORED, compile_plan, index_schema, restricts
from consortium.errors import StorageError
from consortium.search.document import MAX_CLASS_CHILDREN, TERM_FIELDS, child_counts, index_document
from consortium.search.plan import hit_from_document, plan_query
from consortium.search.query import SearchResult
from consortium.search.spelling import PREFIX_LENGTH, correctable, within_reach

if TYPE_CHECKING:
    from collections.abc import Hashable, Iterable, Iterator, Sequence
    from contextlib import AbstractContextManager
    from pathlib import Path

    from consortium.models import Cluster
    from consortium.search.plan import QueryPlan
    from consortium.search.query import FacetCount, SearchQuery

__all__ = ["TantivySearchIndex", "newest_key"]

log = logging.getLogger(__name__)

_SORTS = {
    "year_desc": ("year", tantivy.Order.Desc),
    "year_asc": ("year", tantivy.Order.Asc),
    "title": ("title_sort", tantivy.Order.Asc),
    "newest": ("newest_sort", tantivy.Order.Asc),
}
_NEWEST_FROM = 10**18
""":func:`newest_key` counts microseconds back from here (in the year 33658): any ``first_seen`` from year 1 to
9999 gives a positive number of at most 19 digits, padded to 20."""
_TANTIVY_FILE = re.compile(r"^(meta\.json|\.managed\.json|\.tantivy-.*\.lock|[0-9a-f]{32}(\.\d+)?\.\w+)$")


def newest_key(first_seen_us: int, cluster_id: str) -> str:
    """The ``newest_sort`` key: ascending keys put the later ``first_seen`` first, then the lower ``cluster_id``.

    Example
    -------
    >>> newest_key(1_700_000_000_000_000, "c1") < newest_key(1_600_000_000_000_000, "c0")
    True
    """
    return f"{_NEWEST_FROM - first_seen_us:020d} {cluster_id}"


class TantivySearchIndex:
    """A :class:`~consortium.search.ports.SearchIndex` in a tantivy index, in a folder or in RAM.

    Parameters
    ----------
    path
        The index folder (created if absent; it should hold nothing else), or ``None`` for an index in RAM.
        An index written with another schema is replaced by an empty one, and :attr:`needs_rebuild` is set:
        the index is derived data, rebuilt from the cluster store with :meth:`rebuild`.
    batch_size
        Clusters per commit in :meth:`upsert`.
    writer_heap, writer_threads
        The indexing memory budget (bytes, shared by the threads; at least 15 MB per thread) and threads.
    facet_cache_size
        How many queries' facet counts are kept for the current generation (0: none).

    Example
    -------
    >>> index = TantivySearchIndex(settings.data_dir / "search")
    >>> if index.needs_rebuild:
    ...     index.rebuild(cluster_store.clusters())
    >>> index.search(SearchQuery(text="三体", boost_member="pku")).hits[0].title
    '三体'
    """

    def __init__(
        self,
        path: Path | None = None,
        *,
        batch_size: int = 1000,
        writer_heap: int = 64_000_000,
        writer_threads: int = 1,
        facet_cache_size: int = 256,
    ) -> None:
        self.path = path
        self.batch_size = batch_size
        self._writer_heap, self._writer_threads = writer_heap, writer_threads
        self._schema = index_schema()
        self._write_lock = threading.Lock()
        self._held: tantivy.IndexWriter | None = None
        self._read_lock = threading.Lock()
        self.needs_rebuild = False
        self._facets = FacetCache(facet_cache_size)
        self._index = self._open()
        self._index.config_reader(reload_policy="manual")
        self._commit = self._read_commit()
        self._generation = 0

    def _open(self) -> tantivy.Index:
        if self.path is None:
            return tantivy.Index(self._schema)
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            return tantivy.Index(self._schema, str(self.path), reuse=True)
        except ValueError as exc:
            if "ReadOnlyFilesystem" in str(exc) or "PermissionDenied" in str(exc):
                raise StorageError(
                    f"cannot open the search index in {self.path}: the folder is read-only, and tantivy takes a "
                    "lock file even to read"
                ) from exc
            if "schema does not match" not in str(exc):
                raise StorageError(f"cannot open the search index in {self.path}: {exc}") from exc
        except OSError as exc:
            raise StorageError(f"cannot open the search index in {self.path}: {exc.strerror}") from exc
        log.warning("the search index in %s has an older schema: replaced by an empty index", self.path)
        try:
            for file in self.path.iterdir():
                if file.is_file() and _TANTIVY_FILE.match(file.name):
                    file.unlink()
            index = tantivy.Index(self._schema, str(self.path), reuse=False)
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else str(exc)
            raise StorageError(
                f"the search index in {self.path} was written by another version of the hub and cannot be "
                f"replaced ({reason}): run a writing command (consortium run --once) where the data folder is writable"
            ) from exc
        self.needs_rebuild = True
        return index

    # -- writes --------------------------------------------------------------------------------------

    @contextmanager
    def _writer(self) -> Iterator[tantivy.IndexWriter]:
        """The index's writer, released on exit (or the one :meth:`writing` holds, kept); uncommitted changes are
        rolled back on an error."""
        with self._write_lock:
            held = self._held
            if held is not None:
                try:
                    yield held
                except ValueError as exc:
                    held.rollback()
                    raise StorageError(f"writing the search index failed: {exc}") from exc
                except BaseException:
                    held.rollback()
                    raise
                finally:
                    if self.path is None:  # searches of an index on disk see its new commit by themselves
                        with self._read_lock:
                            self._reload()
                return
            writer = self._new_writer()
            try:
                yield writer
            except ValueError as exc:
                writer.rollback()
                raise StorageError(f"writing the search index failed: {exc}") from exc
            except BaseException:
                writer.rollback()
                raise
            finally:
                writer.wait_merging_threads()
                with self._read_lock:
                    self._reload()

    def _new_writer(self) -> tantivy.IndexWriter:
        try:
            return self._index.writer(heap_size=self._writer_heap, num_threads=self._writer_threads)
        except ValueError as exc:
            raise StorageError(f"cannot write the search index: {exc}") from exc

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Keep one writer for every write made inside, for a process that writes batch after batch (the
        follower of a harvest): each write still commits, but the writer is not made again for it, and segment
        merges go on in the background instead of being waited for after every batch. On exit the merges are
        waited for and the writer released. Inside, no other process can write the index (tantivy's writer
        lock), as outside it none can while a write is being made.

        Example
        -------
        >>> with index.writing():
        ...     for batch in batches:
        ...         index.upsert(batch)
        """
        with self._write_lock:
            if self._held is not None:
                raise RuntimeError("the search index's writer is held already")
            self._held = self._new_writer()
        try:
            yield
        finally:
            with self._write_lock:
                writer, self._held = self._held, None
                try:
                    writer.wait_merging_threads()  # every write inside committed, or rolled back
                finally:
                    with self._read_lock:
                        self._reload()

    def stage(self, saved: Iterable[Cluster], deleted: Iterable[str]) -> None:
        """Into the writer :meth:`writing` holds, not committed: ``saved`` indexed (replacing their documents),
        then ``deleted`` removed, as :meth:`upsert` then :meth:`delete` do; :meth:`commit_staged` commits them."""
        with self._held_writer() as writer:
            for cluster in saved:
                writer.delete_documents_by_term("cluster_id", cluster.cluster_id)
                writer.add_document(self._document(cluster))
            for cluster_id in deleted:
                writer.delete_documents_by_term("cluster_id", cluster_id)

    def commit_staged(self) -> None:
        """Commit what :meth:`stage` staged. tantivy lets go of the GIL while it commits (its indexing thread takes
        in the documents, then the segment is written): commit from a thread, and go on meanwhile."""
        with self._held_writer() as writer:
            writer.commit()

    def _held_writer(self) -> AbstractContextManager[tantivy.IndexWriter]:
        if self._held is None:
            raise RuntimeError("staging writes needs the writer held (TantivySearchIndex.writing)")
        return self._writer()

    def _document(self, cluster: Cluster) -> tantivy.Document:
        fields = index_document(cluster)
        values: dict[str, list[Any]] = {}
        for name in ("cluster_id", "title", "title_sort", *TERM_FIELDS, "language", "format", "work_id"):
            if fields[name]:
                values[name] = [fields[name]]
        for name in ("authors", "members", "class_top", "class_codes", "subjects", *ID_FIELDS):
            if fields[name]:
                values[name] = fields[name]
        for name, key in KEYED.items():  # the values added above, as one key
            value = fields[name]
            values[key] = [facet_key((value,) if isinstance(value, str) else value or ())]
        if fields["year"] is not None:
            values["year"] = [fields["year"]]
        values["first_seen_us"] = [fields["first_seen_us"]]
        values["newest_sort"] = [newest_key(fields["first_seen_us"], fields["cluster_id"])]
        # One call into tantivy for the whole document (a call per value cost a fifth of building it).
        return tantivy.Document.from_dict(values, self._schema)

    def upsert(self, clusters: Iterable[Cluster]) -> None:
        """Index ``clusters``, replacing their earlier documents; one commit per :attr:`batch_size`."""
        with self._writer() as writer:
            pending = iter(clusters)
            while batch := list(islice(pending, self.batch_size)):
                for cluster in batch:
                    writer.delete_documents_by_term("cluster_id", cluster.cluster_id)
                    writer.add_document(self._document(cluster))
                writer.commit()

    def delete(self, cluster_ids: Iterable[str]) -> None:
        with self._writer() as writer:
            for cluster_id in cluster_ids:
                writer.delete_documents_by_term("cluster_id", cluster_id)
            writer.commit()

    def clear(self) -> None:
        with self._writer() as writer:
            writer.delete_all_documents()
            writer.commit()

    def rebuild(self, clusters: Iterable[Cluster]) -> None:
        """Replace the whole index by ``clusters`` in one commit: searches see the old index until the new
        one is complete."""
        seen: set[str] = set()
        with self._writer() as writer:
            writer.delete_all_documents()
            for cluster in clusters:
                # A queued delete per document would be held until the commit (about 1 KB each): only a
                # cluster id given twice needs one.
                if cluster.cluster_id in seen:
                    writer.delete_documents_by_term("cluster_id", cluster.cluster_id)
                seen.add(cluster.cluster_id)
                writer.add_document(self._document(cluster))
            writer.commit()
        self.needs_rebuild = False

    # -- reads ---------------------------------------------------------------------------------------

    def _read_commit(self) -> bytes | None:
        """The index's ``meta.json`` as it is now: every commit (by any process) writes a new one."""
        if self.path is None:
            return None
        try:
            return (self.path / "meta.json").read_bytes()
        except OSError:
            return None

    def _reload(self) -> None:
        """Load the latest commit and start a new generation; under :attr:`_read_lock`."""
        # meta.json first: a commit landing before the reload is then loaded now and reloaded once more next time.
        self._commit = self._read_commit()
        self._index.reload()
        self._generation += 1

    def _searcher(self) -> tuple[int, tantivy.Searcher]:
        """A searcher on the latest commit, and its generation."""
        with self._read_lock:
            if self.path is not None and self._read_commit() != self._commit:
                self._reload()
            return self._generation, self._index.searcher()

    def count(self) -> int:
        return int(self._searcher()[1].num_docs)

    def search(self, query: SearchQuery) -> SearchResult:
        plan = plan_query(query)
        compiled = self._compile(plan)
        generation, searcher = self._searcher()
        order: dict[str, Any] = {}
        if query.sort in _SORTS:
            field, direction = _SORTS[query.sort]
            order = {"order_by_field": field, "order": direction}
        everything = not restricts(plan)  # the total is the number of documents: nothing to count
        try:
            found = searcher.search(compiled, limit=query.page_size, offset=query.offset, count=not everything, **order)
            # ``SearchResult.count`` is missing from tantivy's type stubs, though the object has it.
            total = int(searcher.num_docs if everything else found.count)  # type: ignore[attr-defined]
            facets = self._facet_counts(generation, searcher, compiled, plan, total) if plan.facets else {}
        except ValueError as exc:
            raise StorageError(f"searching the index failed: {exc}") from exc
        relevance = query.sort == "relevance"
        hits = [
            hit_from_document(self._stored(searcher.doc(address)), float(score) if relevance else None)
            for score, address in found.hits
        ]
        return SearchResult(total=total, hits=hits, facets=facets, page=query.page, page_size=query.page_size)

    def class_counts(self, parent: str, query: SearchQuery | None = None) -> dict[str, int]:
        """The ``class_tree`` terms out of ``parent`` from the term dictionary, each counted over the matching
        (and live) documents."""
        matching = self._compile(plan_query(query)) if query is not None else tantivy.Query.all_query()
        searcher = self._searcher()[1]
        try:
            edges = searcher.terms_with_prefix("class_tree", f"{parent}>", matching, MAX_CLASS_CHILDREN)
        except ValueError as exc:
            raise StorageError(f"counting the classes under {parent} failed: {exc}") from exc
        return child_counts(parent, dict(edges))

    def similar_terms(self, word: str, fields: Sequence[str]) -> dict[str, int]:
        """The term dictionary's terms that share ``word``'s first letter, kept when within reach."""
        if not correctable(word):
            return {}
        searcher = self._searcher()[1]
        found: dict[str, int] = {}
        for field in fields:
            try:
                terms = searcher.terms_with_prefix(field, word[:PREFIX_LENGTH])
            except ValueError as exc:
                raise StorageError(f"reading the terms of {field} failed: {exc}") from exc
            for term, count in terms:
                if within_reach(word, term):
                    found[term] = max(found.get(term, 0), int(count))
        return found

    def _compile(self, plan: QueryPlan) -> tantivy.Query:
        return compile_plan(self._schema, plan)

    def _facet_counts(
        self, generation: int, searcher: tantivy.Searcher, compiled: tantivy.Query, plan: QueryPlan, total: int
    ) -> dict[str, list[FacetCount]]:
        """The facets of the plan's matches, from the cache when this generation has counted them already."""
        key = _matching(plan)
        if (cached := self._facets.get(generation, key)) is not None:
            return cached
        facets = count_facets(searcher, compiled, plan.facets, total)
        self._facets.put(generation, key, facets)
        return facets

    @staticmethod
    def _stored(document: tantivy.Document) -> dict[str, Any]:
        values = document.to_dict()
        stored: dict[str, Any] = {name: values.get(name, []) for name in STORED}
        for name in ("cluster_id", "title", "year", "format", "language", "first_seen_us", "work_id"):
            stored[name] = stored[name][0] if stored[name] else None
        return stored


def _matching(plan: QueryPlan) -> Hashable:
    """What decides a plan's matches and facets (not the boost, which only reorders, nor the page or sort): the
    clauses, the keyword filters (classes at any depth among them), the ranges (years, first-seen period) and the
    facets asked for."""
    return (plan.clauses, plan.filters, plan.ranges, plan.facets)
