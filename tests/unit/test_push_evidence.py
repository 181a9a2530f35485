"""Ranking evidence beyond one reader: key rarity, every matched interest, subject parts, author dates, and
co-borrowing that counts a pair only with ten distinct readers, from sharing members and consenting readers."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from factories import make_cluster

from consortium.members import Member, MemberRegistry, SharingPolicy
from consortium.profiles.interest_keys import author_key, keys_for_cluster, subject_key, subject_levels
from consortium.profiles.interests import InterestProfile, apply_event
from consortium.push.coborrow import MAX_NEIGHBOURS, MIN_READERS, coborrowing, shared_loans
from consortium.push.evidence import Evidence
from consortium.push.index import NewWorks
from consortium.push.ranking import Borrowed, Scored, Taste, diversified, rank
from consortium.push.scoring import borrowed_similarity, evidence_score

T0 = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)


def test_author_dates_are_left_out_so_two_forms_meet() -> None:
    assert author_key("Testot, Laurent 1967-....") == author_key("Laurent Testot") == "author:laurent testot"
    assert author_key("Yarros, Rebecca 19..-....") == "author:rebecca yarros"


def test_a_heading_means_its_broader_headings_and_its_subdivisions() -> None:
    levels = dict(subject_levels(subject_key("Horses -- War use -- History")))
    assert levels["subject:horses -- war use -- history"] == 1.0
    assert levels["subject:horses -- war use"] == 0.5
    assert levels["subject:horses"] == 0.25
    assert levels["subject:war use"] == levels["subject:history"] == 0.5
    works = NewWorks.build([make_cluster("w", "Saddles", subjects=["Horses--Equipment"])])
    assert ("subject:horses", 0.5) in {(k, f) for k, f in works.works[0].factors.items()}


def _taste(*subjects: list[str]) -> Taste:
    profile = InterestProfile()
    for n, heading in enumerate(subjects):
        profile = apply_event(profile, "borrow", [subject_key(s) for s in heading], T0 + dt.timedelta(days=n))
    return Taste.of(profile, T0 + dt.timedelta(days=30))


def _catalogue(extra: int) -> Evidence:
    """A catalogue where "Comics" is on ``extra`` works and "Whaling" on one."""
    works = [[subject_key("Comics")] for _ in range(extra)] + [[subject_key("Whaling")]]
    return Evidence.of_keys(works)


def test_a_rare_interest_outranks_a_catch_all_one_of_equal_weight() -> None:
    taste = _taste(["Comics"], ["Whaling"])
    works = NewWorks.build(
        [make_cluster("comic", "A comic", subjects=["Comics"]), make_cluster("whale", "Whales", subjects=["Whaling"])]
    )
    ranked = rank(taste, works, member="m", members_total=1, cap=2, threshold=0.0, evidence=_catalogue(500))
    assert [item.cluster_id for item in ranked] == ["whale", "comic"]
    assert ranked[0].reason == "you read about Whaling · at your library"


def test_a_work_meeting_two_interests_beats_one_meeting_only_one() -> None:
    taste = _taste(["Whaling"], ["Sailing"])
    works = NewWorks.build(
        [
            make_cluster("one", "One", subjects=["Whaling"]),
            make_cluster("both", "Both", subjects=["Whaling", "Sailing"]),
        ]
    )
    evidence = Evidence.of_keys([[subject_key("Whaling")], [subject_key("Sailing")], [subject_key("Other")]])
    ranked = rank(taste, works, member="m", members_total=1, cap=2, threshold=0.0, evidence=evidence)
    assert [item.cluster_id for item in ranked] == ["both", "one"]
    assert ranked[0].score < 1.0 + 0.2  # saturating: never past 1 (plus own library and tie-break)


def _loans(pairs_readers: int) -> list[tuple[str, str]]:
    loans = []
    for r in range(pairs_readers):
        loans += [(f"r{r}", "a"), (f"r{r}", "b")]
    return [*loans, ("x", "a"), ("y", "c")]


def test_a_pair_counts_only_with_ten_distinct_readers() -> None:
    assert MIN_READERS == 10
    _, neighbours, _ = coborrowing(_loans(9), lambda item: [f"subject:{item}"])
    assert neighbours == {}
    repeated = [*_loans(9), ("r0", "a"), ("r0", "b")]  # the same reader twice is still nine readers
    assert coborrowing(repeated, lambda item: [f"subject:{item}"])[1] == {}
    counts, neighbours, related = coborrowing(_loans(10), lambda item: [f"subject:{item}"])
    assert counts["a"] == 11 and counts["b"] == 10
    assert neighbours["a"]["b"] == neighbours["b"]["a"] == 10 / (11 * 10) ** 0.5
    assert "c" not in neighbours and related["subject:a"]["subject:b"] > 0


def test_each_work_keeps_only_its_strongest_co_borrowed_works() -> None:
    # "hub" is borrowed with every other work; "w<k>" by 10 + k readers, all of whom borrowed "hub" too
    loans = [(f"r{k}-{n}", item) for k in range(30) for n in range(10 + k) for item in ("hub", f"w{k:02d}")]
    _, neighbours, _ = coborrowing(loans, lambda item: [f"subject:{item}"])
    assert MAX_NEIGHBOURS == 20 and len(neighbours["hub"]) == MAX_NEIGHBOURS
    assert set(neighbours["hub"]) == {f"w{k:02d}" for k in range(10, 30)}  # the strongest: the most readers
    assert all(neighbours[f"w{k:02d}"] == {"hub": neighbours[f"w{k:02d}"]["hub"]} for k in range(30))


def test_a_weak_co_borrowed_key_is_not_followed() -> None:
    from consortium.push.scoring import RELATED_FLOOR, reader_values

    taste = Taste(weights={"subject:whaling": 1.0, "subject:knots": 0.01})
    related = {"subject:whaling": {"subject:storms": 0.5}, "subject:knots": {"subject:sails": 0.5}}
    values = reader_values(taste, Evidence(key_works={}, works_total=0, related=related))
    assert values["subject:storms"] == (0.25, "related:subject:whaling")  # 0.5 x cosine 0.5 x weight 1 x rarity 1
    assert "subject:sails" not in values  # 0.5 x 0.5 x 0.01: under the floor
    assert RELATED_FLOOR == 0.01


def test_only_sharing_members_and_consenting_readers_are_counted() -> None:
    registry = MemberRegistry(
        members=[
            Member(id="open", name="Open"),
            Member(id="closed", name="Closed", sharing=SharingPolicy(share_circulation="none")),
        ]
    )
    rows = [("r1", "a", "open"), ("r1", "b", "closed"), ("r2", "a", "open"), ("r3", "c", "open")]
    assert shared_loans(rows, registry, lambda reader: reader != "r2") == [("r1", "a"), ("r3", "c")]


def test_co_borrowing_reaches_a_work_and_says_who_borrowed_what() -> None:
    read = make_cluster("read", "Moby-Dick", subjects=["Whaling"])
    taste = Taste.of(
        apply_event(InterestProfile(), "borrow", keys_for_cluster(read), T0),
        T0,
        [Borrowed.of(read, keys_for_cluster(read))],
    )
    works = NewWorks.build([make_cluster("other", "Typhoon", subjects=["Storms"])])
    _, neighbours, _ = coborrowing(
        [(f"r{n}", c) for n in range(12) for c in ("read", "other")], lambda c: [f"subject:{c}"]
    )
    evidence = Evidence.of_keys([keys_for_cluster(read)], neighbours=neighbours)
    ranked = rank(taste, works, member="m", members_total=1, cap=3, threshold=0.0, evidence=evidence)
    assert [item.cluster_id for item in ranked] == ["other"]
    assert ranked[0].reason.startswith("readers who borrowed Moby-Dick also borrowed this")
    assert ranked[0].reason_zh.startswith("借过《Moby-Dick》的读者也借了这本")


def test_a_work_meeting_a_declared_class_is_never_cut_by_the_threshold() -> None:
    # The reader declares TP31 and has borrowed about whaling; a long record (forty headings) in TP311.1 scores
    # little once divided by its length, but the reader asked for its class.
    profile = apply_event(InterestProfile(declared={"class:clc:TP31": 1.0}), "borrow", [subject_key("Whaling")], T0)
    taste = Taste.of(profile, T0 + dt.timedelta(days=1))
    long_record = make_cluster("long", "Programs", classes=["clc:TP311.1"], subjects=[f"Topic {n}" for n in range(40)])
    whales = make_cluster("whales", "Whales", subjects=["Whaling"])
    works = NewWorks.build([long_record, whales])
    ranked = rank(taste, works, member="m", members_total=1, cap=2, evidence=Evidence.of_keys([]))
    assert [item.cluster_id for item in ranked] == ["whales", "long"]  # an exact, short match first
    assert ranked[1].reason.startswith("you follow TP31")


def test_at_the_default_threshold_a_series_volume_is_pushed_and_a_catch_all_match_is_not() -> None:
    # The reader borrowed a whaling novel of a series by Melville, and once a comic; the catalogue has the comics
    # heading on 500 works. Held at another library (no own-library bonus), the next volume of the series passes
    # the threshold, and a comic that meets only the catch-all heading does not.
    read = make_cluster("v1", "The whale, vol. 1", authors=["Melville, Herman"], subjects=["Whaling"], series="Whale")
    comic = make_cluster("c0", "A comic", subjects=["Comics"])
    profile = InterestProfile()
    for n, cluster in enumerate((read, comic)):
        profile = apply_event(profile, "borrow", keys_for_cluster(cluster), T0 + dt.timedelta(days=n))
    taste = Taste.of(profile, T0 + dt.timedelta(days=30))
    works = NewWorks.build(
        [
            make_cluster(
                "v2",
                "The whale, vol. 2",
                ("elsewhere",),
                authors=["Melville, Herman"],
                subjects=["Whaling"],
                series="Whale",
            ),
            make_cluster("c1", "Another comic", ("elsewhere",), subjects=["Comics"]),
        ]
    )
    catalogue = [[subject_key("Comics")] for _ in range(500)] + [keys_for_cluster(read)]
    catalogue += [[subject_key(f"Topic {n}")] for n in range(500)]
    ranked = rank(taste, works, member="m", members_total=2, cap=10, evidence=Evidence.of_keys(catalogue))
    assert [item.cluster_id for item in ranked] == ["v2"]
    unthresholded = rank(
        taste, works, member="m", members_total=2, cap=10, threshold=0.0, evidence=Evidence.of_keys(catalogue)
    )
    assert [item.cluster_id for item in unthresholded] == ["v2", "c1"]  # the comic is reached, and cut


def test_similarity_with_borrowed_works_sums_their_cosines_and_names_the_closest() -> None:
    keys = {
        "seen1": [subject_key("Whaling"), subject_key("Sailing"), author_key("Herman Melville")],
        "seen2": [subject_key("Whaling"), subject_key("Ships")],
        "other": [subject_key("Gardening")],
    }
    evidence = Evidence.of_keys([*keys.values(), [subject_key("Comics")], [subject_key("Comics")]])
    profile = InterestProfile()
    for n, work_keys in enumerate(keys.values()):
        profile = apply_event(profile, "borrow", work_keys, T0 + dt.timedelta(days=n))
    borrowed = [Borrowed.of(make_cluster(cid, cid.title()), ks) for cid, ks in keys.items()]
    taste = Taste.of(profile, T0 + dt.timedelta(days=30), borrowed)
    works = NewWorks.build(
        [
            make_cluster("both", "Both", subjects=["Whaling", "Sailing"], authors=["Melville, Herman"]),
            make_cluster("one", "One", subjects=["Ships"]),
            make_cluster("none", "None", subjects=["Comics"]),
        ]
    )
    both, one, none = (borrowed_similarity(work, taste, evidence) for work in works.works)
    assert both[2] == "seen1" and one[2] == "seen2" and none == (0.0, 0.0, "")
    assert both[0] > 1.0 > one[0] > 0.0  # the same keys as seen1 (cosine 1), plus its cosine with seen2
    assert both[1] == pytest.approx(1.0) and both[0] > both[1] and one[1] == one[0]
    scored = {work.cluster_id: evidence_score(work, {}, taste, evidence) for work in works.works}
    assert scored["both"][2] == "borrowed:seen1" and scored["both"][0] == 1.0 - math.exp(-both[0])
    assert scored["none"][0] == 0.0
    ranked = rank(taste, works, member="m", members_total=1, cap=3, threshold=0.0, evidence=evidence)
    assert ranked[0].cluster_id == "both" and ranked[0].reason.startswith("because you borrowed Seen1")


def test_an_author_the_reader_reads_is_not_diversified_away() -> None:
    works = NewWorks.build(
        [
            make_cluster("a1", "First novel", authors=["Hunzinger, Claudie"]),
            make_cluster("a2", "Second novel", authors=["Hunzinger, Claudie"]),
            make_cluster("b1", "Another novel", authors=["Levy, Deborah"]),
        ]
    )
    scored = [Scored(0, 0.9), Scored(1, 0.8), Scored(2, 0.6)]
    halved = diversified(works, scored, cap=3, threshold=0.0)
    assert [works.works[s.number].cluster_id for s in halved] == ["a1", "b1", "a2"]  # 0.8 halved under 0.6
    kept = diversified(works, scored, cap=3, threshold=0.0, read_authors=frozenset({author_key("Claudie Hunzinger")}))
    assert [works.works[s.number].cluster_id for s in kept] == ["a1", "a2", "b1"]
    assert [s.score for s in kept] == [0.9, 0.8, 0.6]


def test_of_two_works_the_one_many_readers_borrowed_can_pass_a_slightly_closer_match() -> None:
    from consortium.push.ranking import HOME_WEIGHT
    from consortium.push.scoring import POPULARITY_WEIGHT

    taste = _taste(["Whaling"], ["Whaling"], ["Whaling"], ["Sailing"], ["Sailing"])  # whaling a little more
    works = NewWorks.build(
        [make_cluster("whales", "Whales", subjects=["Whaling"]), make_cluster("sails", "Sails", subjects=["Sailing"])]
    )
    catalogue = [[subject_key("Whaling")], [subject_key("Sailing")]] + [[subject_key(f"Other {n}")] for n in range(20)]

    def ranked(loans: dict[str, int]) -> list[tuple[str, float]]:
        evidence = Evidence.of_keys(catalogue, loans=loans)
        items = rank(taste, works, member="elsewhere", members_total=2, cap=2, threshold=0.0, evidence=evidence)
        return [(item.cluster_id, item.score) for item in items]

    (first, closer), (_, farther) = ranked({})
    assert first == "whales" and closer - farther > 0.05  # the reader's stronger interest, by a margin
    # The consortium's loans (distinct readers, stored from ten on) are a prior worth as much as the reader's own
    # library holding the work, not only a tie-break between equal scores: 40 readers, the most borrowed 80.
    (first, top), (_, second) = ranked({"sails": 40, "other": 80})
    assert first == "sails" and second == closer
    assert POPULARITY_WEIGHT == HOME_WEIGHT
    assert top - farther <= POPULARITY_WEIGHT * math.log1p(40) / math.log1p(80) + 1e-9  # log-scaled, bounded
