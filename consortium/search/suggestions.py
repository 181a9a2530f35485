"""Help for a search that finds nothing: why, and what to try, each with the query to run and how many works it finds.

Computed only when a search finds nothing (:func:`search_with_suggestions`), so the common path pays nothing:

- ``spelling``: each word of the query (free text, or a fielded title/author/subject) that no work holds, and that
  the index holds a close term for (:meth:`~consortium.search.ports.SearchIndex.similar_terms`, the rule of
  :mod:`consortium.search.spelling`), replaced by that term: one suggestion with every such word replaced;
- ``any_field``: a fielded term (``title:``, ``author:``, ``subject:``, ``isbn:``) searched in every field;
- ``without_filter``: the same search without one of its filters (``member:``, ``format:``, ``language:``,
  ``class:``, ``year:``), for each filter in turn;
- ``without_filters``: without any filter, when there are several and dropping one alone finds nothing.

A word no work holds keeps any query from finding anything, so when the spelling was corrected the other
suggestions are made from the corrected query (their ``q`` carries the correction).

Each suggestion is written in the query language (:func:`query_string`) and counted by running exactly that query
(parsed back): only those that find something are given, the fielded terms first, then the filters (the most works
first); a spelling correction that finds works is given alone. A query the language cannot write (a subject-heading
filter, a first-seen period: set by the API's own routes, not typed) gets no suggestions.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final

from consortium.errors import ConsortiumError
from consortium.search.analysis import analyze_name, analyze_text
from consortium.search.document import TERM_FIELDS
from consortium.search.query import SearchQuery, SearchResult, Suggestion, parse_query_string
from consortium.search.spelling import best_correction, correctable

if TYPE_CHECKING:
    from collections.abc import Callable

    from consortium.search.ports import SearchIndex

__all__ = ["MAX_SPELLING_WORDS", "query_string", "search_with_suggestions", "suggestions"]

MAX_SPELLING_WORDS: Final = 8
"""The most words of one query checked for spelling (each costs a search and a term lookup)."""

_FIELDED: Final = (("title", "title_terms"), ("author", "authors_terms"), ("subject", "subjects_terms"))
_WORD: Final = re.compile(r"^(\W*)(.*?)(\W*)$", re.DOTALL)


def _quoted(name: str, value: str) -> str | None:
    """``name:value``, the value quoted when it has spaces; ``None`` when the language cannot write it."""
    if '"' in value or "\u201c" in value or "\u201d" in value:
        return None
    return f'{name}:"{value}"' if any(c.isspace() for c in value) else f"{name}:{value}"


def _filters(query: SearchQuery) -> list[tuple[str, dict[str, Any]]]:
    """The query's filters as the language writes them, each with the change that drops it."""
    found: list[tuple[str, dict[str, Any]]] = []
    listed = (
        ("member", "members", query.members),
        ("format", "formats", [f.value for f in query.formats]),
        ("language", "languages", query.languages),
        ("class", "classes", query.classes),
        ("class", "class_codes", query.class_codes),
    )
    for name, field, values in listed:
        if values:
            parts = [_quoted(name, value) for value in values]
            found.append((" ".join(p or "" for p in parts), {field: []}))
    if query.year_from is not None or query.year_to is not None:
        if query.year_from == query.year_to:
            years = str(query.year_from)
        else:
            years = f"{query.year_from if query.year_from is not None else ''}-{query.year_to or ''}"
        found.append((f"year:{years}", {"year_from": None, "year_to": None}))
    return found


def query_string(query: SearchQuery) -> str | None:
    """``query`` in the query language of :func:`~consortium.search.query.parse_query_string` (its page, sort and
    facets left out), or ``None`` when the language cannot write it (subject-heading filters, a first-seen period,
    a value with a double quote).

    Example
    -------
    >>> query_string(SearchQuery(text="deep", title="neural nets", formats=["ebook"], year_from=2010))
    'deep title:"neural nets" format:ebook year:2010-'
    """
    if query.subjects or query.first_seen_from is not None or query.first_seen_before is not None:
        return None
    parts = [query.text] if query.text else []
    for name in ("title", "author", "subject", "isbn"):
        value = getattr(query, name)
        if value:
            parts.append(_quoted(name, value) or "")
    parts.extend(written for written, _ in _filters(query))
    if not all(parts):
        return None
    return " ".join(parts)


class _Counter:
    """Counts the works a query string finds (its query parsed back, the first page of one hit, no facets)."""

    def __init__(self, index: SearchIndex) -> None:
        self.index = index

    def __call__(self, query: SearchQuery) -> tuple[str, int] | None:
        text = query_string(query)
        if text is None:
            return None
        try:
            parsed = parse_query_string(text, page_size=1)
        except ConsortiumError:
            return None
        return text, self.index.search(parsed).total


