"""Candidate keys for blocking: records that share a key are compared by the matcher; others never are."""

from __future__ import annotations

from typing import TYPE_CHECKING

from consortium.models import IdentifierScheme
from consortium.text import title_tokens

if TYPE_CHECKING:
    from consortium.dedup.features import MatchView
    from consortium.models import Record

_STRONG = (IdentifierScheme.OCLC, IdentifierScheme.LCCN, IdentifierScheme.DOI)

__all__ = ["TITLE_KEY_TOKENS", "blocking_keys", "record_keys", "title_key"]

TITLE_KEY_TOKENS = 4


def title_key(view: MatchView) -> str:
    """The first words of the title (Chinese characters count as words), without a leading article."""
    return "t:" + " ".join(view.tokens[:TITLE_KEY_TOKENS])


def blocking_keys(view: MatchView) -> list[str]:
    """Identifier keys (ISBN-13, ISSN, OCLC, LCCN, DOI), then the normalized title key."""
    keys = [f"isbn:{v}" for v in sorted(view.isbns)]
    keys += [f"issn:{v}" for v in sorted(view.issns)]
    keys += sorted(view.strong_ids)
    if view.tokens:
        keys.append(title_key(view))
    return keys


def record_keys(record: Record) -> list[str]:
    """The same keys as ``blocking_keys(match_view(record))``, without building the whole view (cheaper, for
    bulk clustering, where most records share no key with any other and are never compared)."""
    isbns = sorted({i.value for i in record.identifiers if i.scheme is IdentifierScheme.ISBN})
    issns = sorted({i.value for i in record.identifiers if i.scheme is IdentifierScheme.ISSN})
    keys = [f"isbn:{v}" for v in isbns] + [f"issn:{v}" for v in issns]
    keys += sorted({f"{i.scheme.value}:{i.value}" for i in record.identifiers if i.scheme in _STRONG})
    tokens = title_tokens(record.title)
    if tokens:
        keys.append("t:" + " ".join(tokens[:TITLE_KEY_TOKENS]))
    return keys
