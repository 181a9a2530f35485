"""One harvest run's hand-over of committed pages to clustering and indexing.

The harvest commits each page with a checkpoint naming every record committed and not yet followed (clustered
and indexed). :class:`Following` keeps that list for a run: records wait in batches of ``follow_every``, then are
handed over, either in this process (``on_commit``, which returns once they are followed) or to a
:class:`~consortium.harvest.ports.Follower` (another process), which follows them while the harvest goes on and
says later which batches are done. A record leaves the checkpoint only once it is known to be followed, so a
run, or a follower, that dies anywhere loses nothing: the next run or the next writer's ``catch_up`` follows
what the last checkpoint still names (following is idempotent).

The follower is started only for a run that hands over a batch before its last page (a run of fewer than
``follow_every`` records follows at its end, in this process). At most :data:`IN_FLIGHT` batches wait for it:
the harvest waits when it is that far ahead, so checkpoints stay small. If the follower dies, what it had not
done is followed here, and the run goes on in this process.
"""

from __future__ import annotations

import logging
from collections import deque
from typing import TYPE_CHECKING

from consortium.errors import StorageError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from consortium.harvest.ports import Follower
    from consortium.harvest.state import RecordChange

__all__ = ["IN_FLIGHT", "Following"]

log = logging.getLogger(__name__)

IN_FLIGHT = 3
"""Batches handed to a follower and not yet followed, at most, before the harvest waits for it."""


class Following:
    """The records one run committed and has not seen followed yet, and their hand-over.

    Parameters
    ----------
    on_commit
        Follows a batch in this process (returns once it is followed).
    follow_every
        Records a batch (at least a page's).
    start_follower
        Starts a follower in another process, when the run hands over its first batch before its end;
        ``None``: every batch is followed in this process.
    """

    def __init__(
        self,
        on_commit: Callable[[list[RecordChange]], None],
        follow_every: int,
        start_follower: Callable[[], Follower] | None = None,
    ) -> None:
        self.on_commit = on_commit
        self.follow_every = follow_every
        self.start_follower = start_follower
        self.follower: Follower | None = None
        self.held: list[RecordChange] = []
        """Committed, not handed over yet."""
        self.in_flight: deque[list[RecordChange]] = deque()
        """Handed to the follower, not known to be followed yet (oldest first)."""
        self._acknowledged = 0
        self._handed = 0

    def unfollowed(self, page: Iterable[RecordChange]) -> list[tuple[str, str]]:
        """The records a checkpoint committed with ``page`` must name: those not known to be followed."""
        waiting = [*(c for batch in self.in_flight for c in batch), *self.held, *page]
        return list(dict.fromkeys((c.member, c.local_id) for c in waiting))

    def committed(self, changes: list[RecordChange], *, last: bool) -> None:
        """A page's changes were committed: hand a batch over when one is full (``last``: no page follows)."""
        self.held.extend(changes)
        self._acknowledge()
        if len(self.held) < self.follow_every:
            return
        batch, self.held = self.held, []
        if self.follower is None and self.start_follower is not None and not last:
            self.follower = self.start_follower()
            log.info("clustering and indexing follow the harvest in another process")
        self._hand(batch)

    def finish(self) -> None:
        """The run ended: hand over what is held and wait until everything handed over is followed."""
        batch, self.held = self.held, []
        if batch:
            self._hand(batch)
        self._wait(0)
        self.close()

    def fail(self, key: str) -> None:
        """The run is failing: follow what it committed if that can be done (its checkpoint names it, so the
        next run follows it again if this fails too)."""
        try:
            self.finish()
        except Exception:
            count = len(self.held) + sum(len(b) for b in self.in_flight)
            log.exception("harvest %s: %d committed record(s) left for the next run to cluster", key, count)
        finally:
            self.close()

    def close(self) -> None:
        """Stop the follower, if one runs (what it has not done stays named by the checkpoint)."""
        follower, self.follower = self.follower, None
        if follower is not None:
            follower.close()

    def abandon(self) -> None:
        """The run stops on request: nothing more is handed over and nothing waited for; the follower, if one
        runs, stops at once (:meth:`~consortium.harvest.ports.Follower.abandon`). What was not followed stays
        named by the last checkpoint, and the next writer follows it (``catch_up``)."""
        follower, self.follower = self.follower, None
        self.held = []
        if follower is not None:
            follower.abandon()

    def _hand(self, batch: list[RecordChange]) -> None:
        if self.follower is None:
            self.on_commit(batch)
            return
        try:
            self.follower.hand(batch)
        except StorageError:
            self._fall_back()
            self.on_commit(batch)
            return
        self.in_flight.append(batch)
        self._handed += 1
        self._wait(IN_FLIGHT)

    def _acknowledge(self, wait: bool = False) -> None:
        if self.follower is None:
            return
        try:
            done = self.follower.followed(wait=wait)
        except StorageError:
            self._fall_back()
            return
        while self._acknowledged < done:
            self.in_flight.popleft()
            self._acknowledged += 1

    def _wait(self, most: int) -> None:
        """Wait until at most ``most`` batches are in flight."""
        while self.follower is not None and len(self.in_flight) > most:
            self._acknowledge(wait=True)

    def _fall_back(self) -> None:
        """The follower died or failed: follow what it had not confirmed here, and go on in this process."""
        follower, self.follower = self.follower, None
        assert follower is not None
        reason = follower.close()
        log.warning("the follower process stopped (%s): following in this process", reason)
        self.start_follower = None
        while self.in_flight:
            self.on_commit(self.in_flight[0])
            self.in_flight.popleft()
        self._acknowledged = self._handed
