"""The demo readers of ``consortium run --demo``, seeded over the sample members (members.toml and samples/, as a
user who clones the repository has them) harvested into a temporary data folder: each has consent, declared
interests that their history bears out, searches, views and loans of works the store holds, and inbox items with
reasons; seeding again makes nothing new, finishes an interrupted seeding, and respects a withdrawn consent."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import pytest

from consortium.bootstrap import bootstrap
from consortium.cli.demo import CONSENTS, DEMO, DEMO_READERS, seed_demo
from consortium.cli.harvest import harvest_all
from consortium.config import Settings
from consortium.profiles.consent import Purpose
from consortium.profiles.models import Actor, ActorRole, EventType
from consortium.push.models import Channel, ServiceId

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from consortium.bootstrap import Container


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Container]:
    """The sample members harvested (clustered and indexed) into a fresh data folder, no reader yet."""
    container = bootstrap(Settings(data_dir=tmp_path / "var", key_dir=tmp_path / "keys"))
    reports, failed = harvest_all(container)
    assert not failed and reports
    assert container.cluster_store.count() > 50
    yield container
    container.close()


def test_each_demo_reader_has_consent_interests_history_and_inbox_items(hub: Container) -> None:
    report = seed_demo(hub)

    assert [r.state for r in report.readers] == ["created"] * len(DEMO_READERS)
    assert len({r.reader.member for r in report.readers}) >= 2
    assert report.push is not None and report.push.items > 0 and report.push.failed == 0
    for seeded in report.readers:
        reader_id = seeded.reader.reader_id
        granted = hub.profiles.consents(reader_id)
        assert all(granted[purpose] for purpose in CONSENTS), reader_id
        assert not granted[Purpose.ANALYTICS]  # only what the demo needs

        events = hub.profiles.events(reader_id, DEMO)
        kinds = {event.type for event in events}
        assert {EventType.SEARCH, EventType.VIEW, EventType.BORROW} <= kinds, reader_id
        for event in events:
            if event.cluster_id is not None:
                assert hub.cluster_store.get(event.cluster_id) is not None  # works of the store, not made up

        # Coherent: the strongest interest is one the reader declared and that their history taught too.
        top = hub.profiles.interests(reader_id, DEMO, 1)[0]
        assert top.declared and top.learned, (reader_id, top)

        inbox = hub.push.inbox(reader_id, DEMO)
        items = [item for entry in inbox for item in entry["digest"]["items"]]
        assert items, f"{reader_id}'s inbox is empty"
        assert all(item["reason"].strip() for item in items)
        borrowed = {e.cluster_id for e in events if e.type is EventType.BORROW}
        assert not borrowed & {item["cluster_id"] for item in items}  # what they have is not pushed to them
        assert seeded.inbox == len(inbox)

        # A newcomer trying an email digest with the reader's own address: it is accepted (a domain reserved for
        # examples, RFC 2606, that reaches no one; email-validator refuses the special-use ``.invalid``).
        address = hub.profiles.get_profile(reader_id, DEMO)["email"]
        assert address.endswith("@example.org"), address
        reader = Actor(actor_id=reader_id, role=ActorRole.READER)
        subscription, _ = hub.push.subscribe(
            reader_id, ServiceId.NEW_IN_CLASS, Channel.EMAIL, actor=reader, email=address
        )
        assert subscription.email == address


def test_the_computing_reader_borrowed_computing_books_and_is_sent_more(hub: Container) -> None:
    report = seed_demo(hub)
    [alice] = [r for r in report.readers if r.reader.reader_id == "demo-alice"]
    events = hub.profiles.events("demo-alice", DEMO)
    for event in events:
        if event.type is EventType.BORROW:
            work = hub.cluster_store.get(event.cluster_id or "")
            assert work is not None
            assert any(c.code.startswith("QA76") for c in work.classifications), work.title
    [entry] = hub.push.inbox("demo-alice", DEMO)
    assert any("QA76" in item["reason"] for item in entry["digest"]["items"])
    # Her second subscription is a private feed: its items are in the push history, not the inbox.
    feed = [i for i in hub.push.history("demo-alice", DEMO) if i.channel is Channel.ATOM]
    assert feed and alice.inbox == 1


def test_seeding_again_makes_nothing_new(hub: Container) -> None:
    seed_demo(hub)
    readers = hub.profiles.reader_ids()
    counts = {reader_id: hub.profiles.item_counts(reader_id) for reader_id in readers}

    again = seed_demo(hub)

    assert [r.state for r in again.readers] == ["kept"] * len(DEMO_READERS)
    assert again.push is not None and again.push.planned == 0 and again.push.items == 0
    assert hub.profiles.reader_ids() == readers
    assert {reader_id: hub.profiles.item_counts(reader_id) for reader_id in readers} == counts
    assert all(len(hub.profiles.consent_history(r)) == len(CONSENTS) for r in readers)  # no repeated grants


def test_an_interrupted_seeding_is_finished_with_the_same_events(hub: Container) -> None:
    first = DEMO_READERS[0]
    hub.profiles.create_reader(first.reader_id, first.member, list(CONSENTS), first.profile, actor=DEMO)

    report = seed_demo(hub)

    assert report.readers[0].state == "finished"
    assert hub.push.subscriptions(first.reader_id, DEMO)
    events = len(hub.profiles.events(first.reader_id, DEMO))
    assert events == report.readers[0].searches + report.readers[0].views + report.readers[0].borrows
    assert seed_demo(hub).readers[0].state == "kept"
    assert len(hub.profiles.events(first.reader_id, DEMO)) == events


def test_a_demo_reader_who_withdrew_push_is_left_as_they_are(hub: Container) -> None:
    seed_demo(hub)
    hub.profiles.withdraw("demo-bao", Purpose.PUSH, DEMO)  # deletes their subscriptions and push history

    report = seed_demo(hub)

    [bao] = [r for r in report.readers if r.reader.reader_id == "demo-bao"]
    assert bao.state == "kept" and "push" in bao.note
    assert not hub.profiles.consents("demo-bao")[Purpose.PUSH]  # never granted again behind their back
    assert hub.push.subscriptions("demo-bao", DEMO) == []


def test_a_reader_of_a_member_not_in_the_registry_is_not_made(hub: Container) -> None:
    stranger = dataclasses.replace(DEMO_READERS[0], reader_id="demo-stranger", member="nowhere")

    report = seed_demo(hub, (stranger,))

    assert report.readers[0].state == "skipped" and "nowhere" in report.readers[0].note
    assert report.push is None
    assert hub.profiles.reader_ids() == []


def test_an_empty_catalogue_makes_no_reader(tmp_path: Path) -> None:
    container = bootstrap(Settings(data_dir=tmp_path / "var", key_dir=tmp_path / "keys"))

    report = seed_demo(container)

    assert {r.state for r in report.readers} == {"skipped"}
    assert "no works" in report.readers[0].note
    assert container.profiles.reader_ids() == []
    container.close()
