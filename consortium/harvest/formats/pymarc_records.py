"""What the formats read record by record into pymarc records share (MARC-in-JSON, MarcEdit's text): pages that
resume at a record number, holdings records attached to their record, each record normalized as MARC 21."""

from __future__ import annotations

from abc import abstractmethod
from typing import TYPE_CHECKING, Any

import pymarc

from consortium.harvest.formats.base import FormatReader, normalized
from consortium.harvest.formats.holdings_records import LINES, Joining
from consortium.harvest.normalize.marc21 import MARC21

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from consortium.harvest.formats.base import FilePage
    from consortium.harvest.items import RawPage, RawRecord
    from consortium.members import Source
    from consortium.models import RawPointer, Record

__all__ = ["PymarcRecordsFormat"]


class PymarcRecordsFormat(FormatReader):
    """A MARC 21 format whose reader gives each record parsed, numbered from 1 in the file."""

    @abstractmethod
    def pages(self, data: bytes, *, name: str, start: int, page_size: int) -> Iterator[RawPage]:
        """Pages of records from the file's bytes, after record number ``start``."""

    def read_pages(self, data: bytes, *, name: str, cursor: Mapping[str, Any], page_size: int) -> Iterator[FilePage]:
        for page in self.pages(data, name=name, start=int(cursor.get("index", 0)), page_size=page_size):
            yield page, None

    def holdings_joining(self) -> Joining | None:
        return LINES

    def normalize(self, item: RawRecord, *, source: Source, member: str, raw: RawPointer) -> Record:
        assert isinstance(item.parsed, pymarc.Record)
        return normalized(MARC21, item.parsed, item, LINES, source=source, member=member, raw=raw)
