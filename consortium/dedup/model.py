"""The matcher's weights: a Fellegi–Sunter model, one m- and u-probability per level of each comparison.

``m`` is the chance of the level among pairs of records of one edition, ``u`` among pairs of unrelated records;
a level's weight is ``log2(m / u)`` bits, and a pair's match weight is the prior odds of a candidate pair being
a match (``prior``, in bits) plus the weights of the levels it shows. A comparison with no evidence (a value
missing on either side) adds nothing. The posterior probability ``2**w / (1 + 2**w)`` decides.

:data:`PRIOR_MODEL` holds the prior beliefs used until a consortium's own model is fitted from its records
(:mod:`consortium.dedup.fit`: ``u`` from random pairs, ``m`` and the prior from the candidate pairs by EM);
the fitted model is kept as JSON in the data folder (:func:`load_model`, :func:`save_model`).
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from consortium.dedup.comparisons import LEVELS
from consortium.errors import ValidationError

if TYPE_CHECKING:
    from pathlib import Path

    from consortium.dedup.frequencies import TermFrequencies

__all__ = ["MATCH_PROBABILITY", "PRIOR_MODEL", "MatchModel", "OutdatedModelError", "load_model", "save_model"]

log = logging.getLogger(__name__)

MATCH_PROBABILITY: Final = 0.99
"""The posterior probability of a match at which two records are one edition (precision before recall)."""


@dataclass(frozen=True)
class MatchModel:
    """m- and u-probabilities per comparison level, and the prior share of matches among candidate pairs."""

    m: dict[str, tuple[float, ...]]
    u: dict[str, tuple[float, ...]]
    prior: float
    """The share of candidate pairs (records sharing a blocking key) that are matches."""
    fitted_on: dict[str, int] = field(default_factory=dict)
    """What the model was fitted on (records, candidate pairs, random pairs); empty for the prior beliefs."""
    generic_titles: frozenset[str] = frozenset()
    """Titles (normalized) that one member gives to records of different authors or years ("Book review
    column", "Editorial"): they name no single work, so a match on one needs the same authors and year."""
    term_frequencies: TermFrequencies = field(default_factory=dict)
    """How common each title and author list is (:mod:`consortium.dedup.frequencies`): the exact-agreement
    weight of a common one is lowered, of a rare one raised; empty for the prior beliefs (no adjustment)."""

    def weight(self, comparison: str, level: int) -> float:
        """The weight, in bits, of ``level`` of ``comparison``."""
        return math.log2(self.m[comparison][level] / self.u[comparison][level])

    def weights(self) -> dict[str, dict[str, float]]:
        """Every level's weight, in bits, by comparison and level (what ``dedup explain`` lists)."""
        return {name: {label: round(self.weight(name, n), 2) for n, label in enumerate(labels)}
                for name, labels in LEVELS.items()}  # fmt: skip

    @property
    def prior_weight(self) -> float:
        return math.log2(self.prior / (1 - self.prior))

    def to_json(self) -> str:
        frequencies = {name: {"mean": mean, "counts": counts} for name, (mean, counts) in self.term_frequencies.items()}
        data = {"m": self.m, "u": self.u, "prior": self.prior, "fitted_on": self.fitted_on,
                "generic_titles": sorted(self.generic_titles), "term_frequencies": frequencies,
                "levels": LEVELS}  # fmt: skip
        return json.dumps(data, indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str, where: str = "model") -> MatchModel:
        """Read a model; a missing comparison or a level count that does not fit is refused, naming it."""
        data = json.loads(text)
        if _outdated(data):
            raise OutdatedModelError(f"{where}: fitted to other comparison levels than this matcher's")
        m = {name: tuple(float(p) for p in data["m"].get(name, ())) for name in LEVELS}
        u = {name: tuple(float(p) for p in data["u"].get(name, ())) for name in LEVELS}
        for name, levels in LEVELS.items():
            for kind, table in (("m", m), ("u", u)):
                values = table[name]
                if len(values) != len(levels) or not all(0 < p < 1 for p in values):
                    raise ValidationError(f"{where}: {kind}-probabilities of {name!r} must be {len(levels)} in (0, 1)")
        prior = float(data["prior"])
        if not 0 < prior < 1:
            raise ValidationError(f"{where}: prior must be in (0, 1), not {prior}")
        fitted_on = {k: int(v) for k, v in data.get("fitted_on", {}).items()}
        frequencies: TermFrequencies = {}
        for name, table in data.get("term_frequencies", {}).items():
            mean, counts = float(table["mean"]), {str(v): int(k) for v, k in table["counts"].items()}
            if name not in LEVELS or mean < 1 or any(k < 2 for k in counts.values()):
                raise ValidationError(f"{where}: term frequencies of {name!r} must be a mean >= 1 and counts >= 2")
            frequencies[name] = (mean, counts)
        generic = frozenset(str(t) for t in data.get("generic_titles", ()))
        return cls(m, u, prior, fitted_on, generic, frequencies)


PRIOR_MODEL: Final = MatchModel(
    # Prior beliefs (what a cataloguer expects of two records of one edition, and of two unrelated records),
    # replaced by a consortium's fitted model: the fit moves every number to what its records show.
    m={
        "title": (0.70, 0.15, 0.07, 0.03, 0.03, 0.005, 0.015),
        "authors": (0.75, 0.12, 0.08, 0.05),
        "year": (0.85, 0.10, 0.03, 0.02),
        "venue": (0.70, 0.20, 0.10),
        "pages": (0.70, 0.20, 0.10),
        "isbn": (0.80, 0.12, 0.08),
        "parts": (0.90, 0.10),
    },
    u={
        "title": (0.0005, 0.0005, 0.002, 0.001, 0.01, 0.005, 0.981),
        "authors": (0.001, 0.004, 0.01, 0.985),
        "year": (0.10, 0.18, 0.27, 0.45),
        "venue": (0.10, 0.30, 0.60),
        "pages": (0.08, 0.15, 0.77),
        "isbn": (0.0001, 0.30, 0.6999),
        "parts": (0.20, 0.80),
    },
    prior=0.1,
)


class OutdatedModelError(ValidationError):
    """A model fitted by an earlier version of the matcher, whose comparisons had other levels."""


def _outdated(data: dict[str, Any]) -> bool:
    """The model names other levels than :data:`LEVELS` (or, written before models named them, has another
    number of levels for a comparison)."""
    if "levels" in data:
        return bool(data["levels"] != {name: list(labels) for name, labels in LEVELS.items()})
    return any(len(data.get("m", {}).get(name, labels)) != len(labels) for name, labels in LEVELS.items())


def load_model(path: Path) -> MatchModel:
    """The model kept at ``path``, or the prior beliefs when none has been fitted yet, or when it was fitted by
    an earlier version of the matcher whose comparisons had other levels (logged: ``dedup rebuild`` fits it
    again); a damaged model is refused, naming the file and what is wrong."""
    if not path.exists():
        return PRIOR_MODEL
    text = path.read_text(encoding="utf-8")
    try:
        return MatchModel.from_json(text, str(path))
    except OutdatedModelError:
        log.warning("%s was fitted to other comparison levels: the prior beliefs are used until `consortium dedup "
                    "rebuild` fits the weights again", path)  # fmt: skip
        return PRIOR_MODEL


def save_model(model: MatchModel, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(model.to_json(), encoding="utf-8")
    tmp.replace(path)
