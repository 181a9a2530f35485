"""What a reader asks of the search index, and what comes back: no backend's query language, only ours.

A :class:`SearchQuery` holds free text, fielded text (title, author, subject, ISBN), filters (members,
formats, languages, a year range, top classes, classes at any depth, subject headings, a period of first-seen
times), the facets wanted, the sort order, the page, and the reader's own library, whose holdings are boosted.
:func:`parse_query_string` reads the query box:
``title:深度学习 author:Goodfellow isbn:978-0-262-03561-3 class:clc:TP18 "free phrase" words``.
"""

from __future__ import annotations

import re
import shlex
from typing import TYPE_CHECKING, Literal

import pydantic
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from consortium.classification import class_chain
from consortium.errors import ValidationError
from consortium.models import ClassScheme, ResourceFormat
from consortium.search.analysis import analyze_name, analyze_text
from consortium.search.results import FacetCount, SearchHit, SearchResult, Suggestion, SuggestionKind

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "MAX_PAGE_SIZE",
    "MAX_RESULT_WINDOW",
    "WORK_ID",
    "FacetCount",
    "FacetName",
    "InvalidQueryError",
    "SearchHit",
    "SearchQuery",
    "SearchResult",
    "SortOrder",
    "Suggestion",
    "SuggestionKind",
    "parse_query_string",
]

FacetName = Literal["member", "format", "language", "year", "class", "subject"]
SortOrder = Literal["relevance", "year_desc", "year_asc", "title", "newest"]
"""``newest``: the works the consortium had last first (``first_seen`` descending); every sort but relevance
breaks ties by ``cluster_id``."""

MAX_PAGE_SIZE = 100
"""The most hits one page holds."""
MAX_RESULT_WINDOW = 10_000
"""How deep paging may go (``page * page_size``), as OpenSearch's default ``index.max_result_window``."""

_CLASS_TOP = {
    ClassScheme.CLC: re.compile(r"[A-Z]"),
    ClassScheme.LCC: re.compile(r"[A-Z]"),
    ClassScheme.DDC: re.compile(r"[0-9]00"),
    ClassScheme.UDC: re.compile(r"[0-9]"),
}


WORK_ID = re.compile(r"w[0-9a-f]{20}")
"""A work group's id (:func:`consortium.dedup.work_groups.work_id`)."""


class InvalidQueryError(ValidationError):
    """A search query is not valid; ``details["field"]`` names the field, and the message says why."""

    error_code = "invalid_query"


