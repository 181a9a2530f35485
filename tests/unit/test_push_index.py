"""The new-works index: postings under broader classes, and the threshold algorithm's shortlist equals the one
an exhaustive scoring of every work gives."""

from __future__ import annotations

import datetime as dt

from factories import make_cluster
from hypothesis import given, settings
from hypothesis import strategies as st

from consortium.push.index import NewWorks

CODES = ["TP312", "TP311.5", "TP31", "TP393", "I247.5", "I242.4", "O13", "K825.6"]
SUBJECTS = ["programming", "networks", "novels", "calculus"]
AUTHORS = ["Liu, Cixin", "Knuth, Donald", "Cao, Xueqin"]
T0 = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)


def test_a_work_posts_under_its_classes_and_their_broader_classes_but_not_the_top_level() -> None:
    works = NewWorks.build([make_cluster("rust", "Rust", classes=("clc:TP312",), subjects=["Programming"])])
    assert works.postings["class:clc:TP312"] == [(0, 1.0)]
    assert works.postings["class:clc:TP31"] == [(0, 0.5)]
    assert works.postings["class:clc:TP"] == [(0, 0.125)]
    assert "class:clc:T" not in works.postings
    assert works.postings["subject:programming"] == [(0, 1.0)]


def test_a_series_is_the_records_or_a_title_naming_its_part() -> None:
    works = NewWorks.build(
        [
            make_cluster("taocp3", "The art of computer programming, vol. 3"),
            make_cluster("tome", "Traité de droit civil. Tome II"),
            make_cluster("pearls", "More programming pearls", series="Programming Pearls"),
            make_cluster("penal", "Droit pénal", subtitle="partie générale"),
        ]
    )
    assert [work.series for work in works.works] == [
        "the art of computer programming",
        "traite de droit civil",
        "programming pearls",
        None,  # names no part: a work of its own, whoever else is titled "Droit pénal"
    ]


works_strategy = st.lists(
    st.tuples(
        st.lists(st.sampled_from(CODES), min_size=0, max_size=2),
        st.lists(st.sampled_from(SUBJECTS), max_size=2),
        st.lists(st.sampled_from(AUTHORS), max_size=1),
        st.integers(0, 6),
    ),
    min_size=1,
    max_size=40,
)
weights_strategy = st.dictionaries(
    st.sampled_from(
        [f"class:clc:{c}" for c in [*CODES, "TP3", "I24", "I2", "O1"]]
        + [f"subject:{s}" for s in SUBJECTS]
        + ["author:cixin liu", "author:donald knuth", "author:xueqin cao"]
    ),
    st.floats(0.05, 1.0),
    min_size=1,
    max_size=8,
)


@settings(max_examples=150, deadline=None)
@given(works_strategy, weights_strategy, st.integers(1, 12), st.integers(0, 6), st.booleans())
def test_the_threshold_algorithm_finds_the_exhaustive_top_k(
    specs: list[tuple[list[str], list[str], list[str], int]],
    weights: dict[str, float],
    k: int,
    since_day: int,
    single_kind: bool,
) -> None:
    clusters = [
        make_cluster(
            f"w{i}",
            f"Work {i}",
            classes=tuple(f"clc:{c}" for c in codes),
            subjects=subjects,
            authors=authors,
            first_seen=T0 + dt.timedelta(days=day),
        )
        for i, (codes, subjects, authors, day) in enumerate(specs)
    ]
    works = NewWorks.build(clusters)
    kinds = {"c": 1.0} if single_kind else {"c": 0.4, "s": 0.2, "a": 0.25}
    wanted = {key: w for key, w in weights.items() if not single_kind or key.startswith("class:")}
    floor = (T0 + dt.timedelta(days=since_day)).timestamp()
    exclude = frozenset({"w1"})

    found = works.top(wanted, kinds, k, floor=floor, exclude=exclude)

    exhaustive = []
    for work in works.works:
        if work.seen_at < floor or work.cluster_id in exclude:
            continue
        total, _ = works.evaluate(work, wanted, kinds)
        if total > 0:
            exhaustive.append((total, work.number))
    exhaustive.sort(key=lambda c: (-c[0], c[1]))
    assert [(round(t, 9), n) for t, n, _ in found] == [(round(t, 9), n) for t, n in exhaustive[:k]]
    if single_kind:  # top_keys (what "new in my classes" reads) keeps what top keeps, and the key it was met by
        keyed = works.top_keys(wanted, k, floor=floor, exclude=exclude)
        assert [(t, n, best[1]) for t, n, best in found] == keyed
