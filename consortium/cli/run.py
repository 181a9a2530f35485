"""``consortium run``: the whole hub on one machine, a harvest and its summary, then the scheduled jobs."""

from __future__ import annotations

import datetime as dt
import json
import logging
import signal
import threading
from typing import TYPE_CHECKING, Any

import click

from consortium.adapters.local.folder_queue import FolderQueue
from consortium.cli.api import start_server
from consortium.cli.common import emit, json_option, writing
from consortium.cli.harvest import harvest_all, report_line
from consortium.cli.next_steps import next_steps
from consortium.http.prefork import WorkerEvent, WorkerPool, default_workers
from consortium.ports import system_clock
from consortium.scheduler import Job, JobResult, LocalScheduler

if TYPE_CHECKING:
    from consortium.bootstrap import Container
    from consortium.harvest.service import HarvestReport
    from consortium.harvest.sweep import SourceFailure

__all__ = ["HANDOVER_EVERY", "HARVEST_EVERY", "PURGE_EVERY", "PUSH_EVERY", "SHOWN_SHARED", "run"]

log = logging.getLogger(__name__)

HARVEST_EVERY = dt.timedelta(hours=6)
PUSH_EVERY = dt.timedelta(hours=1)
PURGE_EVERY = dt.timedelta(days=1)


HANDOVER_EVERY = 1.0
"""How often the hub looks for harvests its API workers handed over (seconds)."""

SHOWN_SHARED = 5
"""How many of the works held by the most members the text summary names."""


def _summary(
    container: Container, reports: list[HarvestReport], failed: list[SourceFailure]
) -> tuple[dict[str, Any], list[str]]:
    """What ``run`` reports after harvesting, as JSON data and as lines of text: every figure is a count the
    stores keep (no record or cluster is read, but the few shared works the text names). Sources that failed
    are listed with their member, source and error."""
    records, clusters = container.record_store, container.cluster_store
    per_member = {m.id: records.count(m.id) for m in container.registry.members}
    formats = {fmt.value: count for fmt, count in sorted(records.count_by_format().items())}
    data = {
        "runs": [r.as_dict() for r in reports],
        "failed": [f.as_dict() for f in failed],
        "clusters": clusters.count(),
        "clusters_held_by_several_members": clusters.count_shared(),
        "records_per_member": per_member,
        "records_per_format": formats,
        "quarantined": records.count_quarantined(),
        "data_dir": str(container.settings.data_dir.resolve()),
    }
    lines = [
        *(report_line(report) for report in reports),
        *(failure.line() for failure in failed),
        "records per member: " + ", ".join(f"{k} {v}" for k, v in per_member.items()),
        "records per format: " + ", ".join(f"{k} {v}" for k, v in formats.items()),
        f"works (clusters): {data['clusters']}, held by several members: {data['clusters_held_by_several_members']}",
        *(
            f"  {cluster.title} ({cluster.year or 'n.d.'}): {', '.join(cluster.members)}"
            for cluster in clusters.most_shared(SHOWN_SHARED)
        ),
        f"quarantined: {data['quarantined']} (see: consortium quarantine)",
        f"state kept in {data['data_dir']}",
    ]
    return data, lines


@click.command()
@click.option("--once", is_flag=True, help="Harvest and report, then stop (no API server, no scheduled jobs).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Where the API listens.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="The API's port.")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    help="API server processes sharing the port [default: the number of CPUs]; 1 serves in the hub's own process.",
)
@click.option(
    "--threads",
    default=32,
    show_default=True,
    type=click.IntRange(1, 128),
    help="Threads of each API server process, each with its own import of the apps (like a Lambda environment). "
    "A request waiting for the database's write lock holds a thread without using the CPU: with a thread per "
    "connection, searches and pages go past the writes waiting.",
)
@json_option()
@click.pass_obj
def run(
    container: Container, *, once: bool, host: str, port: int, workers: int | None, threads: int, as_json: bool
) -> None:
    """Run the hub on this machine: harvest every member (clustering and indexing as it goes) and report what
    was harvested and how it deduplicated; then, unless --once, serve the API on http://HOST:PORT (the same
    Chalice apps as on AWS; its description at /docs) and keep running the scheduled jobs (harvest every
    6 hours, the push job every hour, the retention purge every day) until interrupted.

    The API is served by --workers processes sharing the port (a worker that stops is reported and started
    again); the scheduled jobs run once, in this process. Ctrl-C or SIGTERM stops the jobs and every worker.

    A source that fails is reported (member, source, error) and the others run; the scheduled harvest retries
    it with backoff. With --once, the exit status is 1 when a source failed."""
    container.check_key_location()  # a refusal comes before any work, not at the first reader an hour later
    with writing(container):
        reports, failed = harvest_all(container)
    data, lines = _summary(container, reports, failed)
    emit(data, as_json, lambda: click.echo("\n".join([*lines, *next_steps(container)])))
    if not once:
        _serve(container, host, port, workers=workers or default_workers(), threads=threads, as_json=as_json)
    elif data["failed"]:
        raise click.exceptions.Exit(1)


