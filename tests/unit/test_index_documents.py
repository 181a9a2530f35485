"""Index documents are the same as before the document building was made faster: every field of
:func:`~consortium.search.document.index_document` and of the tantivy document, for the sample members' works, the
search corpus and made-up works (``data/index_documents.jsonl.gz``, written by ``data/make_index_documents.py``
with the code of commit ``bb00103``); and the faster analysis gives the terms of the plain one for any text."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consortium.adapters.local import TantivySearchIndex
from consortium.models import Cluster
from consortium.search import analysis
from consortium.search.document import index_document

GOLDEN = Path(__file__).with_name("data") / "index_documents.jsonl.gz"


def _entries() -> list[dict[str, Any]]:
    with gzip.open(GOLDEN, "rt", encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


ENTRIES = _entries()


def test_the_golden_file_covers_chinese_and_every_scheme() -> None:
    clusters = [Cluster.model_validate(e["cluster"]) for e in ENTRIES]
    assert len(clusters) > 300
    assert {c.scheme.value for cluster in clusters for c in cluster.classifications} >= {"clc", "lcc", "ddc"}
    assert any(cluster.language == "chi" for cluster in clusters)


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["cluster"]["cluster_id"] for e in ENTRIES])
def test_index_document_is_as_before(entry: dict[str, Any]) -> None:
    cluster = Cluster.model_validate(entry["cluster"])
    assert json.loads(json.dumps(index_document(cluster), ensure_ascii=False)) == entry["document"]


def test_tantivy_documents_are_as_before() -> None:
    index = TantivySearchIndex(None)
    for entry in ENTRIES:
        document = index._document(Cluster.model_validate(entry["cluster"])).to_dict()
        assert json.loads(json.dumps(document, ensure_ascii=False)) == entry["tantivy"], entry["cluster"]["cluster_id"]


_TEXT = st.text(
    alphabet=st.sampled_from(list("abcs yéÉß-,.:;&'()0123456789深度学习紅樓夢 　：ＡＢｓカナ한글𠀀ⅷ_")), max_size=40
)


@given(text=_TEXT, stem=st.booleans(), join_runs=st.booleans())
def test_analysis_gives_the_terms_of_the_plain_analysis(text: str, stem: bool, join_runs: bool) -> None:
    assert analysis.analyze(text, stem=stem, join_runs=join_runs) == analysis.plain_analyze(
        text, stem=stem, join_runs=join_runs
    )
