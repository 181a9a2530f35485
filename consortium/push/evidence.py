"""What the consortium knows beyond one reader, for ranking: how rare each interest key is, how often works are
borrowed, and what is borrowed together.

:class:`Evidence` is built once per push run (or read from where the scheduler left it, see
:mod:`consortium.push.coborrow`) and handed to :func:`~consortium.push.ranking.rank`:

* **rarity** of a key: ``log((N + 1) / (n + 1)) / log(N + 1)`` with ``N`` works in the catalogue and ``n`` of them
  posting under the key (:func:`~consortium.push.index.expanded_keys`, so a broader class or heading counts the
  works under it): 1 for a key no other work has, near 0 for a catch-all heading ("Comics", "Switzerland");
* **loans**: distinct readers who borrowed each work (aggregates only, from members that share circulation);
* **neighbours** and **related keys**: co-borrowing of works and of keys, every pair seen with at least
  :data:`~consortium.push.coborrow.MIN_READERS` distinct readers (:mod:`consortium.push.coborrow`).

Without evidence from the catalogue, :meth:`Evidence.of_index` measures rarity over the run's own new works and
knows no loans and no co-borrowing.
"""

from __future__ import annotations

import functools
import math
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from consortium.push.index import expanded_keys

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable, Iterable, Mapping

    from consortium.push.index import NewWorks

__all__ = ["COBORROW_WEIGHT", "OVERLAP_WEIGHT", "Evidence"]

OVERLAP_WEIGHT = 1.0
"""How much the content similarity with the works the reader borrowed lately counts as evidence
(:func:`~consortium.push.scoring.borrowed_similarity`, already a probability: 1 is no weight at all; the weight
stays for ``bench/recommend_quality.py --fit``, which refits it on a validation split of a training period)."""
COBORROW_WEIGHT = 0.5
"""How much co-borrowing counts as evidence (same fit)."""


