"""Candidate keys for blocking: records that share a key are compared by the matcher; others never are."""

from __future__ import annotations

from typing import TYPE_CHECKING

from consortium.models import IdentifierScheme
from consortium.text import core_title, surname_key, title_tokens

if TYPE_CHECKING:
    from collections.abc import Sequence

    from consortium.dedup.features import MatchView
    from consortium.models import Record

_NO_IDS: tuple[frozenset[str], frozenset[str], frozenset[str]] = (frozenset(), frozenset(), frozenset())
_STRONG = (IdentifierScheme.OCLC, IdentifierScheme.LCCN, IdentifierScheme.DOI)


def identifier_sets(record: Record) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """The record's ISBNs, ISSNs, and OCLC, LCCN and DOI numbers (each prefixed by its scheme), in one pass."""
    if not record.identifiers:
        return _NO_IDS
    isbns, issns, strong = [], [], []
    for identifier in record.identifiers:
        scheme = identifier.scheme
        if scheme is IdentifierScheme.ISBN:
            isbns.append(identifier.value)
        elif scheme is IdentifierScheme.ISSN:
            issns.append(identifier.value)
        elif scheme in _STRONG:
            strong.append(f"{scheme.value}:{identifier.value}")
    return frozenset(isbns), frozenset(issns), frozenset(strong)


__all__ = ["TITLE_KEY_TOKENS", "blocking_keys", "identifier_sets", "record_keys", "title_key"]

TITLE_KEY_TOKENS = 4
INITIALS_MIN_WORDS = 5
"""Titles of at least this many words also get a key of their words' initials (a typo inside a word)."""
INITIALS_WORDS = 8


def title_key(view: MatchView) -> str:
    """The first words of the title (Chinese characters count as words), without a leading article."""
    return "t:" + " ".join(view.tokens[:TITLE_KEY_TOKENS])


def _text_keys(title: str, first_author: str, tokens: Sequence[str] | None = None) -> list[str]:
    """The title keys: its first words; its first words without bracketed words (``[Review] Deep learning``);
    the initials of its first eight words when it has five or more (``Secure bufering in firm...``); the first
    author's family name with the title's two longest words (a title whose first words differ)."""
    if tokens is None:
        tokens = title_tokens(title)
    if not tokens:
        return []
    keys = ["t:" + " ".join(tokens[:TITLE_KEY_TOKENS])]
    core = tokens
    if "(" in title or "[" in title or "（" in title:
        core = title_tokens(core_title(title)) or tokens
        if core[:TITLE_KEY_TOKENS] != tokens[:TITLE_KEY_TOKENS]:
            keys.append("t:" + " ".join(core[:TITLE_KEY_TOKENS]))
    if len(core) >= INITIALS_MIN_WORDS:
        keys.append("i:" + "".join(w[0] for w in core[:INITIALS_WORDS]))
    if first_author and (family := surname_key(first_author)):
        first = second = ""
        for word in core:  # the two longest words (the alphabetically first of equally long ones)
            if (len(word), second) > (len(second), word) and word != first:
                if (len(word), first) > (len(first), word):
                    first, second = word, first
                else:
                    second = word
        keys.append(f"a:{family}|{' '.join(sorted(w for w in (first, second) if w))}")
    return keys


def blocking_keys(view: MatchView) -> list[str]:
    """Identifier keys (ISBN-13, ISSN, OCLC, LCCN, DOI), then the title keys."""
    keys = [f"isbn:{v}" for v in sorted(view.isbns)]
    keys += [f"issn:{v}" for v in sorted(view.issns)]
    keys += sorted(view.strong_ids)
    keys += _text_keys(view.raw_title, view.first_author, view.tokens)
    return keys


def record_keys(record: Record, tokens: Sequence[str] | None = None) -> list[str]:
    """The same keys as ``blocking_keys(match_view(record))``, without building the whole view (cheaper, for
    bulk clustering, where most records share no key with any other and are never compared); ``tokens``: the
    title's :func:`~consortium.text.title_tokens` when the caller has them."""
    keys: list[str] = []
    if record.identifiers:
        isbns, issns, strong = identifier_sets(record)
        keys += [f"isbn:{v}" for v in sorted(isbns)]
        keys += [f"issn:{v}" for v in sorted(issns)]
        keys += sorted(strong)
    keys += _text_keys(record.title, record.authors[0] if record.authors else "", tokens)
    return keys
