"""The push service over in-memory stores: subscriptions under consent, digests of new works only, ranked and
explained, delivered once, and the reader's controls (delete, not interested, mute, unsubscribe, feeds)."""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from factories import make_cluster
from lxml import etree

from consortium.adapters.memory.clock import ManualClock
from consortium.adapters.memory.clusters import InMemoryClusterStore
from consortium.adapters.memory.consent import InMemoryConsentLedger
from consortium.adapters.memory.keys import InMemoryKeyService
from consortium.adapters.memory.outbox import InMemoryOutbox
from consortium.adapters.memory.profiles import InMemoryProfileStore
from consortium.adapters.memory.queue import InMemoryQueue
from consortium.dedup.state import ClusterChange
from consortium.errors import NotFoundError, ValidationError
from consortium.models import Availability, Holding
from consortium.profiles.consent import ConsentError, Purpose, load_consent_policy
from consortium.profiles.crypto import EnvelopeCipher
from consortium.profiles.models import Actor, ReaderEvent
from consortium.profiles.service import ProfileService
from consortium.push.fanout import JobRequest, run_shards, start_run
from consortium.push.ledgers import PushLedgers
from consortium.push.models import Channel, Frequency, ItemAction, MuteKind, ServiceId
from consortium.push.ports import DeliveryError
from consortium.push.service import PushService

if TYPE_CHECKING:
    from email.message import EmailMessage

    from consortium.models import Cluster

POLICY = load_consent_policy(Path(__file__).resolve().parents[2] / "policies" / "consent.toml")
T0 = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC)
READER = Actor(actor_id="r1", role="reader")
WEEK = dt.timedelta(days=7)


@dataclass
class Hub:
    profiles: ProfileService
    clusters: InMemoryClusterStore
    push: PushService
    clock: ManualClock
    mailer: InMemoryOutbox

    def add(self, *clusters: Cluster) -> None:
        self.clusters.apply(ClusterChange(saved=list(clusters)))

    def borrow(self, reader_id: str, cluster_id: str, number: int) -> None:
        event = ReaderEvent(event_id=f"b{number}", type="borrow", at=self.clock.now, cluster_id=cluster_id)
        self.profiles.record_event(reader_id, event, READER)


@pytest.fixture
def hub(tmp_path: Path) -> Hub:
    keys = InMemoryKeyService()
    clusters = InMemoryClusterStore()
    clock = ManualClock(T0)
    profiles = ProfileService(
        InMemoryProfileStore(),
        EnvelopeCipher(keys),
        InMemoryConsentLedger(),
        POLICY,
        clock,
        keys=keys,
        cluster_lookup=clusters.get,
    )
    mailer = InMemoryOutbox()
    push = PushService(
        profiles,
        clusters,
        mailer=mailer,
        public_url="https://hub.example",
        sender="Riverside Library <news@riverside.example>",
        member_names={"riverside": "Riverside University Library"},
        clock=clock,
    )
    return Hub(profiles, clusters, push, clock, mailer)


def old(cluster_id: str, title: str, classes: tuple[str, ...], **kw: object) -> Cluster:
    """A work the consortium has had for a year."""
    return make_cluster(cluster_id, title, classes=classes, first_seen=T0 - dt.timedelta(days=365), **kw)


def new(cluster_id: str, title: str, classes: tuple[str, ...], days: float = 3, **kw: object) -> Cluster:
    """A work first seen ``days`` after T0."""
    at = T0 + dt.timedelta(days=days)
    return make_cluster(cluster_id, title, classes=classes, first_seen=at, updated_at=at, **kw)


def programmer(hub: Hub, *, consents: tuple[Purpose, ...] = (Purpose.PERSONALIZATION, Purpose.PUSH)) -> None:
    """Reader r1 of riverside, who borrowed three programming books (CLC TP312) a year ago."""
    hub.add(
        old("p1", "Programming in C", ("clc:TP312",), authors=["Kernighan, Brian"]),
        old("p2", "Python from scratch", ("clc:TP312",)),
        old("p3", "Java basics", ("clc:TP312",)),
    )
    hub.profiles.create_reader("r1", "riverside", list(consents))
    for number, cluster_id in enumerate(("p1", "p2", "p3")):
        hub.borrow("r1", cluster_id, number)


def run_a_week_later(hub: Hub, **kw: object) -> object:
    hub.clock.now = T0 + WEEK
    return hub.push.run(**kw)  # type: ignore[arg-type]


# -- consent and subscriptions


def test_nothing_is_pushed_without_the_push_consent(hub: Hub) -> None:
    programmer(hub, consents=(Purpose.PERSONALIZATION,))
    with pytest.raises(ConsentError):
        hub.push.subscribe("r1", ServiceId.INTERESTED_NEW, Channel.INBOX, actor=READER)
    hub.add(new("n1", "Programming in Rust", ("clc:TP312",)))
    report = run_a_week_later(hub)
    assert report.planned == 0  # type: ignore[attr-defined]
    assert hub.push.history("r1", READER) == []


