"""The API under load, over HTTP on 127.0.0.1: ``consortium run`` on the sample members, then concurrent clients
for a fixed time mixing what readers, the portal and member systems do.

Usage: ``python bench/api_load.py [--clients 50] [--seconds 60] [--readers 200] [--data-dir DIR]`` (a temporary
data folder, removed afterwards, unless given).

The hub runs in its own process (``consortium run --port 0``: it harvests the samples, then serves and runs its
scheduled jobs), as an operator starts it, with its defaults (an API worker process per CPU, 32 threads each;
``API_LOAD_WORKERS`` and ``API_LOAD_THREADS`` set ``--workers`` and ``--threads``; ``API_LOAD_HUB_LOG=FILE`` keeps
its stderr); the clients are threads of this process, each with its own HTTP session. Each request is drawn from
the mix:

====================  ======  =============================================================================
kind                  share   request
====================  ======  =============================================================================
search                  45%   ``GET /search`` anonymous: a word of a sample title, or a fielded query, 2 facets
work page               20%   ``GET /works/{id}`` anonymous, a work found by the searches
profile read            15%   ``GET /readers/{id}/profile`` with that reader's token
reader event            10%   ``POST /readers/{id}/events`` (a search or a view) with the reader's token
library event            5%   ``POST /readers/{id}/events`` (a borrow) with their library's API key
member upload            5%   ``POST /members/{id}/events`` a JSON Lines batch of 20 loans, when the hub has the
                              route (else counted with library events)
====================  ======  =============================================================================

An error is any answer but the one expected (2xx), or no answer. Afterwards every reader's export is read back:
every event an answer accepted (``stored``) must be in it; the events missing are printed as ``lost``.
Prints requests/s, errors, p50/p95/p99 per kind and overall, the CPU time the hub's processes and the clients
took per request (Linux), and the load average before and after (the machine may be shared); the last line is
JSON.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from search import latency_summary

ROOT = Path(__file__).resolve().parents[1]
THREADS = os.environ.get("API_LOAD_THREADS")
"""The hub's API threads per worker process (``consortium run --threads``; its default when unset)."""
WORKERS = os.environ.get("API_LOAD_WORKERS")
"""The hub's API worker processes (``consortium run --workers``; its default, the number of CPUs, when unset)."""
HUB_LOG = os.environ.get("API_LOAD_HUB_LOG")
"""A file for the hub's stderr (its warnings and errors); by default it is not kept."""
MEMBERS = ("riverside", "lakeside", "eastlake", "westfield")
MIX = (
    ("search", 45),
    ("work page", 20),
    ("profile read", 15),
    ("reader event", 10),
    ("library event", 5),
    ("member upload", 5),
)


def hub_arguments() -> list[str]:
    """The ``consortium run`` command line the bench starts."""
    options = (["--workers", WORKERS] if WORKERS else []) + (["--threads", THREADS] if THREADS else [])
    return ["consortium", "run", "--json", "--port", "0", *options]


