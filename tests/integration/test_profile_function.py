"""The reader-profile API (Chalice), called through Chalice's test client over the local adapters."""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

import pytest
from factories import make_cluster
from function_apps import Api, serve

from consortium.dedup.state import ClusterChange

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

NOW = "2026-03-01T10:00:00+00:00"


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    monkeypatch.setenv("CONSORTIUM_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CONSORTIUM_KEY_DIR", str(tmp_path / "keys"))
    with serve("profile", Api) as api:
        yield api


def create(api: Api, reader_id: str = "r1", consents: list[str] | None = None) -> tuple[int, Any]:
    body = {"reader_id": reader_id, "member": "riverside", "consents": consents or [], "declared": {"lang": "chi"}}
    return api.as_library("riverside").call("post", "/readers", body)


def test_create_profile_consent_events_export_erase(api: Api) -> None:
    status, reader = create(api)
    assert (status, reader["reader_id"], reader["member"]) == (201, "r1", "riverside")
    assert create(api)[0] == 409

    assert api.as_reader("r1").call("get", "/readers/r1/profile") == (
        200,
        {"reader_id": "r1", "profile": {"lang": "chi"}},
    )
    assert api.as_reader("r1").call("put", "/readers/r1/profile", {"lang": "eng", "subjects": ["history"]})[0] == 200
    assert api.as_reader("r1").call("get", "/readers/r1/profile")[1]["profile"] == {
        "lang": "eng",
        "subjects": ["history"],
    }

    search = {"event_id": "e1", "type": "search", "at": NOW, "query": "红楼梦"}
    status, dropped = api.as_reader("r1").call("post", "/readers/r1/events", search)
    assert (status, dropped["outcome"], dropped["dropped"]) == (200, "dropped_no_consent", True)

    status, granted = api.as_reader("r1").call(
        "post", "/readers/r1/consents", {"purpose": "personalization", "granted": True}
    )
    assert (status, granted["granted"]) == (200, True)
    status, consents = api.as_reader("r1").call("get", "/readers/r1/consents")
    assert status == 200 and consents["current"]["personalization"] is True
    assert consents["current"]["push"] is False and len(consents["history"]) == 1

    assert api.as_reader("r1").call("post", "/readers/r1/events", search)[1]["outcome"] == "stored"
    assert api.as_reader("r1").call("post", "/readers/r1/events", search)[1]["outcome"] == "duplicate"
    borrow = {"event_id": "e2", "type": "borrow", "at": NOW, "cluster_id": "c1"}
    status, error = api.as_library("riverside").call("post", "/readers/r1/events", borrow)
    assert status == 400 and error["Message"] == "field 'cluster_id': no work 'c1' in the catalogue"
    api.module.container().cluster_store.apply(ClusterChange(saved=[make_cluster("c1", "A borrowed book")]))
    assert api.as_library("riverside").call("post", "/readers/r1/events", borrow)[1] == {
        "reader_id": "r1",
        "event_id": "e2",
        "outcome": "stored",
        "dropped": False,
    }

    status, everything = api.as_reader("r1").call("get", "/readers/r1/export")
    assert status == 200
    assert everything["reader"]["member"] == "riverside"
    assert everything["profile"] == {"lang": "eng", "subjects": ["history"]}
    assert [event["event_id"] for event in everything["events"]] == ["e1", "e2"]
    assert [event["purpose"] for event in everything["consents"]] == ["personalization"]
    assert {entry["action"] for entry in everything["audit"]} >= {"write", "read", "export"}
    assert {entry["actor_role"] for entry in everything["audit"]} == {"reader", "member_staff"}

    status, _ = api.as_reader("r1").call("delete", "/readers/r1")
    assert status == 204
    assert api.as_reader("r1").call("get", "/readers/r1/profile")[0] == 404
    assert api.as_reader("r1").call("get", "/readers/r1/export")[0] == 404
    assert api.as_reader("r1").call("get", "/readers/r1/consents")[0] == 404
    assert api.as_library("riverside").call("post", "/readers/r1/events", borrow)[0] == 404


