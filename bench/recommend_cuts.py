"""``bench/recommend_quality.py --splits 0.6,0.7,0.8,0.9``: the same comparison at several cut points of one file.

Each share is a cut: the time by which that share of the loans happened (:func:`recommend_data.cut_at`, the rule
of the default split at 0.8). At each cut :func:`recommend_compare.compare` runs in full, the peers in the same
run, and one table is printed: per cut and setting, the project's MAP@10 and each peer's with the paired
bootstrap interval of the project's difference to it, then the worst and the best cut of each. A robustness
check, not a split to tune to: the cuts overlap each other's test periods.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from recommend_compare import SETTINGS, compare
from recommend_data import cut_at

if TYPE_CHECKING:
    from recommend_data import Dataset

__all__ = ["compare_cuts", "parse_shares", "print_cuts"]


def parse_shares(text: str) -> tuple[float, ...]:
    """``"0.6,0.7,0.9"`` → ``(0.6, 0.7, 0.9)``: shares of the loans, each strictly between 0 and 1, given once
    each, in increasing order (an ``argparse`` type: a bad one is an error naming it)."""
    shares: list[float] = []
    for part in text.split(","):
        piece = part.strip()
        try:
            share = float(piece)
        except ValueError:
            raise argparse.ArgumentTypeError(f"--splits: {piece!r} is not a number (e.g. 0.6,0.7,0.9)") from None
        if not 0.0 < share < 1.0:
            raise argparse.ArgumentTypeError(f"--splits: {piece} is not a share between 0 and 1 (both excluded)")
        if shares and share <= shares[-1]:
            raise argparse.ArgumentTypeError(f"--splits: {piece} does not come after {shares[-1]} (increasing order)")
        shares.append(share)
    return tuple(shares)


def compare_cuts(dataset: Dataset, shares: tuple[float, ...], **options: Any) -> dict[str, dict[str, Any]]:
    """Share (as text) → :func:`recommend_compare.compare`'s report at the cut of that share of the loans."""
    return {str(share): compare(dataset, split_at=cut_at(dataset, share), **options) for share in shares}


def print_cuts(reports: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """One table of every cut (MAP@10; project − peer, 95% CI), then each system's worst and best cut; returns
    the JSON-ready summary: per cut, its time and, per setting, each system's MAP@10 and interval."""
    summary: dict[str, Any] = {}
    for setting in SETTINGS:
        first = next(iter(reports.values()))["settings"][setting]
        systems = list(first["metrics"])
        print(f"\nsetting {setting}: MAP@10 per cut (project − peer, 95% CI)")
        print(f"{'cut':<6}{'split at':<22}{'readers':>8}{'works':>7}  " + "  ".join(f"{s:<28}" for s in systems))
        for share, report in reports.items():
            found = report["settings"][setting]
            cells = []
            for system in systems:
                ci = found["map_diff_ci95"].get(system)
                band = f" [{ci[0]:+.4f}, {ci[1]:+.4f}]" if ci else ""
                cells.append(f"{found['metrics'][system]['map']:.4f}{band:<21}")
            row = f"{share:<6}{report['split_at'][:19]:<22}{found['readers']:>8,}{found['candidates']:>7,}  "
            print(row + "  ".join(f"{c:<28}" for c in cells))
            summary.setdefault(share, {"split_at": report["split_at"]})[setting] = {
                s: {"map": round(found["metrics"][s]["map"], 5), "ci95": found["map_diff_ci95"].get(s)} for s in systems
            }
        for system in systems[1:]:
            lows = {share: r["settings"][setting]["map_diff_ci95"][system][0] for share, r in reports.items()}
            worst, best = min(lows, key=lows.__getitem__), max(lows, key=lows.__getitem__)
            above = sum(low > 0 for low in lows.values())
            print(
                f"  project − {system}: interval above zero at {above} of {len(lows)} cuts; "
                f"worst lower bound {lows[worst]:+.4f} (cut {worst}), best {lows[best]:+.4f} (cut {best})"
            )
    return summary
