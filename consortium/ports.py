"""The ports every feature may use: the :class:`Clock` and the :class:`Queue`.

Each feature keeps its own ports beside it: :mod:`consortium.harvest.ports` (records, raw archive),
:mod:`consortium.dedup.ports` (clusters), :mod:`consortium.search.ports` (the index),
:mod:`consortium.profiles.ports` (profiles, keys, consent) and :mod:`consortium.push.ports` (mail). A port module
imports only the models and errors below it, never a feature's services nor an adapter.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Protocol

from consortium.errors import ValidationError

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["Clock", "Queue", "message_body", "system_clock"]


class Clock(Protocol):
    """The current time, timezone-aware. Services take one so that windows, retention and expiry can be tested.

    Adapters: :func:`system_clock` (the machine's clock) and
    :class:`~consortium.adapters.memory.clock.ManualClock` (set and advanced by a test).

    Example
    -------
    >>> clock = ManualClock(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    >>> clock.advance(dt.timedelta(days=1)); clock()
    datetime.datetime(2026, 1, 2, 0, 0, tzinfo=datetime.timezone.utc)
    """

    def __call__(self) -> dt.datetime: ...


def system_clock() -> dt.datetime:
    """The machine's clock, in UTC."""
    return dt.datetime.now(dt.UTC)


class Queue(Protocol):
    """Messages for a worker, each a small JSON object, delivered at least once.

    Adapters: :class:`~consortium.adapters.memory.queue.InMemoryQueue` (kept until a worker takes them),
    :class:`~consortium.adapters.memory.queue.InProcessQueue` (handled at once, by a function in this process)
    and :class:`~consortium.adapters.aws.sqs_queue.SqsQueue` (Amazon SQS; a Lambda
    consumes it). One contract suite, ``tests/contract/test_queue.py``.

    Example
    -------
    >>> queue.send([{"shard": 0, "shards": 4}, {"shard": 1, "shards": 4}])
    2
    """

    def send(self, messages: Sequence[dict[str, object]]) -> int:
        """Enqueue every message (in batches, as the backend allows); return how many were accepted. Raises
        :class:`~consortium.errors.UpstreamError` when some could not be: none of them is lost silently. A message
        that is not a JSON object is a :class:`~consortium.errors.ValidationError` (:func:`message_body`), before
        any is sent."""
        ...


def message_body(message: dict[str, object], number: int) -> str:
    """The JSON body of message ``number`` of a send; :class:`ValidationError` naming it when it is not a JSON
    object (every adapter refuses the same messages, before sending any)."""
    if not isinstance(message, dict):
        raise ValidationError(f"message {number} is not a JSON object", position=number)
    try:
        return json.dumps(message, separators=(",", ":"), sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"message {number} is not JSON: {exc}", position=number) from exc
