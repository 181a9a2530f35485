"""What a search gives back: a page of hits, the total, facet counts, and what to try when nothing was found.

The models are re-exported by :mod:`consortium.search.query`, where callers have always imported them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from consortium.models import ResourceFormat

__all__ = ["FacetCount", "SearchHit", "SearchResult", "Suggestion", "SuggestionKind"]


class SearchHit(BaseModel):
    """One cluster in the results, with what a result list shows."""

    model_config = ConfigDict(extra="forbid")

    cluster_id: str
    score: float | None
    """The relevance score when sorted by relevance (comparable only within one result); else ``None``."""
    title: str
    authors: list[str] = Field(default_factory=list)
    year: int | None = None
    format: ResourceFormat
    language: str | None = None
    """The language code as catalogued, lower case (``eng``, ``chi``)."""
    members: list[str] = Field(default_factory=list)
    first_seen: AwareDatetime | None = None
    """When the consortium first had the work (in UTC)."""
    classes: list[str] = Field(default_factory=list)
    """The work's classes as catalogued, with their scheme (``clc:TP312``)."""
    work_id: str | None = None
    """The work group this edition belongs to (its other editions and translations share it: search them with
    ``work:<id>``); ``None`` when the title and author say too little to group."""
    work_size: int | None = None
    """How many works (editions and translations, this one included) the work group holds, where the search
    service counted them (:func:`consortium.editions.count_work_groups`: the API's search does); else ``None``."""


class FacetCount(BaseModel):
    """How many matches have this value (``value`` is a member id, format, language, year, class or subject)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: str
    count: int


SuggestionKind = Literal["without_filter", "without_filters", "any_field", "spelling"]


class Suggestion(BaseModel):
    """Something to try when a search finds nothing (see :mod:`consortium.search.suggestions`): the query to run
    (``q``, in the query language of :func:`parse_query_string`) and how many works it finds."""

    model_config = ConfigDict(extra="forbid")

    kind: SuggestionKind
    """``without_filter``: the same search without one filter; ``without_filters``: without any; ``any_field``: a
    fielded term searched in every field; ``spelling``: words the index does not hold replaced by close ones it
    does."""
    q: str
    count: int
    change: str
    """What changes, as the query language writes it: the filter dropped (``format:ebook``), the fielded term
    (``title:"deep learning"``), or the words replaced (``algoritms``)."""
    replacement: str | None = None
    """What takes its place: the words searched in any field, or the spelling; ``None`` for a dropped filter."""
    message: str
    """The suggestion in English, for people (a portal may phrase ``kind``, ``change`` and ``replacement`` in its
    own languages)."""


class SearchResult(BaseModel):
    """One page of results, the total number of matches, and the facet counts over all matches; for an empty
    result, what to try instead (``suggestions``)."""

    model_config = ConfigDict(extra="forbid")

    total: int
    hits: list[SearchHit]
    facets: dict[str, list[FacetCount]] = Field(default_factory=dict)
    page: int
    page_size: int
    suggestions: list[Suggestion] = Field(default_factory=list)
    """Only when nothing was found (``total`` 0), and only from the services that compute them
    (:func:`~consortium.search.suggestions.search_with_suggestions`); a search index alone leaves them empty."""

    @property
    def pages(self) -> int:
        return (self.total + self.page_size - 1) // self.page_size
