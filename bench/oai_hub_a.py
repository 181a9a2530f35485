"""Hub A of ``bench/oai_provider.py``: made-up works in a hub's data folder, served over OAI-PMH on 127.0.0.1,
either by ``consortium run`` in a process of its own (as another hub is) or by waitress in the bench's process.

Hub A
    ``count`` works of four members, made up: English and Chinese titles, one to four authors, an ISBN each,
    subjects, classes, one to three members' shelf holdings (some online), saved straight into the SQLite
    cluster store of a hub data folder (how A got them is not measured), with a registry of the four members
    (no sources: A harvests nothing).
"""

from __future__ import annotations

import json
import os
import queue
import random
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from consortium.catalogue_out import PublishedCatalogue
    from consortium.models import Cluster

__all__ = ["MEMBERS", "HubA", "make_works", "serve_in_process"]

REPO = Path(__file__).resolve().parents[1]
MEMBERS = ("riverside", "lakeside", "eastlake", "westfield")
WORDS = (
    "history", "introduction", "theory", "practice", "systems", "library", "science", "modern", "chinese",
    "poetry", "networks", "economics", "design", "culture", "methods", "algorithms", "mathematics", "music",
)  # fmt: skip
CHINESE = ("历史", "文学", "科学", "方法", "中国", "研究", "艺术", "经济", "哲学", "数学", "音乐", "设计")
T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
STARTING = 120.0
"""Seconds hub A may take to start serving (and to run its first scheduled jobs)."""


def isbn13(number: int) -> str:
    digits = f"978{number:09d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits))
    return digits + str((10 - total % 10) % 10)


