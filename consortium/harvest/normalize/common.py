"""What the MARC21 and UNIMARC normalizers share: reading fields of a pymarc record and building identifiers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, TypeAlias

from consortium.errors import RecordError
from consortium.harvest.identifiers import InvalidIdentifierError
from consortium.harvest.normalize.text import clean
from consortium.harvest.refusals import Refusal

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from pymarc import Record as MarcRecord

    from consortium.models import Identifier

__all__ = [
    "FieldIndex",
    "MarcField",
    "MarcFieldLike",
    "MarcFields",
    "control",
    "identifiers_from",
    "joined",
    "require_title",
    "series_statement",
    "subfield",
    "subfields",
    "tagged",
]


class MarcFieldLike(Protocol):
    """A MARC field as the normalizers read it: a pymarc ``Field``, or a :class:`MarcField`."""

    @property
    def tag(self) -> str: ...

    @property
    def indicator2(self) -> str: ...

    @property
    def data(self) -> str | None: ...

    def is_control_field(self) -> bool: ...

    def get_subfields(self, *codes: str) -> list[str]: ...


class MarcField:
    """A field read straight from ISO 2709 bytes, for normalizing: what a pymarc ``Field`` answers, and no more.

    A control field (tag 001-009) has ``data``, blank indicators (``""``) and no subfields; a data field has two
    indicators and ``(code, value)`` subfields in order. A data field made from ``body`` (its subfields as valid
    UTF-8 bytes, each a ``0x1F`` delimiter, an ASCII code and the value) splits it only when first read.
    """

    __slots__ = ("_body", "_subfields", "data", "indicator1", "indicator2", "tag")

    def __init__(
        self,
        tag: str,
        data: str | None = None,
        indicators: str = "",
        subfields: list[tuple[str, str]] | None = None,
        *,
        body: bytes = b"",
    ) -> None:
        self.tag = tag
        self.data = data
        self.indicator1 = indicators[:1]
        self.indicator2 = indicators[1:2]
        self._subfields = subfields
        self._body = body

    @property
    def subfields(self) -> list[tuple[str, str]]:
        """The ``(code, value)`` pairs, in the field's order."""
        if self._subfields is None:
            parts = self._body.decode("utf-8").split("\x1f") if self._body else []
            self._subfields = [(part[0], part[1:]) for part in parts if part]
        return self._subfields

    def is_control_field(self) -> bool:
        return self.data is not None

    def get_subfields(self, *codes: str) -> list[str]:
        """The values of the subfields with these codes, in the field's order (as pymarc's)."""
        if len(codes) == 1:
            code = codes[0]
            return [value for found, value in self.subfields if found == code]
        return [value for found, value in self.subfields if found in codes]


class FieldIndex:
    """A MARC record's leader and fields by tag, gathered in one pass: :meth:`get_fields` answers as pymarc's
    does (the fields with those tags, in the record's order) without going through every field on each call.

    For a record that is not changed while it is read through the index (a normalizer reading it, say).
    """

    __slots__ = ("_by_tag", "_fields", "leader")

    def __init__(self, leader: str, fields: Sequence[MarcFieldLike]) -> None:
        self.leader = leader
        self._fields = fields
        by_tag: dict[str, list[MarcFieldLike]] = {}
        for field in fields:
            if field.tag in by_tag:
                by_tag[field.tag].append(field)
            else:
                by_tag[field.tag] = [field]
        self._by_tag = by_tag

    @classmethod
    def of(cls, marc: MarcFields) -> FieldIndex:
        """The record's index (a :class:`FieldIndex` is its own)."""
        if isinstance(marc, FieldIndex):
            return marc
        return cls(str(marc.leader), marc.fields)

    def get_fields(self, *tags: str) -> list[MarcFieldLike]:
        """The fields with these tags (every field without one), in the record's order: a new list."""
        if len(tags) == 1:
            return list(self._by_tag.get(tags[0], ()))
        if not tags:
            return list(self._fields)
        present = [tag for tag in set(tags) if tag in self._by_tag]
        if len(present) <= 1:
            return list(self._by_tag[present[0]]) if present else []
        wanted = set(present)
        return [field for field in self._fields if field.tag in wanted]  # several tags: in the record's order


MarcFields: TypeAlias = "MarcRecord | FieldIndex"
"""What the field readers below take: a pymarc record, or a :class:`FieldIndex` (of one, or of bytes read
directly)."""


def tagged(marc: MarcFields, *tags: str) -> Sequence[MarcFieldLike]:
    """The fields with these tags, in the record's order."""
    return marc.get_fields(*tags)


def control(marc: MarcFields, tag: str) -> str | None:
    for field in marc.get_fields(tag):
        if field.is_control_field() and field.data:
            return str(field.data)
    return None


def subfield(field: MarcFieldLike, code: str) -> str | None:
    values = field.get_subfields(code)
    return str(values[0]) if values else None


def subfields(field: MarcFieldLike, codes: str) -> list[str]:
    return [str(v) for v in field.get_subfields(*codes)]


def identifiers_from(
    marc: MarcFields,
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
                    where = f"{tag}${code}"
                    raise RecordError(f"{where}: {exc}", error_code=exc.error_code, field=where) from exc
                if identifier is not None and identifier not in found:
                    found.append(identifier)
    return found


def joined(fields: Iterable[MarcFieldLike], codes: str, separator: str = " -- ", heading: str = "") -> list[str]:
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
        raise RecordError(f"{tag}: the record has no title", error_code=Refusal.NO_TITLE, field=tag)
    return title


def series_statement(marc: MarcFields, *sources: tuple[str, str]) -> tuple[str | None, str | None]:
    """The series title and volume designation of the first field that has a title, from ``(tag, title
    subfield code)`` pairs in order of preference; the number is that field's ``$v``. ISBD punctuation goes
    (``"Lecture notes in computer science ;"``, ``"v. 3."``); ``(None, None)`` when no field names a series.
    """
    for tag, code in sources:
        for field in marc.get_fields(tag):
            if field.is_control_field():
                continue
            title = clean(subfield(field, code))
            if title:
                return title, clean(subfield(field, "v"))
    return None, None
