"""Each kept rule of the push ranking, left out one at a time, at several cuts of the loans: a diagnosis.

The rules kept on the validation split (README, ``bench/recommend_quality.py``: candidates A-E) are each undone
in the running process, the rest of the ranking as it is, and the project's lists ranked again as
``--validation`` and ``--splits`` rank them (:func:`recommend_compare.compare`, no peers); printed per cut and
setting: MAP@10 with every rule, and for each rule left out the paired bootstrap interval of (with it − without
it). A rule whose interval is below zero at most cuts loses there. Undone:

* ``A`` the content similarity with the works borrowed lately → the share of the work's keys they carry × 0.25
  (the piece it replaced, ``88692ca``);
* ``B`` every kept key looked up → the 24 strongest (``MAX_LOOKUP`` 24);
* ``C`` no author penalty for an author the reader reads → every second work by one author halved;
* ``D`` the consortium's loans a prior at 0.10 → a tie-break at 0.01 (``POPULARITY_WEIGHT``);
* ``E`` a title one series only when it names a part → every title without its volume designation a series.

Usage::

    PYTHONPATH=$PWD python bench/recommend_rules.py [--splits 0.6,0.7,0.8,0.9] [--validation] [--rules ABCDE]

The cuts overlap the test period, so they judge, and nothing is tuned to them.
"""

from __future__ import annotations

import argparse
import contextlib
from typing import TYPE_CHECKING, Any

from recommend_compare import SETTINGS, bootstrap, compare
from recommend_cuts import parse_shares
from recommend_data import cut_at, split_dataset
from recommend_loans import DEFAULT_ITEMS, DEFAULT_LOANS, before, load_any

from consortium.push import diversity, index, ranking, scoring
from consortium.text import match_text

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence
    from datetime import datetime

    from recommend_data import Dataset

    from consortium.models import Cluster
    from consortium.push.evidence import Evidence

__all__ = ["RULES", "main", "without"]

RULES = {
    "A": "content similarity (old: share of keys x 0.25)",
    "B": "every kept key looked up (old: 24)",
    "C": "author rule (old: every author halved)",
    "D": "prior at 0.10 (old: 0.01)",
    "E": "series only when a part is named (old: every title)",
}
OLD_OVERLAP_WEIGHT = 0.25
OLD_MAX_LOOKUP = 24
OLD_POPULARITY_WEIGHT = 0.01


def _old_series(cluster: Cluster) -> str | None:
    """The series rule before E: the record's series, else the title with its volume designation cut off."""
    if cluster.series:
        return match_text(cluster.series) or None
    stem = index._VOLUME.sub("", cluster.title.strip())
    return match_text(stem) or match_text(cluster.title) or None


def _old_overlap(original: Callable[..., list[tuple[float, float, str]]]) -> Callable[..., Any]:
    """``evidence_scores`` with the content similarity replaced by the piece it replaced."""
    plain: dict[int, Evidence] = {}

    def scores(
        works: Sequence[Any],
        values: Mapping[str, float],
        whys: Mapping[str, str],
        taste: Any,
        evidence: Evidence,
        **kw: Any,
    ) -> list[tuple[float, float, str]]:
        import dataclasses

        if id(evidence) not in plain:
            plain[id(evidence)] = dataclasses.replace(evidence, overlap_weight=0.0)
        found = original(works, values, whys, taste, plain[id(evidence)], **kw)
        share: dict[str, float] = {}
        for borrowed in taste.borrowed:
            for key in borrowed.keys:
                share[key] = share.get(key, 0.0) + 1.0 / len(taste.borrowed)
        out = []
        for work, (score, tie, why) in zip(works, found, strict=True):
            p = 0.0
            if share and work.expanded:
                p = OLD_OVERLAP_WEIGHT * sum(share.get(key, 0.0) for key in work.expanded) / len(work.expanded)
            out.append((1.0 - (1.0 - score) * (1.0 - p), tie, why))
        return out

    return scores


@contextlib.contextmanager
def without(rule: str) -> Iterator[None]:
    """The ranking with ``rule`` (a key of :data:`RULES`) undone, restored on exit."""
    saved: list[tuple[Any, str, Any]] = []

    def patch(module: Any, name: str, value: Any) -> None:
        saved.append((module, name, getattr(module, name)))
        setattr(module, name, value)

    original_diversify = diversity.diversify
    if rule == "A":
        patch(ranking, "evidence_scores", _old_overlap(scoring.evidence_scores))
    elif rule == "B":
        patch(ranking, "MAX_LOOKUP", OLD_MAX_LOOKUP)
    elif rule == "C":
        patch(
            ranking,
            "diversify",
            lambda works, entries, cap, threshold, read_authors=frozenset(), tie=None: original_diversify(
                works, entries, cap, threshold, tie=tie
            ),
        )
    elif rule == "D":
        patch(scoring, "POPULARITY_WEIGHT", OLD_POPULARITY_WEIGHT)
    elif rule == "E":
        patch(index, "_series_of", _old_series)
    else:
        raise ValueError(f"no rule {rule!r} (one of {', '.join(RULES)})")
    try:
        yield
    finally:
        for module, name, value in reversed(saved):
            setattr(module, name, value)


def judge(dataset: Dataset, split_at: datetime | None, rules: str, seed: int) -> dict[str, Any]:
    """Per setting: MAP@10 with every rule, and per rule left out its MAP@10 and (with − without)'s interval."""
    full = compare(dataset, split_at=split_at, seed=seed, peers=False)
    found: dict[str, Any] = {"split_at": full["split_at"]}
    for setting in SETTINGS:
        found[setting] = {
            "readers": full["settings"][setting]["readers"],
            "all": full["settings"][setting]["metrics"]["project"]["map"],
        }
    for rule in rules:
        with without(rule):
            other = compare(dataset, split_at=split_at, seed=seed, peers=False)
        for setting in SETTINGS:
            a = full["settings"][setting]["ap"]["project"]
            b = other["settings"][setting]["ap"]["project"]
            found[setting][rule] = {"map": sum(b) / len(b), "ci95": bootstrap(a, b, seed)}
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--splits", type=parse_shares, default=(0.6, 0.7, 0.8, 0.9), help="cuts (shares of loans)")
    parser.add_argument("--validation", action="store_true", help="also the validation split (80%% of the 80%%)")
    parser.add_argument("--rules", default="".join(RULES), help="which rules to leave out (default ABCDE)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    dataset = load_any(DEFAULT_LOANS, DEFAULT_ITEMS)
    cuts: dict[str, tuple[Dataset, datetime | None]] = {
        str(share): (dataset, cut_at(dataset, share)) for share in args.splits
    }
    if args.validation:
        cuts["val"] = (before(dataset, split_dataset(dataset).at), None)
    print(f"{dataset.description}; MAP@10 with every rule, then each rule left out: (with − without), 95% CI")
    for name, (data, at) in cuts.items():
        found = judge(data, at, args.rules, args.seed)
        for setting in SETTINGS:
            row = found[setting]
            cells = [
                f"{rule} {row[rule]['map']:.4f} [{row[rule]['ci95'][0]:+.4f}, {row[rule]['ci95'][1]:+.4f}]"
                for rule in args.rules
            ]
            print(
                f"{name:<5}{found['split_at'][:10]} {setting:<4}{row['readers']:>6,} {row['all']:.4f}  "
                + "  ".join(cells),
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
