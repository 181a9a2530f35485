"""MarcEdit's mnemonic text (``.mrk``, ``.mrk8``; LC's MARCMaker/MARCBreaker form) as a harvest format.

A record is a leader line and one line a field, records apart by a blank line (or by the next ``=LDR``)::

    =LDR  01201nam  2200253 a 4500
    =001  tes96000001\\
    =245  10$aNew test record /$cby Jane Deer-Doe ; price {dollar}5.
    =650  \\0$aM{acute}exico.

``\\`` is a blank in the leader, a control field and the indicators (elsewhere it is a backslash); ``$`` begins a
subfield; a character the text cannot hold plainly is a mnemonic in braces. Which mnemonics there are, and what each
is, is LC's list: ``{dollar}``, ``{lcub}``, ``{rcub}``, ``{bsol}`` for the characters the form itself uses, the
SGML names of ASCII's other punctuation, ``{esc}`` for MARC-8's escape, and a name for each character of MARC-8's
extended Latin set (:data:`EXTENDED_LATIN`, each the byte it stands for). An unknown ``{...}`` is text, as braces
in a title are.

A record is text in the encoding its leader/09 says: ``a`` is UTF-8 (``.mrk8``), blank is MARC-8 (``.mrk``, where
every character beyond ASCII is a mnemonic or an escape sequence): its mnemonics become the MARC-8 bytes they name,
and the field is decoded as binary MARC-8 is (:mod:`consortium.harvest.formats.marc8`: a diacritic before its
letter, ``{esc}`` sequences, ``&#x…;`` references). A record declared MARC-8 whose text is UTF-8 is read as UTF-8,
as :mod:`consortium.harvest.formats.iso2709` reads such binary records. In a UTF-8 record a diacritic's mnemonic
still stands before its letter, and is put after it.

A record that cannot be read is quarantined naming its line (``line 14 (=245): no subfield after the
indicators``) and the records after it are read; a file with no ``=LDR`` line at all is refused whole. Each
record's raw bytes are its own lines, so it can be read again alone.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

import pymarc
from pymarc import marc8_mapping

from consortium.errors import RecordError
from consortium.harvest.formats.marc8 import decode_marc8
from consortium.harvest.formats.pymarc_records import PymarcRecordsFormat
from consortium.harvest.items import RawPage, RawRecord, numbered_pages
from consortium.harvest.normalize.marc21 import MARC21
from consortium.harvest.refusals import Refusal

if TYPE_CHECKING:
    from collections.abc import Iterator


__all__ = ["ASCII_NAMES", "EXTENDED_LATIN", "MrkFormat", "iter_mrk", "parse_mrk"]

_MEDIA = "application/x-marc-mnemonic"

EXTENDED_LATIN: dict[str, int] = {
    "Lstrok": 0xA1, "Ostrok": 0xA2, "Dstrok": 0xA3, "THORN": 0xA4, "AElig": 0xA5, "OElig": 0xA6,
    "softsign": 0xA7, "middot": 0xA8, "flat": 0xA9, "reg": 0xAA, "plusmn": 0xAB, "Ohorn": 0xAC, "Uhorn": 0xAD,
    "mlrhring": 0xAE, "mllhring": 0xB0, "lstrok": 0xB1, "ostrok": 0xB2, "dstrok": 0xB3, "thorn": 0xB4,
    "aelig": 0xB5, "oelig": 0xB6, "hardsign": 0xB7, "inodot": 0xB8, "pound": 0xB9, "eth": 0xBA, "ohorn": 0xBC,
    "uhorn": 0xBD, "deg": 0xC0, "scriptl": 0xC1, "phono": 0xC2, "copy": 0xC3, "sharp": 0xC4, "iquest": 0xC5,
    "iexcl": 0xC6, "eszett": 0xC7, "euro": 0xC8,
    # the diacritics, each written before the letter it is on
    "hooka": 0xE0, "grave": 0xE1, "acute": 0xE2, "circ": 0xE3, "tilde": 0xE4, "macr": 0xE5, "breve": 0xE6,
    "dot": 0xE7, "uml": 0xE8, "caron": 0xE9, "ring": 0xEA, "llig": 0xEB, "rlig": 0xEC, "rcommaa": 0xED,
    "dblac": 0xEE, "candra": 0xEF, "cedil": 0xF0, "ogon": 0xF1, "dotb": 0xF2, "dbldotb": 0xF3, "ringb": 0xF4,
    "dblunder": 0xF5, "under": 0xF6, "commab": 0xF7, "rcedil": 0xF8, "breveb": 0xF9, "ldbltil": 0xFA,
    "rdbltil": 0xFB, "commaa": 0xFE,
    # the joiners
    "joiner": 0x8D, "nonjoin": 0x8E,
}  # fmt: skip
"""Each mnemonic of MARC-8's extended Latin set (ANSEL) and the byte it stands for."""