def test_subscriptions_are_validated_and_a_notice_service_needs_none(hub: Hub) -> None:
    programmer(hub)
    with pytest.raises(ValidationError, match="email"):
        hub.push.subscribe("r1", ServiceId.INTERESTED_NEW, Channel.EMAIL, actor=READER)
    with pytest.raises(ValidationError, match="query"):
        hub.push.subscribe("r1", ServiceId.SAVED_SEARCH, Channel.INBOX, actor=READER)
    with pytest.raises(ValidationError, match="needs no subscription"):
        hub.push.subscribe("r1", ServiceId.INTERLIBRARY_LOAN, Channel.INBOX, actor=READER)
    with pytest.raises(ValidationError, match="max_items"):
        hub.push.subscribe("r1", ServiceId.INTERESTED_NEW, Channel.INBOX, actor=READER, max_items=500)
    subscription, token = hub.push.subscribe(
        "r1", ServiceId.NEW_IN_CLASS, Channel.ATOM, actor=READER, frequency=Frequency.DAILY
    )
    assert subscription.frequency is Frequency.DAILY and token
    assert [s.service for s in hub.push.subscriptions("r1", READER)] == [ServiceId.NEW_IN_CLASS]


# -- what is new, what is chosen


def test_interested_new_books_are_new_ranked_explained_and_capped(hub: Hub) -> None:
    programmer(hub)
    hub.push.subscribe("r1", ServiceId.INTERESTED_NEW, Channel.INBOX, actor=READER, max_items=3)
    hub.add(
        new("rust", "Programming in Rust", ("clc:TP312",), members=("riverside",)),
        new("go", "The Go programming language", ("clc:TP312",), members=("lakeside",)),
        new("db", "Database systems", ("clc:TP311.13",)),
        new("ml", "Machine learning", ("clc:TP181",)),
        new("poems", "Tang poems", ("clc:I222.742",)),  # nothing to do with the reader
        new("k2", "The C programming language, 3rd ed.", ("clc:TP312",), authors=["Kernighan, Brian"]),
        old("old", "Old programming book", ("clc:TP312",)),  # not new
        new("before", "Came before the subscription", ("clc:TP312",), days=-1),
    )

    report = run_a_week_later(hub)

    [entry] = hub.push.inbox("r1", READER)
    items = entry["digest"]["items"]
    ids = [item["cluster_id"] for item in items]
    assert len(ids) == 3, ids
    assert set(ids) <= {"rust", "go", "k2", "db"}
    assert "poems" not in ids and "old" not in ids and "before" not in ids
    assert "rust" in ids  # held at the reader's own library
    reasons = {item["cluster_id"]: item["reason"] for item in items}
    assert "at your library" in reasons["rust"]
    assert all(reason for reason in reasons.values())
    assert report.delivered == {"inbox": 1}  # type: ignore[attr-defined]
    assert [i.cluster_id for i in hub.push.history("r1", READER)] and len(hub.push.history("r1", READER)) == 3


def test_reasons_name_the_class_followed_or_the_book_borrowed(hub: Hub) -> None:
    programmer(hub)
    hub.profiles.declare_interest("r1", "class:clc:O13", READER)
    hub.push.subscribe("r1", ServiceId.INTERESTED_NEW, Channel.INBOX, actor=READER)
    hub.add(
        new("calc", "Calculus", ("clc:O13",)),
        new("c2", "Programming in C, second volume", ("clc:TP312",), authors=["Kernighan, Brian"]),
    )
    run_a_week_later(hub)
    [entry] = hub.push.inbox("r1", READER)
    reasons = {item["cluster_id"]: item["reason"] for item in entry["digest"]["items"]}
    assert reasons["calc"].startswith("you follow O13")
    in_chinese = {item["cluster_id"]: item["reason_zh"] for item in entry["digest"]["items"]}
    assert in_chinese["calc"].startswith("您关注了 O13 类")
    # The second volume has the very keys of the book borrowed (class, author): that book is the strongest piece.
    assert reasons["c2"].startswith("because you borrowed Programming in C")
    assert in_chinese["c2"].startswith("因为您借阅过《Programming in C》")
    history = {item.cluster_id: item.reason_zh for item in hub.push.history("r1", READER)}
    assert history == in_chinese  # what the history keeps, too


def test_a_new_work_the_reader_already_borrowed_is_not_pushed_to_them(hub: Hub) -> None:
    programmer(hub)
    hub.push.subscribe("r1", ServiceId.INTERESTED_NEW, Channel.INBOX, actor=READER)
    hub.add(new("rust", "Programming in Rust", ("clc:TP312",)), new("go", "Go programming", ("clc:TP312",)))
    hub.clock.now = T0 + dt.timedelta(days=4)
    hub.borrow("r1", "rust", 99)  # borrowed as soon as it arrived
    run_a_week_later(hub)
    [entry] = hub.push.inbox("r1", READER)
    assert [item["cluster_id"] for item in entry["digest"]["items"]] == ["go"]


