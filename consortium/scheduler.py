"""The local scheduler: what EventBridge Scheduler does on AWS, inside ``consortium run`` on one machine.

Each job runs every so often; when each job last ran is kept in a small JSON file in the data folder, so a
restart neither runs everything again at once nor forgets a job. A job that fails is logged (never with
personal data) and tried again at its next turn; the others go on.

Stopping: once ``stop`` is set, no job is begun; the job running is expected to see the same stop at its next safe
point and raise :class:`~consortium.errors.Interrupted`. An interrupted job is reported (``interrupted``) and not
recorded as run, so it is due again at the next start: what it finished is kept, the rest runs then.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from consortium.errors import Interrupted
from consortium.ports import Clock, system_clock

if TYPE_CHECKING:
    import threading
    from collections.abc import Callable, Sequence
    from pathlib import Path

__all__ = ["Job", "JobResult", "LocalScheduler"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """A job: its name, how often it runs, and what it does (given the time; returns a one-line summary)."""

    name: str
    every: dt.timedelta
    action: Callable[[dt.datetime], str]


@dataclass(frozen=True)
class JobResult:
    job: str
    at: dt.datetime
    summary: str
    ok: bool
    interrupted: bool = False
    """The job was asked to stop and gave up at a safe point (not recorded as run: it runs again at the next
    start)."""


class LocalScheduler:
    """Runs :class:`Job` s when they are due, remembering their last runs in ``state_file``.

    Example
    -------
    >>> scheduler = LocalScheduler([Job("push", timedelta(hours=1), run_push)], data_dir / "schedule.json")
    >>> scheduler.run_forever(stop_event, report=print)
    """

    def __init__(
        self,
        jobs: Sequence[Job],
        state_file: Path,
        clock: Clock = system_clock,
    ) -> None:
        names = [job.name for job in jobs]
        if len(set(names)) != len(names):
            raise ValueError(f"job names repeat: {names}")
        self.jobs = list(jobs)
        self.state_file = state_file
        self._clock = clock

    def last_runs(self) -> dict[str, dt.datetime]:
        """When each job last ran (jobs that never ran are absent)."""
        try:
            raw = json.loads(self.state_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            logger.warning(
                "the schedule state %s is unreadable (%s): every job counts as never run", self.state_file, exc
            )
            return {}
        runs: dict[str, dt.datetime] = {}
        for name, text in raw.items() if isinstance(raw, dict) else ():
            try:
                runs[str(name)] = dt.datetime.fromisoformat(str(text))
            except ValueError:
                continue
        return runs

    def mark(self, name: str, at: dt.datetime) -> None:
        """Record that ``name`` ran at ``at`` (written atomically)."""
        runs = {**self.last_runs(), name: at}
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.state_file.with_suffix(".tmp")
        temporary.write_text(
            json.dumps({k: v.isoformat() for k, v in sorted(runs.items())}, indent=2), encoding="utf-8"
        )
        os.replace(temporary, self.state_file)

    def next_run(self, job: Job) -> dt.datetime:
        """When ``job`` is next due (at once, if it never ran)."""
        last = self.last_runs().get(job.name)
        return dt.datetime.min.replace(tzinfo=dt.UTC) if last is None else last + job.every

    def run_pending(
        self, should_stop: Callable[[], bool] = lambda: False, report: Callable[[JobResult], None] | None = None
    ) -> list[JobResult]:
        """Run every job that is due now, in order, until ``should_stop()``; return what each did (telling
        ``report`` of each as it ends)."""
        results = []
        for job in self.jobs:
            now = self._clock()
            if should_stop():
                break
            if self.next_run(job) > now:
                continue
            try:
                result = JobResult(job.name, now, job.action(now), ok=True)
            except Interrupted as stopped:  # asked to stop: due again at the next start
                logger.info("scheduled job %s stopped on request", job.name)
                result = JobResult(job.name, now, str(stopped), ok=True, interrupted=True)
            except Exception as exc:  # a failing job must not stop the others
                logger.exception("scheduled job %s failed", job.name)
                result = JobResult(job.name, now, f"failed: {type(exc).__name__}: {exc}", ok=False)
            if not result.interrupted:
                self.mark(job.name, now)
            results.append(result)
            if report is not None:
                report(result)
        return results

    def seconds_to_next(self) -> float:
        """Seconds until the next job is due (0 if one is due now)."""
        now = self._clock()
        return max(0.0, min((self.next_run(job) - now).total_seconds() for job in self.jobs)) if self.jobs else 60.0

    def run_forever(
        self, stop: threading.Event, report: Callable[[JobResult], None] | None = None, most_sleep: float = 60.0
    ) -> None:
        """Run due jobs until ``stop`` is set, sleeping in between (at most ``most_sleep`` seconds at a time,
        so a changed clock is noticed); no job is begun once it is set (see the module notes)."""
        while not stop.is_set():
            self.run_pending(stop.is_set, report)
            stop.wait(min(most_sleep, max(self.seconds_to_next(), 0.5)))
