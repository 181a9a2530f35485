"""The interest model: keys, class hierarchies, event weights, decay, declared interests, serialization."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consortium.classification import class_ancestors
from consortium.errors import ValidationError
from consortium.models import Classification, ClassScheme, Cluster, ResourceFormat
from consortium.profiles.interest_keys import (
    InvalidInterestKeyError,
    author_key,
    class_key,
    keys_for_cluster,
    keys_for_search,
    subject_key,
)
from consortium.profiles.interests import (
    InterestProfile,
    apply_event,
    declare,
    from_dict,
    remove,
    to_dict,
    top_interests,
)
from consortium.search.query import SearchQuery, parse_query_string

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def scores(profile: InterestProfile, at: datetime) -> dict[str, float]:
    return {key: score for key, score, _ in top_interests(profile, at, n=1000)}


@pytest.mark.parametrize(
    ("scheme", "code", "chain"),
    [
        ("clc", "TP312", ["TP31", "TP3", "TP", "T"]),
        ("clc", "I247.55", ["I247.5", "I247", "I24", "I2", "I"]),
        ("clc", "O13", ["O1", "O"]),
        ("clc", "TP312JA", ["TP312", "TP31", "TP3", "TP", "T"]),
        ("clc", "TP311.13-43", ["TP311.1", "TP311", "TP31", "TP3", "TP", "T"]),
        ("clc", "D922.291.91", ["D922.291.9", "D922.291", "D922.29", "D922.2", "D922", "D92", "D9", "D"]),
        ("lcc", "QA76.73", ["QA76", "QA"]),
        ("lcc", "QA76.73.P98 2019", ["QA76", "QA"]),
        ("ddc", "005.133", ["005.13", "005.1", "005", "000"]),
        ("ddc", "641.5", ["641", "640", "600"]),
        ("udc", "004.43(075.8)", ["004.4", "004", "00", "0"]),
    ],
)
def test_ancestor_chains(scheme: str, code: str, chain: list[str]) -> None:
    assert class_ancestors(scheme, code) == chain


def test_class_keys_are_normalized_and_bad_codes_refused() -> None:
    assert class_key(ClassScheme.CLC, " tp 312 ") == "class:clc:TP312"
    assert class_key("clc", "I247.55=535") == "class:clc:I247.55"
    assert class_key("lcc", "QA76.73.P98 2019") == "class:lcc:QA76.73"
    with pytest.raises(InvalidInterestKeyError):
        class_key("clc", "??")


def test_subject_and_author_keys() -> None:
    assert subject_key("Computer programming -- Python") == "subject:computer programming -- python"
    assert author_key("Knuth, Donald E.") == author_key("Donald E. Knuth") == "author:donald e knuth"
    assert author_key("錢鍾書") == "author:钱钟书"


def test_keys_for_cluster_and_search() -> None:
    cluster = Cluster(
        cluster_id="c1",
        records=[("pku", "1")],
        format=ResourceFormat.BOOK,
        title="Python 编程",
        authors=["Lutz, Mark"],
        subjects=["Python (Computer program language)"],
        classifications=[
            Classification(scheme=ClassScheme.CLC, code="TP312PY"),
            Classification(scheme=ClassScheme.DDC, code="005.133"),
            Classification(scheme=ClassScheme.CLC, code="!!"),
        ],
        first_seen=T0,
        updated_at=T0,
    )
    assert keys_for_cluster(cluster) == [
        "class:clc:TP312PY",
        "class:ddc:005.133",
        "subject:python computer program language",
        "author:mark lutz",
    ]
    query = SearchQuery(text="x", classes=["clc:T"], subjects=["Machine learning"], author="Ng, Andrew")
    assert keys_for_search(query) == ["class:clc:T", "subject:machine learning", "author:andrew ng"]
    assert keys_for_search(parse_query_string("class:clc:TP312 class:ddc:005.1")) == [
        "class:clc:TP312",
        "class:ddc:005.1",
    ]


def test_a_borrow_raises_the_class_most_and_its_broader_classes_less() -> None:
    profile = apply_event(InterestProfile(), "borrow", ["class:clc:TP312"], T0)
    got = scores(profile, T0)
    assert got["class:clc:TP312"] == pytest.approx(3.0)
    assert got["class:clc:TP312"] > got["class:clc:TP31"] > got["class:clc:TP3"] > got["class:clc:T"] > 0
    assert got["class:clc:T"] < 0.1 * got["class:clc:TP312"]
    assert top_interests(profile, T0, n=1)[0][0] == "class:clc:TP312"


def test_event_kinds_weigh_differently() -> None:
    def score(kind: str, **kwargs: int) -> float:
        return scores(apply_event(InterestProfile(), kind, ["subject:poetry"], T0, **kwargs), T0).get(
            "subject:poetry", 0.0
        )

    assert score("borrow") > score("hold") > score("view") > score("search") > 0
    assert score("rating", stars=5) > score("rating", stars=4) > score("rating", stars=3) > 0
    assert score("rating", stars=2) == 0.0  # disliked: not an interest
    with pytest.raises(ValidationError):
        apply_event(InterestProfile(), "rating", ["subject:poetry"], T0)


def test_an_interest_unused_for_two_years_scores_far_lower_than_a_fresh_one() -> None:
    now = T0 + timedelta(days=730)
    profile = apply_event(InterestProfile(), "borrow", ["subject:old"], T0)
    profile = apply_event(profile, "borrow", ["subject:new"], now - timedelta(days=3))
    got = scores(profile, now)
    assert got["subject:old"] < 0.3 * got["subject:new"]


def test_declared_interests_are_kept_apart_and_do_not_decay() -> None:
    profile = declare(InterestProfile(), "class:clc:I24", 4.0)
    profile = apply_event(profile, "view", ["author:lu xun"], T0)
    later = T0 + timedelta(days=3650)
    top = top_interests(profile, later, n=5)
    assert top[0] == ("class:clc:I24", 4.0, True)
    assert ("author:lu xun", pytest.approx(top[1][1]), False) == top[1]
    assert "class:clc:I24" not in profile.learned
    assert top_interests(profile, later, n=5, kind="author")[0][0] == "author:lu xun"
    with pytest.raises(ValidationError):
        declare(profile, "class:clc:I24", -1.0)
    with pytest.raises(InvalidInterestKeyError):
        declare(profile, "genre:poetry", 1.0)


def test_not_interested_lowers_a_key() -> None:
    profile = apply_event(InterestProfile(), "borrow", ["author:a"], T0)
    profile = apply_event(profile, "view", ["author:b"], T0)
    before = scores(profile, T0)["author:a"]
    profile = apply_event(profile, "not_interested", ["author:a"], T0 + timedelta(hours=1))
    after = scores(profile, T0 + timedelta(hours=1)).get("author:a", 0.0)
    assert after < before
    assert top_interests(profile, T0 + timedelta(hours=1), n=1)[0][0] == "author:b"


def test_apply_event_is_pure_and_accepts_late_events() -> None:
    empty = InterestProfile()
    first = apply_event(empty, "borrow", ["subject:x"], T0)
    assert empty.learned == {}
    late = apply_event(first, "borrow", ["subject:x"], T0 - timedelta(days=365))
    assert scores(late, T0)["subject:x"] == pytest.approx(3.0 + 1.5)
    assert late.event_count == 2
    with pytest.raises(ValidationError):
        apply_event(empty, "view", ["subject:x"], datetime(2025, 1, 1))


def test_remove_drops_a_class_branch_and_its_share_of_broader_classes() -> None:
    profile = apply_event(InterestProfile(), "borrow", ["class:clc:I247.5"], T0)
    profile = apply_event(profile, "borrow", ["class:clc:I313"], T0)
    profile = declare(profile, "class:clc:I247", 2.0)
    profile = remove(profile, "class:clc:I24")
    got = scores(profile, T0)
    assert not any(key.startswith("class:clc:I24") for key in got)
    assert profile.declared == {}
    assert "class:clc:I2" not in got  # it held only what I24 gave it
    assert got["class:clc:I"] == pytest.approx(3.0 * 0.5**3)  # what I313 gave it


def test_round_trip_through_a_json_dict() -> None:
    profile = apply_event(InterestProfile(), "borrow", ["class:clc:TP312", "author:x"], T0)
    profile = declare(profile, "subject:poetry", 2.5)
    data = json.loads(json.dumps(to_dict(profile)))
    assert from_dict(data) == profile


_KEYS = ["class:clc:TP312", "class:clc:TP31", "class:ddc:005.133", "subject:poetry", "author:lu xun"]
_EVENTS = st.tuples(
    st.sampled_from(["borrow", "hold", "view", "search", "not_interested"]),
    st.lists(st.sampled_from(_KEYS), min_size=1, max_size=3),
    st.integers(min_value=-100_000, max_value=100_000),
)


@settings(max_examples=50, deadline=None)
@given(st.lists(_EVENTS, max_size=40), st.integers(min_value=0, max_value=200_000))
def test_weights_stay_finite_and_top_interests_is_sorted(
    events: list[tuple[str, list[str], int]], read_at: int
) -> None:
    profile = InterestProfile()
    for kind, keys, hours in events:
        profile = apply_event(profile, kind, keys, T0 + timedelta(hours=hours))
    at = T0 + timedelta(hours=read_at)
    for learned in profile.learned.values():
        assert math.isfinite(learned.fast) and math.isfinite(learned.slow)
    top = top_interests(profile, at, n=10)
    assert [s for _, s, _ in top] == sorted((s for _, s, _ in top), reverse=True)
    assert all(math.isfinite(s) and s > 0 for _, s, _ in top)
