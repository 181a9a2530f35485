"""Normalizing the records of a page read ahead, in the reading thread (see :mod:`consortium.harvest.read_ahead`).

Normalizing is most of a harvest's own work and depends on nothing but the record's bytes, so the reading thread
does it for the pages it has read while the harvest stores the pages before (much of that time is spent in
SQLite and tantivy, without the GIL). The harvest then takes each record as normalized ahead when the raw digest
it stores is the one normalized, and otherwise normalizes it itself, as it always did: the records stored, the
quarantine and its reasons are the same. Nothing is stored, archived or counted in the reading thread.

Records found unchanged are not normalized at all when the harvest reads one page at a time; normalizing ahead
cannot know, so it normalizes only while the last page stored had mostly new or changed records (a first
harvest, an incremental OAI-PMH list), and stops when a run goes through records it already holds.
"""

from __future__ import annotations

import hashlib
import logging
from typing import TYPE_CHECKING

import pydantic

from consortium.errors import RecordError
from consortium.models import RawPointer

if TYPE_CHECKING:
    from collections.abc import Callable

    from consortium.harvest.formats.base import FormatReader
    from consortium.harvest.items import RawPage, RawRecord
    from consortium.models import Record

__all__ = ["NormalizeAhead", "normalized_ahead"]

log = logging.getLogger(__name__)

MOSTLY_UNCHANGED = 0.5
"""Above this share of unchanged records in the last page stored, the next pages are not normalized ahead."""


class NormalizeAhead:
    """The ``prepare`` of :func:`~consortium.harvest.read_ahead.read_ahead` for one harvest run: normalizes the
    records of each page read that are neither unreadable nor deletions into :attr:`RawPage.normalized`.

    Parameters
    ----------
    reader
        The source format's reader (its ``read`` finishes reading a record).
    normalize
        Normalizes one record read, given its raw pointer: the harvest's own
        :meth:`~consortium.harvest.service.HarvestService.normalize` for this member and source.
    """

    def __init__(self, reader: FormatReader, normalize: Callable[[RawRecord, RawPointer], Record]) -> None:
        self.reader = reader
        self.normalize = normalize
        self.unchanged_share = 0.0
        """The share of unchanged records in the last page the harvest stored (set by the harvest)."""

    def __call__(self, page: RawPage) -> RawPage:
        if self.unchanged_share > MOSTLY_UNCHANGED:
            return page
        for index, item in enumerate(page.records):
            if item.error is not None or not item.local_id or item.deleted:
                continue
            digest = hashlib.sha256(item.raw).hexdigest()
            try:
                readable = self.reader.read(item)
            except Exception:  # the harvest reads it again, and quarantines it saying why
                continue
            try:
                record = self.normalize(readable, RawPointer(digest=digest, media_type=item.media_type))
            except (RecordError, pydantic.ValidationError) as exc:
                page.normalized[index] = (digest, exc)
            except Exception:  # anything else is the harvest's to raise, normalizing again
                log.debug("normalizing %s ahead failed; left to the harvest", item.position, exc_info=True)
            else:
                page.normalized[index] = (digest, record)
        return page


def normalized_ahead(page: RawPage, index: int, raw: RawPointer) -> Record | None:
    """The page's record at ``index`` as normalized ahead from the bytes whose digest ``raw`` holds; the error
    normalizing it gave raises again; ``None`` when it was not normalized ahead (or from other bytes)."""
    found = page.normalized.get(index)
    if found is None or found[0] != raw.digest:
        return None
    if isinstance(found[1], Exception):
        raise found[1]
    return found[1]
