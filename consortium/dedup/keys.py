"""Candidate keys for blocking: records that share a key are compared by the matcher; others never are."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from consortium.dedup.features import MatchView

__all__ = ["TITLE_KEY_TOKENS", "blocking_keys", "title_key"]

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
