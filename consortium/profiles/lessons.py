"""What a reader's event teaches: the interest keys it touches and how it counts (:func:`event_keys`), and the
check that it is not dated in the future (:func:`check_time`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from consortium.errors import ConsortiumError, ValidationError
from consortium.profiles.interest_keys import keys_for_cluster, keys_for_search
from consortium.profiles.interests import EventKind
from consortium.profiles.models import MAX_CLOCK_SKEW, EventType
from consortium.search.query import SearchQuery, parse_query_string

if TYPE_CHECKING:
    import datetime as dt

    from consortium.models import Cluster
    from consortium.profiles.models import ReaderEvent

__all__ = ["NOT_INTERESTED", "check_time", "event_keys", "search_query"]

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
