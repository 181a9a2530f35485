"""Browsing the class trees of CLC, LCC and Dewey: the classes right under a class (or a scheme's main classes),
each with its label in English and Chinese where the scheme's top levels have one, and how many works of the index
are under it — the tree of the portal's new books by class (新书通报) and of a reader's interests.

The tree is :func:`~consortium.classification.class_lineage`'s: CLC one digit a level (T, TP, TP3, TP31...), LCC
main class, subclass, number, decimal (Q, QA, QA76, QA76.73), Dewey class, division, section, one decimal a level
(500, 510, 512, 512.5). Each class is also a search filter: ``class:clc:TP3`` in a query, ``/new-books?class=clc:TP3``
find the works counted under it.

Labels come from ``consortium/class_labels.json`` (:func:`~consortium.classification.labelled_classes`): every
labelled class under the class asked for is listed, with 0 when no work is under it; below the labelled levels the
classes listed are those the index holds works under, by code alone.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

import pydantic
from pydantic import AwareDatetime, BaseModel, ConfigDict

from consortium.classification import (
    InvalidClassCodeError,
    class_label,
    class_lineage,
    class_parent,
    labelled_classes,
)
from consortium.errors import ValidationError
from consortium.models import ClassScheme
from consortium.search.query import SearchQuery

if TYPE_CHECKING:
    from datetime import datetime

    from consortium.search.ports import SearchIndex

__all__ = ["BrowsedScheme", "ClassNode", "ClassTree", "browse_classes", "class_sort_key", "new_books_query"]

BrowsedScheme = Literal["clc", "lcc", "ddc"]

_LCC_PARTS = re.compile(r"([A-Z]+)([0-9]*)(?:\.([0-9]+))?")


class ClassLabel(BaseModel):
    """A class's name in English and Chinese."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    en: str
    zh: str


class ClassNode(BaseModel):
    """A class of the tree: its code, the filter that finds its works, its label, and how many works are under it."""

    model_config = ConfigDict(extra="forbid")

    code: str
    """As the scheme writes it (``TP3``, ``QA76.73``, ``510``)."""
    key: str
    """With its scheme, as class filters take it (``clc:TP3``): ``class:clc:TP3`` in a query, or
    ``/new-books?class=clc:TP3``."""
    label: ClassLabel | None
    """For the labelled levels only (CLC's basic classes and T's subclasses, LCC's main classes, Dewey's classes
    and divisions); ``None`` below them."""
    count: int
    """The works under it, at any depth (only those of the period or library asked for, when one was)."""


class ClassTree(BaseModel):
    """The classes right under a class (or a scheme's main classes), in the scheme's order."""

    model_config = ConfigDict(extra="forbid")

    scheme: BrowsedScheme
    parent: ClassNode | None
    """The class asked for (``None``: the scheme's main classes were)."""
    path: list[ClassNode]
    """The classes from the main class down to the parent, for a breadcrumb trail (empty for the main classes)."""
    classes: list[ClassNode]
    since: AwareDatetime | None = None
    """Only works the consortium first had from this instant on are counted (``None``: every work)."""
    member: str | None = None
    """Only works this library holds are counted (``None``: every library's)."""


def class_sort_key(scheme: ClassScheme, code: str) -> tuple[str, int, str]:
    """How the scheme orders its classes: LCC by letters, then class number, then decimal (QA9 before QA76, QA76.6
    before QA76.73); CLC and Dewey as written (their digits are decimal fractions: TP301 before TP31)."""
    if scheme is ClassScheme.LCC and (parts := _LCC_PARTS.fullmatch(code)):
        return (parts[1], int(parts[2]) if parts[2] else -1, parts[3] or "")
    return (code, 0, "")


def _node(scheme: ClassScheme, code: str, count: int) -> ClassNode:
    found = class_label(scheme, code)
    label = ClassLabel(en=found.en, zh=found.zh) if found is not None else None
    return ClassNode(code=code, key=f"{scheme.value}:{code}", label=label, count=count)


def browse_classes(
    index: SearchIndex,
    scheme: BrowsedScheme,
    parent: str | None = None,
    *,
    since: datetime | None = None,
    member: str | None = None,
) -> ClassTree:
    """The classes right under ``parent`` of ``scheme`` (its main classes when ``None``), with their works.

    Parameters
    ----------
    index
        The search index whose works are counted (:meth:`~consortium.search.ports.SearchIndex.class_counts`).
    scheme, parent
        The tree and the class (any code of the scheme; normalized as class filters are: ``tp31`` is ``TP31``).
    since, member
        Count only the works the consortium first had from ``since`` on (the new books), or that ``member`` holds;
        every work when ``None``.

    Raises
    ------
    InvalidClassCodeError
        ``parent`` is not a code of ``scheme`` (``details["field"]`` is ``parent``).

    Example
    -------
    >>> tree = browse_classes(index, "clc", "T")
    >>> [(c.code, c.label.zh if c.label else None, c.count) for c in tree.classes][:2]
    [('TB', '一般工业技术', 0), ('TD', '矿业工程', 0)]
    """
    kind = ClassScheme(scheme)
    query = SearchQuery(first_seen_from=since, members=[member] if member else []) if since or member else None
    lineage: list[str] = []
    if parent is not None:
        try:
            lineage = class_lineage(kind, parent)
        except InvalidClassCodeError as exc:
            raise InvalidClassCodeError(
                f"field 'parent': {parent!r} is not a class code of {kind.value.upper()}", field="parent"
            ) from exc
    code = lineage[0] if lineage else None
    counts = index.class_counts(f"{kind.value}:{code or ''}", query)
    found = {key.partition(":")[2]: count for key, count in counts.items()}
    for labelled in labelled_classes(kind):
        if class_parent(kind, labelled) == code:
            found.setdefault(labelled, 0)
    classes = [_node(kind, child, found[child]) for child in sorted(found, key=lambda c: class_sort_key(kind, c))]
    path: list[ClassNode] = []
    if code is not None:
        for step in reversed(lineage):
            key = f"{kind.value}:{step}"
            within = query.model_copy(update={"page_size": 1, "facets": []}) if query is not None else SearchQuery()
            total = index.search(within.model_copy(update={"class_codes": [key], "page_size": 1})).total
            path.append(_node(kind, step, total))
    return ClassTree(
        scheme=scheme,
        parent=path[-1] if path else None,
        path=path,
        classes=classes,
        since=since,
        member=member or None,
    )


def new_books_query(class_code: str | None, member: str | None, since: datetime, page_size: int) -> SearchQuery:
    """The search for a new-books list (新书通报): the works of ``class_code`` (any depth, with its scheme) and
    ``member`` the consortium first had since ``since``, newest first; a bad class is refused naming ``class``."""
    try:
        return SearchQuery(
            class_codes=[class_code] if class_code is not None else [],
            members=[member] if member else [],
            first_seen_from=since,
            sort="newest",
            page_size=page_size,
        )
    except pydantic.ValidationError as exc:
        reason = "; ".join(error["msg"].removeprefix("Value error, ") for error in exc.errors())
        raise ValidationError(f"field 'class': {reason}") from exc
