"""MARC-8 text decoded strictly: a byte with no MARC-8 character (a record in another encoding) or a malformed
escape sequence quarantines the record instead of becoming blanks.

Decoding is pymarc's (:class:`pymarc.MARC8ToUnicode`), with what the MARC-8 specification says and pymarc's tables
leave out:

- **The space is a space in every set.** ISO 2022's 2/0 lies outside every 94-character graphic set, so a space
  between Hebrew, Arabic or Cyrillic words (``ESC ( 2``, ``ESC ( 3``, ``ESC ( N``) is a space; pymarc's tables
  list 0x20 only in the Latin sets, and the strict check took it for a byte with no character (OCLC's records
  with those scripts in 880 were quarantined; the same records in MARCXML were read).
- **Numeric character references** (``&#x200F;``, LC's lossless conversion of characters MARC-8 lacks) are the
  characters they name, not their ten letters in a title.
"""

from __future__ import annotations

import re
import unicodedata
from typing import cast

import pymarc
from pymarc import marc8_mapping

from consortium.errors import RecordError
from consortium.harvest.refusals import Refusal

__all__ = ["decode_marc8", "decode_marc8_record"]

# Every MARC-8 escape sequence: designating a G0 or G1 set (single or multibyte), or technique 2 (ESC s, b, p, g).
_MARC8_ESCAPE = re.compile(rb"\x1b(?:\$[,)\-]?|[(,)\-])[\x21-\x7e]|\x1b[bgps]")
_REFERENCE = re.compile(r"&#x([0-9A-Fa-f]{1,6});")
_EACC = 0x31
"""The one multibyte set (East Asian characters), three bytes a character, its space 0x212320."""


def _space_in_every_set() -> None:
    """List 0x20 as the space in each single-byte set of pymarc's tables that lacks it (see the module's doc).

    Decoding is unchanged (pymarc already writes a blank for a character it cannot map); what changes is that a
    space no longer counts as a byte with no character. Done once, when this module is imported."""
    for charset, table in marc8_mapping.CODESETS.items():
        if charset != _EACC and 0x20 not in table:
            table[0x20] = (0x20, False)


_space_in_every_set()


class _StrictMarc8(pymarc.MARC8ToUnicode):
    """pymarc's MARC-8 decoder, noting a character it has no mapping for (which it writes as a blank).

    pymarc reads ``quiet`` (to decide whether to complain on stderr) exactly when a character has no mapping.
    """

    unmapped = False

    @property
    def quiet(self) -> bool:
        self.unmapped = True
        return True

    @quiet.setter
    def quiet(self, value: bool) -> None:
        pass


def _referenced(match: re.Match[str]) -> str:
    code = int(match[1], 16)
    if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF or unicodedata.category(chr(code)) == "Cc":
        return match[0]  # no character, or a control character: left as written
    return chr(code)


def decode_marc8(value: bytes, where: str) -> str:
    """One subfield's MARC-8 bytes as Unicode NFC; :class:`RecordError` naming ``where`` (``245$a``) when they are
    not MARC-8."""
    if value.isascii() and b"\x1b" not in value and b"&#x" not in value:
        return value.decode("ascii")
    if b"\x1b" in _MARC8_ESCAPE.sub(b"", value):
        raise RecordError(
            f"{where}: invalid MARC-8: a malformed escape sequence", error_code=Refusal.BAD_ENCODING, field=where
        )
    converter = _StrictMarc8()
    try:
        text: str = converter.translate(value)  # type: ignore[no-untyped-call]
    except (IndexError, TypeError, KeyError) as exc:
        raise RecordError(
            f"{where}: invalid MARC-8: {type(exc).__name__}", error_code=Refusal.BAD_ENCODING, field=where
        ) from exc
    if converter.unmapped:
        raise RecordError(
            f"{where}: invalid MARC-8: a byte with no MARC-8 character (is the record in another encoding?)",
            error_code=Refusal.BAD_ENCODING,
            field=where,
        )
    if "&#x" in text:
        text = unicodedata.normalize("NFC", _REFERENCE.sub(_referenced, text))
    return text


def decode_marc8_record(raw: pymarc.Record) -> pymarc.Record:
    """A record read undecoded (``to_unicode=False``) with its MARC-8 text decoded strictly."""
    fields: list[pymarc.Field] = []
    for field in raw.fields:
        # Undecoded, pymarc keeps bytes where its annotations say str.
        if field.is_control_field():
            data = cast("bytes", field.data or b"").decode("latin-1")
            fields.append(pymarc.Field(tag=field.tag, data=data))
            continue
        subfields = [
            pymarc.Subfield(code=s.code, value=decode_marc8(cast("bytes", s.value), f"{field.tag}${s.code}"))
            for s in field.subfields
        ]
        fields.append(pymarc.Field(tag=field.tag, indicators=field.indicators, subfields=subfields))
    record = pymarc.Record(leader=str(raw.leader))
    record.fields = fields
    return record
