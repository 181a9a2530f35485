"""Exactly equal scores are ordered by real evidence, one rule (:func:`~consortium.push.diversity.tie_rule`), never
by the order works entered the index: an author the reader reads, then more of the reader's keys met, then the
consortium's loans (ten readers), then a hash of the cluster id."""

from __future__ import annotations

import datetime as dt

from factories import make_cluster

from consortium.profiles.interest_keys import author_key, subject_key
from consortium.profiles.interests import InterestProfile, apply_event
from consortium.push.diversity import id_order
from consortium.push.evidence import Evidence
from consortium.push.index import NewWorks
from consortium.push.ranking import Scored, Taste, diversified, rank, tie_rule

T0 = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)


def _taste(*loans: list[str]) -> Taste:
    profile = InterestProfile()
    for n, keys in enumerate(loans):
        profile = apply_event(profile, "borrow", keys, T0 + dt.timedelta(days=n))
    return Taste.of(profile, T0 + dt.timedelta(days=30))


def _ids(works: NewWorks, chosen: list[Scored]) -> list[str]:
    return [works.works[s.number].cluster_id for s in chosen]


def test_of_two_equal_scores_the_work_by_an_author_the_reader_reads_comes_first() -> None:
    taste = _taste([subject_key("Whaling"), author_key("Melville, Herman")], [subject_key("Whaling")])
    clusters = [
        make_cluster("other", "The Whale Road", authors=["Doe, Jane"]),
        make_cluster("melville", "Billy Budd", authors=["Melville, Herman"]),
    ]
    for order in (clusters, clusters[::-1]):
        works = NewWorks.build(order)
        scored = [Scored(number, 0.5) for number in range(len(works))]
        chosen = diversified(works, scored, cap=2, threshold=0.0, tie=tie_rule(works, taste))
        assert _ids(works, chosen) == ["melville", "other"]
        assert [s.score for s in chosen] == [0.5, 0.5]


def test_a_tie_goes_to_more_of_the_readers_keys_then_to_more_readers_then_to_the_id_hash() -> None:
    taste = _taste([subject_key("Whaling"), subject_key("Sailing")], [subject_key("Whaling")])
    works = NewWorks.build(
        [
            make_cluster("one", "One", subjects=["Whaling"]),
            make_cluster("both", "Both", subjects=["Whaling", "Sailing"]),
            make_cluster("read", "Read", subjects=["Whaling"]),
            make_cluster("zz", "Zz", subjects=["Whaling"]),
        ]
    )
    evidence = Evidence.of_keys([], loans={"read": 12})
    chosen = diversified(works, [Scored(n, 0.4) for n in range(4)], 4, 0.0, tie=tie_rule(works, taste, evidence))
    rest = sorted(["one", "zz"], key=id_order)
    assert _ids(works, chosen) == ["both", "read", *rest]


def test_the_tie_break_never_reorders_different_scores() -> None:
    taste = _taste([author_key("Melville, Herman")])
    works = NewWorks.build(
        [make_cluster("other", "Other", authors=["Doe, Jane"]), make_cluster("melville", "M", authors=["Melville, H."])]
    )
    chosen = diversified(works, [Scored(0, 0.5), Scored(1, 0.4999999)], 2, 0.0, tie=tie_rule(works, taste))
    assert _ids(works, chosen) == ["other", "melville"]


def test_a_digest_is_the_same_whatever_order_the_index_was_built_in() -> None:
    taste = _taste([subject_key("Comics")], [subject_key("Comics")])
    titles = ["Akira", "Berserk", "Claymore", "Dorohedoro", "Eyeshield", "Fire Punch", "Gantz", "Hellsing"]
    clusters = [
        make_cluster(f"manga-{i}", title, subjects=["Comics"], authors=[f"{title}, Author"])
        for i, title in enumerate(titles)
    ]
    evidence = Evidence.of_keys([[subject_key("Comics")], [subject_key("Other")]])
    lists = []
    for order in (clusters, clusters[::-1], clusters[3:] + clusters[:3]):
        ranked = rank(
            taste, NewWorks.build(order), member="m", members_total=1, cap=5, threshold=0.0, evidence=evidence
        )
        assert len({item.score for item in ranked}) == 1  # every one ties
        lists.append([item.cluster_id for item in ranked])
    assert lists[0] == lists[1] == lists[2]
    assert lists[0] == sorted(lists[0], key=id_order)
