"""``consortium run --workers 2``, as an operator starts it on the sample members: two API worker processes serve
one port, a worker that dies is reported and started again, SIGTERM stops every worker, and workers whose hub
is killed stop by themselves."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests
from mail_peers import free_port
from oidc_provider import FakeOidcProvider

from consortium.http.server import WORKER_HEADER

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parents[2]


def alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, ended but not yet reaped, does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def wait_until(condition: Any, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


class Hub:
    """``consortium run --workers 2 --json`` on a data folder of its own; its JSON lines as they come."""

    def __init__(self, tmp_path: Path, *more: str, port: int = 0, settings: dict[str, str] | None = None) -> None:
        env = {
            **os.environ,
            "CONSORTIUM_DATA_DIR": str(tmp_path / "var"),
            "CONSORTIUM_KEY_DIR": str(tmp_path / "keys"),
            **(settings or {}),
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "consortium", "run", "--workers", "2", "--port", str(port), "--json", *more],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        started = self.line_with("api")
        self.base: str = started["api"]
        self.workers: list[int] = started["workers"]

    def line_with(self, key: str) -> dict[str, Any]:
        """The next JSON line of the hub's output that has ``key``."""
        assert self.process.stdout is not None
        for text in self.process.stdout:
            if text.startswith('{"') and key in (data := json.loads(text)):
                return data
        raise AssertionError(f"the hub stopped before saying {key!r} (exit status {self.process.wait()})")

    def answering_workers(self, wanted: set[str], tries: int = 300) -> set[str]:
        """The workers that answer searches, each on a new connection, until ``wanted`` all did."""
        seen: set[str] = set()
        for _ in range(tries):
            answer = requests.get(f"{self.base}/search", params={"q": "history"}, timeout=30)
            assert answer.status_code == 200
            seen.add(answer.headers[WORKER_HEADER])
            if wanted <= seen:
                break
        return seen


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    running = Hub(tmp_path)
    yield running
    if running.process.poll() is None:
        running.process.kill()
        running.process.wait()


def test_two_workers_serve_one_port_and_sigterm_stops_every_one(hub: Hub) -> None:
    assert len(set(hub.workers)) == 2 and all(alive(pid) for pid in hub.workers)
    assert hub.answering_workers({"1", "2"}) == {"1", "2"}
    hub.process.send_signal(signal.SIGTERM)
    assert hub.process.wait(timeout=60) == 0
    assert not any(alive(pid) for pid in hub.workers)


def test_every_worker_serves_the_portal_and_its_demo_login(tmp_path: Path) -> None:
    hub = Hub(tmp_path, "--demo")
    try:
        seen: dict[str, str] = {}
        for _ in range(300):  # a new connection each time: the kernel spreads them over the workers
            page = requests.get(f"{hub.base}/", timeout=30)
            assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
            config = requests.get(f"{hub.base}/config.json", timeout=30)
            assert config.json()["auth"]["mode"] == "demo"
            login = requests.post(f"{hub.base}/local/demo-login", json={"reader": "demo-alice"}, timeout=30)
            assert login.status_code == 200, login.text
            seen[login.headers[WORKER_HEADER]] = login.json()["token"]
            if len(seen) == 2:
                break
        assert set(seen) == {"1", "2"}
        for token in seen.values():  # a token from either worker is the reader's on any
            me = requests.get(
                f"{hub.base}/readers/demo-alice/interests", headers={"Authorization": f"Bearer {token}"}, timeout=30
            )
            assert me.status_code == 200, me.text
        # the demo staff accounts too: an administrator reaches the member's contribution, a librarian its lists
        listing = requests.get(f"{hub.base}/local/demo-login", timeout=30).json()
        staff = {one["reader"]: one["roles"] for one in listing["staff"]}
        assert staff["riverside-admin"] == ["member-admin"]
        assert staff["eastlake-librarian"] == ["subject-librarian"]
        for account, path in (("riverside-admin", "contribution"), ("riverside-librarian", "lists")):
            login = requests.post(f"{hub.base}/local/demo-login", json={"reader": account}, timeout=30)
            assert login.status_code == 200, login.text
            bearer = {"Authorization": f"Bearer {login.json()['token']}"}
            answer = requests.get(f"{hub.base}/members/riverside/{path}", headers=bearer, timeout=30)
            assert answer.status_code == 200, answer.text
    finally:
        hub.process.send_signal(signal.SIGTERM)
        hub.process.wait(timeout=60)


