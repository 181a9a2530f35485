"""The hub's catalogue as it is published to other systems: where the works come from, which members' holdings
may be shown, and the settings of the OAI-PMH provider and the SRU service.

A member whose sharing policy says ``share_holdings = false`` is published without its holdings (no 852/856
fields, no ``dc:identifier`` URL) and has no set: a work it shares with other members is served with theirs. A
work that only such members hold is not disclosed (:meth:`PublishedCatalogue.withholds`): outside those members
it is not in the catalogue, as search and SRU have it, so OAI-PMH serves it as a deleted record (its identifier
and datestamp, no metadata, no set). A harvester that had the work before its last sharing holder left it (or before
the policy changed) learns that it went; one that never had it sees an unknown identifier deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from consortium.dedup.ports import ClusterStore
    from consortium.dedup.state import ClusterVersion
    from consortium.members import MemberRegistry
    from consortium.models import Cluster, Holding
    from consortium.search.ports import SearchIndex

__all__ = ["PublishedCatalogue", "PublishedMember"]

MIN_KEY_BYTES = 16


@dataclass(frozen=True)
class PublishedMember:
    """A member as the provider names it: its id (the set ``member:<id>``), its name, and whether its holdings
    are shown."""

    id: str
    name: str
    share_holdings: bool = True


@dataclass(frozen=True)
class PublishedCatalogue:
    """What :func:`~consortium.catalogue_out.handle_oai` and :func:`~consortium.catalogue_out.handle_sru` serve.

    Parameters
    ----------
    clusters
        The works (their change index gives the OAI-PMH lists; tombstones the deleted records).
    token_key
        The secret resumption tokens are signed with (HMAC-SHA256), at least 16 bytes; every instance serving
        one hub must share it (a token from one is read by another), and changing it invalidates open tokens.
    index
        The search index SRU searches; ``None`` where the hub has none (SRU then answers with a diagnostic).
    members
        The members: their sets, and whose holdings are shown. Empty: every holding is shown and there are no
        sets.
    repository_name, repository_identifier, admin_email
        Identify's ``repositoryName``, the ``oai-identifier`` namespace (a domain name: identifiers are
        ``oai:<repository_identifier>:<cluster_id>``) and ``adminEmail``.
    page_size
        Records (or headers) per ``ListRecords``/``ListIdentifiers`` response.
    token_lifetime
        How long a resumption token is accepted after it was issued (its ``expirationDate``).

    Example
    -------
    >>> catalogue = PublishedCatalogue.from_registry(registry, clusters, token_key, index=index)
    >>> handle_oai("verb=Identify", "https://hub.example.org/oai", catalogue).status
    200
    """

    clusters: ClusterStore
    token_key: bytes
    index: SearchIndex | None = None
    members: tuple[PublishedMember, ...] = ()
    repository_name: str = "Consortium union catalogue"
    repository_identifier: str = "consortium.local"
    admin_email: str = "catalogue@consortium.local"
    page_size: int = 200
    token_lifetime: timedelta = timedelta(hours=24)
    _shown: frozenset[str] | None = field(init=False, repr=False, compare=False)
    """The members whose holdings are shown (``None``: every one, when no members are given)."""
    _hidden: frozenset[str] = field(init=False, repr=False, compare=False)
    """The members that do not share their holdings."""

    def __post_init__(self) -> None:
        if len(self.token_key) < MIN_KEY_BYTES:
            raise ValueError(f"token_key must be at least {MIN_KEY_BYTES} bytes")
        if not 1 <= self.page_size <= 1000:
            raise ValueError("page_size must be between 1 and 1000")
        shown = frozenset(m.id for m in self.members if m.share_holdings) if self.members else None
        object.__setattr__(self, "_shown", shown)
        object.__setattr__(self, "_hidden", frozenset(m.id for m in self.members if not m.share_holdings))

    @classmethod
    def from_registry(
        cls, registry: MemberRegistry, clusters: ClusterStore, token_key: bytes, **settings: Any
    ) -> PublishedCatalogue:
        """The catalogue of a hub whose members are ``registry``'s (names and sharing policies); ``settings``
        are the other fields (``index=``, ``repository_name=``...)."""
        members = tuple(
            PublishedMember(id=m.id, name=m.name, share_holdings=m.sharing.share_holdings) for m in registry.members
        )
        return cls(clusters=clusters, token_key=token_key, members=members, **settings)

    @property
    def sets(self) -> list[PublishedMember]:
        """The members with a set: those whose holdings are shown, by id."""
        return sorted((m for m in self.members if m.share_holdings), key=lambda m: m.id)

    def has_set(self, member: str) -> bool:
        """Whether ``member`` has a set (it is a member and shows its holdings)."""
        return self._shown is not None and member in self._shown

    def set_specs(self, members: list[str]) -> list[str]:
        """The ``setSpec`` values of a record held by ``members``: ``member:<id>`` for each that has a set."""
        return [f"member:{m}" for m in members if self._shown is not None and m in self._shown]

    def holdings(self, cluster: Cluster) -> list[Holding]:
        """The cluster's holdings that may be shown: those of members who share them (every one when no
        members are given; a member not in the registry shows none)."""
        return [h for h in cluster.holdings if self._shown is None or h.member in self._shown]

    def withholds(self, version: ClusterVersion) -> bool:
        """Whether the work is withheld from the outside: every member that holds it hides its holdings (a member
        no longer in the registry, or a hub published without members, withholds nothing)."""
        return bool(self._hidden) and bool(version.members) and self._hidden.issuperset(version.members)

    def oai_identifier(self, cluster_id: str) -> str:
        return f"oai:{self.repository_identifier}:{cluster_id}"

    def cluster_id(self, oai_identifier: str) -> str | None:
        """The cluster id an OAI identifier of this repository names, or ``None`` (not one of ours)."""
        prefix = f"oai:{self.repository_identifier}:"
        if not oai_identifier.startswith(prefix):
            return None
        cluster_id = oai_identifier[len(prefix) :]
        return cluster_id if 0 < len(cluster_id) <= 200 and cluster_id.isprintable() else None
