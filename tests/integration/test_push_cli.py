"""``consortium push`` and ``consortium run`` as a librarian runs them: real processes over the sample members,
email through a real SMTP server (aiosmtpd) on 127.0.0.1, the feed and the inbox, and the local scheduler."""

from __future__ import annotations

import email
import email.policy
import json
import os
import signal
import socket
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any

import pytest
from aiosmtpd.controller import Controller
from lxml import etree

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


class Inbox:
    """An aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), bytes(envelope.original_content)))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[tuple[int, Inbox]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


def environment(data_dir: Path, smtp_port: int | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONSORTIUM_")}
    env |= {"CONSORTIUM_DATA_DIR": str(data_dir), "CONSORTIUM_PUBLIC_URL": "https://hub.example"}
    env |= {"CONSORTIUM_KEY_DIR": str(data_dir.with_name(data_dir.name + "-keys"))}
    if smtp_port is not None:
        env |= {"CONSORTIUM_SMTP_HOST": "127.0.0.1", "CONSORTIUM_SMTP_PORT": str(smtp_port)}
    return env


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "consortium", *args], capture_output=True, text=True, env=env, timeout=300, check=False
    )


def ok(env: dict[str, str], *args: str) -> Any:
    done = cli(env, *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_reader_gets_new_books_by_email_feed_and_inbox_once(tmp_path: Path, smtp: tuple[int, Inbox]) -> None:
    port, inbox = smtp
    env = environment(tmp_path / "var", port)
    ok(env, "reader", "create", "r-ann", "--member", "riverside", "--consent", "push", "--declare", "class:clc:TP31")
    assert [s["service"] for s in ok(env, "push", "services")] == [
        "new_in_class",
        "interested_new",
        "librarian_lists",
        "saved_search",
        "interlibrary_loan",
    ]
    mail = ok(env, "push", "subscribe", "r-ann", "interested_new", "--channel", "email", "--email", "ann@example.org")
    assert mail["unsubscribe_url"].startswith("https://hub.example/push/unsubscribe/")
    feed = ok(env, "push", "subscribe", "r-ann", "new_in_class", "--channel", "atom", "--frequency", "daily")
    token = feed["feed_url"].rsplit("/", 1)[1]
    refused = cli(env, "push", "subscribe", "r-ann", "saved_search", "--channel", "inbox")
    assert refused.returncode != 0 and "query" in refused.stderr

    ok(env, "harvest")  # the members' catalogues arrive after the subscriptions: every work is new
    assert ok(env, "push", "run", "--dry-run", "--force")["evidence_built_at"] is None  # none stored yet
    evidence = ok(env, "push", "evidence")
    assert evidence["works"] > 0 and evidence["work_pairs"] == 0  # no reader lets their loans be counted
    stored = json.loads((tmp_path / "var" / "evidence" / "ranking-evidence.json").read_text("utf-8"))
    assert stored["built_at"] == evidence["built_at"] and stored["works_total"] == evidence["works"]
    assert "r-ann" not in json.dumps(stored)
    planned = ok(env, "push", "run", "--dry-run", "--force")
    assert planned["evidence_built_at"] == evidence["built_at"]  # the next run ranks with the stored evidence
    assert planned["digests_planned"] == 2 and not inbox.messages  # a dry run sends nothing

    first = ok(env, "push", "run", "--force")
    assert first["delivered"] == {"atom": 1, "email": 1}
    [(recipients, raw)] = inbox.messages
    assert recipients == ["ann@example.org"]
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "you follow TP31" in text

    entries = etree.fromstring(cli(env, "push", "feed", token).stdout.encode()).findall(
        "{http://www.w3.org/2005/Atom}entry"
    )
    assert entries, "the atom feed has the new books in TP31"
    history = ok(env, "push", "history", "r-ann")
    assert {h["channel"] for h in history} == {"atom", "email"}
    assert len({h["cluster_id"] for h in history}) == len(history)  # no work twice, across services

    again = ok(env, "push", "run", "--force")
    assert again["items"] == 0 and len(inbox.messages) == 1

    done = cli(env, "push", "item", "r-ann", history[0]["cluster_id"], "--delete")
    assert done.returncode == 0, done.stderr
    assert len(ok(env, "push", "history", "r-ann")) == len(history) - 1
    mutes = ok(env, "push", "mute", "r-ann", "--series", "Head First")
    assert [(m["kind"], m["key"]) for m in mutes] == [("series", "Head First")]
    erased = ok(env, "reader", "erase", "r-ann")
    assert erased["erased"]["sent"] == len(history)


def test_consortium_run_keeps_running_the_scheduled_jobs_until_stopped(tmp_path: Path) -> None:
    env = environment(tmp_path / "var")
    process = subprocess.Popen(
        [sys.executable, "-m", "consortium", "run", "--json", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        lines: list[dict[str, Any]] = []
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and {line.get("job") for line in lines} < {
            "evidence",
            "push",
            "purge",
            "analytics",
        }:
            line = process.stdout.readline()
            if not line:
                break
            if line.startswith('{"job"'):
                lines.append(json.loads(line))
        jobs = {line["job"]: line for line in lines}
        assert jobs["push"]["ok"] and jobs["purge"]["ok"] and jobs["analytics"]["ok"] and jobs["evidence"]["ok"], lines
        assert "digests planned" in jobs["push"]["summary"]
        assert jobs["evidence"]["summary"].startswith("ranking evidence built at ")
        assert [line["job"] for line in lines].index("evidence") < [line["job"] for line in lines].index("push")
        assert (tmp_path / "var" / "evidence" / "ranking-evidence.json").is_file()
        state = json.loads((tmp_path / "var" / "schedule.json").read_text())
        assert set(state) == {"harvest", "evidence", "push", "purge", "analytics"}
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