def _jobs(container: Container) -> list[Job]:
    """The scheduled jobs: harvest, push and the retention purge, each returning a one-line summary."""

    def harvest(now: dt.datetime) -> str:
        with writing(container):
            reports, failed = harvest_all(container, honour_backoff=True, clock=lambda: now)
        added = sum(r.counts.added + r.counts.changed for r in reports)
        summary = f"{len(reports)} sources, {added} records added or changed"
        tried = [f for f in failed if not f.skipped]
        waiting = [f for f in failed if f.skipped]
        if tried:
            summary += "; failed: " + "; ".join(f"{f.member}/{f.source}: {f.error}" for f in tried)
        if waiting:
            summary += "; waiting to retry: " + ", ".join(f"{f.member}/{f.source}" for f in waiting)
        return summary

    def push_job(now: dt.datetime) -> str:
        data = container.push.run(now=now).as_dict()
        return f"{data['digests_planned']} digests planned, {sum(data['delivered'].values())} delivered"

    def purge(now: dt.datetime) -> str:
        return f"{container.profiles.purge_expired(now)} expired items deleted"

    return [Job("harvest", HARVEST_EVERY, harvest), Job("push", PUSH_EVERY, push_job), Job("purge", PURGE_EVERY, purge)]


def _serve(container: Container, host: str, port: int, *, workers: int, threads: int, as_json: bool) -> None:
    """Serve the API (in this process with one worker, else in worker processes on one socket) and run the
    scheduled jobs here, until Ctrl-C, SIGTERM, or the workers keep stopping."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    if workers == 1:
        server, _ = start_server(container, host, port, threads=threads)
        _announce(f"http://{host}:{server.effective_port}", [], as_json)
        try:
            _run_scheduled(container, stop, as_json)
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
    )
    try:
        pool.start()
        _announce(f"http://{host}:{pool.port}", pool.pids, as_json)
        threading.Thread(target=pool.supervise, args=(stop,), name="api-workers", daemon=True).start()
        threading.Thread(
            target=_run_handed_over, args=(container, handover, stop), name="harvests", daemon=True
        ).start()
        _run_scheduled(container, stop, as_json)
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


def _announce(address: str, pids: list[int], as_json: bool) -> None:
    """Say where the API is served, and by which worker processes."""
    if as_json:
        click.echo(json.dumps({"api": address, "docs": f"{address}/docs", "workers": pids}))
        return
    click.echo(f"API on {address} (reference: {address}/docs; a token: consortium login READER --member M)")
    if pids:
        click.echo(f"served by {len(pids)} worker processes (pids {', '.join(map(str, pids))})")


def _run_scheduled(container: Container, stop: threading.Event, as_json: bool) -> None:
    """The local scheduler, until ``stop`` is set (SIGTERM) or Ctrl-C."""
    scheduler = LocalScheduler(_jobs(container), container.settings.data_dir / "schedule.json")
    scheduler.mark("harvest", system_clock())  # it just ran

    def report(result: JobResult) -> None:
        if as_json:
            line = {"job": result.job, "at": result.at.isoformat(), "ok": result.ok, "summary": result.summary}
            click.echo(json.dumps(line, ensure_ascii=False))
        else:
            click.echo(f"{result.at:%Y-%m-%d %H:%M} {result.job}: {result.summary}")

    if not as_json:
        click.echo("scheduler running: harvest every 6 hours, push every hour, retention purge daily (Ctrl-C stops)")
    try:
        scheduler.run_forever(stop, report)
    except KeyboardInterrupt:
        pass
    if not as_json:
        click.echo("stopped")
