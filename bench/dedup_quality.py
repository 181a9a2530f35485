"""Precision, recall and F1 of the project's matcher on a labelled pair benchmark (no training on its labels).

Usage: ``python bench/dedup_quality.py [DIR] [--split test]``. ``DIR`` holds ``train.txt``, ``valid.txt`` and
``test.txt`` in the Magellan/DeepMatcher format: one pair a line, ``LEFT \\t RIGHT \\t LABEL``, each side
``COL title VAL ... COL authors VAL ... COL venue VAL ... COL year VAL ...``. The default is the DBLP-ACM
benchmark in ../shared/data/dblp-acm/structured (megagonlabs/ditto, Apache-2.0; the benchmark comes from the
Leipzig database group). The last line printed is JSON.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

from consortium.dedup.features import match_view
from consortium.dedup.matcher import decide
from consortium.models import RawPointer, Record, ResourceFormat

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "dblp-acm" / "structured"
_FIELD = re.compile(r"COL (\w+) VAL (.*?)(?= COL \w+ VAL |$)")


def parse_side(text: str, member: str, local_id: str) -> Record:
    fields = {name: value.strip() for name, value in _FIELD.findall(text.strip())}
    year = fields.get("year", "")
    authors = [a.strip() for a in fields.get("authors", "").split(" , ") if a.strip()]
    return Record(
        member=member,
        local_id=local_id,
        source_id="bench",
        format=ResourceFormat.OTHER,
        title=fields.get("title") or "(untitled)",
        authors=authors,
        publisher=fields.get("venue") or None,
        year=int(float(year)) if re.fullmatch(r"\d{4}(\.0)?", year) else None,
        raw=RawPointer(digest="0" * 64, media_type="text/plain"),
    )


def generic_titles(lines: list[str]) -> set[str]:
    """Titles that one side (one source) gives to two or more different records: they name no single work.
    Computed from the records alone, never from the labels, as the clustering does over a collection."""
    seen: dict[tuple[int, str], set[str]] = defaultdict(set)
    for line in lines:
        for side, text in enumerate(line.split("\t")[:2]):
            seen[(side, match_view(parse_side(text, "x", "x")).title)].add(text.strip())
    return {title for (_, title), texts in seen.items() if len(texts) > 1}


def evaluate(path: Path) -> dict[str, float | int]:
    tp = fp = fn = tn = 0
    lines = path.read_text(encoding="utf-8").splitlines()
    generic = generic_titles(lines)
    for number, line in enumerate(lines):
        left, right, label = line.split("\t")
        a = match_view(parse_side(left, "left", f"l{number}"))
        b = match_view(parse_side(right, "right", f"r{number}"))
        predicted = decide(a, b, generic_title=a.title in generic or b.title in generic).match
        actual = label.strip() == "1"
        tp += predicted and actual
        fp += predicted and not actual
        fn += actual and not predicted
        tn += not predicted and not actual
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"pairs": tp + fp + fn + tn, "tp": tp, "fp": fp, "fn": fn, "tn": tn,
            "precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--split", default="test")
    args = parser.parse_args()
    path = args.dir / f"{args.split}.txt"
    if not path.exists():
        print(f"no labelled pairs at {path} (the default needs ../shared/data beside the repository)")
        return 0
    result = evaluate(path)
    print(f"{path}: {result['pairs']} pairs")
    print(f"precision {result['precision']:.4f}  recall {result['recall']:.4f}  F1 {result['f1']:.4f}")
    print(json.dumps({"data": str(path), **result}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
