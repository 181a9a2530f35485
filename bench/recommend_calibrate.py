"""The push threshold, fitted on a validation split: the lowest score at which a pushed work is as likely to be
borrowed as a work of the popularity baseline's top 10.

A digest line costs the reader attention; the least a pushed work must be worth is what a list made for nobody
in particular would give. So, on the **validation split** (the loans before the bench's split, cut again at their
own 80% point: nothing of the test period is seen), in the *new* setting (what "interested new books" pushes):

1. every reader's project list at threshold 0 gives ``(score, hit)`` pairs (``hit``: the reader later borrowed it);
2. the hit rate as a function of the score is fitted by isotonic regression (pool adjacent violators: the
   non-decreasing step function closest to the hits in least squares, no parameter, no binning);
3. the **target** is the popularity baseline's precision@10 on the same readers and candidates (loans before the
   split, a new work by the mean loans of the works sharing its subjects or author: ``recommend_peers``);
4. the threshold is the lowest score whose fitted hit rate reaches the target: every work pushed at or above it is,
   on validation, at least as likely to be borrowed as a popularity pick. When no score reaches it the threshold
   is the highest score seen (next to nothing is pushed), and the report says so.

``python bench/recommend_quality.py --calibrate`` prints it with the share of validation hits and of list items
kept above it; :func:`calibrate` is the function.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from recommend_compare import evidence_for, settings_of
from recommend_data import split_dataset
from recommend_loans import before
from recommend_methods import ProjectRanker
from recommend_metrics import K

from consortium.push.evidence import COBORROW_WEIGHT, OVERLAP_WEIGHT

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from recommend_data import Dataset

__all__ = ["calibrate", "isotonic", "threshold_for"]


def isotonic(pairs: Sequence[tuple[float, float]]) -> list[tuple[float, float, float]]:
    """Pool adjacent violators over ``(score, outcome)``: the non-decreasing fit as blocks
    ``(lowest score, highest score, fitted value)``, lowest first. Equal scores share one block."""
    groups: list[list[float]] = []  # [low, high, total, count], one per distinct score
    for score, outcome in sorted(pairs):
        if groups and groups[-1][1] == score:
            groups[-1][2] += outcome
            groups[-1][3] += 1
        else:
            groups.append([score, score, outcome, 1.0])
    blocks: list[list[float]] = []
    for group in groups:
        blocks.append(group)
        while len(blocks) > 1 and blocks[-2][2] / blocks[-2][3] > blocks[-1][2] / blocks[-1][3]:
            low, _, total, count = blocks.pop(-2)
            blocks[-1] = [low, blocks[-1][1], blocks[-1][2] + total, blocks[-1][3] + count]
    return [(low, high, total / count) for low, high, total, count in blocks]


def threshold_for(pairs: Sequence[tuple[float, float]], target: float) -> tuple[float, bool]:
    """The lowest score whose isotonic hit rate is at least ``target``, and whether any score reached it (if
    none did: the highest score seen)."""
    fitted = isotonic(pairs)
    for low, _, value in fitted:
        if value >= target:
            return low, True
    return (fitted[-1][1] if fitted else 0.0), False


def _popularity_precision(dataset: Dataset, train: Any, candidates: list[str], hidden: dict[str, set[str]]) -> float:
    from recommend_peers import Train, rank_popularity_only

    lists = rank_popularity_only(dataset, Train.of(dataset, train), candidates, sorted(hidden))
    return sum(len(set(lists[r][:K]) & hidden[r]) / K for r in hidden) / max(1, len(hidden))


def calibrate(dataset: Dataset, split_at: datetime | None = None) -> dict[str, Any]:
    """The threshold fitted on the validation split of ``dataset`` (see the module docstring), with what it keeps."""
    validation = before(dataset, split_dataset(dataset, split_at).at)
    split = split_dataset(validation)
    candidates, hidden = settings_of(validation, split)["new"]
    readers = sorted(hidden)
    evidence = evidence_for(
        ProjectRanker(validation, split, []), split, overlap=OVERLAP_WEIGHT, coborrow=COBORROW_WEIGHT
    )
    ranker = ProjectRanker(validation, split, candidates, evidence=evidence, exclude_borrowed=True)
    pairs = [
        (score, 1.0 if item in hidden[reader] else 0.0)
        for reader, items in ranker.rank(readers)
        for item, score in items
    ]
    target = _popularity_precision(validation, split.train, candidates, hidden)
    threshold, reached = threshold_for(pairs, target)
    kept = [hit for score, hit in pairs if score >= threshold]
    hits = sum(hit for _, hit in pairs)
    return {
        "split_at": split.at.isoformat(),
        "readers": len(readers),
        "items": len(pairs),
        "target_precision": target,
        "threshold": threshold,
        "reached": reached,
        "items_kept": len(kept) / max(1, len(pairs)),
        "hits_kept": sum(kept) / hits if hits else 0.0,
        "precision_kept": sum(kept) / max(1, len(kept)),
        "curve": isotonic(pairs),
    }
