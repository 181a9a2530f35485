"""A record id given twice in one file: the first record read keeps it, the second is quarantined.

A MARC file (binary ISO 2709, MARCXML, UNIMARC) whose 001 appears on two records would otherwise store the second
over the first, and the first would be lost without a word. Within one run of a file, :class:`FileIds` remembers
where each id was first read; a later record with the same id is quarantined with a reason naming the id and both
positions in the file (``books.mrc@0`` and ``books.mrc@1824``: byte offsets; ``books.xml#1``: record numbers), and
the harvest report counts it (``HarvestCounts.duplicates``). When the first record cannot be read itself (parsed
or normalized), it keeps the id all the same, and the later ones' reason says the hub holds neither (a resumed
run, which reads the ids again without normalizing, cannot tell, and says the first is read).

Why the first: the file is read in order and committed page by page, so the first record is in the store (and in
the index) before the second is read; keeping it decides at once, for good, and the same file harvested again
stores the same record (the second never replaces it, then flips back). The cataloguer finds the other one in
the quarantine with both positions, fixes the file (a new 001 for one of them, or one removed) and harvests again.

A run resumed after a crash reads the file again up to where it stopped (only the ids), so an id first read
before the crash still counts. :attr:`FileIds.given` keeps every id the file gave, a record that could not be read
but named its id included: what a complete run of a complete file withdraws the others by
(:mod:`consortium.harvest.withdrawals`; a run resumed once the whole file was read, :data:`WHOLE_FILE_READ`,
reads all of it again). OAI-PMH sources are not checked: a server may list a record again within one
harvest when it changed meanwhile, and the later one is then the newer.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from consortium.harvest.formats.base import FormatReader
    from consortium.harvest.items import RawRecord
    from consortium.members import Source

__all__ = ["WHOLE_FILE_READ", "FileIds"]

log = logging.getLogger(__name__)

WHOLE_FILE_READ = "whole_file_read"
"""The key of a file run's cursor once its whole file was read and stored, while its withdrawals by absence are
under way (see :mod:`consortium.harvest.withdrawals`)."""


class FileIds:
    """The ids read so far in one run of a file, each with the position of the record that first gave it.

    Example
    -------
    >>> ids = FileIds("control number (001)")
    >>> ids.twice(first) is None
    True
    >>> ids.twice(second)
    "control number (001) 'ocm123' is given twice in the file: at books.mrc@0 and again at books.mrc@1824; ..."
    """

    def __init__(self, what: str) -> None:
        self.what = what
        """What the id is, in the format's own words (``control number (001)``)."""
        self.first: dict[str, str] = {}
        self.unread: set[str] = set()
        """The ids whose first record could not be read (:meth:`failed`)."""
        self.given: set[str] = set()
        """Every id read so far, from any record that named one (one quarantined, or deleted, too)."""
        self.whole = True
        """Whether :attr:`given` holds every id read by the run (``False``: a resumed run could not read again
        the ids before its cursor, and must not withdraw by them)."""

    def gave(self, items: Iterable[RawRecord]) -> None:
        """Note the ids these records of the file name (see :attr:`given`)."""
        self.given.update(item.local_id for item in items if item.local_id)

    def twice(self, item: RawRecord) -> str | None:
        """Why ``item`` is quarantined, its id having been read before in this file; ``None`` when it is the first
        record read with its id (which it now keeps)."""
        if item.local_id is None:
            return None
        first = self.first.setdefault(item.local_id, item.position)
        if first == item.position:
            return None
        if item.local_id in self.unread:
            return (
                f"{self.what} {item.local_id[:60]!r} is given twice in the file: at {first} and again at "
                f"{item.position}; the first keeps it but could not be read itself (its own quarantine entry says"
                " why), and this one is not read either, so the hub holds neither (give one of them another id, or"
                " remove the broken one)"
            )
        return (
            f"{self.what} {item.local_id[:60]!r} is given twice in the file: at {first} and again at "
            f"{item.position}; the first is read, this one is not (give one of them another id, or remove it)"
        )

    def failed(self, item: RawRecord) -> None:
        """``item``, the first record with its id, could not be read after all (quarantined when parsed or
        normalized): the records after it with its id still are not read, and their reason says why."""
        if item.local_id is not None and self.first.get(item.local_id) == item.position:
            self.unread.add(item.local_id)

    @classmethod
    def before(
        cls, reader: FormatReader, source: Source, data: bytes | None, cursor: Mapping[str, Any] | None
    ) -> FileIds | None:
        """The ids of the records a run read from the source's file (its bytes, ``data``) before ``cursor`` (its
        checkpoint's, for a run that resumes; ``None``: a new run, none read); ``None`` for a source that is no
        file (OAI-PMH).

        The file is read again from its start, a record at a time (the readers' cursors fall between records),
        up to the cursor (to its end for a cursor of :data:`WHOLE_FILE_READ`); a record that could not be read or
        names no id counts for nothing, as when first read, but its id (if named) is in :attr:`given`.
        """
        if data is None or source.path is None:
            return None
        name = source.path.name
        ids = cls(reader.id_name)
        wanted = {key: value for key, value in (cursor or {}).items() if key != "file"}
        if not wanted:
            return ids
        whole = WHOLE_FILE_READ in wanted
        for page, _ in reader.file_pages(data, name=name, cursor={}, page_size=1):
            ids.gave(page.records)
            for item in page.records:
                if item.error is None:
                    ids.twice(item)
            if page.cursor == wanted or (whole and page.cursor is None):
                return ids
        # Not met (the reader pages otherwise than the run did): knowing none is safer than knowing those after
        # the cursor too, which would quarantine every record left to read; and the run withdraws nothing.
        log.warning("%s: the resumed run's cursor %s was not met; ids read before it are not known", name, wanted)
        unknown = cls(reader.id_name)
        unknown.whole = False
        return unknown
