"""Harvest runs of a member: started by the member (the member API's ``POST /members/{id}/harvests``), by the
schedule or by the ``consortium harvest`` command, each kept as a :class:`~consortium.harvest.runs.HarvestRun`
that moves on page by page, so the member can poll it.

:meth:`HarvestRuns.start` keeps a queued run and hands it to a :class:`~consortium.ports.Queue` (locally a
worker thread of the hub's process, on AWS an SQS queue a harvest Lambda consumes, or nobody: then the run goes
at once, in the caller); the worker calls :meth:`HarvestRuns.handle`, which runs it (:meth:`HarvestRuns.execute`).
:meth:`HarvestRuns.sweep` runs and records the schedule's and the command's harvests. All three go through
:func:`~consortium.harvest.sweep.harvest_sources`: a paused source is skipped and says so, a failing one is
recorded with its error and the others run.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from consortium.errors import ConsortiumError, InProgressError, InvalidStateError, NotFoundError, ValidationError
from consortium.harvest.runs import (
    ACTIVE,
    HarvestRun,
    HarvestRunPage,
    RunState,
    RunTrigger,
    SourceRun,
    SourceRunState,
    new_run_id,
    run_error_code,
)
from consortium.harvest.sweep import harvest_sources
from consortium.harvest.withdrawals import confirm_hint
from consortium.ports import system_clock

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from consortium.harvest.ports import HarvestRunStore
    from consortium.harvest.service import HarvestReport, HarvestService, Progress
    from consortium.harvest.state import HarvestCounts
    from consortium.harvest.sweep import FailureLog, SourceFailure
    from consortium.members import Member, Source
    from consortium.ports import Clock, Queue

__all__ = ["INTERRUPTED", "KEPT_RUNS", "MAX_RUNS_PAGE", "RUN_RETENTION", "STALE_AFTER", "HarvestRuns", "prune_runs"]

log = logging.getLogger(__name__)

STALE_AFTER = dt.timedelta(hours=1)
"""A queued or running run that has not moved on for this long is taken as interrupted (its process stopped)
when the member asks for another."""
MAX_RUNS_PAGE = 100
"""The most runs one page lists."""
RUN_RETENTION = dt.timedelta(days=400)
"""How long a member's finished runs are kept (:meth:`HarvestRuns.prune`): a year of history, and a margin."""
KEPT_RUNS = 20
"""The newest runs of each member kept whatever their age (a member harvested once a year still sees its last)."""
INTERRUPTED = "stopped on request (the hub stopping): what was committed is kept; the next harvest resumes there"
"""The error of a run, and of its source, that stopped because the hub was asked to stop."""