class SearchQuery(BaseModel):
    """A search: text, filters, facets, sort and page.

    Every filter narrows the results (values within one filter are alternatives); facets are counted over
    every match, not only the page. An empty query matches everything.

    Example
    -------
    >>> SearchQuery(text="深度学习", languages=["chi"], facets=["member"], boost_member="pku")
    """

    model_config = ConfigDict(extra="forbid")

    text: str = Field(default="", max_length=1000)
    """Free text, matched against titles, authors, subjects, publishers and ISBNs/ISSNs."""
    title: str | None = Field(default=None, max_length=1000)
    author: str | None = Field(default=None, max_length=1000)
    subject: str | None = Field(default=None, max_length=1000)
    isbn: str | None = Field(default=None, max_length=40)
    """An ISBN-13 or ISBN-10, hyphens allowed."""
    members: list[str] = Field(default_factory=list)
    formats: list[ResourceFormat] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    """ISO 639-2/B codes, as records carry them (``chi``, ``eng``)."""
    year_from: int | None = Field(default=None, ge=0, le=9999)
    year_to: int | None = Field(default=None, ge=0, le=9999)
    classes: list[str] = Field(default_factory=list)
    """Top classes with their scheme: ``clc:T`` (CLC first letter), ``lcc:Q`` (LCC main class: the first letter;
    a subclass such as ``lcc:QA`` is a :attr:`class_codes` value), ``ddc:500`` (Dewey hundreds), ``udc:5`` (UDC first
    digit)."""
    class_codes: list[str] = Field(default_factory=list, max_length=20)
    """Classes at any depth with their scheme (``clc:TP3``, ``lcc:QA76``, ``ddc:005.1``, ``udc:004.4``, or a top
    class): a work is found when one of its classes is that class or under it (CLC TP312 is under TP31, TP3, TP
    and T; see :func:`~consortium.classification.class_chain`). Codes are normalized (``clc:tp3121`` is
    ``clc:TP312.1``)."""
    subjects: list[str] = Field(default_factory=list)
    """Subject headings, exactly as the facet shows them."""
    works: list[str] = Field(default_factory=list, max_length=100)
    """Work group ids (``w`` and 20 hex digits): the editions and translations of these works."""
    first_seen_from: AwareDatetime | None = None
    """Only works the consortium first had at or after this instant."""
    first_seen_before: AwareDatetime | None = None
    """Only works the consortium first had before this instant (exclusive: ``first_seen_from`` and
    ``first_seen_before`` make a half-open period, so consecutive periods neither overlap nor leave a gap).
    Instants compare to the microsecond."""
    facets: list[FacetName] = Field(default_factory=list)
    sort: SortOrder = "relevance"
    page_size: int = Field(default=20, ge=1, le=MAX_PAGE_SIZE)
    page: int = Field(default=1, ge=1)
    """1-based."""
    boost_member: str | None = None
    """The reader's own library: its holdings rank higher among otherwise equal matches."""
    visible_members: list[str] | None = None
    """Only works held by one of these members match (the members whose holdings the reader may see: see
    :mod:`consortium.search.visibility`); ``None``: every work. Set by the hub, not read from the query box."""

    @field_validator("text", mode="after")
    @classmethod
    def _strip_text(cls, value: str) -> str:
        return value.strip()

    @field_validator("title", "author", "subject", "isbn", "boost_member", mode="after")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @field_validator("text", "title", "author", "subject", mode="after")
    @classmethod
    def _searchable(cls, value: str | None) -> str | None:
        """Text that gives no term (only punctuation, a backslash) would match every work: it is refused."""
        if value and not analyze_text(value) and not analyze_name(value):
            raise ValueError(f"{value!r} has no word to search for (only punctuation)")
        return value

    @field_validator("members", "subjects", mode="after")
    @classmethod
    def _strip_values(cls, values: list[str]) -> list[str]:
        return list(dict.fromkeys(v.strip() for v in values if v.strip()))

    @field_validator("languages", mode="after")
    @classmethod
    def _language_codes(cls, values: list[str]) -> list[str]:
        codes = [v.strip().lower() for v in values if v.strip()]
        for code in codes:
            if not re.fullmatch(r"[a-z]{3}", code):
                raise ValueError(f"{code!r} is not a three-letter ISO 639-2 language code")
        return list(dict.fromkeys(codes))

    @field_validator("works", mode="after")
    @classmethod
    def _work_ids(cls, values: list[str]) -> list[str]:
        ids = [v.strip().lower() for v in values if v.strip()]
        for value in ids:
            if not WORK_ID.fullmatch(value):
                raise ValueError(f"{value!r} is not a work id (w and 20 hex digits)")
        return list(dict.fromkeys(ids))

    @field_validator("classes", mode="after")
    @classmethod
    def _class_tops(cls, values: list[str]) -> list[str]:
        tops = []
        for value in values:
            scheme_name, _, top = value.strip().partition(":")
            try:
                scheme = ClassScheme(scheme_name.lower())
            except ValueError:
                known = ", ".join(s.value for s in ClassScheme)
                raise ValueError(f"{value!r} does not start with a scheme ({known}) and a colon") from None
            top = top.strip().upper()
            if not _CLASS_TOP[scheme].fullmatch(top):
                raise ValueError(f"{value!r} is not a top class of {scheme.value.upper()} (filter it as a class code)")
            tops.append(f"{scheme.value}:{top}")
        return list(dict.fromkeys(tops))

    @field_validator("class_codes", mode="after")
    @classmethod
    def _class_codes(cls, values: list[str]) -> list[str]:
        codes = []
        for value in values:
            scheme_name, _, code = value.strip().partition(":")
            try:
                scheme = ClassScheme(scheme_name.lower())
            except ValueError:
                known = ", ".join(s.value for s in ClassScheme)
                raise ValueError(f"{value!r} does not start with a scheme ({known}) and a colon") from None
            try:
                codes.append(f"{scheme.value}:{class_chain(scheme, code)[0]}")
            except ValidationError:
                raise ValueError(f"{value!r} is not a class code of {scheme.value.upper()}") from None
        return list(dict.fromkeys(codes))

    @field_validator("first_seen_before", mode="after")
    @classmethod
    def _period_order(cls, value: AwareDatetime | None, info: ValidationInfo) -> AwareDatetime | None:
        first = info.data.get("first_seen_from")
        if value is not None and first is not None and value <= first:
            raise ValueError(f"{value.isoformat()} is not after first_seen_from {first.isoformat()}")
        return value

    @field_validator("facets", mode="after")
    @classmethod
    def _unique_facets(cls, values: list[FacetName]) -> list[FacetName]:
        return list(dict.fromkeys(values))

    @field_validator("year_to", mode="after")
    @classmethod
    def _year_order(cls, value: int | None, info: ValidationInfo) -> int | None:
        first = info.data.get("year_from")
        if value is not None and first is not None and first > value:
            raise ValueError(f"{value} is before year_from {first}")
        return value

    @field_validator("page", mode="after")
    @classmethod
    def _result_window(cls, value: int, info: ValidationInfo) -> int:
        size = info.data.get("page_size")
        if size is not None and value * size > MAX_RESULT_WINDOW:
            raise ValueError(f"page x page_size may not exceed {MAX_RESULT_WINDOW} (page_size is {size})")
        return value

    @property
    def offset(self) -> int:
        """How many hits come before this page."""
        return (self.page - 1) * self.page_size

    @classmethod
    def from_params(cls, params: Mapping[str, object]) -> SearchQuery:
        """Validate ``params`` (a request's arguments) as a query.

        Raises
        ------
        InvalidQueryError
            Naming the first invalid field (``details["field"]``) and every problem in its message.
        """
        try:
            return cls.model_validate(dict(params))
        except pydantic.ValidationError as exc:
            raise _invalid(exc) from exc


