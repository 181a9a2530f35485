"""``consortium run``: the whole hub on one machine, a harvest and its summary, then the scheduled jobs."""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

import click

from consortium.auth.callers import StaffRole
from consortium.cli.common import command_name, emit, json_option, writing
from consortium.cli.demo import seed_demo
from consortium.cli.demo_text import demo_lines, login_command, login_lines
from consortium.cli.harvest import harvest_all, report_line
from consortium.cli.next_steps import next_steps
from consortium.cli.serve import serve_hub
from consortium.cli.stopping import StopRequest
from consortium.errors import Interrupted
from consortium.http.portal import DemoReader as PortalLogin
from consortium.http.prefork import check_address, default_workers
from consortium.scheduler import Job

if TYPE_CHECKING:
    from collections.abc import Callable

    from consortium.bootstrap import Container
    from consortium.cli.demo import DemoReport
    from consortium.harvest.service import HarvestReport
    from consortium.harvest.sweep import SourceFailure

__all__ = [
    "ANALYTICS_EVERY",
    "DEMO_STAFF_ROLES",
    "EVIDENCE_EVERY",
    "HARVEST_EVERY",
    "PURGE_EVERY",
    "PUSH_EVERY",
    "SHOWN_SHARED",
    "demo_staff",
    "run",
    "staff_lines",
]

log = logging.getLogger(__name__)

HARVEST_EVERY = dt.timedelta(hours=6)
PUSH_EVERY = dt.timedelta(hours=1)
PURGE_EVERY = dt.timedelta(days=1)
ANALYTICS_EVERY = dt.timedelta(days=1)
"""The analytics report: the months closed since the last build counted (a month a week after it ends)."""
EVIDENCE_EVERY = dt.timedelta(days=1)
"""The ranking evidence (rarity, loans, co-borrowing) is rebuilt daily, before the push job's turn."""

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
@click.option(
    "--demo",
    is_flag=True,
    help="After harvesting, make the demo readers (consent, interests, a history, subscriptions; once) and run a "
    "push job, so each has items in their inbox; print how to log in as each.",
)
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
    container: Container,
    *,
    once: bool,
    demo: bool,
    host: str,
    port: int,
    workers: int | None,
    threads: int,
    as_json: bool,
) -> None:
    """Run the hub on this machine: harvest every member (clustering and indexing as it goes) and report what
    was harvested and how it deduplicated; then, unless --once, serve the API on http://HOST:PORT (the same
    Chalice apps as on AWS; its description at /docs) and keep running the scheduled jobs (harvest every
    6 hours, the push job every hour; the ranking evidence, the retention purge and the analytics report every
    day) until interrupted. The portal is served at the same address (http://HOST:PORT/).

    With --demo (what `make run` starts), harvesting shows a line per page wherever its output goes, and the
    demo readers are made (those already there are left as they are) and sent their first digests.

    The API and the portal are served by --workers processes sharing the port (a worker that stops is reported
    and started again); the scheduled jobs run once, in this process.

    SIGTERM or Ctrl-C stops the hub gracefully, at any point, with exit status 0: the servers take no new
    connection and answer the requests under way (5 s at most), and the harvest or job running stops at its next
    safe point (after the harvest page it committed, or while it waits for a server's next page; after the push
    digest it delivered), keeping what it finished: the next start resumes the harvest after its last page and
    runs the interrupted job again. A second signal stops at once (exit status 130).

    A source that fails is reported (member, source, error) and the others run; the scheduled harvest retries
    it with backoff. With --once, the exit status is 1 when a source failed."""
    container.check_key_location()  # a refusal comes before any work, not at the first reader an hour later
    if not once:
        check_address(host, port)  # a port in use or a wrong --host is said now, not after the harvest
    stopping = StopRequest()
    stopping.install()
    container.harvester.should_stop = stopping.is_set
    try:
        _run(
            container,
            stopping,
            once=once,
            demo=demo,
            host=host,
            port=port,
            workers=workers,
            threads=threads,
            as_json=as_json,
        )
    except KeyboardInterrupt:
        click.echo("\ninterrupted: stopped at once (the next start goes on from the last page harvested)", err=True)
        raise click.exceptions.Exit(130) from None
    except Interrupted:  # asked to stop while waiting for another writer of the data folder: nothing begun
        pass
    finally:
        stopping.uninstall()
    if stopping.is_set():
        why = f" ({stopping.signal})" if stopping.signal else ""
        click.echo(
            f"stopped on request{why}: what was harvested and sent is kept; the next start resumes the rest", err=True
        )


def _run(
    container: Container,
    stopping: StopRequest,
    *,
    once: bool,
    demo: bool,
    host: str,
    port: int,
    workers: int | None,
    threads: int,
    as_json: bool,
) -> None:
    """Harvest (and with ``demo`` seed) under the writer lock, report, then serve and schedule unless ``once`` or
    asked to stop meanwhile."""
    with writing(container):
        reports, failed = harvest_all(container, lines=demo)
        seeded = _seed(container, as_json) if demo and not stopping.is_set() else None
    data, lines = _summary(container, reports, failed)
    address = f"http://{host}:{port}"
    if seeded is not None:
        data["demo"] = seeded.as_dict()
        for entry, one in zip(data["demo"]["readers"], seeded.readers, strict=True):
            entry["login"] = login_command(one.reader)
        staff = demo_staff(container)
        data["demo"]["staff"] = [
            {**one.as_dict(), "login": f"{command_name()} login {one.reader_id} --member {one.member} "
             f"--role {one.roles[0].value}"}
            for one in staff
        ]  # fmt: skip
        lines += demo_lines(seeded) + staff_lines(staff)
    reader = _first_reader(seeded)
    emit(data, as_json, lambda: click.echo("\n".join([*lines, *next_steps(container, reader)])))
    if once or stopping.is_set():
        if stopping.is_set():
            return
        if not as_json and seeded is not None:
            click.echo(f"log in as a demo reader once `{command_name()} run --demo` serves {address}:")
            click.echo("\n".join(login_lines(seeded, address)))
        if data["failed"]:
            raise click.exceptions.Exit(1)
        return
    serve_hub(
        container,
        host,
        port,
        workers=workers or default_workers(),
        threads=threads,
        jobs=_jobs(container, stopping.is_set),
        demo=seeded,
        demo_readers=_portal_logins(seeded, container),
        ran=("harvest", "push") if seeded and seeded.push else ("harvest",),
        as_json=as_json,
        stopping=stopping,
    )


