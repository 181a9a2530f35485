"""The published analytics: counts-only tables by month, built by a job and kept, and what staff ask of them.

:func:`build_report` counts the facts (:mod:`consortium.analytics.facts`) of each **closed** month into cells,
suppresses (:mod:`consortium.analytics.cells`) and keeps only the published rows: a :class:`Report`, plain JSON
with no reader in it (:meth:`Report.as_json`), stored by an
:class:`~consortium.analytics.ports.AnalyticsStore` (a file locally, an S3 object on AWS).

A month is counted once it has been over for :data:`GRACE_DAYS` (a library uploads loans late), and from then on
**frozen**: a later build keeps its rows as they were and counts only the months not published yet. So the same
cell never has two values in two builds (whose difference would be the readers who joined, withdrew or were
erased in between), and trends outlive the 90 days the activity itself is kept for analytics. The month still
running is never published.

Staff read the report through :func:`select` (one table, one metric, a range of months: only published rows,
nothing recomputed, no filter that could carve a smaller group) and :func:`as_csv`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import TYPE_CHECKING, Final, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from consortium.analytics.cells import MIN_READERS, OTHER, PARENT, count, publish
from consortium.analytics.facts import METRICS
from consortium.errors import ValidationError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from consortium.analytics.cells import Fact

__all__ = [
    "GRACE_DAYS",
    "REPORT_VERSION",
    "TABLES",
    "Report",
    "Row",
    "Selection",
    "as_csv",
    "build_report",
    "closed_months",
    "report_summary",
    "select",
]

MONTH: Final = r"^\d{4}-(0[1-9]|1[0-2])$"
"""A month, ``YYYY-MM``."""
GRACE_DAYS: Final = 7
"""Days after a month ends before it is counted and frozen."""
REPORT_VERSION: Final = 1

Table = Literal[
    "total",
    "member",
    "discipline",
    "degree_level",
    "class",
    "subclass",
    "subject",
    "reach",
    "holder",
    "borrower",
    "held_by",
    "borrowed_by",
    "zero_result",
]
TABLES: Final[tuple[str, ...]] = tuple(PARENT)
"""The tables, as :data:`~consortium.analytics.cells.PARENT` orders them."""
Metric = Literal[
    "searches",
    "views",
    "loans",
    "push_delivered",
    "push_opened",
    "push_deleted",
    "push_not_interested",
    "push_muted",
]
CSV_COLUMNS: Final = ("table", "metric", "period", "parent", "value", "events", "readers")


class Row(BaseModel):
    """One published cell: the events counted and the distinct readers behind them (at least ``min_readers``).

    ``value`` is the table's value (a member id, a class key such as ``clc:T``, a subject key, a query...), or
    ``(other)``: the sum of the partition's suppressed values. ``parent`` is the value of the cell this one
    partitions (``*`` under the total; a main class for ``subclass``, a holder for ``borrower``, a member holding
    the work for ``borrowed_by``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    table: Table
    metric: Metric
    period: str = Field(pattern=MONTH)
    parent: str
    value: str
    events: int = Field(ge=0)
    readers: int = Field(ge=0)


class Report(BaseModel):
    """Every published row of every frozen month (see the module notes)."""

    model_config = ConfigDict(extra="forbid")

    version: int = REPORT_VERSION
    built_at: AwareDatetime
    min_readers: int = Field(ge=2)
    """Every row stands for at least this many distinct readers."""
    periods: list[str]
    """The frozen months, oldest first."""
    rows: list[Row]

    def as_json(self) -> bytes:
        """The report as stored: compact UTF-8 JSON, counts only."""
        return self.model_dump_json().encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> Report:
        return cls.model_validate_json(data)


def _month_start(period: str) -> dt.datetime:
    return dt.datetime.strptime(period + "-01", "%Y-%m-%d").replace(tzinfo=dt.UTC)


def _next_month(period: str) -> str:
    start = _month_start(period)
    return (start.replace(day=28) + dt.timedelta(days=4)).strftime("%Y-%m")


def closed_months(periods: Iterable[str], now: dt.datetime) -> set[str]:
    """Of ``periods``, the months over for at least :data:`GRACE_DAYS` at ``now``."""
    return {p for p in periods if _month_start(_next_month(p)) + dt.timedelta(days=GRACE_DAYS) <= now}


def build_report(
    facts: Iterable[Fact], now: dt.datetime, previous: Report | None = None, *, min_readers: int = MIN_READERS
) -> Report:
    """The report with the months closed at ``now`` that ``previous`` has not frozen yet counted from ``facts``
    (the rest of ``facts`` ignored), and ``previous``'s months as they were.

    Example
    -------
    >>> report = build_report(collect_facts(...), clock(), store.latest())
    """
    frozen = set(previous.periods) if previous is not None else set()
    if previous is not None and previous.min_readers != min_readers:
        raise ValidationError(
            f"min_readers {min_readers} differs from the stored report's {previous.min_readers}: "
            "frozen months cannot be suppressed again"
        )
    facts = list(facts)
    fresh = closed_months({fact.period for fact in facts}, now) - frozen
    cells = count(fact for fact in facts if fact.period in fresh)
    rows = [
        Row(
            table=cell.key.table,
            metric=cell.key.metric,
            period=cell.key.period,
            parent=cell.key.parent,
            value=cell.key.value,
            events=cell.events,
            readers=cell.readers,
        )
        for cell in publish(cells, min_readers)
    ]
    kept = list(previous.rows) if previous is not None else []
    periods = sorted(frozen | fresh)
    return Report(built_at=now, min_readers=min_readers, periods=periods, rows=kept + rows)


class Selection(BaseModel):
    """What staff ask of the report: one table, one metric, a range of months (at most a few years)."""

    model_config = ConfigDict(extra="forbid")

    table: Table = "member"
    metric: Metric = "searches"
    start: str | None = Field(default=None, pattern=MONTH)
    """The first month (``YYYY-MM``); by default the report's first."""
    end: str | None = Field(default=None, pattern=MONTH)
    """The last month, included; by default the report's last."""
    parent: str | None = Field(default=None, max_length=200)
    """Only the rows under this parent value (a main class for ``subclass``, a holder for ``borrower``)."""


def select(report: Report, selection: Selection) -> list[Row]:
    """The published rows the selection names, by month then value (:data:`OTHER` last in its month)."""
    if selection.metric not in METRICS:
        raise ValidationError(f"field 'metric': {selection.metric!r} is not counted")
    if selection.start and selection.end and selection.start > selection.end:
        raise ValidationError(f"field 'start': {selection.start} is after the end, {selection.end}")
    found = [
        row
        for row in report.rows
        if row.table == selection.table
        and row.metric == selection.metric
        and (selection.start is None or row.period >= selection.start)
        and (selection.end is None or row.period <= selection.end)
        and (selection.parent is None or row.parent == selection.parent)
    ]
    return sorted(found, key=lambda row: (row.period, row.parent, row.value == OTHER, -row.events, row.value))


def as_csv(rows: Iterable[Row]) -> str:
    """The rows as CSV (RFC 4180, a header line; cells that a spreadsheet would run as a formula are quoted with
    a leading apostrophe)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        values = [row.table, row.metric, row.period, row.parent, row.value, str(row.events), str(row.readers)]
        writer.writerow(["'" + v if v[:1] in ("=", "+", "-", "@", "\t", "\r") else v for v in values])
    return out.getvalue()


def report_summary(report: Report) -> dict[str, object]:
    """What a report holds, in a few numbers (the CLI's ``analytics show``)."""
    return {
        "built_at": report.built_at.isoformat(),
        "min_readers": report.min_readers,
        "periods": report.periods,
        "rows": len(report.rows),
        "tables": sorted({row.table for row in report.rows}),
    }
