"""The recommendation benchmark's metrics: precision, recall and NDCG at :data:`K`, and coverage."""

from __future__ import annotations

import math

__all__ = ["K", "metrics_at"]

K = 10
"""The length of every method's list, and the cut-off of the metrics."""


def metrics_at(ranked: dict[str, list[str]], hidden: dict[str, set[str]], k: int = K) -> dict[str, float]:
    """Mean precision@k, recall@k and NDCG@k (binary relevance) over the readers in ``hidden``, and coverage
    (the share of them with a non-empty list)."""
    precision = recall = ndcg = covered = 0.0
    for reader, relevant in hidden.items():
        top = ranked.get(reader, [])[:k]
        hits = [1.0 if item in relevant else 0.0 for item in top]
        precision += sum(hits) / k
        recall += sum(hits) / len(relevant)
        dcg = sum(hit / math.log2(position + 2) for position, hit in enumerate(hits))
        ideal = sum(1.0 / math.log2(position + 2) for position in range(min(k, len(relevant))))
        ndcg += dcg / ideal
        covered += 1.0 if top else 0.0
    readers = max(1, len(hidden))
    return {
        "precision": precision / readers,
        "recall": recall / readers,
        "ndcg": ndcg / readers,
        "coverage": covered / readers,
    }
