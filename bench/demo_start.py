"""Benchmark: how long ``consortium run --demo`` (what ``make run`` starts) takes to serve, on a fresh data folder
and on the same folder again, and where a second start spends its time.

Prints figures only (no pass/fail). The goal stated in issue 12: running it again reuses the data folder and
starts in seconds.

Data
----
The sample members of ``members.toml`` (``samples/``: 134 records, 84 works), as a user who clones the
repository has them.

Figures
-------
For each of ``--runs`` (default 3) fresh temporary folders (data folder and key folder):

- first start: ``python -m consortium run --demo --port 0 --json`` in its own process, from starting it to its
  ``{"api": ...}`` line (harvest with progress, dedup, index, demo readers, push run, API listening), and to the
  first answer of ``GET /search?q=algorithms``; then Ctrl-C (SIGINT) and the time until the process has exited;
- second start: the same again over the same folders (every record unchanged, the demo readers kept);
- in-process, a third start's parts over the same folders: the harvest of the unchanged sample files
  (``harvest_all``), and the demo seeding that keeps every reader (``seed_demo``, its push run included);
- the cost of starting the command at all: ``python -m consortium --help``.

Each figure is printed per run, then the best and the worst. The last line printed is one JSON object with the
figures, including ``revision``, the commit measured (``+dirty`` when ``consortium/`` has uncommitted changes).

Run from the repository root::

    .venv/bin/python bench/demo_start.py [--runs R]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests
from harvest import _revision

REPO = Path(__file__).resolve().parents[1]


def _environment(folder: Path) -> dict[str, str]:
    kept = {k: v for k, v in os.environ.items() if not k.startswith("CONSORTIUM_")}
    return {**kept, "CONSORTIUM_DATA_DIR": str(folder / "var"), "CONSORTIUM_KEY_DIR": str(folder / "keys")}


def start(folder: Path) -> dict[str, float]:
    """One ``consortium run --demo`` over ``folder``: seconds to the API line, to the first search answered, and
    from Ctrl-C to exit."""
    began = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "consortium", "run", "--demo", "--port", "0", "--json"],
        cwd=REPO,
        env=_environment(folder),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        address = None
        for line in process.stdout:
            if line.startswith('{"api"'):
                address = json.loads(line)["api"]
                break
        if address is None:
            raise SystemExit("consortium run --demo ended before serving the API")
        ready = time.perf_counter() - began
        answer = requests.get(f"{address}/search", params={"q": "algorithms"}, timeout=60)
        answer.raise_for_status()
        served = time.perf_counter() - began
    finally:
        interrupted = time.perf_counter()
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=60)
    if code != 0:
        raise SystemExit(f"consortium run --demo exited with {code} on Ctrl-C")
    return {"api_ready": ready, "first_search": served, "stop": time.perf_counter() - interrupted}


def parts(folder: Path) -> dict[str, float]:
    """A third start's harvest of unchanged files and its seeding, timed in this process."""
    os.environ.update(_environment(folder))
    from consortium.bootstrap import bootstrap
    from consortium.cli.demo import seed_demo
    from consortium.cli.harvest import harvest_all

    container = bootstrap()
    began = time.perf_counter()
    reports, failed = harvest_all(container)
    harvested = time.perf_counter() - began
    if failed or any(r.counts.added or r.counts.changed for r in reports):
        raise SystemExit("the third harvest was expected to find every record unchanged")
    began = time.perf_counter()
    report = seed_demo(container)
    seeded = time.perf_counter() - began
    if report.created:
        raise SystemExit("the third seeding was expected to keep every demo reader")
    return {"harvest_unchanged": harvested, "seed_kept": seeded}


def command_start() -> float:
    """Seconds to start the command and print its help (imports, no work)."""
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "consortium", "--help"], cwd=REPO, capture_output=True, check=True)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    figures: dict[str, list[float]] = {}

    def keep(prefix: str, values: dict[str, float]) -> None:
        for name, value in values.items():
            figures.setdefault(f"{prefix}{name}", []).append(value)

    for number in range(1, args.runs + 1):
        with tempfile.TemporaryDirectory(prefix="demo-start-") as temporary:
            folder = Path(temporary)
            first = start(folder)
            second = start(folder)
            third = parts(folder)
        keep("first_", first)
        keep("second_", second)
        keep("", third)
        keep("", {"command_start": command_start()})
        print(
            f"run {number}: first start {first['api_ready']:.2f} s to the API ({first['first_search']:.2f} s to a "
            f"search answered, stopped {first['stop']:.2f} s after Ctrl-C); second start {second['api_ready']:.2f} s "
            f"({second['first_search']:.2f} s, stopped {second['stop']:.2f} s after); a third start's harvest of "
            f"unchanged files {third['harvest_unchanged']:.3f} s, seeding that keeps every reader "
            f"{third['seed_kept']:.3f} s",
            flush=True,
        )
    summary: dict[str, Any] = {"revision": _revision(), "runs": args.runs}
    for name, values in figures.items():
        summary[name] = {"best": round(min(values), 3), "worst": round(max(values), 3)}
        print(f"{name}: best {min(values):.3f} s, worst {max(values):.3f} s")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
