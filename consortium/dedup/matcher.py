"""The pair matcher: a scored, explained decision whether two records describe the same edition.

Precision matters more than recall: a wrong merge is the failure readers see. The rule, in order:

1. **Hard rejects**, only where the evidence is certain: different format families (a monograph is not a
   serial or a video); two records of the same member unless an identifier agrees; volume or part numbers that
   both name and that differ (``v. 2``, ``Part II``, a title ending in ``XIX`` against ``XVI``); years both
   titles name that differ (``Annual report 2017``); one title, not the other, naming an adaptation into
   another form (``(manga)``, ``: the graphic novel``: FRBR's new work); one title, not the other, naming a
   book about a book (``Summary of …``, ``: a study guide``, ``… Workbook``), or several volumes gathered
   (``Boxed Set``, ``Omnibus``, ``Books 1-3``) against one; serials whose ISSNs conflict; ISBNs
   that conflict on two records of one medium (an ISBN names one product: two print records with different
   ISBNs are two bindings or editions; a print and an e-book record of one edition have different ISBNs,
   which is weighed instead); edition numbers both state that differ; publication years more than one apart
   (an edition has one date; one year apart is allowed for a copyright or printing date) unless an identifier
   agrees.
2. **Identifier agreement** (a shared ISBN, ISSN, OCLC, LCCN or DOI) is a match when the titles are not
   unrelated (title similarity at least 0.6, which guards against a mistyped or set-level ISBN), whatever the
   years (a reprint keeps its ISBN).
3. Otherwise the **Fellegi–Sunter match weight** (:mod:`consortium.dedup.model`): the prior odds plus the
   learnt weight of each comparison's level (:mod:`consortium.dedup.comparisons`), the exact title and the
   same author list adjusted by how common the value is (:mod:`consortium.dedup.frequencies`); a missing value
   adds nothing. A match when the posterior probability reaches :data:`~consortium.dedup.model.MATCH_PROBABILITY`
   and the titles are nearly the same (or begin with the same four words followed by what the other record
   says in other fields; or are only similar, both name the same volume or issue number and differ only in
   numbers and words naming the kind of publication: *Fantasy Magazine, Issue 60* and *Fantasy Issue 60*), and,
   when both name authors, at least half of the shorter author list is in the
   other.
4. A **generic title** (one member gives it to records of different authors or years: "Book review column"),
   kept in the fitted model, needs the same author list and the same year.
5. A **short title** (one or two words, or up to four Chinese characters: "Poems", "Editorial") says little on
   its own: then both records name the same authors or neither names any, the years agree where both have
   one, and at least one of the two is there.

At the ``work`` level (print and e-book, other editions as one: what the book-matching sets label) only the
rejects of step 1 that concern the work (format family, parts, years in titles, adaptations, books about books,
aggregates) hold, and the score takes title and authors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from consortium.dedup.comparisons import LEVELS, compare, differs_in_numbering_only, title_similarity
from consortium.dedup.frequencies import ADJUSTED_LEVEL, adjustment
from consortium.dedup.model import MATCH_PROBABILITY, PRIOR_MODEL, MatchModel
from consortium.text import is_cjk

if TYPE_CHECKING:
    from consortium.dedup.features import MatchView

__all__ = ["MatchDecision", "decide", "reject_reason"]

TITLE_WITH_SHARED_ID = 0.6
WEAKEST_TITLE_LEVEL = 3
"""The least title agreement a match may show ("the same first words")."""
SIMILAR_TITLE_LEVEL = 4
"""Titles similar (0.8 or more) without a word put in place of another: enough when both name the same volume
or issue number and differ only in numbering words (*Fantasy Magazine, Issue 60* and *Fantasy Issue 60*)."""
WEAKEST_AUTHOR_LEVEL = 2
"""The least author agreement a match may show when both records name authors ("half shared")."""
WORK_COMPARISONS = ("title", "authors")


@dataclass(frozen=True)
class MatchDecision:
    match: bool
    score: float
    """The posterior probability of a match (1.0 for a shared identifier, 0.0 when rejected)."""
    scores: dict[str, float] = field(default_factory=dict)
    """The learnt weight, in bits, of each comparison's level for this pair."""
    evidence: list[str] = field(default_factory=list)
    reject: str | None = None

    def explain(self) -> str:
        lines = [f"{'MATCH' if self.match else 'NO MATCH'} (probability {self.score:.4f})"]
        if self.reject:
            lines.append(f"  rejected: {self.reject}")
        lines.extend(f"  {line}" for line in self.evidence)
        return "\n".join(lines)


def short_title(view: MatchView) -> bool:
    """One or two words, or up to four Chinese characters, subtitle included: a title that names no single
    work alone."""
    text = view.full_title
    if not text.isascii() and any(is_cjk(c) for c in text):
        return sum(1 for c in text if is_cjk(c)) <= 4
    return len(text.split()) <= 2


