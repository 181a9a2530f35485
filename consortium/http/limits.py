"""A limit on failed lookups: routes whose URL is the credential (a private feed, an unsubscribe link) answer 429
with ``Retry-After`` to a client that has sent too many tokens that open nothing, and to everyone when all clients
together have.

The limit is a pair of token buckets (:class:`TokenBuckets`): one per client address, and one for everyone. A
failed lookup takes a token from both; a request finding either empty waits, whatever its token (a good one
too: the bucket does not know the token before looking it up). Successful lookups cost nothing.

Where the state lives
    In the memory of the process. On Lambda that is one execution environment (one container): each warm
    container counts on its own, so with N containers a client may fail up to N times the limit, and a cold start
    begins with full buckets. That is enough to keep one client from hammering a container with junk tokens (each
    a reader lookup, a key unwrap on AWS); a hard limit across containers belongs in front of the function (an AWS
    WAF rate-based rule on the API stage). Locally, ``consortium run`` is one process: the limit is exact.
"""

from __future__ import annotations

import functools
import json
import math
import threading
from typing import TYPE_CHECKING, ParamSpec

from chalice.app import Response

from consortium import errors
from consortium.http.identity import client_address
from consortium.http.pages import PRIVATE_HEADERS
from consortium.http.problems import error_body
from consortium.ports import system_clock

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable

    from chalice.app import Chalice

    from consortium.ports import Clock

__all__ = ["EVERYONE", "FailedLookupLimit", "TokenBuckets", "limit_failed_lookups"]

P = ParamSpec("P")

EVERYONE = "*"
"""The key of the bucket all clients share."""

_EPSILON = 1e-9
"""Floating-point slack when turning a wait into whole seconds."""


class TokenBuckets:
    """Token buckets, one per key (a client address): each holds up to ``capacity`` tokens and gains
    ``per_minute`` a minute; :meth:`take` spends one, :meth:`retry_after` says how long until there is a whole one.

    Parameters
    ----------
    capacity
        The burst: how many tokens a bucket holds (a new key starts full).
    per_minute
        How fast a bucket refills.
    clock
        The current time (a :class:`~consortium.adapters.memory.clock.ManualClock` in tests).
    max_keys
        The most buckets kept: beyond it the full ones are forgotten (forgetting a full bucket changes nothing),
        then, if still too many, the least recently used.

    Example
    -------
    >>> buckets = TokenBuckets(capacity=3, per_minute=6)
    >>> buckets.take("198.51.100.7")
    >>> buckets.retry_after("198.51.100.7")
    0
    """

    def __init__(self, capacity: int, per_minute: float, clock: Clock = system_clock, max_keys: int = 10_000) -> None:
        if capacity < 1 or per_minute <= 0 or max_keys < 1:
            raise errors.ValidationError("a token bucket needs capacity >= 1, per_minute > 0 and max_keys >= 1")
        self.capacity = capacity
        self.per_minute = per_minute
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: dict[str, tuple[float, dt.datetime]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """How many buckets are kept."""
        return len(self._buckets)

    def retry_after(self, key: str) -> int:
        """Whole seconds until ``key``'s bucket holds a token; 0 when it holds one now."""
        with self._lock:
            level = self._level(key, self._clock())
        if level >= 1:
            return 0
        return max(1, math.ceil((1 - level) * 60 / self.per_minute - _EPSILON))

    def take(self, key: str) -> None:
        """Spend one token of ``key``'s bucket (none left: it stays empty)."""
        with self._lock:
            now = self._clock()
            self._buckets[key] = (max(0.0, self._level(key, now) - 1), now)
            if len(self._buckets) > self._max_keys:
                self._forget(now)

    def _level(self, key: str, now: dt.datetime) -> float:
        kept = self._buckets.get(key)
        if kept is None:
            return float(self.capacity)
        tokens, at = kept
        elapsed = max(0.0, (now - at).total_seconds())
        return min(float(self.capacity), tokens + elapsed * self.per_minute / 60)

    def _forget(self, now: dt.datetime) -> None:
        self._buckets = {k: v for k, v in self._buckets.items() if self._level(k, now) < self.capacity}
        if len(self._buckets) > self._max_keys:
            recent = sorted(self._buckets.items(), key=lambda item: item[1][1], reverse=True)
            self._buckets = dict(recent[: self._max_keys // 2 or 1])


class FailedLookupLimit:
    """Failed lookups per client address and for everyone together (see the module notes).

    Parameters
    ----------
    per_client
        One bucket per client address; by default 20 failures at once, then 10 a minute.
    overall
        One bucket for all clients; by default 600 failures at once, then 300 a minute.

    Example
    -------
    >>> limit = FailedLookupLimit()
    >>> limit.failed("198.51.100.7")
    >>> limit.retry_after("198.51.100.7")
    0
    """

    def __init__(self, per_client: TokenBuckets | None = None, overall: TokenBuckets | None = None) -> None:
        self.per_client = TokenBuckets(capacity=20, per_minute=10) if per_client is None else per_client
        self.overall = TokenBuckets(capacity=600, per_minute=300, max_keys=1) if overall is None else overall

    def retry_after(self, client: str) -> int:
        """Whole seconds ``client`` must wait before a lookup; 0 when it may look up now."""
        return max(self.per_client.retry_after(client), self.overall.retry_after(EVERYONE))

    def failed(self, client: str) -> None:
        """Count one failed lookup of ``client``."""
        self.per_client.take(client)
        self.overall.take(EVERYONE)


def _too_many(wait: int) -> Response:
    message = f"too many links that open nothing from this address: try again in {wait} seconds"
    body = json.dumps(error_body("TooManyRequestsError", message, "too_many_requests"))
    headers: dict[str, str | list[str]] = {
        "Content-Type": "application/json",
        "Retry-After": str(wait),
        **PRIVATE_HEADERS,
    }
    return Response(body=body, status_code=429, headers=headers)


def limit_failed_lookups(
    app: Chalice, limit: FailedLookupLimit, failure: type[Exception] = errors.NotFoundError
) -> Callable[[Callable[P, Response]], Callable[P, Response]]:
    """Decorate a token route: a client with no failures left gets a 429 with ``Retry-After`` before any lookup;
    a ``failure`` the view raises counts against its address (and is raised on). Put it under
    :func:`~consortium.http.errors.http_errors`, which then maps the failure.

    Examples
    --------
    >>> @app.route("/push/feeds/{token}", methods=["GET"])
    ... @http_errors
    ... @limit_failed_lookups(app, TOKEN_LOOKUPS)
    ... def feed(token: str) -> Response: ...
    """

    def decorate(view: Callable[P, Response]) -> Callable[P, Response]:
        @functools.wraps(view)
        def limited(*args: P.args, **kwargs: P.kwargs) -> Response:
            client = client_address(app)
            wait = limit.retry_after(client)
            if wait:
                return _too_many(wait)
            try:
                return view(*args, **kwargs)
            except failure:
                limit.failed(client)
                raise

        return limited

    return decorate
