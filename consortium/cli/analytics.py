"""``consortium analytics``: the reader-behaviour analytics report (aggregates of consenting readers, every row
from at least ten of them): build it now, say what it holds, print a table as text, JSON or CSV."""

from __future__ import annotations

import typing
from typing import TYPE_CHECKING

import click

from consortium.analytics.facts import METRICS
from consortium.analytics.report import TABLES, Selection, as_csv, report_summary
from consortium.cli.common import emit, json_option

if TYPE_CHECKING:
    from consortium.bootstrap import Container

__all__ = ["analytics"]


@click.group()
def analytics() -> None:
    """Reader-behaviour analytics for staff: aggregates only, from readers who consented to analytics."""


@analytics.command("build")
@json_option()
@click.pass_obj
def analytics_build(container: Container, as_json: bool) -> None:
    """Count the months closed since the last build into the kept report (what the daily job does)."""
    report = container.analytics.build()
    summary = report_summary(report)

    def text() -> None:
        months = ", ".join(report.periods) or "none yet (a month is counted 7 days after it ends)"
        click.echo(f"analytics report: {len(report.rows)} rows; months: {months}")

    emit(summary, as_json, text)


@analytics.command("summary")
@json_option()
@click.pass_obj
def analytics_summary(container: Container, as_json: bool) -> None:
    """What the kept report holds: when it was built, its months, tables and rows."""
    report = container.analytics.report()
    summary = report_summary(report)

    def text() -> None:
        click.echo(f"built {summary['built_at']}; every row from at least {report.min_readers} readers")
        click.echo(f"months: {', '.join(report.periods) or 'none yet'}; {len(report.rows)} rows")

    emit(summary, as_json, text)


@analytics.command("show", epilog=f"TABLE is one of {', '.join(TABLES)}; METRIC one of {', '.join(METRICS)}.")
@click.argument("table", type=click.Choice(TABLES), metavar="TABLE")
@click.argument("metric", type=click.Choice(METRICS), metavar="METRIC")
@click.option("--from", "start", metavar="YYYY-MM", help="The first month (by default the report's first).")
@click.option("--to", "end", metavar="YYYY-MM", help="The last month, included (by default the report's last).")
@click.option("--parent", help="Only the rows under this value (a main class for subclass, a holder for borrower).")
@click.option("--csv", "as_csv_", is_flag=True, help="Print CSV (the API's GET /analytics/export).")
@json_option()
@click.pass_obj
def analytics_show(  # noqa: PLR0917 (click passes each option by name; the signature is click's)
    container: Container,
    table: str,
    metric: str,
    start: str | None,
    end: str | None,
    parent: str | None,
    as_csv_: bool,
    as_json: bool,
) -> None:
    """Print TABLE of METRIC by month: each row's events and distinct readers; (other) sums the values too small
    to show."""
    selection = Selection(
        table=typing.cast("typing.Any", table),
        metric=typing.cast("typing.Any", metric),
        start=start,
        end=end,
        parent=parent,
    )
    report, rows = container.analytics.select(selection)
    if as_csv_:
        click.echo(as_csv(rows), nl=False)
        return

    def text() -> None:
        for row in rows:
            under = "" if row.parent == "*" else f"{row.parent} / "
            click.echo(f"{row.period}\t{under}{row.value}\t{row.events} events\t{row.readers} readers")
        if not rows:
            click.echo(f"no published rows of {table} {metric} (months: {', '.join(report.periods) or 'none yet'})")

    data = {
        "built_at": report.built_at.isoformat(),
        "min_readers": report.min_readers,
        "selection": selection.model_dump(mode="json"),
        "rows": [row.model_dump(mode="json") for row in rows],
    }
    emit(data, as_json, text)
