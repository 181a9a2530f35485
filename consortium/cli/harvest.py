"""``consortium harvest`` and ``consortium import``: records in (what was refused: ``consortium quarantine``,
:mod:`consortium.cli.quarantine`)."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from consortium.cli.common import emit, json_option, writing
from consortium.cli.stopping import stopping_harvests
from consortium.errors import ConfigError
from consortium.harvest.runs import RunTrigger
from consortium.harvest.service import import_source
from consortium.harvest.state import HarvestCounts
from consortium.harvest.withdrawals import confirm_hint
from consortium.members import SourceFormat
from consortium.ports import system_clock

if TYPE_CHECKING:
    from consortium.bootstrap import Container
    from consortium.harvest.service import HarvestReport, Progress
    from consortium.harvest.sweep import SourceFailure
    from consortium.members import Member, Source
    from consortium.ports import Clock

__all__ = ["harvest", "harvest_all", "import_", "report_line", "run_harvest"]


def _progress(label: str, where: str, *, lines: bool = False) -> Progress | None:
    """What shows a source's harvest as it goes, on stderr, starting with the file or URL read (``where``): on a
    terminal one line, rewritten after each page; elsewhere, with ``lines``, a line per page; else nothing."""
    terminal = sys.stderr.isatty()
    if not terminal and not lines:
        return None
    first = f"{label}: reading {where}"
    click.echo(first, err=True, nl=not terminal)
    width = [len(first)]

    def show(counts: HarvestCounts, fraction: float | None) -> None:
        done = f"{fraction:6.1%} " if fraction is not None else ""
        text = (
            f"{label}: {done}{counts.seen} read, {counts.added} added, {counts.changed} changed, "
            f"{counts.quarantined} quarantined"
        )
        if terminal:
            click.echo(f"\r{text.ljust(width[0])}", err=True, nl=False)
            width[0] = len(text)
        else:
            click.echo(text, err=True)

    return show


def confirm_command(report: HarvestReport) -> str:
    """The command that withdraws what a harvest withheld (the same source harvested, confirming them)."""
    return f"consortium harvest --member {report.member} --source {report.source} --confirm-withdrawals"


def report_line(report: HarvestReport, hint: str | None = None) -> str:
    """One source's harvest as one line: its counts and whether the run completed or paused; records it withheld
    from withdrawal, with what to do (``hint``: by default :func:`confirm_hint` with :func:`confirm_command`)."""
    if report.paused is not None:
        return f"{report.member}/{report.source}: not harvested ({report.paused})"
    c = report.counts
    if report.interrupted:
        state = "interrupted: stopped on request; the next harvest resumes after the last page"
    else:
        state = "complete" if report.complete else f"incomplete: {report.stopped}" if report.stopped else "paused"
    twice = f", {c.duplicates} duplicate id(s) in the file" if c.duplicates else ""
    twice += f"; {c.holdings} holdings record(s) read with their record" if c.holdings else ""
    twice += f"; {c.holdings_unmatched} record(s) of the holdings file not read" if c.holdings_unmatched else ""
    gone = f", {c.withdrawn} withdrawn (no longer in the file)" if c.withdrawn else ""
    held = f"; {report.withheld}; {hint or confirm_hint(confirm_command(report))}" if report.withheld else ""
    return (
        f"{report.member}/{report.source}: {c.added} added, {c.changed} changed, {c.unchanged} unchanged, "
        f"{c.deleted} deleted{gone}, {c.quarantined} quarantined{twice} ({state}){held}"
    )


def run_harvest(
    container: Container,
    member: Member,
    source: Source,
    also: Progress | None = None,
    *,
    lines: bool = False,
    confirm_withdrawals: bool = False,
) -> HarvestReport:
    """Harvest one source, showing progress on a terminal, or with ``lines`` a line per page wherever stderr goes
    (and telling ``also`` of each page); ``confirm_withdrawals``: withdraw every record absent from a complete
    file, however many (:mod:`consortium.harvest.withdrawals`)."""
    where = source.url or (source.path.name if source.path is not None else "")
    shown = _progress(f"{member.id}/{source.id}", where, lines=lines)
    calls = [call for call in (shown, also) if call is not None]

    def progress(counts: HarvestCounts, fraction: float | None) -> None:
        for call in calls:
            call(counts, fraction)

    try:
        return container.harvester.harvest_source(
            member, source, progress=progress if calls else None, confirm_withdrawals=confirm_withdrawals
        )
    finally:
        if shown is not None and sys.stderr.isatty():
            click.echo("", err=True)  # what comes next starts on a line of its own


def harvest_all(
    container: Container,
    sources: list[tuple[Member, Source]] | None = None,
    *,
    honour_backoff: bool = False,
    clock: Clock = system_clock,
    lines: bool = False,
    confirm_withdrawals: bool = False,
) -> tuple[list[HarvestReport], list[SourceFailure]]:
    """Harvest these sources (by default every source of every member, in registry order): one that fails is
    reported with its member and source, and the others run (see :mod:`consortium.harvest.sweep`); ``clock``
    dates the failures and the backoff. Each member's harvest is kept as a run its librarians see through the
    member API (triggered by the schedule when ``honour_backoff``, else by the command). Progress shows on a
    terminal, and with ``lines`` as a line per page wherever stderr goes; ``confirm_withdrawals`` as for
    :func:`run_harvest`."""
    chosen = sources if sources is not None else [(m, s) for m in container.registry.members for s in m.sources]
    return container.harvest_runs.sweep(
        chosen,
        trigger=RunTrigger.SCHEDULE if honour_backoff else RunTrigger.COMMAND,
        honour_backoff=honour_backoff,
        harvest=lambda member, source, progress: run_harvest(
            container, member, source, progress, lines=lines, confirm_withdrawals=confirm_withdrawals
        ),
        clock=clock,
    )


@click.command()
@click.option("--member", "member_id", help="Harvest only this member.")
@click.option(
    "--source", "source_id", help="Harvest only the source of this id (of --member, else of every member that has one)."
)
@click.option(
    "--confirm-withdrawals",
    is_flag=True,
    help="Withdraw every record absent from the source's complete file, even more than half of the source's "
    "(a harvest withholds so many, saying so); needs --member and --source.",
)
@json_option()
@click.pass_obj
def harvest(
    container: Container, member_id: str | None, source_id: str | None, confirm_withdrawals: bool, as_json: bool
) -> None:
    """Harvest member sources now (each resumes its unfinished run, or starts an incremental one)."""
    if confirm_withdrawals and not (member_id and source_id):
        raise click.UsageError("--confirm-withdrawals confirms one source's withdrawals: give --member and --source")
    registry = container.registry
    if member_id:
        member = registry.get(member_id)
        pairs = [(member, s) for s in ([member.source(source_id)] if source_id else member.sources)]
    else:
        pairs = [(m, s) for m in registry.members for s in m.sources if source_id in (None, s.id)]
        if not pairs and source_id:
            known = sorted({s.id for m in registry.members for s in m.sources})
            raise ConfigError(f"no member has a source {source_id!r} (sources: {', '.join(known)})")
    with stopping_harvests(container):  # Ctrl-C: after the page under way, then what was done is reported
        with writing(container):
            reports, failed = harvest_all(container, pairs, confirm_withdrawals=confirm_withdrawals)
        _said(container, reports, failed, as_json)
    if failed:
        raise click.exceptions.Exit(1)


def _said(container: Container, reports: list[HarvestReport], failed: list[SourceFailure], as_json: bool) -> None:
    total = sum((r.counts for r in reports), HarvestCounts())
    data = {
        "runs": [r.as_dict() | ({"confirm": confirm_command(r)} if r.withheld else {}) for r in reports],
        "failed": [f.as_dict() for f in failed],
        "total": total.model_dump(),
    }

    def text() -> None:
        for report in reports:
            click.echo(report_line(report))
        for failure in failed:
            click.echo(failure.line())
        click.echo(f"records stored: {container.record_store.count()}")

    emit(data, as_json, text)


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--member", "member_id", required=True, help="The member library the records belong to.")
@click.option(
    "--format",
    "fmt",
    required=True,
    type=click.Choice([f.value for f in SourceFormat if f is not SourceFormat.OAI_DC]),
    help="The file's format: binary MARC21, MARCXML, UNIMARC (also CNMARC), KBART, or oai-pmh (a saved "
    "ListRecords response).",
)
@click.option(
    "--increments",
    is_flag=True,
    help="The file holds only new and changed records: a record an earlier import of a file of this name gave "
    "and this one does not is kept (by default it is withdrawn).",
)
@click.option(
    "--confirm-withdrawals",
    is_flag=True,
    help="Withdraw every record an earlier import of a file of this name gave and this one does not, even more "
    "than half of them (an import withholds so many, saying so).",
)
@click.option(
    "--holdings",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file of the records' MARC 21 holdings records (MFHD), in the same format: each is read with the "
    "record its 004 names.",
)
@json_option()
@click.pass_obj
def import_(
    container: Container,
    file: Path,
    *,
    member_id: str,
    fmt: str,
    increments: bool,
    confirm_withdrawals: bool,
    holdings: Path | None,
    as_json: bool,
) -> None:
    """Load a MARC21, MARCXML, UNIMARC/CNMARC, KBART or saved OAI-PMH file for a member (a file of the same name
    imported again is the same source: what it no longer gives is withdrawn, unless --increments)."""
    member = container.registry.get(member_id)
    held = holdings.resolve() if holdings is not None else None
    source = import_source(file.resolve(), SourceFormat(fmt), increments=increments, holdings=held)
    with stopping_harvests(container):  # Ctrl-C: after the page under way, then what was done is reported
        with writing(container):
            report = run_harvest(container, member, source, confirm_withdrawals=confirm_withdrawals)
        _imported(report, member.id, fmt, file, as_json=as_json)


def _imported(report: HarvestReport, member_id: str, fmt: str, file: Path, *, as_json: bool) -> None:
    again = f"consortium import {shlex.quote(str(file))} --member {member_id} --format {fmt} --confirm-withdrawals"
    hint = (
        f"if the file is the whole of what is imported under its name, withdraw them: {again}; if it holds only "
        "new and changed records, import it with --increments"
    )

    def text() -> None:
        click.echo(report_line(report, hint))
        c = report.counts
        if c.quarantined and not (c.added or c.changed or c.unchanged):
            click.echo(
                f"nothing stored: every record read was quarantined (why: consortium quarantine --member "
                f"{member_id}); is {fmt} the file's format? (--format)",
                err=True,
            )

    emit(report.as_dict() | ({"confirm": again} if report.withheld else {}), as_json, text)
