"""What ``consortium run`` does once it harvested: serve the API and the portal (in this process, or in worker
processes on one port) and run the scheduled jobs here, until Ctrl-C, SIGTERM, or the workers keep stopping."""

from __future__ import annotations

import json
import logging
import signal
import threading
from typing import TYPE_CHECKING

import click

from consortium.adapters.local.folder_queue import FolderQueue
from consortium.cli.api import start_server
from consortium.cli.demo_text import login_lines
from consortium.http.prefork import WorkerEvent, WorkerPool
from consortium.http.worker import demo_reader_args
from consortium.ports import system_clock
from consortium.scheduler import Job, JobResult, LocalScheduler

if TYPE_CHECKING:
    from collections.abc import Sequence

    from consortium.bootstrap import Container
    from consortium.cli.demo import DemoReport
    from consortium.http.portal import DemoReader

__all__ = ["HANDOVER_EVERY", "serve_hub"]

log = logging.getLogger(__name__)

HANDOVER_EVERY = 1.0
"""How often the hub looks for harvests its API workers handed over (seconds)."""


def serve_hub(
    container: Container,
    host: str,
    port: int,
    *,
    workers: int,
    threads: int,
    jobs: list[Job],
    demo: DemoReport | None,
    demo_readers: Sequence[DemoReader],
    ran: tuple[str, ...],
    as_json: bool,
) -> None:
    """Serve the API and the portal (in this process with one worker, else in worker processes on one socket) and
    run ``jobs`` here (those named in ``ran`` just ran), until Ctrl-C, SIGTERM, or the workers keep stopping.

    ``demo`` (what ``--demo`` seeded) is only for the lines that say how to log in; ``demo_readers`` are whom the
    portal lets anyone log in as."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    if workers == 1:
        server, _ = start_server(container, host, port, threads=threads, demo_readers=demo_readers)
        _announce(f"http://{host}:{server.effective_port}", [], demo, as_json, container)
        try:
            _run_scheduled(container, jobs, ran, stop, as_json)
        finally:
            server.close()
        return

    def reported(event: WorkerEvent) -> None:
        click.echo(json.dumps(event.as_dict()) if as_json else event.line())

    # The workers hand the harvests members ask for to this process, the one that writes the search index.
    handover = FolderQueue((container.settings.data_dir / "queue" / "harvest").resolve())
    pool = WorkerPool(
        container.settings.functions_dir,
        host,
        port,
        workers=workers,
        threads=threads,
        report=reported,
        env={"CONSORTIUM_HARVEST_QUEUE_DIR": str(handover.folder)},
        args=[f"--portal-dir={container.settings.portal_dir.resolve()}", *demo_reader_args(demo_readers)],
    )
    try:
        pool.start()
        _announce(f"http://{host}:{pool.port}", pool.pids, demo, as_json, container)
        threading.Thread(target=pool.supervise, args=(stop,), name="api-workers", daemon=True).start()
        threading.Thread(
            target=_run_handed_over, args=(container, handover, stop), name="harvests", daemon=True
        ).start()
        _run_scheduled(container, jobs, ran, stop, as_json)
    finally:
        pool.stop()
    if pool.failure is not None:
        raise click.ClickException(pool.failure)


def _run_handed_over(container: Container, handover: FolderQueue, stop: threading.Event) -> None:
    """Run the harvests members asked for through the API workers, one at a time (each under the data folder's
    writer lock, as the scheduled harvest), until ``stop`` is set; a run left queued when the hub stopped runs
    when it starts again."""
    while True:
        for message in handover.receive():
            try:
                container.run_queued_harvest(message)
            except Exception:  # one failing run must not stop the next ones
                log.exception("a harvest run a member asked for failed")
        if stop.wait(HANDOVER_EVERY):
            return


def _announce(address: str, pids: list[int], demo: DemoReport | None, as_json: bool, container: Container) -> None:
    """Say where the portal and the API are served, how to log in, and by which worker processes."""
    if as_json:
        click.echo(json.dumps({"api": address, "docs": f"{address}/docs", "portal": f"{address}/", "workers": pids}))
        return
    if demo is not None:
        click.echo(f"portal on {address}/ (sign in: {address}/login.html, pick a demo reader or staff account)")
        click.echo(f"API on {address} (reference: {address}/docs); as a demo reader:")
        click.echo("\n".join(login_lines(demo, address)))
    elif container.oidc_provider is not None:
        where = container.oidc_provider.authorize_url
        click.echo(f"portal on {address}/ (readers sign in at {where}; or with a token: consortium login READER)")
    else:
        click.echo(f"portal on {address}/ (sign in with a token: consortium login READER --member M)")
        click.echo(f"API on {address} (reference: {address}/docs)")
    if pids:
        click.echo(f"served by {len(pids)} worker processes (pids {', '.join(map(str, pids))})")


def _run_scheduled(
    container: Container, jobs: list[Job], ran: tuple[str, ...], stop: threading.Event, as_json: bool
) -> None:
    """The local scheduler, until ``stop`` is set (SIGTERM) or Ctrl-C; the jobs named in ``ran`` just ran."""
    scheduler = LocalScheduler(jobs, container.settings.data_dir / "schedule.json")
    for name in ran:
        scheduler.mark(name, system_clock())

    def report(result: JobResult) -> None:
        if as_json:
            line = {"job": result.job, "at": result.at.isoformat(), "ok": result.ok, "summary": result.summary}
            click.echo(json.dumps(line, ensure_ascii=False))
        else:
            click.echo(f"{result.at:%Y-%m-%d %H:%M} {result.job}: {result.summary}")

    if not as_json:
        click.echo(
            "scheduler running: harvest every 6 hours, push every hour; ranking evidence, retention purge and "
            "analytics report daily (Ctrl-C stops)"
        )
    try:
        scheduler.run_forever(stop, report)
    except KeyboardInterrupt:
        pass
    if not as_json:
        click.echo("stopped")
