"""Collecting the facts analytics counts, from the readers who consented to ``analytics`` only.

:func:`collect_facts` goes through every reader; for each who grants :data:`ANALYTICS_PURPOSE` now, it reads,
under that purpose and audited as the job :data:`ANALYTICS_JOB` (as the ranking evidence does,
:mod:`consortium.push.evidence_build`):

* the reader's group from the profile their library created (``declared["discipline"]`` and
  ``declared["degree_level"]``, when the member supplies them; ``unknown`` otherwise);
* their stored events: searches, views and loans (``borrow``); a loan counts only when the reader's member shares
  circulation (``share_circulation = "aggregate"``, the rule of :func:`~consortium.push.coborrow.shared_loans`):
  a member with ``"none"`` contributes no loan at all, nor any cross-member use;
* what push sent them and what they did with it: delivered, opened (an inbox digest read), deleted, not
  interested, and their mutes.

Each becomes a :class:`~consortium.analytics.cells.Fact` under the reader's pseudonym, with the month it happened
in and its values: the reader's member and group, the work's main class and the class below it, its first
subject heading, and for loans whether the reader's own library holds the work (``reach``: ``own``/``other``) and
if not, which member does (``holder``: the one member holding it, or ``several``; only members that show their
holdings count) and the reader's member (``borrower``). A loan also counts once for **each** other member holding
the work (``held_by``, the reader's member below it as ``borrowed_by``): what a member's contribution page shows,
"readers of other libraries borrow what we hold" (facts of one act with the loan itself, so the suppression
compares them, :mod:`~consortium.analytics.cells`). A search counts its query (normalized) for the
zero-result table when the catalogue finds nothing for it now (``hits(query) == 0``); only queries searched by at
least ``min_readers`` readers are tried, since no other could be published.
"""

from __future__ import annotations

import datetime as dt
import logging
import unicodedata
from collections import defaultdict
from typing import TYPE_CHECKING, Any, Final

from consortium.analytics.cells import TOP, Fact
from consortium.classification import class_lineage
from consortium.errors import ConsortiumError
from consortium.profiles.consent import Purpose
from consortium.profiles.interest_keys import subject_key
from consortium.profiles.models import Actor, ActorRole, EventType
from consortium.profiles.vault import pseudonym
from consortium.push.models import MuteKind
from consortium.search.query import parse_query_string

if TYPE_CHECKING:
    from collections.abc import Callable

    from consortium.members import MemberRegistry
    from consortium.models import Cluster
    from consortium.profiles.models import ReaderEvent
    from consortium.profiles.service import ProfileService
    from consortium.push.ledgers import PushLedgers

__all__ = [
    "ANALYTICS_JOB",
    "ANALYTICS_PURPOSE",
    "GROUP_FIELDS",
    "METRICS",
    "NONE",
    "collect_facts",
    "month",
    "normalized_query",
]

logger = logging.getLogger(__name__)

ANALYTICS_JOB: Final = Actor(actor_id="analytics-job", role=ActorRole.JOB)
"""Who reads readers' data when analytics are counted (what their audit logs name)."""
ANALYTICS_PURPOSE: Final = Purpose.ANALYTICS
"""The consent a reader's data needs to be counted."""
GROUP_FIELDS: Final = ("discipline", "degree_level")
"""The profile fields a member may supply for reader groups (strings, e.g. ``"physics"``, ``"master"``)."""
NONE: Final = "none"
"""The value of a work without a class or subject, a search without a class filter."""
UNKNOWN: Final = "unknown"
"""The group of a reader whose library did not supply it."""
METRICS: Final = (
    "searches",
    "views",
    "loans",
    "push_delivered",
    "push_opened",
    "push_deleted",
    "push_not_interested",
    "push_muted",
)
"""What is counted (the zero-result queries are a table of ``searches``)."""
_MAX_VALUE: Final = 80


def month(at: dt.datetime) -> str:
    """The period of an instant: its UTC month, ``YYYY-MM``."""
    return at.astimezone(dt.UTC).strftime("%Y-%m")


