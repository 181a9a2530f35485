"""Statistics of a member's own contribution, from counts the stores keep (in-memory adapters)."""

from __future__ import annotations

import datetime as dt

import pytest
from factories import make_page, make_quarantined, make_record, make_test_cluster

from consortium.adapters.memory import InMemoryClusterStore, InMemoryRecordStore, ManualClock
from consortium.dedup.state import ClusterChange
from consortium.errors import NotFoundError
from consortium.members import Member, Source
from consortium.membership import MemberStatistics, SharedWorks
from consortium.models import ResourceFormat

T0 = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)
OAI = {"protocol": "oai-pmh", "url": "https://oai.example.edu/", "format": "marcxml"}


def member(member_id: str) -> Member:
    if member_id == "nowhere":
        raise NotFoundError("no member 'nowhere' in the registry")
    sources = [Source.model_validate({"id": "a", **OAI}), Source.model_validate({"id": "b", "paused": True, **OAI})]
    return Member(id=member_id, name=member_id, sources=sources if member_id == "riverside" else [])


def test_a_members_contribution() -> None:
    records, clusters = InMemoryRecordStore(), InMemoryClusterStore()
    mine = [make_record("riverside", f"b{n}") for n in range(5)]
    mine += [
        make_record("riverside", "e1", format=ResourceFormat.EBOOK),
        make_record("riverside", "j1", format="journal"),
    ]
    refused = [make_quarantined("riverside", "oai:1"), make_quarantined("lakeside", "x")]
    records.commit(make_page(*mine, make_record("lakeside", "x"), quarantined=refused))
    held = {
        "w1": [("riverside", "b0")],
        "w2": [("riverside", "b1"), ("riverside", "b2")],
        "w3": [("riverside", "b3"), ("lakeside", "x")],
        "w4": [("riverside", "b4"), ("lakeside", "y"), ("eastlake", "z")],
        "w5": [("riverside", "e1"), ("eastlake", "q")],
        "w6": [("lakeside", "only")],
    }
    clusters.apply(ClusterChange(saved=[make_test_cluster(c, r) for c, r in held.items()]))
    stats = MemberStatistics(records, clusters, member, ManualClock(T0)).contribution("riverside")
    assert stats.records == 7
    assert stats.records_by_format == {ResourceFormat.BOOK: 5, ResourceFormat.EBOOK: 1, ResourceFormat.JOURNAL: 1}
    assert (stats.works, stats.works_alone, stats.works_shared) == (5, 2, 3)
    assert stats.shared_with == [SharedWorks(members=2, works=2), SharedWorks(members=3, works=1)]
    assert (stats.quarantined, stats.sources, stats.paused_sources, stats.computed_at) == (1, 2, 1, T0)
    assert stats.model_dump(mode="json")["records_by_format"] == {"book": 5, "ebook": 1, "journal": 1}

    empty = MemberStatistics(records, clusters, member).contribution("westfield")
    assert (empty.records, empty.works, empty.shared_with, empty.records_by_format) == (0, 0, [], {})
    with pytest.raises(NotFoundError):
        MemberStatistics(records, clusters, member).contribution("nowhere")
