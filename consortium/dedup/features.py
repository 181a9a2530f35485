"""What the matcher compares, computed once per record: normalized title, surnames, year, parts, identifiers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from consortium.dedup.keys import identifier_sets
from consortium.dedup.parts import number_value, part_numbers, title_years
from consortium.models import Record, ResourceFormat
from consortium.text import core_title, match_text, name_words, surname_key, title_tokens

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

__all__ = [
    "FORMAT_FAMILY",
    "MatchView",
    "adaptation",
    "aggregate",
    "companion",
    "edition_number",
    "match_view",
    "part_numbers",
    "title_years",
]

FORMAT_FAMILY: dict[ResourceFormat, str] = {
    ResourceFormat.BOOK: "monograph",
    ResourceFormat.EBOOK: "monograph",
    ResourceFormat.THESIS: "monograph",
    ResourceFormat.MANUSCRIPT: "monograph",
    ResourceFormat.JOURNAL: "serial",
    ResourceFormat.EJOURNAL: "serial",
    ResourceFormat.DATABASE: "database",
    ResourceFormat.WEB: "web",
    ResourceFormat.SOFTWARE: "software",
    ResourceFormat.AUDIO: "audio",
    ResourceFormat.VIDEO: "video",
    ResourceFormat.MAP: "map",
    ResourceFormat.SCORE: "score",
    ResourceFormat.OTHER: "other",
}

_ORDINAL_WORDS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "revised": 0,
}  # fmt: skip
_QUALIFIED = re.compile(r"[(\[（&]")
"""A title with brackets (or a character reference) has a core title of its own."""
_EDITION = re.compile(r"(\d+)\s*(?:st|nd|rd|th)?\b|第\s*([\d一二三四五六七八九十]+)\s*版", re.IGNORECASE)


def edition_number(edition: str | None) -> int | None:
    """The edition's number (``"2nd ed."`` gives 2, ``"第3版"`` gives 3, ``"Second edition"`` 2), when it says."""
    if not edition:
        return None
    text = edition.lower()
    for word, number in _ORDINAL_WORDS.items():
        if word in text and number:
            return number
    match = _EDITION.search(text)
    if match:
        return number_value(match.group(1) or match.group(2))
    return None


@dataclass(frozen=True, slots=True)
class MatchView:
    key: tuple[str, str]
    family: str
    title: str
    """Main title, normalized."""
    full_title: str
    """Title and subtitle, normalized."""
    core: str
    """Title and subtitle without bracketed qualifiers."""
    tokens: tuple[str, ...]
    surnames: frozenset[str]
    names: tuple[tuple[str, ...], ...]
    """Author names as normalized words, given names first, in record order."""
    year: int | None
    pages: int | None
    edition: int | None
    parts: frozenset[int]
    years_in_title: frozenset[int]
    publisher: str
    isbns: frozenset[str]
    issns: frozenset[str]
    strong_ids: frozenset[str]
    """OCLC, LCCN and DOI, each prefixed by its scheme."""
    raw_title: str
    """The title as the record gives it (for the blocking keys)."""
    first_author: str
    """The first author as the record gives it (for the blocking keys)."""
    electronic: bool
    """An e-book or e-journal (its ISBN differs from the print one's)."""
    adaptation: bool
    """The title says, in brackets or its subtitle, that this is the work retold in another form (``(manga)``,
    ``: the graphic novel``): another work than the one it adapts (:func:`adaptation`)."""
    companion: bool
    """The title says this is a book about another: a summary, study guide, workbook or companion
    (:func:`companion`)."""
    aggregate: bool
    """The title says this gathers several volumes: a box set, an omnibus, ``Books 1-3`` (:func:`aggregate`)."""
    words: frozenset[str]
    """Every word the record says in title, subtitle, authors, publisher and year: where a value put in the
    wrong field is still found."""


_NUMBERED = r"(?:\d{1,4}(?:st|nd|rd|th)?|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth) "
_QUALIFIERS = (
    r"(?:rev|revised|updated|expanded|new|premium|anniversary|special|illustrated|international|student"
    r"|annotated|deluxe|collector s|abridged|unabridged) "
)
_EDITION_IN_TITLE = re.compile(rf"\b(?:{_NUMBERED}(?:{_QUALIFIERS})*|(?:{_QUALIFIERS})+)(?:edition|ed)\b")
"""An edition statement: a number or ordinal, words that qualify an edition, then ``edition`` or ``ed``."""


def without_edition(text: str) -> str:
    """A normalized title without the edition statement written into it (``the intelligent investor rev ed``,
    ``catch 22 50th anniversary edition``): an edition statement is not part of the title, and editions are
    told apart by their own field (a different numbered edition is a reject)."""
    if "ed" not in text:
        return text
    stripped = " ".join(_EDITION_IN_TITLE.sub(" ", text).split())
    return stripped or text


def _full_text(record: Record, title: str) -> str:
    """``match_text`` of the record's title and subtitle, ``title`` being the title's: for plain ASCII without a
    character reference, the subtitle's words after the title's (normalizing ASCII works word by word); else
    both normalized together."""
    subtitle = record.subtitle
    if not subtitle:
        return title
    if record.title.isascii() and subtitle.isascii() and "&" not in record.title and "&" not in subtitle:
        rest = match_text(subtitle)
        return f"{title} {rest}" if title and rest else title or rest
    return match_text(f"{record.title} {subtitle}")


