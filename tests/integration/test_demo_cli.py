"""``consortium run --demo`` as ``make run`` starts it (a real process, the sample members of members.toml): it
shows the harvest as it goes, makes the demo readers once, prints how to log in as each, serves the API where
that login opens the reader's inbox, and stops cleanly on Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import requests

if TYPE_CHECKING:
    from pathlib import Path

ROOT_ENV = {k: v for k, v in os.environ.items() if not k.startswith("CONSORTIUM_")}


def environment(hub: Path) -> dict[str, str]:
    return {**ROOT_ENV, "CONSORTIUM_DATA_DIR": str(hub / "var"), "CONSORTIUM_KEY_DIR": str(hub / "keys")}


def cli(hub: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "consortium", *args],
        capture_output=True,
        text=True,
        env=environment(hub),
        timeout=300,
        check=False,
    )


def demo_once(hub: Path) -> tuple[dict[str, Any], str]:
    done = cli(hub, "run", "--demo", "--once", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), done.stderr


def test_run_demo_once_seeds_then_stops_and_a_second_start_makes_nothing_new(tmp_path: Path) -> None:
    first, progress = demo_once(tmp_path)

    # Progress per source as it goes, though stderr is no terminal: a line as each starts and after each page.
    assert "riverside/catalogue: reading riverside.mrc" in progress
    assert "riverside/catalogue: 100.0% 40 read, 40 added" in progress
    readers = first["demo"]["readers"]
    assert {r["state"] for r in readers} == {"created"}
    assert len({r["member"] for r in readers}) >= 2
    assert all(r["email"].endswith("@example.org") and r["inbox_digests"] >= 1 for r in readers)
    assert all(r["login"].endswith(f"login {r['reader_id']} --member {r['member']}") for r in readers)
    assert first["demo"]["push"]["items"] > 0
    staff = {one["reader"]: one for one in first["demo"]["staff"]}  # an administrator and a librarian a member
    assert set(staff) == {
        f"{m}-{r}" for m in ("riverside", "lakeside", "eastlake", "westfield") for r in ("admin", "librarian")
    }
    assert staff["eastlake-librarian"]["login"].endswith(
        "login eastlake-librarian --member eastlake --role subject-librarian"
    )

    second, _ = demo_once(tmp_path)

    assert {r["state"] for r in second["demo"]["readers"]} == {"kept"}
    assert [r["inbox_digests"] for r in second["demo"]["readers"]] == [r["inbox_digests"] for r in readers]
    assert second["demo"]["push"]["digests_planned"] == 0
    assert all(run["added"] == 0 and run["unchanged"] > 0 for run in second["runs"])

    text = cli(tmp_path, "run", "--demo", "--once")
    assert "demo-alice" in text.stdout and "already there, left as it is" in text.stdout
    login = "$(python -m consortium login demo-alice --member riverside)"
    assert f'curl -H "Authorization: Bearer {login}" http://127.0.0.1:8000/readers/demo-alice/push/inbox' in text.stdout
    assert "demo staff of riverside, lakeside, eastlake, westfield" in text.stdout


def test_run_demo_serves_the_inbox_to_the_printed_login_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "consortium", "run", "--demo", "--port", "0", "--json"],
        env=environment(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = []
        address = None
        for line in process.stdout:
            if line.startswith('{"api"'):
                address = json.loads(line)["api"]
                break
            lines.append(line)
        assert address is not None, "".join(lines)
        summary = json.loads("".join(lines))
        reader = summary["demo"]["readers"][1]
        token = cli(tmp_path, "login", reader["reader_id"], "--member", reader["member"]).stdout.strip()
        inbox = requests.get(
            f"{address}/readers/{reader['reader_id']}/push/inbox",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert inbox.status_code == 200, inbox.text
        items = [item for entry in inbox.json()["digests"] for item in entry["digest"]["items"]]
        assert items and all(item["reason"] for item in items)
        other = summary["demo"]["readers"][0]["reader_id"]
        headers = {"Authorization": f"Bearer {token}"}
        assert requests.get(f"{address}/readers/{other}/push/inbox", headers=headers, timeout=30).status_code == 403
    finally:
        process.send_signal(signal.SIGINT)  # Ctrl-C
        code = process.wait(timeout=30)
    assert code == 0
