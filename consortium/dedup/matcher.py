"""The pair matcher: a scored, explained decision whether two records describe the same work.

Precision matters more than recall: a wrong merge is the failure readers see. So a decision goes through hard
rejects first, then identifiers, then a weighted score over what both records say.

The rule, in order:

1. **Hard rejects** (never the same): different format families (a monograph is not a serial or a video);
   two records of the same member unless an identifier agrees; different volume or part numbers (one naming a
   part and the other none included); serials whose ISSNs conflict; explicit edition numbers that differ;
   monographs published more than three years apart unless an OCLC, LCCN or DOI number agrees.
2. **Identifier agreement** (a shared ISBN, ISSN, OCLC, LCCN or DOI) is a match when the titles are not
   unrelated (title similarity at least 0.6), which guards against a mistyped or set-level ISBN.
3. Otherwise a **weighted score** over the evidence both records have: title 0.45, authors 0.2, year 0.2
   (1 when equal, 0.3 one year apart), publisher 0.1, pages 0.05 (absent evidence drops out and the weights are
   renormalized), less 0.05 when both have ISBNs and none agree. It is a match at 0.87 or more, with title
   similarity at least 0.85 and, when both name authors, an author similarity of at least 0.7 (the mean of
   the shorter list's containment and the Dice coefficient, so one shared name of one and seven is weak).
4. A **generic title** (one member gives it to several different records: "Editorial", "Annual report")
   also needs the same year and nearly the same authors (0.9).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rapidfuzz import fuzz

from consortium.text import is_cjk

if TYPE_CHECKING:
    from consortium.dedup.features import MatchView

__all__ = ["MatchDecision", "decide"]

TITLE_WITH_SHARED_ID = 0.6
THRESHOLD = 0.87
TITLE_THRESHOLD = 0.87
AUTHOR_THRESHOLD = 0.7
WEIGHTS = {"title": 0.45, "authors": 0.2, "year": 0.2, "pages": 0.05, "publisher": 0.1}


@dataclass(frozen=True)
class MatchDecision:
    match: bool
    score: float
    scores: dict[str, float] = field(default_factory=dict)
    evidence: list[str] = field(default_factory=list)
    reject: str | None = None

    def explain(self) -> str:
        lines = [f"{'MATCH' if self.match else 'NO MATCH'} (score {self.score:.3f})"]
        if self.reject:
            lines.append(f"  rejected: {self.reject}")
        lines.extend(f"  {name}: {value:.3f}" for name, value in self.scores.items())
        lines.extend(f"  {line}" for line in self.evidence)
        return "\n".join(lines)


def _is_prefix(short: str, long: str) -> bool:
    """``short`` begins ``long`` at a word boundary and has at least two words (or three Chinese characters)."""
    if len(short) >= len(long) or not long.startswith(short) or long[len(short)] != " ":
        return False
    return len(short.split()) >= 2 or (len(short) >= 3 and any(is_cjk(c) for c in short))


def title_similarity(a: MatchView, b: MatchView) -> float:
    if not a.title or not b.title:
        return 0.0
    if a.full_title == b.full_title or a.title == b.title or (a.core and a.core == b.core):
        return 1.0
    # A record without its subtitle: its title begins the other's.
    shorter, longer = sorted((a.full_title, b.full_title), key=len)
    if a.full_title == b.title or b.full_title == a.title or _is_prefix(shorter, longer):
        return 0.95
    return (
        max(
            fuzz.ratio(a.title, b.title),
            fuzz.ratio(a.full_title, b.full_title),
            fuzz.ratio(a.core, b.core),
            fuzz.token_sort_ratio(a.core, b.core),
        )
        / 100.0
    )


def same_person(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Two names of one person: the same words (spelling a little apart), or the same family name with
    compatible initials (``"a. y. halevy"`` and ``"alon y. halevy"``), or the same words reordered."""
    if not a or not b:
        return False
    joined_a, joined_b = "".join(a), "".join(b)
    if joined_a == joined_b or fuzz.ratio(joined_a, joined_b) >= 85:
        return True
    if len(a) > 1 and len(b) > 1 and fuzz.ratio(a[-1], b[-1]) >= 88 and a[0][0] == b[0][0]:
        return True
    return len(a) > 1 and len(b) > 1 and fuzz.token_set_ratio(" ".join(a), " ".join(b)) >= 90


