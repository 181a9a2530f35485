"""In-memory :class:`~consortium.ports.Queue` adapters: one that keeps messages until a worker takes them (tests,
and the simplest adapter of the port), and one that hands each message at once to a function in this process.
(The embedded default needs neither: without a queue a push run goes in-process whole,
:func:`~consortium.push.fanout.start_run`.)"""

from __future__ import annotations

import json
from collections import deque
from typing import TYPE_CHECKING

from consortium.ports import message_body

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = ["InMemoryQueue", "InProcessQueue"]


class InMemoryQueue:
    """Messages kept in order until :meth:`receive` takes them.

    Example
    -------
    >>> queue = InMemoryQueue()
    >>> queue.send([{"shard": 0, "shards": 2}, {"shard": 1, "shards": 2}])
    2
    >>> [m["shard"] for m in queue.receive()]
    [0, 1]
    """

    def __init__(self) -> None:
        self._bodies: deque[str] = deque()

    def send(self, messages: Sequence[dict[str, object]]) -> int:
        bodies = [message_body(message, number) for number, message in enumerate(messages)]
        self._bodies.extend(bodies)
        return len(bodies)

    def receive(self, limit: int | None = None) -> list[dict[str, object]]:
        """Take up to ``limit`` messages (all of them when ``None``), oldest first."""
        count = len(self._bodies) if limit is None else min(limit, len(self._bodies))
        return [json.loads(self._bodies.popleft()) for _ in range(count)]

    def __len__(self) -> int:
        return len(self._bodies)


class InProcessQueue:
    """Hands every message to ``handler`` as it is sent, in order, in this process.

    A message the handler fails on stops the send: the error propagates, as a refused send does with SQS, and
    the messages after it are not handled.
    """

    def __init__(self, handler: Callable[[dict[str, object]], object]) -> None:
        self._handler = handler

    def send(self, messages: Sequence[dict[str, object]]) -> int:
        bodies = [message_body(message, number) for number, message in enumerate(messages)]
        for body in bodies:
            self._handler(json.loads(body))
        return len(bodies)
