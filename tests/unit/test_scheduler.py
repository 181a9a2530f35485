"""The local scheduler: jobs run when due, their last runs survive a restart, a failing job stops no other; once a
stop is asked for no job begins, and a job interrupted at its safe point is due again at the next start."""

from __future__ import annotations

import datetime as dt
import threading
from typing import TYPE_CHECKING

from consortium.adapters.memory.clock import ManualClock
from consortium.errors import Interrupted
from consortium.scheduler import Job, JobResult, LocalScheduler

if TYPE_CHECKING:
    from pathlib import Path

T0 = dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC)


def test_jobs_run_when_due_and_remember_across_restarts(tmp_path: Path) -> None:
    clock = ManualClock(T0)
    ran: list[tuple[str, dt.datetime]] = []

    def job(name: str, every: dt.timedelta) -> Job:
        def action(now: dt.datetime) -> str:
            ran.append((name, now))
            return f"{name} done"

        return Job(name, every, action)

    jobs = [job("push", dt.timedelta(hours=1)), job("purge", dt.timedelta(days=1))]
    scheduler = LocalScheduler(jobs, tmp_path / "schedule.json", clock)
    assert [r.summary for r in scheduler.run_pending()] == ["push done", "purge done"]  # never ran: due
    clock.now += dt.timedelta(minutes=30)
    assert scheduler.run_pending() == []
    assert scheduler.seconds_to_next() == 30 * 60

    clock.now += dt.timedelta(minutes=30)
    restarted = LocalScheduler(jobs, tmp_path / "schedule.json", clock)  # a new process reads the state file
    assert [r.job for r in restarted.run_pending()] == ["push"]
    clock.now = T0 + dt.timedelta(days=1)
    assert [r.job for r in restarted.run_pending()] == ["push", "purge"]
    assert [name for name, _ in ran] == ["push", "purge", "push", "push", "purge"]


def test_a_failing_job_is_reported_and_the_others_run(tmp_path: Path) -> None:
    def broken(now: dt.datetime) -> str:
        raise RuntimeError("mail server down")

    scheduler = LocalScheduler(
        [Job("push", dt.timedelta(hours=1), broken), Job("purge", dt.timedelta(days=1), lambda now: "ok")],
        tmp_path / "schedule.json",
        ManualClock(T0),
    )
    results = scheduler.run_pending()
    assert [(r.job, r.ok) for r in results] == [("push", False), ("purge", True)]
    assert "mail server down" in results[0].summary


def test_an_unreadable_state_file_counts_as_never_run(tmp_path: Path) -> None:
    state = tmp_path / "schedule.json"
    state.write_text("{not json", encoding="utf-8")
    scheduler = LocalScheduler([Job("push", dt.timedelta(hours=1), lambda now: "ok")], state, ManualClock(T0))
    assert [r.job for r in scheduler.run_pending()] == ["push"]
    assert scheduler.last_runs() == {"push": T0}


def test_run_forever_stops_when_asked(tmp_path: Path) -> None:
    stop = threading.Event()
    seen: list[str] = []

    def action(now: dt.datetime) -> str:
        stop.set()
        return "ran"

    scheduler = LocalScheduler([Job("push", dt.timedelta(hours=1), action)], tmp_path / "schedule.json")
    scheduler.run_forever(stop, lambda result: seen.append(result.summary), most_sleep=0.1)
    assert seen == ["ran"]


def test_a_job_interrupted_on_request_is_reported_not_recorded_and_no_other_begins(tmp_path: Path) -> None:
    stop = threading.Event()
    ran: list[str] = []

    def harvest(now: dt.datetime) -> str:
        ran.append("harvest")
        return "3 sources"

    def push(now: dt.datetime) -> str:
        ran.append("push")
        stop.set()  # SIGTERM arrives while the push job delivers
        raise Interrupted("stopped on request: 2 digests delivered (kept)")

    def purge(now: dt.datetime) -> str:
        ran.append("purge")
        return "purged"

    every = dt.timedelta(hours=1)
    jobs = [Job("harvest", every, harvest), Job("push", every, push), Job("purge", every, purge)]
    scheduler = LocalScheduler(jobs, tmp_path / "schedule.json", ManualClock(T0))
    seen: list[JobResult] = []
    scheduler.run_forever(stop, seen.append, most_sleep=0.1)
    assert ran == ["harvest", "push"]  # purge, due too, was not begun once the stop was asked for
    assert [(r.job, r.ok, r.interrupted) for r in seen] == [("harvest", True, False), ("push", True, True)]
    assert seen[1].summary == "stopped on request: 2 digests delivered (kept)"
    assert scheduler.last_runs() == {"harvest": T0}  # the push job is due again at the next start

    restarted = LocalScheduler(jobs, tmp_path / "schedule.json", ManualClock(T0 + dt.timedelta(minutes=5)))
    assert [job.name for job in jobs if restarted.next_run(job) <= T0 + dt.timedelta(minutes=5)] == ["push", "purge"]