ASCII_NAMES: dict[str, str] = {
    "dollar": "$", "lcub": "{", "rcub": "}", "bsol": "\\", "verbar": "|", "esc": "\x1b",
    "excl": "!", "quot": '"', "num": "#", "percnt": "%", "amp": "&", "apos": "'", "lpar": "(", "rpar": ")",
    "ast": "*", "plus": "+", "sol": "/", "colon": ":", "semi": ";", "lt": "<", "equals": "=", "gt": ">",
    "quest": "?", "commat": "@", "lsqb": "[", "rsqb": "]", "lowbar": "_",
}  # fmt: skip
"""The mnemonics of ASCII characters: the form's own (``$``, braces, backslash), MARC-8's escape, and the SGML
names of the other punctuation."""

_LATIN_SET = marc8_mapping.CODESETS[0x45]
_TO_MARC8: dict[str, bytes] = {
    **{name: char.encode("ascii") for name, char in ASCII_NAMES.items()},
    **{name: bytes([byte]) for name, byte in EXTENDED_LATIN.items()},
}
_TO_UNICODE: dict[str, tuple[str, bool]] = {
    **{name: (char, False) for name, char in ASCII_NAMES.items()},
    **{name: (chr(_LATIN_SET[byte][0]), bool(_LATIN_SET[byte][1])) for name, byte in EXTENDED_LATIN.items()},
}
_MNEMONIC = re.compile(r"\{([A-Za-z]+)\}")
_MNEMONIC_BYTES = re.compile(rb"\{([A-Za-z]+)\}")
_LINE = re.compile(rb"=([0-9A-Za-z]{3})  (.*)")


def _utf8_text(value: str) -> str:
    """A UTF-8 field's mnemonics as their characters, a diacritic's after the letter it stands before."""
    if "{" not in value:
        return value
    out: list[str] = []
    marks: list[str] = []
    at, placed = 0, False
    for match in _MNEMONIC.finditer(value):
        known = _TO_UNICODE.get(match[1])
        if known is None:
            continue
        _place(out, marks, value[at : match.start()])
        char, combining = known
        if combining:
            marks.append(char)
            placed = True
        else:
            _place(out, marks, char)
        at = match.end()
    _place(out, marks, value[at:])
    out.extend(marks)
    text = "".join(out)
    return unicodedata.normalize("NFC", text) if placed else text


def _place(out: list[str], marks: list[str], text: str) -> None:
    """Add ``text``, with the diacritics waiting for a letter after its first character."""
    if not text:
        return
    if marks:
        out.append(text[0])
        out.extend(marks)
        marks.clear()
        out.append(text[1:])
    else:
        out.append(text)


def _marc8_bytes(value: bytes) -> bytes:
    """A MARC-8 field's mnemonics as the bytes they stand for."""
    if b"{" not in value:
        return value
    return _MNEMONIC_BYTES.sub(lambda m: _TO_MARC8.get(m[1].decode("ascii"), m[0]), value)


def _is_utf8(block: list[bytes]) -> bool:
    """Text beyond ASCII that is valid UTF-8 and holds no MARC-8 escape (MARC-8 diacritics are not UTF-8)."""
    data = b"\n".join(block)
    if data.isascii() or b"\x1b" in data or b"{esc}" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _blanks(value: bytes) -> bytes:
    return value.replace(b"\\", b" ")


class _Decoder:
    """How one record's field text becomes Unicode: as UTF-8 or as MARC-8, with the mnemonics."""

    def __init__(self, utf8: bool) -> None:
        self.utf8 = utf8

    def text(self, value: bytes, where: str) -> str:
        if self.utf8:
            try:
                return _utf8_text(value.decode("utf-8"))
            except UnicodeDecodeError as exc:
                raise RecordError(
                    f"{where}: invalid UTF-8 at byte {exc.start} (leader/09 says UTF-8)",
                    error_code=Refusal.BAD_ENCODING,
                    field=where,
                ) from None
        return decode_marc8(_marc8_bytes(value), where)


