"""Bulk clustering cuts each title into words once and hands the words to the blocking keys, the match view and the
merged cluster's work key: each gives what it gives when it cuts the title itself."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from factories import make_record, make_rich_record

from consortium.dedup.features import match_view
from consortium.dedup.keys import record_keys
from consortium.dedup.merge import merge_cluster
from consortium.text import core_title, plain_title, title_tokens

NOW = datetime(2026, 12, 4, tzinfo=UTC)

TITLES = [
    "The art of computer programming",
    "Art of computer programming [electronic resource]",
    "Deep learning (adaptive computation)",
    "Pride &amp; prejudice",
    "Tom & Jerry",
    "Les Misérables",
    "红楼梦",
    "Catch-22 : 50th anniversary edition",
    "A",
    "  ",
    "Data_systems: theory / practice",
]


@pytest.mark.parametrize("title", TITLES)
def test_a_plain_title_cuts_into_the_words_of_its_core_title(title: str) -> None:
    if plain_title(title):
        assert title_tokens(core_title(title)) == title_tokens(title)


def test_plain_titles_are_plain_ascii_without_brackets_or_references() -> None:
    assert plain_title("The art of computer programming")
    assert plain_title("Data_systems: theory / practice")
    assert not plain_title("Art of computer programming [electronic resource]")
    assert not plain_title("Deep learning (adaptive computation)")
    assert not plain_title("Tom & Jerry")
    assert not plain_title("Les Misérables")


@pytest.mark.parametrize("title", TITLES)
def test_keys_views_and_merged_clusters_are_the_same_with_the_words_given(title: str) -> None:
    records = [
        make_record("riverside", "r1", title, authors=["Knuth, Donald E."], year=1997),
        make_record("lakeside", "l1", title, authors=["Donald E. Knuth"], subtitle="Volume 1"),
    ]
    for record in [*records, make_rich_record()]:
        words = title_tokens(record.title)
        assert record_keys(record, words) == record_keys(record)
        assert match_view(record, words) == match_view(record)
        alone = merge_cluster("c", [record], {}, NOW, [words])
        assert alone.model_dump() == merge_cluster("c", [record], {}, NOW).model_dump()
    both = merge_cluster("c", records, {}, NOW, [title_tokens(r.title) for r in records])
    assert both.model_dump() == merge_cluster("c", records, {}, NOW).model_dump()
    assert both.work_id is not None or not title.strip()
