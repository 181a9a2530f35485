"""Binary MARC (ISO 2709: MARC21, UNIMARC/CNMARC) as a harvest format: reading a file record by record.

Reading is permissive, as pymarc's permissive mode: a record that cannot be read becomes a
:class:`~consortium.harvest.items.RawRecord` with its raw bytes and the reason, and reading goes on with the
next record. A file resumes from a byte offset.

A binary record whose leader and directory are plainly well formed, and which is not a deletion, is not parsed
while the file is read: its control number (001) is read from the directory, and the record is parsed (by
:meth:`Iso2709Format.read`, with :func:`parse_iso2709`) only when the harvest finds it new or changed. Any other
binary record (no usable 001, a deletion, a length or directory that needs checking) is parsed as it is read.

Binary records are read as exporters really write them: a directory whose lengths or offsets miss the field
terminators (lengths counted in characters, not bytes, say) is rebuilt from the terminators when they give the
directory's number of fields; text is UTF-8 when leader/09 says so, or when a record declared MARC-8 is valid
UTF-8 (and holds no MARC-8 escape); MARC-8 is decoded strictly, so that a byte with no MARC-8 character (a
record in another encoding) or a malformed escape sequence quarantines the record instead of becoming blanks.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from typing import TYPE_CHECKING, Any

import pymarc

from consortium.errors import RecordError
from consortium.harvest.formats.base import MOST_UNREADABLE_IN_A_ROW, FormatReader, normalized
from consortium.harvest.formats.holdings_records import Joining
from consortium.harvest.formats.iso2709_frames import (
    diagnose_iso2709,
    fitted_base,
    record_ending_at,
    reframe,
    undecodable,
)
from consortium.harvest.formats.marc8 import decode_marc8_record
from consortium.harvest.items import RawPage, RawRecord
from consortium.harvest.normalize.common import FieldIndex, MarcField
from consortium.harvest.normalize.marc21 import MARC21, marc21_local_id
from consortium.harvest.refusals import Refusal

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from consortium.harvest.formats.base import FilePage
    from consortium.harvest.normalize.assembly import MarcDialect
    from consortium.harvest.normalize.common import MarcFieldLike, MarcFields
    from consortium.members import Source
    from consortium.models import RawPointer, Record

__all__ = ["MOST_UNREADABLE_IN_A_ROW", "Iso2709Format", "diagnose_iso2709", "iter_iso2709", "parse_iso2709"]

_TERMINATOR = 0x1D
_MEDIA_ISO2709 = "application/marc"
_CONTROL_NUMBER = re.compile(rb"[\x20-\x7e]+")
_NON_ASCII_CODE = re.compile(rb"\x1f[\x80-\xff]")


def _is_utf8(chunk: bytes) -> bool:
    """Text that is valid UTF-8, not ASCII, and without MARC-8 escapes (MARC-8 diacritics are not valid UTF-8)."""
    if chunk.isascii() or b"\x1b" in chunk:
        return False
    try:
        chunk.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _read_plain(chunk: bytes, *, force_utf8: bool) -> FieldIndex | None:
    """The record read straight into a :class:`FieldIndex`, when it is plainly well formed UTF-8; else ``None``.

    Plainly well formed: a directory that fits as :func:`fitted_base` says, each field starting after a field
    terminator; ASCII leader and directory; two ASCII indicators and ASCII subfield codes; valid UTF-8 text. Then
    what it reads is what pymarc reads from the same bytes (pymarc reads every other record, and says why one
    cannot be read): the same tags, indicators, subfields and text, without building pymarc's objects. The
    record is checked whole, and a data field's subfields are split only if a normalizer reads them.
    """
    base = chunk.find(b"\x1e", 24) + 1
    size = len(chunk)
    declared = chunk[:5]
    if base <= 25 or (base - 25) % 12 or chunk[12:17] != b"%05d" % base or not chunk[:base].isascii():
        return None
    if not declared.isdigit() or size < int(declared):
        return None
    if not (force_utf8 or chunk[9] == 0x61 or _is_utf8(chunk)):  # 0x61: leader/09 "a", UTF-8
        return None
    text = chunk[base:]
    if not text.isascii():
        if _NON_ASCII_CODE.search(text):
            return None  # pymarc reads a code that is not ASCII (and warns)
        try:
            text.decode("utf-8")
        except UnicodeDecodeError:
            return None  # pymarc says where, if a field holds it
    directory = chunk[24 : base - 1].decode("ascii")
    fields: list[MarcFieldLike] = []
    for i in range(0, base - 25, 12):
        digits = directory[i + 3 : i + 12]  # the field's length (4 digits) and start (5 digits)
        if not digits.isdigit():
            return None
        length, start = divmod(int(digits), 100000)
        begin = base + start
        end = begin + length - 1
        if end >= size or chunk[end] != 0x1E or chunk[begin - 1] != 0x1E:
            return None
        tag = directory[i : i + 3]
        if tag < "010" and tag.isdigit():
            fields.append(MarcField(tag, chunk[begin:end].decode("utf-8")))
            continue
        indicators = chunk[begin : begin + 2]
        if length < 3 or not indicators.isascii() or 0x1F in indicators or (length > 3 and chunk[begin + 2] != 0x1F):
            return None  # not two ASCII indicators: pymarc reads it, blanking or dropping them (and logs it)
        fields.append(MarcField(tag, None, indicators.decode("ascii"), body=chunk[begin + 3 : end]))
    return FieldIndex(chunk[:24].decode("ascii"), fields)


def parse_iso2709(chunk: bytes, *, force_utf8: bool) -> MarcFields:
    """One ISO 2709 record; a broken leader or directory, or undecodable text, raises :class:`RecordError`.

    A plainly well formed UTF-8 record is read directly (:func:`_read_plain`); any other by pymarc.
    """
    plain = _read_plain(chunk, force_utf8=force_utf8)
    if plain is not None:
        return plain
    data = reframe(chunk) or chunk
    utf8 = force_utf8 or data[9:10] == b"a" or _is_utf8(data)
    try:
        record = pymarc.Record(data=data, to_unicode=utf8, force_utf8=utf8, utf8_handling="strict")
    except UnicodeDecodeError as exc:
        reason = undecodable(data) or f"invalid UTF-8 at byte {exc.start} of a field: {exc.reason}"
        raise RecordError(reason, error_code=Refusal.BAD_ENCODING) from exc
    except (pymarc.exceptions.PymarcException, ValueError, IndexError) as exc:
        problem = diagnose_iso2709(chunk)
        reason = problem or f"the record cannot be read: {type(exc).__name__}: {exc}"
        raise RecordError(reason, error_code=Refusal.UNREADABLE) from exc
    return record if utf8 else decode_marc8_record(record)


def _peek_control_number(chunk: bytes) -> str | None:
    """The record's id as :func:`~consortium.harvest.normalize.marc21.marc21_local_id` finds it in the parsed
    record, read from the directory without parsing; ``None`` when the record must be parsed to tell.

    Trusted only for a record that needs no reframing, with an ASCII leader and directory, that is not a deletion
    (whether it can be deleted depends on whether it can be read), and whose first non-empty 001 is printable
    ASCII and not blank; a record without one (the 035 $a fallback) or with anything else is parsed instead.
    """
    base = fitted_base(chunk)
    if base is None or chunk[5] == 0x64 or not chunk[:base].isascii():  # 0x64: leader/05 "d", deleted
        return None
    for i in range(24, base - 1, 12):
        if chunk[i : i + 3] != b"001":
            continue
        length, start = int(chunk[i + 3 : i + 7]), int(chunk[i + 7 : i + 12])
        value = chunk[base + start : base + start + length - 1]  # as pymarc slices a field's data
        if not value:
            continue  # an empty 001 does not count; a later one may
        if _CONTROL_NUMBER.fullmatch(value) is None or not value.strip():
            return None
        return value.strip().decode("ascii")
    return None


def _split(data: bytes, start: int) -> Iterator[tuple[int, int, str | None]]:
    """``(start, end, problem)`` of each record from byte ``start``, trusting the leader's length only when
    the record terminator is where it says and nowhere before it (ISO 2709 keeps that byte for the end of a
    record: neither UTF-8 nor MARC-8 text holds it); otherwise the record ends at the next terminator."""
    pos, size = start, len(data)
    while pos < size:
        if data[pos] in b"\r\n\t \x00\x1a":
            pos += 1
            continue
        head = data[pos : pos + 5]
        early = ""
        if head.isdigit():
            length = int(head)
            if length >= 24 and pos + length <= size and data[pos + length - 1] == _TERMINATOR:
                inside = data.find(_TERMINATOR, pos, pos + length - 1)
                if inside < 0:
                    yield pos, pos + length, None
                    pos += length
                    continue
                early = f" (a record terminator at byte {inside} ends it first)"  # the length runs into others
        terminator = data.find(_TERMINATOR, pos)
        end = size if terminator < 0 else terminator + 1
        problem = f"leader/00-04: record length {head.decode('latin-1')!r} does not match the record{early}"
        inner = record_ending_at(data, pos + 1, end)
        if inner is not None:  # a record cut short (or bytes that are none), then a whole record: two, not one
            yield pos, inner, f"{problem} (cut short: a whole record starts at byte {inner})"
            pos = inner
            continue
        if terminator < 0:
            problem += " (no record terminator before the end of the file)"
        yield pos, end, problem
        pos = end


_OTHER_FORMATS = (
    ((b"<!doctype html", b"<html"), "an HTML page, not records (a web server's error page saved as the export?)"),
    ((b"<",), "XML: is the source's format 'marcxml' (MARCXML, MarcXchange) or 'oai-pmh' (a saved response)?"),
    ((b"{", b"["), "JSON: is the source's format 'marc-json' (MARC-in-JSON)?"),
    ((b"=ldr", b"=000"), "MarcEdit's mnemonic text: is the source's format 'mrk'?"),
)
"""How a file of another format begins (an ISO 2709 file begins with its first record's length, five digits),
and what to do about it."""


def _another_format(data: bytes) -> str | None:
    """What a file that is not binary MARC at all is, said as the refusal of the whole file; ``None`` otherwise.

    A file with a record terminator (0x1D) in it is binary MARC whose first bytes are broken (a byte flipped, a
    text header): its records are read, each broken one quarantined. XML, JSON, MarcEdit's text and HTML have none.
    """
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head[:5].isdigit() or b"\x1d" in data:
        return None
    for starts, what in _OTHER_FORMATS:
        if head.startswith(starts):
            return f"not a binary MARC file (ISO 2709): it is {what}"
    return None


def iter_iso2709(data: bytes, *, name: str, start: int, page_size: int, force_utf8: bool) -> Iterator[RawPage]:
    """Pages of records from binary MARC ``data``, resuming at byte offset ``start``.

    A well-formed record with a plain 001 comes unparsed (``parsed`` is ``None``; see :meth:`Iso2709Format.read`).
    After :data:`MOST_UNREADABLE_IN_A_ROW` unreadable records in a row, reading stops (``RawPage.stopped``).
    """
    page = RawPage()
    other = _another_format(data) if start == 0 else None
    if other is not None:  # no record of it is ISO 2709: one refusal saying what it is, not one a record
        page.records.append(RawRecord(name, data, _MEDIA_ISO2709, error=other, error_code=Refusal.WRONG_FORMAT))
        page.stopped = other
        yield page
        return
    unreadable = 0
    read = framed = cut = 0
    for begin, end, problem in _split(data, start):
        chunk = data[begin:end]
        position = f"{name}@{begin}"
        local_id = None if problem else _peek_control_number(chunk)
        if local_id is not None:
            page.records.append(RawRecord(position, chunk, _MEDIA_ISO2709, local_id=local_id))
        else:
            _parse_now(page, position, chunk, problem, force_utf8=force_utf8)
        unreadable = unreadable + 1 if page.records[-1].error is not None else 0
        read += 1
        framed += problem is None  # its leader's length ends on a record terminator: a MARC record, if unreadable
        cut = begin if unreadable and data[end - 1] != _TERMINATOR else 0  # the file ends inside this record
        if unreadable >= MOST_UNREADABLE_IN_A_ROW:
            page.stopped = (
                f"not a MARC file: {unreadable} records in a row cannot be read; reading stopped at byte {end} "
                f"of {len(data)}"
            )
            break
        if len(page.records) >= page_size:
            page.cursor = {"offset": end}
            yield page
            page = RawPage()
    if page.stopped is None and cut:
        page.stopped = f"the file ends inside the record at byte {cut} (cut short?)"
    elif page.stopped is None and read and unreadable == read and not framed and start == 0:
        page.stopped = f"not a MARC file: none of its {read} record(s) can be read, nor has the length it says"
    page.cursor = None
    yield page


def _parse_now(page: RawPage, position: str, chunk: bytes, problem: str | None, *, force_utf8: bool) -> None:
    """Parse a binary record while reading, adding it to the page with its id, or with why it cannot be read."""
    try:
        marc = parse_iso2709(chunk, force_utf8=force_utf8)
    except RecordError as exc:
        reason = f"{problem}; {exc}" if problem else str(exc)
        page.records.append(RawRecord.refused(position, chunk, _MEDIA_ISO2709, exc, reason=reason))
        return
    deleted = str(marc.leader)[5:6] == "d"
    page.records.append(
        RawRecord(position, chunk, _MEDIA_ISO2709, local_id=marc21_local_id(marc), parsed=marc, deleted=deleted)
    )


class Iso2709Format(FormatReader):
    """Binary MARC files in ``dialect`` (MARC21 or UNIMARC); ``force_utf8`` reads every record as UTF-8 whatever
    leader/09 says (CNMARC exporters leave it blank)."""

    def __init__(self, name: str, dialect: MarcDialect, *, force_utf8: bool) -> None:
        self.name = name
        self.dialect = dialect
        self.force_utf8 = force_utf8
        self.missing_id = dialect.missing_id  # MARC21's 001 or UNIMARC's record identifier, in its own words
        self.id_name = dialect.id_name

    def read_pages(self, data: bytes, *, name: str, cursor: Mapping[str, Any], page_size: int) -> Iterator[FilePage]:
        start = int(cursor.get("offset", 0))
        for page in iter_iso2709(data, name=name, start=start, page_size=page_size, force_utf8=self.force_utf8):
            offset = page.cursor["offset"] if page.cursor else len(data)
            yield page, offset / len(data) if data else 1.0

    def holdings_joining(self) -> Joining | None:
        return self._joining if self.dialect is MARC21 else None  # UNIMARC's holdings are another format

    @functools.cached_property
    def _joining(self) -> Joining:
        def record_type(item: RawRecord) -> str:
            if item.parsed is None:  # unparsed: its first bytes are its leader
                return item.raw[6:7].decode("latin-1")
            return str(item.parsed.leader)[6:7]

        def marc(item: RawRecord) -> tuple[RawRecord, MarcFields | None]:
            item = self.read(item)
            return item, item.parsed

        def cursor_after(item: RawRecord) -> dict[str, Any]:
            return {"offset": int(item.position.rsplit("@", 1)[1]) + len(item.raw)}

        return Joining(record_type, marc, b"".join, cursor_after)

    def read(self, item: RawRecord) -> RawRecord:
        """The item with ``parsed`` set, for a record that :func:`iter_iso2709` left unparsed (parsed with
        :func:`parse_iso2709`, whose :class:`RecordError` says why it cannot be); any other item as it is."""
        if item.parsed is not None or item.error is not None or item.media_type != _MEDIA_ISO2709:
            return item
        own = item.raw
        if item.attached:  # its holdings records' bytes follow its own, a plainly well formed record of that length
            own = own[: int(own[:5])]
        return dataclasses.replace(item, parsed=parse_iso2709(own, force_utf8=self.force_utf8))

    def normalize(self, item: RawRecord, *, source: Source, member: str, raw: RawPointer) -> Record:
        joining = self.holdings_joining()
        return normalized(self.dialect, item.parsed, item, joining, source=source, member=member, raw=raw)
