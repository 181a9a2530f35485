"""What ``consortium run`` does once it harvested: serve the API and the portal (in this process, or in worker
processes on one port) and run the scheduled jobs here, until Ctrl-C, SIGTERM, or the workers keep stopping; then
stop everything at once, gracefully and within a bound (:func:`serve_hub`)."""

from __future__ import annotations

import json
import logging
import os
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from consortium.adapters.local.folder_queue import FolderQueue
from consortium.cli.api import start_server
from consortium.cli.demo_text import login_lines
from consortium.cli.stopping import when_stopped
from consortium.errors import Interrupted
from consortium.http.prefork import WorkerEvent, WorkerPool
from consortium.http.worker import demo_reader_args
from consortium.ports import system_clock
from consortium.scheduler import Job, JobResult, LocalScheduler

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from consortium.bootstrap import Container
    from consortium.cli.demo import DemoReport
    from consortium.cli.stopping import StopRequest
    from consortium.http.portal import DemoReader

__all__ = ["HANDOVER_EVERY", "HARVEST_STOP", "serve_hub"]

log = logging.getLogger(__name__)

HANDOVER_EVERY = 1.0
"""How often the hub looks for harvests its API workers handed over (seconds)."""
HARVEST_QUEUE_VARIABLE = "CONSORTIUM_HARVEST_QUEUE_DIR"
"""The setting (:attr:`~consortium.config.Settings.harvest_queue_dir`) that sends the API's harvest runs here."""
HARVEST_STOP = 8.0
"""Seconds a stopping hub waits for the harvest a member asked for to stop after its page (it stops sooner)."""


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
    stopping: StopRequest,
) -> None:
    """Serve the API and the portal (in this process with one worker, else in worker processes on one socket) and
    run ``jobs`` here (those named in ``ran`` just ran), until ``stopping`` is set (SIGTERM, Ctrl-C) or the workers
    keep stopping.

    A stop is started everywhere at once: the servers stop taking connections and answer the requests under way,
    the harvest a member asked for stops after its page, and the scheduled job running stops at its next safe
    point (see ``consortium run --help``); then the workers are reaped (killed if still running
    ``stop_timeout`` seconds after they were told).

    ``demo`` (what ``--demo`` seeded) is only for the lines that say how to log in; ``demo_readers`` are whom the
    portal lets anyone log in as."""
    stop = stopping.event
    # The API hands the harvests members ask for to this process's harvest thread: the one process that writes the
    # search index, and the thread a stop reaches.
    handover = FolderQueue((container.settings.data_dir / "queue" / "harvest").resolve())
    harvests = threading.Thread(
        target=_run_handed_over, args=(container, handover, stopping), name="harvests", daemon=True
    )
    if workers == 1:
        with _environment(HARVEST_QUEUE_VARIABLE, str(handover.folder)):  # the apps served here read it
            server, _ = start_server(container, host, port, threads=threads, demo_readers=demo_readers)
            when_stopped(stop, server.request_stop, "api-stop")
            try:
                _announce(f"http://{host}:{server.effective_port}", [], demo, as_json, container)
                harvests.start()
                _run_scheduled(container, jobs, ran, stopping, as_json)
            finally:
                stop.set()  # whatever ended the scheduler: the harvest thread stops too
                server.close()
                _join(harvests)
        return

    def reported(event: WorkerEvent) -> None:
        click.echo(json.dumps(event.as_dict()) if as_json else event.line())

    pool = WorkerPool(
        container.settings.functions_dir,
        host,
        port,
        workers=workers,
        threads=threads,
        report=reported,
        env={HARVEST_QUEUE_VARIABLE: str(handover.folder)},
        args=[f"--portal-dir={container.settings.portal_dir.resolve()}", *demo_reader_args(demo_readers)],
    )
    try:
        when_stopped(stop, pool.signal_stop, "api-workers-stop")
        pool.start(stop)
        if not stop.is_set():
            _announce(f"http://{host}:{pool.port}", pool.pids, demo, as_json, container)
            threading.Thread(target=pool.supervise, args=(stop,), name="api-workers", daemon=True).start()
            harvests.start()
            _run_scheduled(container, jobs, ran, stopping, as_json)
    finally:
        stop.set()  # whatever ended the scheduler: the harvest thread and the workers stop too
        pool.stop()
        _join(harvests)
    if pool.failure is not None:
        raise click.ClickException(pool.failure)


def _join(harvests: threading.Thread) -> None:
    """Wait for the harvest thread (started or not) to have stopped, :data:`HARVEST_STOP` seconds at most."""
    if harvests.ident is None:
        return
    harvests.join(HARVEST_STOP)
    if harvests.is_alive():
        log.warning("the harvest a member asked for did not stop within %.0f s; left to the next start", HARVEST_STOP)


@contextmanager
def _environment(name: str, value: str) -> Iterator[None]:
    """``name`` set to ``value`` in this process's environment meanwhile."""
    before = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


def _run_handed_over(container: Container, handover: FolderQueue, stopping: StopRequest) -> None:
    """Run the harvests members asked for through the API workers, one at a time (each under the data folder's
    writer lock, as the scheduled harvest), until a stop is asked for: the run under way then stops after its
    page (recorded ``interrupted``), and the runs still queued run when the hub starts again."""
    while not stopping.is_set():
        for message in handover.receive(limit=1):  # one at a time: those not taken stay queued
            try:
                container.run_queued_harvest(message, should_stop=stopping.is_set)
            except Interrupted:  # stopped while waiting for the data folder's writer: not begun, queued again
                handover.send([message])
            except Exception:  # one failing run must not stop the next ones
                log.exception("a harvest run a member asked for failed")
            if stopping.is_set():
                return
        if stopping.event.wait(HANDOVER_EVERY):
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
    container: Container, jobs: list[Job], ran: tuple[str, ...], stopping: StopRequest, as_json: bool
) -> None:
    """The local scheduler, until a stop is asked for (the job running stops at its next safe point); the jobs
    named in ``ran`` just ran."""
    scheduler = LocalScheduler(jobs, container.settings.data_dir / "schedule.json")
    for name in ran:
        scheduler.mark(name, system_clock())

    def report(result: JobResult) -> None:
        if as_json:
            line = {"job": result.job, "at": result.at.isoformat(), "ok": result.ok, "summary": result.summary}
            if result.interrupted:
                line["interrupted"] = True
            click.echo(json.dumps(line, ensure_ascii=False))
        else:
            click.echo(f"{result.at:%Y-%m-%d %H:%M} {result.job}: {result.summary}")

    if not as_json:
        click.echo(
            "scheduler running: harvest every 6 hours, push every hour; ranking evidence, retention purge and "
            "analytics report daily (Ctrl-C stops)"
        )
    scheduler.run_forever(stopping.event, report)
    if not as_json:
        click.echo("stopping: the API servers finish the requests under way")
