"""Fitting the matcher's weights to a consortium's own records, without labels.

- ``u`` (how often unrelated records agree by chance) from random pairs of records of different members;
- ``m`` (how often records of one edition agree) first from the candidate pairs that share a strong identifier
  (ISBN, ISSN, OCLC, LCCN, DOI) when there are enough of them (distant supervision), else the prior beliefs;
- then ``m`` and the prior share of matches by expectation maximisation over the candidate pairs (records
  sharing a blocking key), ``u`` held fixed, as Splink does.

``m`` and the prior share are estimated with the prior beliefs counted as :data:`PRIOR_STRENGTH` pairs, ``u``
with one pair a level, so that no level has weight ±infinity and a few pairs do not decide everything.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Final

from consortium.dedup.bulk import CANDIDATES_PER_KEY
from consortium.dedup.comparisons import LEVELS, compare
from consortium.dedup.features import match_view
from consortium.dedup.frequencies import count_values
from consortium.dedup.keys import record_keys
from consortium.dedup.matcher import reject_reason
from consortium.dedup.model import PRIOR_MODEL, MatchModel

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from consortium.dedup.features import MatchView
    from consortium.models import Record

__all__ = ["fit_collection", "fit_model", "generic_titles"]

RANDOM_PAIRS: Final = 20_000
MIN_LABELLED_BY_IDS: Final = 30
"""The fewest pairs sharing a strong identifier from which ``m`` is started (fewer: the prior beliefs)."""
ITERATIONS: Final = 25
PRIOR_STRENGTH: Final = 100.0
"""The prior beliefs count as this many candidate pairs (a Dirichlet prior): a small consortium's few pairs
move the weights a little, a large one's many pairs decide them."""
_Levels = dict[str, int | None]


def _shares_id(a: MatchView, b: MatchView) -> bool:
    return bool((a.isbns & b.isbns) | (a.issns & b.issns) | (a.strong_ids & b.strong_ids))


def _frequencies(
    rows: Sequence[_Levels], weights: Sequence[float], name: str, belief: tuple[float, ...] | None = None
) -> tuple[float, ...]:
    """Share of each level of ``name`` among ``rows`` (each counted by its weight), smoothed: by
    :data:`PRIOR_STRENGTH` pairs of the prior ``belief`` when given, else by one pair a level."""
    pseudo = [PRIOR_STRENGTH * p for p in belief] if belief else [1.0] * len(LEVELS[name])
    counts = list(pseudo)
    for row, weight in zip(rows, weights, strict=True):
        level = row[name]
        if level is not None:
            counts[level] += weight
    total = sum(counts)
    return tuple(min(max(c / total, 1e-6), 1 - 1e-6) for c in counts)


def _random_pairs(views: Sequence[MatchView], count: int, seed: int) -> list[_Levels]:
    rng = random.Random(seed)
    rows: list[_Levels] = []
    if len(views) < 2:
        return rows
    tries = 0
    while len(rows) < count and tries < count * 3:
        tries += 1
        a, b = rng.sample(range(len(views)), 2)
        left, right = views[a], views[b]
        if left.key[0] != right.key[0] and not _shares_id(left, right):
            rows.append(compare(left, right))
    return rows


def generic_titles(views: Iterable[MatchView]) -> frozenset[str]:
    """Titles one member gives to two or more records that differ in first author or year (a print and an
    e-book record of one book do not make a title generic)."""
    seen: dict[tuple[str, str], set[tuple[str, int | None]]] = {}
    for view in views:
        if view.title:
            first = max(view.names[0], key=len) if view.names else ""
            seen.setdefault((view.key[0], view.full_title), set()).add((first, view.year))
    return frozenset(title for (_, title), kinds in seen.items() if len(kinds) > 1)


def _posterior(row: _Levels, model: MatchModel) -> float:
    odds = model.prior / (1 - model.prior)
    for name, level in row.items():
        if level is not None:
            odds *= model.m[name][level] / model.u[name][level]
    return odds / (1 + odds)


def fit_model(
    views: Sequence[MatchView],
    pairs: Iterable[tuple[int, int]],
    *,
    prior: MatchModel = PRIOR_MODEL,
    random_pairs: int = RANDOM_PAIRS,
    seed: int = 0,
) -> MatchModel:
    """A model fitted to these records (``views``) and their candidate ``pairs`` (indexes into ``views``).

    Too few records or pairs to say anything leaves the prior beliefs as they are.
    """
    randoms = _random_pairs(views, random_pairs, seed)
    candidates: list[_Levels] = []
    by_ids: list[_Levels] = []
    for i, j in pairs:
        a, b = views[i], views[j]
        if reject_reason(a, b, _shares_id(a, b)):
            continue
        row = compare(a, b)
        (by_ids if _shares_id(a, b) else candidates).append(row)
    generic = generic_titles(views)
    frequencies = count_values(views)
    if len(randoms) < 100 or len(candidates) + len(by_ids) < 20:
        return MatchModel(prior.m, prior.u, prior.prior, {}, generic, frequencies)
    u = {name: _frequencies(randoms, [1.0] * len(randoms), name) for name in LEVELS}
    m = dict(prior.m)
    if len(by_ids) >= MIN_LABELLED_BY_IDS:
        m = {name: _frequencies(by_ids, [1.0] * len(by_ids), name, prior.m[name]) for name in LEVELS}
    model = MatchModel(m, u, prior.prior)
    rows = candidates + by_ids
    for _ in range(ITERATIONS):
        posteriors = [_posterior(row, model) for row in rows]
        share = (sum(posteriors) + PRIOR_STRENGTH * prior.prior) / (len(posteriors) + PRIOR_STRENGTH)
        m = {name: _frequencies(rows, posteriors, name, prior.m[name]) for name in LEVELS}
        model = MatchModel(m, u, share)
    fitted_on = {"records": len(views), "candidate_pairs": len(rows), "pairs_sharing_ids": len(by_ids)}
    fitted_on |= {"random_pairs": len(randoms)}
    return MatchModel(model.m, model.u, model.prior, fitted_on, generic, frequencies)


def fit_collection(records: Sequence[Record], *, max_pairs: int = 50_000, seed: int = 0) -> MatchModel:
    """A model fitted to a whole collection: its candidate pairs (records sharing a blocking key, at most
    ``max_pairs`` of them, a block's first records first) and random pairs of its records."""
    rng = random.Random(seed)
    blocks: dict[str, list[int]] = {}
    for number, record in enumerate(records):
        for key in record_keys(record):
            blocks.setdefault(key, []).append(number)
    wanted: set[tuple[int, int]] = set()
    for block in blocks.values():
        if len(wanted) >= max_pairs:
            break
        head = block[:CANDIDATES_PER_KEY]
        wanted.update((a, b) for n, a in enumerate(head) for b in head[n + 1 :])
    sample = rng.sample(range(len(records)), min(len(records), 5_000))
    chosen = sorted({*sample, *(i for pair in wanted for i in pair)})
    position = {number: n for n, number in enumerate(chosen)}
    views = [match_view(records[number]) for number in chosen]
    pairs = [(position[a], position[b]) for a, b in sorted(wanted)[:max_pairs]]
    return fit_model(views, pairs, seed=seed)
