"""Would the push ranking's combination weights, fitted jointly on the validation split, beat the hand-set rule?

The project's score of a candidate combines its pieces by a rule set by hand: the noisy-OR of the key pieces
(``K``), the similarity term with the reader's loans (``S``, ``OVERLAP_WEIGHT (1 − exp(−s))``) and the co-borrowing
pieces (``C``), plus the popularity prior (``POPULARITY_WEIGHT``), the reader's own library holding it
(``HOME_WEIGHT``, × 1.5 when available there) and the holdings tie-break. On the validation split of
``bench/recommend_tries.py`` (:class:`recommend_tries.Validation`: the loans before the test split, cut again at
their own 80% point; nothing of the test period is seen), in both settings of ``bench/recommend_compare.py``:

1. every reader is ranked as the comparison ranks them, with :func:`~consortium.push.scoring.evidence_scores` and
   :func:`~consortium.push.diversity.diversify` patched to record each candidate of the shortlist's pieces (a copy
   of the scoring's arithmetic, checked against its score) and what diversification was given; a candidate is a
   hit when it is among the reader's hidden loans;
2. the readers are cut in two halves by the CRC-32 of their id; each fit is made on one half and scored on the
   other, and the two scored halves pooled (cross-fitting: no reader is scored by weights fitted on them);
3. the fits: ``coord``, a coordinate search (three rounds at most, over fixed grids) of multipliers
   ``wK, wS, wC, wP, wH`` in the same form, ``1 − (1 − wK K)(1 − wS S)(1 − wC C) + wP pop + wH home`` (+ the
   tie-break), maximizing the half's MAP@10 of the undiversified top 10 (in *new* only ``wK, wS, wH``: new works
   have no loans, so no prior and no co-borrowing); ``lr``, a logistic regression of the hit on ``K, S, C, pop,
   home``; ``lr-hazard``, the same on ``−log(1 − K), −log(1 − S), −log(1 − C), pop, home`` (the noisy-OR's
   pieces made additive). The regressions are L2-penalized at C = 1 with the intercept unpenalized (scikit-learn's
   default), solved to the optimum by Newton's method in numpy (scikit-learn is not a dependency; its lbfgs at
   the default tolerance stops short of it here); a piece constant over the half is left out (weight 0);
4. each fit's scores go through the project's own ``diversify`` and tie rule, as the real lists do; printed per
   setting: the weights fitted on each half, MAP@10 pooled over the readers of the project's real lists and of
   each fit, and the paired 95% bootstrap interval of (fit − project). Two checks are printed too: the form at the
   project's weights gives its scores, and its scores re-diversified here give its real lists.

The last line printed is one JSON object: per setting, the project's MAP@10, each fit's, its interval and weights.

Usage::

    PYTHONPATH=$PWD python bench/recommend_joint_fit.py [--seed 7]

About 15 seconds (the recording takes a few, so nothing is cached).
"""

from __future__ import annotations

import argparse
import json
import math
import time
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from recommend_compare import SETTINGS, bootstrap, per_reader
from recommend_loans import DEFAULT_ITEMS, DEFAULT_LOANS, load_any
from recommend_methods import ProjectRanker
from recommend_metrics import K
from recommend_tries import Validation, _patched

from consortium.push import ranking, scoring
from consortium.push.diversity import diversify
from consortium.push.reasons import NO_REASON

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from consortium.push.diversity import Entry
    from consortium.push.evidence import Evidence
    from consortium.push.index import NewWork, NewWorks
    from consortium.push.ranking import Taste

__all__ = ["FITS", "Half", "Reader", "fit_coord", "logistic", "main", "pieces", "record"]

FITS = ("coord", "lr", "lr-hazard")
FEATURES = ("K", "S", "C", "pop", "home")
PROJECT_W = (1.0, 1.0, 1.0, scoring.POPULARITY_WEIGHT, ranking.HOME_WEIGHT)
"""The hand-set rule as multipliers ``wK, wS, wC, wP, wH`` of the parametric form."""
GRID = (
    (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0),
    (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0),
    (0.0, 0.25, 0.5, 1.0, 1.5, 2.0),
    (0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.6),
    (0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.6),
)
"""The values the coordinate search tries for each multiplier."""


