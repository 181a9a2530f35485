"""Whose holdings a reader may see: a member whose policy says ``share_holdings = false`` shows its copies only to
its own readers.

The rule is applied when a search runs, never when the index is built, so a member's change of policy applies
from the next request: :class:`Visibility` is computed from the registry for each request (the reader's member
comes from their token), and :class:`VisibleIndex` wraps the search index with it. Every search then carries
:attr:`~consortium.search.query.SearchQuery.visible_members` (the members whose holdings this reader sees): the
index matches only works held by one of them, so totals and every facet count only what the reader may see; the
hits and the member facet name only visible members. A work held only by hidden members is found by no one
but their own readers. A filter or boost on a hidden member is refused (it would tell whether it holds a work).

When every member shares (the usual case) nothing is added to the query.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from consortium.search.query import InvalidQueryError, SearchQuery, SearchResult

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from consortium.members import MemberRegistry
    from consortium.models import Cluster, Holding
    from consortium.search.ports import SearchIndex

__all__ = ["Visibility", "VisibleIndex"]


@dataclass(frozen=True)
class Visibility:
    """Which members' holdings one viewer sees.

    Attributes
    ----------
    viewer
        The viewer's own library (from their token), ``None`` when anonymous.
    members
        Every member of the registry.
    hidden
        The members whose holdings the viewer does not see (they do not share them, and are not the viewer's).

    Example
    -------
    >>> seen = Visibility.of(registry, "riverside")
    >>> seen.shows("eastlake")  # eastlake: share_holdings = false
    False
    """

    viewer: str | None
    members: tuple[str, ...]
    hidden: frozenset[str]

    @classmethod
    def of(cls, registry: MemberRegistry, viewer: str | None) -> Visibility:
        """The visibility for ``viewer`` under the policies ``registry`` holds now."""
        hidden = frozenset(m.id for m in registry.members if not m.sharing.share_holdings and m.id != viewer)
        return cls(viewer, tuple(m.id for m in registry.members), hidden)

    @classmethod
    def everything(cls) -> Visibility:
        """No restriction (the hub's own jobs)."""
        return cls(None, (), frozenset())

    def shows(self, member: str) -> bool:
        """Whether the viewer sees ``member``'s holdings (a member no longer in the registry shows none, when
        any is hidden)."""
        if not self.hidden:
            return True
        return member not in self.hidden and member in self.members

    @property
    def visible_members(self) -> list[str] | None:
        """The members whose holdings the viewer sees, for the index to filter on; ``None``: every member."""
        return [m for m in self.members if m not in self.hidden] if self.hidden else None

    def holdings(self, holdings: Iterable[Holding]) -> list[Holding]:
        """The holdings the viewer sees."""
        return [h for h in holdings if self.shows(h.member)]

    def sees(self, cluster: Cluster) -> bool:
        """Whether the viewer may see the work at all: a member whose holdings they see holds it."""
        return any(self.shows(member) for member in cluster.members) or not cluster.members

    def work(self, cluster: Cluster | None) -> Cluster | None:
        """The work as the viewer sees it (the records and holdings of the members they see), or ``None`` when
        it is missing or they may not see it."""
        if cluster is None or not self.sees(cluster):
            return None
        if not self.hidden:
            return cluster
        records = [record for record in cluster.records if self.shows(record[0])]
        return cluster.model_copy(update={"records": records, "holdings": self.holdings(cluster.holdings)})

    def members_of(self, members: Iterable[str]) -> list[str]:
        return [m for m in members if self.shows(m)]

    def query(self, query: SearchQuery) -> SearchQuery:
        """``query`` restricted to what the viewer sees; :class:`InvalidQueryError` naming ``members`` when it
        filters on a member whose holdings the viewer does not see."""
        if not self.hidden:
            return query
        for member in query.members:
            if not self.shows(member):
                raise InvalidQueryError(
                    f"invalid search: members: {member!r} shows its holdings only to its own readers",
                    field="members",
                )
        boost = query.boost_member if query.boost_member is None or self.shows(query.boost_member) else None
        return query.model_copy(update={"visible_members": self.visible_members, "boost_member": boost})

    def result(self, result: SearchResult) -> SearchResult:
        """``result`` naming only the members the viewer sees (hits and member facet)."""
        if not self.hidden:
            return result
        hits = [hit.model_copy(update={"members": self.members_of(hit.members)}) for hit in result.hits]
        facets = dict(result.facets)
        if "member" in facets:
            facets["member"] = [count for count in facets["member"] if self.shows(count.value)]
        return result.model_copy(update={"hits": hits, "facets": facets})


class VisibleIndex:
    """A :class:`~consortium.search.ports.SearchIndex` seen by one viewer: each search restricted by a
    :class:`Visibility` (see the module); writes go to the wrapped index unchanged.

    Example
    -------
    >>> index = VisibleIndex(container.search_index, Visibility.of(container.registry, caller.member))
    >>> index.search(SearchQuery(facets=["member"])).facets["member"]  # no hidden member among them
    """

    def __init__(self, index: SearchIndex, visibility: Visibility) -> None:
        self.index = index
        self.visibility = visibility

    def search(self, query: SearchQuery) -> SearchResult:
        return self.visibility.result(self.index.search(self.visibility.query(query)))

    def class_counts(self, parent: str, query: SearchQuery | None = None) -> dict[str, int]:
        if not self.visibility.hidden:
            return self.index.class_counts(parent, query)
        return self.index.class_counts(parent, self.visibility.query(query or SearchQuery()))

    def similar_terms(self, word: str, fields: Sequence[str]) -> dict[str, int]:
        return self.index.similar_terms(word, fields)

    def count(self) -> int:
        return self.index.count()

    def upsert(self, clusters: Iterable[Cluster]) -> None:
        self.index.upsert(clusters)

    def delete(self, cluster_ids: Iterable[str]) -> None:
        self.index.delete(cluster_ids)

    def rebuild(self, clusters: Iterable[Cluster]) -> None:
        self.index.rebuild(clusters)

    def clear(self) -> None:
        self.index.clear()
