"""The language of the works of ../shared/data/library-loans, for ``bench/recommend_tries.py``'s ``language`` tries.

items.csv gives no language; the ISBN's registration group stands for it (:func:`isbn_language`), as a record's
008/35-37 would in the hub.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from consortium.push import scoring

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path

__all__ = ["isbn_language", "item_languages", "language_fit"]


def isbn_language(isbns: str) -> str | None:
    """The language an ISBN's registration group stands for (``2``: French, ``3``: German, ``0``/``1``: English,
    ``88``: Italian), the one clue to a work's language items.csv gives; ``None`` for none or another group."""
    isbn = (isbns or "").split(";")[0].strip().replace("-", "")
    if len(isbn) == 13 and isbn[:3] == "979":  # 979-10 France, 979-12 Italy, 979-8 the United States
        return {"10": "fre", "12": "ita"}.get(isbn[3:5]) or ("eng" if isbn[3] == "8" else None)
    body = isbn[3:] if len(isbn) == 13 and isbn[:3] == "978" else isbn if len(isbn) == 10 else ""
    if body[:1] in ("0", "1"):
        return "eng"
    return {"2": "fre", "3": "ger"}.get(body[:1]) or ("ita" if body[:2] == "88" else None)


def language_fit(languages: Mapping[str, str], *, seen: bool) -> Callable[..., list[tuple[float, float, str]]]:
    """``language``: each score × the reader's fit for the work's language, by Laplace's rule of succession over
    the languages of the works borrowed lately: (loans in it + 1) / (loans in the reader's first language + 1);
    ``language-seen`` (``seen``): 1 for any language the reader borrowed in, 1 / (loans + 1) for another."""
    original = scoring.evidence_scores

    def scores(works: Any, values: Any, whys: Any, taste: Any, evidence: Any, **kw: Any) -> Any:
        scored = original(works, values, whys, taste, evidence, **kw)
        counts: dict[str, int] = defaultdict(int)
        for borrowed in taste.borrowed:
            if (language := languages.get(borrowed.cluster_id)) is not None:
                counts[language] += 1
        if not counts:
            return scored
        top = sum(counts.values()) + 1 if seen else max(counts.values()) + 1
        out = []
        for work, (score, tie, why) in zip(works, scored, strict=True):
            language = languages.get(work.cluster_id)
            fit = 1.0
            if language is not None and (not seen or language not in counts):
                fit = (counts.get(language, 0) + 1) / top
            out.append((score * fit, tie, why))
        return out

    return scores


def item_languages(items: Path) -> dict[str, str]:
    """Item id → the language its first ISBN stands for, for the items that have one (items.csv's ``i``)."""
    with items.open(encoding="utf-8", newline="") as stream:
        found = {row["i"]: isbn_language(row["ISBN Valid"]) for row in csv.DictReader(stream)}
    return {item: language for item, language in found.items() if language}
