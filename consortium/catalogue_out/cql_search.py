"""A CQL query (as branches, :func:`~consortium.catalogue_out.cql.disjunction`) carried out on the hub's search.

The hub's :class:`~consortium.search.query.SearchQuery` is one conjunction: free text, title, author, subject,
an ISBN and a year range, all required. So:

- a query that is one branch without negations (``title = x and author = y``, the usual case) is one
  ``SearchQuery``: its total is exact, its order is the index's relevance ranking, and only the pages holding the
  records asked for are read;
- otherwise (``or``, ``not``, ``any`` over several words) each branch is one ``SearchQuery``, read down to
  :data:`OPERAND_LIMIT` hits, and each negated leaf of a branch is the branch's query with that leaf added
  (``a not b`` is ``a`` minus ``a and b``, a subset of ``a``, so it is read to the end whenever ``a`` is). The
  works are the union of the branches, each ranked where it ranked best in any branch (ties: the earlier
  branch). When a branch has more hits than the limit, the union holds only its first ones and the count is
  reported as a minimum (SRU's ``resultCountPrecision``).

Extending the query model with ``or`` would have meant a new plan in every search adapter; evaluating the
boolean tree over bounded result sets keeps the search port as it is and the cost bounded (at most
``OPERAND_LIMIT / 100`` searches per query read).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from consortium.catalogue_out.cql import CqlError
from consortium.search.query import MAX_RESULT_WINDOW, InvalidQueryError, SearchQuery

if TYPE_CHECKING:
    from consortium.catalogue_out.cql import Branch, Leaf
    from consortium.search.ports import SearchIndex

__all__ = ["OPERAND_LIMIT", "Found", "search_branches"]

OPERAND_LIMIT: Final = 1000
"""How many hits of one branch (or one negated leaf) a boolean query reads at most."""
_PAGE: Final = 100


@dataclass(frozen=True)
class Found:
    """The cluster ids of the records asked for, in order, and how many works match."""

    cluster_ids: list[str]
    total: int
    exact: bool = True


def _query(leaves: tuple[Leaf, ...] | list[Leaf]) -> SearchQuery | None:
    """The search of a conjunction of leaves, or ``None`` when it can match nothing (disjoint year ranges)."""
    words: dict[str, list[str]] = {"text": [], "title": [], "author": [], "subject": []}
    isbns: list[str] = []
    low, high = 0, 9999
    for leaf in leaves:
        if leaf.field == "isbn":
            isbns.extend(leaf.value.split())
        elif leaf.field == "year":
            low = max(low, leaf.low if leaf.low is not None else 0)
            high = min(high, leaf.high if leaf.high is not None else 9999)
        elif leaf.field != "all":
            words[leaf.field].append(leaf.value)
    if low > high:
        return None
    # One ISBN goes to the isbn field; more (a work with all of them) go to the free text, which matches
    # a word that is a valid ISBN against the identifiers.
    words["text"].extend(isbns[1:])
    fields: dict[str, object] = {name: " ".join(values) for name, values in words.items() if values}
    if isbns:
        fields["isbn"] = isbns[0]
    if low > 0:
        fields["year_from"] = low
    if high < 9999:
        fields["year_to"] = high
    try:
        return SearchQuery.from_params(fields)
    except InvalidQueryError as exc:
        field = str(exc.details.get("field", ""))
        raise CqlError(36, field, f"a search term cannot be searched: {exc}") from exc


def _window(index: SearchIndex, query: SearchQuery, offset: int, count: int) -> Found:
    """Hits ``offset`` to ``offset + count`` of one search, reading only the pages that hold them."""
    ids: list[str] = []
    total = 0
    page = offset // _PAGE + 1
    while True:
        result = index.search(query.model_copy(update={"page": page, "page_size": _PAGE}))
        total = result.total
        start = (page - 1) * _PAGE
        ids.extend(hit.cluster_id for i, hit in enumerate(result.hits, start) if offset <= i < offset + count)
        if len(ids) >= count or start + _PAGE >= min(total, offset + count) or page * _PAGE >= MAX_RESULT_WINDOW:
            return Found(ids, total)
        page += 1


def _ranked(index: SearchIndex, query: SearchQuery | None) -> tuple[list[str], bool]:
    """The first :data:`OPERAND_LIMIT` hits of a search, and whether that is all of them."""
    if query is None:
        return [], True
    found = _window(index, query, 0, OPERAND_LIMIT)
    return found.cluster_ids, found.total <= OPERAND_LIMIT


def search_branches(index: SearchIndex, branches: list[Branch], offset: int, count: int) -> Found:
    """The records ``offset`` to ``offset + count`` (0-based) of the union of ``branches`` (see the module)."""
    if len(branches) == 1 and not branches[0].negative:
        query = _query(branches[0].positive)
        if query is None:
            return Found([], 0)
        if count == 0:
            return Found([], index.search(query.model_copy(update={"page_size": 1})).total)
        return _window(index, query, offset, count)
    rank: dict[str, tuple[int, int]] = {}
    exact = True
    for number, branch in enumerate(branches):
        ids, complete = _ranked(index, _query(branch.positive))
        exact = exact and complete
        excluded: set[str] = set()
        for leaf in branch.negative:
            left_out, complete = _ranked(index, _query([*branch.positive, leaf]))
            excluded.update(left_out)
            exact = exact and complete
        for position, cluster_id in enumerate(ids):
            if cluster_id not in excluded:
                rank[cluster_id] = min(rank.get(cluster_id, (position, number)), (position, number))
    ordered = sorted(rank, key=lambda cluster_id: rank[cluster_id])
    return Found(ordered[offset : offset + count], len(ordered), exact)