@dataclass(frozen=True)
class Evidence:
    """Key rarity, loans and co-borrowing over the consortium (see the module docstring)."""

    key_works: Mapping[str, int]
    """Key → how many works post under it."""
    works_total: int
    loans: Mapping[str, int] = field(default_factory=dict)
    """Cluster id → distinct readers who borrowed it."""
    neighbours: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    """Cluster id → co-borrowed cluster id → cosine over distinct readers."""
    related: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    """Interest key → co-borrowed key → cosine over distinct readers."""
    overlap_weight: float = OVERLAP_WEIGHT
    coborrow_weight: float = COBORROW_WEIGHT
    catalogue: bool = True
    """Whether rarity was measured over the catalogue; not when over a run's own new works (:meth:`of_index`), a
    handful where the same class on every new work is no catch-all: then rarity counts once, on the reader's side
    only, not on the work's too (:func:`~consortium.push.scoring.evidence_score`)."""
    built_at: dt.datetime | None = None
    """When the evidence was built, when it was read from the store (:mod:`consortium.push.evidence_store`)."""

    @classmethod
    def of_keys(cls, works: Iterable[Iterable[str]], **kwargs: object) -> Evidence:
        """Rarity over works given by their own keys (as :func:`keys_for_cluster` gives them)."""
        counts: dict[str, int] = {}
        total = 0
        for keys in works:
            total += 1
            for key in expanded_keys(keys):
                counts[key] = counts.get(key, 0) + 1
        return cls(key_works=counts, works_total=total, **kwargs)  # type: ignore[arg-type]

    @classmethod
    def of_index(cls, works: NewWorks) -> Evidence:
        """Rarity over the run's own new works only (no catalogue at hand)."""
        return cls(
            key_works={key: len(posts) for key, posts in works.postings.items()},
            works_total=len(works),
            catalogue=False,
        )

    @functools.cached_property
    def rarities(self) -> Mapping[str, float]:
        """Key → :meth:`rarity`, worked out on a key's first lookup and kept (for lookups in bulk: a subscript,
        not a method call)."""
        return _Rarities(self._rarity_of)

    def rarity(self, key: str) -> float:
        """How rare ``key`` is, in (0, 1]: 1 when no work has it yet."""
        return self.rarities[key]

    @functools.cached_property
    def squares(self) -> Mapping[str, float]:
        """Key → :meth:`rarity` squared (a key's part of a TF-IDF dot product), worked out on first lookup."""
        return _Rarities(self._square_of)

    def _square_of(self, key: str) -> float:
        return self.rarities[key] ** 2

    @functools.cached_property
    def _norms(self) -> dict[frozenset[str], float]:
        return {}

    def norm(self, keys: frozenset[str]) -> float:
        """The length of a work's rarity-weighted key vector, ``sqrt(sum(rarity²))`` (1 for no keys): what a
        TF-IDF cosine divides by (worked out once per work and evidence)."""
        cached = self._norms.get(keys)
        if cached is None:
            cached = self._norms[keys] = math.sqrt(math.fsum(map(self.squares.__getitem__, keys))) or 1.0
        return cached

    def _rarity_of(self, key: str) -> float:
        total = self.works_total + 1
        if total <= 1:
            return 1.0
        return max(math.log(total / (self.key_works.get(key, 0) + 1)), 0.0) / math.log(total) or 1.0 / total

    def as_dict(self) -> dict[str, Any]:
        """The evidence as JSON-ready data (counts only): what the scheduler stores."""
        return {
            "key_works": dict(self.key_works),
            "works_total": self.works_total,
            "loans": dict(self.loans),
            "neighbours": {k: dict(v) for k, v in self.neighbours.items()},
            "related": {k: dict(v) for k, v in self.related.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Evidence:
        """The evidence :meth:`as_dict` wrote."""
        return cls(
            key_works=dict(data["key_works"]),
            works_total=int(data["works_total"]),
            loans=dict(data.get("loans", {})),
            neighbours=dict(data.get("neighbours", {})),
            related=dict(data.get("related", {})),
        )

    @functools.cached_property
    def _related_values(self) -> dict[str, list[tuple[float, str]]]:
        intern = sys.intern  # as the index's keys are: a lookup of one finds the same object
        return {
            intern(key): sorted(
                ((cosine * self.rarity(other), intern(other)) for other, cosine in others.items()), reverse=True
            )
            for key, others in self.related.items()
        }

    def related_values(self, key: str) -> list[tuple[float, str]]:
        """The keys co-borrowed with ``key``, each as ``(cosine × its rarity, key)``, strongest first (worked
        out once per evidence, for every reader of a run)."""
        return self._related_values.get(key, [])

    @property
    def related_lists(self) -> Mapping[str, list[tuple[float, str]]]:
        """Key → :meth:`related_values` of it (only keys with some)."""
        return self._related_values

    @functools.cached_property
    def related_strongest(self) -> Mapping[str, float]:
        """Key → the first (strongest) value of :meth:`related_values` (only keys with some)."""
        return {key: others[0][0] for key, others in self._related_values.items() if others}

    @functools.cached_property
    def related_maps(self) -> Mapping[str, Mapping[str, float]]:
        """Key → co-borrowed key → ``cosine × its rarity``, as in :meth:`related_values`."""
        return {key: {other: value for value, other in others} for key, others in self._related_values.items()}

    @functools.cached_property
    def coborrowed(self) -> frozenset[str]:
        """Every cluster id co-borrowed with some work (a neighbour in :attr:`neighbours`): a work outside it has
        no co-borrowing to score, whatever the reader borrowed."""
        return frozenset(other for others in self.neighbours.values() for other in others)

    @functools.cached_property
    def _top_loans(self) -> int:
        return max(self.loans.values(), default=0)

    def popularity(self, cluster_id: str) -> float:
        """The work's loans, log-scaled to [0, 1] over the most borrowed work."""
        top = self._top_loans
        return math.log1p(self.loans.get(cluster_id, 0)) / math.log1p(top) if top else 0.0


class _Rarities(dict[str, float]):
    """Key → rarity, each worked out on its first lookup (:attr:`Evidence.rarities`)."""

    def __init__(self, rarity_of: Callable[[str], float]) -> None:
        super().__init__()
        self._rarity_of = rarity_of

    def __missing__(self, key: str) -> float:
        value = self[key] = self._rarity_of(key)
        return value
