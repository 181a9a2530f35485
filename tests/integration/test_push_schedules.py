"""The push job's EventBridge Scheduler schedules and its SQS fan-out, against moto's server."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

import pytest

from consortium.adapters.aws.push_schedules import ensure_push_schedules
from consortium.adapters.aws.sqs_queue import SqsQueue
from consortium.errors import UpstreamError

if TYPE_CHECKING:
    from collections.abc import Callable

TARGET = "arn:aws:lambda:us-east-1:123456789012:function:consortium-push-dev-push_schedule"
ROLE = "arn:aws:iam::123456789012:role/consortium-push-scheduler"


def test_one_schedule_per_frequency_created_then_updated(aws_client: Callable[[str], Any]) -> None:
    scheduler = aws_client("scheduler")
    group = f"consortium-push-{uuid.uuid4().hex[:8]}"

    names = ensure_push_schedules(scheduler, target_arn=TARGET, role_arn=ROLE, group=group)

    assert names == ["push-daily", "push-weekly", "push-monthly"]
    assert scheduler.get_schedule_group(Name=group)["Name"] == group
    expected = {
        "push-daily": "cron(0 7 * * ? *)",
        "push-weekly": "cron(0 7 ? * MON *)",
        "push-monthly": "cron(0 7 1 * ? *)",
    }
    for name, expression in expected.items():
        schedule = scheduler.get_schedule(Name=name, GroupName=group)
        assert schedule["ScheduleExpression"] == expression
        assert schedule["ScheduleExpressionTimezone"] == "Asia/Shanghai"
        assert schedule["Target"]["Arn"] == TARGET and schedule["Target"]["RoleArn"] == ROLE
        assert json.loads(schedule["Target"]["Input"]) == {"shards": 8, "frequency": name.removeprefix("push-")}

    # Again, with other settings: the same three schedules, updated in place.
    other_role = ROLE + "-v2"
    again = ensure_push_schedules(
        scheduler, target_arn=TARGET, role_arn=other_role, group=group, shards=3, timezone="UTC"
    )
    assert again == names
    listed = scheduler.list_schedules(GroupName=group)["Schedules"]
    assert sorted(s["Name"] for s in listed) == sorted(names)
    weekly = scheduler.get_schedule(Name="push-weekly", GroupName=group)
    assert weekly["ScheduleExpressionTimezone"] == "UTC" and weekly["Target"]["RoleArn"] == other_role
    assert json.loads(weekly["Target"]["Input"]) == {"shards": 3, "frequency": "weekly"}

    with pytest.raises(ValueError, match="at least 1"):
        ensure_push_schedules(scheduler, target_arn=TARGET, role_arn=ROLE, group=group, shards=0)


def test_shard_messages_go_in_batches_of_ten(aws_client: Callable[[str], Any]) -> None:
    sqs = aws_client("sqs")
    queue_url = sqs.create_queue(QueueName=f"push-fanout-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    messages = [{"shard": k, "shards": 23} for k in range(23)]

    assert SqsQueue(queue_url, sqs).send(messages) == 23

    received: list[int] = []
    for _ in range(20):
        got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        received.extend(json.loads(m["Body"])["shard"] for m in got.get("Messages", []))
        if len(received) >= 23:
            break
    assert sorted(received) == list(range(23))


class RefusingSqs:
    """An SQS client whose batches each have one refused entry."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, str]]) -> dict[str, Any]:
        self.calls.append(len(Entries))
        [first, *rest] = Entries
        failed = [{"Id": first["Id"], "Code": "InternalError", "SenderFault": False}]
        return {"Successful": [{"Id": e["Id"]} for e in rest], "Failed": failed}


def test_refused_messages_are_an_upstream_error_after_every_batch_was_tried() -> None:
    client = RefusingSqs()
    with pytest.raises(UpstreamError, match="refused 3 of 25 messages: InternalError") as raised:
        SqsQueue("https://sqs.example/queue", client).send([{"shard": k} for k in range(25)])
    assert raised.value.retryable
    assert client.calls == [10, 10, 5]