def _invalid(exc: pydantic.ValidationError) -> InvalidQueryError:
    """The error naming each bad parameter as a client sends it (``formats``, not pydantic's ``formats.0``), with
    the position of a bad value in a list (``formats value 2``)."""
    problems = []
    described = []
    for error in exc.errors():
        names = [str(part) for part in error["loc"] if not isinstance(part, int)]
        positions = [part for part in error["loc"] if isinstance(part, int)]
        field = ".".join(names) or "query"
        where = field + "".join(f" value {position + 1}" for position in positions)
        message = error["msg"].removeprefix("Value error, ")
        problems.append((field, message))
        described.append(f"{where}: {message}")
    return InvalidQueryError(f"invalid search: {'; '.join(described)}", field=problems[0][0], problems=problems)


_FIELDED = {"title": "title", "author": "author", "subject": "subject", "isbn": "isbn"}
_LISTED = {
    "member": "members",
    "format": "formats",
    "language": "languages",
    "lang": "languages",
    "class": "classes",
    "heading": "subjects",
    "work": "works",
}
_PREFIX = re.compile(r"^([a-z]+):(.*)$", re.DOTALL | re.IGNORECASE)
_YEARS = re.compile(r"^(\d{1,4})?\s*(-)?\s*(\d{1,4})?$")