def normalized_query(text: str) -> str:
    """A search as the zero-result table groups it: NFKC, lower case, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())[:200]


def _group(profile: dict[str, Any], name: str) -> str:
    value = profile.get(name)
    if not isinstance(value, str) or not value.strip():
        return UNKNOWN
    return " ".join(unicodedata.normalize("NFKC", value).lower().split())[:_MAX_VALUE]


def _classes(codes: list[tuple[str, str]]) -> tuple[str, str]:
    """The main class and the class right below it of the first class code that parses (``none`` if none)."""
    for scheme, code in codes:
        try:
            lineage = class_lineage(scheme, code)
        except ConsortiumError:
            continue
        main = f"{scheme}:{lineage[-1]}"
        below = f"{scheme}:{lineage[-2]}" if len(lineage) > 1 else main
        return main, below
    return NONE, NONE


def _work_dims(cluster: Cluster | None) -> dict[str, str]:
    if cluster is None:
        return {"class": NONE, "subclass": NONE, "subject": NONE}
    main, below = _classes([(c.scheme.value, c.code) for c in cluster.classifications])
    subject = NONE
    for heading in cluster.subjects:
        try:
            subject = subject_key(heading.split("--")[0])[: _MAX_VALUE + 8]
            break
        except ConsortiumError:
            continue
    return {"class": main, "subclass": below, "subject": subject}


def _class_filter(event: ReaderEvent) -> dict[str, str]:
    """A search's class dimensions: the class it was filtered by (the first one: in its ``filters``, or a
    ``class:`` in the query box, as the portal records searches), or ``none``."""
    wanted = event.filters.get("class") or event.filters.get("classes") or event.filters.get("class_codes")
    if not wanted and event.query and "class:" in event.query:
        try:
            parsed = parse_query_string(event.query)
            wanted = parsed.class_codes or parsed.classes
        except (ConsortiumError, ValueError):
            wanted = None
    first = wanted[0] if isinstance(wanted, list) and wanted else wanted
    if isinstance(first, str) and ":" in first:
        scheme, code = first.split(":", 1)
        main, below = _classes([(scheme.lower(), code)])
        return {"class": main, "subclass": below}
    return {"class": NONE, "subclass": NONE}


def _holders(cluster: Cluster | None) -> set[str]:
    """The members holding a work (a holding, or a record in the cluster)."""
    return set() if cluster is None else {h.member for h in cluster.holdings} | set(cluster.members)


class _Collector:
    def __init__(
        self,
        registry: MemberRegistry,
        work: Callable[[str], Cluster | None],
    ) -> None:
        members = list(registry.members)
        self.sharing_loans = {m.id for m in members if m.sharing.share_circulation == "aggregate"}
        self.showing = {m.id for m in members if m.sharing.share_holdings}
        self._work = work
        self._works: dict[str, Cluster | None] = {}
        self.facts: list[Fact] = []
        self.searches: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
        """Normalized query → its searches: (reader, month, event id)."""

    def work(self, cluster_id: str | None) -> Cluster | None:
        if cluster_id is None:
            return None
        if cluster_id not in self._works:
            self._works[cluster_id] = self._work(cluster_id)
        return self._works[cluster_id]

    def add(self, reader: str, metric: str, at: dt.datetime, base: dict[str, str], act: str = "", **dims: str) -> None:
        self.facts.append(Fact(reader, metric, month(at), {**base, **dims}, act))

    def reach(self, member: str, cluster: Cluster | None) -> dict[str, str]:
        """A loan's reach: held by the reader's own library, or only by others (and which)."""
        holders = _holders(cluster)
        if member in holders:
            return {"reach": "own"}
        shown = sorted(holders & self.showing)
        holder = shown[0] if len(shown) == 1 else ("several" if shown else NONE)
        return {"reach": "other", "holder": holder, "borrower": member}

    def reader(self, token: str, member: str, profile: dict[str, Any], events: list[ReaderEvent]) -> dict[str, str]:
        base = {"total": TOP, "member": member, **{name: _group(profile, name) for name in GROUP_FIELDS}}
        for event in events:
            if event.type is EventType.SEARCH and event.query:
                dims = _class_filter(event)
                self.add(token, "searches", event.at, base, f"event:{event.event_id}", **dims, subject=NONE)
                self.searches[normalized_query(event.query)].append((token, month(event.at), event.event_id))
            elif event.type is EventType.VIEW:
                self.add(token, "views", event.at, base, **_work_dims(self.work(event.cluster_id)))
            elif event.type is EventType.BORROW and member in self.sharing_loans:
                cluster = self.work(event.cluster_id)
                act = f"event:{event.event_id}"
                self.add(token, "loans", event.at, base, act, **_work_dims(cluster), **self.reach(member, cluster))
                for holder in sorted(_holders(cluster) - {member}):  # the contribution's cross-member loans
                    self.add(token, "loans", event.at, {}, act, held_by=holder, borrowed_by=member)
        return base


def collect_facts(
    profiles: ProfileService,
    ledgers: PushLedgers | None,
    registry: MemberRegistry,
    work: Callable[[str], Cluster | None],
    hits: Callable[[str], int] | None,
    *,
    min_readers: int,
) -> list[Fact]:
    """Every fact of the readers who grant ``analytics`` now (see the module notes).

    Example
    -------
    >>> facts = collect_facts(hub.profiles, hub.push.ledgers, hub.registry, hub.cluster_store.get, hits, min_readers=10)
    """
    collector = _Collector(registry, work)
    for reader_id in profiles.reader_ids():
        try:
            if not profiles.consents(reader_id).get(ANALYTICS_PURPOSE):
                continue
            member = profiles.member_of(reader_id)
            profile = profiles.get_profile(reader_id, ANALYTICS_JOB, ANALYTICS_PURPOSE)
            events = profiles.events(reader_id, ANALYTICS_JOB, ANALYTICS_PURPOSE)
        except ConsortiumError:  # erased meanwhile, or consent withdrawn meanwhile: not counted
            continue
        token = pseudonym(reader_id)
        base = collector.reader(token, member, profile, events)
        if ledgers is not None:
            _push_facts(collector, ledgers, reader_id, token, base)
    if hits is not None:
        _zero_results(collector, hits, min_readers)
    logger.info("analytics: %d facts collected", len(collector.facts))
    return collector.facts


def _push_facts(collector: _Collector, ledgers: PushLedgers, reader_id: str, token: str, base: dict[str, str]) -> None:
    try:
        sent = ledgers.sent(reader_id, ANALYTICS_JOB, ANALYTICS_PURPOSE)
        inbox = ledgers.inbox(reader_id, ANALYTICS_JOB, ANALYTICS_PURPOSE)
        mutes = ledgers.mutes(reader_id, ANALYTICS_JOB, ANALYTICS_PURPOSE)
    except ConsortiumError:
        return
    for item in sent.values():
        dims = _work_dims(collector.work(item.cluster_id))
        act = f"sent:{item.cluster_id}"  # deleted and not interested lie inside delivered: one act, three facts
        collector.add(token, "push_delivered", item.at, base, act, **dims)
        if item.deleted:
            collector.add(token, "push_deleted", item.at, base, act, **dims)
        if item.not_interested:
            collector.add(token, "push_not_interested", item.at, base, act, **dims)
    for entry in inbox.values():
        if entry.read:
            collector.add(token, "push_opened", entry.at, base, **{"class": NONE, "subclass": NONE, "subject": NONE})
    for mute in mutes:
        main, below = NONE, NONE
        if mute.kind is MuteKind.CLASS:
            _, scheme, code = [*mute.key.split(":", 2), "", ""][:3]
            main, below = _classes([(scheme, code)])
        collector.add(token, "push_muted", mute.at, base, **{"class": main, "subclass": below, "subject": NONE})


def _zero_results(collector: _Collector, hits: Callable[[str], int], min_readers: int) -> None:
    for query, searches in collector.searches.items():
        if not query or len({token for token, _, _ in searches}) < min_readers:
            continue  # never published: not worth a search
        try:
            found = hits(query)
        except ConsortiumError:
            continue
        if found == 0:
            for token, period, event_id in searches:
                collector.facts.append(Fact(token, "searches", period, {"zero_result": query}, f"event:{event_id}"))
