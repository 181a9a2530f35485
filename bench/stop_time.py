"""Benchmark: how long ``consortium run`` takes from SIGTERM (a service manager's stop) or SIGINT (Ctrl-C) to its
exit, with the scheduled jobs running, and with a harvest waiting for a slow server, optionally under CPU load.

Prints figures only (no pass/fail). The goal: a stop well inside the 10 s a service manager (Docker's default
grace period) gives before SIGKILL, whatever the hub is doing.

Scenarios, each ``--runs`` times per signal, each in a fresh data folder:

- ``scheduled``: the sample members (``members.toml``), ``consortium run --json --port 0`` (one API worker process
  per CPU); the signal as soon as the scheduler reports its push job (the purge and the analytics report may be
  running then). The scenario of a CI run that once did not stop within 30 s.
- ``harvesting``: one member whose OAI-PMH source (a small server in this process, on 127.0.0.1) answers two
  pages of five records and holds the third for a minute; the signal once the two pages are committed (the
  harvest at start is waiting for the third page).

``--load N`` runs N busy loops in other processes meanwhile (a loaded CI machine: 6 loops on 2 cores leave the
hub about a quarter of a core). ``--root PATH`` times the ``consortium`` of another checkout (e.g. the commit
before the change), from that folder.

Each stop is printed as it happens, then the best and the worst per scenario and signal. The last line printed is
one JSON object with the figures and ``revision``, the commit measured (``+dirty`` when ``consortium/`` has
uncommitted changes). A stop still running after ``--bound`` seconds (default 60) is killed and counted as that.

Run from the repository root::

    .venv/bin/python bench/stop_time.py [--runs R] [--load N] [--root PATH] [--scenario S]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

from harvest import _revision

REPO = Path(__file__).resolve().parents[1]
PAGE = 5
"""Records a page of the slow server."""
HOLD = 60.0
"""Seconds the slow server holds its third page."""


def _environment(folder: Path, root: Path) -> dict[str, str]:
    kept = {k: v for k, v in os.environ.items() if not k.startswith("CONSORTIUM_") and k != "PYTHONPATH"}
    return {
        **kept,
        "PYTHONPATH": str(root),
        "CONSORTIUM_DATA_DIR": str(folder / "var"),
        "CONSORTIUM_KEY_DIR": str(folder / "keys"),
    }


class SlowOai:
    """An OAI-PMH server of ``ListRecords`` only (MARCXML), two pages at once, the third held for :data:`HOLD` s
    (or until :meth:`close`)."""

    def __init__(self) -> None:
        self.released = threading.Event()
        served = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = parse_qs(urlsplit(self.path).query)
                page = int(query.get("resumptionToken", ["1"])[0])
                if page >= 3:
                    served.released.wait(HOLD)
                body = _page(page, f"http://127.0.0.1:{served.port}/oai").encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "text/xml; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:  # the hub stopped without waiting for the page held: as it should
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.released.set()
        self._server.shutdown()
        self._server.server_close()


def _page(page: int, url: str) -> str:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    records = []
    for n in range((page - 1) * PAGE, page * PAGE):
        at = (start + timedelta(hours=n)).strftime("%Y-%m-%dT%H:%M:%SZ")
        records.append(
            f"<record><header><identifier>oai:slow:{n}</identifier><datestamp>{at}</datestamp></header><metadata>"
            '<record xmlns="http://www.loc.gov/MARC21/slim"><leader>00000nam a2200000 a 4500</leader>'
            f'<controlfield tag="001">slow{n}</controlfield>'
            f'<datafield tag="245" ind1="0" ind2="0"><subfield code="a">{escape(f"Slow book {n}")}</subfield>'
            "</datafield></record></metadata></record>"
        )
    token = f"<resumptionToken>{page + 1}</resumptionToken>" if page < 6 else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
        f'<responseDate>2026-01-01T00:00:00Z</responseDate><request verb="ListRecords">{url}</request>'
        f"<ListRecords>{''.join(records)}{token}</ListRecords></OAI-PMH>"
    )


def _stop(process: subprocess.Popen[Any], signum: signal.Signals, bound: float) -> tuple[float, int]:
    """Send ``signum``: seconds until the process exited, and its status (killed at ``bound``)."""
    sent = time.perf_counter()
    process.send_signal(signum)
    try:
        code = process.wait(timeout=bound)
    except subprocess.TimeoutExpired:
        process.kill()
        code = process.wait()
    return time.perf_counter() - sent, code


def scheduled(folder: Path, root: Path, signum: signal.Signals, bound: float) -> tuple[float, int]:
    """The sample members served, the signal once the push job ran."""
    process = subprocess.Popen(
        [sys.executable, "-m", "consortium", "run", "--json", "--port", "0"],
        cwd=root,
        env={**_environment(folder, root), "CONSORTIUM_MEMBERS_FILE": str(REPO / "members.toml")},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith('{"job"') and json.loads(line)["job"] == "push":
            break
    else:
        raise SystemExit(f"consortium run ended before its push job (exit status {process.wait()})")
    return _stop(process, signum, bound)


def harvesting(folder: Path, root: Path, signum: signal.Signals, bound: float) -> tuple[float, int]:
    """A harvest waiting for the slow server's third page, the signal once two pages are committed."""
    server = SlowOai()
    members = folder / "members.toml"
    members.parent.mkdir(parents=True, exist_ok=True)
    members.write_text(
        '[[members]]\nid = "slow"\nname = "Slow"\n\n[[members.sources]]\nid = "oai"\nprotocol = "oai-pmh"\n'
        f'url = "http://127.0.0.1:{server.port}/oai"\nformat = "marcxml"\n',
        encoding="utf-8",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "consortium", "run", "--json", "--port", "0"],
        cwd=root,
        env={**_environment(folder, root), "CONSORTIUM_MEMBERS_FILE": str(members)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_pages(folder / "var" / "consortium.sqlite3", process)
        return _stop(process, signum, bound)
    finally:
        server.close()


def _wait_for_pages(database: Path, process: subprocess.Popen[bytes]) -> None:
    """Until two pages of the slow source are committed (its checkpoint's counts), read without the hub's code."""
    import sqlite3

    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        if database.exists():
            try:
                with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as db:
                    found = db.execute("SELECT COUNT(*) FROM records WHERE member = 'slow'").fetchone()
            except sqlite3.Error:
                found = None
            if found is not None and found[0] >= 2 * PAGE:
                return
        time.sleep(0.05)
    raise SystemExit(f"the harvest did not commit two pages (exit status {process.poll()})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--load", type=int, default=0, help="busy loops in other processes meanwhile")
    parser.add_argument("--root", type=Path, default=REPO, help="the checkout whose consortium is timed")
    parser.add_argument("--scenario", choices=["scheduled", "harvesting", "both"], default="both")
    parser.add_argument("--bound", type=float, default=60.0, help="seconds after which a stop is killed")
    args = parser.parse_args()
    root = args.root.resolve()
    chosen = {"scheduled": scheduled, "harvesting": harvesting}
    if args.scenario != "both":
        chosen = {args.scenario: chosen[args.scenario]}
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.load)]
    figures: dict[str, list[float]] = {}
    codes: dict[str, list[int]] = {}
    try:
        for number in range(1, args.runs + 1):
            for name, scenario in chosen.items():
                for signum in (signal.SIGTERM, signal.SIGINT):
                    with tempfile.TemporaryDirectory(prefix="stop-time-") as temporary:
                        took, code = scenario(Path(temporary), root, signum, args.bound)
                    key = f"{name}_{signum.name}"
                    figures.setdefault(key, []).append(took)
                    codes.setdefault(key, []).append(code)
                    print(f"run {number}: {name}, {signum.name}: exit status {code} after {took:.2f} s", flush=True)
    finally:
        for process in busy:
            process.kill()
            process.wait()
    revision = _revision() if root == REPO else f"{root} (another checkout)"
    summary: dict[str, Any] = {"revision": revision, "runs": args.runs, "load": args.load, "cpus": os.cpu_count()}
    for key, values in figures.items():
        summary[key] = {"best": round(min(values), 2), "worst": round(max(values), 2), "exit": codes[key]}
        print(f"{key}: best {min(values):.2f} s, worst {max(values):.2f} s, exit statuses {codes[key]}")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