def parse_query_string(text: str, **params: object) -> SearchQuery:
    """Read what a reader typed in the query box.

    ``title:``, ``author:``, ``subject:`` and ``isbn:`` search one field; ``member:``, ``format:``, ``language:``
    (or ``lang:``), ``class:``, ``heading:`` (a subject heading exactly as the subject facet shows it) and ``work:``
    (a work group's id: its editions and translations) filter; ``year:2016`` or ``year:2010-2017`` (either end may
    be left open) limits the years. ``class:`` takes a class at any depth (``class:clc:TP312``,
    ``class:ddc:005.1``): when every ``class:`` value is a top class (``class:clc:T``) they filter
    :attr:`SearchQuery.classes`, as they always have; when one is deeper, all of them filter
    :attr:`SearchQuery.class_codes` (a top class finds the same works there), so several ``class:`` values stay
    alternatives. A value with spaces is quoted (``title:"deep learning"``); quoted phrases and other words are free
    text. A prefix we do not know (``C++:``) stays in the free text. ``params`` set the other fields (page, sort,
    facets...).

    Raises
    ------
    InvalidQueryError
        When a value is invalid (``year:abc``, ``format:scroll``), naming the field.

    Example
    -------
    >>> parse_query_string('title:深度学习 author:Goodfellow isbn:978-0-262-03561-3 "neural nets" 2016')
    SearchQuery(text='"neural nets" 2016', title='深度学习', author='Goodfellow', isbn='978-0-262-03561-3', ...)
    """
    fielded: dict[str, list[str]] = {}
    listed: dict[str, list[str]] = {}
    free: list[str] = []
    for word in _split(text):
        match = _PREFIX.match(word)
        name, value = (match.group(1).lower(), match.group(2)) if match else ("", word)
        if name in _FIELDED and value:
            fielded.setdefault(_FIELDED[name], []).append(value)
        elif name in _LISTED and value:
            listed.setdefault(_LISTED[name], []).append(value)
        elif name == "year" and value:
            params.update(_year_range(value))
        else:
            free.append(f'"{word}"' if " " in word else word)
    data: dict[str, object] = {"text": " ".join(free), **params}
    data.update({field: " ".join(values) for field, values in fielded.items()})
    if any(_deeper_class(value) for value in listed.get("classes", [])):
        listed["class_codes"] = listed.pop("classes")
    for field, values in listed.items():
        existing = data.get(field)
        data[field] = [*(existing if isinstance(existing, list) else []), *values]
    return SearchQuery.from_params(data)


def _deeper_class(value: str) -> bool:
    """Whether ``value`` names a class of a known scheme below its top class (``clc:TP3``, not ``clc:T``)."""
    scheme_name, _, code = value.strip().partition(":")
    try:
        scheme = ClassScheme(scheme_name.lower())
    except ValueError:
        return False
    return not _CLASS_TOP[scheme].fullmatch(code.strip().upper())


def _split(text: str) -> list[str]:
    """Words, with double-quoted phrases kept whole (an unbalanced quote is dropped)."""
    text = text.replace("\u201c", '"').replace("\u201d", '"')
    lexer = shlex.shlex(text, posix=True)
    lexer.whitespace_split = True
    lexer.quotes = '"'
    lexer.escape = ""
    lexer.commenters = ""
    try:
        return list(lexer)
    except ValueError:
        return _split(text.replace('"', " "))


def _year_range(value: str) -> dict[str, object]:
    match = _YEARS.match(value.strip())
    if match is None or not (match.group(1) or match.group(3)):
        raise InvalidQueryError(f"invalid search: year: {value!r} is not a year or a range of years", field="year")
    first, dash, last = match.groups()
    if dash is None:
        return {"year_from": int(first), "year_to": int(first)}
    return {"year_from": int(first) if first else None, "year_to": int(last) if last else None}
