"""The push job's EventBridge Scheduler schedules.

Schedules
    :func:`ensure_push_schedules` keeps one schedule per :class:`~consortium.push.models.Frequency` in a schedule
    group, each invoking the push function's ``push_schedule`` handler at 07:00 local time: every day, every
    Monday, and on the 1st of every month. The schedules do not decide who gets a digest: the job plans every
    subscription that is *due* at the moment it runs (:meth:`~consortium.push.models.Subscription.due`: a
    period since its last digest, less an hour of slack). A schedule only has to fire at least as often as its
    frequency, and the daily one alone would serve every subscription; the weekly and monthly ones say when
    those digests are expected, and keep them going if the daily one is ever paused.

The fan-out of one run into one message per shard of readers is :mod:`consortium.push.fanout`, over the
:class:`~consortium.ports.Queue` port (SQS: :class:`~consortium.adapters.aws.sqs_queue.SqsQueue`).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from botocore.exceptions import ClientError

from consortium.adapters.aws.client_errors import error_code
from consortium.errors import UpstreamError
from consortium.push.models import Frequency

__all__ = ["EVIDENCE_CRON", "EVIDENCE_SCHEDULE", "PUSH_CRON", "ensure_push_schedules", "schedule_name"]

log = logging.getLogger(__name__)

PUSH_CRON: dict[Frequency, str] = {
    Frequency.DAILY: "cron(0 7 * * ? *)",
    Frequency.WEEKLY: "cron(0 7 ? * MON *)",
    Frequency.MONTHLY: "cron(0 7 1 * ? *)",
}
"""When each frequency's schedule fires, in the schedules' time zone (EventBridge Scheduler cron fields:
minutes, hours, day of month, month, day of week, year)."""


EVIDENCE_CRON = "cron(0 5 * * ? *)"
"""When the ranking evidence is rebuilt (the ``push_evidence`` function): daily at 05:00, two hours before the
push schedules, so each morning's runs rank with the evidence of the loans up to then."""
EVIDENCE_SCHEDULE = "ranking-evidence"
"""The name of the evidence schedule in the push schedule group."""


def schedule_name(frequency: Frequency) -> str:
    """The name of the schedule of ``frequency`` within its group: ``push-daily``, ``push-weekly``..."""
    return f"push-{frequency.value}"


def _ensure_group(client: Any, group: str) -> None:
    try:
        client.get_schedule_group(Name=group)
        return
    except ClientError as exc:
        if error_code(exc, "Unknown") != "ResourceNotFoundException":
            raise UpstreamError(f"cannot read the schedule group {group!r}: {error_code(exc, 'Unknown')}") from exc
    try:
        client.create_schedule_group(Name=group)
        log.info("created the schedule group %s", group)
    except ClientError as exc:
        if error_code(exc, "Unknown") != "ConflictException":  # made meanwhile by another deployment: fine
            raise UpstreamError(f"cannot create the schedule group {group!r}: {error_code(exc, 'Unknown')}") from exc


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
            if error_code(exc, "Unknown") != "ConflictException":
                raise UpstreamError(f"cannot create the schedule {group}/{name}: {error_code(exc, 'Unknown')}") from exc
            try:
                client.update_schedule(**settings)
            except ClientError as update_exc:
                raise UpstreamError(
                    f"cannot update the schedule {group}/{name}: {error_code(update_exc, 'Unknown')}"
                ) from update_exc
            log.info("updated the schedule %s/%s", group, name)
        names.append(name)
    return names
