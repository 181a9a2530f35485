"""Bulk upload of a member's readers' loans, returns and holds, as JSON Lines (the member API's
``POST /members/{id}/events``).

Each line is one JSON object: a :class:`~consortium.profiles.models.ReaderEvent` of type ``borrow``, ``return``
or ``hold`` with the ``reader_id`` it belongs to::

    {"reader_id": "r-1042", "event_id": "loan-88121", "type": "borrow", "at": "2026-12-03T10:15:00+08:00",
     "cluster_id": "c-5d1f..."}

Every line gets an outcome with its 1-based line number: ``stored``; ``duplicate`` (an event with that id was
stored before: kept once, so an upload may be sent again safely); ``not_kept`` (valid, but the reader has not
granted personalization, so the hub keeps nothing of it); or ``rejected``, with a reason naming the field. A
reader who is not the member's own is rejected as unknown ("no reader ... of this member"), whether another
member's or nobody's: an upload never tells a member who another member's readers are. Each stored event is
recorded in the reader's audit log as written by the member's staff (the ``actor`` the route passes).

Blank lines are skipped (a trailing newline is usual). Over :data:`MAX_LINES` events or :data:`MAX_UPLOAD_BYTES`
the whole upload is refused before anything is stored (:class:`UploadTooLargeError`); a line over
:data:`MAX_LINE_BYTES` is rejected on its own.

Every line is read and checked first; then each reader's events are recorded together, in the order of their
lines (:meth:`~consortium.profiles.learning.Learning.record_events`): one transaction of the profile store per
reader, the learned interests decrypted and encrypted once, with the outcome each line would have had alone. A
store failing part-way raises: the readers recorded before it keep their events (each reader's are all or
none); send the upload again, and what was stored comes back as ``duplicate``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import pydantic
from pydantic import BaseModel, ConfigDict, StringConstraints, field_validator

from consortium.errors import NotFoundError, TooLargeError, ValidationError, field_errors
from consortium.json_input import read_json
from consortium.profiles.learning import EventOutcome
from consortium.profiles.models import Actor, ActorRole, EventType, ReaderEvent
from consortium.profiles.ports import DecryptionError

if TYPE_CHECKING:
    from collections.abc import Callable

    from consortium.members import Member
    from consortium.profiles.service import ProfileService

__all__ = [
    "MAX_LINES",
    "MAX_LINE_BYTES",
    "MAX_UPLOAD_BYTES",
    "UPLOADED_TYPES",
    "EventUpload",
    "LineOutcome",
    "LineStatus",
    "UploadReport",
    "UploadTooLargeError",
    "UploadedEvent",
    "member_staff",
]

MAX_LINES = 10_000
"""The most events one upload holds (split a bigger file)."""
MAX_LINE_BYTES = 8 * 1024
"""The longest line, in bytes (an event is a few hundred)."""
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
"""The largest upload, in bytes (a Lambda's request must stay under 6 MB)."""
UPLOADED_TYPES = frozenset({EventType.BORROW, EventType.RETURN, EventType.HOLD})
"""The events a member uploads for its readers: loans, returns and holds."""

_ReaderId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class UploadTooLargeError(TooLargeError):
    """An upload over :data:`MAX_LINES` events or :data:`MAX_UPLOAD_BYTES` bytes; nothing of it was stored
    (HTTP 413)."""


class UploadedEvent(ReaderEvent):
    """One line of an upload: a loan, return or hold of ``reader_id``."""

    reader_id: _ReaderId
    """The reader, one of the member's own."""

    @field_validator("type")
    @classmethod
    def _a_circulation_event(cls, value: EventType) -> EventType:
        if value not in UPLOADED_TYPES:
            raise ValueError("a member uploads 'borrow', 'return' or 'hold' events")
        return value

    def event(self) -> ReaderEvent:
        """The event itself, without the reader."""
        return ReaderEvent.model_validate(self.model_dump(exclude={"reader_id"}))


class LineStatus(StrEnum):
    """What became of one line."""

    STORED = "stored"
    DUPLICATE = "duplicate"
    """Stored before (same reader, same ``event_id``): kept once."""
    NOT_KEPT = "not_kept"
    """Valid, but the reader has not granted personalization: nothing of it is kept."""
    REJECTED = "rejected"


class LineOutcome(BaseModel):
    """The outcome of one line."""

    model_config = ConfigDict(extra="forbid")

    line: int
    """1-based, counting every line of the upload (blank ones too)."""
    status: LineStatus
    event_id: str | None = None
    reason: str | None = None
    """Why it was rejected or not kept, naming the field where one is at fault."""


class UploadReport(BaseModel):
    """What an upload did, line by line and in all."""

    model_config = ConfigDict(extra="forbid")

    events: int
    """Lines read (blank lines not counted)."""
    accepted: int
    """Lines whose event is kept now (``stored`` and ``duplicate``): each is in its reader's export."""
    stored: int
    duplicates: int
    not_kept: int
    rejected: int
    lines: list[LineOutcome]


def member_staff(member_id: str, caller_id: str) -> Actor:
    """The actor of a member's call (its API key, or a staff account), as readers' audit logs record it:
    ``<member>/<caller>`` with the member-staff role."""
    return Actor(actor_id=f"{member_id}/{caller_id}", role=ActorRole.MEMBER_STAFF)


class EventUpload:
    """Bulk upload of a member's readers' loans, returns and holds (see the module).

    Example
    -------
    >>> uploads = EventUpload(container.profiles, member_sources.member)
    >>> report = uploads.upload("riverside", body, member_staff("riverside", "key-1"))
    >>> [(o.line, o.reason) for o in report.lines if o.status == "rejected"]
    [(3, "field 'cluster_id': no work 'c-404' in the catalogue")]
    """

    def __init__(self, profiles: ProfileService, member: Callable[[str], Member]) -> None:
        self.profiles = profiles
        self._member = member

    def upload(self, member_id: str, body: bytes | str, actor: Actor) -> UploadReport:
        """Record every valid line of ``body`` (JSON Lines, UTF-8) for the member's readers, as ``actor``."""
        if actor.role is not ActorRole.MEMBER_STAFF:
            raise ValidationError("a member's upload is made by its staff (actor role member_staff)")
        self._member(member_id)
        data = body.encode("utf-8") if isinstance(body, str) else bytes(body)
        if len(data) > MAX_UPLOAD_BYTES:
            raise UploadTooLargeError(
                f"the upload is {len(data)} bytes; at most {MAX_UPLOAD_BYTES} are taken at once: split it",
                limit=MAX_UPLOAD_BYTES,
            )
        lines = data.removeprefix(b"\xef\xbb\xbf").split(b"\n")
        numbered = [(n, line.removesuffix(b"\r")) for n, line in enumerate(lines, start=1) if line.strip()]
        if len(numbered) > MAX_LINES:
            raise UploadTooLargeError(
                f"the upload has {len(numbered)} events; at most {MAX_LINES} are taken at once: split it",
                limit=MAX_LINES,
            )
        if not numbered:
            raise ValidationError("the upload has no events: send one JSON object per line")
        homes: dict[str, bool] = {}
        read = [self._read(member_id, number, line, homes) for number, line in numbered]
        by_reader: dict[str, list[tuple[int, UploadedEvent]]] = {}
        for position, parsed in enumerate(read):
            if isinstance(parsed, UploadedEvent):
                by_reader.setdefault(parsed.reader_id, []).append((position, parsed))
        outcomes = [parsed for parsed in read if isinstance(parsed, LineOutcome)]
        for reader_id, events in by_reader.items():
            # One reader's lines in one call: one transaction, the learned interests read and written once.
            recorded = self.profiles.record_events(reader_id, [uploaded.event() for _, uploaded in events], actor)
            outcomes.extend(
                _outcome(numbered[position][0], uploaded.event_id, result)
                for (position, uploaded), result in zip(events, recorded, strict=True)
            )
        outcomes.sort(key=lambda outcome: outcome.line)
        count = {status: sum(1 for o in outcomes if o.status is status) for status in LineStatus}
        return UploadReport(
            events=len(outcomes),
            accepted=count[LineStatus.STORED] + count[LineStatus.DUPLICATE],
            stored=count[LineStatus.STORED],
            duplicates=count[LineStatus.DUPLICATE],
            not_kept=count[LineStatus.NOT_KEPT],
            rejected=count[LineStatus.REJECTED],
            lines=outcomes,
        )

    def _read(self, member_id: str, number: int, line: bytes, homes: dict[str, bool]) -> UploadedEvent | LineOutcome:
        """The line's event, when it is one of a reader of the member; else its outcome, rejected."""

        def rejected(reason: str, event_id: str | None = None) -> LineOutcome:
            return LineOutcome(line=number, status=LineStatus.REJECTED, event_id=event_id, reason=reason)

        if len(line) > MAX_LINE_BYTES:
            return rejected(f"the line is {len(line)} bytes; at most {MAX_LINE_BYTES}")
        try:
            parsed: Any = read_json(line.decode("utf-8"), what=None)
        except UnicodeDecodeError as exc:
            return rejected(f"not UTF-8 at byte {exc.start + 1} of the line")
        except ValidationError as exc:
            return rejected(str(exc))
        if not isinstance(parsed, dict):
            return rejected("not a JSON object")
        claimed = parsed.get("event_id") if isinstance(parsed.get("event_id"), str) else None
        try:
            uploaded = UploadedEvent.model_validate(parsed)
        except pydantic.ValidationError as exc:
            return rejected(field_errors(exc), claimed)
        reader_id = uploaded.reader_id
        if reader_id not in homes:
            homes[reader_id] = self._home(reader_id) == member_id
        if not homes[reader_id]:
            return rejected(f"field 'reader_id': no reader {reader_id!r} of this member", uploaded.event_id)
        return uploaded

    def _home(self, reader_id: str) -> str | None:
        """The reader's home library, or ``None`` for a reader the hub does not have (or no longer can open)."""
        try:
            return self.profiles.member_of(reader_id)
        except (NotFoundError, DecryptionError):
            return None


def _outcome(number: int, event_id: str, result: EventOutcome | ValidationError) -> LineOutcome:
    """A line's outcome from what the profile service did with its event."""
    if isinstance(result, ValidationError):
        return LineOutcome(line=number, status=LineStatus.REJECTED, event_id=event_id, reason=str(result))
    if result is EventOutcome.DROPPED_NO_CONSENT:
        return LineOutcome(
            line=number,
            status=LineStatus.NOT_KEPT,
            event_id=event_id,
            reason="the reader has not granted personalization: the hub keeps none of their events",
        )
    status = LineStatus.STORED if result is EventOutcome.STORED else LineStatus.DUPLICATE
    return LineOutcome(line=number, status=status, event_id=event_id)