def test_new_books_in_my_classes_are_fine_grained_per_reader(hub: Hub) -> None:
    programmer(hub)
    hub.profiles.create_reader("r2", "riverside", [Purpose.PUSH])
    hub.profiles.declare_interest("r2", "class:clc:I24", READER)
    for reader_id in ("r1", "r2"):
        hub.push.subscribe(reader_id, ServiceId.NEW_IN_CLASS, Channel.INBOX, actor=READER)
    hub.add(
        new("rust", "Programming in Rust", ("clc:TP312",)),
        new("net", "Computer networks", ("clc:TP393",)),  # same top class T, another fine class
        new("novel", "A new novel", ("clc:I247.5",)),
        new("poem", "Poems", ("clc:I22",)),  # same top class I, not under I24
    )
    run_a_week_later(hub)
    first = [i["cluster_id"] for i in hub.push.inbox("r1", READER)[0]["digest"]["items"]]
    second = [i["cluster_id"] for i in hub.push.inbox("r2", READER)[0]["digest"]["items"]]
    assert first == ["rust"]
    assert second == ["novel"]
    assert hub.push.inbox("r2", READER)[0]["digest"]["items"][0]["reason"] == "new in I24, which you follow"


def test_a_digest_holds_at_most_two_volumes_of_one_series(hub: Hub) -> None:
    programmer(hub)
    hub.push.subscribe("r1", ServiceId.INTERESTED_NEW, Channel.INBOX, actor=READER, max_items=10)
    volumes = [
        new(f"v{n}", f"Programming pearls, vol. {n}", ("clc:TP312",), series="Programming pearls") for n in range(1, 9)
    ]
    hub.add(*volumes, new("other", "Refactoring", ("clc:TP312",)))
    run_a_week_later(hub)
    ids = [i["cluster_id"] for i in hub.push.inbox("r1", READER)[0]["digest"]["items"]]
    assert sum(1 for i in ids if i.startswith("v")) == 2
    assert "other" in ids


def test_works_sharing_a_title_are_not_one_series_unless_the_title_names_a_part(hub: Hub) -> None:
    # Three textbooks titled "Programming" by three authors are three works: all in the digest. Four volumes whose
    # titles name their part ("Programming techniques, vol. 2"), with no series field, are one series: two of them.
    programmer(hub)
    hub.push.subscribe("r1", ServiceId.INTERESTED_NEW, Channel.INBOX, actor=READER, max_items=10)
    same_title = [
        new(f"t{n}", "Programming", ("clc:TP312",), authors=[f"Author{n}, Ann"], subtitle=f"a course, part {n}")
        for n in range(1, 4)
    ]
    volumes = [new(f"v{n}", f"Programming techniques, vol. {n}", ("clc:TP312",)) for n in range(1, 5)]
    hub.add(*same_title, *volumes)
    run_a_week_later(hub)
    ids = [i["cluster_id"] for i in hub.push.inbox("r1", READER)[0]["digest"]["items"]]
    assert sorted(i for i in ids if i.startswith("t")) == ["t1", "t2", "t3"]
    assert sum(1 for i in ids if i.startswith("v")) == 2


def test_a_record_joining_an_old_work_does_not_make_it_new(hub: Hub) -> None:
    programmer(hub)
    hub.push.subscribe("r1", ServiceId.INTERESTED_NEW, Channel.INBOX, actor=READER)
    grown = old(
        "p1", "Programming in C", ("clc:TP312",), members=("m", "lakeside"), updated_at=T0 + dt.timedelta(days=2)
    )
    hub.add(grown)  # a new member's record merged into a work the consortium had: same first_seen
    report = run_a_week_later(hub)
    assert report.planned == 1 and report.empty == 1  # type: ignore[attr-defined]
    assert hub.push.inbox("r1", READER) == []


def test_saved_search_alerts_run_the_query_over_new_works(hub: Hub) -> None:
    programmer(hub)
    hub.push.subscribe("r1", ServiceId.SAVED_SEARCH, Channel.INBOX, actor=READER, query="title:rust")
    hub.add(new("rust", "Programming in Rust", ("clc:TP312",)), new("go", "Go in action", ("clc:TP312",)))
    run_a_week_later(hub)
    [item] = hub.push.inbox("r1", READER)[0]["digest"]["items"]
    assert item["cluster_id"] == "rust"
    assert item["reason"] == 'matches your saved search "title:rust"'


# -- delivery once


def test_running_again_never_sends_twice_and_windows_move_on(hub: Hub) -> None:
    programmer(hub)
    hub.push.subscribe("r1", ServiceId.INTERESTED_NEW, Channel.EMAIL, actor=READER, email="r1@example.org")
    hub.add(new("rust", "Programming in Rust", ("clc:TP312",)))
    first = run_a_week_later(hub)
    again = hub.push.run(force=True)  # the same moment, the window forced open: what was sent is left out
    assert first.delivered == {"email": 1}  # type: ignore[attr-defined]
    assert again.empty == 1 and not again.delivered  # type: ignore[attr-defined]
    [(recipient, message)] = hub.mailer.sent
    assert recipient == "r1@example.org"
    assert "Programming in Rust" in message.as_string()
    assert message["List-Unsubscribe"].startswith("<https://hub.example/push/unsubscribe/")

    # A week on, a new book arrives; the old one is not sent again even with the window forced open.
    hub.add(new("go", "Go programming", ("clc:TP312",), days=10))
    hub.clock.now = T0 + 2 * WEEK
    hub.push.run()
    assert len(hub.mailer.sent) == 2
    assert "Programming in Rust" not in hub.mailer.sent[1][1].as_string()
    assert "Go programming" in hub.mailer.sent[1][1].as_string()