def test_every_worker_sends_readers_to_the_oidc_provider_of_the_settings(tmp_path: Path) -> None:
    port = free_port()
    with FakeOidcProvider("portal", f"http://127.0.0.1:{port}/login.html", []) as provider:
        settings = {
            "CONSORTIUM_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "CONSORTIUM_OIDC_ISSUER": provider.url,
            "CONSORTIUM_OIDC_CLIENT_ID": "portal",
        }
        hub = Hub(tmp_path, port=port, settings=settings)
        try:
            seen: set[str] = set()
            for _ in range(300):  # a new connection each time: the kernel spreads them over the workers
                config = requests.get(f"{hub.base}/config.json", timeout=30)
                assert config.json()["auth"]["token_endpoint"] == f"{provider.url}/oauth2/token"
                assert f"connect-src 'self' {provider.url};" in config.headers["Content-Security-Policy"]
                seen.add(config.headers[WORKER_HEADER])
                if len(seen) == 2:
                    break
            assert seen == {"1", "2"}
        finally:
            hub.process.send_signal(signal.SIGTERM)
            hub.process.wait(timeout=60)


def test_a_worker_that_dies_is_reported_and_started_again(hub: Hub) -> None:
    first, second = hub.workers
    os.kill(first, signal.SIGKILL)
    report = hub.line_with("api_worker")
    assert (report["api_worker"], report["pid"], report["status"]) == (1, first, "killed by SIGKILL")
    again = report["restarted_as"]
    assert again not in (first, second) and alive(again)
    assert hub.answering_workers({"1", "2"}) == {"1", "2"}  # the new worker 1 serves
    hub.process.send_signal(signal.SIGTERM)
    assert hub.process.wait(timeout=60) == 0
    assert not any(alive(pid) for pid in (again, second))


def test_workers_stop_by_themselves_when_their_hub_is_killed(hub: Hub) -> None:
    hub.process.kill()  # SIGKILL: the hub stops no one
    hub.process.wait()
    assert wait_until(lambda: not any(alive(pid) for pid in hub.workers))


def test_workers_that_cannot_start_stop_the_hub_saying_why(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "CONSORTIUM_DATA_DIR": str(tmp_path / "var"),
        "CONSORTIUM_KEY_DIR": str(tmp_path / "keys"),
        "CONSORTIUM_FUNCTIONS_DIR": str(tmp_path / "no-functions"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "consortium", "run", "--workers", "2", "--port", "0"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert "no app" in done.stderr  # the worker's own message
    assert "Error: API worker 1 stopped while starting (exit status 1)" in done.stderr


def test_a_port_another_server_shares_is_refused(tmp_path: Path) -> None:
    """Another hub's workers listen with SO_REUSEPORT: joining them would split their connections."""
    import socket

    with socket.socket() as other:
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        env = {**os.environ, "CONSORTIUM_DATA_DIR": str(tmp_path / "var"), "CONSORTIUM_KEY_DIR": str(tmp_path / "k")}
        done = subprocess.run(
            [sys.executable, "-m", "consortium", "run", "--workers", "2", "--port", str(port)],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 1
    assert f"cannot serve the API on 127.0.0.1:{port}: Address already in use" in done.stderr


def test_a_members_harvest_asked_of_a_worker_runs_in_the_hub(hub: Hub, tmp_path: Path) -> None:
    env = {**os.environ, "CONSORTIUM_DATA_DIR": str(tmp_path / "var"), "CONSORTIUM_KEY_DIR": str(tmp_path / "keys")}
    made = subprocess.run(
        [sys.executable, "-m", "consortium", "members", "key", "create", "riverside", "--label", "ILS", "--json"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    key = {"X-Api-Key": json.loads(made.stdout)["key"]}
    started = requests.post(f"{hub.base}/members/riverside/harvests", json={}, headers=key, timeout=30)
    assert started.status_code == 202
    run_url = f"{hub.base}/members/riverside/harvests/{started.json()['run_id']}"
    assert wait_until(lambda: requests.get(run_url, headers=key, timeout=30).json()["state"] == "succeeded", 120)


def test_the_pool_gives_up_when_workers_keep_dying() -> None:
    from consortium.http.prefork import WorkerPool

    events: list[Any] = []
    pool = WorkerPool(ROOT / "functions", "127.0.0.1", 0, workers=1, threads=2, report=events.append, max_restarts=1)
    pool.start()
    try:
        first = pool.pids[0]
        os.kill(first, signal.SIGKILL)
        assert wait_until(lambda: pool.check() and pool.pids != [first])
        second = pool.pids[0]
        assert [(e.pid, e.restarted_as) for e in events] == [(first, second)]
        os.kill(second, signal.SIGKILL)
        assert wait_until(lambda: not pool.check())  # a second stop within a minute: more than max_restarts
        assert events[-1].line() == f"API worker 1 (pid {second}) stopped (killed by SIGKILL); gave up"
        assert pool.failure is not None and pool.failure.startswith("API workers stopped 2 times within 60 s")
        assert pool.pids == [] and not alive(second)
    finally:
        pool.stop()
