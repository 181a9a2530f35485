"""The local scheduler: what EventBridge Scheduler does on AWS, inside ``consortium run`` on one machine.

Each job runs every so often; when each job last ran is kept in a small JSON file in the data folder, so a
restart neither runs everything again at once nor forgets a job. A job that fails is logged (never with
personal data) and tried again at its next turn; the others go on.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

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

    def run_pending(self) -> list[JobResult]:
        """Run every job that is due now, in order; return what each did."""
        results = []
        for job in self.jobs:
            now = self._clock()
            if self.next_run(job) > now:
                continue
            try:
                summary = job.action(now)
                ok = True
            except Exception as exc:  # a failing job must not stop the others
                logger.exception("scheduled job %s failed", job.name)
                summary, ok = f"failed: {type(exc).__name__}: {exc}", False
            self.mark(job.name, now)
            results.append(JobResult(job.name, now, summary, ok))
        return results

    def seconds_to_next(self) -> float:
        """Seconds until the next job is due (0 if one is due now)."""
        now = self._clock()
        return max(0.0, min((self.next_run(job) - now).total_seconds() for job in self.jobs)) if self.jobs else 60.0

    def run_forever(
        self, stop: threading.Event, report: Callable[[JobResult], None] | None = None, most_sleep: float = 60.0
    ) -> None:
        """Run due jobs until ``stop`` is set, sleeping in between (at most ``most_sleep`` seconds at a time,
        so a changed clock or a stop is noticed)."""
        while not stop.is_set():
            for result in self.run_pending():
                if report is not None:
                    report(result)
            stop.wait(min(most_sleep, max(self.seconds_to_next(), 0.5)))
