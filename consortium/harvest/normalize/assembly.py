"""One builder of :class:`~consortium.models.Record` for every MARC format: the format says where each part is.

A :class:`MarcDialect` (MARC21, UNIMARC) answers for one record what its id, title, uniform title, publication, year,
language, identifiers, resource format, authors, subjects, classifications and holdings are;
:meth:`MarcDialect.normalize` reads them in that order (so that the first problem found names its field) and
assembles the record.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, ClassVar

from consortium.errors import RecordError
from consortium.harvest.normalize.common import FieldIndex, series_statement, subfield, tagged
from consortium.harvest.normalize.text import clean, page_count
from consortium.harvest.refusals import Refusal
from consortium.models import Classification, Record, ResourceFormat

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from consortium.harvest.normalize.common import MarcFields
    from consortium.models import ClassScheme, Holding, Identifier, RawPointer

__all__ = ["MarcDialect", "add_classification"]

_ONLINE = (ResourceFormat.EBOOK, ResourceFormat.EJOURNAL, ResourceFormat.WEB)


def add_classification(found: list[Classification], scheme: ClassScheme, code: str | None) -> None:
    """Add the class number, cleaned, unless it is empty or already there."""
    code = clean(code)
    if code:
        item = Classification(scheme=scheme, code=code)
        if item not in found:
            found.append(item)


class MarcDialect(ABC):
    """Where one MARC format keeps each part of a bibliographic record.

    Example
    -------
    >>> record = MARC21.normalize(marc, member="riverside", source_id="catalogue", raw=pointer)
    """

    missing_id: str
    """The error when the record has no id of its own (and none is given)."""
    id_name: str
    """What the record's id is called (in the reason of a record whose id an earlier record of its file has)."""
    edition_tag: str
    """The edition statement's field ($a)."""
    extent_tag: str
    """The physical description's field ($a, the page count read from it)."""
    series_fields: tuple[tuple[str, str], ...]
    """``(tag, title subfield code)`` of the series statements, in order of preference."""
    record_kinds: ClassVar[Mapping[str, str]]
    """The leader/06 values of records that are not bibliographic, and what each makes the record (``"y"``:
    ``"holdings"``): such a record without a title is refused as one, not for lacking a title; with a title it is
    a bibliographic record its exporter typed otherwise (BiblioMondo's ``u``), and read."""
    other_title: tuple[str, str]
    """``(tag, source format)``: where the title of the other MARC format is (UNIMARC's 200 for MARC21): a record
    without a title of its own but with that field is refused as a record of the other format."""

    @abstractmethod
    def local_id(self, marc: MarcFields) -> str | None:
        """The member's id of the record, if it has one."""

    @abstractmethod
    def title(self, marc: MarcFields) -> tuple[str, str | None]:
        """Title and subtitle; :class:`RecordError` naming the field when there is none."""

    @abstractmethod
    def uniform_title(self, marc: MarcFields) -> str | None:
        """The original or uniform title of the work, where the record gives one (a translation's original)."""

    @abstractmethod
    def publication(self, marc: MarcFields) -> tuple[str | None, str | None]:
        """Publisher name and date statement."""

    @abstractmethod
    def year(self, marc: MarcFields, date_statement: str | None) -> int | None:
        """The publication year, from coded data first, else the date statement."""

    @abstractmethod
    def language(self, marc: MarcFields) -> str | None: ...

    @abstractmethod
    def identifiers(self, marc: MarcFields) -> list[Identifier]: ...

    @abstractmethod
    def resource_format(self, marc: MarcFields) -> ResourceFormat: ...

    @abstractmethod
    def authors(self, marc: MarcFields) -> list[str]: ...

    @abstractmethod
    def subjects(self, marc: MarcFields) -> list[str]: ...

    @abstractmethod
    def classifications(self, marc: MarcFields) -> list[Classification]: ...

    @abstractmethod
    def holdings(self, marc: MarcFields, member: str, default_location: str | None, online: bool) -> list[Holding]:
        """The member's holdings; ``online`` says the resource is electronic (no shelf holding is made up)."""

    def normalize(
        self,
        marc: MarcFields,
        *,
        member: str,
        source_id: str,
        raw: RawPointer,
        local_id: str | None = None,
        default_location: str | None = None,
        attached: Sequence[MarcFields] = (),
    ) -> Record:
        """Normalize one record; ``local_id`` overrides the record's own id (an OAI-PMH identifier, say);
        ``attached``: the holdings records read with it (:mod:`consortium.harvest.formats.holdings_records`),
        whose holdings are its own, and then none is made up from the record alone."""
        fields = FieldIndex.of(marc)  # read by tag a score of times below
        kind = self.record_kinds.get(fields.leader[6:7])
        titled: tuple[str, str | None] | RecordError
        try:
            titled = self.title(fields)
        except RecordError as exc:
            if kind is not None:  # a holdings or authority record has no title; a titled one is read (below)
                raise RecordError(
                    f"leader/06: {fields.leader[6:7]!r}, {kind} record (no title), not a bibliographic one",
                    error_code=Refusal.NOT_BIBLIOGRAPHIC,
                    field="leader/06",
                ) from None
            titled = exc
        record_id = local_id or self.local_id(fields)
        if not record_id:
            raise RecordError(self.missing_id, error_code=Refusal.NO_ID)
        if isinstance(titled, RecordError):
            raise self._other_format(fields, titled)
        title, subtitle = titled
        publisher, date_statement = self.publication(fields)
        year = self.year(fields, date_statement)
        language = self.language(fields)
        identifiers = self.identifiers(fields)
        resource_format = self.resource_format(fields)
        authors = self.authors(fields)
        series, series_number = series_statement(fields, *self.series_fields)
        subjects = self.subjects(fields)
        return Record(
            member=member,
            local_id=record_id,
            source_id=source_id,
            format=resource_format,
            title=title,
            subtitle=subtitle,
            uniform_title=self.uniform_title(fields),
            authors=authors,
            publisher=publisher,
            year=year,
            language=language,
            edition=next((clean(subfield(f, "a")) for f in tagged(fields, self.edition_tag)), None),
            series=series,
            series_number=series_number,
            pages=next((page_count(subfield(f, "a")) for f in tagged(fields, self.extent_tag)), None),
            identifiers=identifiers,
            subjects=subjects,
            classifications=self.classifications(fields),
            holdings=self._holdings(fields, member, default_location, resource_format in _ONLINE, attached),
            raw=raw,
        )

    def _holdings(
        self, fields: FieldIndex, member: str, location: str | None, online: bool, attached: Sequence[MarcFields]
    ) -> list[Holding]:
        held = [h for mfhd in attached for h in self.holdings(FieldIndex.of(mfhd), member, location, True)]
        return self.holdings(fields, member, location, online or bool(held)) + held

    def _other_format(self, fields: FieldIndex, missing: RecordError) -> RecordError:
        """Why a record without a title is refused: ``missing``, unless it has the other format's title field
        with a title in it (a UNIMARC file declared as MARC21, say), which the error then says."""
        tag, fmt = self.other_title
        if missing.error_code != Refusal.NO_TITLE or not any(subfield(f, "a") for f in tagged(fields, tag)):
            return missing
        return RecordError(
            f"{missing.message}, but has a {tag} $a as {fmt.upper()} records do: is the source's format '{fmt}'?",
            error_code=Refusal.WRONG_FORMAT,
            field=missing.field,
        )