def test_a_crash_after_sending_does_not_send_again(hub: Hub) -> None:
    programmer(hub)
    hub.push.subscribe("r1", ServiceId.INTERESTED_NEW, Channel.EMAIL, actor=READER, email="r1@example.org")
    hub.add(new("rust", "Programming in Rust", ("clc:TP312",)))
    hub.clock.now = T0 + WEEK
    [digest] = hub.push.run(dry_run=True).digests

    class Crash(BaseException):  # the process dies here: no handler of the job runs
        pass

    def crash_after_send(message: EmailMessage, recipient: str) -> None:
        hub.mailer.sent.append((recipient, message))
        raise Crash

    hub.mailer.send = crash_after_send  # type: ignore[method-assign]
    with pytest.raises(Crash):
        hub.push.execute(digest, hub.push.run(dry_run=True))
    del hub.mailer.send  # back to the real method

    hub.clock.now = T0 + WEEK + dt.timedelta(hours=1)  # the retry plans a new window
    retry = hub.push.run(force=True)
    assert len(hub.mailer.sent) == 1
    assert retry.items == 0  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "address",
    [
        "r1@example.org\r\nBcc: everyone@example.org",
        "r1@example.org, r2@example.net",
        "Reader One <r1@example.org>",
        "r1.example.org",
        "r1@localhost",
    ],
)
def test_an_email_subscription_takes_one_valid_mailbox(hub: Hub, address: str) -> None:
    programmer(hub)
    with pytest.raises(ValidationError, match="field 'email'"):
        hub.push.subscribe("r1", ServiceId.INTERESTED_NEW, Channel.EMAIL, actor=READER, email=address)
    assert hub.push.subscriptions("r1", READER) == []


def test_an_address_at_an_internationalized_domain_is_delivered_in_ascii(hub: Hub) -> None:
    programmer(hub)
    subscription, _ = hub.push.subscribe(
        "r1", ServiceId.INTERESTED_NEW, Channel.EMAIL, actor=READER, email="Leser@Bücherei.Example"
    )
    assert subscription.email == "Leser@bücherei.example"
    hub.add(new("rust", "Programming in Rust", ("clc:TP312",)))
    run_a_week_later(hub)
    [(recipient, message)] = hub.mailer.sent
    assert recipient == message["To"] == "Leser@xn--bcherei-n2a.example"


def two_readers_by_email(hub: Hub) -> None:
    """Readers r1 and r2, both programmers, each subscribed to interested_new by email."""
    programmer(hub)
    hub.profiles.create_reader("r2", "riverside", [Purpose.PERSONALIZATION, Purpose.PUSH])
    for number, cluster_id in enumerate(("p1", "p2", "p3")):
        hub.borrow("r2", cluster_id, number)
    for reader_id in ("r1", "r2"):
        actor = Actor(actor_id=reader_id, role="reader")
        hub.push.subscribe(
            reader_id, ServiceId.INTERESTED_NEW, Channel.EMAIL, actor=actor, email=f"{reader_id}@example.org"
        )
    hub.add(new("rust", "Programming in Rust", ("clc:TP312",)))


def test_an_unexpected_failure_for_one_reader_neither_stops_the_others_nor_counts_as_sent(hub: Hub) -> None:
    two_readers_by_email(hub)
    deliver = hub.mailer.send

    def broken_for_r1(message: EmailMessage, recipient: str) -> None:
        if recipient.startswith("r1@"):
            raise RuntimeError("a fault no mailer should raise")
        deliver(message, recipient)

    hub.mailer.send = broken_for_r1  # type: ignore[method-assign]
    report = run_a_week_later(hub)
    assert [recipient for recipient, _ in hub.mailer.sent] == ["r2@example.org"]
    assert report.delivered == {"email": 1} and report.errors == 1  # type: ignore[attr-defined]
    assert report.as_dict()["errors"] == 1  # type: ignore[attr-defined]
    assert hub.push.history("r1", READER) == []  # not recorded as sent: the next run tries again

    del hub.mailer.send  # mended
    hub.clock.now += dt.timedelta(hours=1)
    assert hub.push.run().delivered == {"email": 1}
    assert sorted(recipient for recipient, _ in hub.mailer.sent) == ["r1@example.org", "r2@example.org"]


def test_a_run_asked_to_stop_keeps_what_it_delivered_and_the_next_run_sends_the_rest(hub: Hub) -> None:
    two_readers_by_email(hub)
    asked = [False]
    deliver = hub.mailer.send

    def then_stop(message: EmailMessage, recipient: str) -> None:
        deliver(message, recipient)
        asked[0] = True  # SIGTERM arrives while the first digest goes out

    hub.mailer.send = then_stop  # type: ignore[method-assign]
    hub.clock.now = T0 + WEEK
    report = hub.push.run(should_stop=lambda: asked[0])
    assert report.interrupted and report.as_dict()["interrupted"] is True
    assert (report.planned, report.delivered) == (2, {"email": 1})  # the second digest was not begun
    [(first, _)] = hub.mailer.sent
    reader = first.split("@")[0]
    assert [item.cluster_id for item in hub.push.history(reader, Actor(actor_id=reader, role="reader"))] == ["rust"]

    del hub.mailer.send
    again = hub.push.run()  # the next start: the same window, planned again for the reader not yet sent to
    assert not again.interrupted and again.delivered == {"email": 1}
    assert sorted(recipient for recipient, _ in hub.mailer.sent) == ["r1@example.org", "r2@example.org"]


