"""Work groups: the editions of one work, as a union catalogue shows "other editions" (the second level of
DESIGN's data rules, as WorldCat's "group editions" and Primo's FRBR groups have it).

Clusters are manifestations: one edition, from every member that has it. Two clusters are editions of one work
when their :func:`work_key` is equal: the title's words (bracketed qualifiers and a leading article dropped, the
subtitle left out: editions keep the title but often change the subtitle) and the first author's family name. A
work without an author is grouped by title alone only when the title has at least :data:`MIN_TITLE_WORDS` words
(``Poems`` by nobody is not one work).

What is not grouped here: translations, whose titles differ (that takes the original title a record carries,
MARC 240 or UNIMARC 500, which the normalizers do not keep yet).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from consortium.text import core_title, surname_key, title_tokens

if TYPE_CHECKING:
    from consortium.models import Cluster

__all__ = ["MIN_TITLE_WORDS", "cluster_work_key", "work_key"]

MIN_TITLE_WORDS: Final = 3
"""The fewest title words that group works with no author."""


def work_key(title: str, authors: list[str]) -> str | None:
    """The key shared by the editions of one work; ``None`` when the title and author say too little to group.

    Examples
    --------
    >>> work_key("The art of computer programming", ["Knuth, Donald E."])
    'art of computer programming|knuth'
    >>> work_key("Art of computer programming [electronic resource]", ["Donald E. Knuth"])
    'art of computer programming|knuth'
    """
    words = title_tokens(core_title(title))
    if not words:
        return None
    family = surname_key(authors[0]) if authors else ""
    if not family and len(words) < MIN_TITLE_WORDS:
        return None
    return f"{' '.join(words)}|{family}"


def cluster_work_key(cluster: Cluster) -> str | None:
    """The work key of a cluster (its merged title and authors)."""
    return work_key(cluster.title, cluster.authors)
