"""The Queue contract: the in-memory queue, the in-process queue, the background (worker thread) queue, the folder
queue (another process receives) and SQS (moto's server) accept the same messages, deliver each one, and refuse
a message that is not a JSON object before sending anything."""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from consortium.adapters.memory.queue import BackgroundQueue, InMemoryQueue, InProcessQueue
from consortium.errors import StorageError, ValidationError

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from consortium.ports import Queue


@dataclass
class Backend:
    queue: Queue
    delivered: Callable[[int], list[dict[str, Any]]]
    """Every message delivered so far (waiting for up to ``n`` of them where delivery takes time)."""


def _memory() -> Backend:
    queue = InMemoryQueue()
    taken: list[dict[str, Any]] = []

    def delivered(_: int) -> list[dict[str, Any]]:
        taken.extend(queue.receive())
        return taken

    return Backend(queue, delivered)


def _in_process() -> Backend:
    handled: list[dict[str, Any]] = []
    return Backend(InProcessQueue(handled.append), lambda _: handled)


def _background() -> Backend:
    handled: list[dict[str, Any]] = []
    queue = BackgroundQueue(handled.append)

    def delivered(_: int) -> list[dict[str, Any]]:
        assert queue.join(timeout=10)
        return handled

    return Backend(queue, delivered)


def _folder(folder: Path) -> Backend:
    from consortium.adapters.local.folder_queue import FolderQueue

    queue = FolderQueue(folder / "queue")
    taken: list[dict[str, Any]] = []

    def delivered(_: int) -> list[dict[str, Any]]:
        taken.extend(FolderQueue(folder / "queue").receive())  # as another process would
        return taken

    return Backend(queue, delivered)


def _sqs(aws_client: Callable[[str], Any]) -> Backend:
    from consortium.adapters.aws.sqs_queue import SqsQueue

    sqs = aws_client("sqs")
    url = sqs.create_queue(QueueName=f"contract-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    received: list[dict[str, Any]] = []

    def delivered(expected: int) -> list[dict[str, Any]]:
        deadline = time.monotonic() + 10
        while True:
            got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            for message in got.get("Messages", []):
                received.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            if len(received) >= expected or time.monotonic() > deadline or not got.get("Messages"):
                return received

    return Backend(SqsQueue(url, sqs), delivered)


@pytest.fixture(params=["memory", "in_process", "background", "folder", "sqs"])
def backend(request: pytest.FixtureRequest) -> Backend:
    if request.param == "memory":
        return _memory()
    if request.param == "in_process":
        return _in_process()
    if request.param == "background":
        return _background()
    if request.param == "folder":
        return _folder(request.getfixturevalue("tmp_path"))
    return _sqs(request.getfixturevalue("aws_client"))


def test_every_message_is_delivered_once_as_sent(backend: Backend) -> None:
    messages: list[dict[str, object]] = [
        {"shard": k, "shards": 23, "now": "2026-12-01T07:00:00+00:00"} for k in range(23)
    ]
    messages[5]["services"] = ["interested_new", "新书"]
    assert backend.queue.send(messages) == 23
    delivered = backend.delivered(23)
    assert sorted(delivered, key=lambda m: int(m["shard"])) == messages


def test_sending_nothing_sends_nothing(backend: Backend) -> None:
    assert backend.queue.send([]) == 0
    assert backend.delivered(0) == []


@pytest.mark.parametrize("bad", [float("nan"), {1, 2}, object()])
def test_a_message_that_is_not_json_is_refused_before_any_is_sent(backend: Backend, bad: object) -> None:
    with pytest.raises(ValidationError, match="message 1 is not JSON"):
        backend.queue.send([{"shard": 0}, {"shard": 1, "bad": bad}])
    assert backend.delivered(0) == []


def test_folder_messages_wait_for_the_receiver_in_order_and_a_bad_one_is_set_aside(tmp_path: Path) -> None:
    from consortium.adapters.local.folder_queue import FolderQueue

    sender, receiver = FolderQueue(tmp_path / "q"), FolderQueue(tmp_path / "q")
    assert receiver.receive() == []  # no folder yet
    sender.send([{"n": 1}, {"n": 2}])
    sender.send([{"n": 3}])
    (tmp_path / "q" / "00000000000000000000-x.json").write_text("[1, 2]", encoding="utf-8")
    assert len(receiver) == 4
    assert receiver.receive(limit=2) == [{"n": 1}]  # the bad one (oldest name) set aside, not delivered
    assert receiver.receive() == [{"n": 2}, {"n": 3}]
    assert receiver.receive() == [] and len(receiver) == 0
    assert [p.name for p in (tmp_path / "q").iterdir()] == ["00000000000000000000-x.bad"]


def test_a_closed_background_queue_ends_its_worker_after_the_message_under_way() -> None:
    started, release = threading.Event(), threading.Event()
    handled: list[dict[str, Any]] = []

    def slow(message: dict[str, Any]) -> None:
        started.set()
        assert release.wait(10)
        handled.append(message)

    queue = BackgroundQueue(slow, name="test-worker")
    assert queue.close() is True  # never started: nothing to stop
    queue = BackgroundQueue(slow, name="test-worker")
    queue.send([{"n": 1}, {"n": 2}])
    assert started.wait(10)
    assert queue.close(timeout=0.1) is False  # the first message is still being handled
    release.set()
    assert queue.close(timeout=10) is True
    assert handled == [{"n": 1}]  # the second was not begun: dropped
    assert not [t for t in threading.enumerate() if t.name == "test-worker"]
    assert queue.join(timeout=1)  # nothing left counted as pending
    with pytest.raises(StorageError, match="closed"):
        queue.send([{"n": 3}])
