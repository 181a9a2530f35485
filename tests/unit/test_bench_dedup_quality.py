"""bench/dedup_quality.py: a work-level set is scored by the pairwise work-level decision and, beside it, by the
hub's own work groups (one manifestation, or an equal work key), so that both figures are printed."""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING

from bench_modules import BENCH

if TYPE_CHECKING:
    from pathlib import Path

if str(BENCH) not in sys.path:  # dedup_quality imports its siblings as `python bench/dedup_quality.py` does
    sys.path.append(str(BENCH))
quality = importlib.import_module("dedup_quality")
sets = importlib.import_module("dedup_sets")

ROWS = [
    # the title proper and the author agree, the subtitles do not: one work group, not one decision
    ("Hope and Red (The Empire of Storms)", "Jon Skovron", "Hope & Red: L'Empire des tempêtes, T1", "Jon Skovron", 1),
    # one editor's annual: a work key for every year, labelled two works
    ("The Year's Best Fantasy and Horror", "Ellen Datlow", "The Year's Best Fantasy and Horror", "Ellen Datlow", 0),
    ("The art of computer programming", "Donald E. Knuth", "Art of Computer Programming", "Knuth, Donald", 1),
    ("Concrete mathematics", "Ronald L. Graham", "Digital typography", "Donald E. Knuth", 0),
]


def test_a_work_level_set_is_scored_by_the_hubs_work_groups_too(tmp_path: Path) -> None:
    path = tmp_path / "labeled.csv"
    lines = ["_id,ltable_Name,ltable_Author,rtable_Name,rtable_Author,label"]
    lines += [f'{n},"{a}","{b}","{c}","{d}",{label}' for n, (a, b, c, d, label) in enumerate(ROWS)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    data = sets.read_magellan("tiny", path, {"title": "Name", "authors": "Author"}, None)
    result = quality.evaluate(data, "work", peers=False)
    groups = result["work_groups"]
    assert (groups["tp"], groups["fp"], groups["fn"]) == (2, 1, 0)  # the annual grouped, the translation too
    assert result["tp"] + result["fn"] == 2  # the decision's own figures stay the set's
    assert "work_groups" not in quality.evaluate(data, "edition", peers=False)
