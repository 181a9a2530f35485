"""What a serial's copy holds from MARC 21 holdings captions and patterns with their enumeration and chronology
(853-855/863-865), and from 867/868 supplements and indexes: read into the holding's coverage, in a bibliographic
record's own holdings fields or in a holdings record read with it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from marc_builders import book
from pymarc import Field, Indicators, Leader, Record, Subfield

from consortium.harvest.normalize.enumeration import enumeration_statement
from consortium.harvest.normalize.marc21 import normalize_marc21
from consortium.models import RawPointer

RAW = RawPointer(digest="0" * 64, media_type="application/marc")


def field(tag: str, *pairs: str) -> Field:
    """A field from ``"a", "v.", "b", "no."``-style code and value pairs."""
    codes = [Subfield(code, value) for code, value in zip(pairs[::2], pairs[1::2], strict=True)]
    return Field(tag=tag, indicators=Indicators(" ", " "), subfields=codes)


CAPTIONS = field("853", "8", "1", "a", "v.", "b", "no.", "i", "(year)", "j", "(month)")


def test_a_run_with_its_captions_reads_from_its_start_to_its_end() -> None:
    run = field("863", "8", "1.1", "a", "1-20", "b", "1-12", "i", "1990-2009", "j", "01-12")
    assert enumeration_statement([CAPTIONS, run]) == "v.1:no.1 (1990:01)-v.20:no.12 (2009:12)"


def test_several_runs_an_issue_a_note_and_levels_without_a_range() -> None:
    runs = [
        field("863", "8", "1.1", "a", "1-20", "i", "1990-2009"),
        field("863", "8", "1.2", "a", "22", "b", "3", "i", "2011", "j", "03", "z", "lacks the index"),
    ]
    assert enumeration_statement([CAPTIONS, *runs]) == "v.1 (1990)-v.20 (2009); v.22:no.3 (2011:03) (lacks the index)"


def test_supplements_and_indexes_are_named_after_the_basic_unit() -> None:
    fields = [
        CAPTIONS,
        field("863", "8", "1.1", "a", "1-5", "i", "2001-2005"),
        field("855", "8", "2", "a", "v."),
        field("865", "8", "2.1", "a", "1-5"),
    ]
    assert enumeration_statement(fields) == "v.1 (2001)-v.5 (2005); indexes: v.1-v.5"


def test_values_without_their_captions_are_read_alone_and_nothing_says_nothing() -> None:
    assert enumeration_statement([field("863", "8", "9.1", "a", "1-20", "i", "1990-2009")]) == "1 (1990)-20 (2009)"
    assert enumeration_statement([CAPTIONS]) is None
    assert enumeration_statement([]) is None


@given(st.lists(st.tuples(st.sampled_from("853 863 864 865 854 855".split()), st.text(max_size=12)), max_size=6))
def test_any_values_give_a_statement_or_none_never_an_error(found: list[tuple[str, str]]) -> None:
    fields = [field(tag, "8", text[:2], "a", text, "i", text[::-1]) for tag, text in found]
    said = enumeration_statement(fields)
    assert said is None or isinstance(said, str)


def normalized(record: Record, *attached: Record) -> list[str | None]:
    return [
        h.coverage for h in normalize_marc21(record, member="m", source_id="s", raw=RAW, attached=attached).holdings
    ]


def test_a_bibliographic_records_852_with_its_patterns_and_867() -> None:
    serial = book("s1", "Journal of examples")
    serial.add_field(field("852", "8", "1", "b", "Stacks", "h", "Per. 12"))
    serial.add_field(CAPTIONS)
    serial.add_field(field("863", "8", "1.1", "a", "1-20", "i", "1990-2009"))
    assert normalized(serial) == ["v.1 (1990)-v.20 (2009)"]
    serial.add_field(field("867", "8", "1", "a", "Special issue 1995"))
    serial.add_field(field("866", "8", "1", "a", "v.1-20 (1990-2009)"))  # a textual statement says it: it wins
    assert normalized(serial) == ["v.1-20 (1990-2009); supplements: Special issue 1995"]


def test_a_holdings_record_with_patterns_read_with_its_record() -> None:
    mfhd = Record(leader=Leader("00000ny  a22000003  4500"), force_utf8=True)
    for added in (
        Field(tag="001", data="h1"),
        Field(tag="004", data="s1"),
        field("852", "b", "gen", "h", "Per. 12"),
        CAPTIONS,
        field("863", "8", "1.1", "a", "3-7", "b", "1-4", "i", "1993-1997"),
    ):
        mfhd.add_field(added)
    assert normalized(book("s1", "Journal of examples"), mfhd) == ["v.3:no.1 (1993)-v.7:no.4 (1997)"]