def _spelling(index: SearchIndex, query: SearchQuery, count: _Counter) -> tuple[SearchQuery, Suggestion | None]:
    """``query`` with every word no work holds that has a close term in the index replaced by it, and the
    suggestion to run it (``None`` when no word was replaced, or when the replaced query finds nothing either)."""
    checked = 0
    replaced: dict[str, str] = {}
    changes: dict[str, Any] = {}
    places: list[tuple[str, str, list[str], Callable[[str], list[str]]]] = [
        ("text", "", list(TERM_FIELDS), analyze_text)
    ]
    places += [
        (field, field, [terms], analyze_name if field == "author" else analyze_text) for field, terms in _FIELDED
    ]
    for attribute, fielded, fields, analyzer in places:
        value = getattr(query, attribute)
        if not value:
            continue
        words = value.split()
        here = len(replaced)
        for position, word in enumerate(words):
            terms = analyzer(word)
            if len(terms) != 1 or not correctable(terms[0]) or checked >= MAX_SPELLING_WORDS:
                continue
            checked += 1
            alone = SearchQuery(page_size=1, **{attribute: word})
            if index.search(alone).total:
                continue  # the index holds the word: not a spelling matter
            correction = best_correction(terms[0], index.similar_terms(terms[0], fields))
            if correction is None:
                continue
            before, _, after = _WORD.match(word).groups()  # type: ignore[union-attr]  # the pattern matches anything
            words[position] = f"{before}{correction}{after}"
            replaced[f"{fielded}:{word}" if fielded else word] = correction
        if len(replaced) > here:
            changes[attribute] = " ".join(words)
    if not changes:
        return query, None
    corrected = query.model_copy(update=changes)
    counted = count(corrected)
    if counted is None or not counted[1]:
        return corrected, None
    text, works = counted
    change, replacement = " ".join(replaced), " ".join(replaced.values())
    return corrected, Suggestion(
        kind="spelling",
        q=text,
        count=works,
        change=change,
        replacement=replacement,
        message=f"No work holds {change}; did you mean {replacement}? ({works} found)",
    )


def suggestions(index: SearchIndex, query: SearchQuery) -> list[Suggestion]:
    """What to try instead of ``query`` (see the module notes); empty when nothing helps or the query language
    cannot write ``query``."""
    if query_string(query) is None:
        return []
    count = _Counter(index)
    found: list[Suggestion] = []
    # A word no work holds keeps every other change from finding anything: they are tried on the respelt query.
    query, spelling = _spelling(index, query, count)
    if spelling is not None:
        return [spelling]  # it finds works: widening it is not help for an empty result
    for name in ("title", "author", "subject", "isbn"):
        value = getattr(query, name)
        counted = (
            count(query.model_copy(update={name: None, "text": f"{query.text} {value}".strip()})) if value else None
        )
        if value and counted is not None and counted[1]:
            change = _quoted(name, value) or name
            found.append(
                Suggestion(
                    kind="any_field",
                    q=counted[0],
                    count=counted[1],
                    change=change,
                    replacement=value,
                    message=f"No work matches {change}; in any field, {value!r} finds {counted[1]}",
                )
            )
    filters = _filters(query)
    dropped: list[Suggestion] = []
    for written, drop in filters:
        counted = count(query.model_copy(update=drop))
        if counted is not None and counted[1]:
            message = f"Nothing matches with {written}; without it, {counted[1]} found"
            dropped.append(
                Suggestion(kind="without_filter", q=counted[0], count=counted[1], change=written, message=message)
            )
    found.extend(sorted(dropped, key=lambda s: -s.count))
    if len(filters) > 1 and not dropped:
        everything: dict[str, Any] = {}
        for _, drop in filters:
            everything.update(drop)
        counted = count(query.model_copy(update=everything))
        if counted is not None and counted[1]:
            written = " ".join(w for w, _ in filters)
            message = f"Nothing matches with {written}; without these filters, {counted[1]} found"
            found.append(
                Suggestion(kind="without_filters", q=counted[0], count=counted[1], change=written, message=message)
            )
    return found


def search_with_suggestions(index: SearchIndex, query: SearchQuery) -> SearchResult:
    """``index.search(query)``, and when it finds nothing, :func:`suggestions` in the result.

    Example
    -------
    >>> result = search_with_suggestions(index, parse_query_string("deep lerning format:map"))
    >>> [(s.kind, s.q, s.count) for s in result.suggestions]
    [('without_filter', 'deep learning', 2)]
    """
    result = index.search(query)
    if result.total == 0:
        result.suggestions = suggestions(index, query)
    return result
