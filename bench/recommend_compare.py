"""The project's ranking against its peers on one time split, in two settings, with paired bootstrap intervals.

Readers are those with loans both before and after the split. **new**: the candidates are the works first loaned
at or after the split (that arrived after it and by the last loan of the data: a work never loaned is not new
in it); hidden are the reader's later loans of those. **all**: the candidates are every work the
reader did not borrow before the split; hidden are the reader's later loans of those. Metrics @10 per reader:
AP (MAP is its mean), precision, recall, NDCG (binary relevance). The project's ranking goes through
:func:`~consortium.push.ranking.rank` (what ``PushService`` plans), with :class:`~consortium.push.evidence.Evidence`
built from the catalogue (key rarity) and the loans before the split (loans per work, co-borrowing with at least
ten distinct readers a pair).
"""

from __future__ import annotations

import functools
import math
import random
from typing import TYPE_CHECKING, Any

from recommend_data import Split, split_dataset
from recommend_methods import BORROWED_KEPT, ProjectRanker, rank_project
from recommend_metrics import K

from consortium.push.coborrow import MIN_READERS, coborrowing
from consortium.push.evidence import COBORROW_WEIGHT, OVERLAP_WEIGHT, Evidence

if TYPE_CHECKING:
    from datetime import datetime

    from recommend_data import Dataset

__all__ = ["SETTINGS", "bootstrap", "compare", "evidence_for", "per_reader", "settings_of"]

SETTINGS = ("new", "all")
BOOTSTRAP_SAMPLES = 1000
del BORROWED_KEPT


def per_reader(top: list[str], relevant: set[str], k: int = K) -> dict[str, float]:
    """AP, precision, recall and NDCG at ``k`` of one list."""
    hits = [1.0 if item in relevant else 0.0 for item in top[:k]]
    found, ap = 0.0, 0.0
    for position, hit in enumerate(hits):
        if hit:
            found += 1
            ap += found / (position + 1)
    ideal = sum(1.0 / math.log2(p + 2) for p in range(min(k, len(relevant))))
    return {
        "map": ap / min(k, len(relevant)),
        "precision": sum(hits) / k,
        "recall": sum(hits) / len(relevant),
        "ndcg": sum(h / math.log2(p + 2) for p, h in enumerate(hits)) / ideal,
    }


def bootstrap(a: list[float], b: list[float], seed: int, samples: int = BOOTSTRAP_SAMPLES) -> tuple[float, float]:
    """95% paired bootstrap interval of mean(a - b), readers resampled with replacement."""
    diffs = [x - y for x, y in zip(a, b, strict=True)]
    rng = random.Random(seed)
    n = len(diffs)
    means = sorted(sum(diffs[rng.randrange(n)] for _ in range(n)) / n for _ in range(samples))
    return means[int(0.025 * samples)], means[int(0.975 * samples) - 1]


def settings_of(dataset: Dataset, split: Split) -> dict[str, tuple[list[str], dict[str, set[str]]]]:
    """Each setting's candidates and hidden loans per reader (readers with loans before the split)."""
    last = max((row.at for row in dataset.interactions), default=split.at)
    new = {item for item in split.new_items if dataset.items[item].arrived <= last}  # loaned, not only listed
    hidden_all: dict[str, set[str]] = {}
    for row in dataset.interactions:
        if row.at >= split.at and row.reader in split.train:
            own = {r.item for r in split.train[row.reader]}
            if row.item not in own:
                hidden_all.setdefault(row.reader, set()).add(row.item)
    hidden_new = {r: {i for i in items if i in new} for r, items in hidden_all.items()}
    return {
        "new": (sorted(new), {r: items for r, items in hidden_new.items() if items}),
        "all": (sorted(dataset.items), hidden_all),
    }


def evidence_for(ranker: ProjectRanker, split: Split, *, overlap: float, coborrow: float) -> Evidence:
    """Key rarity over the whole catalogue; loans and co-borrowing from the loans before the split, as the hub
    stores them (:func:`~consortium.push.evidence_build.build_evidence`): a work's loans and a pair only from
    :data:`~consortium.push.coborrow.MIN_READERS` distinct readers on."""
    keys = {item: ranker.keys_of(item) for item in ranker.dataset.items}
    loans = [(row.reader, row.item) for rows in split.train.values() for row in rows]
    loans.sort(key=lambda pair: pair[0])
    counts, neighbours, related = coborrowing(loans, lambda item: keys[item])
    return Evidence.of_keys(
        keys.values(),
        loans={item: readers for item, readers in counts.items() if readers >= MIN_READERS},
        neighbours=neighbours,
        related=related,
        overlap_weight=overlap,
        coborrow_weight=coborrow,
    )


def compare(
    dataset: Dataset,
    *,
    split_at: datetime | None = None,
    seed: int = 7,
    workers: int = 1,
    overlap: float = OVERLAP_WEIGHT,
    coborrow: float = COBORROW_WEIGHT,
    peers: bool = True,
) -> dict[str, Any]:
    """Every system's metrics per setting, and the project's paired bootstrap interval (MAP) to each peer."""
    split = split_dataset(dataset, split_at)
    peer_lists = None
    if peers:  # numpy and scipy (the bench extra): only a run with peers needs them
        from recommend_peers import Train, rank_peers

        peer_lists = functools.partial(rank_peers, dataset, Train.of(dataset, split.train))
    report: dict[str, Any] = {"split_at": split.at.isoformat(), "settings": {}}
    base = ProjectRanker(dataset, split, [])
    evidence = evidence_for(base, split, overlap=overlap, coborrow=coborrow)
    for name, (candidates, hidden) in settings_of(dataset, split).items():
        readers = sorted(hidden)
        ranker = ProjectRanker(dataset, split, candidates, evidence=evidence, exclude_borrowed=True)
        lists, _ = rank_project(dataset, split, workers=workers, ranker=ranker, readers=readers)
        systems = {"project": lists[0.0]}
        if peer_lists is not None:
            systems.update(peer_lists(candidates, readers, seed=seed))
        scores = {s: [per_reader(ranked.get(r, []), hidden[r]) for r in readers] for s, ranked in systems.items()}
        means = {
            s: {m: sum(x[m] for x in rows) / len(rows) for m in ("map", "precision", "recall", "ndcg")}
            for s, rows in scores.items()
        }
        intervals = {
            peer: bootstrap([x["map"] for x in scores["project"]], [x["map"] for x in scores[peer]], seed)
            for peer in systems
            if peer != "project"
        }
        report["settings"][name] = {
            "readers": len(readers),
            "candidates": len(candidates),
            "metrics": means,
            "map_diff_ci95": intervals,
            "ap": {s: [x["map"] for x in rows] for s, rows in scores.items()},  # per reader, in sorted order
        }
    return report
