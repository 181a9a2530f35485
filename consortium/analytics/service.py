"""The analytics job and what staff read: :class:`Analytics`.

:meth:`Analytics.build` is the job (``consortium analytics build`` locally, or ``consortium run``'s scheduler; on
AWS the ``analytics_build`` function on a daily schedule): it collects the consenting readers' facts, counts the
months closed since the last build into the stored report, and saves it. Reading (:meth:`Analytics.report`,
:meth:`Analytics.select`) never touches a reader's data: it opens the stored counts.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from consortium.analytics.cells import MIN_READERS
from consortium.analytics.facts import collect_facts
from consortium.analytics.report import Report, Row, Selection, build_report, select
from consortium.errors import NotFoundError

if TYPE_CHECKING:
    from collections.abc import Callable

    from consortium.analytics.ports import AnalyticsStore
    from consortium.members import MemberRegistry
    from consortium.models import Cluster
    from consortium.ports import Clock
    from consortium.profiles.service import ProfileService
    from consortium.push.ledgers import PushLedgers

__all__ = ["Analytics"]

logger = logging.getLogger(__name__)


class Analytics:
    """Build, keep and read the analytics report.

    Parameters
    ----------
    store
        Where the report is kept.
    profiles, ledgers, registry, work
        The readers' data (read under ``analytics``), push's ledgers (``None``: no push engagement), the member
        registry (sharing rules) and a work by cluster id.
    hits
        How many works the catalogue finds for a query (the zero-result table); ``None``: no such table.
    clock
        The time now (which months are closed).

    Example
    -------
    >>> analytics = Analytics(store, profiles, ledgers=ledgers, registry=lambda: registry, work=clusters.get,
    ...                       hits=hits, clock=clock)
    >>> analytics.build().periods
    ['2026-10', '2026-11']
    """

    def __init__(
        self,
        store: AnalyticsStore,
        profiles: ProfileService,
        *,
        ledgers: PushLedgers | None,
        registry: Callable[[], MemberRegistry],
        work: Callable[[str], Cluster | None],
        hits: Callable[[str], int] | None,
        clock: Clock,
        min_readers: int = MIN_READERS,
    ) -> None:
        self.store = store
        self._profiles = profiles
        self._ledgers = ledgers
        self._registry = registry
        self._work = work
        self._hits = hits
        self._clock = clock
        self.min_readers = min_readers

    def build(self) -> Report:
        """Count the months closed since the last build, keep the report and return it."""
        previous = self.stored()
        facts = collect_facts(
            self._profiles, self._ledgers, self._registry(), self._work, self._hits, min_readers=self.min_readers
        )
        report = build_report(facts, self._clock(), previous, min_readers=self.min_readers)
        self.store.save(report.as_json())
        logger.info("analytics: %d rows over %d months", len(report.rows), len(report.periods))
        return report

    def stored(self) -> Report | None:
        """The kept report, or ``None``."""
        data = self.store.latest()
        return None if data is None else Report.from_json(data)

    def report(self) -> Report:
        """The kept report; :class:`~consortium.errors.NotFoundError` when none was built yet."""
        found = self.stored()
        if found is None:
            raise NotFoundError("no analytics have been built yet (consortium analytics build, or the daily job)")
        return found

    def select(self, selection: Selection) -> tuple[Report, list[Row]]:
        """The kept report and its rows the selection names; of the cross-member loans by holding member
        (``held_by``, ``borrowed_by``) only the rows of members that show their holdings now (a member that does
        not share its holdings keeps even their count to its own contribution page)."""
        report = self.report()
        rows = select(report, selection)
        if selection.table in ("held_by", "borrowed_by"):
            showing = {m.id for m in self._registry().members if m.sharing.share_holdings}
            rows = [row for row in rows if (row.value if row.table == "held_by" else row.parent) in showing]
        return report, rows