def reject_reason(a: MatchView, b: MatchView, ids_agree: bool, level: str = "edition") -> str | None:
    """Why ``a`` and ``b`` can never be one edition (or, at the ``work`` level, one work), if they cannot."""
    if a.family != b.family:
        return f"format families differ: {a.family} vs {b.family}"
    if a.parts and b.parts and a.parts != b.parts:
        return f"different volumes or parts: {sorted(a.parts)} vs {sorted(b.parts)}"
    if a.years_in_title and b.years_in_title and not a.years_in_title & b.years_in_title:
        return f"titles name different years: {sorted(a.years_in_title)} vs {sorted(b.years_in_title)}"
    if a.adaptation != b.adaptation:
        return "one title names an adaptation into another form (manga, graphic novel, comic), the other does not"
    if a.companion != b.companion:
        return "one title names a book about a book (a summary, study guide, workbook or companion), the other not"
    if a.aggregate != b.aggregate:
        return "one title names several volumes gathered (a box set, an omnibus, Books 1-3), the other does not"
    if level == "work":
        return None
    if a.key[0] == b.key[0] and not ids_agree:
        return f"two records of member {a.key[0]!r} and no identifier agrees"
    if a.family == "serial" and a.issns and b.issns and not a.issns & b.issns:
        return f"conflicting ISSNs: {sorted(a.issns)} vs {sorted(b.issns)}"
    if a.isbns and b.isbns and not ids_agree and a.electronic == b.electronic:
        return f"conflicting ISBNs of one medium: {sorted(a.isbns)} vs {sorted(b.isbns)}"
    if a.edition is not None and b.edition is not None and a.edition != b.edition:
        return f"different editions: {a.edition} vs {b.edition}"
    if a.year is not None and b.year is not None and abs(a.year - b.year) > 1 and not ids_agree:
        return f"years apart: {a.year} vs {b.year}"
    return None


def _weigh(
    a: MatchView, b: MatchView, model: MatchModel, names: tuple[str, ...]
) -> tuple[float, dict[str, int | None], dict[str, float], list[str]]:
    levels = compare(a, b)
    total = model.prior_weight
    weights: dict[str, float] = {}
    lines = [f"prior: {total:+.2f} bits (a candidate pair is a match {model.prior:.1%} of the time)"]
    for name in names:
        level = levels[name]
        if level is None:
            lines.append(f"{name}: no evidence (missing on one side), 0 bits")
            continue
        weight = model.weight(name, level)
        m, u = model.m[name][level], model.u[name][level]
        line = f"{name}: {LEVELS[name][level]}: {weight:+.2f} bits (m {m:.4f}, u {u:.4f})"
        if level == ADJUSTED_LEVEL.get(name) and name in model.term_frequencies:
            bits, count = adjustment(model.term_frequencies, name, a, b)
            weight += bits
            mean = model.term_frequencies[name][0]
            line += (
                f", term frequency {bits:+.2f} bits (the value on {count} record{'s' if count > 1 else ''} of one "
                f"member, {mean:.2f} on average): {weight:+.2f} bits"
            )
        weights[name] = weight
        total += weight
        lines.append(line)
    lines.append(f"match weight: {total:+.2f} bits")
    return total, levels, weights, lines


def _same_numbered_part(a: MatchView, b: MatchView, levels: dict[str, int | None]) -> bool:
    """Titles only similar that both name the same volume or issue number and differ in nothing else than
    numbers and the words naming the kind of publication (*Fantasy Magazine, Issue 60 (Volume 60)* and
    *Fantasy Issue 60*)."""
    return levels["title"] == SIMILAR_TITLE_LEVEL and levels["parts"] == 0 and differs_in_numbering_only(a, b)


def decide(
    a: MatchView, b: MatchView, model: MatchModel = PRIOR_MODEL, *, level: Literal["edition", "work"] = "edition"
) -> MatchDecision:
    """Whether ``a`` and ``b`` are the same edition (or the same work), with each comparison's learnt weight."""
    shared = sorted((a.isbns & b.isbns) | (a.issns & b.issns) | (a.strong_ids & b.strong_ids))
    evidence = [f"shared identifiers: {', '.join(shared)}"] if shared else []
    reject = reject_reason(a, b, bool(shared), level)
    if reject:
        return MatchDecision(False, 0.0, {}, evidence, reject)
    if shared:
        title = title_similarity(a, b)
        match = title >= TITLE_WITH_SHARED_ID
        if not match:
            evidence.append(f"titles unrelated despite a shared identifier (below {TITLE_WITH_SHARED_ID})")
        return MatchDecision(match, 1.0 if match else 0.0, {}, evidence)
    names = WORK_COMPARISONS if level == "work" else tuple(LEVELS)
    total, levels, weights, lines = _weigh(a, b, model, names)
    evidence.extend(lines)
    probability = 2.0**total / (1.0 + 2.0**total) if total < 60 else 1.0
    title_level = levels["title"]
    author_level = levels["authors"]
    match = (
        probability >= MATCH_PROBABILITY
        and title_level is not None
        and (title_level <= WEAKEST_TITLE_LEVEL or _same_numbered_part(a, b, levels))
        and (author_level is None or author_level <= WEAKEST_AUTHOR_LEVEL)
    )
    if match and (a.full_title in model.generic_titles or b.full_title in model.generic_titles):
        if levels["authors"] != 0 or levels["year"] != 0:
            evidence.append(
                "the title is generic (one member gives it to different records): "
                "the authors and the year must be the same"
            )
            match = False
    if match and (short_title(a) or short_title(b)):
        author_level, year_level = levels["authors"], levels["year"]
        one_sided = bool(a.names) != bool(b.names)
        if (
            (author_level is None and year_level is None)
            or one_sided
            or (author_level or 0) > 1
            or (year_level or 0) > 0
        ):
            evidence.append("the title is short: the authors (named by both or neither) and the year must agree")
            match = False
    return MatchDecision(match, round(probability, 6), weights, evidence)
