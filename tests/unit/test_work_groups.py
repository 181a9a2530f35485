"""Two levels: manifestation clusters (one edition from every member) and work groups (its other editions and
translations). The normalizers keep a translation's original title (MARC21 240/130, UNIMARC 500/454), the merge
carries it, and the work id follows from the merged fields alone, whatever order the records came in."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from factories import make_checkpoint, make_record, raw_of
from marc_builders import book, unimarc_book
from pymarc import Field, Indicators, Subfield

from consortium.adapters.memory import InMemoryRecordStore
from consortium.adapters.memory.clock import ManualClock
from consortium.adapters.memory.clusters import InMemoryClusterStore
from consortium.dedup.merge import merge_cluster
from consortium.dedup.service import DedupService
from consortium.dedup.work_groups import cluster_work_id, is_translated, with_work_id, work_id, work_key
from consortium.harvest.normalize.marc21 import normalize_marc21
from consortium.harvest.normalize.unimarc import normalize_unimarc
from consortium.harvest.state import PageCommit, RecordChange
from consortium.models import Identifier, IdentifierScheme, Record

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def marc21(marc: object) -> Record:
    return normalize_marc21(marc, member="riverside", source_id="s", raw=raw_of("x"))  # type: ignore[arg-type]


def unimarc(marc: object) -> Record:
    return normalize_unimarc(marc, member="eastlake", source_id="s", raw=raw_of("x"))  # type: ignore[arg-type]


def test_marc21_keeps_the_original_title_of_a_translation_from_240() -> None:
    record = marc21(
        book(
            "t1",
            "Die Struktur wissenschaftlicher Revolutionen",
            author="Kuhn, Thomas S.",
            language="ger",
            uniform="Structure of scientific revolutions",
        )
    )
    assert record.title == "Die Struktur wissenschaftlicher Revolutionen"
    assert record.uniform_title == "Structure of scientific revolutions"  # 240 $a, its closing period gone
    assert record.language == "ger"
    assert marc21(book("o1", "The structure of scientific revolutions")).uniform_title is None


def test_marc21_reads_130_and_passes_over_a_form_subheading() -> None:
    anonymous = book("b1", "The Holy Bible", author=None)
    anonymous.add_field(Field(tag="130", indicators=Indicators("0", " "), subfields=[Subfield("a", "Bible.")]))
    assert marc21(anonymous).uniform_title == "Bible"
    selections = book("s1", "Selected stories", author="Chekhov, Anton")
    collective = [Subfield("a", "Short stories."), Subfield("k", "Selections")]
    selections.add_field(Field(tag="240", indicators=Indicators("1", "0"), subfields=collective))
    assert marc21(selections).uniform_title is None  # a compilation, not the work


def test_unimarc_keeps_the_uniform_title_from_500_else_454() -> None:
    common = {"author": "Cormen, Thomas H.", "isbn": "9787111407010", "clc": "TP301.6", "year": "2013"}
    assert unimarc(unimarc_book("e1", "算法导论", uniform="Introduction to algorithms", **common)).uniform_title == (
        "Introduction to algorithms"
    )
    linked = unimarc(unimarc_book("e2", "算法导论", translation_of="Introduction to algorithms", **common))
    assert linked.uniform_title == "Introduction to algorithms"
    embedded = unimarc_book("e3", "算法导论", **common)
    link = [Subfield("1", "2001 "), Subfield("a", "Introduction to algorithms")]
    embedded.add_field(Field(tag="454", indicators=Indicators(" ", "1"), subfields=link))
    assert unimarc(embedded).uniform_title == "Introduction to algorithms"
    assert unimarc(unimarc_book("e4", "三体", **common)).uniform_title is None


def test_a_translation_with_its_original_title_is_in_the_work_of_the_original() -> None:
    original = work_key("The structure of scientific revolutions", ["Kuhn, Thomas S."])
    german = work_key(
        "Die Struktur wissenschaftlicher Revolutionen", ["Kuhn, Thomas S."], "Structure of scientific revolutions."
    )
    assert original == german == "structure of scientific revolutions|kuhn"
    assert work_key("Die Struktur wissenschaftlicher Revolutionen", ["Kuhn, Thomas S."]) != original
    assert work_id(original) == work_id(german) and work_id(original) != work_id("other|kuhn")
    assert work_key("Poems", []) is None and work_id(None) is None  # too little to group


def _records() -> list[Record]:
    kuhn = ["Kuhn, Thomas S."]
    isbn = [Identifier(scheme=IdentifierScheme.ISBN, value="9780226458083")]
    return [
        make_record("riverside", "r1", "The structure of scientific revolutions", authors=kuhn, year=1996,
                    identifiers=isbn, edition="3rd ed.", language="eng"),
        make_record("lakeside", "l1", "The structure of scientific revolutions", authors=kuhn, year=1996,
                    identifiers=isbn, language="eng"),
        make_record("lakeside", "l2", "The structure of scientific revolutions", authors=kuhn, year=1962,
                    language="eng", publisher="University of Chicago Press"),
        make_record("eastlake", "e1", "Die Struktur wissenschaftlicher Revolutionen", authors=kuhn, year=1976,
                    language="ger", uniform_title="Structure of scientific revolutions"),
        make_record("eastlake", "e2", "Kuhn's structure of scientific revolutions", authors=["Bird, Alexander"],
                    year=2000),
    ]  # fmt: skip


def _cluster_in(order: list[Record]) -> set[tuple[tuple[tuple[str, str], ...], str | None]]:
    records, clusters = InMemoryRecordStore(), InMemoryClusterStore()
    service = DedupService(records, clusters, clock=ManualClock(NOW, tick=timedelta(minutes=1)))
    for record in order:  # one page a record: the incremental path, in this arrival order
        change = RecordChange(member=record.member, local_id=record.local_id, record=record)
        records.commit(PageCommit(changes=[change], checkpoint=make_checkpoint()))
        service.apply([record.key])
    return {(tuple(c.records), c.work_id) for c in clusters.clusters()}


def test_editions_and_a_translation_share_one_work_id_whatever_the_arrival_order() -> None:
    first = _cluster_in(_records())
    by_records = dict(first)
    english = by_records[(("lakeside", "l1"), ("riverside", "r1"))]
    assert english is not None
    assert by_records[(("lakeside", "l2"),)] == english  # another edition
    assert by_records[(("eastlake", "e1"),)] == english  # the translation
    assert by_records[(("eastlake", "e2"),)] not in (None, english)  # a book about it is another work
    for seed in range(5):
        order = _records()
        random.Random(seed).shuffle(order)
        assert _cluster_in(order) == first


def test_the_merged_uniform_title_and_work_id_come_from_the_ranked_records() -> None:
    kuhn = ["Kuhn, Thomas S."]
    plain = make_record("a", "1", "Die Struktur wissenschaftlicher Revolutionen", authors=kuhn, year=1976)
    described = plain.model_copy(
        update={"member": "b", "uniform_title": "Structure of scientific revolutions", "language": "ger"}
    )
    merged = merge_cluster("c", [plain, described], {}, NOW)
    assert merged.uniform_title == "Structure of scientific revolutions"
    assert merged.work_id == work_id("structure of scientific revolutions|kuhn") == cluster_work_id(merged)
    assert is_translated(merged)
    single = merge_cluster("d", [described], {}, NOW)
    assert single.work_id == merged.work_id and single.uniform_title == merged.uniform_title


@pytest.mark.parametrize("stored_work_id", [None, "wkept"])
def test_a_cluster_stored_before_work_groups_gets_its_work_id_when_read(stored_work_id: str | None) -> None:
    cluster = merge_cluster("c", [make_record("a", "1", "Concrete mathematics", authors=["Graham, R."])], {}, NOW)
    legacy = cluster.model_copy(update={"work_id": stored_work_id})
    expected = stored_work_id or work_id("concrete mathematics|graham")
    assert with_work_id(legacy).work_id == expected