def test_bad_bodies_name_the_field(api: Api) -> None:
    library = api.as_library("riverside")
    status, error = library.call("post", "/readers", {"reader_id": "r1"})
    assert status == 400 and "member" in error["Message"]
    status, error = library.call("post", "/readers", {"reader_id": "r1", "member": "m", "consents": ["spam"]})
    assert status == 400 and "consents.0" in error["Message"]
    create(api)
    status, error = api.as_reader("r1").call(
        "post", "/readers/r1/events", {"event_id": "e1", "type": "rating", "at": NOW}
    )
    assert status == 400 and "'cluster_id'" in error["Message"]
    status, error = api.as_reader("r1").call(
        "post", "/readers/r1/events", {"event_id": "e1", "type": "search", "query": "x"}
    )
    assert status == 400 and "'at'" in error["Message"]
    api.as_reader("r1").call("post", "/readers/r1/consents", {"purpose": "personalization", "granted": True})
    future = {"event_id": "e2", "type": "view", "at": "2999-01-01T00:00:00+00:00", "cluster_id": "c1"}
    status, error = api.as_reader("r1").call("post", "/readers/r1/events", future)
    assert status == 400 and "field 'at'" in error["Message"] and "in the future" in error["Message"]
    status, error = api.as_reader("r1").call("post", "/readers/r1/consents", {"purpose": "personalization"})
    assert status == 400 and "'granted'" in error["Message"]
    status, error = api.as_reader("r1").call("put", "/readers/r1/interests", {"key": "class:lcc:QA76*"})
    assert status == 400 and "field 'key'" in error["Message"] and "not an interest key" in error["Message"]
    status, error = api.as_reader("r1").call("put", "/readers/r1/profile", ["not", "an", "object"])
    assert status == 400
    assert api.as_reader("nobody").call("get", "/readers/nobody/profile")[0] == 404


def test_interests_and_prompts(api: Api) -> None:
    create(api, consents=["personalization"])
    status, found = api.as_reader("r1").call("get", "/readers/r1/interests")
    assert status == 200 and found["interests"] == []
    assert api.as_reader("r1").call("get", "/readers/r1/prompts") == (200, {"reader_id": "r1", "prompts": []})
    status, error = api.as_reader("r1").call("post", "/readers/r1/prompts/p1", {"accept": "maybe"})
    assert status == 400 and "'accept'" in error["Message"]
    assert api.as_reader("r1").call("post", "/readers/r1/prompts/p1", {"accept": True})[0] == 404
    assert api.as_reader("nobody").call("get", "/readers/nobody/interests")[0] == 404


def test_a_reader_acts_only_on_their_own_id(api: Api) -> None:
    create(api, "r1")
    create(api, "r2")
    assert api.as_reader("r1").call("get", "/readers/r1/profile")[0] == 200
    status, error = api.as_reader("r1").call("get", "/readers/r2/profile")
    assert status == 403 and "own data" in error["Message"]
    assert api.call("get", "/readers/r1/profile")[0] == 401


def test_declare_and_remove_interests(api: Api) -> None:
    create(api)
    status, declared = api.as_reader("r1").call("put", "/readers/r1/interests", {"key": "class:clc:TP312", "weight": 5})
    assert status == 200
    assert api.as_reader("r1").call("get", "/readers/r1/interests")[1]["interests"] == declared["interests"]
    [interest] = declared["interests"]
    assert (interest["key"], interest["declared"], interest["learned"]) == ("class:clc:TP312", True, False)
    api.as_reader("r1").call("put", "/readers/r1/interests", {"key": "subject:poetry"})
    assert {i["key"] for i in api.as_reader("r1").call("get", "/readers/r1/interests")[1]["interests"]} == {
        "class:clc:TP312",
        "subject:poetry",
    }

    status, left = api.as_reader("r1").call("delete", "/readers/r1/interests?key=class:clc:TP312")
    assert status == 200 and [i["key"] for i in left["interests"]] == ["subject:poetry"]
    status, error = api.as_reader("r1").call("delete", "/readers/r1/interests", {"key": "subject:poetry"})
    assert status == 400 and "takes no body" in error["Message"]
    status, left = api.as_reader("r1").call("delete", "/readers/r1/interests?key=subject:poetry")
    assert status == 200 and left["interests"] == []
    assert api.as_reader("r1").call("get", "/readers/r1/interests")[1]["interests"] == []


def test_the_reader_sees_every_declared_weight_beside_what_was_learned(api: Api) -> None:
    create(api, consents=["personalization"])
    reader = api.as_reader("r1")
    for n in range(12):  # more than the ten strongest: the reader still sees and edits each one
        reader.call("put", "/readers/r1/interests", {"key": f"subject:topic {n:02}", "weight": 0.1 + n / 100})
    api.module.container().cluster_store.apply(
        ClusterChange(saved=[make_cluster("c1", "A borrowed book", classes=("clc:TP312",))])
    )
    borrow = {"event_id": "e1", "type": "borrow", "at": dt.datetime.now(dt.UTC).isoformat(), "cluster_id": "c1"}
    assert api.as_library("riverside").call("post", "/readers/r1/events", borrow)[1]["outcome"] == "stored"
    reader.call("put", "/readers/r1/interests", {"key": "class:clc:TP312", "weight": 2.5})

    status, found = reader.call("get", "/readers/r1/interests")
    assert status == 200
    by_key = {i["key"]: i for i in found["interests"]}
    assert {f"subject:topic {n:02}" for n in range(12)} <= by_key.keys()
    assert by_key["subject:topic 00"]["weight"] == 0.1 and by_key["subject:topic 00"]["learned_score"] == 0
    both = by_key["class:clc:TP312"]
    assert (both["declared"], both["learned"], both["weight"]) == (True, True, 2.5)
    assert both["learned_score"] > 0 and both["score"] == pytest.approx(2.5 + both["learned_score"], abs=1e-5)
    learned_only = by_key["class:clc:TP31"]  # the broader class, learned from the borrow
    assert (learned_only["declared"], learned_only["weight"]) == (False, None) and learned_only["learned_score"] > 0