def author_similarity(a: MatchView, b: MatchView) -> float | None:
    """Shared authors, as the mean of containment (of the shorter list) and the Dice coefficient, so that one
    shared name out of one and seven is weaker evidence than one out of one and two."""
    if not a.names or not b.names:
        return None
    shorter, longer = sorted((a.names, b.names), key=len)
    shared = sum(1 for name in shorter if any(same_person(name, other) for other in longer))
    containment = shared / len(shorter)
    dice = 2 * shared / (len(a.names) + len(b.names))
    return (containment + dice) / 2


def year_similarity(a: MatchView, b: MatchView) -> float | None:
    if a.year is None or b.year is None:
        return None
    return {0: 1.0, 1: 0.3}.get(abs(a.year - b.year), 0.0)


def pages_similarity(a: MatchView, b: MatchView) -> float | None:
    if not a.pages or not b.pages:
        return None
    gap = abs(a.pages - b.pages) / max(a.pages, b.pages)
    return 1.0 if gap <= 0.05 else 0.5 if gap <= 0.15 else 0.0


def publisher_similarity(a: MatchView, b: MatchView) -> float | None:
    if not a.publisher or not b.publisher:
        return None
    return fuzz.token_set_ratio(a.publisher, b.publisher) / 100.0


def _reject(a: MatchView, b: MatchView, ids_agree: bool, strong_agree: bool) -> str | None:
    if a.family != b.family:
        return f"format families differ: {a.family} vs {b.family}"
    if a.key[0] == b.key[0] and not ids_agree:
        return f"two records of member {a.key[0]!r} and no identifier agrees"
    if a.parts != b.parts:
        return f"different volumes or parts: {sorted(a.parts)} vs {sorted(b.parts)}"
    if a.family == "serial" and a.issns and b.issns and not a.issns & b.issns:
        return f"conflicting ISSNs: {sorted(a.issns)} vs {sorted(b.issns)}"
    if a.edition is not None and b.edition is not None and a.edition != b.edition:
        return f"different editions: {a.edition} vs {b.edition}"
    if (
        a.family != "serial"
        and a.year is not None
        and b.year is not None
        and abs(a.year - b.year) > 3
        and not strong_agree
    ):
        return f"years far apart: {a.year} vs {b.year}"
    return None


def decide(a: MatchView, b: MatchView, *, generic_title: bool = False) -> MatchDecision:
    """Whether ``a`` and ``b`` are the same work, with the scores and evidence behind the decision.

    ``generic_title`` says that the title does not identify a work on its own (one member holds several
    different records with it: "Annual report", "Editorial", "Poems"); then the year must agree and the
    author lists must be the same.
    """
    shared = sorted((a.isbns & b.isbns) | (a.issns & b.issns) | (a.strong_ids & b.strong_ids))
    strong_agree = bool(a.strong_ids & b.strong_ids)
    evidence = [f"shared identifiers: {', '.join(shared)}"] if shared else []
    reject = _reject(a, b, bool(shared), strong_agree)
    title = title_similarity(a, b)
    scores: dict[str, float] = {"title": title}
    if reject:
        return MatchDecision(False, 0.0, scores, evidence, reject)
    if shared:
        match = title >= TITLE_WITH_SHARED_ID
        if not match:
            evidence.append(f"titles unrelated despite a shared identifier (below {TITLE_WITH_SHARED_ID})")
        return MatchDecision(match, 1.0 if match else title, scores, evidence)
    parts = {
        "authors": author_similarity(a, b),
        "year": year_similarity(a, b),
        "pages": pages_similarity(a, b),
        "publisher": publisher_similarity(a, b),
    }
    total_weight = WEIGHTS["title"]
    total = WEIGHTS["title"] * title
    for name, value in parts.items():
        if value is not None:
            scores[name] = value
            total_weight += WEIGHTS[name]
            total += WEIGHTS[name] * value
    score = total / total_weight
    if a.isbns and b.isbns:
        score -= 0.05
        evidence.append("both have ISBNs and none agree")
    authors = parts["authors"]
    match = score >= THRESHOLD and title >= TITLE_THRESHOLD and (authors is None or authors >= AUTHOR_THRESHOLD)
    if match and generic_title and (parts["year"] != 1.0 or authors is None or authors < 0.9):
        evidence.append("the title is generic (several records of one member have it): year and authors must agree")
        match = False
    return MatchDecision(match, round(score, 4), scores, evidence)
