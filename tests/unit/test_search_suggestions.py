"""Help for an empty search: another spelling from the index's own terms, a fielded term in any field, the search
without each filter; each suggestion's query runs as written and finds what its count says."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from search_corpus import corpus

from consortium.adapters.memory import InMemorySearchIndex
from consortium.search import SearchQuery, parse_query_string
from consortium.search.suggestions import query_string, search_with_suggestions

if TYPE_CHECKING:
    from consortium.search import SearchResult


class CountingIndex(InMemorySearchIndex):
    """The in-memory index, counting the searches asked of it."""

    def __init__(self) -> None:
        super().__init__()
        self.searches = 0

    def search(self, query: SearchQuery) -> SearchResult:
        self.searches += 1
        return super().search(query)


@pytest.fixture
def index() -> CountingIndex:
    built = CountingIndex()
    built.upsert(corpus())
    return built


def ask(index: CountingIndex, text: str) -> list[tuple[str, str, int]]:
    result = search_with_suggestions(index, parse_query_string(text))
    assert result.total == 0
    for suggestion in result.suggestions:  # each query runs as written, and finds what its count says
        assert index.search(parse_query_string(suggestion.q)).total == suggestion.count > 0
    return [(s.kind, s.q, s.count) for s in result.suggestions]


def test_a_search_that_finds_works_asks_nothing_more(index: CountingIndex) -> None:
    result = search_with_suggestions(index, parse_query_string("deep learning format:ebook"))
    assert result.total == 1 and result.suggestions == []
    assert index.searches == 1


def test_a_misspelt_word_is_respelt_from_the_index_terms(index: CountingIndex) -> None:
    assert ask(index, "pyhton") == [("spelling", "python", 2)]
    assert ask(index, "algoritms") == [("spelling", "algorithm", 3)]  # the stemmed term: algorithms too
    assert ask(index, "introduction algoritms") == [("spelling", "introduction algorithm", 1)]
    found = search_with_suggestions(index, parse_query_string("title:lerning author:goodfelow")).suggestions
    assert [(s.q, s.change, s.replacement) for s in found] == [
        ("title:learning author:goodfellow", "title:lerning author:goodfelow", "learning goodfellow")
    ]
    assert "did you mean learning goodfellow" in found[0].message


def test_a_word_the_index_holds_is_not_respelt(index: CountingIndex) -> None:
    # "deep" and "unicorns": no work holds unicorn, and nothing is close to it; deep alone is found.
    assert ask(index, "deep unicorns") == []
    assert ask(index, "zzyzx") == []
    assert ask(index, "三体 深度") == []  # Chinese is not respelt


def test_each_filter_is_dropped_in_turn_with_its_count(index: CountingIndex) -> None:
    assert ask(index, "python format:video member:mit") == [("without_filter", "python member:mit", 1)]
    assert ask(index, "deep member:ntu format:ebook") == [("without_filter", "deep format:ebook", 1)]
    assert ask(index, "algorithms year:1990-1995") == [("without_filter", "algorithms", 3)]
    found = ask(index, "learning lang:ger")
    assert found == [("without_filter", "learning", 2)]


def test_without_every_filter_when_dropping_one_is_not_enough(index: CountingIndex) -> None:
    assert ask(index, "python year:1990-1995 lang:ger format:map") == [
        ("without_filters", "python", 2),
    ]
    result = search_with_suggestions(index, parse_query_string("python year:1990-1995 lang:ger format:map"))
    assert result.suggestions[0].change == "format:map language:ger year:1990-1995"


def test_a_fielded_term_is_searched_in_every_field(index: CountingIndex) -> None:
    assert ask(index, "title:goodfellow") == [("any_field", "goodfellow", 1)]
    assert ask(index, 'title:"machine learning"') == [("any_field", "machine learning", 1)]
    found = search_with_suggestions(index, parse_query_string("subject:knuth")).suggestions
    assert [(s.change, s.replacement) for s in found] == [("subject:knuth", "knuth")]


def test_a_respelt_word_carries_into_the_other_suggestions(index: CountingIndex) -> None:
    # "lerning" makes every query empty: the filters are tried on "deep learning".
    assert ask(index, "deep lerning format:map") == [("without_filter", "deep learning", 2)]
    assert ask(index, "deep lerning member:ntu format:ebook") == [("without_filter", "deep learning format:ebook", 1)]


def test_a_query_the_language_cannot_write_gets_no_suggestions(index: CountingIndex) -> None:
    assert query_string(SearchQuery(text="pyhton", subjects=["Machine learning"])) is None
    assert search_with_suggestions(index, SearchQuery(text="pyhton", subjects=["Machine learning"])).suggestions == []


WORDS = st.sampled_from(["deep", "learning", "python", "深度学习", "三体", "C++", "Gödel", "1984"])
VALUES = st.lists(WORDS, min_size=1, max_size=3).map(" ".join)


@settings(max_examples=60, deadline=None)
@given(
    text=st.one_of(st.just(""), VALUES),
    title=st.one_of(st.none(), VALUES),
    author=st.one_of(st.none(), VALUES),
    members=st.lists(st.sampled_from(["mit", "pku", "lake side"]), max_size=2, unique=True),
    formats=st.lists(st.sampled_from(["book", "ebook"]), max_size=2, unique=True),
    languages=st.lists(st.sampled_from(["chi", "eng"]), max_size=1),
    classes=st.lists(st.sampled_from(["clc:TP3", "lcc:QA76", "clc:T", "ddc:500"]), max_size=2, unique=True),
    years=st.one_of(st.none(), st.tuples(st.integers(1900, 2000), st.integers(2000, 2030))),
)
def test_query_string_reads_back_as_the_same_search(  # noqa: PLR0917 (hypothesis passes them by name)
    text: str,
    title: str | None,
    author: str | None,
    members: list[str],
    formats: list[str],
    languages: list[str],
    classes: list[str],
    years: tuple[int, int] | None,
) -> None:
    deeper = any(c not in ("clc:T", "ddc:500") for c in classes)
    query = SearchQuery(
        text=text,
        title=title,
        author=author,
        members=members,
        formats=formats,
        languages=languages,
        classes=[] if deeper else classes,
        class_codes=classes if deeper else [],
        year_from=years[0] if years else None,
        year_to=years[1] if years else None,
    )
    written = query_string(query)
    assert written is not None
    assert parse_query_string(written) == query