def _seed(container: Container, as_json: bool) -> DemoReport:
    """The demo readers, saying on stderr that they are being made."""
    if not as_json:
        click.echo("demo readers: making those not there yet, then a push run", err=True)
    return seed_demo(container)


def _portal_logins(report: DemoReport | None, container: Container) -> list[PortalLogin]:
    """The demo readers the portal lets anyone sign in as (those seeded now or kept from an earlier start), then
    the demo staff accounts: a member administrator and a subject librarian of each member."""
    readers = [
        PortalLogin(one.reader.reader_id, one.reader.member, f"{one.reader.name}: {one.reader.topic}")
        for one in (report.readers if report is not None else ())
        if one.state != "skipped"
    ]
    return [*readers, *demo_staff(container)] if report is not None else readers


DEMO_STAFF_ROLES = (
    (StaffRole.MEMBER_ADMIN, "admin", "member administrator"),
    (StaffRole.SUBJECT_LIBRARIAN, "librarian", "subject librarian"),
)
"""The demo staff accounts of each member: role, account suffix, what the portal's sign-in calls them."""


def demo_staff(container: Container) -> list[PortalLogin]:
    """A member administrator (``<member>-admin``) and a subject librarian (``<member>-librarian``) of each member,
    for the portal's demo sign-in."""
    return [
        PortalLogin(f"{member.id}-{suffix}", member.id, f"{member.name}: {what}", (role,))
        for member in container.registry.members
        for role, suffix, what in DEMO_STAFF_ROLES
    ]


def staff_lines(staff: list[PortalLogin]) -> list[str]:
    """Two lines: the members with demo staff, and the command that prints a token of one of them."""
    if not staff:
        return []
    members = ", ".join(dict.fromkeys(one.member for one in staff))
    return [
        f"demo staff of {members}: sign in on the portal, or take a token:",
        f"  {command_name()} login MEMBER-admin --member MEMBER --role member-admin   "
        "(MEMBER-librarian --role subject-librarian)",
    ]


def _first_reader(report: DemoReport | None) -> tuple[str, str] | None:
    """The first demo reader not skipped (id, member), for the commands to try next."""
    for seeded in report.readers if report is not None else ():
        if seeded.state != "skipped":
            return seeded.reader.reader_id, seeded.reader.member
    return None


def _jobs(container: Container, should_stop: Callable[[], bool] = lambda: False) -> list[Job]:
    """The scheduled jobs: harvest, the ranking evidence, push, the retention purge and the analytics report, each
    returning a one-line summary (evidence before push, so a first start ranks its first push run with fresh
    evidence). Harvest, evidence and push stop at their next safe point once ``should_stop()`` (the harvest through
    the harvester's own ``should_stop``), raising :class:`~consortium.errors.Interrupted` with what they kept."""

    def harvest(now: dt.datetime) -> str:
        with writing(container):
            reports, failed = harvest_all(container, honour_backoff=True, clock=lambda: now)
        added = sum(r.counts.added + r.counts.changed for r in reports)
        summary = f"{len(reports)} sources, {added} records added or changed"
        sources = sum(len(member.sources) for member in container.registry.members)
        if any(r.interrupted for r in reports) or (should_stop() and len(reports) + len(failed) < sources):
            raise Interrupted(f"stopped on request: {summary} (kept); the next start resumes the harvest")
        tried = [f for f in failed if not f.skipped]
        waiting = [f for f in failed if f.skipped]
        if tried:
            summary += "; failed: " + "; ".join(f"{f.member}/{f.source}: {f.error}" for f in tried)
        if waiting:
            summary += "; waiting to retry: " + ", ".join(f"{f.member}/{f.source}" for f in waiting)
        return summary

    def evidence(now: dt.datetime) -> str:
        try:
            return container.rebuild_evidence(now, should_stop).line()
        except Interrupted as stopped:
            raise Interrupted(f"{stopped}; the next start rebuilds it") from None

    def push_job(now: dt.datetime) -> str:
        data = container.push.run(now=now, should_stop=should_stop).as_dict()
        summary = f"{data['digests_planned']} digests planned, {sum(data['delivered'].values())} delivered"
        if data["interrupted"]:
            raise Interrupted(f"stopped on request: {summary} (kept); the next start plans and sends the rest")
        return summary

    def analytics(now: dt.datetime) -> str:
        report = container.analytics.build()
        return f"analytics report: {len(report.rows)} rows over {len(report.periods)} closed months"

    def purge(now: dt.datetime) -> str:
        expired = container.profiles.purge_expired(now)
        runs = container.harvest_runs.prune([member.id for member in container.registry.members])
        return f"{expired} expired items deleted, {runs} harvest runs older than a year forgotten"

    return [
        Job("harvest", HARVEST_EVERY, harvest),
        Job("evidence", EVIDENCE_EVERY, evidence),
        Job("push", PUSH_EVERY, push_job),
        Job("purge", PURGE_EVERY, purge),
        Job("analytics", ANALYTICS_EVERY, analytics),
    ]
