"""A member's quarantined records, as the member API shows them: in pages, each with its reason and, on request,
its raw bytes (base64 in JSON), or the raw bytes alone (for a ``.../raw`` endpoint). Only the member's own.

A quarantined record is named by an opaque :attr:`QuarantineItem.item_id` (its store key, base64url-encoded);
a page's ``next_cursor`` is the id of its last item. Neither is secret: every call is scoped to the member
whose records are asked for, so an id of another member's record finds nothing.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from consortium.errors import NotFoundError, ValidationError
from consortium.json_input import read_json

if TYPE_CHECKING:
    from collections.abc import Callable

    from consortium.harvest.ports import BlobStore, RecordStore
    from consortium.members import Member
    from consortium.models import QuarantinedRecord

__all__ = [
    "MAX_PAGE",
    "MAX_RAW_PAGE",
    "RAW_PAGE_BYTES",
    "MemberQuarantine",
    "QuarantineItem",
    "QuarantinePage",
    "RawBytes",
]

MAX_PAGE = 200
"""The most quarantined records one page lists."""
MAX_RAW_PAGE = 50
"""The most records one page lists with their raw bytes."""
RAW_PAGE_BYTES = 3 * 1024 * 1024
"""A page with raw bytes ends early once its raw bytes pass this (base64 makes them a third bigger; a Lambda's
response must stay under 6 MB)."""


class QuarantineItem(BaseModel):
    """One quarantined record of the member: where it was found, why it was refused, its raw bytes' digest."""

    model_config = ConfigDict(extra="forbid")

    item_id: str
    """The record's id in the quarantine (opaque; for :meth:`MemberQuarantine.item` and the raw bytes)."""
    source_id: str
    position: str
    """Where it was found: the OAI identifier, or the file name and record number or byte offset."""
    local_id: str | None = None
    reason: str
    """Why, in English, naming where in the record (what to paste in a ticket)."""
    reason_code: str | None = None
    """The reason as a stable code (``no_title``, ``bad_encoding``...: README, "Quarantine reason codes"), for a
    page to say in the reader's language; ``null`` for a record quarantined before the hub gave codes."""
    reason_field: str | None = None
    """The field the reason names (``245$a``, ``title_url``), when it names one."""
    quarantined_at: datetime
    raw_digest: str
    """The SHA-256 of its raw bytes, as harvested."""
    media_type: str
    raw_base64: str | None = None
    """The raw bytes, base64 (only when asked for; ``null`` too when the archive no longer has them)."""


class QuarantinePage(BaseModel):
    """A page of the member's quarantined records, by source and position."""

    model_config = ConfigDict(extra="forbid")

    items: list[QuarantineItem]
    total: int
    """How many quarantined records the member has in all."""
    next_cursor: str | None = None
    """Pass as ``cursor`` for the next page; ``null`` on the last."""


@dataclass(frozen=True)
class RawBytes:
    """A quarantined record's raw bytes, as harvested, and what they are."""

    data: bytes
    media_type: str
    filename: str
    """A file name to offer (``<source>-<digest prefix>`` with an extension for the media type)."""


_EXTENSIONS = {
    "application/marc": ".mrc",
    "application/marcxml+xml": ".xml",
    "application/xml": ".xml",
    "text/tab-separated-values": ".txt",
}


