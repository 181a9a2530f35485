"""Building MARC21 and UNIMARC records in tests, with pymarc."""

from __future__ import annotations

import json

from pymarc import Field, Indicators, Leader, Record, Subfield

__all__ = ["FILE_WRITERS", "book", "holdings_record", "marc_json", "marcxml_collection", "mrk_text", "unimarc_book"]


def book(
    control_number: str,
    title: str,
    *,
    author: str | None = "Knuth, Donald E.",
    isbn: str | None = None,
    year: str = "1997",
    subjects: tuple[str, ...] = (),
    clc: str | None = None,
    deleted: bool = False,
    language: str = "eng",
    series: str | None = None,
    series_number: str | None = None,
    uniform: str | None = None,
) -> Record:
    """A MARC21 book; ``series`` (with ``series_number``) is transcribed in an untraced 490, ISBD punctuated;
    ``uniform`` is a translation's original title (240 $a, with the language in $l)."""
    record = Record(leader=Leader(f"00000{'d' if deleted else 'n'}am a2200000 a 4500"), force_utf8=True)
    record.add_field(Field(tag="001", data=control_number))
    record.add_field(Field(tag="008", data=f"970101s{year}    mau           001 0 {language} d"))
    if isbn:
        record.add_field(Field(tag="020", indicators=Indicators(" ", " "), subfields=[Subfield("a", isbn)]))
    if clc:
        record.add_field(
            Field(
                tag="084",
                indicators=Indicators(" ", " "),
                subfields=[Subfield("a", clc), Subfield("2", "clc")],
            )
        )
    if author:
        record.add_field(Field(tag="100", indicators=Indicators("1", " "), subfields=[Subfield("a", author + ",")]))
    if uniform:
        original = [Subfield("a", uniform + "."), Subfield("l", language)]
        record.add_field(Field(tag="240", indicators=Indicators("1", "0"), subfields=original))
    record.add_field(Field(tag="245", indicators=Indicators("1", "0"), subfields=[Subfield("a", title + " /")]))
    record.add_field(
        Field(
            tag="264",
            indicators=Indicators(" ", "1"),
            subfields=[
                Subfield("a", "Reading, Mass. :"),
                Subfield("b", "Addison-Wesley,"),
                Subfield("c", year),
            ],
        )
    )
    record.add_field(Field(tag="300", indicators=Indicators(" ", " "), subfields=[Subfield("a", "xix, 650 pages")]))
    if series:
        statement = [Subfield("a", series + " ;" if series_number else series)]
        if series_number:
            statement.append(Subfield("v", series_number))
        record.add_field(Field(tag="490", indicators=Indicators("0", " "), subfields=statement))
    for subject in subjects:
        record.add_field(Field(tag="650", indicators=Indicators(" ", "0"), subfields=[Subfield("a", subject + ".")]))
    return record


def unimarc_book(
    record_id: str,
    title: str,
    *,
    author: str,
    isbn: str,
    clc: str,
    year: str,
    series: str | None = None,
    series_number: str | None = None,
    uniform: str | None = None,
    translation_of: str | None = None,
) -> Record:
    """A CNMARC book; ``series`` (with ``series_number``) goes in 225 (the authorized form); ``uniform`` in 500
    $a (a translation's original title), ``translation_of`` in 454 $t."""
    record = Record(leader=Leader("00000nam0 2200000   450 "), force_utf8=True)
    record.add_field(Field(tag="001", data=record_id))
    record.add_field(Field(tag="010", indicators=Indicators(" ", " "), subfields=[Subfield("a", isbn)]))
    general = f"20080101d{year}    em y0chiy50      ea"
    record.add_field(Field(tag="100", indicators=Indicators(" ", " "), subfields=[Subfield("a", general)]))
    record.add_field(Field(tag="101", indicators=Indicators("0", " "), subfields=[Subfield("a", "chi")]))
    record.add_field(
        Field(
            tag="200",
            indicators=Indicators("1", " "),
            subfields=[Subfield("a", title), Subfield("f", author)],
        )
    )
    record.add_field(
        Field(
            tag="210",
            indicators=Indicators(" ", " "),
            subfields=[Subfield("a", "重庆"), Subfield("c", "重庆出版社"), Subfield("d", year)],
        )
    )
    record.add_field(Field(tag="215", indicators=Indicators(" ", " "), subfields=[Subfield("a", "302页")]))
    if series:
        statement = [Subfield("a", series)]
        if series_number:
            statement.append(Subfield("v", series_number))
        record.add_field(Field(tag="225", indicators=Indicators("2", " "), subfields=statement))
    if translation_of:
        record.add_field(Field(tag="454", indicators=Indicators(" ", "1"), subfields=[Subfield("t", translation_of)]))
    if uniform:
        original = [Subfield("a", uniform), Subfield("m", "Chinese")]
        record.add_field(Field(tag="500", indicators=Indicators("1", "0"), subfields=original))
    record.add_field(
        Field(
            tag="606",
            indicators=Indicators("0", " "),
            subfields=[Subfield("a", "科学幻想小说"), Subfield("y", "中国"), Subfield("z", "当代")],
        )
    )
    record.add_field(
        Field(tag="690", indicators=Indicators(" ", " "), subfields=[Subfield("a", clc), Subfield("v", "5")])
    )
    record.add_field(
        Field(tag="701", indicators=Indicators(" ", "0"), subfields=[Subfield("a", author), Subfield("4", "著")])
    )
    record.add_field(
        Field(
            tag="905",
            indicators=Indicators(" ", " "),
            subfields=[
                Subfield("a", "EL"),
                Subfield("c", "中文书库"),
                Subfield("d", clc),
                Subfield("e", "123"),
            ],
        )
    )
    return record


def marcxml_collection(*records: Record) -> bytes:
    from pymarc import record_to_xml

    body = b"".join(record_to_xml(r, namespace=True) for r in records)
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<collection xmlns="http://www.loc.gov/MARC21/slim">'
        + body
        + b"</collection>"
    )


def holdings_record(control_number: str, of: str, call_number: str, *, coverage: str | None = None) -> Record:
    """A holdings record as Voyager exports it: 004 the record held, 852 location and call number, 866."""
    record = Record(leader=Leader("00000nx  a22000001  4500"), force_utf8=True)
    record.add_field(Field(tag="001", data=control_number))
    record.add_field(Field(tag="004", data=of))
    record.add_field(Field(tag="008", data="0506234u    8   1001uu   0901128"))
    whole, part = call_number.split(" ", 1)
    shelf = [Subfield("b", "gen"), Subfield("h", whole), Subfield("i", part)]
    record.add_field(Field(tag="852", indicators=Indicators("0", " "), subfields=shelf))
    if coverage:
        record.add_field(Field(tag="866", indicators=Indicators(" ", "0"), subfields=[Subfield("a", coverage)]))
    return record


def mrk_text(record: Record) -> bytes:
    """The record as MarcEdit writes it (pymarc writes MARCMaker's form), a blank line after it."""
    return (str(record) + "\n\n").encode()


def marc_json(record: Record) -> bytes:
    """The record as one line of MARC-in-JSON."""
    return json.dumps(record.as_dict()).encode() + b"\n"


FILE_WRITERS = {
    "marc21": lambda records: b"".join(r.as_marc() for r in records),
    "marcxml": lambda records: marcxml_collection(*records),
    "mrk": lambda records: b"".join(mrk_text(r) for r in records),
    "marc-json": lambda records: b"".join(marc_json(r) for r in records),
}
"""A file of records in each MARC 21 file format a source may declare."""
