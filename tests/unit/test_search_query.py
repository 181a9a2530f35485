"""The search query model on its own: the query-box parser, validation that names the field, the index
document shape. (What an index finds for a query is the contract in ``tests/contract/test_search_index.py``.)"""

from __future__ import annotations

from typing import Any

import pytest
from search_corpus import corpus

from consortium.search import InvalidQueryError, SearchQuery, index_document, parse_query_string
from consortium.search.analysis import analyze_text, minimal_english_stem
from consortium.search.document import epoch_microseconds, from_epoch_microseconds
from consortium.search.plan import KeywordFilter, RangeFilter, plan_query

BY_ID = {cluster.cluster_id: cluster for cluster in corpus()}


def test_parse_query_string_reads_fields_filters_and_phrases() -> None:
    query = parse_query_string(
        'title:深度学习 author:Goodfellow isbn:978-0-262-03561-3 "neural nets" free words year:2010-2017 '
        "format:book lang:CHI member:pku class:clc:t",
        page_size=5,
    )
    assert query.title == "深度学习"
    assert query.author == "Goodfellow"
    assert query.isbn == "978-0-262-03561-3"
    assert query.text == '"neural nets" free words'
    assert (query.year_from, query.year_to) == (2010, 2017)
    assert query.formats == ["book"]
    assert query.languages == ["chi"]
    assert query.members == ["pku"]
    assert query.classes == ["clc:T"]
    assert query.page_size == 5
    quoted = parse_query_string('title:"deep learning" subject:“机器 学习” year:2016 C++: primer')
    assert quoted.title == "deep learning"
    assert quoted.subject == "机器 学习"
    assert (quoted.year_from, quoted.year_to) == (2016, 2016)
    assert quoted.text == "C++: primer"  # an unknown prefix stays in the text
    headings = parse_query_string('heading:"China -- History" heading:机器学习 words')
    assert headings.subjects == ["China -- History", "机器学习"]
    assert headings.text == "words"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page_size": 101}, "page_size"),
        ({"page": 0}, "page"),
        ({"page": 200, "page_size": 100}, "page"),
        ({"year_from": 2017, "year_to": 2010}, "year_to"),
        ({"languages": ["english"]}, "languages"),
        ({"classes": ["clc:TP"]}, "classes"),
        ({"classes": ["dewey:500"]}, "classes"),
        ({"class_codes": ["dewey:500"]}, "class_codes"),
        ({"class_codes": ["clc:T", "ddc:05"]}, "class_codes"),  # Dewey has three digits
        ({"class_codes": ["clc:"]}, "class_codes"),
        ({"first_seen_from": "2026-01-10T12:00:00"}, "first_seen_from"),  # no zone: which instant?
        (
            {"first_seen_from": "2026-01-10T12:00:00Z", "first_seen_before": "2026-01-10T20:00:00+08:00"},
            "first_seen_before",
        ),
        ({"formats": ["book", "scroll"]}, "formats"),
        ({"facets": ["colour"]}, "facets"),
        ({"sort": "random"}, "sort"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_invalid_queries_name_the_field(params: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidQueryError) as caught:
        SearchQuery.from_params(params)
    assert caught.value.details["field"] == field
    assert field in str(caught.value)


def test_invalid_queries_say_it_in_the_clients_terms() -> None:
    with pytest.raises(InvalidQueryError) as caught:
        SearchQuery.from_params({"formats": ["book", "scroll"], "year_from": 2017, "year_to": 2010})
    message = str(caught.value)
    assert "formats value 2: Input should be 'book'" in message
    assert "year_to: 2010 is before year_from 2017" in message
    assert "formats.1" not in message and "year_to: year_to" not in message


def test_parse_query_string_rejects_a_bad_year() -> None:
    with pytest.raises(InvalidQueryError, match="year") as caught:
        parse_query_string("year:soon deep")
    assert caught.value.details["field"] == "year"
    with pytest.raises(InvalidQueryError, match="formats"):
        parse_query_string("format:scroll")


def test_class_codes_are_normalized_at_any_depth() -> None:
    query = SearchQuery(class_codes=[" clc:tp3121 ", "CLC:TP312.1", "lcc:qa76.73", "ddc:005.1", "udc:004.4", "clc:T"])
    assert query.class_codes == ["clc:TP312.1", "lcc:QA76.73", "ddc:005.1", "udc:004.4", "clc:T"]


def test_parse_query_string_reads_classes_at_any_depth() -> None:
    # Top classes only: the top-class filter, as before.
    tops = parse_query_string("class:clc:t class:lcc:Q")
    assert (tops.classes, tops.class_codes) == (["clc:T", "lcc:Q"], [])
    # An LCC subclass is below its main class (the letter).
    assert parse_query_string("class:lcc:QA").class_codes == ["lcc:QA"]
    # One deeper class: every class: value filters at any depth, and they stay alternatives.
    deep = parse_query_string("class:clc:TP312 class:clc:I deep")
    assert (deep.classes, deep.class_codes, deep.text) == ([], ["clc:TP312", "clc:I"], "deep")
    assert parse_query_string("class:ddc:005.13").class_codes == ["ddc:005.13"]
    with pytest.raises(InvalidQueryError, match="class_codes") as caught:
        parse_query_string("class:clc:TP3 class:ddc:05")
    assert caught.value.details["field"] == "class_codes"
    with pytest.raises(InvalidQueryError, match="classes"):
        parse_query_string("class:dewey:500")  # no scheme of that name: as before


def test_first_seen_period_is_half_open_and_in_instants() -> None:
    query = SearchQuery.from_params(
        {"first_seen_from": "2026-01-10T20:00:00+08:00", "first_seen_before": "2026-01-10T12:00:00.000001Z"}
    )
    plan = plan_query(query)
    (period,) = plan.ranges
    assert period.field == "first_seen_us"
    assert query.first_seen_from is not None
    assert (period.lower, period.upper) == (epoch_microseconds(query.first_seen_from), period.lower)
    assert plan_query(SearchQuery(year_from=2010)).ranges == (RangeFilter("year", 2010, None),)
    assert plan_query(SearchQuery(class_codes=["clc:TP3"])).filters == (KeywordFilter("class_chain", ("clc:TP3",)),)


def test_index_document_shape() -> None:
    document = index_document(BY_ID["dl-en"])
    assert document["isbns"] == ["9780262035613", "0262035618"]
    assert document["class_codes"] == ["lcc:Q325.5", "ddc:006.31"]
    assert document["class_top"] == ["lcc:Q", "ddc:000"]
    assert document["members"] == ["mit", "pku"]
    assert document["first_seen"] == "2025-03-01T08:30:15.123456+00:00"
    assert document["first_seen_us"] == 1_740_817_815_123_456
    assert from_epoch_microseconds(document["first_seen_us"]) == BY_ID["dl-en"].first_seen
    assert document["class_chain"] == [
        "lcc:Q325.5",
        "lcc:Q325",
        "lcc:Q",
        "ddc:006.31",
        "ddc:006.3",
        "ddc:006",
        "ddc:000",
    ]
    assert index_document(BY_ID["dl-python-zh"])["class_chain"] == [
        "clc:TP311.561", "clc:TP311.56", "clc:TP311.5", "clc:TP311", "clc:TP31", "clc:TP3", "clc:TP", "clc:T"
    ]  # fmt: skip
    chinese = index_document(BY_ID["dl-python-zh"])
    assert chinese["title_terms"] == "python 深 深度 度 度学 学 学习 习"
    assert chinese["class_top"] == ["clc:T"]
    assert index_document(BY_ID["hlm-tw"])["title_terms"].startswith("红 红楼 楼 楼梦 梦")


def test_analysis_of_chinese_and_latin_text() -> None:
    assert analyze_text("Python深度学习") == ["python", "深", "深度", "度", "度学", "学", "学习", "习"]
    assert analyze_text("紅樓夢") == ["红", "红楼", "楼", "楼梦", "梦"]
    # Documents also pair characters across punctuation, so a query typed without it still matches.
    assert "习方" in analyze_text("深度学习：方法", join_runs=True)
    assert "习方" not in analyze_text("深度学习：方法")


@pytest.mark.parametrize(
    ("word", "stem"),
    [("algorithms", "algorithm"), ("libraries", "library"), ("status", "status"), ("class", "class"),
     ("heroes", "heroes"), ("is", "is"), ("2010s", "2010s")],
)  # fmt: skip
def test_minimal_english_stemming(word: str, stem: str) -> None:
    assert minimal_english_stem(word) == stem


def test_work_filters_by_a_work_group_id_and_refuses_anything_else() -> None:
    work = "w0123456789abcdef0123"
    assert parse_query_string(f"work:{work} structure").works == [work]
    assert SearchQuery(works=[work.upper(), work]).works == [work]
    with pytest.raises(InvalidQueryError, match="not a work id") as refused:
        parse_query_string("work:kuhn")
    assert refused.value.details["field"] == "works"
