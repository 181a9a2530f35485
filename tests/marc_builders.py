"""Building MARC21 and UNIMARC records in tests, with pymarc."""

from __future__ import annotations

from pymarc import Field, Indicators, Leader, Record, Subfield

__all__ = ["book", "marcxml_collection", "unimarc_book"]


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