def test_a_run_asked_to_stop_while_planning_sends_nothing_and_moves_no_window(hub: Hub) -> None:
    two_readers_by_email(hub)
    hub.clock.now = T0 + WEEK
    calls = [0]

    def after_the_readers() -> bool:  # true from the first digest planned on
        calls[0] += 1
        return calls[0] > 2

    report = hub.push.run(should_stop=after_the_readers)
    assert report.interrupted and report.readers == 2 and report.planned == 0 and hub.mailer.sent == []
    assert hub.push.run().delivered == {"email": 2}  # nothing was lost: both windows were still open


def test_an_address_stored_before_addresses_were_checked_fails_alone(hub: Hub) -> None:
    two_readers_by_email(hub)
    [subscription] = hub.push.subscriptions("r1", READER)
    stored = subscription.model_dump(mode="json") | {"email": "r1@example.org\r\nBcc: everyone@example.org"}
    hub.profiles.vault.write("r1", "subscription", {"interested_new": stored}, READER, Purpose.PUSH)

    report = run_a_week_later(hub)
    assert [recipient for recipient, _ in hub.mailer.sent] == ["r2@example.org"]
    assert report.failed == 1  # type: ignore[attr-defined]
    assert hub.push.history("r1", READER) == []  # nothing recorded: a new address gets it
    hub.push.subscribe("r1", ServiceId.INTERESTED_NEW, Channel.EMAIL, actor=READER, email="r1@example.org")
    hub.push.run(force=True)
    assert sorted(recipient for recipient, _ in hub.mailer.sent) == ["r1@example.org", "r2@example.org"]


def test_a_temporary_failure_is_retried_and_a_permanent_one_is_not(hub: Hub) -> None:
    programmer(hub)
    hub.push.subscribe("r1", ServiceId.INTERESTED_NEW, Channel.EMAIL, actor=READER, email="r1@example.org")
    hub.add(new("rust", "Programming in Rust", ("clc:TP312",)))
    hub.mailer.fail = DeliveryError("421 try later", retryable=True)
    first = run_a_week_later(hub)
    assert first.retry_later == 1 and hub.push.history("r1", READER) == []  # type: ignore[attr-defined]

    hub.mailer.fail = None
    hub.clock.now += dt.timedelta(hours=1)
    second = hub.push.run()
    assert second.delivered == {"email": 1}  # type: ignore[attr-defined]

    hub.add(new("go", "Go programming", ("clc:TP312",), days=10))
    hub.mailer.fail = DeliveryError("550 no such user", retryable=False)
    hub.clock.now = T0 + 2 * WEEK
    assert hub.push.run().failed == 1
    hub.mailer.fail = None
    hub.clock.now = T0 + 3 * WEEK
    hub.push.run()
    assert len(hub.mailer.sent) == 1  # the refused work is not retried


# -- the reader in control


def test_deleted_muted_and_not_interested_items_are_never_pushed_again(hub: Hub) -> None:
    programmer(hub)
    hub.push.subscribe("r1", ServiceId.INTERESTED_NEW, Channel.INBOX, actor=READER)
    hub.add(new("rust", "Programming in Rust", ("clc:TP312",)), new("go", "Go programming", ("clc:TP312",)))
    run_a_week_later(hub)
    hub.push.act("r1", "rust", ItemAction.DELETE, READER)
    hub.push.act("r1", "go", ItemAction.NOT_INTERESTED, READER)
    assert [i.cluster_id for i in hub.push.history("r1", READER)] == ["go"]
    assert hub.push.history("r1", READER)[0].not_interested
    exported = hub.profiles.export("r1")
    assert any(e.get("feedback") == "not interested" for e in exported["events"])

    hub.push.mute("r1", MuteKind.CLASS, "class:clc:TP31", READER)
    hub.push.mute("r1", MuteKind.SERIES, "Head First", READER)
    hub.add(
        new("java", "Java again", ("clc:TP312",), days=9),  # under the muted TP31
        new("hf", "Head first statistics", ("clc:O21",), days=9, series="Head First"),
        new("ml", "Machine learning", ("clc:TP181",), days=9),
    )
    hub.clock.now = T0 + 2 * WEEK
    hub.push.run(force=True)
    pushed = {i.cluster_id for i in hub.push.history("r1", READER, include_deleted=True)}
    assert pushed.isdisjoint({"java", "hf"})
    assert [m.key for m in hub.push.mutes("r1", READER)] == ["class:clc:TP31", "Head First"]
    with pytest.raises(ValidationError):
        hub.push.mute("r1", MuteKind.CLASS, "TP31", READER)