def match_view(record: Record, tokens: Sequence[str] | None = None) -> MatchView:
    """What the matcher compares of ``record``; ``tokens``: its title's :func:`~consortium.text.title_tokens` when
    the caller has them."""
    plain = match_text(record.title)
    title = without_edition(plain)
    both = f"{record.title} {record.subtitle}" if record.subtitle else record.title
    full = without_edition(_full_text(record, plain))
    isbns, issns, strong = identifier_sets(record)
    names = tuple(n for n in (name_words(a) for a in record.authors) if n)
    publisher = match_text(record.publisher or "")
    title_words = full.split()
    words = {*title_words, *publisher.split(), *(w for name in names for w in name)}
    if record.year is not None:
        words.add(str(record.year))
    return MatchView(
        key=record.key,
        family=FORMAT_FAMILY[record.format],
        title=title,
        full_title=full,
        core=without_edition(core_title(both)) if _QUALIFIED.search(both) else full,
        tokens=tuple(title_tokens(record.title) if tokens is None else tokens),
        surnames=frozenset(s for s in (surname_key(a) for a in record.authors) if s),
        names=names,
        year=record.year,
        pages=record.pages,
        edition=edition_number(record.edition),
        parts=part_numbers(record.title, record.subtitle),
        years_in_title=title_years(record.title, record.subtitle),
        publisher=publisher,
        isbns=isbns,
        issns=issns,
        strong_ids=strong,
        raw_title=record.title,
        first_author=record.authors[0] if record.authors else "",
        electronic=record.format in (ResourceFormat.EBOOK, ResourceFormat.EJOURNAL),
        adaptation=adaptation(record.title, record.subtitle),
        companion=companion(full, title_words),
        aggregate=aggregate(full, title_words),
        words=frozenset(words),
    )


_ADAPTATION = re.compile(r"\b(manga|graphic novel|comic book|comics?|novelization|novelisation)\b")
_GROUPS = re.compile(r"[(\[（]([^)\]）]*)[)\]）]")


def adaptation(title: str, subtitle: str | None = None) -> bool:
    """Whether a bracketed qualifier or the subtitle names the form of an adaptation: manga, graphic novel,
    comic, novelization (*Grimgar of Fantasy and Ash, Vol. 3 (manga)*, *Watership Down: the graphic
    novel*). FRBR makes an adaptation into another form a work of its own; words of the title proper do not count
    (*The Mammoth Book of Comic Fantasy*)."""
    parts = [g.group(1) for g in _GROUPS.finditer(title)] if "(" in title or "[" in title or "（" in title else []
    if subtitle:
        parts.append(_GROUPS.sub(" ", subtitle))
    return any(_ADAPTATION.search(match_text(p)) for p in parts)


_ABOUT = "summary|summary and analysis|study guide|workbook|companion|reader s guide|teacher s guide|lesson plans"
_COMPANION_START = re.compile(
    rf"^(?:(?:a|an|the) )?(?:(?:{_ABOUT}) (?:of|for|to|on)\b|(?:study guide|sparknotes|cliffsnotes|cliffs notes|"
    r"summary and analysis)\b)"
)
_COMPANION_ANYWHERE = re.compile(
    r"(?<!with )(?<!with a )(?<!includes )(?<!including )(?<!plus )(?<!and )"
    r"\b(?:study guide|summary and analysis|sparknotes|cliffsnotes|cliffs notes|workbook|discussion guide"
    r"|teacher s guide|reader s companion|lesson plans)\b"
)

_COMPANION_WORDS = frozenset("summary guide workbook companion sparknotes cliffsnotes notes lesson".split())
"""Words one of which every title :func:`companion` accepts holds (a cheap test before the patterns)."""


def companion(full_title: str, words: Iterable[str] | None = None) -> bool:
    """Whether a normalized title (subtitle and brackets included) names a book about another book: a summary,
    study guide, workbook, companion or teacher's guide (*Summary of Sapiens*, *The Hunger Games: a study
    guide*, *The Artist's Way Workbook*), a work of its own (FRBR's "is about" relation, not "is an edition
    of"). A book sold *with* a study guide is still the book (*Redeeming Love, with study guide*). ``words``: the
    title's words, when they are at hand."""
    if _COMPANION_WORDS.isdisjoint(full_title.split() if words is None else words):
        return False
    return bool(_COMPANION_START.search(full_title) or _COMPANION_ANYWHERE.search(full_title))


_COUNT = r"(?:\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten)"
_AGGREGATE = re.compile(
    r"\b(?:box(?:ed)? ?set|gift set|omnibus|complete (?:series|collection|set|trilogy|saga)"
    r"|(?:trilogy|series|saga|collection) (?:box|bundle|set)"
    rf"|(?:books|volumes|vols|novels) {_COUNT} (?:thru |through |to |and )?{_COUNT}"
    rf"|{_COUNT} (?:book|volume|novel) (?:set|bundle|collection|box))\b"
)

_AGGREGATE_WORDS = frozenset(
    "set boxset box bundle omnibus complete books volumes vols novels book volume novel".split()
)
"""Words one of which every title :func:`aggregate` accepts holds (a cheap test before the pattern)."""


def aggregate(full_title: str, words: Iterable[str] | None = None) -> bool:
    """Whether a normalized title (subtitle and brackets included) names several volumes gathered into one: a
    box set, an omnibus, a complete series, ``Books 1-3`` (*The Hunger Games Trilogy Boxed Set*). An aggregate
    is not any one of the volumes it holds, even when its title begins with theirs. ``words``: the title's words,
    when they are at hand."""
    if _AGGREGATE_WORDS.isdisjoint(full_title.split() if words is None else words):
        return False
    return bool(_AGGREGATE.search(full_title))
