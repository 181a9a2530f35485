"""A file source's files, read for a run: its file of records and, when it has one, its file of holdings records.

A member whose library system exports holdings apart from the records (Voyager's and FOLIO's MARC exports write
the holdings records, MFHD, to a file of their own) names that file as the source's ``holdings``: it is read whole
at the start of each run, each holdings record by the 001 its 004 names, and each record of the source's file is
read with its holdings records after it (:func:`~consortium.harvest.formats.holdings_records.attach_from`), as if
they stood after it in one file: so its archived raw bytes hold them, a changed holdings record is a changed record
at the next complete run, and ``consortium renormalize`` reads it back the same. Holdings records naming no record
of the file (or one that cannot be read), and records of the holdings file that are no readable holdings record
naming one, are counted, not read (``HarvestCounts.holdings_unmatched``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from consortium.errors import ConfigError, ValidationError
from consortium.harvest.formats.holdings_records import HoldingsFile, attach_from

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from consortium.harvest.formats.base import FilePage, FormatReader
    from consortium.harvest.formats.holdings_records import Joining
    from consortium.members import Source

__all__ = ["SourceHoldings", "read_source_file"]

_PAGE = 1000
"""Records a page when a file is read whole, not committed page by page."""


def read_source_file(source: Source, path: Path) -> bytes:
    """The bytes of one of ``source``'s files; :class:`ConfigError` when it cannot be read, :class:`ValidationError`
    when it is empty or blank (nothing to harvest, and no complete file of no record)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"source {source.id!r}: cannot read {path}: {exc.strerror}") from exc
    if not data or data.isspace():
        what = "empty (0 bytes)" if not data else "blank (only white space)"
        raise ValidationError(f"source {source.id!r}: {path} is {what}: there is nothing to harvest")
    return data


@dataclass
class SourceHoldings:
    """A source's holdings file, read whole, and how its format joins records."""

    file: HoldingsFile
    joining: Joining
    digest: str
    """SHA-256 of the holdings file: a run of the source resumes only over the same two files."""

    @classmethod
    def of(cls, source: Source, reader: FormatReader) -> SourceHoldings | None:
        """The source's holdings file read, or ``None`` when it names none."""
        joining = reader.holdings_joining()
        if source.holdings is None or joining is None:
            return None
        data = read_source_file(source, source.holdings)
        pages = reader.read_pages(data, name=source.holdings.name, cursor={}, page_size=_PAGE)
        return cls(HoldingsFile.read(pages, joining), joining, hashlib.sha256(data).hexdigest())

    def with_file(self, file_digest: str | None) -> str | None:
        """The digest a run of the source keeps for its file and this one: it resumes over the same two only."""
        return hashlib.sha256(f"{file_digest} {self.digest}".encode()).hexdigest() if file_digest else None

    def attached(self, pages: Iterator[FilePage]) -> Iterator[FilePage]:
        return attach_from(pages, self.file, self.joining)

    def unmatched(self, reader: FormatReader, data: bytes, name: str) -> int:
        """How many records of the holdings file are not read: those naming no record the source's file (``data``)
        gives, and those that are no readable holdings record naming one."""
        ids = {
            item.local_id
            for page, _ in reader.read_pages(data, name=name, cursor={}, page_size=_PAGE)
            for item in page.records
            if item.local_id and item.error is None and not item.deleted
        }
        return self.file.unmatched(ids)