def pieces(
    works: Sequence[NewWork], values: Mapping[str, float], taste: Taste, evidence: Evidence
) -> list[tuple[float, float, float, float, float, float]]:
    """``(K, S, C, pop, holdings, evidence score)`` of each work: :func:`~consortium.push.scoring.evidence_scores`'
    arithmetic, in its order, each piece kept apart."""
    declared = taste.declared if evidence.catalogue and taste.declared else None
    loans = scoring._loans(taste, evidence) if taste.borrowed and evidence.overlap_weight > 0 else None
    loaned: frozenset[str] = frozenset().union(*(keys for keys, _, _ in loans)) if loans else frozenset()
    square = evidence.squares.__getitem__
    neighbours = evidence.neighbours if evidence.neighbours and evidence.coborrow_weight > 0 else None
    coborrowed = evidence.coborrowed if neighbours else frozenset()
    out = []
    for work in works:
        keys, norm, content_norm, _ = scoring._terms(work, evidence)
        miss_k = 1.0
        for key, factor, rarity in keys:
            value = values.get(key)
            if value is not None:
                p = value * factor * (1.0 if declared is not None and key in declared else rarity) * norm
                miss_k *= 1.0 - min(p, 1.0)
        similarity, s = 0.0, 0.0
        common = work.expanded & loaned
        if common and loans is not None:
            for loan_keys, loan_norm, loan_id in loans:
                shared = common & loan_keys
                if shared and loan_id != work.cluster_id:
                    similarity += math.fsum(map(square, shared)) / (content_norm * loan_norm)
            s = evidence.overlap_weight * (1.0 - math.exp(-similarity))
        miss_c = 1.0
        if neighbours is not None and work.cluster_id in coborrowed:
            for borrowed in taste.borrowed:
                together = neighbours.get(borrowed.cluster_id, {}).get(work.cluster_id)
                if together:
                    miss_c *= 1.0 - evidence.coborrow_weight * together
        pop, holdings = evidence.popularity(work.cluster_id), math.tanh(len(work.members) / 4)
        out.append((1.0 - miss_k, s, 1.0 - miss_c, pop, holdings, 1.0 - miss_k * (1.0 - s) * miss_c))
    return out


class _Recorder:
    """Patched into the ranking: the pieces of the candidates scored, and what ``diversify`` was given."""

    def __init__(self) -> None:
        self.original = scoring.evidence_scores
        self.pieces: dict[int, tuple[float, ...]] = {}
        self.entries: list[Entry] = []
        self.read_authors: frozenset[str] = frozenset()
        self.tie: Callable[[int], Any] | None = None

    def scores(
        self, works: Sequence[NewWork], values: Any, whys: Any, taste: Taste, evidence: Evidence, **kw: Any
    ) -> Any:
        found = self.original(works, values, whys, taste, evidence, **kw)
        for work, row, (score, _, _) in zip(works, pieces(works, values, taste, evidence), found, strict=True):
            if abs(row[-1] - score) > 1e-9:
                raise AssertionError(f"pieces of {work.cluster_id} give {row[-1]}, the scoring {score}")
            self.pieces[work.number] = row
        return found

    def diversify(
        self, works: NewWorks, entries: list[Entry], cap: int, threshold: float, *args: Any, **kw: Any
    ) -> Any:
        self.entries, self.tie = list(entries), kw.get("tie")
        self.read_authors = args[0] if args else kw.get("read_authors", frozenset())
        return diversify(works, entries, cap, threshold, self.read_authors, tie=self.tie)


@dataclass
class Reader:
    """One reader's shortlist as recorded: ``x[j]`` = ``(K, S, C, pop, home, holdings, the project's score)``."""

    numbers: list[int]
    x: Any
    hit: Any
    tie_rank: Any
    tie: Callable[[int], Any] | None
    read_authors: frozenset[str]
    real: list[str]
    hidden: set[str]


def record(v: Validation, setting: str) -> tuple[ProjectRanker, dict[str, Reader]]:
    """Rank every reader of ``setting`` as the comparison does, recording their shortlists."""
    candidates, hidden = v.settings[setting]
    ranker = ProjectRanker(v.dataset, v.split, candidates, evidence=v.evidence, exclude_borrowed=True)
    recorder, out = _Recorder(), {}
    with _patched((ranking, "evidence_scores", recorder.scores), (ranking, "diversify", recorder.diversify)):
        for reader in sorted(hidden):
            recorder.pieces.clear()
            ((_, items),) = ranker.rank([reader])
            member, rows, hits = v.split.home.get(reader, ""), [], []
            for score, number, _, _ in recorder.entries:
                work = ranker.works.works[number]
                k, s, c, pop, holdings, _ = recorder.pieces[number]
                home = (1.5 if member in work.available_at else 1.0) if member in work.members else 0.0
                rows.append((k, s, c, pop, home, holdings, score))
                hits.append(work.cluster_id in hidden[reader])
            numbers = [number for _, number, _, _ in recorder.entries]
            tie = recorder.tie or int
            tie_rank: Any = np.empty(len(numbers), dtype=np.int64)
            tie_rank[sorted(range(len(numbers)), key=lambda j: tie(numbers[j]))] = np.arange(len(numbers))
            x, hit = np.array(rows, dtype=float).reshape(-1, 7), np.array(hits, dtype=bool)
            real = [cluster_id for cluster_id, _ in items]
            out[reader] = Reader(numbers, x, hit, tie_rank, recorder.tie, recorder.read_authors, real, hidden[reader])
    return ranker, out


