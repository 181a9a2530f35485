"""The limit on failed lookups of the token routes (consortium.http.limits): token buckets per client address and
for everyone, on an injected clock, and the 429 with Retry-After a Chalice route answers when one is empty."""

from __future__ import annotations

import datetime as dt
import json

from chalice.app import Chalice
from chalice.test import Client

from consortium import errors
from consortium.adapters.memory.clock import ManualClock
from consortium.http import FailedLookupLimit, TokenBuckets, http_errors, limit_failed_lookups

T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def test_a_bucket_allows_a_burst_then_one_per_refill_interval() -> None:
    clock = ManualClock(T0)
    buckets = TokenBuckets(capacity=3, per_minute=6, clock=clock)  # one token every 10 s
    for _ in range(3):
        assert buckets.retry_after("a") == 0
        buckets.take("a")
    assert buckets.retry_after("a") == 10
    assert buckets.retry_after("b") == 0  # another client has its own bucket
    clock.advance(dt.timedelta(seconds=4))
    assert buckets.retry_after("a") == 6
    clock.advance(dt.timedelta(seconds=6))
    assert buckets.retry_after("a") == 0
    clock.advance(dt.timedelta(hours=1))
    for _ in range(3):
        buckets.take("a")  # refilled to its capacity, never beyond
    assert buckets.retry_after("a") == 10


def test_the_buckets_forget_full_clients_and_stay_bounded() -> None:
    clock = ManualClock(T0)
    buckets = TokenBuckets(capacity=2, per_minute=60, clock=clock, max_keys=100)
    for number in range(1000):
        buckets.take(f"10.0.{number // 256}.{number % 256}")
        clock.advance(dt.timedelta(milliseconds=10))
    assert len(buckets) <= 100


def test_the_overall_bucket_stops_many_addresses_together() -> None:
    clock = ManualClock(T0)
    limit = FailedLookupLimit(
        per_client=TokenBuckets(capacity=5, per_minute=5, clock=clock),
        overall=TokenBuckets(capacity=8, per_minute=60, clock=clock),
    )
    for number in range(8):
        assert limit.retry_after(f"10.0.0.{number}") == 0
        limit.failed(f"10.0.0.{number}")
    assert limit.retry_after("10.0.0.99") == 1


def make_app(clock: ManualClock) -> Chalice:
    app = Chalice(app_name="limited")
    limit = FailedLookupLimit(
        per_client=TokenBuckets(capacity=2, per_minute=2, clock=clock),
        overall=TokenBuckets(capacity=100, per_minute=100, clock=clock),
    )

    @app.route("/things/{token}", methods=["GET"])
    @http_errors
    @limit_failed_lookups(app, limit)
    def thing(token: str) -> dict[str, str]:
        if token != "good":
            raise errors.NotFoundError("no such thing")
        return {"thing": token}

    return app


def test_a_route_answers_429_with_retry_after_once_its_failures_are_spent() -> None:
    clock = ManualClock(T0)
    with Client(make_app(clock)) as client:
        statuses = [client.http.get(f"/things/junk{n}").status_code for n in range(3)]
        assert statuses == [404, 404, 429]
        limited = client.http.get("/things/good")  # spent: even a good token waits
        assert limited.status_code == 429
        assert limited.headers["Retry-After"] == "30"
        assert limited.headers["Cache-Control"] == "no-store"
        assert "try again in 30 seconds" in json.loads(limited.body)["Message"]
        clock.advance(dt.timedelta(seconds=30))
        assert client.http.get("/things/good").status_code == 200
        assert client.http.get("/things/good").status_code == 200  # successes cost nothing
