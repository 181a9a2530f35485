"""The demo readers of ``consortium run --demo``: a few readers of the sample members, each with consent, declared
interests, a history made from the catalogue as the store holds it, subscriptions to push services, and (after a
push run) items in their portal inbox, each with its reason.

Each reader's history is made the way a reader makes one: their searches (query strings, as typed in the search
box) run against the search index, they open the first works found and borrow the first of those. Works are
found by class, subject and author, never by id, so the history follows whatever the sample members hold.
Everything goes through the container's services (profiles, consent, push), as the ``reader`` and ``push``
commands do; the audit log names :data:`DEMO` as who wrote it.

Seeding is idempotent: a demo reader that exists and has subscriptions was seeded before and is left as it is
(whatever was done with it since); one that exists without subscriptions (a seeding that was interrupted) is
finished, its events keeping the same ids (a repeated event is stored once). An erased demo reader is made again
at the next start.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from consortium.errors import ConsortiumError
from consortium.ports import system_clock
from consortium.profiles.consent import Purpose
from consortium.profiles.interest_keys import class_key, subject_key
from consortium.profiles.models import Actor, ActorRole, EventType, ReaderEvent
from consortium.profiles.service import EventOutcome
from consortium.push.ledgers import INBOX
from consortium.push.models import Channel, ServiceId
from consortium.search.query import parse_query_string

if TYPE_CHECKING:
    from consortium.bootstrap import Container
    from consortium.ports import Clock
    from consortium.push.service import RunReport

__all__ = ["CONSENTS", "DEMO", "DEMO_READERS", "DemoReader", "DemoReport", "SeededReader", "seed_demo"]

DEMO = Actor(actor_id="demo", role=ActorRole.MEMBER_STAFF)
"""Who the audit log says wrote the demo readers' data."""

CONSENTS = (Purpose.PERSONALIZATION, Purpose.PUSH)
"""What every demo reader grants: their history teaches their interests, and push sends them new books."""

FIRST_WINDOW = dt.timedelta(days=30)
"""How far back a demo reader's first digests reach: the sample members' works are new to the hub."""

HITS_PER_SEARCH = 10
"""How many works of each search the reader looks at."""


@dataclass(frozen=True)
class DemoReader:
    """One demo reader: who they are, what they declare, search for, open and borrow, and subscribe to."""

    reader_id: str
    member: str
    name: str
    email: str
    topic: str
    """A few words on what the reader reads (shown when the hub starts)."""
    declared: tuple[str, ...]
    """Interest keys the reader declares (``class:...``, ``subject:...``, ``author:...``)."""
    searches: tuple[str, ...]
    """Query strings as typed in the search box, oldest first; each a week after the one before."""
    views: int = 2
    """How many works each search found (not found by an earlier one) the reader opened."""
    borrows: int = 2
    """How many loans: the first work opened after each search, until there are this many."""
    subscriptions: tuple[tuple[ServiceId, Channel], ...] = ((ServiceId.INTERESTED_NEW, Channel.INBOX),)
    saved_search: str | None = None
    """The query of a ``saved_search`` subscription."""
    max_items: int = 5
    """The most items of each digest."""

    @property
    def profile(self) -> dict[str, Any]:
        """What the reader's profile says of them (their name and address: plainly a demo's)."""
        return {"name": self.name, "email": self.email, "demo": True}


DEMO_READERS = (
    DemoReader(
        "demo-alice",
        "riverside",
        "Alice Demo",
        "alice@example.org",
        "programming and algorithms",
        declared=(class_key("lcc", "QA76.6"), subject_key("Computer programming")),
        searches=("algorithms", "class:lcc:QA76.6", 'subject:"Software engineering"'),
        subscriptions=((ServiceId.INTERESTED_NEW, Channel.INBOX), (ServiceId.SAVED_SEARCH, Channel.ATOM)),
        saved_search="class:lcc:QA76",
    ),
    DemoReader(
        "demo-bao",
        "eastlake",
        "Bao Demo (鲍演示)",
        "bao@example.org",
        "Chinese fiction (中国当代小说)",
        declared=(class_key("clc", "I247"), subject_key("长篇小说 -- 中国 -- 当代")),
        searches=("刘慈欣", "class:clc:I24", "author:余华"),
        subscriptions=((ServiceId.NEW_IN_CLASS, Channel.INBOX), (ServiceId.SAVED_SEARCH, Channel.INBOX)),
        saved_search="class:clc:I313",
    ),
    DemoReader(
        "demo-carmen",
        "lakeside",
        "Carmen Demo",
        "carmen@example.org",
        "world history",
        declared=(class_key("ddc", "909"), subject_key("Civilization -- History")),
        searches=("history", 'subject:"Civilization -- History"', "class:clc:K"),
        borrows=1,
        subscriptions=((ServiceId.INTERESTED_NEW, Channel.INBOX), (ServiceId.SAVED_SEARCH, Channel.INBOX)),
        saved_search="history",
    ),
    DemoReader(
        "demo-deniz",
        "westfield",
        "Deniz Demo",
        "deniz@example.org",
        "machine learning (English and Chinese)",
        declared=(class_key("clc", "TP18"), subject_key("Machine learning")),
        searches=("machine learning", "机器学习", "class:clc:TP18"),
    ),
)
"""The demo readers: four members, four coherent profiles over what the sample members hold."""


_COUNTED = {EventType.SEARCH: "searches", EventType.VIEW: "views", EventType.BORROW: "borrows"}
"""The :class:`SeededReader` count of each kind of event the demo makes."""

SeedState = Literal["created", "finished", "kept", "skipped"]
"""What seeding did with a demo reader: made it; finished one an interrupted seeding left; left one there before as
it is (seeded before, or one that withdrew a consent the demo needs); or did not make it (its member is not in the
registry, or the catalogue is empty)."""


