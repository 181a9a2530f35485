"""The push job's AWS plumbing: its EventBridge Scheduler schedules, and the fan-out of one run into SQS messages.

Schedules
    :func:`ensure_push_schedules` keeps one schedule per :class:`~consortium.push.models.Frequency` in a schedule
    group, each invoking the push function's ``push_schedule`` handler at 07:00 local time: every day, every
    Monday, and on the 1st of every month. The schedules do not decide who gets a digest: the job plans every
    subscription that is *due* at the moment it runs (:meth:`~consortium.push.models.Subscription.due`: a
    period since its last digest, less an hour of slack). A schedule only has to fire at least as often as its
    frequency, and the daily one alone would serve every subscription; the weekly and monthly ones say when
    those digests are expected, and keep them going if the daily one is ever paused.

Fan-out
    :func:`send_shard_messages` sends the messages of one run (one per shard of readers) to the push queue with
    ``SendMessageBatch``, ten at a time.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from consortium.errors import UpstreamError
from consortium.push.models import Frequency

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["PUSH_CRON", "SQS_BATCH", "ensure_push_schedules", "schedule_name", "send_shard_messages"]

log = logging.getLogger(__name__)

PUSH_CRON: dict[Frequency, str] = {
    Frequency.DAILY: "cron(0 7 * * ? *)",
    Frequency.WEEKLY: "cron(0 7 ? * MON *)",
    Frequency.MONTHLY: "cron(0 7 1 * ? *)",
}
"""When each frequency's schedule fires, in the schedules' time zone (EventBridge Scheduler cron fields:
minutes, hours, day of month, month, day of week, year)."""

SQS_BATCH = 10
"""The most entries one ``SendMessageBatch`` call takes."""


def schedule_name(frequency: Frequency) -> str:
    """The name of the schedule of ``frequency`` within its group: ``push-daily``, ``push-weekly``..."""
    return f"push-{frequency.value}"


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", "Unknown"))


def _ensure_group(client: Any, group: str) -> None:
    try:
        client.get_schedule_group(Name=group)
        return
    except ClientError as exc:
        if _code(exc) != "ResourceNotFoundException":
            raise UpstreamError(f"cannot read the schedule group {group!r}: {_code(exc)}") from exc
    try:
        client.create_schedule_group(Name=group)
        log.info("created the schedule group %s", group)
    except ClientError as exc:
        if _code(exc) != "ConflictException":  # made meanwhile by another deployment: fine
            raise UpstreamError(f"cannot create the schedule group {group!r}: {_code(exc)}") from exc


def ensure_push_schedules(
    client: Any,
    *,
    target_arn: str,
    role_arn: str,
    group: str = "consortium-push",
    shards: int = 8,
    timezone: str = "Asia/Shanghai",
) -> list[str]:
    """Create, or bring up to date, the push job's schedules (one per frequency); returns their names.

    Idempotent: the group is created when missing; each schedule is created, or updated in place when it exists
    (``UpdateSchedule`` replaces every setting, so a changed target, role, shard count or time zone takes effect).
    Each invokes ``target_arn`` (the ``push_schedule`` Lambda) as ``role_arn`` (a role EventBridge Scheduler may
    assume, allowed ``lambda:InvokeFunction`` on it) with the input ``{"shards": shards, "frequency": ...}``.

    Parameters
    ----------
    client
        A boto3 ``scheduler`` client.
    target_arn, role_arn
        The function the schedules invoke, and the role they invoke it as.
    group
        The schedule group (created if missing).
    shards
        Into how many shards of readers each run is split (one SQS message each).
    timezone
        The IANA time zone the 07:00 of the cron expressions is in.

    Example
    -------
    >>> ensure_push_schedules(boto3.client("scheduler"), target_arn=fn_arn, role_arn=role_arn)
    ['push-daily', 'push-weekly', 'push-monthly']
    """
    if shards < 1:
        raise ValueError("the number of shards is at least 1")
    _ensure_group(client, group)
    names = []
    for frequency, expression in PUSH_CRON.items():
        name = schedule_name(frequency)
        settings: dict[str, Any] = {
            "Name": name,
            "GroupName": group,
            "Description": f"Consortium push, {frequency.value} digests (the job plans whatever is due)",
            "ScheduleExpression": expression,
            "ScheduleExpressionTimezone": timezone,
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "State": "ENABLED",
            "Target": {
                "Arn": target_arn,
                "RoleArn": role_arn,
                "Input": json.dumps({"shards": shards, "frequency": frequency.value}),
            },
        }
        try:
            client.create_schedule(**settings)
            log.info("created the schedule %s/%s", group, name)
        except ClientError as exc:
            if _code(exc) != "ConflictException":
                raise UpstreamError(f"cannot create the schedule {group}/{name}: {_code(exc)}") from exc
            try:
                client.update_schedule(**settings)
            except ClientError as update_exc:
                raise UpstreamError(f"cannot update the schedule {group}/{name}: {_code(update_exc)}") from update_exc
            log.info("updated the schedule %s/%s", group, name)
        names.append(name)
    return names


def send_shard_messages(client: Any, queue_url: str, messages: Sequence[dict[str, Any]]) -> int:
    """Send each message (a JSON object) to the queue, in batches of :data:`SQS_BATCH`; returns how many went.

    Raises :class:`~consortium.errors.UpstreamError` (retryable) when SQS refuses any entry, after trying every
    batch (a call that fails outright stops there). Sending the run again is safe: a shard run again plans
    nothing that is already in a reader's sent ledger.
    """
    sent = 0
    refused: list[str] = []
    for start in range(0, len(messages), SQS_BATCH):
        chunk = messages[start : start + SQS_BATCH]
        entries = [
            {"Id": str(start + number), "MessageBody": json.dumps(body, separators=(",", ":"))}
            for number, body in enumerate(chunk)
        ]
        try:
            response = client.send_message_batch(QueueUrl=queue_url, Entries=entries)
        except ClientError as exc:
            raise UpstreamError(f"SQS refused the push messages: {_code(exc)}") from exc
        except BotoCoreError as exc:
            raise UpstreamError(f"cannot reach SQS: {type(exc).__name__}") from exc
        failed = response.get("Failed") or []
        sent += len(entries) - len(failed)
        refused.extend(str(entry.get("Code", "Unknown")) for entry in failed)
    if refused:
        codes = ", ".join(sorted(set(refused)))
        raise UpstreamError(f"SQS refused {len(refused)} of {len(messages)} push messages: {codes}")
    return sent
