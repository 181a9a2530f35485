"""MarcEdit's mnemonic text (.mrk in MARC-8, .mrk8 in UTF-8): mnemonics, blanks, encodings; a record not in the
form quarantined alone naming its line, a file with no leader refused whole; resuming and reading an archived
record again, as for the other MARC formats."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consortium.adapters.memory import InMemoryBlobStore, InMemoryRecordStore
from consortium.harvest.formats.mrk import iter_mrk
from consortium.harvest.renormalize import reread
from consortium.harvest.service import HarvestReport, HarvestService
from consortium.members import Member, Source, SourceFormat
from consortium.models import IdentifierScheme

if TYPE_CHECKING:
    from pathlib import Path

    from consortium.models import Record

MEMBER = Member(id="m", name="Member")
MARC8, UTF8 = "00000nam  2200000 a 4500", "00000nam a2200000 a 4500"


def mrk(control_number: str, title: str, *, leader: str = MARC8, more: str = "") -> str:
    return (
        f"=LDR  {leader}\n=001  {control_number}\\\n=008  970101s1997\\\\\\\\mau\\\\\\\\\\\\\\\\\\\\\\001\\0\\eng\\d\n"
        f"=020  \\\\$a0201896834\n=100  1\\$aKnuth, Donald E.\n=245  10$a{title} /$cDonald E. Knuth.\n{more}"
    )


class Hub:
    def __init__(self, tmp_path: Path, page_size: int = 100) -> None:
        self.path = tmp_path / "export.mrk"
        source = {"id": "s", "protocol": "marc-file", "path": self.path, "format": "mrk"}
        self.source = Source.model_validate(source)
        self.store, self.archive = InMemoryRecordStore(), InMemoryBlobStore()
        clock = lambda: datetime(2026, 12, 5, tzinfo=UTC)  # noqa: E731
        self.service = HarvestService(self.store, self.archive, page_size=page_size, clock=clock)

    def run(self, text: str | bytes, max_pages: int | None = None) -> HarvestReport:
        self.path.write_bytes(text.encode() if isinstance(text, str) else text)
        return self.service.harvest_source(MEMBER, self.source, max_pages=max_pages)

    def record(self, local_id: str) -> Record:
        found = self.store.get("m", local_id)
        assert found is not None, local_id
        return found

    def refused(self) -> dict[str, tuple[str | None, str]]:
        return {q.position: (q.reason_code, q.reason) for q in self.store.quarantined()}


def test_a_marc8_record_its_mnemonics_and_blanks(tmp_path: Path) -> None:
    hub = Hub(tmp_path)
    more = "=650  \\0$aM{acute}exico$xHistoire {dollar}5 {lcub}sic{rcub} {esc}b2{esc}s.\n=500  \\\\$aA back\\slash.\n"
    report = hub.run(mrk("k1", "The art of computer programming", more=more))
    assert report.complete and report.counts.added == 1
    art = hub.record("k1")  # 001's trailing '\' is a blank, and the id is read without it
    assert (art.title, art.authors, art.year) == ("The art of computer programming", ["Knuth, Donald E."], 1997)
    assert [(i.scheme, i.value) for i in art.identifiers] == [(IdentifierScheme.ISBN, "9780201896831")]
    assert art.language == "eng"  # 008 read with its '\' as blanks, so its positions are where they belong
    # A diacritic before its letter, as MARC-8 writes it; $ and braces by name; an escape to subscripts and back.
    assert art.subjects == ["México -- Histoire $5 {sic} ₂."]


def test_a_utf8_record_its_diacritic_mnemonic_put_after_its_letter(tmp_path: Path) -> None:
    hub = Hub(tmp_path)
    hub.run(mrk("u1", "Caf{acute}e crème {text} {dollar}3", leader=UTF8))
    assert hub.record("u1").title == "Café crème {text} $3"  # an unknown {…} is text


def test_a_record_declared_marc8_whose_text_is_utf8_is_read_as_utf8(tmp_path: Path) -> None:
    hub = Hub(tmp_path)
    hub.run(mrk("d1", "Les misérables"))  # leader/09 blank, the text UTF-8: as binary MARC is read
    assert hub.record("d1").title == "Les misérables"


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_records_apart_by_blank_lines_or_at_the_next_leader(tmp_path: Path, ending: str) -> None:
    hub = Hub(tmp_path)
    text = mrk("a1", "One") + "\n" + mrk("a2", "Two") + mrk("a3", "Three")  # no blank line before a3's leader
    report = hub.run("\ufeff" + text.replace("\n", ending))
    assert report.complete and report.counts.added == 3
    assert {r.local_id: r.title for r in hub.store.records()} == {"a1": "One", "a2": "Two", "a3": "Three"}


def test_a_record_not_in_the_form_is_quarantined_alone_naming_its_line(tmp_path: Path) -> None:
    hub = Hub(tmp_path)
    records = [
        mrk("g1", "Good"),
        mrk("b1", "Bad").replace("=245  10$a", "=245  10a"),
        "=LDR  00000nam\n=245  10$aShort leader\n",
        mrk("b3", "Wrapped") + "a line that is no field\n",
        mrk("b4", "Not UTF-8", leader=UTF8).replace("UTF-8", "caf\udce9", 1),
        mrk("b5", "Odd indicators").replace("=245  10$a", "=245  \udce90$a"),
        mrk("g2", "Also good"),
    ]
    data = "\n".join(records).encode("utf-8", "surrogateescape")
    report = hub.run(data)
    assert report.complete and sorted(r.local_id for r in hub.store.records()) == ["g1", "g2"]
    assert hub.refused() == {
        "export.mrk#2": ("unreadable", "line 13 (=245): no subfield after the two indicators"),
        "export.mrk#3": ("unreadable", "line 15 (=LDR): the leader is not 24 ASCII characters (8 bytes)"),
        "export.mrk#4": ("unreadable", "line 24: 'a line that ' is no field (a line begins '=', a tag and two spaces)"),
        "export.mrk#5": ("bad_encoding", "245$a: invalid UTF-8 at byte 7 (leader/09 says UTF-8)"),
        "export.mrk#6": ("unreadable", "line 38 (=245): the indicators are not ASCII"),
    }


def test_a_file_with_no_leader_is_refused_whole_saying_what_it_is(tmp_path: Path) -> None:
    hub = Hub(tmp_path)
    report = hub.run(b"00042nam  2200037 a 4500\x1e\x1d")
    assert not report.complete and report.counts.added == 0
    [(code, reason)] = hub.refused().values()
    assert code == "wrong_format"
    assert reason == (
        "not a MarcEdit mnemonic file (.mrk): no line begins '=LDR'; it begins as binary MARC (ISO 2709): "
        "is the source's format 'marc21'?"
    )


def test_a_resumed_run_and_an_archived_record_read_back(tmp_path: Path) -> None:
    hub = Hub(tmp_path, page_size=1)
    text = "\n".join([mrk("r1", "First"), mrk("r2", "Second", more="=650  \\0$aAlgorithms.\n")])
    first = hub.run(text, max_pages=1)
    assert not first.complete and [r.local_id for r in hub.store.records()] == ["r1"]
    assert hub.run(text).complete and len(list(hub.store.records())) == 2
    second = hub.record("r2")
    item = reread(SourceFormat.MRK, hub.archive.get(second.raw.digest), second.raw.media_type, "export.mrk")
    assert item.local_id == "r2" and item.parsed["650"]["a"] == "Algorithms."


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="=LDR0124 $a\\{}acute\n\r\t\xe9", max_size=60), max_size=8))
def test_any_text_gives_each_record_read_or_refused_never_a_crash(lines: list[str]) -> None:
    data = ("=LDR  " + UTF8 + "\n" + "\n".join(lines)).encode()
    items = [item for page in iter_mrk(data, name="f", start=0, page_size=3) for item in page.records]
    assert items and all(item.error or item.parsed is not None for item in items)
    assert all(item.error_code for item in items if item.error)
