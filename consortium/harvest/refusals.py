"""Why the harvest quarantines a record, as a stable code: each quarantined record keeps its reason in English
(where and what, for a ticket) and, beside it, one of :class:`Refusal` with the field it names, so that the staff
page says it in the librarian's language. A :class:`~consortium.errors.RecordError` carries the code it was
raised with (``RecordError("245$a: the record has no title", error_code=Refusal.NO_TITLE, field="245$a")``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Final

from consortium.errors import RecordError

if TYPE_CHECKING:
    import pydantic

__all__ = ["REFUSALS", "Refusal", "normalized_wrong"]


class Refusal(StrEnum):
    """The code of a quarantine reason (README, "Quarantine reason codes")."""

    NO_TITLE = "no_title"
    NO_ID = "no_id"
    DUPLICATE_ID = "duplicate_id"
    BAD_ID = "bad_id"
    INVALID_IDENTIFIER = "invalid_identifier"
    INVALID_VALUE = "invalid_value"
    BAD_ENCODING = "bad_encoding"
    MALFORMED_XML = "malformed_xml"
    UNSAFE_XML = "unsafe_xml"
    WRONG_FORMAT = "wrong_format"
    NOT_BIBLIOGRAPHIC = "not_bibliographic"
    UNREADABLE = "unreadable"
    ARCHIVE_MISMATCH = "archive_mismatch"
    ID_CHANGED = "id_changed"


REFUSALS: Final[dict[Refusal, tuple[str, str]]] = {
    Refusal.NO_TITLE: ("the record has no title (`field`: 245, 200, dc:title, publication_title)", "add its title"),
    Refusal.NO_ID: (
        "the record has no id of its own (001, the OAI identifier, a KBART title_id, identifier or title_url)",
        "give it one",
    ),
    Refusal.DUPLICATE_ID: (
        "an earlier record of the same file has its id; the first is read, this one is not",
        "give one of them another id, or remove it",
    ),
    Refusal.BAD_ID: ("the record's id holds a control character", "correct the id"),
    Refusal.INVALID_IDENTIFIER: (
        "an ISBN or ISSN of it is not valid (a check digit, a length); `field` names where",
        "correct or remove the number",
    ),
    Refusal.INVALID_VALUE: (
        "a field's value is not what the format allows (a URL, a date, a KBART type, a normalized field)",
        "correct that field",
    ),
    Refusal.BAD_ENCODING: (
        "its text is not in the encoding it says (invalid UTF-8 or MARC-8; a UTF-16 KBART file)",
        "export it again in UTF-8",
    ),
    Refusal.MALFORMED_XML: ("its XML is not well-formed (the message says where)", "correct the XML"),
    Refusal.UNSAFE_XML: (
        "its XML declares a document type or refers to entities, which the hub never resolves",
        "export it without a DOCTYPE or entities",
    ),
    Refusal.WRONG_FORMAT: (
        "it is not a record of the source's format (another XML namespace, missing KBART columns, an HTML page)",
        "check the source's format, or the export",
    ),
    Refusal.NOT_BIBLIOGRAPHIC: (
        "a holdings, authority or classification record (leader/06, a MarcXchange record's type), not a"
        " bibliographic one",
        "export the bibliographic records (with their holdings in them: 852, 905, 952 or 995)",
    ),
    Refusal.UNREADABLE: (
        "its structure is broken (an ISO 2709 leader or directory, a MARCXML leader or field tag)",
        "export the record again",
    ),
    Refusal.ARCHIVE_MISMATCH: (
        "normalized again from the archive, its bytes hold several records, or a deletion",
        "harvest the source again",
    ),
    Refusal.ID_CHANGED: (
        "normalized again from the archive, its bytes now give another id than the record kept",
        "harvest the source again",
    ),
}
"""What each code means and what the member's librarians should do (the README's table)."""


def normalized_wrong(exc: pydantic.ValidationError) -> RecordError:
    """Why a record whose normalized form the record model refuses is quarantined: its first bad field.

    Example
    -------
    >>> normalized_wrong(exc).message  # a year of 20231 read from 008
    "normalized field year: Input should be less than or equal to 2100"
    """
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return RecordError(f"normalized field {where}: {first['msg']}", error_code=Refusal.INVALID_VALUE, field=where)