def parse_mrk(lines: list[bytes], first_line: int) -> pymarc.Record:
    """One record's lines (the first is line ``first_line`` of its file) as a pymarc record; :class:`RecordError`
    naming the line when it is not MarcEdit's mnemonic form."""
    parsed: list[tuple[int, str, bytes]] = []
    for number, line in enumerate(lines, first_line):
        match = _LINE.fullmatch(line)
        if match is None:
            what = line[:12].decode("utf-8", "replace")
            raise RecordError(
                f"line {number}: {what!r} is no field (a line begins '=', a tag and two spaces)",
                error_code=Refusal.UNREADABLE,
                field=f"line {number}",
            )
        parsed.append((number, match[1].decode("ascii").upper(), match[2]))
    if not parsed or parsed[0][1] != "LDR":
        raise RecordError(
            f"line {first_line}: the record does not begin with its leader (=LDR)",
            error_code=Refusal.UNREADABLE,
            field="leader",
        )
    leader = _blanks(parsed[0][2]).decode("latin-1")
    if not leader.isascii() or len(leader) != 24:
        raise RecordError(
            f"line {first_line} (=LDR): the leader is not 24 ASCII characters ({len(leader)} bytes)",
            error_code=Refusal.UNREADABLE,
            field="leader",
        )
    decoder = _Decoder(leader[9] == "a" or _is_utf8(lines))
    record = pymarc.Record(leader=leader)
    for number, tag, data in parsed[1:]:
        where = f"line {number} (={tag})"
        if tag == "LDR":
            raise RecordError(f"{where}: a second leader in one record", error_code=Refusal.UNREADABLE, field=where)
        if tag < "010" and tag.isdigit():
            record.add_field(pymarc.Field(tag=tag, data=decoder.text(_blanks(data), f"{tag}")))  # type: ignore[no-untyped-call]
            continue
        record.add_field(_data_field(tag, data, decoder, where))  # type: ignore[no-untyped-call]
    return record


def _data_field(tag: str, data: bytes, decoder: _Decoder, where: str) -> pymarc.Field:
    indicators = _blanks(data[:2]).decode("latin-1")
    if len(indicators) < 2 or not data[2:].startswith(b"$"):
        raise RecordError(f"{where}: no subfield after the two indicators", error_code=Refusal.UNREADABLE, field=where)
    if not indicators.isascii():
        raise RecordError(f"{where}: the indicators are not ASCII", error_code=Refusal.UNREADABLE, field=where)
    subfields = []
    for part in data[3:].split(b"$"):
        if not part:
            continue  # '$$' or a '$' ending the field: no subfield there
        code = part[:1].decode("ascii", "replace")
        subfields.append(pymarc.Subfield(code=code, value=decoder.text(part[1:], f"{tag}${code}")))
    return pymarc.Field(tag=tag, indicators=pymarc.Indicators(indicators[0], indicators[1]), subfields=subfields)


def _blocks(data: bytes) -> Iterator[tuple[int, list[bytes], bytes]]:
    """Each record's ``(first line number, lines, raw bytes)``: lines apart by blank lines or at a new ``=LDR``;
    a line ends at CR LF, LF or CR (a file saved on an old Mac), and its raw bytes keep the file's endings."""
    lines = data.removeprefix(b"\xef\xbb\xbf").splitlines(keepends=True)
    block: list[bytes] = []
    raw: list[bytes] = []
    first = 1
    for number, line in enumerate(lines, 1):
        text = line.rstrip(b"\r\n")
        if not text.strip() or (text[:4].upper() == b"=LDR" and block):
            if block:
                yield first, block, b"".join(raw)
            block, raw = [], []
        if text.strip():
            if not block:
                first = number
            block.append(text)
            raw.append(line if line.endswith((b"\n", b"\r")) else line + b"\n")
    if block:
        yield first, block, b"".join(raw)


def _raw_record(position: str, first: int, lines: list[bytes], raw: bytes) -> RawRecord:
    try:
        marc = parse_mrk(lines, first)
    except RecordError as exc:
        return RawRecord.refused(position, raw, _MEDIA, exc)
    deleted = str(marc.leader)[5:6] == "d"
    return RawRecord(position, raw, _MEDIA, local_id=MARC21.local_id(marc), parsed=marc, deleted=deleted)


def iter_mrk(data: bytes, *, name: str, start: int, page_size: int) -> Iterator[RawPage]:
    """Pages of records from a MarcEdit mnemonic file, resuming after record number ``start``."""
    if not any(line.lstrip(b"\xef\xbb\xbf \t").upper().startswith(b"=LDR") for line in data.splitlines()):
        reason = "not a MarcEdit mnemonic file (.mrk): no line begins '=LDR'"
        if data[:5].isdigit():
            reason += "; it begins as binary MARC (ISO 2709): is the source's format 'marc21'?"
        refused = RawRecord(name, data, _MEDIA, error=reason, error_code=Refusal.WRONG_FORMAT)
        yield RawPage(records=[refused], stopped=reason)
        return
    items = (
        (number, _raw_record(f"{name}#{number}", first, lines, raw))
        for number, (first, lines, raw) in enumerate(_blocks(data), 1)
        if number > start
    )
    yield from numbered_pages(items, page_size)


class MrkFormat(PymarcRecordsFormat):
    """MarcEdit's mnemonic files (``.mrk`` in MARC-8, ``.mrk8`` in UTF-8): MARC 21 records, normalized as MARC 21."""

    name = "mrk"

    def pages(self, data: bytes, *, name: str, start: int, page_size: int) -> Iterator[RawPage]:
        return iter_mrk(data, name=name, start=start, page_size=page_size)
