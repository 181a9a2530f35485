"""Loans of a member's works by other members' readers: what a member gives the consortium at the counter, as
its staff's contribution page shows it (``GET /members/{id}/contribution``).

A loan counts for member M when a reader whose home library is another member B borrowed a work (a cluster) M
holds. The loan events a library uploads name the work, not the copy, so a work several members hold counts for
each of them: the figure says "readers of other libraries borrow what we hold", not "these copies left our
shelves" (the inter-library loan balance says that).

Only loans that may be aggregated go in, as for co-borrowing (:func:`~consortium.push.coborrow.shared_loans` keeps): the
reader granted ``analytics`` and the reader's library shares circulation (``share_circulation = "aggregate"``, read
from the registry on each call, so a change applies from the next request). Readers enter only as pseudonyms and
leave only as counts. A cell backed by fewer than :data:`~consortium.push.coborrow.MIN_READERS` distinct readers is
suppressed (``None``), and so is any cell whose value the published ones would give away by difference: the
borrowing members shown one by one leave the rest as one "other members" row, which is itself at least that many
readers or not shown (the smallest shown member joins it until it is).
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from consortium.ports import system_clock
from consortium.profiles.models import Actor, ActorRole, EventType
from consortium.profiles.vault import pseudonym
from consortium.push.coborrow import COBORROW_PURPOSE, MIN_READERS

if TYPE_CHECKING:
    from collections.abc import Callable

    from consortium.dedup.ports import ClusterStore
    from consortium.members import MemberRegistry
    from consortium.ports import Clock
    from consortium.profiles.service import ProfileService

__all__ = ["CROSS_LOANS_JOB", "BorrowerCell", "CrossLoans", "CrossMemberLoans", "cross_loans"]

CROSS_LOANS_JOB = Actor(actor_id="member-contribution", role=ActorRole.JOB)
"""Who reads readers' borrow events (under ``analytics``) when a member's contribution is computed."""


class BorrowerCell(BaseModel):
    """Loans of the member's works by the readers of one borrowing member (or of several, ``member`` ``None``)."""

    model_config = ConfigDict(extra="forbid")

    member: str | None
    """The borrowing readers' home library; ``None``: the borrowing members not shown one by one, together."""
    readers: int
    """Distinct readers (at least the threshold: a cell with fewer is not shown)."""
    loans: int
    works: int
    """Distinct works of the member they borrowed."""


class CrossLoans(BaseModel):
    """Loans of one member's works by other members' readers, counted so that no reader shows."""

    model_config = ConfigDict(extra="forbid")

    member: str
    min_readers: int
    """The fewest distinct readers behind a figure for it to be shown."""
    suppressed: bool
    """True when fewer readers than ``min_readers`` are behind the total: no figure is shown."""
    readers: int | None
    """Distinct readers of other members who borrowed the member's works (``None``: suppressed)."""
    loans: int | None
    works: int | None
    """Distinct works of the member borrowed by them."""
    by_member: list[BorrowerCell]
    """The borrowing members with enough readers, most readers first; the rest together last (``member`` None)."""
    computed_at: datetime
    """When the loans counted were read."""


Loan = tuple[str, str, str]
"""``(reader pseudonym, cluster id, the reader's home member)``."""


def _cell(member: str | None, loans: list[Loan]) -> BorrowerCell:
    return BorrowerCell(
        member=member,
        readers=len({reader for reader, _, _ in loans}),
        loans=len(loans),
        works=len({cluster for _, cluster, _ in loans}),
    )


