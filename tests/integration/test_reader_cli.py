"""``consortium reader``, run as a user runs it: a real process over the sample members' catalogue, with the
reader's data encrypted in the data folder and gone after erasure."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import pytest

from consortium.bootstrap import bootstrap
from consortium.profiles.models import EventType, ReaderEvent
from consortium.profiles.service import SYSTEM, EventOutcome

if TYPE_CHECKING:
    from pathlib import Path

SECRET_TERMS = ("zebrafish-genome-2026", "黛玉葬花")
"""What the reader searches for: it must never reach the data folder unencrypted."""
BOOKS = ("设计模式", "代码大全")


def key_dir(data_dir: Path) -> Path:
    """The data folder's key folder: beside it, outside it."""
    return data_dir.with_name(data_dir.name + "-keys")


def cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONSORTIUM_")}
    return subprocess.run(
        [sys.executable, "-m", "consortium", *args],
        capture_output=True,
        text=True,
        env={**env, "CONSORTIUM_DATA_DIR": str(data_dir), "CONSORTIUM_KEY_DIR": str(key_dir(data_dir))},
        timeout=300,
        check=False,
    )


def ok(data_dir: Path, *args: str) -> Any:
    done = cli(data_dir, *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def files_containing(root: Path, needle: bytes) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file() and needle in path.read_bytes()]


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with the sample members harvested (clustered and indexed)."""
    data_dir = tmp_path_factory.mktemp("reader-hub") / "var"
    ok(data_dir, "harvest")
    return data_dir


def test_a_reader_lives_and_is_erased(hub: Path) -> None:
    # Two software-engineering books of the samples (CLC TP311.5) with no subject in common.
    hits = [ok(hub, "search", f"title:{title}", "class:clc:T")["hits"][0] for title in BOOKS]

    created = ok(hub, "reader", "create", "r-alice", "--member", "riverside", "--consent", "personalization")
    assert created["consents"] == ["personalization"]
    for number, hit in enumerate(hits):
        event = ok(hub, "reader", "event", "r-alice", "--type", "borrow", "--cluster", hit["cluster_id"],
                   "--event-id", f"b{number}")  # fmt: skip
        assert event["outcome"] == "stored"
    query = " ".join(SECRET_TERMS)
    assert (
        ok(hub, "reader", "event", "r-alice", "--type", "search", "--query", query, "--event-id", "s1")["outcome"]
        == "stored"
    )
    again = ok(hub, "reader", "event", "r-alice", "--type", "search", "--query", query, "--event-id", "s1")
    assert again["outcome"] == "duplicate"

    shown = ok(hub, "reader", "show", "r-alice")
    assert shown["consents"]["personalization"] is True
    top = shown["interests"][0]
    assert top["key"].startswith("class:clc:TP"), shown["interests"][:3]
    assert top["learned"] and not top["declared"]
    text = cli(hub, "reader", "show", "r-alice").stdout
    assert "consents: personalization" in text and top["key"] in text

    exported = ok(hub, "reader", "export", "r-alice")
    assert [e["event_id"] for e in sorted(exported["events"], key=lambda e: e["event_id"])] == [
        *sorted(f"b{n}" for n in range(len(hits))),
        "s1",
    ]
    assert any(e.get("query") == query for e in exported["events"])
    assert exported["reader"]["member"] == "riverside"
    for term in SECRET_TERMS:
        assert files_containing(hub, term.encode()) == [], "a search term reached the disk unencrypted"

    erased = ok(hub, "reader", "erase", "r-alice")
    assert erased["erased"]["event"] == len(hits) + 1
    assert erased["audit_kept_as"].startswith("erased-")

    gone = cli(hub, "reader", "show", "r-alice")
    assert gone.returncode != 0
    assert "no such reader" in gone.stderr
    assert cli(hub, "reader", "export", "r-alice").returncode != 0
    for term in SECRET_TERMS:
        assert files_containing(hub, term.encode()) == []

    # Someone new is given the same id: they see their own audit trail only, not the erased reader's.
    ok(hub, "reader", "create", "r-alice", "--member", "lakeside")
    audit = ok(hub, "reader", "export", "r-alice")["audit"]
    assert [(entry["action"], entry["purpose"]) for entry in audit] == [
        ("write", "account"),
        ("export", "reader_request"),
    ]


def test_consent_withdrawal_and_prompt_errors(hub: Path) -> None:
    ok(hub, "reader", "create", "r-bob", "--member", "lakeside", "--declare", "subject:poetry")
    cluster_id = ok(hub, "search", "subject:机器学习")["hits"][0]["cluster_id"]
    assert ok(hub, "reader", "event", "r-bob", "--type", "view", "--cluster", cluster_id)["outcome"] == "dropped"
    assert ok(hub, "reader", "consent", "r-bob", "--grant", "personalization")["consents"]["personalization"]
    assert ok(hub, "reader", "event", "r-bob", "--type", "view", "--cluster", cluster_id)["outcome"] == "stored"
    assert any(i["learned"] for i in ok(hub, "reader", "show", "r-bob")["interests"])

    ok(hub, "reader", "consent", "r-bob", "--withdraw", "personalization")

    interests = ok(hub, "reader", "show", "r-bob")["interests"]
    assert [(i["key"], i["declared"], i["learned"]) for i in interests] == [("subject:poetry", True, False)]
    missing = cli(hub, "reader", "prompt", "r-bob", "drift-unknown", "--dismiss")
    assert missing.returncode != 0 and "no such prompt" in missing.stderr
    unknown_member = cli(hub, "reader", "create", "r-carol", "--member", "nowhere")
    assert unknown_member.returncode != 0
    twice = cli(hub, "reader", "create", "r-bob", "--member", "lakeside")
    assert twice.returncode != 0 and "exists already" in twice.stderr


def test_an_email_subscription_refuses_what_is_not_one_address(hub: Path) -> None:
    ok(hub, "reader", "create", "r-fay", "--member", "riverside", "--consent", "push")
    for address in ("fay@example.org, gus@example.net", "fay@example.org\r\nBcc: everyone@example.org"):
        done = cli(hub, "push", "subscribe", "r-fay", "interested_new", "--channel", "email", "--email", address)
        assert done.returncode == 1 and "Traceback" not in done.stderr
        [line] = done.stderr.splitlines()
        assert line.startswith("Error: invalid subscription to interested_new: field 'email': not one email address")
    assert ok(hub, "push", "subscriptions", "r-fay") == []


def test_an_event_in_the_future_is_refused_in_one_line(hub: Path) -> None:
    ok(hub, "reader", "create", "r-hal", "--member", "riverside", "--consent", "personalization")
    args = ("reader", "event", "r-hal", "--type", "search", "--query", "poetry", "--at", "2999-01-01T00:00:00+00:00")
    done = cli(hub, *args)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith("Error: ") and "in the future" in line
    assert ok(hub, "reader", "export", "r-hal")["events"] == []


def test_a_value_the_models_refuse_is_one_line_naming_the_field(hub: Path) -> None:
    done = cli(hub, "reader", "create", "", "--member", "riverside")
    assert done.returncode == 1 and "Traceback" not in done.stderr and "pydantic.dev" not in done.stderr
    assert done.stderr.splitlines() == ["Error: Reader: field 'reader_id': String should have at least 1 character"]


def error_line(hub: Path, *args: str) -> str:
    """The one line a refused command says (exit 1, no traceback)."""
    done = cli(hub, *args)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    [line] = done.stderr.splitlines()
    return line


def test_input_that_can_never_mean_anything_is_refused_with_its_reason(hub: Path) -> None:
    line = error_line(hub, "reader", "create", "r-zed", "--member", "riverside", "--declare", "class:clc:ZZZ999")
    assert line == "Error: 'ZZZ999' is not a class code of CLC"
    ok(hub, "reader", "create", "r-zed", "--member", "riverside", "--consent", "personalization", "--consent", "push")
    line = error_line(hub, "reader", "event", "r-zed", "--type", "view", "--cluster", "no-such-work")
    assert line == "Error: field 'cluster_id': no work 'no-such-work' in the catalogue"
    assert ok(hub, "reader", "export", "r-zed")["events"] == []
    assert (
        error_line(hub, "push", "mute", "r-zed", "--author", "") == "Error: a mute of author needs a key: it is empty"
    )
    assert ok(hub, "push", "mute", "r-zed") == []
    done = cli(hub, "reader", "create", "r-why", "--member", "riverside", "--consent", "bogus")
    assert done.returncode == 2 and "Invalid value for --consent: 'bogus' is not a purpose" in done.stderr


def test_an_events_file_reports_bad_lines_by_number_and_records_the_rest(hub: Path, tmp_path: Path) -> None:
    ok(hub, "reader", "create", "r-ida", "--member", "riverside", "--consent", "personalization")
    now = dt.datetime.now(dt.UTC)

    def line(event_id: str, query: str = "poetry", at: dt.datetime = now) -> bytes:
        return json.dumps({"event_id": event_id, "type": "search", "at": at.isoformat(), "query": query}).encode()

    events = tmp_path / "events.jsonl"
    events.write_bytes(
        b"\n".join(
            [
                line("e1"),
                line("e2", "caf\u00e9").replace(b"\\u00e9", b"\xe9"),  # Latin-1, not UTF-8
                line("e3"),
                line("e4", at=dt.datetime(2999, 1, 1, tzinfo=dt.UTC)),
                line("e5", "红楼梦"),
            ]
        )
        + b"\n"
    )
    done = cli(hub, "reader", "events", "r-ida", str(events), "--json")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    report = json.loads(done.stdout)
    assert report["stored"] == 3
    assert [bad["line"] for bad in report["invalid"]] == [2, 4]
    assert "UTF-8" in report["invalid"][0]["reason"] and "in the future" in report["invalid"][1]["reason"]
    assert sorted(e["event_id"] for e in ok(hub, "reader", "export", "r-ida")["events"]) == ["e1", "e3", "e5"]

    text = cli(hub, "reader", "events", "r-ida", str(events))
    assert text.stdout.strip() == "0 stored, 0 dropped, 3 duplicate, 2 invalid"
    assert [row.split(":")[0] for row in text.stderr.splitlines()] == ["line 2", "line 4"]


def test_interests_declared_and_removed(hub: Path) -> None:
    ok(hub, "reader", "create", "r-dan", "--member", "riverside")
    declared = ok(hub, "reader", "interest", "r-dan", "--declare", "class:clc:TP312", "--weight", "7")
    assert [(i["key"], i["declared"]) for i in declared["interests"]] == [("class:clc:TP312", True)]
    ok(hub, "reader", "interest", "r-dan", "--declare", "author:donald knuth")
    assert {i["key"] for i in ok(hub, "reader", "show", "r-dan")["interests"]} == {
        "class:clc:TP312",
        "author:donald knuth",
    }
    removed = ok(hub, "reader", "interest", "r-dan", "--remove", "class:clc:TP")  # the branch goes
    assert [i["key"] for i in removed["interests"]] == ["author:donald knuth"]
    text = cli(hub, "reader", "interest", "r-dan", "--remove", "author:donald knuth").stdout
    assert "removed author:donald knuth" in text
    assert ok(hub, "reader", "show", "r-dan")["interests"] == []

    bad = cli(hub, "reader", "interest", "r-dan", "--declare", "genre:poetry")
    assert bad.returncode != 0 and "not an interest key: 'genre:poetry' (write class:SCHEME:CODE" in bad.stderr
    assert "subject:HEADING; or author:NAME" in bad.stderr
    both = cli(hub, "reader", "interest", "r-dan", "--declare", "subject:x", "--remove", "subject:x")
    assert both.returncode != 0 and "exactly one" in both.stderr
    assert cli(hub, "reader", "interest", "nobody", "--declare", "subject:x").returncode != 0


def test_purge_deletes_expired_events(hub: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ok(hub, "reader", "create", "r-eve", "--member", "riverside", "--consent", "personalization")
    ok(hub, "reader", "event", "r-eve", "--type", "search", "--query", "recent", "--event-id", "new")
    # An event from before the retention period (personalization keeps events 365 days), written in-process.
    for name in [name for name in os.environ if name.startswith("CONSORTIUM_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("CONSORTIUM_DATA_DIR", str(hub))
    monkeypatch.setenv("CONSORTIUM_KEY_DIR", str(key_dir(hub)))
    at = dt.datetime.now(dt.UTC) - dt.timedelta(days=400)
    old = ReaderEvent(event_id="old", type=EventType.SEARCH, at=at, query="long ago")
    assert bootstrap().profiles.record_event("r-eve", old, SYSTEM) is EventOutcome.STORED

    purged = ok(hub, "reader", "purge")
    assert purged["purged"]["event"] >= 1
    assert [e["event_id"] for e in ok(hub, "reader", "export", "r-eve")["events"]] == ["new"]
    assert ok(hub, "reader", "purge") == {"purged": {"event": 0}}
    assert cli(hub, "reader", "purge").stdout.strip() == "purged 0 expired events"


def test_a_loan_history_that_shifts_raises_a_drift_prompt(hub: Path, tmp_path: Path) -> None:
    """A member library sends a reader's loans as a file: a year of literature, then two months of programming.
    The reader is asked whether to follow the new interest; accepting it makes it declared."""
    literature = [hit["cluster_id"] for hit in ok(hub, "search", "class:clc:I", "--page-size", "2")["hits"]]
    books = [ok(hub, "search", f"title:{title}", "class:clc:T")["hits"][0]["cluster_id"] for title in BOOKS]
    programming = [books[0], books[1], books[0]]  # CLC TP311.5
    assert len(literature) == 2
    now = dt.datetime.now(dt.UTC)
    start = now - dt.timedelta(weeks=61)
    lines = []
    for week in range(52):
        for day, cluster_id in zip((0, 3), literature, strict=True):
            at = start + dt.timedelta(weeks=week, days=day)
            lines.append(
                {"event_id": f"l{week}-{day}", "type": "borrow", "at": at.isoformat(), "cluster_id": cluster_id}
            )
    for week in range(9):
        for day, cluster_id in zip((0, 2, 4), programming, strict=True):
            at = now - dt.timedelta(weeks=9 - week, days=-day)
            lines.append(
                {"event_id": f"p{week}-{day}", "type": "borrow", "at": at.isoformat(), "cluster_id": cluster_id}
            )
    lines.append({"event_id": "bad", "type": "borrow", "at": now.isoformat()})  # no cluster: reported, skipped
    history = tmp_path / "loans.jsonl"
    history.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")

    ok(hub, "reader", "create", "r-erin", "--member", "riverside", "--consent", "personalization")
    done = cli(hub, "reader", "events", "r-erin", str(history), "--json")
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["stored"] == len(lines) - 1
    assert [bad["line"] for bad in report["invalid"]] == [len(lines)]
    assert "cluster_id" in report["invalid"][0]["reason"]

    [prompt] = ok(hub, "reader", "show", "r-erin")["prompts"]
    assert any(key.startswith("class:clc:TP") for key in prompt["rising"]), prompt
    accepted = ok(hub, "reader", "prompt", "r-erin", prompt["prompt_id"], "--accept")
    declared = {i["key"] for i in accepted["interests"] if i["declared"]}
    assert set(prompt["rising"]) <= declared
    assert ok(hub, "reader", "show", "r-erin")["prompts"] == []
