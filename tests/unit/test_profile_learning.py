"""ProfileService learning: stored events teach the reader's interests, drift raises a prompt the reader answers,
and withdrawing personalization forgets what was learned (declared interests stay)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from factories import make_cluster

from consortium.adapters.memory.clock import ManualClock
from consortium.adapters.memory.consent import InMemoryConsentLedger
from consortium.adapters.memory.keys import InMemoryKeyService
from consortium.adapters.memory.profiles import InMemoryProfileStore
from consortium.errors import NotFoundError
from consortium.profiles.consent import Purpose, load_consent_policy
from consortium.profiles.crypto import EnvelopeCipher
from consortium.profiles.kinds import INTERESTS, PROMPT
from consortium.profiles.models import Actor, ReaderEvent
from consortium.profiles.service import EventOutcome, ProfileService

if TYPE_CHECKING:
    from consortium.models import Cluster

POLICY = load_consent_policy(Path(__file__).resolve().parents[2] / "policies" / "consent.toml")
T0 = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
READER = Actor(actor_id="r1", role="reader")

CLUSTERS: dict[str, Cluster] = {
    "prog1": make_cluster("prog1", "Programming in C", classes=("clc:TP312",)),
    "prog2": make_cluster("prog2", "Python from scratch", classes=("clc:TP312",)),
    "prog3": make_cluster("prog3", "Java basics", classes=("clc:TP312",)),
    "novel": make_cluster("novel", "红楼梦", classes=("clc:I242.4",)),
    "poems": make_cluster("poems", "唐诗三百首", classes=("clc:I222.742",)),
}


def make(tmp_path: Path) -> tuple[ProfileService, InMemoryProfileStore, ManualClock]:
    keys = InMemoryKeyService()
    store = InMemoryProfileStore()
    clock = ManualClock(T0)
    service = ProfileService(
        store, EnvelopeCipher(keys), InMemoryConsentLedger(), POLICY, clock, keys=keys, cluster_lookup=CLUSTERS.get
    )
    return service, store, clock


def borrow(event_id: str, cluster_id: str, at: dt.datetime = T0) -> ReaderEvent:
    return ReaderEvent(event_id=event_id, type="borrow", at=at, cluster_id=cluster_id)


def test_borrowing_programming_books_makes_tp312_the_top_learned_interest(tmp_path: Path) -> None:
    service, _, _ = make(tmp_path)
    service.create_reader("r1", "riverside", [Purpose.PERSONALIZATION])
    for number, cluster_id in enumerate(["prog1", "prog2", "prog3", "novel"]):
        assert service.record_event("r1", borrow(f"e{number}", cluster_id), READER) is EventOutcome.STORED

    top = service.interests("r1", READER, n=3)

    assert top[0].key == "class:clc:TP312"
    assert top[0].learned and not top[0].declared
    assert top[0].score == pytest.approx(9.0)
    assert [i.key for i in top[1:]] == ["class:clc:TP31", "class:clc:I242.4"]  # TP31 6.0, then the novel 3.0


def test_not_interested_feedback_counts_against_a_work(tmp_path: Path) -> None:
    service, _, _ = make(tmp_path)
    service.create_reader("r1", "riverside", [Purpose.PERSONALIZATION])
    service.record_event("r1", borrow("e1", "novel"), READER)
    service.record_event(
        "r1", ReaderEvent(event_id="e2", type="feedback", at=T0, cluster_id="novel", feedback="Not interested"), READER
    )
    assert "class:clc:I242.4" not in {i.key for i in service.interests("r1", READER)}


def test_a_search_with_a_class_filter_counts(tmp_path: Path) -> None:
    service, _, _ = make(tmp_path)
    service.create_reader("r1", "riverside", [Purpose.PERSONALIZATION])
    searches = [
        ReaderEvent(event_id="s1", type="search", at=T0, query="compilers", filters={"class": "clc:T"}),
        ReaderEvent(event_id="s2", type="search", at=T0, query="compilers class:clc:T"),
        ReaderEvent(event_id="s3", type="search", at=T0, query="no filter at all"),
    ]
    for event in searches:
        service.record_event("r1", event, READER)

    [interest] = service.interests("r1", READER)

    assert interest.key == "class:clc:T"
    assert interest.score == pytest.approx(1.0)  # two searches at 0.5; the unfiltered one names nothing


def test_without_consent_nothing_is_learned(tmp_path: Path) -> None:
    service, store, _ = make(tmp_path)
    service.create_reader("r1", "riverside", [Purpose.PUSH])
    assert service.record_event("r1", borrow("e1", "prog1"), READER) is EventOutcome.DROPPED_NO_CONSENT
    assert service.interests("r1", READER) == []
    assert store.items("r1", INTERESTS) == []


def test_declared_and_learned_interests_are_told_apart(tmp_path: Path) -> None:
    service, _, _ = make(tmp_path)
    service.create_reader("r1", "riverside", [Purpose.PERSONALIZATION])
    service.declare_interest("r1", "subject:poetry", READER)
    service.record_event("r1", borrow("e1", "prog1"), READER)
    by_key = {i.key: i for i in service.interests("r1", READER)}
    assert by_key["subject:poetry"].declared and not by_key["subject:poetry"].learned
    assert by_key["class:clc:TP312"].learned and not by_key["class:clc:TP312"].declared
    service.remove_interest("r1", "subject:poetry", READER)
    assert "subject:poetry" not in {i.key for i in service.interests("r1", READER)}


def _shift_reading(service: ProfileService, clock: ManualClock) -> dt.datetime:
    """A year of literature (two borrows a week), then two months of programming (three a week)."""
    at = T0
    number = 0
    for week in range(52):
        for day, cluster_id in ((0, "novel"), (3, "poems")):
            at = T0 + dt.timedelta(weeks=week, days=day)
            clock.now = at
            service.record_event("r1", borrow(f"e{number}", cluster_id, at), READER)
            number += 1
    start = at + dt.timedelta(days=4)
    for week in range(9):
        for day, cluster_id in ((0, "prog1"), (2, "prog2"), (4, "prog3")):
            at = start + dt.timedelta(weeks=week, days=day)
            clock.now = at
            service.record_event("r1", borrow(f"e{number}", cluster_id, at), READER)
            number += 1
    return at


def test_a_reading_shift_raises_one_prompt_and_accepting_it_changes_the_interests(tmp_path: Path) -> None:
    service, store, clock = make(tmp_path)
    service.create_reader("r1", "riverside", [Purpose.PERSONALIZATION])
    _shift_reading(service, clock)

    [prompt] = service.prompts("r1", READER)  # one open prompt at a time
    assert any(key.startswith("class:clc:TP") for key in prompt.rising)
    assert any(key.startswith("class:clc:I") for key in prompt.fading)
    assert "TP" in prompt.text_en
    assert service.export("r1", READER)["prompts"][0]["prompt_id"] == prompt.prompt_id

    after = service.answer_prompt("r1", prompt.prompt_id, accept=True, actor=READER)

    assert service.prompts("r1", READER) == []
    assert store.items("r1", PROMPT) == []
    declared = {i.key for i in after if i.declared}
    assert set(prompt.rising) <= declared
    assert not any(i.key.startswith("class:clc:I") for i in after)
    with pytest.raises(NotFoundError):
        service.answer_prompt("r1", prompt.prompt_id, accept=False, actor=READER)


def test_withdrawal_clears_learned_interests_and_prompts_but_keeps_declared(tmp_path: Path) -> None:
    service, store, clock = make(tmp_path)
    service.create_reader("r1", "riverside", [Purpose.PERSONALIZATION])
    service.declare_interest("r1", "author:cao xueqin", READER)
    _shift_reading(service, clock)
    assert service.prompts("r1", READER)

    service.withdraw("r1", Purpose.PERSONALIZATION, READER)

    assert store.items("r1", PROMPT) == []
    assert [(i.key, i.declared, i.learned) for i in service.interests("r1", READER)] == [
        ("author:cao xueqin", True, False)
    ]
    exported = service.export("r1", READER)
    assert exported["interests"]["learned"] == {}
    assert exported["prompts"] == []
    assert exported["events"] == []
