"""One push run fanned out over readers: the job request a schedule sends, the one message per shard of readers
it becomes on a :class:`~consortium.ports.Queue`, and the worker that runs each message's shard.

Every shard goes through :meth:`~consortium.push.service.PushService.run` with ``shard=(k, n)``; a shard run again
(a message delivered twice) plans nothing already in a reader's sent ledger, so at-least-once delivery is safe.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from consortium.push.models import Frequency, ServiceId

if TYPE_CHECKING:
    from collections.abc import Iterable

    from consortium.ports import Clock, Queue
    from consortium.push.service import PushService

__all__ = ["MAX_SHARDS", "JobRequest", "ShardMessage", "run_shards", "start_run"]

logger = logging.getLogger(__name__)

MAX_SHARDS = 1000
"""The most shards one run is split into."""


class JobRequest(BaseModel):
    """What starts a push run (the Input of an EventBridge Scheduler schedule; every field optional)."""

    model_config = ConfigDict(extra="forbid")

    services: list[ServiceId] | None = None
    """The services to plan; all of them when null or absent."""
    shards: int = Field(default=1, ge=1, le=MAX_SHARDS)
    frequency: Frequency | None = None
    """Which schedule fired: only the subscriptions of that frequency are planned (the daily, weekly and monthly
    schedules may fire at the same moment; each plans its own subscriptions, never another's)."""
    now: AwareDatetime | None = None
    """The moment the run is for (the end of its digests' windows); the current time when absent."""


class ShardMessage(BaseModel):
    """One message of a fanned-out run: shard ``shard`` of ``shards`` at ``now``."""

    model_config = ConfigDict(extra="forbid")

    shard: int = Field(ge=0)
    shards: int = Field(ge=1, le=MAX_SHARDS)
    now: AwareDatetime
    services: list[ServiceId] | None = None
    frequency: Frequency | None = None

    @model_validator(mode="after")
    def _shard_in_range(self) -> ShardMessage:
        if self.shard >= self.shards:
            raise ValueError(f"the field 'shard' ({self.shard}) must be below 'shards' ({self.shards})")
        return self


def start_run(push: PushService, queue: Queue | None, request: JobRequest, clock: Clock) -> dict[str, Any]:
    """Start the run ``request`` asks for: with a queue and more than one shard, send one :class:`ShardMessage`
    per shard and return ``{"mode": "queued", ...}``; otherwise run the whole job here and return its report
    (``{"mode": "in_process", ...}``)."""
    now = request.now or clock()
    frequencies = None if request.frequency is None else [request.frequency]
    if request.shards == 1 or queue is None:
        report = push.run(now=now, services=request.services, frequencies=frequencies)
        return {"mode": "in_process", **report.as_dict()}
    services = None if request.services is None else [service.value for service in request.services]
    frequency = None if request.frequency is None else request.frequency.value
    messages: list[dict[str, object]] = [
        {"shard": k, "shards": request.shards, "now": now.isoformat(), "services": services, "frequency": frequency}
        for k in range(request.shards)
    ]
    sent = queue.send(messages)
    logger.info("push run at %s (%s): %d shard messages queued", now.isoformat(), request.frequency or "manual", sent)
    return {"mode": "queued", "now": now.isoformat(), "shards": request.shards, "messages": sent}


def run_shards(push: PushService, messages: Iterable[tuple[str, str]]) -> list[str]:
    """Run the shard of each ``(message id, JSON body)``; return the ids of the messages that failed (a body
    that is no :class:`ShardMessage`, or a run that raised), so they are delivered again. One shard's failure
    never stops the others. Logs name the message id and the error's type only: never a body or an error text
    (either could carry a reader's data)."""
    failed: list[str] = []
    for message_id, body in messages:
        try:
            message = ShardMessage.model_validate_json(body)
            report = push.run(
                now=message.now,
                services=message.services,
                frequencies=None if message.frequency is None else [message.frequency],
                shard=(message.shard, message.shards),
            )
        except Exception as exc:  # one shard's failure must not fail the others
            logger.error("push shard message %s failed: %s", message_id, type(exc).__name__)
            failed.append(message_id)
            continue
        summary = {k: v for k, v in report.as_dict().items() if k != "digests"}
        logger.info(
            "push shard %d/%d at %s (message %s): %s",
            message.shard,
            message.shards,
            message.now.isoformat(),
            message_id,
            json.dumps(summary),
        )
    return failed
