"""The index document: the one flat shape every search adapter indexes a :class:`~consortium.models.Cluster` as.

Display and keyword fields keep the cluster's values; the ``*_terms`` fields are the analyzed companions
(:mod:`consortium.search.analysis`) that free text and fielded search match, term by term, with a whitespace
tokenizer. Keyword fields (members, format, language, class_top, class_chain, subjects, work_id) are what filters
and facets use; ``class_tree`` is what the class browse counts (:func:`class_edges`); ``first_seen_us`` (an
integer, exact to the microsecond in every engine) is what the first-seen range and the ``newest`` sort use.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from consortium.classification import InvalidClassCodeError, class_lineage
from consortium.harvest.identifiers import isbn10_form
from consortium.models import Classification, ClassScheme, IdentifierScheme
from consortium.search.analysis import analyze_name, analyze_text
from consortium.text import title_tokens

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from consortium.models import Cluster

__all__ = [
    "FACET_FIELDS",
    "MAX_CLASS_CHILDREN",
    "TERM_FIELDS",
    "child_counts",
    "class_chains",
    "class_edges",
    "class_top",
    "epoch_microseconds",
    "from_epoch_microseconds",
    "index_document",
    "isbn_forms",
    "title_sort_key",
]

TERM_FIELDS: Final[dict[str, float]] = {
    "title_terms": 3.0,
    "authors_terms": 2.0,
    "subjects_terms": 1.0,
    "publisher_terms": 1.0,
}
"""The analyzed fields free text is matched against, with the boost of a match in each."""

FACET_FIELDS: Final[dict[str, str]] = {
    "member": "members",
    "format": "format",
    "language": "language",
    "year": "year",
    "class": "class_top",
    "subject": "subjects",
}
"""Facet name (as a :class:`~consortium.search.query.SearchQuery` names it) to document field."""


def class_top(classification: Classification) -> str | None:
    """The top class of a classification, with its scheme: ``clc:T`` for CLC ``TP312`` (the first letter),
    ``lcc:Q`` for LCC ``QA76.73`` (the main class, its first letter), ``ddc:000`` for Dewey ``005.133`` (the
    hundreds), ``udc:0`` for UDC ``004.42`` (the first digit); ``None`` when the code does not start as its scheme's
    do."""
    code = classification.code.strip().upper()
    scheme = classification.scheme
    top: str | None = None
    if scheme in (ClassScheme.CLC, ClassScheme.LCC) and code[:1].isalpha() and code[:1].isascii():
        top = code[0]
    elif scheme is ClassScheme.DDC and code[:1].isdigit():
        top = f"{code[0]}00"
    elif scheme is ClassScheme.UDC and code[:1].isdigit():
        top = code[0]
    return f"{scheme.value}:{top}" if top else None


def class_chains(classifications: Iterable[Classification]) -> list[str]:
    """Every class the work is in, at every depth, with its scheme: each code's lineage (:func:`~consortium.
    classification.class_lineage`: ``clc:TP312``, ``clc:TP31``, ``clc:TP3``, ``clc:TP``, ``clc:T``; LCC ``QA76.73``
    up to its main class ``lcc:Q``) and its :func:`class_top`. A filter on any of these finds the work. A code that
    doesn't parse in its scheme gives its top class only (as the facet has it).

    Example
    -------
    >>> class_chains([Classification(scheme=ClassScheme.DDC, code="005.13")])
    ['ddc:005.13', 'ddc:005.1', 'ddc:005', 'ddc:000']
    """
    return _unique([key for c in classifications for key in _class_keys(c.scheme, c.code).chain])


def class_edges(classifications: Iterable[Classification]) -> list[str]:
    """The steps of the class tree the work is under: ``<scheme>:<class>><subclass>`` for each class of its
    lineage and the one below it, and ``<scheme>:><main class>`` from the scheme's root. The works under a class
    that hold ``clc:T>TP`` are the works under TP: counting the edges that start ``clc:T>`` gives the classes right
    under T with their works, whatever the depth of the tree below (the class browse). A code that doesn't parse
    gives the root edge of its top class only.

    Example
    -------
    >>> class_edges([Classification(scheme=ClassScheme.CLC, code="TP31")])
    ['clc:TP3>TP31', 'clc:TP>TP3', 'clc:T>TP', 'clc:>T']
    """
    return _unique([key for c in classifications for key in _class_keys(c.scheme, c.code).edges])


class _ClassKeys(NamedTuple):
    """What one classification gives a work's document (see :func:`_class_keys`)."""

    code: str
    top: str | None
    chain: tuple[str, ...]
    edges: tuple[str, ...]


@lru_cache(maxsize=16_384)
def _class_keys(scheme: ClassScheme, code: str) -> _ClassKeys:
    """One classification's ``class_codes`` entry, :func:`class_top`, :func:`class_chains` and :func:`class_edges`
    (before duplicates are removed), worked out once for every work that has it: a catalogue has far fewer
    classes than works."""
    classification = Classification(scheme=scheme, code=code)
    top = class_top(classification)
    prefix = scheme.value
    try:
        lineage = class_lineage(scheme, code)
    except InvalidClassCodeError:
        chain = [top] if top else []
        tree = [top.partition(":")[2]] if top else []
    else:
        chain = [f"{prefix}:{c}" for c in lineage]
        if top:
            chain.append(top)
        tree = lineage
    parents = [*tree[1:], ""]
    edges = tuple(f"{prefix}:{parent}>{child}" for child, parent in zip(tree, parents, strict=False))
    return _ClassKeys(f"{prefix}:{code.strip()}", top, tuple(chain), edges)


MAX_CLASS_CHILDREN: Final = 2000
"""The most classes the class browse gives under one class (those with the most works): more than any class of the
labelled levels has, and than a union catalogue holds right under one class below them."""


def child_counts(parent: str, edge_counts: Mapping[str, int]) -> dict[str, int]:
    """From how many works hold each ``class_tree`` edge out of ``parent`` (``clc:T>TP``: 12), the classes right
    under ``parent`` with their works (``clc:TP``: 12): the :data:`MAX_CLASS_CHILDREN` with the most, ties by code.
    Edges out of other classes are ignored."""
    scheme, prefix = parent.partition(":")[0], f"{parent}>"
    found = {f"{scheme}:{edge[len(prefix) :]}": n for edge, n in edge_counts.items() if edge.startswith(prefix) and n}
    ranked = sorted(found.items(), key=lambda item: (-item[1], item[0]))[:MAX_CLASS_CHILDREN]
    return dict(ranked)


_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = timedelta(microseconds=1)


def epoch_microseconds(moment: datetime) -> int:
    """``moment`` as whole microseconds since 1970-01-01 UTC (a naive time counts as UTC), computed exactly (no
    float): what ranges and the ``newest`` sort compare, alike in every engine."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return (aware - _EPOCH) // _MICROSECOND


def from_epoch_microseconds(value: int) -> datetime:
    """The UTC instant :func:`epoch_microseconds` gave ``value`` for."""
    return _EPOCH + value * _MICROSECOND


def isbn_forms(isbn13: str) -> list[str]:
    """The ISBN-13 and, for a ``978`` ISBN, its ISBN-10 form, so that a reader may type either."""
    forms = [isbn13]
    if isbn13.startswith("978") and len(isbn13) == 13:
        forms.append(isbn10_form(isbn13))
    return forms


def title_sort_key(title: str) -> str:
    """What titles sort by: the normalized title without a leading article (``The art of...`` under ``art``)."""
    return " ".join(title_tokens(title)) or title.casefold()


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def index_document(cluster: Cluster) -> dict[str, Any]:
    """The flat document for ``cluster``, as every adapter indexes it.

    Fields: ``cluster_id``; ``title`` (title and subtitle, ISBD ``" : "`` between them), ``title_sort``;
    ``authors``; ``subjects``; ``publisher``; ``isbns`` (ISBN-13 and ISBN-10 forms); ``issns``; ``year``;
    ``language``; ``format``; ``members``; ``class_codes`` (``clc:TP312``, as catalogued); ``class_top``
    (``clc:T``); ``class_chain`` (every class the work is in, at every depth: :func:`class_chains`); ``class_tree``
    (the steps of the class tree down to its classes: :func:`class_edges`); ``first_seen``
    (ISO 8601) and ``first_seen_us`` (:func:`epoch_microseconds`); ``work_id`` (the work group, a keyword: its
    editions and translations share it); and the analyzed ``title_terms``,
    ``authors_terms``, ``subjects_terms``, ``publisher_terms`` (space-separated terms). Absent values are ``None``
    or empty lists.

    Example
    -------
    >>> index_document(cluster)["title_terms"]
    '深 深度 度 度学 学 学习 习'
    """
    title = cluster.title.strip()
    if cluster.subtitle and cluster.subtitle.strip():
        title = f"{title} : {cluster.subtitle.strip()}"
    isbns: list[str] = []
    issns: list[str] = []
    for identifier in cluster.identifiers:
        if identifier.scheme is IdentifierScheme.ISBN:
            isbns.extend(isbn_forms(identifier.value))
        elif identifier.scheme is IdentifierScheme.ISSN:
            issns.append(identifier.value)
    authors = _unique([a.strip() for a in cluster.authors])
    subjects = _unique([s.strip() for s in cluster.subjects])
    publisher = cluster.publisher.strip() if cluster.publisher else None
    classes = [_class_keys(c.scheme, c.code) for c in cluster.classifications]
    return {
        "cluster_id": cluster.cluster_id,
        "title": title,
        "title_sort": title_sort_key(title),
        "title_terms": " ".join(analyze_text(title, join_runs=True)),
        "authors": authors,
        "authors_terms": " ".join(term for a in authors for term in analyze_name(a, join_runs=True)),
        "subjects": subjects,
        "subjects_terms": " ".join(term for s in subjects for term in analyze_text(s, join_runs=True)),
        "publisher": publisher,
        "publisher_terms": " ".join(analyze_text(publisher, join_runs=True)) if publisher else "",
        "isbns": _unique(isbns),
        "issns": _unique(issns),
        "year": cluster.year,
        "language": cluster.language.strip().lower() if cluster.language else None,
        "format": cluster.format.value,
        "members": cluster.members,
        "class_codes": _unique([keys.code for keys in classes]),
        "class_top": _unique([keys.top for keys in classes if keys.top]),
        "class_chain": _unique([key for keys in classes for key in keys.chain]),
        "class_tree": _unique([key for keys in classes for key in keys.edges]),
        "first_seen": cluster.first_seen.isoformat(),
        "first_seen_us": epoch_microseconds(cluster.first_seen),
        "work_id": cluster.work_id,
    }
