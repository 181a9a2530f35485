"""Peer recommenders for the benchmark, computed in the same run as the project's ranking.

Each peer sees exactly what the project sees: the loans before the split (:class:`Train`) and the item metadata;
each returns a top :data:`~recommend_metrics.K` per reader over one setting's candidates, leaving out what the
reader borrowed before the split. Ties are broken by the candidates' order (item id).

* ``popularity``: loans before the split; a work with none (every new work) by the mean loans of the works
  sharing its subjects or author;
* ``popularity_per_subject``: the reader's subject headings (how many of their loans carry each) summed over the
  work's headings, ties by popularity;
* ``tfidf``: TF-IDF cosine over subjects, subject parts and the author (L2-normalized item vectors; the reader's
  profile is the sum of their loans' vectors);
* ``item_knn``: item-item cosine over the loans (reader × item, binary), summed over the reader's loans;
* ``als``: implicit ALS (``implicit`` 0.7.2, 128 factors, 15 iterations, regularization 0.05; bench dependency,
  the ``bench`` extra) over the binary loans.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from recommend_metrics import K

from consortium.text import match_text, name_words

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from recommend_data import Dataset, Interaction

__all__ = ["PEERS", "Train", "content_features", "rank_peers", "rank_popularity_only"]


def content_features(dataset: Dataset, item_id: str) -> list[str]:
    """A work's TF-IDF terms: each subject heading whole, each of its ``--`` parts, and its authors (dates out)."""
    item = dataset.items[item_id]
    terms = []
    for heading in item.subjects:
        parts = [match_text(part) for part in heading.split("--") if match_text(part)]
        if parts:
            terms.append("s:" + " -- ".join(parts))
            terms += [f"p:{part}" for part in parts]
    for author in item.authors:
        words = [w for w in name_words(author) if not any(c.isdigit() for c in w)]
        if words:
            terms.append("a:" + " ".join(words))
    return terms


@dataclass
class Train:
    """The loans before the split as matrices: readers × items (binary), and the item order."""

    items: list[str]
    column: dict[str, int]
    readers: list[str]
    row: dict[str, int]
    loans: sp.csr_matrix

    @classmethod
    def of(cls, dataset: Dataset, train: Mapping[str, Sequence[Interaction]]) -> Train:
        items = sorted(dataset.items)
        column = {item: n for n, item in enumerate(items)}
        readers = sorted(train)
        row = {reader: n for n, reader in enumerate(readers)}
        pairs = {(row[r], column[x.item]) for r, xs in train.items() for x in xs}
        rows, cols = zip(*sorted(pairs), strict=True) if pairs else ((), ())
        loans = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(readers), len(items)))
        return cls(items, column, readers, row, loans)


def _top(scores: np.ndarray, candidates: np.ndarray, excluded: set[int]) -> list[int]:
    order = np.argsort(-scores[candidates], kind="stable")
    out: list[int] = []
    for at in order:
        column = int(candidates[at])
        if column not in excluded:
            out.append(column)
            if len(out) == K:
                break
    return out


def _terms(dataset: Dataset, train: Train, prefix: str = "") -> sp.csr_matrix:
    """Items × content terms (those starting with ``prefix``), binary."""
    vocabulary: dict[str, int] = {}
    rows, cols = [], []
    for n, item in enumerate(train.items):
        for term in sorted(set(content_features(dataset, item))):
            if term.startswith(prefix):
                rows.append(n)
                cols.append(vocabulary.setdefault(term, len(vocabulary)))
    return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(train.items), max(1, len(vocabulary))))


def _tfidf(dataset: Dataset, train: Train) -> sp.csr_matrix:
    matrix = _terms(dataset, train)
    df = np.asarray((matrix > 0).sum(axis=0)).ravel()
    matrix = matrix @ sp.diags(np.log(len(train.items) / np.maximum(df, 1)) + 1.0)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    return sp.csr_matrix(sp.diags(1.0 / np.maximum(norms, 1e-12)) @ matrix)


def _popularity(dataset: Dataset, train: Train) -> np.ndarray:
    loans = np.asarray(train.loans.sum(axis=0)).ravel()
    by_term: dict[str, list[float]] = defaultdict(list)
    terms = [content_features(dataset, item) for item in train.items]
    for n, item_terms in enumerate(terms):
        if loans[n] > 0:
            for term in item_terms:
                if term[0] in "sa":
                    by_term[term].append(loans[n])
    prior = np.array(
        [
            max((sum(by_term[t]) / len(by_term[t]) for t in item_terms if t in by_term), default=0.0)
            for item_terms in terms
        ]
    )
    ranked: np.ndarray = np.where(loans > 0, loans + 1e6, prior)  # a loaned work before every unloaned one
    return ranked


def _als(train: Train, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from implicit.als import AlternatingLeastSquares

    model = AlternatingLeastSquares(factors=128, iterations=15, regularization=0.05, random_state=seed)
    model.fit(train.loans, show_progress=False)
    return np.asarray(model.user_factors), np.asarray(model.item_factors)


PEERS = ("popularity", "popularity_per_subject", "tfidf", "item_knn", "als")


def rank_peers(
    dataset: Dataset,
    train: Train,
    candidates: list[str],
    readers: list[str],
    *,
    seed: int = 7,
) -> dict[str, dict[str, list[str]]]:
    """Every peer's top :data:`K` for each reader (who must have loans before the split) over ``candidates``."""
    cand = np.array(sorted(train.column[c] for c in candidates), dtype=np.int64)
    popularity = _popularity(dataset, train)
    tfidf = _tfidf(dataset, train)
    subjects = _terms(dataset, train, "s:")
    norms = np.sqrt(np.asarray(train.loans.sum(axis=0)).ravel())
    normalized = sp.csr_matrix(train.loans @ sp.diags(1.0 / np.maximum(norms, 1.0)))
    similarity = sp.csr_matrix(normalized.T @ normalized)
    similarity.setdiag(0.0)
    users, factors = _als(train, seed)
    popular_order = popularity / (popularity.max() + 1.0)
    scorers: dict[str, Callable[[int, np.ndarray], np.ndarray]] = {
        "popularity": lambda r, own: popularity,
        "tfidf": lambda r, own: np.asarray(tfidf @ np.asarray(tfidf[own].sum(axis=0)).ravel()).ravel(),
        "item_knn": lambda r, own: np.asarray(similarity[own].sum(axis=0)).ravel(),
        "als": lambda r, own: factors @ users[r],
    }
    out: dict[str, dict[str, list[str]]] = {name: {} for name in PEERS}
    for reader in readers:
        r = train.row[reader]
        own = train.loans[r].indices
        excluded = {int(c) for c in own}
        for name, scorer in scorers.items():
            out[name][reader] = [train.items[c] for c in _top(scorer(r, own), cand, excluded)]
        scores = np.asarray(subjects @ np.asarray(subjects[own].sum(axis=0)).ravel()).ravel() + popular_order
        out["popularity_per_subject"][reader] = [train.items[c] for c in _top(scores, cand, excluded)]
    return out


def rank_popularity_only(
    dataset: Dataset, train: Train, candidates: list[str], readers: list[str]
) -> dict[str, list[str]]:
    """The ``popularity`` peer alone (as :func:`rank_peers` ranks it), without computing the others."""
    cand = np.array(sorted(train.column[c] for c in candidates), dtype=np.int64)
    popularity = _popularity(dataset, train)
    return {
        reader: [
            train.items[c] for c in _top(popularity, cand, {int(c) for c in train.loans[train.row[reader]].indices})
        ]
        for reader in readers
    }
