"""A work's other editions and translations: its work group, found by one search of the index.

Two levels (see :mod:`consortium.dedup.work_groups`): a cluster is one edition held by every member that has it;
the clusters sharing its ``work_id`` are the other editions and translations of the same work. The group is read
with one filtered search (``work:<id>``, newest first, at most :data:`MAX_EDITIONS`), and each member's details
(edition statement, publisher, original title) from the cluster store.

Which are translations: the work's original language is the language most of the group's clusters that name no
other original title are in (ties by code); a cluster in another language is a translation. When no cluster says
its language, a cluster whose record names an original title other than its own is one.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Final

from pydantic import BaseModel

from consortium.dedup.work_groups import is_translated, with_work_id
from consortium.search.query import MAX_PAGE_SIZE, SearchQuery

if TYPE_CHECKING:
    from consortium.dedup.ports import ClusterStore
    from consortium.models import Cluster
    from consortium.search.ports import SearchIndex
    from consortium.search.query import SearchResult

__all__ = ["MAX_EDITIONS", "Edition", "WorkGroup", "count_work_groups", "original_language", "work_group"]

MAX_EDITIONS: Final = 100
"""The most editions and translations listed for one work (one page of the search)."""


class Edition(BaseModel):
    """One edition of a work, as the "other editions" and "translations" lists show it."""

    cluster_id: str
    title: str
    subtitle: str | None
    edition: str | None
    year: int | None
    publisher: str | None
    language: str | None
    format: str
    members: list[str]
    uniform_title: str | None = None
    """The original title the record names, when it names one (a translation's)."""
    translation: bool = False
    """In another language than the work's original (see the module)."""


class WorkGroup(BaseModel):
    """A work (one edition of it) with its other editions and its translations, each newest first."""

    work: Edition
    work_id: str | None = None
    """The work group (``None``: the title and author say too little to group; then both lists are empty)."""
    original_language: str | None = None
    """The language the work was written in, as far as the group says (see the module)."""
    editions: list[Edition]
    """The other editions in the original language (or whose language is not known)."""
    translations: list[Edition]
    """The editions in other languages."""
    more: bool = False
    """Whether the group has more than :data:`MAX_EDITIONS` editions (only the newest are listed)."""


def original_language(clusters: list[Cluster]) -> str | None:
    """The work's original language: the most common among the clusters naming no other original title, else
    among all of them (ties by code); ``None`` when none says."""
    languages = [c.language for c in clusters if c.language and not is_translated(c)]
    languages = languages or [c.language for c in clusters if c.language]
    if not languages:
        return None
    counts = Counter(languages)
    return min(counts, key=lambda language: (-counts[language], language))


def _edition(cluster: Cluster, original: str | None) -> Edition:
    if original is not None and cluster.language:
        translation = cluster.language != original
    else:
        translation = is_translated(cluster)
    return Edition(
        cluster_id=cluster.cluster_id,
        title=cluster.title,
        subtitle=cluster.subtitle,
        edition=cluster.edition,
        year=cluster.year,
        publisher=cluster.publisher,
        language=cluster.language,
        format=cluster.format.value,
        members=cluster.members,
        uniform_title=cluster.uniform_title,
        translation=translation,
    )


def work_group(found: Cluster, index: SearchIndex, clusters: ClusterStore) -> WorkGroup:
    """The work group of the cluster ``found``: its other editions and translations, newest first (ties by id).

    Example
    -------
    >>> group = work_group(cluster_store.get("c-kuhn-1996"), search_index, cluster_store)
    >>> [e.language for e in group.translations]
    ['ger']
    """
    found = with_work_id(found)
    others: list[Cluster] = []
    more = False
    if found.work_id is not None:
        result = index.search(SearchQuery(works=[found.work_id], page_size=MAX_EDITIONS, sort="year_desc"))
        more = result.total > MAX_EDITIONS
        for hit in result.hits:
            member = clusters.get(hit.cluster_id) if hit.cluster_id != found.cluster_id else None
            if member is not None:
                others.append(member)
    others.sort(key=lambda c: (-(c.year or 0), c.cluster_id))
    original = original_language([found, *others])
    listed = [_edition(c, original) for c in others]
    return WorkGroup(
        work=_edition(found, original),
        work_id=found.work_id,
        original_language=original,
        editions=[e for e in listed if not e.translation],
        translations=[e for e in listed if e.translation],
        more=more,
    )


def count_work_groups(result: SearchResult, index: SearchIndex) -> SearchResult:
    """``result`` with each hit's ``work_size``: how many works its work group holds, from one more search (the
    page's work ids, at most :data:`~consortium.search.query.MAX_PAGE_SIZE` of them, as a ``work:`` filter). When
    the groups of the page hold more works than one page of that search, the sizes are left unknown (``None``).

    Example
    -------
    >>> [hit.work_size for hit in count_work_groups(index.search(query), index).hits]
    [3, 1, None]
    """
    ids = sorted({hit.work_id for hit in result.hits if hit.work_id})
    if not ids:
        return result
    groups = index.search(SearchQuery(works=ids, page_size=MAX_PAGE_SIZE))
    if groups.total > len(groups.hits):
        return result
    sizes = Counter(hit.work_id for hit in groups.hits)
    hits = [hit.model_copy(update={"work_size": sizes[hit.work_id]}) if hit.work_id else hit for hit in result.hits]
    return result.model_copy(update={"hits": hits})
