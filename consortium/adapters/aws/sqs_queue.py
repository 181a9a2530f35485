"""The AWS :class:`~consortium.ports.Queue`: an SQS queue, written with ``SendMessageBatch`` ten at a time."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from consortium.adapters.aws.client_errors import error_code
from consortium.errors import UpstreamError
from consortium.ports import message_body

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["SQS_BATCH", "SqsQueue"]

SQS_BATCH = 10
"""The most entries one ``SendMessageBatch`` call takes."""


class SqsQueue:
    """Sends JSON messages to one SQS queue; a Lambda with an event source mapping consumes them.

    Every batch is tried; :class:`~consortium.errors.UpstreamError` (retryable) afterwards when SQS refused any
    entry, naming how many and the codes (a call that fails outright stops there). Messages are never logged.

    Example
    -------
    >>> SqsQueue("https://sqs.eu-west-1.amazonaws.com/1234/consortium-push", boto3.client("sqs")).send([{"shard": 0}])
    1
    """

    def __init__(self, queue_url: str, client: Any) -> None:
        self.queue_url = queue_url
        self._client = client

    def __repr__(self) -> str:
        return f"SqsQueue({self.queue_url!r})"

    def send(self, messages: Sequence[dict[str, object]]) -> int:
        bodies = [message_body(message, number) for number, message in enumerate(messages)]
        sent = 0
        refused: list[str] = []
        for start in range(0, len(bodies), SQS_BATCH):
            entries = [
                {"Id": str(start + number), "MessageBody": body}
                for number, body in enumerate(bodies[start : start + SQS_BATCH])
            ]
            try:
                response = self._client.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
            except ClientError as exc:
                code = error_code(exc, "Unknown")
                raise UpstreamError(f"SQS refused the messages: {code}", queue=self.queue_url) from exc
            except BotoCoreError as exc:
                raise UpstreamError(f"cannot reach SQS: {type(exc).__name__}", queue=self.queue_url) from exc
            failed = response.get("Failed") or []
            sent += len(entries) - len(failed)
            refused.extend(str(entry.get("Code", "Unknown")) for entry in failed)
        if refused:
            codes = ", ".join(sorted(set(refused)))
            raise UpstreamError(f"SQS refused {len(refused)} of {len(bodies)} messages: {codes}", queue=self.queue_url)
        return sent
