"""Work groups: the editions and translations of one work, as a union catalogue shows "other editions" (the second
level of DESIGN's data rules, as WorldCat's "group editions" and Primo's FRBR groups have it).

Clusters are manifestations: one edition, from every member that has it. Two clusters are one work when their
:func:`work_key` is equal: the words of the work's title (the uniform or original title when the record gives one,
MARC21 240/130 or UNIMARC 500/454, so a translation groups with its original; else the title proper) with bracketed
qualifiers and a leading article dropped and the subtitle left out (editions keep the title but often change the
subtitle), and the first author's family name. A work without an author is grouped by title alone only when the
title has at least :data:`MIN_TITLE_WORDS` words (``Poems`` by nobody is not one work).

The :func:`work_id` is a digest of the key: it depends on the cluster's merged fields only, never on which
cluster came first, so the same records give the same work ids whatever order they arrived in.

Not grouped: a translation whose record gives no original title, and one whose original is catalogued in another
script (a Chinese translation's 科尔曼 is not Cormen; 三体 is not *San ti*): that takes authority data.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Final

from consortium.text import core_title, surname_key, title_tokens

if TYPE_CHECKING:
    from collections.abc import Sequence

    from consortium.models import Cluster

__all__ = [
    "MIN_TITLE_WORDS",
    "cluster_work_id",
    "cluster_work_key",
    "is_translated",
    "with_work_id",
    "work_id",
    "work_key",
]

MIN_TITLE_WORDS: Final = 3
"""The fewest title words that group works with no author."""


def work_key(
    title: str, authors: list[str], uniform_title: str | None = None, title_words: Sequence[str] | None = None
) -> str | None:
    """The key shared by the editions and translations of one work; ``None`` when the title and author say too
    little to group. ``title_words``: ``title_tokens(core_title(title))`` when the caller has them.

    Examples
    --------
    >>> work_key("The art of computer programming", ["Knuth, Donald E."])
    'art of computer programming|knuth'
    >>> work_key("Art of computer programming [electronic resource]", ["Donald E. Knuth"])
    'art of computer programming|knuth'
    >>> work_key("Die Struktur wissenschaftlicher Revolutionen", ["Kuhn, Thomas S."],
    ...          uniform_title="Structure of scientific revolutions")
    'structure of scientific revolutions|kuhn'
    """
    words = title_tokens(core_title(uniform_title)) if uniform_title else []
    if not words:
        words = title_tokens(core_title(title)) if title_words is None else list(title_words)
    if not words:
        return None
    family = surname_key(authors[0]) if authors else ""
    if not family and len(words) < MIN_TITLE_WORDS:
        return None
    return f"{' '.join(words)}|{family}"


def work_id(key: str | None) -> str | None:
    """The work group's id for a :func:`work_key`: ``w`` and 20 hex digits of its SHA-256 (``None`` for none).

    Example
    -------
    >>> work_id("art of computer programming|knuth")
    'w...'
    """
    if key is None:
        return None
    return "w" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]


def cluster_work_key(cluster: Cluster) -> str | None:
    """The work key of a cluster (its merged title, uniform title and authors)."""
    return work_key(cluster.title, cluster.authors, cluster.uniform_title)


def cluster_work_id(cluster: Cluster) -> str | None:
    """The work id of a cluster, computed from its merged fields."""
    return work_id(cluster_work_key(cluster))


def with_work_id(cluster: Cluster) -> Cluster:
    """The cluster with its work id: as stored, or computed for a cluster stored before work groups."""
    if cluster.work_id is not None:
        return cluster
    found = cluster_work_id(cluster)
    return cluster if found is None else cluster.model_copy(update={"work_id": found})


def is_translated(cluster: Cluster) -> bool:
    """Whether the cluster's record names an original title other than its own (a translation, usually)."""
    if not cluster.uniform_title:
        return False
    return title_tokens(core_title(cluster.uniform_title)) != title_tokens(core_title(cluster.title))