def test_an_author_is_muted_by_the_name_an_item_shows(hub: Hub) -> None:
    programmer(hub)
    hub.push.subscribe("r1", ServiceId.INTERESTED_NEW, Channel.INBOX, actor=READER)
    hub.push.mute("r1", MuteKind.AUTHOR, "author:Ritchie, Dennis M.", READER)  # as catalogued, with the prefix
    hub.push.mute("r1", MuteKind.AUTHOR, "Kernighan, Brian", READER)  # or without it
    assert {m.key for m in hub.push.mutes("r1", READER)} == {"author:dennis m ritchie", "author:brian kernighan"}
    hub.add(
        new("c2", "C, the second book", ("clc:TP312",), authors=["Kernighan, Brian"]),
        new("rust", "Programming in Rust", ("clc:TP312",), authors=["Klabnik, Steve"]),
    )
    run_a_week_later(hub)
    assert [i.cluster_id for i in hub.push.history("r1", READER)] == ["rust"]
    hub.push.unmute("r1", MuteKind.AUTHOR, "author:brian kernighan", READER)  # the key the mute list shows
    assert [m.key for m in hub.push.mutes("r1", READER)] == ["author:dennis m ritchie"]
    with pytest.raises(ValidationError, match="an author's name"):
        hub.push.mute("r1", MuteKind.AUTHOR, "author: ,", READER)
    hub.push.unmute("r1", MuteKind.AUTHOR, "author: ,", READER)  # never muted: nothing to remove, no error
    assert [m.key for m in hub.push.mutes("r1", READER)] == ["author:dennis m ritchie"]


def test_feeds_and_unsubscribe_links_work_by_token_and_are_revocable(hub: Hub) -> None:
    programmer(hub)
    _, token = hub.push.subscribe("r1", ServiceId.INTERESTED_NEW, Channel.ATOM, actor=READER)
    hub.add(new("rust", "Programming in Rust", ("clc:TP312",)))
    run_a_week_later(hub)

    feed = etree.fromstring(hub.push.feed(token))
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert feed.findtext("a:entry/a:title", namespaces=ns) == "Programming in Rust"
    with pytest.raises(NotFoundError):
        hub.push.feed(token[:-2] + "xx")

    _, rotated = hub.push.subscribe("r1", ServiceId.INTERESTED_NEW, Channel.ATOM, actor=READER)
    with pytest.raises(NotFoundError):
        hub.push.feed(token)
    assert hub.push.unsubscribe_by_token(rotated) is ServiceId.INTERESTED_NEW
    with pytest.raises(NotFoundError):
        hub.push.feed(rotated)
    assert not hub.push.subscriptions("r1", READER)[0].active


def test_every_bad_token_gets_one_answer_and_no_audit_entry(hub: Hub) -> None:
    """A junk token must tell nothing (does the reader exist? was there a token?) and write nothing in the
    reader's audit log: otherwise anyone can probe reader ids and fill a reader's log."""
    programmer(hub)
    hub.profiles.create_reader("r2", "riverside", [Purpose.PUSH])
    _, token = hub.push.subscribe("r1", ServiceId.INTERESTED_NEW, Channel.ATOM, actor=READER)
    _, email_token = hub.push.subscribe("r2", ServiceId.NEW_IN_CLASS, Channel.EMAIL, actor=READER, email="a@b.c")
    _, revoked = hub.push.subscribe("r2", ServiceId.INTERESTED_NEW, Channel.ATOM, actor=READER)
    hub.push.unsubscribe("r2", ServiceId.INTERESTED_NEW, READER)
    generation, sealed, secret = token.split(".")
    r1, nobody = (base64.urlsafe_b64encode(name).decode().rstrip("=") for name in (b"r1", b"nobody"))
    bad = [
        token[:-2] + "xx",
        f"{generation}.{sealed[:-2]}xx.{secret}",  # the opaque part changed
        revoked,
        f"{r1}.{secret}",  # legacy tokens naming r1 and nobody, neither of them kept
        f"{nobody}.{secret}",
        "junk",
        f"{r1}.short",
        f"{r1}.{'!' * 43}",
        email_token,
    ]
    logs = {r: len(hub.profiles.vault.store.audit_log(r)) for r in ("r1", "r2")}

    answers = set()
    for junk in bad:
        with pytest.raises(NotFoundError) as failed:
            hub.push.feed(junk)
        answers.add(str(failed.value))
        if junk is not email_token:
            with pytest.raises(NotFoundError) as failed:
                hub.push.unsubscribe_by_token(junk)
            answers.add(str(failed.value))
    assert answers == {"no such feed or link"}
    assert {r: len(hub.profiles.vault.store.audit_log(r)) for r in ("r1", "r2")} == logs

    hub.push.feed(token)  # a good token is still audited
    assert len(hub.profiles.vault.store.audit_log("r1")) > logs["r1"]


def test_tokens_are_sealed_and_hide_the_reader_id(hub: Hub) -> None:
    reader_id = "林黛玉.daiyu@riverside"
    hub.profiles.create_reader(reader_id, "riverside", [Purpose.PUSH])
    actor = Actor(actor_id=reader_id, role="reader")
    _, token = hub.push.subscribe(reader_id, ServiceId.INTERESTED_NEW, Channel.ATOM, actor=actor)
    assert len(token.split(".")) == 3  # format 2; a legacy token is never issued
    encoded = base64.urlsafe_b64encode(reader_id.encode()).decode().rstrip("=")
    for url in (hub.push.feed_url(token), hub.push.unsubscribe_url(token)):
        assert reader_id not in url and encoded not in url and "daiyu" not in url
    assert hub.push.by_token(token)[0] == reader_id