def cross_loans(
    member_id: str,
    loans: list[Loan],
    holders: Callable[[str], frozenset[str]],
    now: datetime,
    *,
    min_readers: int = MIN_READERS,
) -> CrossLoans:
    """The figures for ``member_id`` from loans that may already be aggregated (a pure function).

    Example
    -------
    >>> figures = cross_loans("riverside", loans, lambda cluster_id: frozenset({"riverside"}), now)
    >>> figures.suppressed  # fewer than 10 readers of other members
    True
    """
    ours = [loan for loan in loans if loan[2] != member_id and member_id in holders(loan[1])]
    total = _cell(None, ours)
    if total.readers < min_readers:
        return CrossLoans(
            member=member_id,
            min_readers=min_readers,
            suppressed=True,
            readers=None,
            loans=None,
            works=None,
            by_member=[],
            computed_at=now,
        )
    by_member: dict[str, list[Loan]] = {}
    for loan in ours:
        by_member.setdefault(loan[2], []).append(loan)
    cells = sorted((_cell(m, rows) for m, rows in by_member.items()), key=lambda c: (-c.readers, c.member or ""))
    shown = [cell for cell in cells if cell.readers >= min_readers]
    # A reader has one home library, so the readers of the members not shown are the total less the shown ones:
    # that remainder is published too (by difference), and must itself be backed by enough readers.
    while shown and 0 < total.readers - sum(cell.readers for cell in shown) < min_readers:
        shown.pop()  # the smallest shown member joins the rest
    names = {cell.member for cell in shown}
    rest = [loan for loan in ours if loan[2] not in names]
    rows = [*shown, _cell(None, rest)] if rest else shown
    return CrossLoans(
        member=member_id,
        min_readers=min_readers,
        suppressed=False,
        readers=total.readers,
        loans=total.loans,
        works=total.works,
        by_member=rows,
        computed_at=now,
    )


class CrossMemberLoans:
    """Loans of a member's works by other members' readers (see the module), from the readers' stored loans.

    Reading them goes through every reader who granted ``analytics`` (their borrow events decrypted, audited as
    :data:`CROSS_LOANS_JOB`): linear in those readers and their events. The loans read are kept, by pseudonym,
    for ``max_age`` (10 minutes by default), so a page read again soon is answered from them; a consent withdrawn
    or a loan recorded meanwhile counts from the next reading. The sharing policies and the works' holders are
    read on every call.

    Example
    -------
    >>> CrossMemberLoans(hub.profiles, hub.cluster_store, lambda: hub.registry).of("riverside").readers
    """

    def __init__(
        self,
        profiles: ProfileService,
        clusters: ClusterStore,
        registry: Callable[[], MemberRegistry],
        clock: Clock = system_clock,
        *,
        min_readers: int = MIN_READERS,
        max_age: timedelta = timedelta(minutes=10),
    ) -> None:
        self.profiles = profiles
        self.clusters = clusters
        self._registry = registry
        self._clock = clock
        self.min_readers = min_readers
        self.max_age = max_age
        self._kept: tuple[datetime, list[Loan]] | None = None
        self._lock = threading.Lock()

    def loans(self) -> list[Loan]:
        """Every borrow of a reader who granted ``analytics``, by pseudonym, with the reader's home library
        (whether that library shares circulation is for the caller to check: it may change at any request)."""
        rows: list[Loan] = []
        for reader_id in self.profiles.reader_ids():
            if not self.profiles.consents(reader_id).get(COBORROW_PURPOSE):
                continue
            member = self.profiles.member_of(reader_id)
            token = pseudonym(reader_id)
            for event in self.profiles.events(reader_id, CROSS_LOANS_JOB, COBORROW_PURPOSE):
                if event.type is EventType.BORROW and event.cluster_id:
                    rows.append((token, event.cluster_id, member))
        return rows

    def _recent(self) -> tuple[datetime, list[Loan]]:
        """The loans as last read, read again when older than ``max_age`` (one reading at a time)."""
        with self._lock:
            now = self._clock()
            if self._kept is None or now - self._kept[0] >= self.max_age or now < self._kept[0]:
                self._kept = (now, self.loans())
            return self._kept

    def of(self, member_id: str) -> CrossLoans:
        """The figures for ``member_id`` (a member of the registry), as of when the loans were read."""
        registry = self._registry()
        registry.get(member_id)
        sharing = {m.id for m in registry.members if m.sharing.share_circulation == "aggregate"}
        read_at, rows = self._recent()
        shared = [row for row in rows if row[2] in sharing]  # as shared_loans() keeps them
        cache: dict[str, frozenset[str]] = {}

        def holders(cluster_id: str) -> frozenset[str]:
            if cluster_id not in cache:
                cluster = self.clusters.get(cluster_id)
                cache[cluster_id] = frozenset(h.member for h in cluster.holdings) if cluster else frozenset()
            return cache[cluster_id]

        return cross_loans(member_id, shared, holders, read_at, min_readers=self.min_readers)