class Half:
    """A set of readers' shortlists as padded arrays: ``x[r, j, :]``, hits, a mask of real rows, tie ranks."""

    def __init__(self, readers: dict[str, Reader], names: list[str]) -> None:
        self.names = names
        width = max((len(readers[r].numbers) for r in names), default=1)
        self.x = np.zeros((len(names), width, 7))
        self.hit: Any = np.zeros((len(names), width), dtype=bool)
        self.mask: Any = np.zeros((len(names), width), dtype=bool)
        self.tie: Any = np.full((len(names), width), 10**9, dtype=np.int64)
        self.denominator = np.array([min(K, len(readers[r].hidden)) for r in names], dtype=float)
        for i, name in enumerate(names):
            n = len(readers[name].numbers)
            self.x[i, :n], self.hit[i, :n], self.mask[i, :n] = readers[name].x, readers[name].hit, True
            self.tie[i, :n] = readers[name].tie_rank

    def undiversified_map(self, score: Any) -> float:
        """MAP@10 of each reader's top 10 by ``score``, undiversified (exactly equal scores by the tie rule)."""
        masked = np.where(self.mask, score, -np.inf)
        by_tie = np.argsort(self.tie, axis=1, kind="stable")
        by_score = np.argsort(-np.take_along_axis(masked, by_tie, 1), axis=1, kind="stable")
        top = np.take_along_axis(by_tie, by_score, 1)[:, :K]
        hits = np.take_along_axis(self.hit & self.mask, top, 1).astype(float)
        precision = np.cumsum(hits, 1) / np.arange(1, hits.shape[1] + 1)
        return float(((precision * hits).sum(1) / self.denominator).mean())


def parametric(x: Any, w: Sequence[float]) -> Any:
    """``1 − (1 − wK K)(1 − wS S)(1 − wC C) + wP pop + wH home`` + the holdings tie-break (each product ≤ 1)."""
    miss = np.ones(x.shape[:-1])
    for column in range(3):
        miss = miss * (1.0 - np.minimum(1.0, w[column] * x[..., column]))
    return 1.0 - miss + w[3] * x[..., 3] + w[4] * x[..., 4] + scoring.HOLDINGS_WEIGHT * x[..., 5]


def fit_coord(half: Half, setting: str) -> tuple[tuple[float, ...], float]:
    """The multipliers maximizing the half's undiversified MAP@10, one coordinate at a time from the project's."""
    w, best = list(PROJECT_W), half.undiversified_map(parametric(half.x, PROJECT_W))
    for _ in range(3):
        moved = False
        for column in (0, 1, 4) if setting == "new" else range(5):
            for value in GRID[column]:
                trial = [*w[:column], value, *w[column + 1 :]]
                found = half.undiversified_map(parametric(half.x, trial))
                if found > best + 1e-12:
                    best, w, moved = found, trial, True
        if not moved:
            break
    return tuple(w), best


def _features(x: Any, hazard: bool) -> Any:
    features = x[..., :5].copy()
    if hazard:
        features[..., :3] = -np.log(np.clip(1.0 - features[..., :3], 1e-6, None))
    return features


def logistic(features: Any, y: Any, c: float = 1.0, steps: int = 100) -> tuple[Any, float]:
    """``(coefficients, intercept)`` of the L2-penalized logistic regression (``0.5 |w|² / c`` + the log loss, the
    intercept unpenalized) by Newton's method; a constant feature gets 0."""
    kept = features.std(0) > 0
    a = np.column_stack([features[:, kept], np.ones(len(features))])
    penalty = np.full(a.shape[1], 1.0 / c)
    penalty[-1] = 0.0
    w = np.zeros(a.shape[1])
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(a @ w)))
        gradient = a.T @ (p - y) + penalty * w
        hessian = (a * (p * (1.0 - p))[:, None]).T @ a + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        w = w - step
        if float(np.abs(step).max()) < 1e-10:
            break
    coefficients = np.zeros(features.shape[1])
    coefficients[kept] = w[:-1]
    return coefficients, float(w[-1])


