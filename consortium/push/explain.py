"""The one-line reason of a ranked work, from the piece of evidence that weighed most
(:mod:`consortium.push.scoring`)."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from consortium.profiles.interest_keys import KeyKind, author_words, key_kind
from consortium.push.reasons import NO_REASON, Reason, also_borrowed, borrowed, matched, with_home
from consortium.text import match_text

if TYPE_CHECKING:
    from consortium.models import Cluster
    from consortium.push.index import NewWork
    from consortium.push.ranking import Taste

__all__ = ["explain"]


def _label(cluster: Cluster, key: str) -> str:
    """How a key reads in a reason: the class code, the subject or the author as catalogued."""
    kind = key_kind(key)
    if kind == "class":
        return key.split(":", 2)[2]
    if kind == "author":
        return _author_label(key.partition(":")[2], tuple(cluster.authors))
    return _subject_label(key.partition(":")[2], tuple(cluster.subjects))


@functools.lru_cache(maxsize=65536)
def _author_label(wanted: str, authors: tuple[str, ...]) -> str:
    """The author of ``authors`` whose name words are ``wanted``'s (worked out once for every reader it is
    pushed to)."""
    for name in authors:
        if " ".join(sorted(author_words(name))) == " ".join(sorted(wanted.split())):
            return name
    return wanted.title()


@functools.lru_cache(maxsize=65536)
def _subject_label(subject: str, headings: tuple[str, ...]) -> str:
    """The heading of ``headings`` that is ``subject``, as catalogued."""
    for heading in headings:
        if match_text(heading.replace("--", " ")) == match_text(subject.replace("--", " ")):
            return heading
    return subject


_KINDS: dict[str, KeyKind] = {"c": "class", "s": "subject", "a": "author"}


def _title_with(taste: Taste, key: str) -> str:
    """The title of the reader's latest borrowed work carrying ``key`` (empty when none does)."""
    return next((b.title for b in reversed(taste.borrowed) if key in b.keys), "")


def explain(work: NewWork, why: str, taste: Taste, member: str) -> Reason:
    """The one line saying why the work was chosen, from the piece of evidence that weighed most."""
    if why.startswith("borrowed:"):
        cluster_id = why.partition(":")[2]
        reason = borrowed(next((b.title for b in taste.borrowed if b.cluster_id == cluster_id), ""))
    elif why.startswith("coborrowed:"):
        cluster_id = why.partition(":")[2]
        reason = also_borrowed(next((b.title for b in taste.borrowed if b.cluster_id == cluster_id), ""))
    elif why.startswith("related:"):
        reason = also_borrowed(_title_with(taste, why.partition(":")[2]))
    elif why:
        reason = matched(_KINDS[why[0]], _label(work.cluster, why), declared=why in taste.declared)
    else:
        reason = NO_REASON
    return with_home(reason, on_shelf=member in work.available_at, held=member in work.members)
