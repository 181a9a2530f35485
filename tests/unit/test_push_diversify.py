"""Diversification: :func:`~consortium.push.ranking.diversified` reads the candidates class by class and stops
early, and must choose exactly what the plain greedy scan of its definition chooses (same works, same order, same
adjusted scores bit for bit), ties and near ties included."""

from __future__ import annotations

import pytest
from factories import make_cluster
from hypothesis import given, settings
from hypothesis import strategies as st

from consortium.push.diversity import DIVERSITY_DECAY, MAX_PER_SERIES, TOPIC_DECAY, id_order
from consortium.push.index import NewWorks
from consortium.push.ranking import Scored, diversified

CODES = ["TP312", "TP311.5", "I247.5", "O13"]
AUTHORS = ["Liu, Cixin", "Knuth, Donald", "Cao, Xueqin"]
SERIES = ["Foundations", "Three body"]
SCORES = [1.0, 0.9, 0.5, 0.45, 0.11, 1.0 + 2**-52, 0.9 * 1.0000000001, 0.0]
"""Few distinct scores (ties), some a bit apart (near ties after a penalty), and 0 (the lowest threshold)."""


def greedy_scan(works: NewWorks, scored: list[Scored], cap: int, threshold: float) -> list[Scored]:
    """The definition: each turn, every candidate's score times its penalties; the highest wins, the first of
    equals in the order best score first (then, of exactly equal scores, the hash of the cluster id: the default
    tie-break); nothing under ``threshold``; a full series skipped."""
    remaining = sorted(
        (s for s in scored if s.score >= threshold),
        key=lambda s: (-s.score, id_order(works.works[s.number].cluster_id)),
    )
    per_series: dict[str, int] = {}
    per_author: dict[str, int] = {}
    per_topic: dict[str, int] = {}
    chosen: list[Scored] = []
    while remaining and len(chosen) < cap:
        best_at, best_score = -1, threshold
        for at, entry in enumerate(remaining):
            work = works.works[entry.number]
            series = per_series.get(work.series, 0) if work.series else 0
            if series >= MAX_PER_SERIES:
                continue
            author = per_author.get(work.authors[0], 0) if work.authors else 0
            topic = per_topic.get(work.topic, 0) if work.topic else 0
            adjusted = entry.score * DIVERSITY_DECAY ** (series + author) * TOPIC_DECAY**topic
            if adjusted > best_score or (best_at < 0 and adjusted >= best_score):
                best_at, best_score = at, adjusted
        if best_at < 0:
            break
        entry = remaining.pop(best_at)
        chosen.append(Scored(entry.number, best_score, entry.reason, entry.why))
        work = works.works[entry.number]
        if work.series:
            per_series[work.series] = per_series.get(work.series, 0) + 1
        if work.authors:
            per_author[work.authors[0]] = per_author.get(work.authors[0], 0) + 1
        if work.topic:
            per_topic[work.topic] = per_topic.get(work.topic, 0) + 1
    return chosen


candidates_strategy = st.lists(
    st.tuples(
        st.lists(st.sampled_from(CODES), max_size=1),
        st.lists(st.sampled_from(AUTHORS), max_size=1),
        st.sampled_from([None, *SERIES]),
        st.sampled_from(SCORES),
    ),
    min_size=0,
    max_size=30,
)


@settings(max_examples=300, deadline=None)
@given(candidates_strategy, st.integers(0, 12), st.sampled_from([0.0, 0.11, 0.5]))
def test_diversified_chooses_what_the_greedy_scan_chooses(
    specs: list[tuple[list[str], list[str], str | None, float]], cap: int, threshold: float
) -> None:
    clusters = [
        make_cluster(
            f"w{i}",
            f"Work {i}" if series is None else f"{series}, vol. {i}",
            classes=tuple(f"clc:{c}" for c in codes),
            authors=authors,
            series=series,
        )
        for i, (codes, authors, series, _) in enumerate(specs)
    ]
    works = NewWorks.build(clusters)
    scored = [Scored(i, score, why=f"w{i}") for i, (_, _, _, score) in enumerate(specs)]

    assert diversified(works, scored, cap, threshold) == greedy_scan(works, scored, cap, threshold)


def test_a_negative_threshold_is_refused() -> None:
    works = NewWorks.build([make_cluster("w0", "Work 0")])
    with pytest.raises(ValueError, match="threshold"):
        diversified(works, [Scored(0, -1.0)], 5, threshold=-2.0)