@dataclass
class SeededReader:
    """One demo reader after seeding."""

    reader: DemoReader
    state: SeedState
    note: str = ""
    """Why a reader was skipped, or kept without being seeded."""
    searches: int = 0
    views: int = 0
    borrows: int = 0
    """Events stored by this seeding (0 for a reader kept as it was)."""
    inbox: int = 0
    """Digests in the reader's portal inbox after the push run."""

    def as_dict(self) -> dict[str, Any]:
        spec = self.reader
        return {
            "reader_id": spec.reader_id,
            "member": spec.member,
            "name": spec.name,
            "email": spec.email,
            "topic": spec.topic,
            "state": self.state,
            "note": self.note,
            "stored": {"searches": self.searches, "views": self.views, "borrows": self.borrows},
            "inbox_digests": self.inbox,
        }


@dataclass
class DemoReport:
    """What :func:`seed_demo` did: each demo reader, and the push run (``None`` when no reader could be seeded)."""

    readers: list[SeededReader] = field(default_factory=list)
    push: RunReport | None = None

    @property
    def created(self) -> int:
        """Readers made or finished by this seeding."""
        return sum(1 for r in self.readers if r.state in ("created", "finished"))

    def as_dict(self) -> dict[str, Any]:
        return {
            "readers": [r.as_dict() for r in self.readers],
            "push": self.push.as_dict() if self.push is not None else None,
        }


def seed_demo(
    container: Container, readers: tuple[DemoReader, ...] = DEMO_READERS, *, clock: Clock = system_clock
) -> DemoReport:
    """Make the demo readers that are not there yet (see the module notes), then run the push job so that each
    has items in their inbox. A second seeding makes nothing new: its push run finds no digest due.

    Example
    -------
    >>> report = seed_demo(hub)
    >>> [(r.reader.reader_id, r.state) for r in report.readers]
    [('demo-alice', 'created'), ('demo-bao', 'created'), ('demo-carmen', 'created'), ('demo-deniz', 'created')]
    """
    report = DemoReport()
    now = clock()
    empty = container.cluster_store.count() == 0
    for spec in readers:
        report.readers.append(_seed_reader(container, spec, now, empty=empty))
    if any(r.state != "skipped" for r in report.readers):
        report.push = container.push.run(now=now)
    for seeded in report.readers:
        if seeded.state != "skipped":
            seeded.inbox = container.profiles.item_counts(seeded.reader.reader_id).get(INBOX, 0)
    return report


def _seed_reader(container: Container, spec: DemoReader, now: dt.datetime, *, empty: bool) -> SeededReader:
    """Make (or finish, or keep) one demo reader; ``empty``: the catalogue has no work to make a history of."""
    try:
        container.registry.get(spec.member)
    except ConsortiumError:
        return SeededReader(spec, "skipped", f"member {spec.member!r} is not in the registry")
    profiles, push = container.profiles, container.push
    state: SeedState = "finished"
    if not profiles.vault.exists(spec.reader_id):
        if empty:
            return SeededReader(spec, "skipped", "the catalogue has no works yet to make a history of")
        profiles.create_reader(spec.reader_id, spec.member, list(CONSENTS), spec.profile, actor=DEMO)
        state = "created"
    elif push.subscriptions(spec.reader_id, DEMO):
        return SeededReader(spec, "kept")
    else:
        granted = profiles.consents(spec.reader_id)
        missing = [p.value for p in CONSENTS if not granted.get(p)]
        if missing:
            return SeededReader(spec, "kept", f"it withdrew {', '.join(missing)}")
    for key in spec.declared:
        profiles.declare_interest(spec.reader_id, key, DEMO)
    seeded = SeededReader(spec, state)
    for event in history(container, spec, now):
        if profiles.record_event(spec.reader_id, event, DEMO) is EventOutcome.STORED:
            name = _COUNTED[event.type]
            setattr(seeded, name, getattr(seeded, name) + 1)
    for service, channel in spec.subscriptions:
        query = spec.saved_search if service is ServiceId.SAVED_SEARCH else None
        push.subscribe(
            spec.reader_id, service, channel, actor=DEMO, max_items=spec.max_items, query=query, since=FIRST_WINDOW
        )
    return seeded


def history(container: Container, spec: DemoReader, now: dt.datetime) -> list[ReaderEvent]:
    """The reader's searches, views and loans, oldest first: a search a week (the last a week before ``now``),
    the first works it found (that no earlier search found) opened a few minutes later, the first of them
    borrowed an hour later (while the reader has fewer than ``borrows`` loans). Event ids
    depend on the search's place and the work only, so making the history again gives the same events."""
    events: list[ReaderEvent] = []
    seen: list[str] = []
    borrowed = 0
    for number, query in enumerate(spec.searches):
        at = now - dt.timedelta(days=7 * (len(spec.searches) - number))
        events.append(ReaderEvent(event_id=f"demo-search-{number}", type=EventType.SEARCH, at=at, query=query))
        parsed = parse_query_string(query, page_size=HITS_PER_SEARCH, boost_member=spec.member)
        found = [hit.cluster_id for hit in container.search_index.search(parsed).hits if hit.cluster_id not in seen]
        seen += found
        for place, work in enumerate(found[: spec.views], start=1):
            opened = at + dt.timedelta(minutes=2 * place)
            events.append(ReaderEvent(event_id=f"demo-view-{work}", type=EventType.VIEW, at=opened, cluster_id=work))
        if found and borrowed < spec.borrows:
            borrowed += 1
            loan = at + dt.timedelta(hours=1)
            events.append(
                ReaderEvent(event_id=f"demo-borrow-{found[0]}", type=EventType.BORROW, at=loan, cluster_id=found[0])
            )
    return events
