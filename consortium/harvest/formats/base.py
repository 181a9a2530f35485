"""What a harvest format plugin is: a reader of raw records, page by page, and the normalizer of what it reads.

Each :class:`~consortium.members.SourceFormat` has one :class:`FormatReader`, registered in
:data:`consortium.harvest.formats.FORMATS`. The harvest service asks it for pages (from a file's bytes, or from
an OAI-PMH server), to finish reading a record it left unparsed, and to normalize a record to a
:class:`~consortium.models.Record`. It knows nothing about storage, archiving or checkpoints.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any

from consortium.errors import ConfigError
from consortium.harvest.formats.holdings_records import attach_holdings

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from consortium.harvest.formats.holdings_records import Joining
    from consortium.harvest.items import RawPage, RawRecord
    from consortium.harvest.normalize.assembly import MarcDialect
    from consortium.harvest.normalize.common import MarcFields
    from consortium.harvest.oai_pmh import OaiPmhClient
    from consortium.harvest.state import Checkpoint
    from consortium.members import Source
    from consortium.models import RawPointer, Record

__all__ = ["MOST_UNREADABLE_IN_A_ROW", "FilePage", "FormatReader", "normalized"]

MOST_UNREADABLE_IN_A_ROW = 20
"""A file reader stops after this many records in a row could not be read: what follows is not its format
(random bytes, a file of another format), and quarantining every stretch of it would fill the quarantine and the
archive with noise."""

FilePage = tuple["RawPage", "float | None"]
"""A page read from a file and the fraction of the file read so far, when the reader can tell."""


class FormatReader(ABC):
    """One source format: how its raw records are read, page by page, and normalized.

    A format read from files overrides :meth:`read_pages` (:meth:`file_pages` attaches holdings records to their
    record, for the MARC 21 formats that say how in :meth:`holdings_joining`); one listed by an OAI-PMH server
    overrides :meth:`server_pages`. A reader that leaves some records unparsed while paging (to skip unchanged ones
    cheaply) parses them in :meth:`read`.

    Example
    -------
    >>> reader = FORMATS[SourceFormat.MARC21]
    >>> for page, fraction in reader.file_pages(data, name="export.mrc", cursor={}, page_size=500):
    ...     records = [reader.normalize(reader.read(item), source=source, member="m", raw=pointer)
    ...                for item in page.records if item.error is None]
    """

    name: str = ""
    """The format's name, as sources spell it (``marc21``)."""
    missing_id: str = "001: the record has no control number (and no 035 $a)"
    """Why a record that names no local id is quarantined, in the format's own terms."""
    id_name: str = "control number (001)"
    """What a record's id is called, in the format's own terms (the reason of a record whose id an earlier record
    of the same file has: see :mod:`consortium.harvest.file_ids`)."""

    def file_pages(self, data: bytes, *, name: str, cursor: Mapping[str, Any], page_size: int) -> Iterator[FilePage]:
        """Pages of raw records from a file's bytes, resuming at ``cursor`` (the last page's, or empty), each
        holdings record beside a record attached to it (:func:`~consortium.harvest.formats.holdings_records.
        attach_holdings`)."""
        pages = self.read_pages(data, name=name, cursor=cursor, page_size=page_size)
        joining = self.holdings_joining()
        return attach_holdings(pages, joining) if joining is not None else pages

    def read_pages(self, data: bytes, *, name: str, cursor: Mapping[str, Any], page_size: int) -> Iterator[FilePage]:
        """Pages of raw records as the format reads them from a file's bytes, resuming at ``cursor``, no holdings
        record attached (a file of holdings records is read so, to attach its records to another file's)."""
        raise ConfigError(f"format {self.name!r} is harvested over OAI-PMH, not read from a file")

    def server_pages(self, client: OaiPmhClient, source: Source, checkpoint: Checkpoint) -> Iterator[RawPage]:
        """Pages of raw records listed by an OAI-PMH server, resuming at the checkpoint's cursor."""
        raise ConfigError(f"source {source.id!r}: format {self.name!r} needs the marc-file or kbart-file protocol")

    def holdings_joining(self) -> Joining | None:
        """How the format's records are put together with their holdings records (MARC 21 formats read from files:
        :mod:`consortium.harvest.formats.holdings_records`); ``None``: no holdings record is read with a record."""
        return None

    def read(self, item: RawRecord) -> RawRecord:
        """The item ready to normalize: one left unparsed while paging is parsed now (``RecordError`` if it
        cannot be); any other comes back as it is."""
        return item

    @abstractmethod
    def normalize(self, item: RawRecord, *, source: Source, member: str, raw: RawPointer) -> Record:
        """The item (as :meth:`read` gives it) as a :class:`~consortium.models.Record`; ``RecordError`` (or a
        pydantic ``ValidationError``) when it cannot be normalized."""


def normalized(
    dialect: MarcDialect, marc: MarcFields, item: RawRecord, joining: Joining | None, *, source: Source, member: str,
    raw: RawPointer,
) -> Record:  # fmt: skip
    """``marc`` (what ``item`` was read as) normalized by ``dialect`` as a file's record: the record's own id, the
    source's default location, and the holdings records read with it (parsed now, as ``joining`` parses them)."""
    attached = joining.attached(item) if joining is not None else []
    return dialect.normalize(
        marc, member=member, source_id=source.id, raw=raw, default_location=source.location, attached=attached
    )
