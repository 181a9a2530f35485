"""The SearchIndex contract: the in-memory reference, the embedded tantivy index and the OpenSearch index (against
osmem-server on 127.0.0.1, a fresh alias per test, without the smartcn analyzer it lacks) find the same clusters.

The corpus (``tests/search_corpus.py``) is 30 clusters of English and Chinese catalogue data held by five
members. Each test asserts what a reader notices: what is found, in what order, how many, and the facet counts
beside the list. The query model alone (parsing, validation, the document shape) is tested in
``tests/unit/test_search_query.py``.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest
from factories import T0, make_cluster
from search_corpus import corpus

from consortium.adapters.aws import OpenSearchIndex
from consortium.adapters.local import TantivySearchIndex
from consortium.adapters.memory import InMemorySearchIndex
from consortium.errors import NotFoundError, StorageError
from consortium.search import SearchQuery, parse_query_string
from consortium.search.document import title_sort_key
from consortium.search.plan import FACET_LIMIT

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from opensearchpy import OpenSearch

    from consortium.models import Cluster
    from consortium.search import SearchIndex, SearchResult


CORPUS = corpus()
BY_ID = {cluster.cluster_id: cluster for cluster in CORPUS}


@pytest.fixture
def opensearch(opensearch_server: str) -> Iterator[OpenSearch]:
    """A client of the session's osmem-server; the indices of the aliases handed out by :func:`fresh_alias` are
    deleted afterwards."""
    from opensearchpy import OpenSearch

    client = OpenSearch(hosts=[opensearch_server], timeout=30)
    yield client
    client.indices.delete(index="contract-*", ignore_unavailable=True, expand_wildcards="all")
    client.close()


def fresh_alias() -> str:
    return f"contract-{uuid.uuid4().hex[:12]}"


@pytest.fixture(params=["memory", "tantivy", "opensearch"])
def index(request: pytest.FixtureRequest, tmp_path: Path) -> SearchIndex:
    """An index holding the corpus (tantivy on disk and OpenSearch with 7 clusters a commit or bulk request, to
    cross batch boundaries)."""
    built: SearchIndex
    if request.param == "memory":
        built = InMemorySearchIndex()
    elif request.param == "tantivy":
        built = TantivySearchIndex(tmp_path / "search", batch_size=7)
    else:
        client = request.getfixturevalue("opensearch")
        built = OpenSearchIndex(client, alias=fresh_alias(), batch_size=7, chinese_analyzer=False)
    built.upsert(iter(CORPUS))
    return built


def find(index: SearchIndex, text: str = "", **kw: Any) -> SearchResult:
    kw.setdefault("page_size", 100)
    return index.search(SearchQuery(text=text, **kw))


def ids(result: SearchResult) -> list[str]:
    return [hit.cluster_id for hit in result.hits]


def facet(result: SearchResult, name: str) -> dict[str, int]:
    return {f.value: f.count for f in result.facets[name]}


# -- free text ---------------------------------------------------------------------------------------


def test_every_cluster_is_indexed_once(index: SearchIndex) -> None:
    assert index.count() == len(CORPUS) == 30
    everything = find(index)
    assert everything.total == 30
    assert sorted(ids(everything)) == sorted(BY_ID)


def test_free_text_finds_by_title_words(index: SearchIndex) -> None:
    assert ids(find(index, "introduction algorithms")) == ["clrs-en"]
    assert set(ids(find(index, "Deep Learning"))) == {"dl-en", "dl-python-en"}


def test_every_word_must_match_somewhere(index: SearchIndex) -> None:
    assert ids(find(index, "deep python")) == ["dl-python-en"]
    assert ids(find(index, "deep learning goodfellow")) == ["dl-en"]  # title words and an author
    assert find(index, "deep unicorns").total == 0


def test_plurals_and_accents_are_folded(index: SearchIndex) -> None:
    assert set(ids(find(index, "algorithm"))) == {"clrs-en", "sedgewick", "taocp"}
    assert ids(find(index, "godel escher")) == ["geb"]
    assert ids(find(index, "GÖDEL")) == ["geb"]
    assert ids(find(index, "golden braid")) == ["geb"]  # the subtitle is searched with the title


def test_a_title_match_outranks_a_subject_only_match(index: SearchIndex) -> None:
    found = ids(find(index, "algorithms"))
    assert set(found) == {"clrs-en", "sedgewick", "taocp"}
    assert found[-1] == "taocp"  # "Computer algorithms" is only its subject heading


def test_author_search(index: SearchIndex) -> None:
    assert ids(find(index, author="Goodfellow")) == ["dl-en"]
    assert ids(find(index, author="Liu Cixin")) == ["three-body-en"]
    assert ids(find(index, author="刘慈欣")) == ["three-body-zh"]
    assert ids(find(index, "knuth")) == ["taocp"]
    assert set(ids(find(index, author="Silberschatz"))) == {"db-en", "os-pku", "os-thu"}


def test_fielded_title_search_ignores_other_fields(index: SearchIndex) -> None:
    assert ids(find(index, "machine")) == ["dl-en"]  # its subject heading
    assert find(index, title="machine").total == 0
    assert set(ids(find(index, title="learning"))) == {"dl-en", "dl-python-en"}
    assert ids(find(index, subject="科学幻想小说")) == ["three-body-zh"]
    assert ids(find(index, subject="science fiction")) == ["three-body-en"]


def test_isbn_typed_in_either_form_finds_the_record(index: SearchIndex) -> None:
    assert ids(find(index, "0262035618")) == ["dl-en"]  # ISBN-10 of 9780262035613
    assert ids(find(index, "978-0-262-03561-3")) == ["dl-en"]
    assert ids(find(index, isbn="0-262-03561-8")) == ["dl-en"]
    assert ids(find(index, isbn="702000220x")) == ["hlm-zh"]  # check digit X, lower case
    assert ids(find(index, "9787536692930")) == ["three-body-zh"]
    assert find(index, isbn="0262035619").total == 0  # bad check digit


def test_issn_finds_the_journal(index: SearchIndex) -> None:
    assert ids(find(index, "0028-0836")) == ["nature"]
    assert ids(find(index, "1674733x")) == ["sci-china"]


# -- Chinese -----------------------------------------------------------------------------------------


def test_chinese_word_finds_the_title_containing_it(index: SearchIndex) -> None:
    assert set(ids(find(index, "深度"))) == {"dl-zh", "dl-python-zh"}
    assert set(ids(find(index, "深度学习"))) == {"dl-zh", "dl-python-zh"}
    assert ids(find(index, "三体")) == ["three-body-zh"]
    assert ids(find(index, "算法")) == ["clrs-zh"]  # title 算法导论, subject 算法理论
    assert ids(find(index, "石头记")) == ["hlm-zh"]  # a word of the subtitle


def test_chinese_words_must_be_adjacent_characters(index: SearchIndex) -> None:
    # 学 and 深 both occur in 深度学习, but not as 学深.
    assert find(index, "学深").total == 0


def test_traditional_and_simplified_characters_find_each_other(index: SearchIndex) -> None:
    assert set(ids(find(index, "紅樓夢"))) == {"hlm-zh", "hlm-tw"}
    assert set(ids(find(index, "红楼梦"))) == {"hlm-zh", "hlm-tw"}
    assert ids(find(index, "時間簡史")) == ["hawking-zh"]
    assert ids(find(index, author="钱钟书")) == ["weicheng"]  # 锺 and 钟 are one character for search


def test_single_character_query(index: SearchIndex) -> None:
    assert set(ids(find(index, "梦"))) == {"hlm-zh", "hlm-tw"}


def test_mixed_chinese_and_latin(index: SearchIndex) -> None:
    assert ids(find(index, "Python深度学习")) == ["dl-python-zh"]
    assert ids(find(index, "python 深度")) == ["dl-python-zh"]
    assert set(ids(find(index, "python"))) == {"dl-python-zh", "dl-python-en"}
    assert ids(find(index, "刘慈欣 三体")) == ["three-body-zh"]  # an author and a title word


# -- filters and facets ------------------------------------------------------------------------------


def test_member_filter_narrows_and_facets_count_all_matches(index: SearchIndex) -> None:
    result = find(index, members=["thu"], facets=["member", "format", "language"], page_size=3)
    held = [c for c in CORPUS if "thu" in c.members]
    assert result.total == len(held) == 10
    assert len(result.hits) == 3
    assert facet(result, "member") == dict(Counter(m for c in held for m in c.members))
    assert facet(result, "member")["thu"] == 10
    assert facet(result, "format") == dict(Counter(c.format.value for c in held))
    assert facet(result, "language") == {"eng": 5, "chi": 5}


def test_facet_values_are_ranked_by_count_then_value(index: SearchIndex) -> None:
    result = find(index, facets=["member", "year"])
    members = [(f.value, f.count) for f in result.facets["member"]]
    assert members == [("mit", 11), ("thu", 10), ("pku", 9), ("fudan", 7), ("ntu", 2)]
    assert [(f.value, f.count) for f in result.facets["year"][:3]] == [("2010", 3), ("2017", 3), ("2018", 3)]
    assert len(result.facets["year"]) == 19
    index.upsert(make_cluster(f"extra-{year}", "Extra", year=year) for year in range(1950, 1955))
    assert len(find(index, facets=["year"]).facets["year"]) == FACET_LIMIT  # 24 years, cut to the limit


def test_facets_of_a_chinese_query(index: SearchIndex) -> None:
    result = find(index, "深度学习", facets=["member", "format", "language", "year", "class", "subject"])
    assert facet(result, "member") == {"fudan": 1, "pku": 1, "thu": 1}
    assert facet(result, "format") == {"book": 2}
    assert facet(result, "language") == {"chi": 2}
    assert facet(result, "year") == {"2017": 1, "2018": 1}
    assert facet(result, "class") == {"clc:T": 2}
    assert facet(result, "subject") == {"机器学习": 2, "Python语言 — 程序设计": 1}


def test_format_and_language_filters(index: SearchIndex) -> None:
    assert set(ids(find(index, formats=["journal", "ejournal"]))) == {"nature", "sci-china"}
    assert ids(find(index, "deep learning", formats=["ebook"])) == ["dl-python-en"]
    assert set(ids(find(index, "deep learning", languages=["eng"]))) == {"dl-en", "dl-python-en"}
    assert find(index, "deep learning", languages=["chi"]).total == 0
    both = find(index, languages=["chi", "ang"])
    assert both.total == len([c for c in CORPUS if c.language in ("chi", "ang")])


WORK = "w" + "0" * 19 + "1"


def test_the_work_filter_finds_a_works_editions_and_translations(index: SearchIndex) -> None:
    index.upsert(
        [
            make_cluster("kuhn-en", "The structure of scientific revolutions", work_id=WORK, language="eng"),
            make_cluster("kuhn-de", "Die Struktur wissenschaftlicher Revolutionen", work_id=WORK, language="ger"),
            make_cluster("kuhn-about", "Kuhn's structure of scientific revolutions", work_id="w" + "0" * 20),
        ]
    )
    found = find(index, works=[WORK], sort="title")
    assert ids(found) == ["kuhn-en", "kuhn-de"] and {hit.work_id for hit in found.hits} == {WORK}
    assert ids(index.search(parse_query_string(f"structure work:{WORK}"))) == ["kuhn-en"]
    by_id = {hit.cluster_id: hit for hit in find(index, "structure").hits}
    assert by_id["kuhn-about"].work_id == "w" + "0" * 20
    assert find(index, "deep learning").hits[0].work_id is None  # the corpus's clusters name no work


def test_year_range_filter(index: SearchIndex) -> None:
    result = find(index, year_from=2010, year_to=2017, facets=["year"])
    expected = {c.cluster_id for c in CORPUS if c.year is not None and 2010 <= c.year <= 2017}
    assert set(ids(result)) == expected
    assert all(2010 <= int(f.value) <= 2017 for f in result.facets["year"])
    assert set(ids(find(index, year_to=1900))) == {"nature"}  # beowulf has no year: outside every range
    assert set(ids(find(index, year_from=2018))) == {"dl-python-zh", "os-pku", "os-thu"}


def test_class_filter_by_top_class(index: SearchIndex) -> None:
    clc_t = find(index, classes=["clc:T"], facets=["class"])
    assert set(ids(clc_t)) == {"dl-zh", "dl-python-zh", "clrs-zh", "sci-china", "db-zh"}
    assert facet(clc_t, "class") == {"clc:T": 5}
    fiction = {"three-body-zh", "hlm-zh", "hlm-tw", "weicheng", "huozhe", "austen-zh"}
    assert set(ids(find(index, classes=["clc:I"]))) == fiction
    assert set(ids(find(index, classes=["ddc:500"]))) == {"geb", "hawking-en"}
    assert set(ids(find(index, "computer", classes=["lcc:Q"]))) == {"taocp", "sicp", "clrs-en"}
    everything = facet(find(index, facets=["class"]), "class")
    assert everything["lcc:Q"] == 10  # an LCC main class: its subclasses QA (9 works) and Q (Deep learning)
    assert everything["ddc:000"] == 2


def test_filters_combine(index: SearchIndex) -> None:
    result = find(index, members=["pku"], languages=["chi"], year_from=2000, classes=["clc:T"])
    assert set(ids(result)) == {"dl-zh", "clrs-zh"}
    assert find(index, members=["ntu"], formats=["book"], subjects=["机器学习"]).total == 0
    assert set(ids(find(index, subjects=["机器学习"]))) == {"dl-zh", "dl-python-zh"}


# -- classes at any depth, first-seen periods, newest first (the new-books list) ----------------------


def test_class_filter_at_any_depth(index: SearchIndex) -> None:
    assert set(ids(find(index, class_codes=["clc:TP3"]))) == {"dl-python-zh", "clrs-zh", "db-zh"}
    assert set(ids(find(index, class_codes=["clc:TP31"]))) == {"dl-python-zh", "db-zh"}  # not TP301.6
    assert ids(find(index, class_codes=["clc:TP311.5"])) == ["dl-python-zh"]  # TP311.561, three levels down
    assert ids(find(index, class_codes=["clc:tp3115"])) == ["dl-python-zh"]  # normalized as catalogues write it
    assert ids(find(index, class_codes=["clc:TP311.561"])) == ["dl-python-zh"]  # the class itself
    assert set(ids(find(index, class_codes=["lcc:QA76.73"]))) == {"dl-python-en", "kr-c"}  # QA76.73.P98, .C15
    assert find(index, class_codes=["lcc:QA76"]).total == 9
    assert find(index, class_codes=["lcc:QA7"]).total == 0  # the hierarchy, not a string prefix
    assert ids(find(index, class_codes=["ddc:005"])) == ["clrs-en"]
    assert ids(find(index, class_codes=["ddc:153.4"])) == ["kahneman"]
    assert ids(find(index, class_codes=["ddc:520"])) == ["hawking-en"]
    # Values are alternatives; a top class finds what the top-class filter finds.
    assert set(ids(find(index, class_codes=["clc:TP18", "lcc:QA76.73"]))) == {"dl-zh", "dl-python-en", "kr-c"}
    for top in ("clc:T", "clc:I", "lcc:Q", "lcc:P", "ddc:500", "ddc:000"):
        assert sorted(ids(find(index, class_codes=[top]))) == sorted(ids(find(index, classes=[top]))), top
    # With text, members and the facets (still of top classes).
    assert ids(find(index, "算法", class_codes=["clc:TP3"])) == ["clrs-zh"]
    deep = find(index, class_codes=["clc:TP3"], members=["thu"], facets=["class", "member"])
    assert set(ids(deep)) == {"clrs-zh", "db-zh"}
    assert facet(deep, "class") == {"clc:T": 2}
    assert ids(index.search(parse_query_string("class:clc:TP31 member:fudan"))) == ["dl-python-zh"]


def test_class_counts_give_the_classes_right_under_a_class(index: SearchIndex) -> None:
    # The main classes of each scheme, with every work under each (a work counted once, whatever its depth).
    assert index.class_counts("clc:") == {"clc:I": 6, "clc:T": 5, "clc:P": 1}
    assert index.class_counts("lcc:") == {"lcc:Q": 10, "lcc:P": 2}  # LCC main classes: QA76 is under Q
    assert index.class_counts("ddc:") == {"ddc:000": 2, "ddc:500": 2, "ddc:100": 1}
    # One level down, whatever the depth of the works' own classes (TP311.561 counts under TP3 > TP31).
    assert index.class_counts("clc:T") == {"clc:TP": 5}  # 中国科学 is classed TP itself
    assert index.class_counts("clc:TP") == {"clc:TP3": 3, "clc:TP1": 1}
    assert index.class_counts("clc:TP3") == {"clc:TP31": 2, "clc:TP30": 1}
    assert index.class_counts("lcc:Q") == {"lcc:QA": 9, "lcc:Q325": 1}  # a subclass, and subclass Q's number
    assert index.class_counts("lcc:QA76") == {
        "lcc:QA76.6": 3, "lcc:QA76.73": 2, "lcc:QA76.76": 2, "lcc:QA76.9": 2
    }  # fmt: skip
    assert index.class_counts("ddc:500") == {"ddc:510": 1, "ddc:520": 1}
    assert index.class_counts("clc:TP311.561") == {}  # a leaf
    assert index.class_counts("clc:X") == {}  # no work there
    # Counted over what a query matches: a library's works, a period.
    assert index.class_counts("clc:TP3", SearchQuery(members=["thu"])) == {"clc:TP30": 1, "clc:TP31": 1}
    assert index.class_counts("clc:", SearchQuery(text="算法")) == {"clc:T": 1}
    assert index.class_counts("clc:", SearchQuery(first_seen_from=T0 + dt.timedelta(days=1))) == {}
    # A deleted work leaves its classes.
    index.delete(["clrs-zh"])
    assert index.class_counts("clc:TP3") == {"clc:TP31": 2}
    assert index.class_counts("clc:") == {"clc:I": 6, "clc:T": 4, "clc:P": 1}


def test_similar_terms_are_the_index_terms_within_two_edits(index: SearchIndex) -> None:
    titles = ["title_terms", "authors_terms", "subjects_terms", "publisher_terms"]
    assert index.similar_terms("algoritm", titles) == {"algorithm": 2}  # two titles (and one subject heading)
    assert index.similar_terms("algoritm", ["subjects_terms"]) == {"algorithm": 1}
    assert index.similar_terms("lerning", titles) == {"learning": 2}
    assert index.similar_terms("pyhton", titles) == {"python": 2}  # a transposition is one edit
    assert index.similar_terms("goodfelow", ["authors_terms"]) == {"goodfellow": 1}
    assert index.similar_terms("goodfelow", ["title_terms"]) == {}
    assert index.similar_terms("ulgorithm", titles) == {}  # not the same first letter
    assert index.similar_terms("abc", titles) == {}  # too short to correct
    assert index.similar_terms("learning", ["title_terms"]) == {}  # the word itself is not a suggestion


T1 = dt.datetime(2026, 1, 10, 12, 0, tzinfo=dt.UTC)
T2 = dt.datetime(2026, 1, 20, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))  # 00:00 UTC
MICRO = dt.timedelta(microseconds=1)


def new_books() -> list[Cluster]:
    """Works first seen after the corpus (whose works were all first seen at ``T0``), one microsecond apart at
    ``T1``, two at the same instant ``T2`` (given in another zone, and the later id indexed first)."""
    return [
        make_cluster("nb-tie-z", "Rust in action", ["thu"], classes=["clc:TP312"], first_seen=T2, language="eng"),
        make_cluster("nb-tie-a", "Go in action", ["pku"], classes=["clc:TP312"], first_seen=T2, language="eng"),
        make_cluster("nb-at", "深度强化学习", ["pku", "thu"], classes=["clc:TP181"], first_seen=T1),
        make_cluster("nb-after", "唐诗选", ["fudan"], classes=["clc:I222.742"], first_seen=T1 + MICRO),
        make_cluster("nb-before", "宋词选", ["pku"], classes=["clc:I222.844"], first_seen=T1 - MICRO),
    ]


def test_first_seen_period_edges(index: SearchIndex) -> None:
    index.upsert(new_books())
    assert set(ids(find(index, first_seen_from=T1))) == {"nb-at", "nb-after", "nb-tie-a", "nb-tie-z"}
    assert set(ids(find(index, first_seen_from=T1 + MICRO))) == {"nb-after", "nb-tie-a", "nb-tie-z"}
    before_t1 = find(index, first_seen_before=T1)
    assert before_t1.total == 31 and "nb-before" in ids(before_t1)  # the corpus and the microsecond before
    assert ids(find(index, first_seen_from=T1, first_seen_before=T1 + MICRO)) == ["nb-at"]  # half open
    assert ids(find(index, first_seen_from=T1 - MICRO, first_seen_before=T1)) == ["nb-before"]
    # Instants, whatever the zone they are given in.
    beijing = dt.timezone(dt.timedelta(hours=8))
    at_t2 = find(index, first_seen_from=T2.astimezone(dt.UTC), first_seen_before=T2 + MICRO)
    assert set(ids(at_t2)) == {"nb-tie-a", "nb-tie-z"}
    assert find(index, first_seen_from=T1.astimezone(beijing)).total == 4
    assert find(index, first_seen_from=T2 + MICRO).total == 0
    assert find(index, first_seen_before=T0).total == 0
    assert find(index, first_seen_from=T0, first_seen_before=T0 + MICRO).total == 30


def test_newest_first_breaks_ties_by_id_and_pages(index: SearchIndex) -> None:
    index.upsert(new_books())
    newest = find(index, first_seen_from=T1 - MICRO, sort="newest")
    assert ids(newest) == ["nb-tie-a", "nb-tie-z", "nb-after", "nb-at", "nb-before"]
    assert all(hit.score is None for hit in newest.hits)
    assert [hit.first_seen for hit in newest.hits] == [T2, T2, T1 + MICRO, T1, T1 - MICRO]
    assert newest.hits[0].classes == ["clc:TP312"]
    everything = find(index, sort="newest")
    assert ids(everything)[:5] == ids(newest)
    assert ids(everything)[5:] == sorted(BY_ID)  # the corpus, all first seen at T0: by id
    paged = [index.search(SearchQuery(sort="newest", page=n, page_size=4)) for n in range(1, 10)]
    assert [cluster_id for page in paged for cluster_id in ids(page)] == ids(everything)


def test_new_books_of_a_class_in_a_period(index: SearchIndex) -> None:
    """What ``GET /new-books`` asks: a class at any depth, a period, a member, newest first; with text too."""
    index.upsert(new_books())
    tp = find(index, class_codes=["clc:TP3"], first_seen_from=T1, sort="newest", facets=["member"])
    assert ids(tp) == ["nb-tie-a", "nb-tie-z"]  # TP312 is under TP3; TP181 (nb-at) is not
    assert facet(tp, "member") == {"pku": 1, "thu": 1}
    assert ids(find(index, class_codes=["clc:TP"], first_seen_from=T1, sort="newest")) == [
        "nb-tie-a",
        "nb-tie-z",
        "nb-at",
    ]
    assert ids(find(index, class_codes=["clc:TP"], members=["thu"], first_seen_from=T1, sort="newest")) == [
        "nb-tie-z",
        "nb-at",
    ]
    assert ids(find(index, "action", class_codes=["clc:TP31"], first_seen_from=T1, sort="newest")) == [
        "nb-tie-a",
        "nb-tie-z",
    ]
    assert ids(find(index, "学习", class_codes=["clc:T"], first_seen_from=T1)) == ["nb-at"]
    assert set(ids(find(index, class_codes=["clc:I222"], first_seen_from=T1 - MICRO))) == {"nb-after", "nb-before"}
    assert ids(find(index, class_codes=["clc:I222.7"], first_seen_before=T1 + MICRO)) == []
    # The facets of one period are not served for another (an adapter keeping counts keys them by the period).
    assert facet(find(index, first_seen_from=T1, facets=["member"]), "member") == {"pku": 2, "thu": 2, "fudan": 1}
    assert facet(find(index, first_seen_from=T1 + MICRO, facets=["member"]), "member") == {
        "pku": 1,
        "thu": 1,
        "fudan": 1,
    }


# -- sorting and paging ------------------------------------------------------------------------------


def test_sort_by_year(index: SearchIndex) -> None:
    newest = find(index, sort="year_desc")
    years = [hit.year for hit in newest.hits]
    assert years[-1] is None  # beowulf, undated, last
    assert years[:-1] == sorted(years[:-1], reverse=True)  # type: ignore[type-var]
    oldest = find(index, "computer", sort="year_asc")
    assert [hit.year for hit in oldest.hits] == [1996, 1997, 2009]
    assert all(hit.score is None for hit in oldest.hits)
    undated_last = find(index, sort="year_asc")
    assert undated_last.hits[0].cluster_id == "nature"
    assert undated_last.hits[-1].cluster_id == "beowulf"


def test_sort_by_title_ignores_leading_articles(index: SearchIndex) -> None:
    result = find(index, languages=["eng"], sort="title")
    keys = [title_sort_key(hit.title) for hit in result.hits]
    assert keys == sorted(keys)
    titles = [hit.title for hit in result.hits]
    assert titles[:3] == ["Algorithms", "The art of computer programming", "A brief history of time"]


def test_paging(index: SearchIndex) -> None:
    pages = [index.search(SearchQuery(page=page, page_size=7)) for page in range(1, 6)]
    assert {p.total for p in pages} == {30}
    assert [len(p.hits) for p in pages] == [7, 7, 7, 7, 2]
    assert pages[0].pages == 5
    seen = [cluster_id for p in pages for cluster_id in ids(p)]
    assert sorted(seen) == sorted(BY_ID)  # no cluster twice, none left out
    beyond = index.search(SearchQuery(page=6, page_size=7))
    assert beyond.total == 30
    assert beyond.hits == []
    by_title = [index.search(SearchQuery(sort="title", page=n, page_size=10)) for n in (1, 2, 3)]
    titles = [title_sort_key(h.title) for p in by_title for h in p.hits]
    assert titles == sorted(titles)
    assert len(titles) == 30


def test_the_readers_library_is_boosted(index: SearchIndex) -> None:
    for own, other in (("pku", "thu"), ("thu", "pku")):
        result = find(index, "operating system concepts", boost_member=own)
        assert ids(result) == [f"os-{own}", f"os-{other}"]
        assert result.hits[0].score is not None
        assert result.hits[1].score is not None
        assert result.hits[0].score > result.hits[1].score
    # The boost reorders; it does not add matches.
    assert find(index, "operating system", boost_member="mit").total == 2


def test_a_hit_shows_what_the_result_list_needs(index: SearchIndex) -> None:
    (hit,) = find(index, "9780262035613").hits
    assert hit.cluster_id == "dl-en"
    assert hit.title == "Deep learning"
    assert hit.authors == ["Goodfellow, Ian", "Bengio, Yoshua", "Courville, Aaron"]
    assert hit.year == 2016
    assert hit.format == "book"
    assert hit.language == "eng"
    assert hit.members == ["mit", "pku"]
    assert hit.score is not None
    assert hit.score > 0
    (subtitled,) = find(index, "石头记").hits
    assert subtitled.title == "红楼梦 : 脂砚斋重评石头记"


# -- writes ------------------------------------------------------------------------------------------


def test_delete_removes(index: SearchIndex) -> None:
    index.delete(["hlm-zh", "no-such-cluster"])
    assert index.count() == 29
    assert ids(find(index, "红楼梦")) == ["hlm-tw"]
    index.delete([])
    assert index.count() == 29


def test_rebuild_replaces_everything(index: SearchIndex) -> None:
    only = make_cluster("only", "Deep learning", ["mit"], authors=["Goodfellow, Ian"], year=2016, language="eng")
    index.rebuild([only, only])
    assert index.count() == 1
    assert ids(find(index, "deep learning")) == ["only"]
    assert ids(find(index, "红楼梦")) == []


def test_upsert_replaces_without_duplicates(index: SearchIndex) -> None:
    second = make_cluster(
        "dl-en",
        "Deep learning",
        ["mit"],
        subtitle="2nd edition",
        authors=["Goodfellow, Ian"],
        year=2024,
        language="eng",
        isbn="9780262035613",
    )
    index.upsert([second])
    assert index.count() == 30
    result = find(index, "deep learning")
    assert sorted(ids(result)) == ["dl-en", "dl-python-en"]
    assert find(index, "deep learning", members=["pku"]).total == 0
    (hit,) = find(index, "0262035618").hits
    assert (hit.title, hit.year, hit.members) == ("Deep learning : 2nd edition", 2024, ["mit"])
    assert find(index, author="Bengio").total == 0
    # The same cluster twice in one call: the last one wins.
    index.upsert([second.model_copy(update={"year": 2025}), second.model_copy(update={"year": 2026})])
    assert index.count() == 30
    assert [hit.year for hit in find(index, "0262035618").hits] == [2026]


def test_clear(index: SearchIndex) -> None:
    index.clear()
    assert index.count() == 0
    assert find(index).total == 0
    index.upsert(CORPUS[:2])
    assert index.count() == 2


def test_facets_follow_every_write(index: SearchIndex) -> None:
    """The same query asked again after each kind of write counts what the index holds then (an adapter that
    keeps facet counts must not serve them across a write)."""
    landing = {"facets": ["member", "format", "class"], "page_size": 5}
    deep = {"text": "deep learning", "facets": ["member", "language"], "page_size": 1, "boost_member": "mit"}
    before = find(index, **landing)
    assert facet(before, "member") == dict(Counter(m for c in CORPUS for m in c.members))
    assert facet(find(index, **deep), "member") == {"mit": 2, "pku": 1}
    assert facet(find(index, page=2, **deep), "language") == {"eng": 2}  # the next page: the same counts

    newcomer = make_cluster("newcomer", "Deep learning again", ["hill", "mit"], year=2026, language="ger")
    index.upsert([newcomer])
    after = find(index, **landing)
    assert after.total == 31
    assert facet(after, "member") == {**facet(before, "member"), "hill": 1, "mit": 12}
    assert facet(after, "format")["book"] == facet(before, "format")["book"] + 1
    assert facet(find(index, **deep), "member") == {"hill": 1, "mit": 3, "pku": 1}
    assert facet(find(index, page=2, **deep), "language") == {"eng": 2, "ger": 1}

    changed = make_cluster("newcomer", "Deep learning again", ["hill"], year=2026, format="ebook")
    index.upsert([changed])  # the same cluster, now held by one member, another format, no language
    assert facet(find(index, **landing), "member") == {**facet(before, "member"), "hill": 1}
    assert facet(find(index, **landing), "format")["book"] == facet(before, "format")["book"]
    assert facet(find(index, **deep), "language") == {"eng": 2}

    index.delete(["newcomer", "dl-en"])
    deleted = find(index, **landing)
    assert deleted.total == 29
    assert "hill" not in facet(deleted, "member")
    assert facet(deleted, "member")["mit"] == 10
    assert facet(find(index, **deep), "member") == {"mit": 1}

    index.rebuild([newcomer])
    assert facet(find(index, **landing), "member") == {"hill": 1, "mit": 1}
    assert facet(find(index, **deep), "language") == {"ger": 1}

    index.clear()
    emptied = find(index, **landing)
    assert (emptied.total, emptied.facets) == (0, {"member": [], "format": [], "class": []})


# -- the query model ---------------------------------------------------------------------------------


def test_parsed_queries_search(index: SearchIndex) -> None:
    assert ids(index.search(parse_query_string("author:Goodfellow deep"))) == ["dl-en"]
    assert ids(index.search(parse_query_string("title:深度 lang:chi year:2018-"))) == ["dl-python-zh"]
    assert ids(index.search(parse_query_string("isbn:0262033844"))) == ["clrs-en"]


# -- the embedded index only: persistence and rebuild ------------------------------------------------


def test_tantivy_index_persists_and_rebuilds(tmp_path: Path) -> None:
    folder = tmp_path / "search"
    TantivySearchIndex(folder).upsert(CORPUS)
    reopened = TantivySearchIndex(folder)
    assert reopened.count() == 30
    assert not reopened.needs_rebuild
    assert ids(reopened.search(SearchQuery(text="三体"))) == ["three-body-zh"]
    reopened.rebuild(CORPUS[:3])
    assert reopened.count() == 3
    assert TantivySearchIndex(folder).count() == 3


def test_tantivy_index_with_an_old_schema_is_replaced(tmp_path: Path) -> None:
    import tantivy

    folder = tmp_path / "search"
    folder.mkdir()
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("cluster_id", stored=True, tokenizer_name="raw")
    old = tantivy.Index(builder.build(), str(folder))
    with old.writer(heap_size=15_000_000, num_threads=1) as writer:
        writer.add_document(tantivy.Document(cluster_id="x"))
    (folder / "notes.txt").write_text("not the index's")
    index = TantivySearchIndex(folder)
    assert index.needs_rebuild
    assert index.count() == 0
    assert (folder / "notes.txt").exists()
    index.rebuild(CORPUS)
    assert not index.needs_rebuild
    assert index.search(SearchQuery(text="深度")).total == 2


def test_tantivy_search_sees_a_commit_by_another_process_at_once(tmp_path: Path) -> None:
    folder = tmp_path / "search"
    index = TantivySearchIndex(folder)
    index.upsert(CORPUS)
    landing = SearchQuery(facets=["member", "language"])
    assert "hill" not in facet(index.search(landing), "member")  # counted, and kept for this generation
    newcomer = make_cluster("newcomer", "Neue Bücher", ["hill"], language="ger")
    writer = (
        "import sys; from pathlib import Path; from consortium.adapters.local import TantivySearchIndex; "
        "from consortium.models import Cluster; "
        "TantivySearchIndex(Path(sys.argv[1])).upsert([Cluster.model_validate_json(sys.stdin.read())])"
    )
    subprocess.run([sys.executable, "-c", writer, str(folder)], input=newcomer.model_dump_json(), text=True, check=True)
    # No waiting: the next search compares the commit on disk with the one it has loaded.
    assert index.count() == 31
    after = index.search(landing)
    assert (after.total, facet(after, "member")["hill"], facet(after, "language")["ger"]) == (31, 1, 1)
    assert ids(index.search(SearchQuery(text="neue bucher"))) == ["newcomer"]


def test_tantivy_writes_through_one_held_writer_are_committed_each_and_keep_others_out(tmp_path: Path) -> None:
    """``writing()`` (the follower's whole life): each write inside commits (a search, here or in another index
    object on the folder, sees it at once); a failed write rolls back and the writer goes on; no one else can write
    meanwhile; on leaving, the writer is released."""
    folder = tmp_path / "search"
    index, other = TantivySearchIndex(folder, batch_size=7), TantivySearchIndex(folder)
    with index.writing():
        index.upsert(CORPUS[:10])
        assert index.count() == other.count() == 10
        with pytest.raises(StorageError, match="cannot write the search index"):
            other.upsert(CORPUS[10:])
        with pytest.raises(StorageError, match="writing the search index failed"):
            index.upsert([*CORPUS[10:12], make_cluster("bad", "Bad", ["mit"], year=-(2**70))])
        assert index.count() == 10  # the failed batch rolled back
        index.upsert(CORPUS[10:])
        index.delete(["dl-en"])
        assert other.count() == 29
        with pytest.raises(RuntimeError, match="held already"), index.writing():
            pass
    other.upsert([make_cluster("newcomer", "Neue Bücher", ["hill"])])
    assert index.count() == 30
    assert ids(index.search(SearchQuery(text="neue bucher"))) == ["newcomer"]


def test_tantivy_staged_writes_are_seen_only_once_committed_from_another_thread(tmp_path: Path) -> None:
    """``stage`` (the follower's rounds) adds and removes documents in the held writer without committing;
    ``commit_staged``, here from a thread of its own as the follower calls it, commits them in one commit, with
    the same result as ``upsert`` then ``delete``; a failed staging rolls back what was staged; outside
    ``writing()`` there is nothing to stage into."""
    import threading

    folder = tmp_path / "search"
    index, other, reference = TantivySearchIndex(folder), TantivySearchIndex(folder), InMemorySearchIndex()
    with pytest.raises(RuntimeError, match="writer held"):
        index.stage(CORPUS[:1], [])
    with index.writing():
        index.stage(CORPUS[:12], [])
        assert other.count() == 0  # staged, not committed
        committer = threading.Thread(target=index.commit_staged)
        committer.start()
        committer.join()
        assert other.count() == 12
        with pytest.raises(StorageError, match="writing the search index failed"):
            index.stage([*CORPUS[12:14], make_cluster("bad", "Bad", ["mit"], year=-(2**70))], [])
        index.stage(CORPUS[12:], ["dl-en", "absent"])
        index.commit_staged()
    reference.upsert(CORPUS)
    reference.delete(["dl-en"])
    assert index.count() == other.count() == reference.count() == 29
    for query in (SearchQuery(text="deep learning"), SearchQuery(facets=["member", "language"], page_size=100)):
        found, expected = index.search(query), reference.search(query)
        assert (sorted(ids(found)), found.facets) == (sorted(ids(expected)), expected.facets)


def test_tantivy_in_memory_index_held_writer_reloads_after_each_write() -> None:
    index = TantivySearchIndex(None)
    with index.writing():
        index.upsert(CORPUS[:3])
        assert index.count() == 3
    assert index.count() == 3


def test_tantivy_facets_with_more_keys_than_asked_are_counted_over_the_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A document's members (classes, ...) are counted from one key naming them all (here from the first match on;
    by default from many); with more distinct keys among the matches than the aggregation returns, the facet is
    counted over the multi-valued field itself."""
    from consortium.adapters.local import tantivy_facets

    reference = InMemorySearchIndex()
    reference.upsert(CORPUS)
    queries = [
        SearchQuery(facets=["member", "format", "language", "class", "year", "subject"], page_size=100),
        SearchQuery(text="深度学习", facets=["member", "class", "language"]),
        SearchQuery(members=["thu"], facets=["member", "format"]),
    ]
    expected = [reference.search(query).facets for query in queries]
    monkeypatch.setattr(tantivy_facets, "KEYED_FROM", 1)
    for buckets in (2, tantivy_facets.KEY_BUCKETS):
        monkeypatch.setattr(tantivy_facets, "KEY_BUCKETS", buckets)
        index = TantivySearchIndex(tmp_path / f"search-{buckets}", batch_size=7)
        index.upsert(CORPUS)
        assert [index.search(query).facets for query in queries] == expected


# -- the OpenSearch index only: the alias, rebuild without downtime, errors --------------------------


def test_opensearch_reads_and_writes_through_the_alias(opensearch: OpenSearch) -> None:
    alias = fresh_alias()
    index = OpenSearchIndex(opensearch, alias=alias, chinese_analyzer=False)
    index.upsert(CORPUS[:3])
    assert index.concrete_indices() == [f"{alias}-v4-000001"]
    assert not index.needs_rebuild
    assert opensearch.count(index=f"{alias}-v4-000001")["count"] == 3
    # A second adapter on the same alias (another process) finds the index and does not make another.
    again = OpenSearchIndex(opensearch, alias=alias, chinese_analyzer=False)
    assert again.count() == 3
    assert again.concrete_indices() == [f"{alias}-v4-000001"]


def test_opensearch_refresh_wait_for_makes_writes_searchable(opensearch: OpenSearch) -> None:
    index = OpenSearchIndex(opensearch, alias=fresh_alias(), batch_size=4, chinese_analyzer=False, refresh="wait_for")
    index.upsert(CORPUS)
    assert ids(find(index, "三体")) == ["three-body-zh"]
    assert index.count() == 30


def test_opensearch_rebuild_swaps_the_alias_with_no_moment_where_searches_fail(opensearch: OpenSearch) -> None:
    alias = fresh_alias()
    index = OpenSearchIndex(opensearch, alias=alias, batch_size=5, chinese_analyzer=False)
    index.upsert(CORPUS)
    old = index.concrete_indices()
    kept = [c for c in CORPUS if c.language == "chi"]  # 12 clusters, 三体 among them, Deep learning not
    totals: list[int] = []
    failures: list[BaseException] = []
    stop = threading.Event()

    def searched_five_more_times() -> bool:
        seen = len(totals) + len(failures)
        deadline = time.monotonic() + 10
        while len(totals) + len(failures) < seen + 5 and time.monotonic() < deadline:
            time.sleep(0.001)
        return len(totals) + len(failures) >= seen + 5

    def search_all_the_time() -> None:
        reader = OpenSearchIndex(opensearch, alias=alias, chinese_analyzer=False)
        while not stop.is_set():
            try:
                totals.append(reader.search(SearchQuery(page_size=1)).total)
            except BaseException as exc:
                failures.append(exc)

    def clusters_while_searching() -> Iterator[Cluster]:
        for position, cluster in enumerate(kept):
            if position == len(kept) - 1:
                # Earlier batches are in the new index; the alias still points at the old, complete one.
                assert opensearch.indices.exists(index=f"{alias}-v4-000002")
                assert index.concrete_indices() == old
                assert find(index).total == 30
                assert ids(find(index, "deep learning", languages=["eng"])) == ["dl-en", "dl-python-en"]
                assert searched_five_more_times()  # the other reader, meanwhile
            yield cluster

    reader = threading.Thread(target=search_all_the_time)
    reader.start()
    try:
        index.rebuild(clusters_while_searching())
        assert searched_five_more_times()  # and after the swap
    finally:
        stop.set()
        reader.join(timeout=30)
    assert failures == []
    assert set(totals) == {30, len(kept)}
    assert totals[-1] == len(kept)
    assert totals == sorted(totals, reverse=True)  # old index until the swap, then only the new one
    assert index.concrete_indices() == [f"{alias}-v4-000002"]
    assert not opensearch.indices.exists(index=old[0])
    assert index.count() == len(kept)
    assert ids(find(index, "三体")) == ["three-body-zh"]
    assert find(index, "deep learning").total == 0


def test_opensearch_rebuild_moves_an_older_schema_version(opensearch: OpenSearch) -> None:
    alias = fresh_alias()
    opensearch.indices.create(index=f"{alias}-v0-000004", body={"aliases": {alias: {}}})
    # Asked first, before any read or write (as a reindex job does), it looks at the alias.
    assert OpenSearchIndex(opensearch, alias=alias, chinese_analyzer=False).needs_rebuild
    index = OpenSearchIndex(opensearch, alias=alias, chinese_analyzer=False)
    assert index.count() == 0
    assert index.needs_rebuild
    index.rebuild(iter(CORPUS))
    assert not index.needs_rebuild
    assert index.concrete_indices() == [f"{alias}-v4-000005"]  # the counter goes on across versions
    assert not opensearch.indices.exists(index=f"{alias}-v0-000004")
    assert find(index, "深度学习", facets=["member"]).total == 2


def test_opensearch_index_of_an_older_layout_is_rebuilt_as_the_current_version(opensearch: OpenSearch) -> None:
    """An alias on a version-2 index (no ``class_tree``; strict mapping, so it refuses later versions' documents):
    the adapter asks for a rebuild, and after it the class browse, classes at any depth and periods work."""
    from consortium.adapters.aws.opensearch_index import load_template
    from consortium.search.document import index_document

    alias = fresh_alias()
    body = load_template(2, chinese_analyzer=False)["template"]
    opensearch.indices.create(index=f"{alias}-v2-000001", body={**body, "aliases": {alias: {}}})
    old_document = {k: v for k, v in index_document(BY_ID["db-zh"]).items() if k not in ("class_tree", "work_id")}
    opensearch.index(index=alias, id="db-zh", body=old_document, refresh=True)
    index = OpenSearchIndex(opensearch, alias=alias, chinese_analyzer=False)
    assert index.count() == 1
    assert index.needs_rebuild
    with pytest.raises(StorageError, match=r"class_tree"):
        index.upsert(CORPUS[:1])
    index.rebuild(iter(CORPUS))
    assert not index.needs_rebuild
    assert index.concrete_indices() == [f"{alias}-v4-000002"]
    assert index.class_counts("clc:TP3") == {"clc:TP30": 1, "clc:TP31": 2}
    assert set(ids(find(index, class_codes=["clc:TP31"], first_seen_from=T0))) == {"dl-python-zh", "db-zh"}


def test_opensearch_index_of_version_3_is_rebuilt_with_work_ids(opensearch: OpenSearch) -> None:
    """A deployment indexed before work groups (version 3, no ``work_id``): rebuilt, the work filter works."""
    from consortium.adapters.aws.opensearch_index import load_template

    alias = fresh_alias()
    body = load_template(3, chinese_analyzer=False)["template"]
    opensearch.indices.create(index=f"{alias}-v3-000001", body={**body, "aliases": {alias: {}}})
    index = OpenSearchIndex(opensearch, alias=alias, chinese_analyzer=False)
    assert index.count() == 0
    assert index.needs_rebuild
    index.rebuild(iter([*CORPUS, make_cluster("kuhn-de", "Die Struktur", work_id=WORK)]))
    assert index.concrete_indices() == [f"{alias}-v4-000002"]
    assert ids(find(index, works=[WORK])) == ["kuhn-de"]


def test_opensearch_failed_rebuild_leaves_the_alias_as_it_was(opensearch: OpenSearch) -> None:
    alias = fresh_alias()
    index = OpenSearchIndex(opensearch, alias=alias, batch_size=5, chinese_analyzer=False)
    index.upsert(CORPUS)

    def broken() -> Iterator[Cluster]:
        yield from CORPUS[:12]
        raise RuntimeError("the cluster store went away")

    with pytest.raises(RuntimeError, match="went away"):
        index.rebuild(broken())
    assert index.concrete_indices() == [f"{alias}-v4-000001"]
    assert not opensearch.indices.exists(index=f"{alias}-v4-000002")  # the half-loaded index is gone
    assert index.count() == 30


def test_opensearch_errors_are_ours(opensearch: OpenSearch) -> None:
    from opensearchpy import OpenSearch as Client

    unreachable = Client(hosts=["http://127.0.0.1:9"], max_retries=0, timeout=2)
    with pytest.raises(StorageError, match="cannot reach OpenSearch") as caught:
        OpenSearchIndex(unreachable, alias=fresh_alias(), chinese_analyzer=False).count()
    assert caught.value.retryable
    index = OpenSearchIndex(opensearch, alias=fresh_alias(), chinese_analyzer=False)
    index.upsert(CORPUS[:2])
    opensearch.indices.delete(index=index.concrete_indices()[0])  # the index and its alias gone behind our back
    with pytest.raises(NotFoundError):
        index.search(SearchQuery(text="deep"))
    # A document the index refuses: the bulk error names it, without carrying the document.
    alias = fresh_alias()
    opensearch.indices.create(
        index=f"{alias}-v4-000001",
        body={"mappings": {"properties": {"members": {"type": "integer"}}}, "aliases": {alias: {}}},
    )
    with pytest.raises(StorageError, match="2 document") as refused:
        OpenSearchIndex(opensearch, alias=alias, chinese_analyzer=False).upsert(CORPUS[:2])
    assert "members" in str(refused.value)
    assert "data" not in refused.value.details["errors"][0]["index"]


def test_opensearch_without_smartcn_refuses_the_full_template(opensearch: OpenSearch) -> None:
    # osmem-server, like an OpenSearch without the Smart Chinese and ICU plugins, rejects the real template:
    # the failure is loud, not a silently different analysis.
    with pytest.raises(StorageError, match="400"):
        OpenSearchIndex(opensearch, alias=fresh_alias()).count()


def test_opensearch_template_installs_as_a_composable_template(opensearch: OpenSearch) -> None:
    from consortium.adapters.aws.opensearch_index import load_template

    template = load_template(chinese_analyzer=False)
    name = f"consortium-bib-v4-contract-{uuid.uuid4().hex[:8]}"
    opensearch.indices.put_index_template(name="consortium-bib-v4", body=template)
    try:
        opensearch.indices.create(index=name)  # matched by the template's index pattern
        mapping = opensearch.indices.get_mapping(index=name)[name]["mappings"]
        assert mapping["dynamic"] == "strict"
        assert mapping["properties"]["title_terms"]["analyzer"] == "whitespace"
        assert mapping["properties"]["subjects"]["fields"]["keyword"]["type"] == "keyword"
        assert set(mapping["properties"]) == set(template["template"]["mappings"]["properties"])
    finally:
        opensearch.indices.delete(index=name, ignore_unavailable=True)
        opensearch.indices.delete_index_template(name="consortium-bib-v4")