def start_hub(data_dir: Path) -> tuple[subprocess.Popen[str], str, int]:
    """``consortium run`` on the samples; the API's address once it serves, and its worker processes (1: the
    hub's own)."""
    env = {**os.environ, "CONSORTIUM_DATA_DIR": str(data_dir / "var"), "CONSORTIUM_KEY_DIR": str(data_dir / "keys")}
    log = Path(HUB_LOG).open("w", encoding="utf-8") if HUB_LOG else subprocess.DEVNULL
    process = subprocess.Popen(
        [sys.executable, "-m", *hub_arguments()],
        env=env,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        cwd=ROOT,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith('{"api"'):
            started = json.loads(line)
            return process, started["api"], max(1, len(started.get("workers", [])))
    process.kill()
    raise SystemExit("the hub stopped before serving")


def hub_command(data_dir: Path, *args: str) -> str:
    """A ``consortium`` command on the same data folder; its stdout."""
    env = {**os.environ, "CONSORTIUM_DATA_DIR": str(data_dir / "var"), "CONSORTIUM_KEY_DIR": str(data_dir / "keys")}
    done = subprocess.run(
        [sys.executable, "-m", "consortium", *args], env=env, capture_output=True, text=True, check=True, cwd=ROOT
    )
    return done.stdout.strip()


class Load:
    """The shared state of the clients: readers and their tokens, keys, works found, results."""

    def __init__(self, base: str, data_dir: Path, readers: int, seed: int) -> None:
        self.base = base
        self.random = random.Random(seed)
        self.keys = {
            member: hub_command(data_dir, "members", "key", "create", member, "--label", "load") for member in MEMBERS
        }
        self.readers: list[tuple[str, str]] = []  # (reader id, member)
        self.tokens: dict[str, str] = {}
        session = requests.Session()
        for n in range(readers):
            member = MEMBERS[n % len(MEMBERS)]
            reader_id = f"load-{n:04}"
            body = {"reader_id": reader_id, "member": member, "consents": ["personalization"]}
            answer = session.post(f"{base}/readers", json=body, headers={"X-Api-Key": self.keys[member]}, timeout=30)
            answer.raise_for_status()
            self.readers.append((reader_id, member))
            self.tokens[reader_id] = hub_command(data_dir, "login", reader_id, "--member", member, "--hours", "4")
        found = session.get(f"{base}/search", params={"q": "", "page_size": "100"}, timeout=30).json()["hits"]
        self.works = [hit["cluster_id"] for hit in found]
        words = {w for hit in found for w in re.findall(r"\w{4,}", hit["title"])}
        self.words = sorted(words) or ["library"]
        self.upload_route = (
            "/members/{member_id}/events" in session.get(f"{base}/openapi.json", timeout=30).json()["paths"]
        )
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.error_samples: list[str] = []
        self.accepted: dict[str, set[str]] = defaultdict(set)
        self.lock = threading.Lock()

    def request(self, session: requests.Session, rng: random.Random) -> None:
        kind = rng.choices([k for k, _ in MIX], [w for _, w in MIX])[0]
        if kind == "member upload" and not self.upload_route:
            kind = "library event"
        reader_id, member = rng.choice(self.readers)
        reader = {"Authorization": f"Bearer {self.tokens[reader_id]}"}
        at = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() - 60))
        event_id = uuid.uuid4().hex
        work = rng.choice(self.works)
        sent: list[tuple[str, str]] = []  # (reader, event id) the answer should accept
        answer: requests.Response | None = None
        started = time.perf_counter()
        try:
            if kind == "search":
                word = rng.choice(self.words)
                q = word if rng.random() < 0.7 else f"title:{word}"
                answer = session.get(f"{self.base}/search", params={"q": q, "facet": ["member", "year"]}, timeout=30)
            elif kind == "work page":
                answer = session.get(f"{self.base}/works/{work}", params={"member": member}, timeout=30)
            elif kind == "profile read":
                answer = session.get(f"{self.base}/readers/{reader_id}/profile", headers=reader, timeout=30)
            elif kind == "reader event":
                body: dict[str, Any] = {"event_id": event_id, "type": "view", "at": at, "cluster_id": work}
                answer = session.post(f"{self.base}/readers/{reader_id}/events", json=body, headers=reader, timeout=30)
                sent = [(reader_id, event_id)]
            elif kind == "library event":
                body = {"event_id": event_id, "type": "borrow", "at": at, "cluster_id": work}
                key = {"X-Api-Key": self.keys[member]}
                answer = session.post(f"{self.base}/readers/{reader_id}/events", json=body, headers=key, timeout=30)
                sent = [(reader_id, event_id)]
            else:
                mine = [r for r, m in self.readers if m == member]
                lines = []
                for _ in range(20):
                    who = rng.choice(mine)
                    line_id = uuid.uuid4().hex
                    lines.append(
                        {"reader_id": who, "event_id": line_id, "type": "borrow", "at": at, "cluster_id": work}
                    )
                    sent.append((who, line_id))
                data = "\n".join(json.dumps(line) for line in lines)
                headers = {"X-Api-Key": self.keys[member], "Content-Type": "application/x-ndjson"}
                answer = session.post(f"{self.base}/members/{member}/events", data=data, headers=headers, timeout=30)
            elapsed = (time.perf_counter() - started) * 1000
            ok = 200 <= answer.status_code < 300
            detail = f"{kind}: {answer.status_code} {answer.text[:200]}"
        except requests.RequestException as exc:
            elapsed, ok, answer = (time.perf_counter() - started) * 1000, False, None
            detail = f"{kind}: {exc}"
        with self.lock:
            self.latencies[kind].append(elapsed)
            if not ok:
                self.errors[kind] += 1
                if len(self.error_samples) < 5:
                    self.error_samples.append(detail)
                return
        if answer is not None and sent:
            self._remember(kind, answer.json(), sent)

    def _remember(self, kind: str, answer: dict[str, Any], sent: list[tuple[str, str]]) -> None:
        with self.lock:
            if kind == "member upload":
                for number, line in enumerate(answer.get("lines", []), start=1):
                    if line.get("status") in ("stored", "duplicate"):
                        reader_id, event_id = sent[number - 1]
                        self.accepted[reader_id].add(event_id)
            elif answer.get("outcome") == "stored":
                reader_id, event_id = sent[0]
                self.accepted[reader_id].add(event_id)

    def lost(self) -> int:
        """Accepted events missing from their reader's export."""
        session = requests.Session()
        missing = 0
        for reader_id, event_ids in self.accepted.items():
            headers = {"Authorization": f"Bearer {self.tokens[reader_id]}"}
            export = session.get(f"{self.base}/readers/{reader_id}/export", headers=headers, timeout=60).json()
            kept = {event["event_id"] for event in export.get("events", [])}
            missing += len(event_ids - kept)
        return missing


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds (user and system) used so far by process ``pid`` and its live descendants (Linux ``/proc``;
    0 elsewhere): the hub and its API workers."""
    tick = os.sysconf("SC_CLK_TCK")
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{current}/task").iterdir():
                pending.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, IndexError, ValueError):
            continue
    return total


def run_clients(load: Load, clients: int, seconds: float, seed: int) -> float:
    """Run ``clients`` threads for ``seconds``; the time they took."""
    stop = time.monotonic() + seconds
    seeds = itertools.count(seed)

    def client(own_seed: int) -> None:
        rng = random.Random(own_seed)
        session = requests.Session()
        while time.monotonic() < stop:
            load.request(session, rng)

    threads = [threading.Thread(target=client, args=(next(seeds),)) for _ in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--readers", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data-dir", type=Path)
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="api-load-"))
    process, base, workers = start_hub(data_dir)
    try:
        load = Load(base, data_dir, args.readers, args.seed)
        hub_cpu, own_cpu, load_before = tree_cpu_seconds(process.pid), time.process_time(), os.getloadavg()
        took = run_clients(load, args.clients, args.seconds, args.seed)
        hub_cpu, own_cpu = tree_cpu_seconds(process.pid) - hub_cpu, time.process_time() - own_cpu
        load_after = os.getloadavg()
        lost = load.lost()
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        if args.data_dir is None:
            shutil.rmtree(data_dir, ignore_errors=True)
    every = [ms for values in load.latencies.values() for ms in values]
    result: dict[str, Any] = {
        "hub": " ".join(hub_arguments()),
        "workers": workers,
        "clients": args.clients,
        "seconds": round(took, 1),
        "requests": len(every),
        "requests_per_s": round(len(every) / took, 1),
        "errors": sum(load.errors.values()),
        "events_accepted": sum(len(ids) for ids in load.accepted.values()),
        "events_lost": lost,
        "member_upload_route": load.upload_route,
        "cpu_ms_per_request": {
            "hub": round(1000 * hub_cpu / max(len(every), 1), 2),
            "clients": round(1000 * own_cpu / max(len(every), 1), 2),
        },
        "load_average_1m": [round(load_before[0], 2), round(load_after[0], 2)],
        "overall": latency_summary(every),
        "by_kind": {
            kind: latency_summary(ms) | {"n": len(ms), "errors": load.errors[kind]}
            for kind, ms in sorted(load.latencies.items())
        },
    }
    print(f"{result['hub']}: {workers} API worker process(es)")
    print(
        f"{result['requests']} requests in {result['seconds']} s by {args.clients} clients: "
        f"{result['requests_per_s']} requests/s, {result['errors']} errors"
    )
    for kind, figures in result["by_kind"].items():
        print(
            f"  {kind:14} n={figures['n']:6}  p50 {figures['p50_ms']:7.1f} ms  p95 {figures['p95_ms']:7.1f} ms  "
            f"p99 {figures['p99_ms']:7.1f} ms  errors {figures['errors']}"
        )
    print(f"events accepted {result['events_accepted']}, lost {lost}")
    cpu = result["cpu_ms_per_request"]
    print(
        f"CPU per request: hub {cpu['hub']} ms, these clients {cpu['clients']} ms; "
        f"load average (1 min) {result['load_average_1m'][0]} before, {result['load_average_1m'][1]} after"
    )
    for sample in load.error_samples:
        print(f"  error: {sample}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