def test_erasing_the_reader_makes_their_tokens_open_nothing(hub: Hub) -> None:
    programmer(hub)
    _, token = hub.push.subscribe("r1", ServiceId.INTERESTED_NEW, Channel.ATOM, actor=READER)
    _, email_token = hub.push.subscribe("r1", ServiceId.NEW_IN_CLASS, Channel.EMAIL, actor=READER, email="a@b.c")
    hub.push.feed(token)
    hub.profiles.erase("r1")
    for gone in (token, email_token):
        with pytest.raises(NotFoundError, match="no such feed or link"):
            hub.push.by_token(gone)
    assert hub.profiles.vault.store.audit_log("r1") == []  # and the failed lookups wrote nothing

    # A new reader given the same id: the erased reader's tokens still open nothing, theirs work.
    programmer(hub)
    _, fresh = hub.push.subscribe("r1", ServiceId.INTERESTED_NEW, Channel.ATOM, actor=READER)
    with pytest.raises(NotFoundError, match="no such feed or link"):
        hub.push.feed(token)
    hub.push.feed(fresh)


def test_legacy_tokens_still_open_until_the_reader_subscribes_again(hub: Hub) -> None:
    """Tokens issued before the sealed format (``<reader id, base64url>.<secret>``) are in mail already sent:
    their one-click unsubscribe (RFC 8058) and feed keep working while the subscription keeps them."""
    programmer(hub)
    ledgers = PushLedgers(hub.profiles.vault)
    secret = base64.urlsafe_b64encode(bytes(range(32))).decode().rstrip("=")
    legacy = {
        service: f"{base64.urlsafe_b64encode(b'r1').decode().rstrip('=')}.{secret}{n}"
        for n, service in enumerate((ServiceId.INTERESTED_NEW, ServiceId.NEW_IN_CLASS))
    }
    for service, token in legacy.items():
        subscription, _ = hub.push.subscribe("r1", service, Channel.ATOM, actor=READER)
        ledgers.save_subscription("r1", subscription.model_copy(update={"token": token}), READER, Purpose.PUSH)

    hub.push.feed(legacy[ServiceId.INTERESTED_NEW])
    assert hub.push.unsubscribe_by_token(legacy[ServiceId.NEW_IN_CLASS]) is ServiceId.NEW_IN_CLASS
    with pytest.raises(NotFoundError, match="no such feed or link"):
        hub.push.feed(legacy[ServiceId.NEW_IN_CLASS])  # unsubscribing revoked it

    _, rotated = hub.push.subscribe("r1", ServiceId.INTERESTED_NEW, Channel.ATOM, actor=READER)
    with pytest.raises(NotFoundError, match="no such feed or link"):
        hub.push.feed(legacy[ServiceId.INTERESTED_NEW])  # subscribing again replaced it
    assert len(rotated.split(".")) == 3
    hub.push.feed(rotated)


def test_a_retired_token_key_opens_nothing(hub: Hub) -> None:
    programmer(hub)
    _, old = hub.push.subscribe("r1", ServiceId.INTERESTED_NEW, Channel.ATOM, actor=READER)
    rotated = PushService(hub.profiles, hub.clusters, clock=hub.clock, token_key="k2")
    _, new = rotated.subscribe("r1", ServiceId.NEW_IN_CLASS, Channel.ATOM, actor=READER)
    rotated.feed(old)  # the earlier generation's tokens still open
    rotated.retire_token_key("1")
    with pytest.raises(NotFoundError, match="no such feed or link"):
        rotated.feed(old)
    rotated.feed(new)


def test_withdrawing_push_deletes_everything_push_kept(hub: Hub) -> None:
    programmer(hub)
    hub.push.subscribe("r1", ServiceId.INTERESTED_NEW, Channel.INBOX, actor=READER)
    hub.add(new("rust", "Programming in Rust", ("clc:TP312",)))
    run_a_week_later(hub)
    hub.push.mute("r1", MuteKind.AUTHOR, "author:brian kernighan", READER)
    assert hub.profiles.item_counts("r1").get("sent") == 1

    hub.profiles.withdraw("r1", Purpose.PUSH, READER)

    counts = hub.profiles.item_counts("r1")
    assert not {"subscription", "sent", "inbox", "digest", "mute"} & set(counts)
    assert hub.push.run(force=True).planned == 0


def test_push_history_is_purged_after_its_retention(hub: Hub) -> None:
    programmer(hub)
    hub.push.subscribe("r1", ServiceId.INTERESTED_NEW, Channel.INBOX, actor=READER)
    hub.add(new("rust", "Programming in Rust", ("clc:TP312",)))
    run_a_week_later(hub)
    assert hub.profiles.purge_expired(T0 + dt.timedelta(days=100)) == 0
    assert hub.profiles.purge_expired(T0 + dt.timedelta(days=200)) >= 3  # sent, digest and inbox
    assert hub.push.history("r1", READER) == [] and hub.push.inbox("r1", READER) == []