class HarvestRuns:
    """Members' harvest runs: start one, list them, follow one; run the queued ones.

    Parameters
    ----------
    store
        Where runs are kept.
    harvester
        Harvests one source (its checkpoint says where it stands).
    member
        The member with its sources as they are now (``MemberSources.member``); raises
        :class:`~consortium.errors.NotFoundError` for an unknown one.
    failures
        The sources' recent failures (the backoff of scheduled harvests).
    queue
        Where :meth:`start` sends a run (``{"harvest_run": RUN_ID, "member": MEMBER}``) for a worker to
        :meth:`handle`; ``None``: the run goes at once, before :meth:`start` returns.

    Example
    -------
    >>> runs = HarvestRuns(store, harvester, member_sources.member, failures=FailureLog(path), queue=None)
    >>> run = runs.start("riverside", requested_by="key-1")
    >>> runs.get("riverside", run.run_id).counts.added
    """

    def __init__(
        self,
        store: HarvestRunStore,
        harvester: HarvestService,
        member: Callable[[str], Member],
        *,
        failures: FailureLog,
        queue: Queue | None = None,
        clock: Clock = system_clock,
        stale_after: dt.timedelta = STALE_AFTER,
    ) -> None:
        self.store = store
        self.harvester = harvester
        self._member = member
        self.failures = failures
        self.queue = queue
        self._clock = clock
        self.stale_after = stale_after

    # -- the member's calls ----------------------------------------------------------------------------

    def start(
        self,
        member_id: str,
        source_id: str | None = None,
        *,
        requested_by: str | None = None,
        confirm_withdrawals: bool = False,
    ) -> HarvestRun:
        """Ask for a harvest of the member: every source, or ``source_id`` only. Returns the run as it is once
        handed over (``queued``; finished already when the hub has no queue). ``confirm_withdrawals`` (with a
        ``source_id``) withdraws every record absent from the source's complete file, however many.

        Raises :class:`NotFoundError` for an unknown member or source, :class:`ConflictError` when the source is
        paused, the member has no source, or a run of the member is still queued or running (its id in
        ``details["run_id"]``); :class:`ValidationError` for ``confirm_withdrawals`` without a ``source_id``."""
        if confirm_withdrawals and source_id is None:
            raise ValidationError(
                "field 'confirm_withdrawals': confirms one source's withdrawals; give its 'source_id' too",
                field="confirm_withdrawals",
            )
        member = self._member(member_id)
        if source_id is not None:
            source = _source(member, source_id)
            if source.paused:
                raise InvalidStateError(
                    f"source {source_id!r} of member {member_id!r} is paused; resume it to harvest it",
                    source=source_id,
                )
            wanted = [source_id]
        else:
            wanted = [s.id for s in member.sources]
        if not wanted:
            raise InvalidStateError(f"member {member_id!r} has no source to harvest", member=member_id)
        self._refuse_while_active(member_id)
        now = self._clock()
        run = HarvestRun(
            run_id=new_run_id(now),
            member=member_id,
            trigger=RunTrigger.API,
            requested_by=requested_by,
            confirm_withdrawals=confirm_withdrawals,
            requested_at=now,
            updated_at=now,
            sources=[SourceRun(source=s) for s in wanted],
        )
        self.store.add(run)
        if self.queue is None:
            return self.execute(member_id, run.run_id)
        try:
            self.queue.send([{"harvest_run": run.run_id, "member": member_id}])
        except ConsortiumError as exc:
            self._finish(run, RunState.FAILED, f"the run could not be queued: {exc}", "internal_error")
            raise
        return self.get(member_id, run.run_id)

    def get(self, member_id: str, run_id: str) -> HarvestRun:
        """The member's run; :class:`NotFoundError` if the member has none with that id."""
        found = self.store.get(member_id, run_id)
        if found is None:
            raise NotFoundError(f"member {member_id!r} has no harvest run {run_id!r}", run_id=run_id)
        return found

    def runs(self, member_id: str, *, limit: int = 20, before: str | None = None) -> HarvestRunPage:
        """The member's runs, newest first, ``limit`` (1 to :data:`MAX_RUNS_PAGE`) a page; ``before`` is the
        ``next_before`` of the page before."""
        if not 1 <= limit <= MAX_RUNS_PAGE:
            raise ValidationError(f"field 'limit': must be from 1 to {MAX_RUNS_PAGE}", field="limit")
        self._member(member_id)
        found = self.store.runs(member_id, limit=limit + 1, before=before)
        more = len(found) > limit
        return HarvestRunPage(runs=found[:limit], next_before=found[limit - 1].run_id if more else None)

    def prune(
        self, member_ids: Sequence[str], *, older_than: dt.timedelta = RUN_RETENTION, keep: int = KEPT_RUNS
    ) -> int:
        """Forget each member's old runs (:func:`prune_runs` on this store and clock)."""
        return prune_runs(self.store, member_ids, self._clock(), older_than=older_than, keep=keep)

    # -- the worker ------------------------------------------------------------------------------------

    def handle(self, message: dict[str, Any]) -> HarvestRun:
        """Run the queued run a message names (what a queue's worker calls). A run no longer queued (a message
        delivered twice, a run found interrupted meanwhile) is left as it is."""
        run_id, member_id = message.get("harvest_run"), message.get("member")
        if not isinstance(run_id, str) or not isinstance(member_id, str):
            raise ValidationError("a harvest run message has string fields 'harvest_run' and 'member'")
        return self.execute(member_id, run_id)

    def execute(self, member_id: str, run_id: str) -> HarvestRun:
        """Run a queued run to its end, saving it after every page; return it finished."""
        run = self.get(member_id, run_id)
        if run.state is not RunState.QUEUED:
            log.info("harvest run %s of %s is %s already: left alone", run_id, member_id, run.state)
            return run
        now = self._clock()
        run = run.model_copy(update={"state": RunState.RUNNING, "started_at": now, "updated_at": now})
        self.store.save(run)
        try:
            member = self._member(member_id)
        except ConsortiumError as exc:  # the member left the registry since: the run fails, saying why
            self._finish(run, RunState.FAILED, str(exc), run_error_code(exc))
            return self.get(member_id, run_id)
        pairs = []
        for part in run.sources:
            try:
                pairs.append((member, _source(member, part.source)))
            except NotFoundError as exc:
                failed = {"state": SourceRunState.FAILED, "error": str(exc), "error_code": "not_found"}
                run = run.with_source(part.source, **failed)
        confirmed = run.confirm_withdrawals

        def harvest(member: Member, source: Source, progress: Progress) -> HarvestReport:
            return self.harvester.harvest_source(member, source, progress=progress, confirm_withdrawals=confirmed)

        self._harvest(run, pairs, honour_backoff=False, harvest=harvest, clock=self._clock)
        return self.get(member_id, run_id)

    # -- the schedule's and the command's harvests -----------------------------------------------------

    def sweep(
        self,
        pairs: Sequence[tuple[Member, Source]],
        *,
        trigger: RunTrigger,
        requested_by: str | None = None,
        honour_backoff: bool = False,
        harvest: Callable[[Member, Source, Progress], HarvestReport] | None = None,
        clock: Clock | None = None,
    ) -> tuple[list[HarvestReport], list[SourceFailure]]:
        """Harvest these sources (as :func:`~consortium.harvest.sweep.harvest_sources` does), keeping one run
        per member; returns what ``harvest_sources`` returns, every member's together.

        ``harvest`` harvests one source, given the progress callback that moves the run on (by default
        :meth:`HarvestService.harvest_source`); ``clock`` dates failures and the backoff."""
        clock = clock or self._clock
        grouped: dict[str, list[tuple[Member, Source]]] = {}
        for member, source in pairs:
            grouped.setdefault(member.id, []).append((member, source))
        reports: list[HarvestReport] = []
        failed: list[SourceFailure] = []
        for member_id, member_pairs in grouped.items():
            if self.harvester.should_stop():  # the hub stops: members not begun get no run
                break
            now = self._clock()
            run = HarvestRun(
                run_id=new_run_id(now),
                member=member_id,
                trigger=trigger,
                requested_by=requested_by,
                state=RunState.RUNNING,
                requested_at=now,
                started_at=now,
                updated_at=now,
                sources=[SourceRun(source=source.id) for _, source in member_pairs],
            )
            self.store.add(run)
            got, lost = self._harvest(
                run, member_pairs, honour_backoff=honour_backoff, harvest=harvest or self._harvest_one, clock=clock
            )
            reports += got
            failed += lost
        return reports, failed

    # -- inside ----------------------------------------------------------------------------------------

    def _harvest_one(self, member: Member, source: Source, progress: Progress) -> HarvestReport:
        return self.harvester.harvest_source(member, source, progress=progress)

    def _harvest(
        self,
        run: HarvestRun,
        pairs: list[tuple[Member, Source]],
        *,
        honour_backoff: bool,
        harvest: Callable[[Member, Source, Progress], HarvestReport],
        clock: Clock,
    ) -> tuple[list[HarvestReport], list[SourceFailure]]:
        """Harvest the run's sources, saving the run as each starts, after each page, and when all are done."""
        current = [run]

        def one(member: Member, source: Source) -> HarvestReport:
            now = self._clock()
            current[0] = current[0].with_source(source.id, state=SourceRunState.RUNNING, started_at=now)
            self._save(current[0])

            def moved_on(counts: HarvestCounts, fraction: float | None) -> None:
                part = next(s for s in current[0].sources if s.source == source.id)
                current[0] = current[0].with_source(source.id, pages=part.pages + 1, counts=counts)
                self._save(current[0])

            return harvest(member, source, moved_on)

        try:
            reports, failed = harvest_sources(
                pairs, one, self.failures, clock, honour_backoff=honour_backoff, should_stop=self.harvester.should_stop
            )
        except BaseException as exc:  # not a hub error (those are the source's failure): the run ends here
            if isinstance(exc, KeyboardInterrupt):
                self._finish(current[0], RunState.INTERRUPTED, INTERRUPTED, "interrupted")
            else:
                self._finish(current[0], RunState.FAILED, f"{type(exc).__name__}: {exc}", run_error_code(exc))
            raise
        run = current[0]
        now = self._clock()
        for report in reports:
            if report.paused is not None:
                update: dict[str, Any] = {"state": SourceRunState.PAUSED, "error": report.paused}
                update["error_code"] = "paused"
            elif report.complete:
                update = {"state": SourceRunState.SUCCEEDED, "notice": _notice(report)}
            elif report.interrupted:
                update = {"state": SourceRunState.INCOMPLETE, "error": INTERRUPTED, "error_code": "interrupted"}
            else:
                stopped = report.stopped or "stopped before the end"
                update = {"state": SourceRunState.INCOMPLETE, "error": stopped, "error_code": "stopped"}
            if report.paused is None:
                update |= {"counts": report.counts, "checkpoint_run": report.run_id, "resumed": report.resumed}
            run = run.with_source(report.source, finished_at=now, **update)
        for failure in failed:
            state = SourceRunState.WAITING if failure.skipped else SourceRunState.FAILED
            error = f"waiting to retry from {failure.retry_at:%Y-%m-%d %H:%M} UTC: {failure.error}"
            said = error if failure.skipped else failure.error  # a skipped failure's code is "waiting"
            run = run.with_source(failure.source, state=state, error=said, error_code=failure.code)
        parts = run.sources
        begun = len(reports) + len(failed)
        if any(r.interrupted for r in reports) or (begun < len(pairs) and self.harvester.should_stop()):
            outcome = RunState.INTERRUPTED  # what its sources committed is kept; the next harvest resumes there
        elif any(p.state is SourceRunState.FAILED for p in parts):
            outcome = RunState.FAILED
        elif any(p.state is SourceRunState.INCOMPLETE for p in parts):
            outcome = RunState.INCOMPLETE
        else:
            outcome = RunState.SUCCEEDED
        wrong = [p for p in parts if p.error and p.state is not SourceRunState.PAUSED]
        problems = [f"{p.source}: {p.error}" for p in wrong]
        if outcome is RunState.INTERRUPTED and not any(r.interrupted for r in reports):
            problems.append(INTERRUPTED)  # stopped between sources: those not begun are left pending
        code = "interrupted" if outcome is RunState.INTERRUPTED else next((p.error_code for p in wrong), None)
        self._finish(run, outcome, "; ".join(problems) or None, code if problems else None)
        return reports, failed

    def _finish(self, run: HarvestRun, state: RunState, error: str | None, code: str | None = None) -> None:
        now = self._clock()
        done = {"state": state, "finished_at": now, "updated_at": now, "error": error, "error_code": code}
        self._save(run.model_copy(update=done))

    def _save(self, run: HarvestRun) -> None:
        self.store.save(run.totalled().model_copy(update={"updated_at": self._clock()}))

    def _refuse_while_active(self, member_id: str) -> None:
        """A run of the member still queued or running (and moving) refuses another; one that stopped moving
        long ago is marked interrupted (see :data:`STALE_AFTER`)."""
        now = self._clock()
        for run in self.store.runs(member_id, limit=10):
            if run.state not in ACTIVE:
                continue
            if run.updated_at < now - self.stale_after:
                log.warning("harvest run %s of %s stopped moving: marked interrupted", run.run_id, member_id)
                stale = f"no progress since {run.updated_at.isoformat()}"
                self._finish(run, RunState.INTERRUPTED, stale, "interrupted")
                continue
            raise InProgressError(
                f"a harvest of member {member_id!r} is {run.state} (run {run.run_id}); follow it, or ask again "
                "when it is over",
                run_id=run.run_id,
            )


