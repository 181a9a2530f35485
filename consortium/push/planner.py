"""Planning a push run: pure, from what each reader wants and what is new, to the digests to deliver.

Nothing here reads or writes a store: :class:`~consortium.push.service.PushService` loads the readers
(:class:`ReaderPlan`) and the new works (:class:`~consortium.push.index.NewWorks`), :func:`plan` returns the
digests, and the service delivers them. Planning the same input twice gives the same digests (same ids).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from consortium.construct import constructor
from consortium.errors import Interrupted
from consortium.gc_tuning import frozen_heap
from consortium.push.models import Digest, DigestItem, Frequency, Mute, ServiceId, Subscription, digest_id
from consortium.push.ranking import Scored, Taste, digest_item, diversified, muted, rank, rank_in_classes
from consortium.push.reasons import saved_search

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence

    from consortium.push.evidence import Evidence
    from consortium.push.index import NewWorks

__all__ = [
    "MAX_LOOKBACK",
    "PLANNED_SERVICES",
    "ListedWork",
    "ReaderPlan",
    "interest_order",
    "plan",
    "plan_batch",
    "window_start",
]

MAX_LOOKBACK = timedelta(days=62)
"""The oldest a digest's window reaches back, however long ago the last one was (a reader back from a year
away gets the last two months, not a year)."""

PLANNED_SERVICES = (ServiceId.NEW_IN_CLASS, ServiceId.INTERESTED_NEW, ServiceId.SAVED_SEARCH, ServiceId.LIBRARIAN_LISTS)
"""The services planned, in this order: a work one service pushes is not pushed again by a later one."""


@dataclass(frozen=True)
class ReaderPlan:
    """One reader as the planner needs them."""

    reader_id: str
    member: str
    taste: Taste
    subscriptions: tuple[Subscription, ...]
    sent: frozenset[str] = frozenset()
    """Every work ever pushed to the reader (deleted and "not interested" ones included): never again."""
    mutes: tuple[Mute, ...] = ()
    borrowed: frozenset[str] = frozenset()
    """Works the reader borrowed lately: they have them already, so they are never pushed either."""


@dataclass(frozen=True)
class ListedWork:
    """A work on a subject librarian's published list, as the ``librarian_lists`` service pushes it: its digest
    line (the reason names the list and carries the librarian's note) and when the list was published."""

    item: DigestItem
    published_at: datetime


def _listed_items(
    reader: ReaderPlan, listed: Sequence[ListedWork], *, since: datetime, exclude: frozenset[str], cap: int
) -> list[DigestItem]:
    """The works of the lists published in the window, in the lists' order, each once, capped."""
    items: list[DigestItem] = []
    seen: set[str] = set()
    for work in listed:
        item = work.item
        if work.published_at < since or item.cluster_id in exclude or item.cluster_id in seen:
            continue
        seen.add(item.cluster_id)
        items.append(item.model_copy(update={"at_home": reader.member in item.members}))
        if len(items) >= cap:
            break
    return items


_digest = constructor(Digest)
"""A digest from its values, set as they are (each already of the type :class:`Digest` holds, ``now`` checked
aware once a run): not validated again, item by item, for every reader."""


def window_start(subscription: Subscription, now: datetime) -> datetime:
    """Where the subscription's next digest starts: its last digest, at most :data:`MAX_LOOKBACK` ago."""
    return max(subscription.last_digest_at, now - MAX_LOOKBACK)


def _saved_search_items(
    reader: ReaderPlan,
    works: NewWorks,
    hits: list[str],
    *,
    subscription: Subscription,
    since: datetime,
    exclude: frozenset[str],
) -> list[DigestItem]:
    scored = []
    for rank_number, cluster_id in enumerate(hits):
        number = works.by_id.get(cluster_id)
        if number is None:
            continue
        work = works.works[number]
        if work.first_seen < since or cluster_id in exclude or muted(work, reader.mutes):
            continue
        scored.append(Scored(number, 1.0 / (1 + rank_number), saved_search(subscription.query or "")))
    chosen = diversified(works, scored, subscription.max_items, threshold=0.0)
    return [digest_item(works.works[s.number], s.score, s.reason, reader.member) for s in chosen]


def plan(
    readers: Iterable[ReaderPlan],
    works: NewWorks,
    now: datetime,
    *,
    members_total: int,
    services: Iterable[ServiceId] | None = None,
    frequencies: Iterable[Frequency] | None = None,
    force: bool = False,
    search: Callable[[str], list[str]] | None = None,
    evidence: Evidence | None = None,
    listed: Sequence[ListedWork] = (),
) -> Iterator[Digest]:
    """The digests due at ``now``: one per reader and due subscription (``force``: every active one), its
    items first seen in the subscription's window, never sent before, not muted, ranked, capped.

    ``services`` and ``frequencies`` restrict the run (a weekly schedule plans the weekly subscriptions, so
    that schedules firing at the same moment never plan one subscription twice).
    A digest may be empty (nothing new matched): delivering it sends nothing but closes the window.
    ``search`` runs a saved query over the new works and returns cluster ids, best first; without it saved
    searches are not planned. ``evidence``: key rarity, loans and co-borrowing over the consortium for
    :func:`~consortium.push.ranking.rank`. ``listed``: the works of subject librarians' published lists (newest lists
    first), for the ``librarian_lists`` service.
    """
    if now.tzinfo is None:
        raise ValueError(f"plan needs 'now' with a time zone (a digest's window is aware): {now.isoformat()}")
    wanted = set(services) if services is not None else set(PLANNED_SERVICES)
    cadences = set(frequencies) if frequencies is not None else set(Frequency)
    for reader in readers:
        taken: set[str] = set()
        kept_out = reader.sent | reader.borrowed  # for each of the reader's services, with what an earlier one took
        by_service = {s.service: s for s in reader.subscriptions if s.active}
        for service in PLANNED_SERVICES:
            subscription = by_service.get(service)
            if service not in wanted or subscription is None or subscription.frequency not in cadences:
                continue
            if not (force or subscription.due(now)):
                continue
            if service is ServiceId.SAVED_SEARCH and search is None:
                continue
            since = window_start(subscription, now)
            exclude = kept_out | taken if taken else kept_out
            if service is ServiceId.NEW_IN_CLASS:
                items = rank_in_classes(
                    reader.taste,
                    works,
                    member=reader.member,
                    cap=subscription.max_items,
                    since=since,
                    exclude=exclude,
                    mutes=reader.mutes,
                )
            elif service is ServiceId.LIBRARIAN_LISTS:
                items = _listed_items(reader, listed, since=since, exclude=exclude, cap=subscription.max_items)
            elif service is ServiceId.INTERESTED_NEW:
                items = rank(
                    reader.taste,
                    works,
                    member=reader.member,
                    members_total=members_total,
                    cap=subscription.max_items,
                    since=since,
                    exclude=exclude,
                    mutes=reader.mutes,
                    evidence=evidence,
                )
            else:
                assert search is not None and subscription.query is not None
                items = _saved_search_items(
                    reader, works, search(subscription.query), subscription=subscription, since=since, exclude=exclude
                )
            taken.update(item.cluster_id for item in items)
            yield _digest(
                {
                    "digest_id": digest_id(reader.reader_id, service, now),
                    "reader_id": reader.reader_id,
                    "member": reader.member,
                    "service": service,
                    "channel": subscription.channel,
                    "email": subscription.email,
                    "window_start": since,
                    "window_end": now,
                    "items": items,
                }
            )


def interest_order(readers: Iterable[ReaderPlan]) -> list[ReaderPlan]:
    """The readers, those of like interests next to each other: by the class they follow most, then by the key
    they look up first (a stable sort: readers alike keep their order).

    Each reader is planned alone, so the order changes no digest; but in it, a reader reads the index postings,
    the new works and the co-borrowed keys the readers just before read, still in the processor's caches: about
    10% less CPU a reader on the benchmark's population (README, ``bench/push.py``)."""
    return sorted(readers, key=_interest_key)


def _interest_key(reader: ReaderPlan) -> tuple[str, str]:
    classes = reader.taste.classes
    strongest_class = max(classes, key=classes.__getitem__) if classes else ""
    return strongest_class, next(iter(reader.taste.lookup), "")


def plan_batch(
    readers: Sequence[ReaderPlan],
    works: NewWorks,
    now: datetime,
    *,
    members_total: int,
    services: Iterable[ServiceId] | None = None,
    frequencies: Iterable[Frequency] | None = None,
    force: bool = False,
    search: Callable[[str], list[str]] | None = None,
    evidence: Evidence | None = None,
    listed: Sequence[ListedWork] = (),
    should_stop: Callable[[], bool] | None = None,
) -> list[Digest]:
    """Every digest :func:`plan` gives for ``readers`` (a run's, or a shard's, loaded at once; each reader once), in
    the readers' order and each reader's services' order, as :func:`plan` gives them; planned in :func:`interest_order`,
    which costs less. Every digest is kept until the end, so what was alive before (the readers, the index, the
    evidence) is left out of the cyclic collector's passes meanwhile (:func:`~consortium.gc_tuning.frozen_heap`):
    otherwise the digests kept set off full passes over all of it (about 15% of the CPU of planning a shard of
    6,250 readers, README ``bench/push.py``). :class:`~consortium.errors.Interrupted` once ``should_stop()`` is
    true (looked at after each digest planned): planning is given up, nothing planned is kept."""
    position = {reader.reader_id: number for number, reader in enumerate(readers)}
    if len(position) != len(readers):
        raise ValueError("plan_batch takes each reader once: a reader id appears twice")
    with frozen_heap():  # the readers, works and evidence outlive the batch: full passes need not walk them
        planned = plan(
            interest_order(readers),
            works,
            now,
            members_total=members_total,
            services=services,
            frequencies=frequencies,
            force=force,
            search=search,
            evidence=evidence,
            listed=listed,
        )
        digests = []
        for digest in planned:
            if should_stop is not None and should_stop():
                raise Interrupted("push planning given up: asked to stop")
            digests.append(digest)
    digests.sort(key=lambda digest: position[digest.reader_id])  # stable: a reader's services keep their order
    return digests
