"""What the MARC21 and UNIMARC normalizers share: reading fields of a pymarc record and building identifiers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from consortium.errors import RecordError
from consortium.harvest.identifiers import InvalidIdentifierError
from consortium.harvest.normalize.text import clean

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from pymarc import Field
    from pymarc import Record as MarcRecord

    from consortium.models import Identifier

__all__ = ["control", "identifiers_from", "joined", "require_title", "subfield", "subfields", "tagged"]


def tagged(marc: MarcRecord, *tags: str) -> list[Field]:
    return list(marc.get_fields(*tags))


def control(marc: MarcRecord, tag: str) -> str | None:
    for field in marc.get_fields(tag):
        if field.is_control_field() and field.data:
            return str(field.data)
    return None


def subfield(field: Field, code: str) -> str | None:
    values = field.get_subfields(code)
    return str(values[0]) if values else None


def subfields(field: Field, codes: str) -> list[str]:
    return [str(v) for v in field.get_subfields(*codes)]


def identifiers_from(
    marc: MarcRecord,
    wanted: Sequence[tuple[str, str, Callable[[str], Identifier | None]]],
) -> list[Identifier]:
    """Identifiers from ``(tag, subfield code, normalizer)`` triples, each failure naming its field.

    A value that fails its check digit makes the whole record fail with a :class:`RecordError` naming the
    field (``020$a: ISBN '0262033845': invalid check digit``), so that it is quarantined, not silently changed.
    """
    found: list[Identifier] = []
    for tag, code, normalizer in wanted:
        for field in marc.get_fields(tag):
            if field.is_control_field():
                continue
            for value in field.get_subfields(code):
                try:
                    identifier = normalizer(str(value))
                except InvalidIdentifierError as exc:
                    raise RecordError(f"{tag}${code}: {exc}") from exc
                if identifier is not None and identifier not in found:
                    found.append(identifier)
    return found


def joined(fields: Iterable[Field], codes: str, separator: str = " -- ", heading: str = "") -> list[str]:
    """For each field, its subfields ``codes`` joined (subject headings with their subdivisions), ISBD
    punctuation removed; the subfields ``heading`` (the parts of a name heading) first make one part together."""
    out = []
    for field in fields:
        name = clean(" ".join(str(p) for p in field.get_subfields(*heading))) if heading else None
        cleaned = [name, *(clean(str(p)) for p in field.get_subfields(*codes))]
        parts = [p for p in cleaned if p]
        if parts:
            out.append(separator.join(parts))
    return out


def require_title(title: str | None, tag: str) -> str:
    if not title:
        raise RecordError(f"{tag}: the record has no title")
    return title