def diversified_aps(ranker: ProjectRanker, readers: dict[str, Reader], half: Half, score: Any) -> list[float]:
    """AP@10 of each reader's list made by the project's own ``diversify`` and tie rule from ``score``."""
    works, out = ranker.works, []
    for i, name in enumerate(half.names):
        reader = readers[name]
        entries = [(float(score[i, j]), number, NO_REASON, "") for j, number in enumerate(reader.numbers)]
        chosen = diversify(works, entries, K, 0.0, reader.read_authors, tie=reader.tie)
        out.append(per_reader([works.works[n].cluster_id for _, n, _, _ in chosen], reader.hidden)["map"])
    return out


def cross_fit(v: Validation, setting: str, seed: int) -> dict[str, Any]:
    """Record ``setting``, fit on each half, score the other; print and return the pooled figures."""
    ranker, readers = record(v, setting)
    names = sorted(readers)
    same = sum(readers[r].real == v.unchanged[setting].get(r, []) for r in names)
    positives = sum(int(r.hit.sum()) for r in readers.values())
    print(
        f"\n== {setting}: {len(names)} readers, {sum(len(r.numbers) for r in readers.values())} candidates scored"
        f" (shortlists), {positives} hidden loans among them of {sum(len(r.hidden) for r in readers.values())};"
        f" recorded lists = Validation's unchanged lists for {same}/{len(names)}"
    )
    halves = [Half(readers, [r for r in names if zlib.crc32(r.encode()) % 2 == h]) for h in (0, 1)]
    error = max(float(np.abs(np.where(h.mask, parametric(h.x, PROJECT_W) - h.x[..., 6], 0.0)).max()) for h in halves)
    aps: dict[str, dict[str, float]] = {name: {} for name in ("project", "rediversified", *FITS)}
    fitted: dict[str, list[Any]] = {name: [] for name in FITS}
    for h, (train, test) in enumerate(((halves[0], halves[1]), (halves[1], halves[0]))):
        scores = {"rediversified": test.x[..., 6]}
        w, train_map = fit_coord(train, setting)
        scores["coord"], fitted["coord"] = parametric(test.x, w), [*fitted["coord"], list(w)]
        print(
            f" fit on half {h} ({len(train.names)} readers), scored on the other ({len(test.names)}):"
            f" coord wK, wS, wC, wP, wH = {w} (its undiversified MAP@10 {train_map:.4f},"
            f" the project's {train.undiversified_map(train.x[..., 6]):.4f})"
        )
        for name, hazard in (("lr", False), ("lr-hazard", True)):
            coefficients, intercept = logistic(_features(train.x, hazard)[train.mask], train.hit[train.mask])
            z = _features(test.x, hazard) @ coefficients + intercept
            scores[name] = 1.0 / (1.0 + np.exp(-z)) + 1e-9 * test.x[..., 5]  # the holdings still break ties
            weights = {f: round(float(c), 3) for f, c in zip(FEATURES, coefficients, strict=True)}
            fitted[name].append({**weights, "intercept": round(intercept, 3)})
            print(f"   {name}: {weights}, intercept {intercept:.3f}")
        aps["project"].update((r, per_reader(readers[r].real, readers[r].hidden)["map"]) for r in test.names)
        for name, score in scores.items():
            aps[name].update(zip(test.names, diversified_aps(ranker, readers, test, score), strict=True))
    pooled = {name: [found[r] for r in names] for name, found in aps.items()}
    redone = sum(a == b for a, b in zip(pooled["rediversified"], pooled["project"], strict=True))
    print(
        f" checks: the form at the project's weights = its scores within {error:.1e};"
        f" its scores re-diversified here = its real lists' AP for {redone}/{len(names)} readers"
    )
    project = float(np.mean(pooled["project"]))
    print(f" MAP@10 pooled over {len(names)} readers (fit − project, 95% CI; readers whose AP differ):")
    print(f"   {'project':<10} {project:.5f}")
    summary: dict[str, Any] = {"readers": len(names), "project": round(project, 5)}
    for name in FITS:
        low, high = bootstrap(pooled[name], pooled["project"], seed)
        mean = float(np.mean(pooled[name]))
        differ = sum(a != b for a, b in zip(pooled[name], pooled["project"], strict=True))
        print(f"   {name:<10} {mean:.5f} {mean - project:+.5f} [{low:+.4f}, {high:+.4f}] ({differ})")
        summary[name] = {"map": round(mean, 5), "ci95": [round(low, 5), round(high, 5)], "halves": fitted[name]}
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seed", type=int, default=7, help="the bootstrap's seed")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    v = Validation.of(load_any(DEFAULT_LOANS, DEFAULT_ITEMS), args.seed, peers=False)
    print(f"validation: {v.dataset.description}; split at {v.split.at.isoformat()}")
    summary: dict[str, Any] = {setting: cross_fit(v, setting, args.seed) for setting in SETTINGS}
    summary["seconds"] = round(time.perf_counter() - started)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
