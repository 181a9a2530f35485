"""``consortium quarantine`` and ``consortium lists`` for a librarian without a browser: the same pages, records,
raw bytes and lists the member API, the cooperation API and the staff pages give (compared with the APIs'
answers), in text and ``--json``; the bare ``consortium quarantine`` lists every quarantined record as before."""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner
from factories import make_cluster
from function_apps import Api, serve
from marc_builders import book

from consortium.auth.callers import StaffRole
from consortium.cli import main
from consortium.dedup.state import ClusterChange

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

REGISTRY = """
[[members]]
id = "riverside"
name = "Riverside University Library"

[[members.sources]]
id = "catalogue"
protocol = "marc-file"
path = "books.mrc"
format = "marc21"

[[members]]
id = "lakeside"
name = "Lakeside Public Library"
"""


def run(*args: str, ok: bool = True) -> Any:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


def as_json(*args: str) -> Any:
    return json.loads(run(*args, "--json").stdout)


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    (tmp_path / "members.toml").write_text(REGISTRY, encoding="utf-8")
    records = [book("x1", "Fine book")] + [book(f"b{i}", f"Bad {i}", isbn="0201896835") for i in range(3)]
    (tmp_path / "books.mrc").write_bytes(b"".join(r.as_marc() for r in records) + b"00042garbage record\x1d")
    monkeypatch.setenv("CONSORTIUM_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CONSORTIUM_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("CONSORTIUM_MEMBERS_FILE", str(tmp_path / "members.toml"))
    assert as_json("harvest")["total"]["quarantined"] == 4
    yield tmp_path


def test_quarantine_pages_and_records_are_the_member_apis(hub: Path) -> None:
    with serve("members", Api) as members:
        api = members.as_library("riverside")
        status, first = api.call("get", "/members/riverside/quarantine?limit=2")
        assert status == 200 and first["total"] == 4
        assert as_json("quarantine", "list", "riverside", "--limit", "2") == first
        following = as_json("quarantine", "list", "riverside", "--limit", "2", "--cursor", first["next_cursor"])
        assert following == api.call("get", f"/members/riverside/quarantine?limit=2&cursor={first['next_cursor']}")[1]
        bad = next(item for item in first["items"] + following["items"] if item["local_id"] == "b1")
        status, item = api.call("get", f"/members/riverside/quarantine/{bad['item_id']}")
        assert status == 200 and as_json("quarantine", "show", "riverside", bad["item_id"]) == item
    assert (bad["reason"], bad["reason_code"], bad["reason_field"]) == (
        "020$a: ISBN '0201896835': invalid check digit",
        "invalid_identifier",
        "020$a",
    )

    text = run("quarantine", "list", "riverside", "--limit", "2").stdout.splitlines()
    assert len(text) == 4 and text[2] == "4 quarantined; these 2 first"
    assert text[3] == f"next: consortium quarantine list riverside --cursor {first['next_cursor']}"
    for line, item_shown in zip(text, first["items"], strict=False):  # reason [code], when, item id
        assert f"[{item_shown['reason_code']}]\t" in line and line.endswith(f"\t{item_shown['item_id']}")
    shown = run("quarantine", "show", "riverside", bad["item_id"]).stdout
    assert "reason code: invalid_identifier (field 020$a)" in shown and "id in the library's system: b1" in shown

    raw = base64.b64decode(item["raw_base64"])
    assert raw.startswith(b"0") and b"Bad 1" in raw
    assert run("quarantine", "show", "riverside", bad["item_id"], "--raw", "-").stdout_bytes == raw  # bytes alone
    saved = hub / "b1.mrc"
    said = run("quarantine", "show", "riverside", bad["item_id"], "--raw", str(saved)).stdout
    assert saved.read_bytes() == raw and f"wrote {len(raw)} bytes (application/marc) to {saved}" in said


def test_quarantine_refusals_are_one_line(hub: Path) -> None:
    unknown = run("quarantine", "show", "riverside", "bm90LWFuLWlk", ok=False)
    assert unknown.exit_code == 1 and unknown.output.strip() == "Error: no such quarantined record of this member"
    other = run("quarantine", "list", "nowhere", ok=False)
    assert other.exit_code == 1 and other.output.startswith("Error: no member 'nowhere'")
    both = run("quarantine", "--json", "list", "riverside", ok=False)
    assert both.exit_code == 2 and "give --member and --json after `list`" in both.output
    too_many = run("quarantine", "list", "riverside", "--limit", "500", ok=False)
    assert too_many.exit_code == 2 and "--limit" in too_many.output


def test_the_bare_command_still_lists_every_quarantined_record(hub: Path) -> None:
    every = as_json("quarantine")
    assert len(every) == 4 and {item["member"] for item in every} == {"riverside"}
    assert {item["reason_code"] for item in every} == {"invalid_identifier", "unreadable"}
    assert as_json("quarantine", "--member", "lakeside") == []
    assert run("quarantine").stdout.splitlines()[-1] == "4 quarantined"


def test_lists_are_the_cooperation_apis(hub: Path) -> None:
    with serve("cooperation", Api) as cooperation:
        container = cooperation.module.container()
        container.cluster_store.apply(ClusterChange(saved=[make_cluster("poems", "唐诗三百首", ["riverside"])]))
        li = cooperation.as_staff("li", "riverside", StaffRole.SUBJECT_LIBRARIAN)
        made = li.call("post", "/members/riverside/lists", {"title": "Tang poetry", "title_zh": "唐诗",
                                                             "class_code": "clc:I222"})[1]  # fmt: skip
        draft = li.call("post", "/members/riverside/lists", {"title": "Still a draft"})[1]
        li.call("put", f"/members/riverside/lists/{made['list_id']}/works/poems", {"note": "every reader knows it"})
        li.call("post", f"/members/riverside/lists/{made['list_id']}/publish")
        assert as_json("lists", "list", "--member", "riverside") == li.call("get", "/members/riverside/lists")[1]
        assert as_json("lists", "list") == cooperation.as_anonymous().call("get", "/lists")[1]
        shown = li.call("get", f"/members/riverside/lists/{made['list_id']}")[1]
        assert as_json("lists", "show", "riverside", made["list_id"]) == shown
    assert [one["list_id"] for one in as_json("lists", "list")["lists"]] == [made["list_id"]]
    drafts = as_json("lists", "list", "--member", "riverside", "--state", "draft")["lists"]
    assert [one["list_id"] for one in drafts] == [draft["list_id"]]

    listed = run("lists", "list", "--member", "riverside").stdout.splitlines()
    assert listed[-1] == "2 lists" and any(
        "published\t1 works\tclc:I222\tTang poetry (唐诗)" in line for line in listed
    )
    shown_text = run("lists", "show", "riverside", made["list_id"]).stdout
    assert (
        "  poems\t唐诗三百首\tevery reader knows it" in shown_text and "member: riverside; for: clc:I222" in shown_text
    )
    refused = run("lists", "show", "lakeside", made["list_id"], ok=False)
    assert refused.exit_code == 1 and refused.output.strip() == f"Error: lakeside has no list {made['list_id']!r}"
    assert run("lists", "list", "--state", "draft", ok=False).exit_code == 2  # drafts are a member's own
