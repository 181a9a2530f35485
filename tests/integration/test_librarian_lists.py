"""Subject librarians' lists through the cooperation API: a librarian of a member keeps a list for a class range
(works with a note each), publishes it, anyone reads it, and the ``librarian_lists`` push service brings its works
to subscribers of every member, with the list and the note as the reason."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from factories import make_cluster
from function_apps import Api, serve

from consortium.auth import StaffRole
from consortium.dedup.state import ClusterChange
from consortium.profiles.consent import Purpose
from consortium.profiles.models import Actor, ActorRole

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture
def apis(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Api, Api]]:
    monkeypatch.setenv("CONSORTIUM_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CONSORTIUM_KEY_DIR", str(tmp_path / "keys"))
    with serve("cooperation", Api) as lists, serve("push", Api) as push:
        container = lists.module.container()
        works = [
            make_cluster("poems", "唐诗三百首", ["lakeside"], classes=["clc:I222"]),
            make_cluster("du-fu", "杜甫诗选", ["riverside"], classes=["clc:I222"]),
        ]
        container.cluster_store.apply(ClusterChange(saved=works))
        staff = Actor(actor_id="riverside/desk", role=ActorRole.MEMBER_STAFF)
        for reader_id, member in (("alice", "riverside"), ("larry", "lakeside")):
            container.profiles.create_reader(reader_id, member, [Purpose.PUSH], actor=staff)
        yield lists, push


def test_a_published_list_is_read_by_anyone_and_pushed_to_subscribers_of_every_member(apis: tuple[Api, Api]) -> None:
    lists, push = apis
    li = lists.as_staff("li", "riverside", StaffRole.SUBJECT_LIBRARIAN)
    status, made = li.call("post", "/members/riverside/lists", {"title": "Tang poetry", "title_zh": "唐诗",
                                                                 "class_code": "clc:I222"})  # fmt: skip
    assert status == 201 and made["state"] == "draft" and made["created_by"] == "riverside/li"
    list_id = made["list_id"]
    assert lists.as_anonymous().call("get", f"/lists/{list_id}")[0] == 404  # a draft is the librarians' own
    assert li.call("post", f"/members/riverside/lists/{list_id}/publish")[0] == 400  # nothing on it yet
    li.call("put", f"/members/riverside/lists/{list_id}/works/poems", {"note": "the anthology every reader knows"})
    li.call("put", f"/members/riverside/lists/{list_id}/works/du-fu", {"note": None})
    status, changed = li.call("put", f"/members/riverside/lists/{list_id}/works/du-fu", {"note": "the poet-historian"})
    assert [(e["cluster_id"], e["note"]) for e in changed["entries"]] == [
        ("poems", "the anthology every reader knows"),
        ("du-fu", "the poet-historian"),
    ]
    assert li.call("put", f"/members/riverside/lists/{list_id}/works/nothing", {"note": "x"})[0] == 404
    other = lists.as_staff("li", "lakeside", StaffRole.SUBJECT_LIBRARIAN)
    assert other.call("get", f"/members/lakeside/lists/{list_id}")[0] == 404  # another member's list
    assert lists.as_reader("alice").call("post", "/members/riverside/lists", {"title": "x"})[0] == 403

    for reader_id, member in (("alice", "riverside"), ("larry", "lakeside")):
        reader = push.as_reader(reader_id, member=member)
        status, _ = reader.call("put", f"/readers/{reader_id}/subscriptions/librarian_lists", {"channel": "inbox"})
        assert status == 200
    status, published = li.call("post", f"/members/riverside/lists/{list_id}/publish")  # after they subscribed
    assert status == 200 and published["state"] == "published" and published["published_at"]
    found = lists.as_anonymous().call("get", "/lists")[1]["lists"]
    assert [c["list_id"] for c in found] == [list_id]
    assert lists.as_anonymous().call("get", f"/lists/{list_id}")[1]["entries"][0]["title"] == "唐诗三百首"

    push.module.container().push.run(force=True)
    for reader_id, member in (("alice", "riverside"), ("larry", "lakeside")):
        inbox = push.as_reader(reader_id, member=member).call("get", f"/readers/{reader_id}/push/inbox")[1]
        (digest,) = [d["digest"] for d in inbox["digests"] if d["digest"]["service"] == "librarian_lists"]
        items = {item["cluster_id"]: item for item in digest["items"]}
        assert set(items) == {"poems", "du-fu"}
        assert 'on "Tang poetry"' in items["poems"]["reason"] and "every reader knows" in items["poems"]["reason"]
        assert "《唐诗》" in items["poems"]["reason_zh"]
        assert items["du-fu"]["at_home"] is (member == "riverside")

    withdrawn = li.call("post", f"/members/riverside/lists/{list_id}/withdraw")[1]
    assert withdrawn["state"] == "draft" and lists.as_anonymous().call("get", "/lists")[1]["lists"] == []
    removed = li.call("delete", f"/members/riverside/lists/{list_id}/works/poems")[1]
    assert [e["cluster_id"] for e in removed["entries"]] == ["du-fu"]


def test_a_list_is_edited_as_checked_as_when_made_and_only_a_draft_is_deleted(apis: tuple[Api, Api]) -> None:
    lists, _ = apis
    li = lists.as_staff("li", "riverside", StaffRole.SUBJECT_LIBRARIAN)
    made = li.call("post", "/members/riverside/lists", {"title": "Tang poetry", "class_code": "clc:I222",
                                                        "subject": "Poetry"})[1]  # fmt: skip
    path = f"/members/riverside/lists/{made['list_id']}"

    status, edited = li.call("patch", path, {"title": "Tang and Song poetry", "title_zh": "唐宋诗词", "subject": None})
    assert status == 200 and edited["version"] == 2 and edited["updated_by"] == "riverside/li"
    assert (edited["title"], edited["title_zh"], edited["class_code"], edited["subject"]) == (
        "Tang and Song poetry", "唐宋诗词", "clc:I222", None,
    )  # fmt: skip
    for bad, field in (({"class_code": "I222"}, "class_code"), ({"title": None}, "title"), ({"title": ""}, "title"),
                       ({"state": "published"}, "state"), ({"title": "x" * 201}, "title")):  # fmt: skip
        status, refused = li.call("patch", path, bad)
        assert status == 400 and field in refused["Message"], (bad, refused)
    status, stale = li.call("patch", f"{path}?version=1", {"description": "read since"})
    assert status == 409 and "at version 2, not 1" in stale["Message"]
    assert li.call("patch", f"{path}?version=2", {"description": "From Li Bai to Su Shi."})[1]["version"] == 3

    other = lists.as_staff("li", "lakeside", StaffRole.SUBJECT_LIBRARIAN)
    assert other.call("patch", path, {"title": "mine now"})[0] == 403  # another member's librarian
    assert other.call("delete", path)[0] == 403
    assert lists.as_reader("alice").call("delete", path)[0] == 403

    li.call("put", f"{path}/works/poems", {"note": "the anthology"})
    li.call("post", f"{path}/publish")
    status, refused = li.call("delete", path)
    assert status == 409 and "published: withdraw it first" in refused["Message"]
    assert lists.as_anonymous().call("get", f"/lists/{made['list_id']}")[0] == 200  # still read by anyone
    withdrawn = li.call("post", f"{path}/withdraw")[1]
    assert li.call("delete", f"{path}?version={withdrawn['version'] - 1}")[0] == 409  # read before the withdrawal
    assert li.call("delete", f"{path}?version={withdrawn['version']}")[0] == 204
    assert li.call("get", path)[0] == 404
    assert li.call("get", "/members/riverside/lists")[1]["lists"] == []
    assert li.call("delete", path)[0] == 404
