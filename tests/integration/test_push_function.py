"""The push API and job (Chalice), called through Chalice's test client over the local adapters; the fan-out to SQS
against moto's server."""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import time
import uuid
from typing import TYPE_CHECKING, Any

import pytest
from factories import make_cluster
from function_apps import Api, serve

from consortium.dedup.state import ClusterChange
from consortium.profiles.consent import Purpose
from consortium.profiles.models import Actor, ActorRole
from consortium.push.fanout import ShardMessage
from consortium.push.ledgers import PushLedgers
from consortium.push.models import Channel, ServiceId

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from consortium.bootstrap import Container

READER = Actor(actor_id="r1", role=ActorRole.READER)


class PushApi(Api):
    @property
    def hub(self) -> Container:
        hub: Container = self.module.container()
        return hub

    def reader(self, reader_id: str, consents: tuple[Purpose, ...] = (Purpose.PUSH,)) -> None:
        self.hub.profiles.create_reader(reader_id, "riverside", list(consents))


def text(response: Any) -> str:
    body = response.body
    return body.decode() if isinstance(body, bytes) else str(body)


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PushApi]:
    monkeypatch.setenv("CONSORTIUM_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CONSORTIUM_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.delenv("CONSORTIUM_PUSH_QUEUE_URL", raising=False)
    with serve("push", PushApi) as api:
        yield api


def add_new_works(api: PushApi, at: dt.datetime) -> None:
    """A programming book and a book of poems, first seen at ``at``."""
    api.hub.cluster_store.apply(
        ClusterChange(
            saved=[
                make_cluster("rust", "Programming in Rust", ("riverside",), classes=("clc:TP312",), first_seen=at),
                make_cluster("poems", "Tang poems", ("lakeside",), classes=("clc:I222.742",), first_seen=at),
            ]
        )
    )


def test_the_catalogue_in_two_languages(api: PushApi) -> None:
    status, found = api.call("get", "/push/services")
    assert status == 200
    services = {s["service"]: s for s in found["services"]}
    assert set(services) == {"new_in_class", "interested_new", "librarian_lists", "saved_search", "interlibrary_loan"}
    assert services["interlibrary_loan"]["notice"] is True  # no subscription: readers are told of their requests
    assert services["new_in_class"]["name_zh"] == "我的分类新书"
    assert services["librarian_lists"]["available"] is True  # subject librarians publish lists (cooperation)
    assert services["interested_new"]["default_frequency"] == "weekly"


def test_subscribe_run_the_schedule_and_use_history_inbox_mutes_and_feed(api: PushApi) -> None:
    api.reader("r1")
    api.hub.profiles.declare_interest("r1", "class:clc:TP312", READER)
    status, inbox_sub = api.as_reader("r1").call(
        "put", "/readers/r1/subscriptions/new_in_class", {"channel": "inbox", "frequency": "daily"}
    )
    assert status == 200 and inbox_sub["channel"] == "inbox" and inbox_sub["active"] is True
    assert "feed_url" not in inbox_sub and inbox_sub["unsubscribe_url"].endswith(inbox_sub["token"])
    status, feed_sub = api.as_reader("r1").call(
        "put",
        "/readers/r1/subscriptions/saved_search",
        {"channel": "atom", "frequency": "daily", "query": "title:poems", "max_items": 5},
    )
    assert status == 200
    token = feed_sub["token"]
    assert feed_sub["feed_url"].endswith(f"/push/feeds/{token}")

    # Listing never shows a token again (nor the links that carry it).
    status, listed = api.as_reader("r1").call("get", "/readers/r1/subscriptions")
    assert status == 200 and [s["service"] for s in listed["subscriptions"]] == ["new_in_class", "saved_search"]
    assert token not in json.dumps(listed) and inbox_sub["token"] not in json.dumps(listed)
    status, one = api.as_reader("r1").call("get", "/readers/r1/subscriptions/saved_search")
    assert status == 200 and one["query"] == "title:poems" and "token" not in one

    subscribed = dt.datetime.now(dt.UTC)
    add_new_works(api, subscribed + dt.timedelta(hours=1))
    later = subscribed + dt.timedelta(days=2)

    result = api.client.lambda_.invoke("push_schedule", {"shards": 1, "now": later.isoformat()}).payload
    assert result["ok"] is True and result["mode"] == "in_process"
    assert result["delivered"] == {"atom": 1, "inbox": 1} and result["items"] == 2

    status, pushed = api.as_reader("r1").call("get", "/readers/r1/push/history")
    assert status == 200 and {i["cluster_id"] for i in pushed["items"]} == {"rust", "poems"}
    assert {i["reason"] for i in pushed["items"]} >= {'matches your saved search "title:poems"'}

    status, box = api.as_reader("r1").call("get", "/readers/r1/push/inbox")
    [entry] = box["digests"]
    assert status == 200 and entry["read"] is False
    assert [i["cluster_id"] for i in entry["digest"]["items"]] == ["rust"]
    digest_id = entry["digest"]["digest_id"]
    assert api.as_reader("r1").call("post", f"/readers/r1/push/inbox/{digest_id}/read")[0] == 200
    assert api.as_reader("r1").call("get", "/readers/r1/push/inbox")[1]["digests"][0]["read"] is True
    assert api.as_reader("r1").call("post", "/readers/r1/push/inbox/nope/read")[0] == 404
    assert api.as_reader("r1").call("delete", f"/readers/r1/push/inbox/{digest_id}")[0] == 204
    assert api.as_reader("r1").call("get", "/readers/r1/push/inbox")[1]["digests"] == []

    feed = api.raw("get", f"/push/feeds/{token}")
    assert feed.status_code == 200 and feed.headers["Content-Type"].startswith("application/atom+xml")
    assert "Tang poems" in text(feed)
    assert api.raw("get", f"/push/feeds/{inbox_sub['token']}").status_code == 404  # not a feed subscription
    assert api.raw("get", "/push/feeds/not-a-token").status_code == 404

    status, acted = api.as_reader("r1").call("post", "/readers/r1/push/items/rust", {"action": "not_interested"})
    assert status == 200 and acted["item"]["not_interested"] is True
    status, acted = api.as_reader("r1").call("post", "/readers/r1/push/items/poems", {"action": "delete"})
    assert status == 200 and acted["item"]["deleted"] is True
    assert [i["cluster_id"] for i in api.as_reader("r1").call("get", "/readers/r1/push/history")[1]["items"]] == [
        "rust"
    ]
    assert api.as_reader("r1").call("post", "/readers/r1/push/items/never-sent", {"action": "delete"})[0] == 404
    status, error = api.as_reader("r1").call("post", "/readers/r1/push/items/rust", {"action": "burn"})
    assert status == 400 and "'action'" in error["Message"]

    status, mutes = api.as_reader("r1").call("put", "/readers/r1/push/mutes", {"kind": "class", "key": "class:clc:TP3"})
    assert status == 200 and [(m["kind"], m["key"]) for m in mutes["mutes"]] == [("class", "class:clc:TP3")]
    status, mutes = api.as_reader("r1").call(
        "put", "/readers/r1/push/mutes", {"kind": "series", "key": "Programming pearls"}
    )
    assert status == 200 and len(mutes["mutes"]) == 2
    assert len(api.as_reader("r1").call("get", "/readers/r1/push/mutes")[1]["mutes"]) == 2
    status, error = api.as_reader("r1").call("put", "/readers/r1/push/mutes", {"kind": "class", "key": "TP3"})
    assert status == 400 and "class key" in error["Message"]
    status, mutes = api.as_reader("r1").call("delete", "/readers/r1/push/mutes?kind=class&key=class:clc:TP3")
    assert status == 200 and [m["kind"] for m in mutes["mutes"]] == ["series"]

    assert api.as_reader("r1").call("delete", "/readers/r1/subscriptions/new_in_class")[0] == 204
    status, ended = api.as_reader("r1").call("get", "/readers/r1/subscriptions/new_in_class")
    assert status == 200 and ended["active"] is False
    assert api.as_reader("r1").call("delete", "/readers/r1/subscriptions/interested_new")[0] == 404


def test_get_unsubscribe_only_asks_and_post_one_click_unsubscribes(api: PushApi) -> None:
    api.reader("r1")
    _, created = api.as_reader("r1").call("put", "/readers/r1/subscriptions/interested_new", {"channel": "atom"})
    token = created["token"]

    page = api.raw("get", f"/push/unsubscribe/{token}")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert '<form method="post">' in text(page) and 'name="List-Unsubscribe" value="One-Click"' in text(page)
    assert page.headers["Cache-Control"] == "no-store"
    assert (
        api.as_reader("r1").call("get", "/readers/r1/subscriptions/interested_new")[1]["active"] is True
    )  # GET changed nothing
    assert api.raw("get", f"/push/feeds/{token}").status_code == 200

    form = "application/x-www-form-urlencoded"
    wrong = api.raw("post", f"/push/unsubscribe/{token}", "List-Unsubscribe=Yes", form)
    assert wrong.status_code == 400 and "List-Unsubscribe" in json.loads(wrong.body)["Message"]
    assert api.as_reader("r1").call("get", "/readers/r1/subscriptions/interested_new")[1]["active"] is True

    done = api.raw("post", f"/push/unsubscribe/{token}", "List-Unsubscribe=One-Click", form)
    assert done.status_code == 200
    assert "New books you may like" in text(done)
    assert api.as_reader("r1").call("get", "/readers/r1/subscriptions/interested_new")[1]["active"] is False
    assert api.raw("get", f"/push/feeds/{token}").status_code == 404  # the token is revoked
    assert api.raw("post", f"/push/unsubscribe/{token}", "List-Unsubscribe=One-Click", form).status_code == 404


def test_a_legacy_link_already_mailed_still_unsubscribes_and_an_erased_reader_s_links_open_nothing(
    api: PushApi,
) -> None:
    """A token of the old format (``<reader id, base64url>.<secret>``), kept by a subscription made before the
    sealed format, still works through the routes (RFC 8058 one-click); a new token never shows the reader id."""
    api.reader("daiyu-0042")
    reader = Actor(actor_id="daiyu-0042", role=ActorRole.READER)
    owner = base64.urlsafe_b64encode(b"daiyu-0042").decode().rstrip("=")
    legacy = f"{owner}.{base64.urlsafe_b64encode(bytes(32)).decode().rstrip('=')}"
    subscription, token = api.hub.push.subscribe("daiyu-0042", ServiceId.NEW_IN_CLASS, Channel.EMAIL,
                                                 actor=reader, email="daiyu@example.org")  # fmt: skip
    assert "daiyu" not in token and owner not in token
    ledgers = PushLedgers(api.hub.profiles.vault)
    ledgers.save_subscription("daiyu-0042", subscription.model_copy(update={"token": legacy}), reader, Purpose.PUSH)

    form = "application/x-www-form-urlencoded"
    assert api.raw("get", f"/push/unsubscribe/{token}").status_code == 404  # replaced by the legacy one
    assert api.raw("get", f"/push/unsubscribe/{legacy}").status_code == 200
    assert api.raw("post", f"/push/unsubscribe/{legacy}", "List-Unsubscribe=One-Click", form).status_code == 200
    assert api.raw("post", f"/push/unsubscribe/{legacy}", "List-Unsubscribe=One-Click", form).status_code == 404

    _, created = api.as_reader("daiyu-0042").call(
        "put", "/readers/daiyu-0042/subscriptions/interested_new", {"channel": "atom"}
    )
    assert api.raw("get", f"/push/feeds/{created['token']}").status_code == 200
    api.hub.profiles.erase("daiyu-0042")
    for path in (f"/push/feeds/{created['token']}", f"/push/unsubscribe/{created['token']}"):
        gone = api.raw("get", path)
        assert gone.status_code == 404 and json.loads(gone.body)["Message"] == "no such feed or link"


def test_junk_tokens_get_one_answer_write_no_audit_and_are_limited(api: PushApi) -> None:
    api.reader("r1")
    _, created = api.as_reader("r1").call("put", "/readers/r1/subscriptions/interested_new", {"channel": "atom"})
    owner, _, secret = created["token"].partition(".")
    logged = len(api.hub.profiles.export("r1", READER)["audit"])
    form = "application/x-www-form-urlencoded"

    answers = set()
    for junk in (f"{owner}.{'x' * 43}", f"bm9ib2R5.{secret}", "junk"):  # r1's id, then "nobody", then no id at all
        for response in (
            api.raw("get", f"/push/feeds/{junk}"),
            api.raw("get", f"/push/unsubscribe/{junk}"),
            api.raw("post", f"/push/unsubscribe/{junk}", "List-Unsubscribe=One-Click", form),
        ):
            assert response.status_code == 404
            answers.add(json.loads(response.body)["Message"])
    assert answers == {"no such feed or link"}
    audit = api.hub.profiles.export("r1", READER)["audit"]
    assert len(audit) == logged + 1  # the export itself, nothing for the junk

    statuses = [api.raw("get", f"/push/feeds/{owner}.{n:043}").status_code for n in range(30)]
    assert 429 in statuses and set(statuses) == {404, 429}
    limited = api.raw("get", f"/push/feeds/{created['token']}")
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0


def test_a_new_subscription_may_start_with_the_recent_works(api: PushApi) -> None:
    api.reader("r1")
    api.hub.profiles.declare_interest("r1", "class:clc:TP312", READER)
    add_new_works(api, dt.datetime.now(dt.UTC) - dt.timedelta(days=10))
    status, created = api.as_reader("r1").call(
        "put", "/readers/r1/subscriptions/new_in_class", {"channel": "inbox", "first_window_days": 30}
    )
    assert status == 200, created
    assert api.hub.push.run().as_dict()["digests_planned"] == 1  # due at once, not in a week
    status, inbox = api.as_reader("r1").call("get", "/readers/r1/push/inbox")
    assert [item["title"] for item in inbox["digests"][0]["digest"]["items"]] == ["Programming in Rust"]
    status, error = api.as_reader("r1").call(
        "put", "/readers/r1/subscriptions/new_in_class", {"channel": "inbox", "first_window_days": 400}
    )
    assert status == 400 and "first_window_days" in error["Message"]


def test_the_inbox_leaves_out_deleted_items_and_marks_those_not_wanted(api: PushApi) -> None:
    api.reader("r1", (Purpose.PUSH, Purpose.PERSONALIZATION))
    api.hub.profiles.declare_interest("r1", "class:clc:TP312", READER)
    api.hub.profiles.declare_interest("r1", "class:clc:I222", READER)
    add_new_works(api, dt.datetime.now(dt.UTC) - dt.timedelta(days=10))
    reader = api.as_reader("r1")
    reader.call("put", "/readers/r1/subscriptions/new_in_class", {"channel": "inbox", "first_window_days": 30})
    api.hub.push.run()

    def items() -> dict[str, bool]:
        [entry] = reader.call("get", "/readers/r1/push/inbox")[1]["digests"]
        return {item["cluster_id"]: item["not_interested"] for item in entry["digest"]["items"]}

    assert items() == {"rust": False, "poems": False}
    [entry] = reader.call("get", "/readers/r1/push/inbox")[1]["digests"]
    assert {i["cluster_id"]: i["reason_zh"] for i in entry["digest"]["items"]} == {
        "rust": "TP312 类新书，您关注了该类 · 本馆有藏",
        "poems": "I222 类新书，您关注了该类",
    }
    assert reader.call("post", "/readers/r1/push/items/poems", {"action": "not_interested"})[0] == 200
    assert items() == {"rust": False, "poems": True}
    assert reader.call("post", "/readers/r1/push/items/rust", {"action": "delete"})[0] == 200
    assert items() == {"poems": True}
    assert [i["cluster_id"] for i in reader.call("get", "/readers/r1/push/history")[1]["items"]] == ["poems"]


def test_without_the_push_consent_subscribing_is_403(api: PushApi) -> None:
    api.reader("r2", consents=(Purpose.PERSONALIZATION,))
    status, error = api.as_reader("r2").call("put", "/readers/r2/subscriptions/interested_new", {"channel": "inbox"})
    assert status == 403 and "'push'" in error["Message"]
    assert api.as_reader("r2").call("get", "/readers/r2/subscriptions")[1]["subscriptions"] == []


def test_bad_bodies_name_the_field(api: PushApi) -> None:
    api.reader("r1")
    status, error = api.as_reader("r1").call("put", "/readers/r1/subscriptions/interested_new", {"channel": "pigeon"})
    assert status == 400 and "'channel'" in error["Message"]
    status, error = api.as_reader("r1").call(
        "put", "/readers/r1/subscriptions/interested_new", {"channel": "inbox", "max_items": 500}
    )
    assert status == 400 and "'max_items'" in error["Message"]
    status, error = api.as_reader("r1").call("put", "/readers/r1/subscriptions/interested_new", {"channel": "email"})
    assert status == 400 and "'email'" in error["Message"]
    for address in ("r1@example.org, r2@example.net", "r1@example.org\r\nBcc: everyone@example.org"):
        body = {"channel": "email", "email": address}
        status, error = api.as_reader("r1").call("put", "/readers/r1/subscriptions/interested_new", body)
        assert status == 400 and "field 'email': not one email address" in error["Message"]
    status, error = api.as_reader("r1").call("put", "/readers/r1/subscriptions/saved_search", {"channel": "inbox"})
    assert status == 400 and "'query'" in error["Message"]
    status, error = api.as_reader("r1").call("put", "/readers/r1/subscriptions/interlibrary_loan", {"channel": "inbox"})
    assert status == 400 and "needs no subscription" in error["Message"]
    status, error = api.as_reader("r1").call("put", "/readers/r1/push/mutes", {"kind": "colour", "key": "red"})
    assert status == 400 and "'kind'" in error["Message"]
    assert api.as_reader("r1").call("put", "/readers/r1/subscriptions/horoscopes", {"channel": "inbox"})[0] == 404
    assert api.as_reader("nobody").call("get", "/readers/nobody/subscriptions")[0] == 404
    assert api.as_reader("nobody").call("get", "/readers/nobody/push/history")[0] == 404


def test_a_reader_acts_only_on_their_own_id(api: PushApi) -> None:
    api.reader("r1")
    api.reader("r2")
    r1 = api.as_reader("r1")
    assert r1.call("get", "/readers/r1/subscriptions")[0] == 200
    status, error = r1.call("put", "/readers/r2/subscriptions/interested_new", {"channel": "inbox"})
    assert status == 403 and "own data" in error["Message"]
    assert r1.call("get", "/readers/r2/push/inbox")[0] == 403
    assert api.call("get", "/readers/r2/push/inbox")[0] == 401


def test_a_bad_schedule_event_is_answered_not_raised(api: PushApi) -> None:
    result = api.client.lambda_.invoke("push_schedule", {"shards": 0}).payload
    assert result["ok"] is False and "'shards'" in result["error"]


def sqs_event(api: PushApi, bodies: dict[str, str]) -> dict[str, Any]:
    event = api.client.events.generate_sqs_event(message_bodies=list(bodies.values()), queue_name="consortium-push")
    for record, message_id in zip(event["Records"], bodies, strict=True):
        record["messageId"] = message_id  # the generator gives every record the same id
    return event


def test_the_shard_handler_reports_only_the_failed_messages(api: PushApi, caplog: pytest.LogCaptureFixture) -> None:
    api.reader("r1")
    api.hub.profiles.declare_interest("r1", "class:clc:TP312", READER)
    api.as_reader("r1").call(
        "put", "/readers/r1/subscriptions/new_in_class", {"channel": "inbox", "frequency": "daily"}
    )
    subscribed = dt.datetime.now(dt.UTC)
    add_new_works(api, subscribed + dt.timedelta(hours=1))
    later = (subscribed + dt.timedelta(days=2)).isoformat()
    secret = "r1@example.org reads poems"
    bodies = {
        "m-0": json.dumps({"shard": 0, "shards": 2, "now": later, "services": None}),
        "m-bad": json.dumps({"shard": 5, "shards": 2, "now": later, "note": secret}),
        "m-1": json.dumps({"shard": 1, "shards": 2, "now": later, "services": ["new_in_class"]}),
    }

    with caplog.at_level(logging.INFO):
        result = api.client.lambda_.invoke("push_shard", sqs_event(api, bodies)).payload

    assert result == {"batchItemFailures": [{"itemIdentifier": "m-bad"}]}
    assert "m-bad" in caplog.text and secret not in caplog.text
    [entry] = api.hub.push.inbox("r1", READER)  # r1's shard ran, once
    assert [i["cluster_id"] for i in entry["digest"]["items"]] == ["rust"]

    not_json = api.client.lambda_.invoke("push_shard", sqs_event(api, {"m-x": "{not json", "m-y": ""})).payload
    assert not_json == {"batchItemFailures": [{"itemIdentifier": "m-x"}, {"itemIdentifier": "m-y"}]}
    assert api.client.lambda_.invoke("push_shard", {"Records": []}).payload == {"batchItemFailures": []}


def test_the_schedule_fans_out_one_message_per_shard(
    api: PushApi, monkeypatch: pytest.MonkeyPatch, moto_server: str, aws_client: Callable[[str], Any]
) -> None:
    sqs = aws_client("sqs")
    queue_url = sqs.create_queue(QueueName=f"consortium-push-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    monkeypatch.setenv("CONSORTIUM_PUSH_QUEUE_URL", queue_url)
    monkeypatch.setenv("CONSORTIUM_AWS_ENDPOINT_URL", moto_server)
    monkeypatch.setenv("CONSORTIUM_AWS_REGION", "us-east-1")
    api.module.container.reset()  # a new Lambda environment: settings read again

    result = api.client.lambda_.invoke("push_schedule", {"shards": 4, "frequency": "weekly"}).payload

    assert result["ok"] is True and result["mode"] == "queued" and result["messages"] == 4
    bodies: list[dict[str, Any]] = []
    deadline = time.monotonic() + 10
    while len(bodies) < 4 and time.monotonic() < deadline:
        got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        bodies.extend(json.loads(m["Body"]) for m in got.get("Messages", []))
    assert sorted(b["shard"] for b in bodies) == [0, 1, 2, 3]
    assert {(b["shards"], b["now"], b["services"], b["frequency"]) for b in bodies} == {
        (4, result["now"], None, "weekly")
    }
    # Each message is what the shard handler takes.
    [message] = [ShardMessage.model_validate(b) for b in bodies if b["shard"] == 2]
    assert message.shards == 4

    # One shard (or no queue): the whole job runs in the invoked Lambda.
    assert api.client.lambda_.invoke("push_schedule", {"shards": 1}).payload["mode"] == "in_process"
    monkeypatch.delenv("CONSORTIUM_PUSH_QUEUE_URL")
    api.module.container.reset()
    assert api.client.lambda_.invoke("push_schedule", {"shards": 4}).payload["mode"] == "in_process"
