"""Normalizing and validating standard identifiers.

ISBNs become ISBN-13 without hyphens (a valid ISBN-10 is converted, check digit recomputed); ISSNs become
``NNNN-NNNC``; OCLC numbers lose their prefixes; LCCNs follow the Library of Congress normalization; DOIs are
lower-cased ``10.xxxx/...``. A value that looks like the identifier but fails its check digit raises
:class:`InvalidIdentifierError`; text that holds no identifier at all gives ``None``.
"""

from __future__ import annotations

import re

from stdnum import isbn as _isbn
from stdnum import issn as _issn
from stdnum.exceptions import ValidationError as _StdnumError

from consortium.errors import RecordError
from consortium.harvest.refusals import Refusal
from consortium.models import Identifier, IdentifierScheme

__all__ = [
    "InvalidIdentifierError",
    "isbn10_form",
    "normalize_doi",
    "normalize_isbn",
    "normalize_issn",
    "normalize_lccn",
    "normalize_oclc",
]


class InvalidIdentifierError(RecordError):
    """An identifier is malformed or fails its check digit."""

    error_code = Refusal.INVALID_IDENTIFIER


_ISBN_TOKEN = re.compile(r"(?<![0-9Xx])(97[89][\d\- ]{9,14}[\dXx]|[\d][\d\- ]{7,11}[\dXx])(?![\dXx])")
_ISSN_TOKEN = re.compile(r"(?<!\d)(\d{4})\s*-?\s*(\d{3}[\dXx])(?![\dXx])")
# An OCLC number says so: the (OCoLC) prefix, or OCLC's own ocm/ocn/on; a bare number in 035 is another system's.
_OCLC = re.compile(r"^\s*(?:(?:\(OCoLC\)|\(OCLC\))\s*(?:ocm|ocn|on)?|ocm|ocn|on)\s*0*(\d{1,12})\s*$", re.IGNORECASE)
_DOI = re.compile(r"(10\.\d{4,9}/\S+)", re.IGNORECASE)


def _ean_check_digit(digits: str) -> str:
    """The EAN-13 (ISBN-13) check digit of 12 ASCII digits: weights 1 and 3 from the left."""
    total = sum(map(int, digits[0::2])) + 3 * sum(map(int, digits[1::2]))
    return str(-total % 10)


def _isbn10_check_digit(digits: str) -> str:
    """The ISBN-10 check digit of 9 ASCII digits (``X`` for 10)."""
    total = sum(weight * int(d) for weight, d in enumerate(digits, start=1)) % 11
    return "X" if total == 10 else str(total)


def _valid_isbn13(value: str) -> bool:
    """Whether ``value`` is 13 ASCII digits starting 978 or 979 with the right check digit (what stdnum's
    ``isbn.validate`` accepts of 13 characters, computed here without its general cleaning)."""
    return (
        len(value) == 13
        and value.isascii()
        and value.isdigit()
        and value[:3] in ("978", "979")
        and _ean_check_digit(value[:12]) == value[12]
    )


def _plain_isbn13(candidate: str) -> str | None:
    """The ISBN-13 of a candidate of plain ASCII digits (and a final ``X``) that is a valid ISBN, as stdnum gives
    it; ``None`` for any other (stdnum then says what is wrong)."""
    if not candidate.isascii():
        return None
    if _valid_isbn13(candidate):
        return candidate
    if len(candidate) == 10 and candidate[:9].isdigit() and _isbn10_check_digit(candidate[:9]) == candidate[9]:
        digits = "978" + candidate[:9]
        return digits + _ean_check_digit(digits)
    return None


def isbn10_form(isbn13: str) -> str:
    """The ISBN-10 of a ``978`` ISBN-13 (``9780262033848`` gives ``0262033844``); stdnum's errors otherwise."""
    if isbn13.startswith("978") and _valid_isbn13(isbn13):
        return isbn13[3:12] + _isbn10_check_digit(isbn13[3:12])
    return str(_isbn.to_isbn10(isbn13))


def normalize_isbn(text: str) -> Identifier | None:
    """The ISBN-13 in ``text`` (``"0262033844 (hardcover)"`` gives ``9780262033848``)."""
    match = _ISBN_TOKEN.search(text)
    if match is None:
        return None
    candidate = re.sub(r"[\s-]", "", match.group(1)).upper()
    if len(candidate) not in (10, 13):
        raise InvalidIdentifierError(f"ISBN {candidate!r} has {len(candidate)} digits, not 10 or 13")
    plain = _plain_isbn13(candidate)
    if plain is not None:
        return Identifier(scheme=IdentifierScheme.ISBN, value=plain)
    try:
        value = _isbn.to_isbn13(_isbn.validate(candidate))
    except _StdnumError as exc:
        raise InvalidIdentifierError(f"ISBN {candidate!r}: {_reason(exc)}") from exc
    return Identifier(scheme=IdentifierScheme.ISBN, value=str(value))


def normalize_issn(text: str) -> Identifier | None:
    """The ISSN in ``text`` as ``NNNN-NNNC``."""
    match = _ISSN_TOKEN.search(text)
    if match is None:
        return None
    candidate = (match.group(1) + match.group(2)).upper()
    try:
        value = _issn.validate(candidate)
    except _StdnumError as exc:
        raise InvalidIdentifierError(f"ISSN {candidate[:4]}-{candidate[4:]}: {_reason(exc)}") from exc
    return Identifier(scheme=IdentifierScheme.ISSN, value=f"{value[:4]}-{value[4:]}")


def normalize_oclc(text: str) -> Identifier | None:
    """An OCLC number from ``(OCoLC)ocm01234567`` and its variants, without leading zeros; ``None`` for a number
    without the (OCoLC) prefix or an ocm/ocn/on one (a local system number, as many 035 fields hold)."""
    match = _OCLC.match(text)
    if match is None:
        return None
    return Identifier(scheme=IdentifierScheme.OCLC, value=match.group(1))


def normalize_lccn(text: str) -> Identifier | None:
    """A Library of Congress Control Number, normalized as the LC specifies.

    Blanks and anything after a slash are removed; a hyphen is removed and the part after it is left-padded
    with zeros to six digits (``"n78-890351"`` gives ``n78890351``, ``"85-2 "`` gives ``85000002``).
    """
    value = re.sub(r"\s", "", text).split("/")[0].lower()
    if "-" in value:
        head, _, tail = value.partition("-")
        if tail.isdigit() and len(tail) <= 6:
            value = head + tail.zfill(6)
    if not re.fullmatch(r"[a-z]{0,3}\d{8,10}", value):
        return None
    return Identifier(scheme=IdentifierScheme.LCCN, value=value)


def normalize_doi(text: str) -> Identifier | None:
    """A DOI from ``doi:10.1000/x``, ``https://doi.org/10.1000/x`` or a bare ``10.1000/x``, lower-cased."""
    match = _DOI.search(text.strip())
    if match is None:
        return None
    return Identifier(scheme=IdentifierScheme.DOI, value=match.group(1).rstrip(".,;").lower())


def _reason(exc: _StdnumError) -> str:
    message = str(exc).rstrip(".")
    if "checksum" in message or "check digit" in message:
        return "invalid check digit"
    return message[:1].lower() + message[1:]