class MemberQuarantine:
    """A member's quarantined records (the member API's ``GET /members/{id}/quarantine`` and its raw bytes).

    Example
    -------
    >>> quarantine = MemberQuarantine(record_store, archive, member_sources.member)
    >>> page = quarantine.page("riverside", limit=50)
    >>> quarantine.raw("riverside", page.items[0].item_id).data[:5]
    b'00714'
    """

    def __init__(self, store: RecordStore, archive: BlobStore, member: Callable[[str], Member]) -> None:
        self.store = store
        self.archive = archive
        self._member = member

    def page(
        self, member_id: str, *, cursor: str | None = None, limit: int = 50, include_raw: bool = False
    ) -> QuarantinePage:
        """A page of the member's quarantined records (``limit`` 1 to :data:`MAX_PAGE`, or to
        :data:`MAX_RAW_PAGE` with ``include_raw``, which also ends a page once its raw bytes pass
        :data:`RAW_PAGE_BYTES`); ``cursor`` is the ``next_cursor`` of the page before."""
        most = MAX_RAW_PAGE if include_raw else MAX_PAGE
        if not 1 <= limit <= most:
            raw = " with raw bytes" if include_raw else ""
            raise ValidationError(f"field 'limit': must be from 1 to {most}{raw}", field="limit")
        self._member(member_id)
        after = _key(cursor, "cursor") if cursor is not None else None
        found = self.store.quarantine_page(member_id, after=after, limit=limit + 1)
        items: list[QuarantineItem] = []
        size = 0
        for record in found[:limit]:
            item = _item(record)
            if include_raw:
                data = self._raw_or_none(record)
                item.raw_base64 = base64.b64encode(data).decode("ascii") if data is not None else None
                size += len(data or b"")
            items.append(item)
            if include_raw and size > RAW_PAGE_BYTES:
                break
        more = len(found) > len(items)
        return QuarantinePage(
            items=items,
            total=self.store.count_quarantined(member_id),
            next_cursor=items[-1].item_id if more and items else None,
        )

    def item(self, member_id: str, item_id: str) -> QuarantineItem:
        """One of the member's quarantined records, with its raw bytes; :class:`NotFoundError` if the member has
        none with that id."""
        record = self._record(member_id, item_id)
        item = _item(record)
        data = self._raw_or_none(record)
        item.raw_base64 = base64.b64encode(data).decode("ascii") if data is not None else None
        return item

    def raw(self, member_id: str, item_id: str) -> RawBytes:
        """The raw bytes of one of the member's quarantined records; :class:`NotFoundError` if the member has no
        such record, or the archive no longer has its bytes."""
        record = self._record(member_id, item_id)
        data = self.archive.get(record.raw.digest)
        extension = _EXTENSIONS.get(record.raw.media_type, ".bin")
        return RawBytes(data, record.raw.media_type, f"{record.source_id}-{record.raw.digest[:12]}{extension}")

    def _record(self, member_id: str, item_id: str) -> QuarantinedRecord:
        self._member(member_id)
        record = self.store.quarantined_record(member_id, _key(item_id, "item_id"))
        if record is None:
            raise NotFoundError(f"member {member_id!r} has no quarantined record {item_id!r}", item_id=item_id)
        return record

    def _raw_or_none(self, record: QuarantinedRecord) -> bytes | None:
        try:
            return self.archive.get(record.raw.digest)
        except NotFoundError:
            return None


def _item(record: QuarantinedRecord) -> QuarantineItem:
    return QuarantineItem(
        item_id=_item_id(record.key),
        source_id=record.source_id,
        position=record.position,
        local_id=record.local_id,
        reason=record.reason,
        reason_code=record.reason_code,
        reason_field=record.reason_field,
        quarantined_at=record.quarantined_at,
        raw_digest=record.raw.digest,
        media_type=record.raw.media_type,
    )


def _item_id(key: tuple[str, str, str]) -> str:
    text = json.dumps(list(key), ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode("ascii").rstrip("=")


def _key(value: str, field: str) -> tuple[str, str, str]:
    """The store key an item id (or cursor) stands for. A cursor that is none is a :class:`ValidationError`
    naming ``field``; an item id that is none is a :class:`NotFoundError` (as for an id of nothing: a path names
    a thing, or nothing)."""
    key: object = None
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        key = read_json(raw, what=None)
    except (binascii.Error, ValueError, ValidationError):  # read_json: strictly, and never too deep to read
        key = None
    if not (isinstance(key, list) and len(key) == 3 and all(isinstance(part, str) for part in key)):
        if field == "item_id":
            raise NotFoundError("no such quarantined record of this member", item_id=value)
        raise ValidationError(f"field {field!r}: not an id this hub gave", field=field)
    return (key[0], key[1], key[2])
