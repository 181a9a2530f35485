"""Harvesting every source of every member, where one failing source stops no other.

:func:`harvest_sources` runs each source in turn; a source that fails (its file missing or empty, its server
unreachable, a store error) is reported as a :class:`SourceFailure` naming its member and source, and the next
source runs. A paused source (:attr:`~consortium.members.Source.paused`) is not tried: it comes back as a report
saying so (:func:`~consortium.harvest.service.paused_report`), neither harvested nor failed.

Failures are remembered in a :class:`FailureLog` (a small JSON file in the data folder), so that a scheduled
harvest retries a failing source with backoff: after the ``n``-th failure in a row it is left alone for
:func:`backoff` (``n``) (1 hour, then 2, 4, 8... at most a day); a success forgets its failures.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from consortium.errors import ConsortiumError
from consortium.harvest.runs import run_error_code
from consortium.harvest.service import paused_report

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from pathlib import Path

    from consortium.harvest.service import HarvestReport
    from consortium.members import Member, Source

__all__ = ["FIRST_BACKOFF", "MOST_BACKOFF", "FailureLog", "SourceFailure", "backoff", "harvest_sources"]

log = logging.getLogger(__name__)

FIRST_BACKOFF = dt.timedelta(hours=1)
"""How long a source that failed once is left alone by scheduled harvests."""
MOST_BACKOFF = dt.timedelta(days=1)
"""The longest a failing source is left alone."""


def backoff(failures: int) -> dt.timedelta:
    """How long a source that failed ``failures`` times in a row is left alone: 1 h, 2 h, 4 h... at most a day."""
    longest: dt.timedelta = min(FIRST_BACKOFF * (2 ** max(failures - 1, 0)), MOST_BACKOFF)
    return longest


@dataclass(frozen=True)
class SourceFailure:
    """A source whose harvest failed (or that waits out its backoff, ``skipped``), and why."""

    member: str
    source: str
    error: str
    failures: int
    """Failures in a row, this one included."""
    retry_at: dt.datetime
    """When a scheduled harvest tries it again."""
    skipped: bool = False
    """Not tried this time: it still waits out the backoff of its last failure."""
    code: str = "internal_error"
    """The kind of the last failure (:data:`~consortium.harvest.runs.RUN_ERRORS`)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "member": self.member,
            "source": self.source,
            "error": self.error,
            "code": self.code,
            "failures": self.failures,
            "retry_at": self.retry_at.isoformat(),
            "skipped": self.skipped,
        }

    def line(self) -> str:
        """One line for people: the member and source, the error, and when it is retried."""
        state = "waiting (not tried)" if self.skipped else "FAILED"
        times = "1 failure" if self.failures == 1 else f"{self.failures} failures"
        return (
            f"{self.member}/{self.source}: {state}: {self.error} "
            f"({times} in a row; the scheduled harvest tries it again from {self.retry_at:%Y-%m-%d %H:%M} UTC)"
        )


class FailureLog:
    """The sources' recent failures, kept in a JSON file (``{"member/source": {"failures", "error", "at"}}``).

    Example
    -------
    >>> failures = FailureLog(data_dir / "harvest_failures.json")
    >>> failures.record("riverside", "catalogue", "cannot read books.mrc", now)
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def entries(self) -> dict[str, dict[str, Any]]:
        """Every failing source's entry (an unreadable file counts as none)."""
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {str(k): v for k, v in raw.items() if isinstance(v, dict)} if isinstance(raw, dict) else {}

    def retry_at(self, member: str, source: str) -> tuple[int, dt.datetime | None, str]:
        """``(failures in a row, when it may be tried again, the last error)``; ``(0, None, "")`` if none."""
        entry = self.entries().get(f"{member}/{source}")
        if entry is None:
            return 0, None, ""
        failures = int(entry.get("failures", 0))
        try:
            at = dt.datetime.fromisoformat(str(entry["at"]))
        except (KeyError, ValueError):
            return failures, None, str(entry.get("error", ""))
        return failures, at + backoff(failures), str(entry.get("error", ""))

    def record(
        self, member: str, source: str, error: str, now: dt.datetime, code: str = "internal_error"
    ) -> SourceFailure:
        """Count one more failure of the source (``code``: its kind); return it with when it is retried."""
        entries = self.entries()
        failures = int(entries.get(f"{member}/{source}", {}).get("failures", 0)) + 1
        entries[f"{member}/{source}"] = {"failures": failures, "error": error, "code": code, "at": now.isoformat()}
        self._write(entries)
        return SourceFailure(member, source, error, failures, now + backoff(failures), code=code)

    def clear(self, member: str, source: str) -> None:
        """Forget the source's failures (it succeeded)."""
        entries = self.entries()
        if entries.pop(f"{member}/{source}", None) is not None:
            self._write(entries)

    def _write(self, entries: dict[str, dict[str, Any]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(entries, indent=2, sort_keys=True), encoding="utf-8")
        os.replace(temporary, self.path)


def harvest_sources(
    sources: Iterable[tuple[Member, Source]],
    harvest: Callable[[Member, Source], HarvestReport],
    failures: FailureLog,
    now: Callable[[], dt.datetime],
    *,
    honour_backoff: bool = False,
    should_stop: Callable[[], bool] = lambda: False,
) -> tuple[list[HarvestReport], list[SourceFailure]]:
    """Harvest each ``(member, source)`` with ``harvest``; a source that raises a hub error (or an ``OSError``)
    is recorded as failed and the next one runs.

    A paused source is skipped, with a report saying so (``report.paused``), whatever ``honour_backoff``. With
    ``honour_backoff`` (scheduled harvests), a source still inside the backoff of its last failure is not
    tried, and comes back as a skipped :class:`SourceFailure`. Once ``should_stop()`` is true (the hub asked to
    stop), no further source is begun: those left have neither a report nor a failure.

    Example
    -------
    >>> reports, failed = harvest_sources(pairs, service.harvest_source, FailureLog(path), clock)
    >>> [f.line() for f in failed]
    ['riverside/catalogue: FAILED: source 'catalogue': cannot read ...']
    """
    reports: list[HarvestReport] = []
    failed: list[SourceFailure] = []
    for member, source in sources:
        if should_stop():
            log.info(
                "harvest: asked to stop; %s/%s and the sources after it are left for the next run", member.id, source.id
            )
            break
        if source.paused:
            log.info("harvest %s/%s skipped: the source is paused", member.id, source.id)
            reports.append(paused_report(member, source))
            continue
        count, retry_at, error = failures.retry_at(member.id, source.id)
        if honour_backoff and retry_at is not None and retry_at > now():
            failed.append(SourceFailure(member.id, source.id, error, count, retry_at, skipped=True, code="waiting"))
            continue
        try:
            report = harvest(member, source)
        except (ConsortiumError, OSError) as exc:
            log.warning("harvest %s/%s failed: %s", member.id, source.id, exc)
            error = f"{type(exc).__name__}: {exc}"
            failed.append(failures.record(member.id, source.id, error, now(), run_error_code(exc)))
            continue
        failures.clear(member.id, source.id)
        reports.append(report)
    return reports, failed