def test_the_consents_say_what_each_purpose_allows_in_both_languages(api: Api) -> None:
    create(api, consents=["push"])
    status, consents = api.as_reader("r1").call("get", "/readers/r1/consents")
    assert status == 200
    policy = api.module.container().consent_policy
    assert consents["policy_version"] == policy.version
    assert [p["purpose"] for p in consents["purposes"]] == [
        "personalization",
        "push",
        "consortium_sharing",
        "analytics",
    ]
    push = consents["purposes"][1]
    assert push["description_en"] == policy.purposes["push"].description_en
    assert "推送" in push["description_zh"] and push["retention_days"] == 180 and "push_history" in push["data"]


def test_a_declared_interest_is_kept_as_works_name_it(api: Api) -> None:
    create(api)
    reader = api.as_reader("r1")
    for key in ("author:Liu, Cixin", "subject:Computer Programming -- Python", "class:clc:tp312"):
        assert reader.call("put", "/readers/r1/interests", {"key": key})[0] == 200
    status, found = reader.call("get", "/readers/r1/interests")
    assert {i["key"] for i in found["interests"]} == {
        "author:cixin liu",
        "subject:computer programming -- python",
        "class:clc:TP312",
    }
    status, left = reader.call("delete", "/readers/r1/interests?key=author:Liu,+Cixin")
    assert status == 200 and "author:cixin liu" not in {i["key"] for i in left["interests"]}


def test_bad_interests_are_400_naming_the_field(api: Api) -> None:
    create(api)
    for body in ({"key": "genre:poetry"}, {"key": "class:clc:"}, {"key": "class:nope:TP312"}, {}):
        status, error = api.as_reader("r1").call("put", "/readers/r1/interests", body)
        assert status == 400 and "'key'" in error["Message"], body
    status, error = api.as_reader("r1").call("put", "/readers/r1/interests", {"key": "subject:poetry", "weight": True})
    assert status == 400 and "'weight'" in error["Message"]
    status, error = api.as_reader("r1").call("post", "/readers/r1/consents", {"purpose": "push", "granted": 0})
    assert status == 400 and "'granted'" in error["Message"]
    status, error = api.as_reader("r1").call("put", "/readers/r1/interests", {"key": "class:lcc:QA76*"})
    assert status == 400 and "field 'key'" in error["Message"] and "not an interest key" in error["Message"]
    status, error = api.as_reader("r1").call("put", "/readers/r1/interests", {"key": "subject:poetry", "weight": 0})
    assert status == 400 and "'weight'" in error["Message"]
    status, error = api.as_reader("r1").call("delete", "/readers/r1/interests?key=nonsense")
    assert status == 400 and "'key'" in error["Message"]
    assert api.as_reader("nobody").call("put", "/readers/nobody/interests", {"key": "subject:poetry"})[0] == 404
    assert api.as_reader("r1").call("get", "/readers/r1/interests")[1]["interests"] == []


def scheduled_purge(api: Api) -> Any:
    """Run the daily ``purge_expired`` handler as the EventBridge schedule would."""
    event = api.client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
    )
    return api.client.lambda_.invoke("purge_expired", event).payload


def test_the_daily_purge_deletes_expired_events(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    create(api, consents=["personalization"])  # personalization keeps events 365 days
    now = api.module.service().vault.clock()
    old = {"event_id": "old", "type": "search", "at": (now - dt.timedelta(days=400)).isoformat(), "query": "秘密"}
    new = {"event_id": "new", "type": "search", "at": (now - dt.timedelta(days=10)).isoformat(), "query": "秘密"}
    for event in (old, new):
        assert api.as_reader("r1").call("post", "/readers/r1/events", event)[1]["outcome"] == "stored"

    with caplog.at_level(logging.INFO):
        assert scheduled_purge(api) == {"events_deleted": 1}
    assert [e["event_id"] for e in api.as_reader("r1").call("get", "/readers/r1/export")[1]["events"]] == ["new"]
    assert "retention purge" in caplog.text
    assert "r1" not in caplog.text and "秘密" not in caplog.text
    assert scheduled_purge(api) == {"events_deleted": 0}