def make_works(count: int, seed: int = 11) -> list[Cluster]:
    """``count`` distinct works with the usual fields, held by one to three members."""
    from consortium.models import Availability, Classification, ClassScheme, Cluster, Holding, Identifier

    rng = random.Random(seed)
    works = []
    for n in range(count):
        chinese = n % 5 == 0
        title = ("".join(rng.sample(CHINESE, 3)) if chinese else " ".join(rng.sample(WORDS, 4)).capitalize()) + f" {n}"
        holders = sorted(rng.sample(MEMBERS, rng.choice((1, 1, 2, 3))))
        holdings = [Holding(member=m, location=f"{m} main", call_number=f"QA{n % 900}.{n}",
                            availability=rng.choice(list(Availability))) for m in holders]  # fmt: skip
        if n % 7 == 0:
            holdings.append(Holding(member=holders[0], url=f"https://ebooks.example/{n}", coverage="2001-"))
        works.append(
            Cluster(
                cluster_id=f"{n:08x}{rng.getrandbits(96):024x}",
                records=[(m, f"{m}-{n}") for m in holders],
                format="book",
                title=title,
                subtitle=None if n % 3 else f"a study in {rng.choice(WORDS)}",
                authors=[f"Author{rng.randrange(5000)}, {rng.choice('ABCDEFGH')}." for _ in range(rng.randint(1, 4))],
                publisher=rng.choice(("MIT Press", "人民文学出版社", "Springer", "O'Reilly")),
                year=1950 + n % 75,
                language="chi" if chinese else "eng",
                pages=100 + n % 900,
                identifiers=[Identifier(scheme="isbn", value=isbn13(200_000_000 + n))],
                subjects=[f"{rng.choice(WORDS).capitalize()} — {rng.choice(WORDS)}" for _ in range(rng.randint(0, 3))],
                classifications=[Classification(scheme=ClassScheme.CLC, code=f"TP{n % 400}")],
                holdings=holdings,
                first_seen=T0,
                updated_at=T0 + timedelta(seconds=n // 100),
            )
        )
    return works


class HubA:
    """Hub A's data folder under ``folder``: ``var/`` (its SQLite cluster store), ``keys/``, ``members.toml``."""

    def __init__(self, folder: Path, count: int) -> None:
        from consortium.adapters.local import SqliteClusterStore
        from consortium.dedup.state import ClusterChange

        self.folder = folder
        (folder / "var").mkdir(parents=True)
        self.database = folder / "var" / "consortium.sqlite3"
        self.registry = folder / "members.toml"
        self.registry.write_text("".join(f'[[members]]\nid = "{m}"\nname = "{m.capitalize()}"\n\n' for m in MEMBERS))
        clusters = SqliteClusterStore.open(self.database)
        try:
            works = make_works(count)
            for start in range(0, len(works), 2000):
                clusters.apply(ClusterChange(saved=works[start : start + 2000], at=T0))
        finally:
            clusters.close()
        self._process: subprocess.Popen[str] | None = None

    def catalogue(self, page_size: int = 200) -> tuple[PublishedCatalogue, Callable[[], None]]:
        """A's works as its provider publishes them, read in this process (any thread); and how to close it."""
        from consortium.adapters.local import SqliteClusterStore
        from consortium.adapters.local.sqlite_common import open_database
        from consortium.catalogue_out import PublishedCatalogue, PublishedMember

        clusters = open_database(self.database, "cluster database", SqliteClusterStore, check_same_thread=False)
        members = tuple(PublishedMember(m, m.capitalize()) for m in MEMBERS)
        key = os.urandom(32)
        return PublishedCatalogue(
            clusters=clusters, token_key=key, members=members, page_size=page_size
        ), clusters.close

    def start(self, threads: int = 8) -> str:
        """``consortium run`` of hub A in its own process, on a free port of 127.0.0.1: its ``/oai`` URL, once it
        serves and has run its first scheduled jobs (push and purge run when the hub starts)."""
        env = {
            **os.environ,
            "CONSORTIUM_DATA_DIR": str(self.folder / "var"),
            "CONSORTIUM_KEY_DIR": str(self.folder / "keys"),
            "CONSORTIUM_MEMBERS_FILE": str(self.registry),
        }
        command = [sys.executable, "-m", "consortium", "run", "--json", "--port", "0", "--threads", str(threads)]
        errors = self.folder / "hub-a.stderr"
        with errors.open("wb") as stderr:
            process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=stderr, text=True, cwd=REPO)
        self._process = process
        lines: queue.Queue[str] = queue.Queue()

        def read() -> None:
            for line in process.stdout or ():
                lines.put(line)
            lines.put("")  # the process closed its output: it stopped

        threading.Thread(target=read, daemon=True).start()
        api, jobs, deadline = None, set(), time.monotonic() + STARTING
        while api is None or not {"push", "purge"} <= jobs:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if not line:
                api = None
                break
            data: dict[str, Any] = json.loads(line) if line.startswith(('{"api"', '{"job"')) else {}
            api = data.get("api", api)
            jobs.add(data.get("job"))
        if api is None:
            self.stop()
            raise SystemExit(f"hub A did not serve: {errors.read_text(errors='replace')[-2000:]}")
        return f"{api}/oai"

    def stop(self) -> None:
        """Stop hub A's process (SIGTERM, as an operator does), if it runs."""
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None


def serve_in_process(catalogue: PublishedCatalogue) -> tuple[str, Callable[[], None]]:
    """A's ``/oai`` on waitress in this process (one worker thread) on 127.0.0.1, through a WSGI adapter of a
    few lines, as the tests serve it: its URL, and how to stop it."""
    from waitress.server import create_server
    from waitress.wasyncore import close_all

    from consortium.catalogue_out import handle_oai

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        base = f"http://{environ['HTTP_HOST']}{environ['PATH_INFO']}"
        response = handle_oai(environ.get("QUERY_STRING", "").encode("latin-1"), base, catalogue)
        start_response("200 OK", [("Content-Type", response.content_type), ("Content-Length", str(len(response.body)))])
        return [response.body]

    server: Any = create_server(app, host="127.0.0.1", port=0, threads=1)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()

    def stop() -> None:
        server.task_dispatcher.shutdown()
        server.trigger.pull_trigger(lambda: close_all(server._map))
        thread.join(timeout=10)

    return f"http://127.0.0.1:{server.effective_port}/oai", stop