def test_shards_split_the_readers_and_together_cover_them(hub: Hub) -> None:
    programmer(hub)
    for number in range(2, 12):
        hub.profiles.create_reader(f"r{number}", "riverside", [Purpose.PUSH])
        hub.profiles.declare_interest(f"r{number}", "class:clc:TP312", READER)
    for number in range(1, 12):
        hub.push.subscribe(f"r{number}", ServiceId.NEW_IN_CLASS, Channel.INBOX, actor=READER)
    hub.add(new("rust", "Programming in Rust", ("clc:TP312",)))
    hub.clock.now = T0 + WEEK
    reports = [hub.push.run(shard=(k, 3)) for k in range(3)]
    assert sum(r.readers for r in reports) == 11
    assert all(r.readers < 11 for r in reports)
    assert sum(r.delivered.get("inbox", 0) for r in reports) == 11


def test_a_run_fanned_out_over_a_queue_reaches_every_reader_once(hub: Hub) -> None:
    for number in range(1, 8):
        hub.profiles.create_reader(f"r{number}", "riverside", [Purpose.PUSH])
        hub.profiles.declare_interest(f"r{number}", "class:clc:TP312", READER)
        hub.push.subscribe(f"r{number}", ServiceId.NEW_IN_CLASS, Channel.INBOX, actor=READER)
    hub.add(new("rust", "Programming in Rust", ("clc:TP312",)))
    hub.clock.now = T0 + WEEK
    queue = InMemoryQueue()

    started = start_run(hub.push, queue, JobRequest(shards=3), hub.clock)

    assert started["mode"] == "queued" and started["messages"] == 3
    bodies = [(f"m{k}", json.dumps(message)) for k, message in enumerate(queue.receive())]
    assert run_shards(hub.push, [*bodies, ("m-bad", '{"shard": 5, "shards": 3}')]) == ["m-bad"]
    assert all(len(hub.push.inbox(f"r{number}", READER)) == 1 for number in range(1, 8))
    assert run_shards(hub.push, bodies) == []  # delivered twice: nothing is sent twice
    assert all(len(hub.push.inbox(f"r{number}", READER)) == 1 for number in range(1, 8))
    assert start_run(hub.push, None, JobRequest(shards=3), hub.clock)["mode"] == "in_process"


def test_a_run_for_one_frequency_plans_only_its_subscriptions(hub: Hub) -> None:
    programmer(hub)
    hub.push.subscribe("r1", ServiceId.NEW_IN_CLASS, Channel.INBOX, actor=READER, frequency=Frequency.DAILY)
    hub.push.subscribe("r1", ServiceId.INTERESTED_NEW, Channel.INBOX, actor=READER, frequency=Frequency.WEEKLY)
    hub.add(new("rust", "Programming in Rust", ("clc:TP312",)), new("go", "Go programming", ("clc:TP312",)))
    hub.clock.now = T0 + WEEK
    daily = hub.push.run(frequencies=[Frequency.DAILY])
    assert [d.service for d in hub.push.run(dry_run=True, force=True, frequencies=[Frequency.WEEKLY]).digests] == [
        ServiceId.INTERESTED_NEW
    ]
    assert daily.planned == 1
    assert {e["digest"]["service"] for e in hub.push.inbox("r1", READER)} == {"new_in_class"}


def test_a_copy_on_the_shelf_at_the_readers_library_ranks_first_and_says_so(hub: Hub) -> None:
    programmer(hub)
    hub.push.subscribe("r1", ServiceId.INTERESTED_NEW, Channel.INBOX, actor=READER, max_items=3)
    shelf = [Holding(member="riverside", availability=Availability.AVAILABLE)]
    hub.add(
        new("away", "Programming in Go", ("clc:TP312",), members=("lakeside",)),
        new("loaned", "Programming in Zig", ("clc:TP312",), members=("riverside",)),
        new("shelf", "Programming in Rust", ("clc:TP312",), members=("riverside",), holdings=shelf),
    )
    run_a_week_later(hub)
    items = hub.push.inbox("r1", READER)[0]["digest"]["items"]
    assert [i["cluster_id"] for i in items] == ["shelf", "loaned", "away"]
    assert items[0]["reason"].endswith("· on the shelf at your library")
    assert items[1]["reason"].endswith("· at your library")
    assert [i["reason_zh"].rpartition(" · ")[2] for i in items[:2]] == ["本馆在架", "本馆有藏"]
    assert " · " not in items[2]["reason_zh"]


def test_a_digest_executed_twice_is_delivered_once(hub: Hub) -> None:
    """What an SQS redelivery of a shard message does: the same digest (same id) comes again."""
    programmer(hub)
    hub.push.subscribe("r1", ServiceId.INTERESTED_NEW, Channel.EMAIL, actor=READER, email="r1@example.org")
    hub.add(new("rust", "Programming in Rust", ("clc:TP312",)))
    hub.clock.now = T0 + WEEK
    [digest] = hub.push.run(dry_run=True).digests
    report = hub.push.run(dry_run=True)
    hub.push.execute(digest, report)
    hub.push.execute(digest, report)
    assert report.delivered == {"email": 1} and report.skipped == 1
    assert len(hub.mailer.sent) == 1
