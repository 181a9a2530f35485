"""What a reader is shown of their data, explained: each learned interest lists the stored events that taught it,
by type, with the latest (a work's title or the search as typed), a class counting its narrower classes' works as
learning does (a declared-only interest has none; withdrawing personalization leaves none behind); the export says
what each of its parts holds, in English and Chinese, and names the works it gives by id."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from test_profile_learning import READER, T0, borrow, make

from consortium.profiles.consent import Purpose
from consortium.profiles.lessons import Because
from consortium.profiles.models import EventType, ReaderEvent

if TYPE_CHECKING:
    from pathlib import Path


def test_each_learned_interest_says_which_events_taught_it(tmp_path: Path) -> None:
    service, _, _ = make(tmp_path)
    service.create_reader("r1", "riverside", [Purpose.PERSONALIZATION])
    events = [
        borrow("e1", "prog1", T0 - dt.timedelta(days=9)),
        borrow("e2", "prog2", T0 - dt.timedelta(days=9 - 1)),
        ReaderEvent(event_id="e3", type="view", at=T0 - dt.timedelta(days=9 - 2), cluster_id="prog3"),
        ReaderEvent(event_id="e4", type="search", at=T0 - dt.timedelta(days=9 - 3), query="class:clc:TP312 python"),
        borrow("e5", "novel", T0 - dt.timedelta(days=9 - 4)),
    ]
    for event in events:
        service.record_event("r1", event, READER)
    service.declare_interest("r1", "subject:whales", READER)

    by_key = {interest.key: interest for interest in service.interests("r1", READER)}

    assert by_key["class:clc:TP312"].because == [
        Because(type=EventType.BORROW, count=2, latest="Python from scratch", at=T0 - dt.timedelta(days=9 - 1)),
        Because(type=EventType.SEARCH, count=1, latest="class:clc:TP312 python", at=T0 - dt.timedelta(days=9 - 3)),
        Because(type=EventType.VIEW, count=1, latest="Java basics", at=T0 - dt.timedelta(days=9 - 2)),
    ]
    broader = by_key["class:clc:TP3"].because  # learned from its narrower class's works
    assert [(b.type, b.count) for b in broader] == [(EventType.BORROW, 2), (EventType.SEARCH, 1), (EventType.VIEW, 1)]
    assert by_key["class:clc:I242.4"].because == [
        Because(type=EventType.BORROW, count=1, latest="红楼梦", at=T0 - dt.timedelta(days=9 - 4))
    ]
    assert by_key["subject:whales"].because == []  # declared only

    service.withdraw("r1", Purpose.PERSONALIZATION)
    assert all(interest.because == [] for interest in service.interests("r1", READER))


def test_the_export_says_what_each_part_holds_and_names_each_work(tmp_path: Path) -> None:
    service, _, _ = make(tmp_path)
    service.create_reader("r1", "riverside", [Purpose.PERSONALIZATION])
    service.record_event("r1", borrow("e1", "novel"), READER)
    service.add_to_export("loans", lambda reader_id: [f"a loan of {reader_id}"], ("Your loans.", "您的借阅。"))

    exported = service.export("r1")

    parts = set(exported) - {"about"}
    for lang in ("en", "zh"):
        assert set(exported["about"][lang]) == parts | {"about"}  # every part, explained in both languages
    assert exported["about"]["zh"]["events"].startswith("您的活动")
    assert exported["loans"] == ["a loan of r1"] and exported["about"]["en"]["loans"] == "Your loans."
    assert exported["works"] == {"novel": "红楼梦"}
