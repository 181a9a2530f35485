"""In-memory :class:`~consortium.ports.Queue` adapters: one that keeps messages until a worker takes them (tests,
and the simplest adapter of the port), one that hands each message at once to a function in this process, and one
that hands them to a function in a worker thread of this process (the local hub's harvest runs).
(The embedded default needs neither: without a queue a push run goes in-process whole,
:func:`~consortium.push.fanout.start_run`.)"""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections import deque
from typing import TYPE_CHECKING

from consortium.errors import StorageError
from consortium.ports import message_body

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = ["BackgroundQueue", "InMemoryQueue", "InProcessQueue"]

log = logging.getLogger(__name__)


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


class BackgroundQueue:
    """Hands every message to ``handler`` in one worker thread of this process, in the order sent; :meth:`send`
    returns at once. A message the handler fails on is logged and the next one is handled. The thread is started
    with the first message and is a daemon: messages not yet handled when the process ends are lost (a harvest
    run left queued is found interrupted later, and its sources' checkpoints resume). :meth:`close` stops the
    thread once the message it is handling is done, so that the queue (and what ``handler`` holds) is freed
    before the process ends.

    Example
    -------
    >>> queue = BackgroundQueue(runs.handle)
    >>> queue.send([{"harvest_run": run_id, "member": "riverside"}])
    1
    >>> queue.join(timeout=60)
    True
    >>> queue.close(timeout=60)
    True
    """

    def __init__(self, handler: Callable[[dict[str, object]], object], *, name: str = "consortium-worker") -> None:
        self._handler = handler
        self._name = name
        self._bodies: queue.Queue[str | None] = queue.Queue()  # None: stop
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False

    def send(self, messages: Sequence[dict[str, object]]) -> int:
        bodies = [message_body(message, number) for number, message in enumerate(messages)]
        with self._lock:
            if self._closed:
                raise StorageError(f"the queue {self._name} is closed: it hands no more messages to its worker")
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name=self._name, daemon=True)
                self._thread.start()
            for body in bodies:
                self._bodies.put(body)
        return len(bodies)

    def join(self, timeout: float | None = None) -> bool:
        """Wait until every message sent so far is handled (at most ``timeout`` seconds); whether they are."""
        done = threading.Event()

        def wait() -> None:
            self._bodies.join()
            done.set()

        threading.Thread(target=wait, daemon=True).start()
        return done.wait(timeout)

    def close(self, timeout: float | None = None) -> bool:
        """Stop the worker thread once the message it is handling now is done (waiting for it up to ``timeout``
        seconds; ``None``: as long as it takes); the messages sent but not begun are dropped, as when the process
        ends, and a later :meth:`send` is refused. Whether the thread has ended (it ends by itself after its
        message when the wait was too short). Closing again does no harm."""
        with self._lock:
            self._closed = True
            thread = self._thread
        if thread is None:
            return True
        self._bodies.put(None)  # wakes the worker if it waits for a message
        thread.join(timeout)
        if thread.is_alive():
            return False
        dropped = 0
        while True:
            try:
                body = self._bodies.get_nowait()
            except queue.Empty:
                break
            dropped += body is not None
            self._bodies.task_done()
        if dropped:
            log.warning("%s closed: %d queued messages not handled", self._name, dropped)
        return True

    def _work(self) -> None:
        while True:
            body = self._bodies.get()
            if body is None or self._closed:
                self._bodies.task_done()
                return
            try:
                self._handler(json.loads(body))
            except Exception:  # one failing message must not stop the worker
                log.exception("a queued message failed in %s", self._name)
            finally:
                self._bodies.task_done()
