"""Loans of a member's works by other members' readers, as its staff's contribution page shows them
(``GET /members/{id}/contribution``): read from the stored analytics report, never from readers' data.

A loan counts for member M when a reader whose home library is another member borrowed a work M holds. The loan
events a library uploads name the work, not the copy, so a work several members hold counts for each of them: the
figure says "readers of other libraries borrow what we hold", not "these copies left our shelves" (the
inter-library loan balance says that). The analytics job counts these loans into the report's ``held_by`` table
(the borrowers' libraries below, ``borrowed_by``; :mod:`~consortium.analytics.facts`): only from readers who
granted ``analytics`` at libraries that share circulation, only **closed months**, each frozen once counted
(:mod:`~consortium.analytics.report`), every row backed by at least ``min_readers`` distinct readers and audited
with the other tables against differences (:mod:`~consortium.analytics.cells`). So two readings of the page, before
and after one reader's loan or consent withdrawal, give the same figures: the loan shows only once its month is
counted together with every other of that month, and a frozen month never changes.

:func:`cross_loans` picks the member's rows of the last :data:`MONTHS` frozen months: nothing is recomputed, no
reader is read, the answer costs a look at the stored report.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Final

from pydantic import BaseModel, ConfigDict

from consortium.analytics.cells import MIN_READERS, OTHER

if TYPE_CHECKING:
    from consortium.analytics.report import Report, Row

__all__ = ["MONTHS", "BorrowerCell", "CrossLoans", "MonthLoans", "cross_loans"]

MONTHS: Final = 12
"""How many of the report's frozen months, the latest ones, the contribution shows."""
METRIC: Final = "loans"


class BorrowerCell(BaseModel):
    """Loans of the member's works by the readers of one borrowing member (or of several, ``member`` ``None``)."""

    model_config = ConfigDict(extra="forbid")

    member: str | None
    """The borrowing readers' home library; ``None``: the borrowing members not shown one by one, together."""
    readers: int
    """Distinct readers (at least the threshold: a cell with fewer is not shown)."""
    loans: int


class MonthLoans(BaseModel):
    """Loans of the member's works by other members' readers in one closed month."""

    model_config = ConfigDict(extra="forbid")

    period: str
    """The month, ``YYYY-MM`` (UTC)."""
    suppressed: bool
    """True when no figure may be shown for the month (fewer readers than the threshold, none at all, or hidden
    so that no difference of published figures singles a reader out)."""
    readers: int | None
    """Distinct readers of other members who borrowed the member's works that month (``None``: suppressed)."""
    loans: int | None
    by_member: list[BorrowerCell]
    """The borrowing members shown one by one, most readers first; the rest together last (``member`` None)."""


class CrossLoans(BaseModel):
    """Loans of one member's works by other members' readers, by closed month, counted so that no reader shows.

    The top-level figures are those of the latest frozen month (``period``); ``by_month`` has the last twelve."""

    model_config = ConfigDict(extra="forbid")

    member: str
    min_readers: int
    """The fewest distinct readers behind a figure for it to be shown."""
    period: str | None
    """The month of the top-level figures: the latest the report has frozen (``None``: no report yet)."""
    suppressed: bool
    """True when no figure is shown for ``period`` (see :attr:`MonthLoans.suppressed`)."""
    readers: int | None
    """Distinct readers of other members who borrowed the member's works in ``period`` (``None``: suppressed)."""
    loans: int | None
    by_member: list[BorrowerCell]
    """``period``'s borrowing members shown one by one, most readers first; the rest together last."""
    by_month: list[MonthLoans]
    """The last twelve months the report has frozen, newest first (``period`` the first of them)."""
    computed_at: datetime | None
    """When the report was built (``None``: not built yet); a frozen month's figures never change."""


def _month(period: str, held: Row | None, borrowers: list[Row]) -> MonthLoans:
    if held is None:
        return MonthLoans(period=period, suppressed=True, readers=None, loans=None, by_member=[])
    cells = [
        BorrowerCell(member=None if row.value == OTHER else row.value, readers=row.readers, loans=row.events)
        for row in borrowers
    ]
    cells.sort(key=lambda cell: (cell.member is None, -cell.readers, cell.member or ""))
    return MonthLoans(period=period, suppressed=False, readers=held.readers, loans=held.events, by_member=cells)


def cross_loans(member_id: str, report: Report | None, *, months: int = MONTHS) -> CrossLoans:
    """The figures for ``member_id`` from the stored report (``None``: none built yet); a pure function.

    Example
    -------
    >>> figures = cross_loans("riverside", analytics.stored())
    >>> figures.period, figures.suppressed
    ('2026-10', False)
    """
    if report is None:
        return CrossLoans(
            member=member_id,
            min_readers=MIN_READERS,
            period=None,
            suppressed=True,
            readers=None,
            loans=None,
            by_member=[],
            by_month=[],
            computed_at=None,
        )
    periods = sorted(report.periods)[-months:] if months > 0 else []
    wanted = set(periods)
    held: dict[str, Row] = {}
    borrowers: dict[str, list[Row]] = {period: [] for period in periods}
    for row in report.rows:
        if row.metric != METRIC or row.period not in wanted:
            continue
        if row.table == "held_by" and row.value == member_id:
            held[row.period] = row
        elif row.table == "borrowed_by" and row.parent == member_id:
            borrowers[row.period].append(row)
    by_month = [_month(period, held.get(period), borrowers[period]) for period in reversed(periods)]
    latest = by_month[0] if by_month else None
    return CrossLoans(
        member=member_id,
        min_readers=report.min_readers,
        period=latest.period if latest else None,
        suppressed=latest.suppressed if latest else True,
        readers=latest.readers if latest else None,
        loans=latest.loans if latest else None,
        by_member=list(latest.by_member) if latest else [],
        by_month=by_month,
        computed_at=report.built_at,
    )
