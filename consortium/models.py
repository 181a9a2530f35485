"""Domain models shared across the hub (pydantic v2).

A :class:`Record` is one member library's description of one resource, normalized from whatever format the
member speaks (MARC21, UNIMARC/CNMARC, Dublin Core, KBART). It is keyed by ``(member, local_id)``.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Availability",
    "ClassScheme",
    "Classification",
    "Cluster",
    "Holding",
    "Identifier",
    "IdentifierScheme",
    "QuarantinedRecord",
    "RawPointer",
    "Record",
    "ResourceFormat",
]


class ResourceFormat(StrEnum):
    """What kind of resource a record describes."""

    BOOK = "book"
    EBOOK = "ebook"
    JOURNAL = "journal"
    EJOURNAL = "ejournal"
    DATABASE = "database"
    AUDIO = "audio"
    VIDEO = "video"
    MAP = "map"
    SCORE = "score"
    WEB = "web"
    THESIS = "thesis"
    MANUSCRIPT = "manuscript"
    SOFTWARE = "software"
    OTHER = "other"


class IdentifierScheme(StrEnum):
    ISBN = "isbn"
    ISSN = "issn"
    OCLC = "oclc"
    LCCN = "lccn"
    DOI = "doi"


class ClassScheme(StrEnum):
    """Classification schemes: Chinese Library Classification (中图法), LCC, Dewey, UDC."""

    CLC = "clc"
    LCC = "lcc"
    DDC = "ddc"
    UDC = "udc"


class Availability(StrEnum):
    AVAILABLE = "available"
    ON_LOAN = "on_loan"
    UNAVAILABLE = "unavailable"
    ONLINE = "online"
    UNKNOWN = "unknown"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Identifier(_Frozen):
    """A normalized, validated identifier: ISBN-13, ISSN ``NNNN-NNNC``, OCLC number, normalized LCCN, DOI."""

    scheme: IdentifierScheme
    value: str


class Classification(_Frozen):
    scheme: ClassScheme
    code: str


class Holding(_Frozen):
    """Where a member has the resource: a shelf copy (location, call number) or an online URL."""

    member: str
    location: str | None = None
    call_number: str | None = None
    availability: Availability = Availability.UNKNOWN
    url: str | None = None
    coverage: str | None = None


class RawPointer(_Frozen):
    """Where the raw record, as harvested, is archived: its SHA-256 digest in the raw archive."""

    digest: str
    media_type: str

    @staticmethod
    def digest_of(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()


class Record(BaseModel):
    """One member's normalized description of one resource."""

    model_config = ConfigDict(extra="forbid")

    member: str
    local_id: str
    source_id: str
    format: ResourceFormat = ResourceFormat.BOOK
    title: str
    subtitle: str | None = None
    uniform_title: str | None = None
    """The title of the work the resource embodies where the record gives one apart from its own: a translation's
    original title (MARC21 240 or 130 $a, UNIMARC 500 $a or 454 $t)."""
    authors: list[str] = Field(default_factory=list)
    publisher: str | None = None
    year: int | None = None
    language: str | None = None
    """ISO 639-2/B three-letter code, as MARC uses (``eng``, ``chi``)."""
    edition: str | None = None
    series: str | None = None
    """The title of the series the resource is part of, as catalogued, without its volume number."""
    series_number: str | None = None
    """The resource's volume designation in its series, as catalogued (``"v. 3"``, ``"第3卷"``)."""
    pages: int | None = None
    identifiers: list[Identifier] = Field(default_factory=list)
    subjects: list[str] = Field(default_factory=list)
    classifications: list[Classification] = Field(default_factory=list)
    holdings: list[Holding] = Field(default_factory=list)
    raw: RawPointer
    datestamp: datetime | None = None
    """When the member last changed the record, where the source says (OAI-PMH header datestamp)."""

    @property
    def key(self) -> tuple[str, str]:
        return (self.member, self.local_id)

    def identifier_values(self, scheme: IdentifierScheme) -> list[str]:
        return [i.value for i in self.identifiers if i.scheme is scheme]


class QuarantinedRecord(BaseModel):
    """A record that could not be read or normalized, kept with its reason and its raw bytes (in the archive)."""

    model_config = ConfigDict(extra="forbid")

    member: str
    source_id: str
    position: str
    """Where it was found: the OAI identifier, or the file name and record number or byte offset."""
    local_id: str | None = None
    reason: str
    """Why, in English: where in the record and what (what a librarian pastes in a ticket)."""
    raw: RawPointer
    quarantined_at: datetime
    reason_code: str | None = None
    """The reason as a stable code (:class:`consortium.harvest.refusals.Refusal`: ``no_title``, ``bad_encoding``...),
    which the staff page says in the librarian's language; ``None`` for a record quarantined before codes."""
    reason_field: str | None = None
    """The field the reason names (``245$a``, ``title_url``), when it names one."""
    checkpoint_run: str | None = None
    """The harvest that quarantined it (the source's checkpointed run, as a member's run names it:
    ``checkpoint_run``): a complete run of a complete file takes out of the quarantine its source's records that
    it did not quarantine again. ``None``: quarantined when normalized again from the archive (at the record's
    id: it stays until the record changes or goes), or by a release before this field."""

    @property
    def key(self) -> tuple[str, str, str]:
        """What the quarantine keeps it under: ``(source_id, position, raw digest)`` (a member's pages go by it)."""
        return (self.source_id, self.position, self.raw.digest)


class Cluster(BaseModel):
    """One work as the consortium has it: the member records that describe it, merged (a manifestation cluster:
    one edition, from every member that has it).

    ``first_seen`` is when the consortium first had any of its records: that is "new" for push. The merged
    fields follow the rule in :mod:`consortium.dedup.merge`; holdings are every member's. ``work_id`` names the
    work group the cluster belongs to (its other editions and translations; :mod:`consortium.dedup.work_groups`).
    """

    model_config = ConfigDict(extra="forbid")

    cluster_id: str
    records: list[tuple[str, str]]
    """The ``(member, local_id)`` of every record in the cluster, sorted."""
    format: ResourceFormat
    title: str
    subtitle: str | None = None
    uniform_title: str | None = None
    """The original or uniform title (see :attr:`Record.uniform_title`), from the best-ranked record with one."""
    work_id: str | None = None
    """The work group: equal for every edition and translation of one work; ``None`` when the title and author say
    too little to group (see :func:`consortium.dedup.work_groups.work_id`). Clusters stored before work groups have
    none until saved again (readers fill it: :func:`consortium.dedup.work_groups.with_work_id`)."""
    authors: list[str] = Field(default_factory=list)
    publisher: str | None = None
    year: int | None = None
    language: str | None = None
    edition: str | None = None
    series: str | None = None
    """The series title of the work (without its volume number), as :class:`Record` has it."""
    series_number: str | None = None
    """The work's volume designation in its series (``"v. 3"``, ``"第3卷"``)."""
    pages: int | None = None
    identifiers: list[Identifier] = Field(default_factory=list)
    subjects: list[str] = Field(default_factory=list)
    classifications: list[Classification] = Field(default_factory=list)
    holdings: list[Holding] = Field(default_factory=list)
    first_seen: datetime
    updated_at: datetime

    @property
    def members(self) -> list[str]:
        return sorted({member for member, _ in self.records})