def _notice(report: HarvestReport) -> str | None:
    """What a member reads of a harvest that withheld withdrawals: why, and how to confirm them by the API."""
    if report.withheld is None:
        return None
    how = f'POST /members/{report.member}/harvests with {{"source_id": "{report.source}", "confirm_withdrawals": true}}'
    return f"{report.withheld}; {confirm_hint(how)}"


def _source(member: Member, source_id: str) -> Source:
    for source in member.sources:
        if source.id == source_id:
            return source
    raise NotFoundError(f"member {member.id!r} has no source {source_id!r}", source=source_id)


def prune_runs(
    store: HarvestRunStore,
    member_ids: Sequence[str],
    now: dt.datetime,
    *,
    older_than: dt.timedelta = RUN_RETENTION,
    keep: int = KEPT_RUNS,
) -> int:
    """Forget each member's runs asked for more than ``older_than`` before ``now``, but the newest ``keep`` of
    each and any not over yet (the retention purge runs this daily); how many were forgotten."""
    # Run ids sort by the time they were asked for: those below the cutoff's own id were asked for before it.
    cutoff = new_run_id(now - older_than).split("-", 1)[0]
    forgotten = 0
    for member_id in member_ids:
        newest = store.runs(member_id, limit=keep) if keep > 0 else []
        if len(newest) < keep:
            continue
        before: str | None = min(newest[-1].run_id, cutoff) if newest else cutoff
        old = []
        while before is not None and (page := store.runs(member_id, limit=MAX_RUNS_PAGE, before=before)):
            old += [run.run_id for run in page if run.state not in ACTIVE]
            before = page[-1].run_id if len(page) == MAX_RUNS_PAGE else None
        if old:
            store.delete(member_id, old)
            forgotten += len(old)
    if forgotten:
        log.info("harvest runs: %d older than %d days forgotten", forgotten, older_than.days)
    return forgotten
