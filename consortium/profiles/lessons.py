"""What a reader's event teaches: the interest keys it touches and how it counts (:func:`event_keys`), the check
that it is not dated in the future (:func:`check_time`), and, for the reader, which of their events taught each
learned interest (:func:`taught_by`)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from consortium.errors import ConsortiumError, ValidationError
from consortium.profiles.interest_keys import expand, keys_for_cluster, keys_for_search
from consortium.profiles.interests import EventKind
from consortium.profiles.models import MAX_CLOCK_SKEW, EventType
from consortium.search.query import SearchQuery, parse_query_string

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable

    from consortium.models import Cluster
    from consortium.profiles.models import ReaderEvent

__all__ = ["NOT_INTERESTED", "Because", "check_time", "event_keys", "search_query", "taught_by"]

NOT_INTERESTED = "not interested"
"""The feedback text (case and surrounding spaces ignored) that counts against the event's work."""

_CLUSTER_EVENTS = {
    EventType.VIEW: EventKind.VIEW,
    EventType.BORROW: EventKind.BORROW,
    EventType.RETURN: EventKind.BORROW,
    EventType.HOLD: EventKind.HOLD,
    EventType.RATING: EventKind.RATING,
}
"""How a work's event counts for its interest keys. A return counts like a borrow: finishing a book is as much
evidence as starting it (a reader who returns unread says so with "not interested" feedback)."""
_SEARCH_FILTERS = {
    "class": "classes",
    "classes": "classes",
    "subject": "subjects",
    "subjects": "subjects",
    "author": "author",
}
"""Event filter names that name interests, and the :class:`~consortium.search.query.SearchQuery` field each fills."""


def check_time(event: ReaderEvent, now: dt.datetime) -> None:
    """:class:`~consortium.errors.ValidationError` for an event dated more than
    :data:`~consortium.profiles.models.MAX_CLOCK_SKEW` ahead of ``now``."""
    if event.at > now + MAX_CLOCK_SKEW:
        minutes = int(MAX_CLOCK_SKEW.total_seconds() // 60)
        raise ValidationError(
            f"field 'at': {event.at.isoformat()} is in the future (the hub's clock says {now.isoformat()}; "
            f"at most {minutes} minutes ahead is accepted)",
            field="at",
        )


def event_keys(event: ReaderEvent, work: Cluster | None) -> tuple[EventKind, list[str], int | None] | None:
    """How an event counts: its kind, the interest keys it touches and a rating's stars; ``None`` when it names
    nothing to learn (a search naming no class, subject or author; no work to learn from)."""
    if event.type is EventType.SEARCH:
        keys = keys_for_search(search_query(event))
        return (EventKind.SEARCH, keys, None) if keys else None
    if work is None:
        return None
    if event.type is EventType.FEEDBACK:
        if (event.feedback or "").strip().casefold() != NOT_INTERESTED:
            return None
        kind = EventKind.NOT_INTERESTED
    else:
        kind = _CLUSTER_EVENTS[event.type]
    keys = keys_for_cluster(work)
    return (kind, keys, event.rating) if keys else None


def search_query(event: ReaderEvent) -> SearchQuery:
    """The search an event records: its query string parsed as the query box reads it, plus the filters that
    name interests (``class``, ``subject``, ``author``). Values that don't parse are left out."""
    try:
        query = parse_query_string(event.query or "")
    except ConsortiumError:
        query = SearchQuery()
    fields: dict[str, Any] = {}
    for name, value in event.filters.items():
        target = _SEARCH_FILTERS.get(name)
        if target is None:
            continue
        values = [str(v) for v in value] if isinstance(value, list) else [str(value)]
        if target == "author":
            fields["author"] = values[0] if values else None
        else:
            fields[target] = [*fields.get(target, getattr(query, target)), *values]
    if not fields:
        return query
    try:
        return SearchQuery.model_validate({**query.model_dump(), **fields})
    except ValueError:
        return query


class Because(BaseModel):
    """Why a learned interest is there: the reader's stored events of one type that taught it, and the latest."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: EventType
    count: int
    """How many events of this type taught it (a class also learns from its narrower classes' works)."""
    latest: str
    """The latest of them: the work's title, or the search as typed."""
    at: dt.datetime
    """When the latest was."""


def taught_by(events: Iterable[tuple[ReaderEvent, Cluster | None]], keys: Collection[str]) -> dict[str, list[Because]]:
    """For each of ``keys`` that any of ``events`` (each with the work it names) taught, a :class:`Because` per
    type of event, the most frequent first: what the reader is shown beside a learned interest. A class counts the
    works of its narrower classes too, as learning does (:func:`~consortium.profiles.interests.apply_event`)."""
    found: dict[str, dict[EventType, tuple[int, str, dt.datetime]]] = {}
    for event, work in events:
        learned = event_keys(event, work)
        if learned is None:
            continue
        try:
            touched = {broader for key in learned[1] for broader, _ in expand(key)} & set(keys)
        except ConsortiumError:  # an odd class code taught nothing
            continue
        what = work.title if work is not None else (event.query or "")
        for key in touched:
            count, latest, at = found.setdefault(key, {}).get(event.type, (0, what, event.at))
            if event.at >= at:
                latest, at = what, event.at
            found[key][event.type] = (count + 1, latest, at)
    return {
        key: sorted(
            (Because(type=kind, count=count, latest=latest, at=at) for kind, (count, latest, at) in types.items()),
            key=lambda because: (-because.count, because.type.value),
        )
        for key, types in found.items()
    }
