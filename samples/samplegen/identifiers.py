"""Identifier checks: ISBN and ISSN check digits (python-stdnum), ISBN renderings, and the checks run on the
built records before anything is written."""

from __future__ import annotations

from typing import TYPE_CHECKING

from stdnum import isbn as stdisbn
from stdnum import issn as stdissn

if TYPE_CHECKING:
    from collections.abc import Callable

    from pymarc import Record


class SampleError(Exception):
    """A fact is wrong (bad ISBN/ISSN, bad fixed-field length, unknown key): the run stops with exit status 1."""


def _checked(validate: Callable[[str], object], kind: str, value: str, where: str) -> str:
    try:
        validate(value)
    except Exception as exc:
        raise SampleError(f"{where}: invalid {kind} {value!r}: {exc}") from exc
    return value


def checked_isbn(value: str, where: str) -> str:
    """Return ``value`` unchanged if it is a valid ISBN-10 or ISBN-13 (hyphens allowed), else fail naming ``where``."""
    return _checked(stdisbn.validate, "ISBN", value, where)


def checked_issn(value: str, where: str) -> str:
    """Return ``value`` unchanged if it is a valid ISSN, else fail naming ``where``."""
    return _checked(stdissn.validate, "ISSN", value, where)


def isbn_as(value: str, form: str) -> str:
    """Render an ISBN as ``13`` (digits), ``10`` (digits, when it has one) or ``hyphen`` (as printed)."""
    compact = stdisbn.compact(value)
    if form == "13":
        return str(stdisbn.to_isbn13(compact))
    if form == "10":
        ten = stdisbn.to_isbn10(compact) if len(compact) == 13 and compact.startswith("978") else compact
        return str(ten if len(ten) == 10 else compact)
    if form == "hyphen":
        return str(stdisbn.format(compact, convert=False))
    raise SampleError(f"unknown ISBN form {form!r}")


def check_records(records: list[Record], name: str, *, unimarc: bool = False) -> None:
    """Check the built records of one file: unique 001, 24-character leaders, 40-character 008 (MARC21) or
    36-character 100 $a (UNIMARC), and a valid check digit in every ISBN (020 $a $z, 776 $z; UNIMARC 010 $a)
    and ISSN (022 $a $l)."""
    ids = [rec["001"].data for rec in records]
    if len(set(ids)) != len(ids):
        raise SampleError(f"{name}: duplicate 001")
    codes_by_tag = {"010": "a"} if unimarc else {"020": "az", "776": "z", "022": "al"}
    for rec in records:
        where = f"{name} record {rec['001'].data}"
        if len(str(rec.leader)) != 24:
            raise SampleError(f"{where}: leader is not 24 characters")
        if not unimarc and len(rec["008"].data or "") != 40:
            raise SampleError(f"{where}: 008 is not 40 characters")
        for field in rec.fields:
            if field.control_field:
                continue
            codes = codes_by_tag.get(field.tag, "")
            for sub in field.subfields:
                if sub.code in codes:
                    token = sub.value.split(" ", 1)[0]
                    if field.tag == "022":
                        checked_issn(token, where)
                    else:
                        checked_isbn(token, where)
            if unimarc and field.tag == "100" and len(field["a"]) != 36:
                raise SampleError(f"{where}: 100 $a is not 36 characters")
