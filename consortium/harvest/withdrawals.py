"""Withdrawal by absence: a complete run of a complete file is its source's whole content.

An OAI-PMH server says which records it deleted; a file says it only by leaving them out. A book weeded from a
library's catalogue export, an e-journal gone from a KBART file because the subscription ended, is simply not in
the next file. So once a run of a file source whose files are complete (``file = "complete"``, the default for
MARC files; always for KBART: a package's full title list) has read its *whole* file (every record stored,
unchanged or quarantined; not stopped before its end, nor resumed from another file: a new file starts a new run),
two things follow, committed as the file's pages are (below, *When*):

- **records withdrawn**: the member's records of that source that the store holds and the file no longer gives
  (read from the store's index of member and source, :meth:`~consortium.harvest.ports.RecordStore.source_ids`,
  against every id the file gave, :attr:`~consortium.harvest.file_ids.FileIds.given`: a record quarantined now
  but naming its id is still the member's and keeps its stored version) are deleted as an OAI-PMH deletion is: a
  :class:`~consortium.harvest.state.RecordChange` with its source, so the store deletes the record and its
  quarantined versions, and clustering and the index follow (the member's holding leaves its work; a work no
  member holds leaves the index). Counted as ``withdrawn``;
- **the quarantine brought up to date**: the source's quarantined records that this run did not quarantine again
  (a bad record since deleted or fixed back to the stored bytes, a duplicate 001 removed, a bad record whose place
  in the file moved) leave the quarantine (:attr:`~consortium.harvest.state.PageCommit.cleared`), counted as
  ``superseded``. Each harvested item carries the run that quarantined it
  (:attr:`~consortium.models.QuarantinedRecord.checkpoint_run`); one quarantined when normalized again from the
  archive (``consortium renormalize``, at its record's id) is left to its record's next change or deletion.

A source whose files are ``increments`` (only new and changed records) withdraws nothing by absence, and an
incomplete run (stopped before the end of its file) withdraws nothing and clears nothing.

**Safety.** A wrong file (another export, a test export of a hundred records, an increment sent to a complete
source, an export filtered to one branch) or one cut at a record boundary reads as a valid, complete file. So a
run that would withdraw more than :data:`MOST_WITHDRAWN_SHARE` of the records the source had before it withdraws
nothing and clears nothing, and says how many it would withdraw (``withheld``) and how to confirm them: the same
file harvested again with ``confirm_withdrawals`` (``consortium harvest --member M --source S
--confirm-withdrawals``, or the member API's ``confirm_withdrawals``).

**When.** What the file no longer gives is worked out as its last page is read, before that page is committed
(the records the page adds the file gives; what it quarantines again a store never clears with it), and goes
with it: when nothing is absent, the page also clears the stale quarantine and closes the run (no page more than
before); when records are withheld, it closes the run saying so; else it is committed with the run still open,
its cursor ``{WHOLE_FILE_READ: "decided"}``, pages of withdrawals follow (``page_size`` records each), and a last
page clearing the stale quarantine closes the run.

**Crashes.** A run killed before the file's last page is committed resumes at the page before and decides again,
the same way (nothing was withdrawn yet). One killed while withdrawing resumes there (same file) and goes on
without asking again: the ids its file gives are read from it again
(:meth:`~consortium.harvest.file_ids.FileIds.before`), and what is left to withdraw or clear from the store, so a
page applied twice, or a run that died between two, converges. Should the file change meanwhile, its new run
starts from its first record, and withdraws by that file. A run resumed mid-file that could not read again the
ids before its cursor (:attr:`~consortium.harvest.file_ids.FileIds.whole`) withdraws nothing, as if incomplete.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from consortium.harvest.file_ids import WHOLE_FILE_READ
from consortium.harvest.items import RawPage
from consortium.harvest.state import HarvestCounts, PageCommit, RecordChange

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping
    from typing import Any

    from consortium.harvest.file_ids import FileIds
    from consortium.harvest.formats import FilePage
    from consortium.harvest.ports import RecordStore
    from consortium.members import Source
    from consortium.models import QuarantinedRecord

__all__ = ["MOST_WITHDRAWN_SHARE", "WithdrawalPage", "Withdrawals", "confirm_hint", "file_pages"]

log = logging.getLogger(__name__)

MOST_WITHDRAWN_SHARE = 0.5
"""The most of a source's records one complete run withdraws unconfirmed: more than half of them absent at once
is withheld. A catalogue's weeding, a package's cancelled titles or an ILS clean-up take a few percent a run,
rarely a large part at once; a wrong file, an increment sent as a complete file or a file cut at a record boundary
most often lack most of it, and the records of another member's export share no ids with this one's. Half lies
well between the two: a legitimate large change costs one confirmed harvest, a wrong file never empties a
member's catalogue (it keeps at least half of it, and nothing is withdrawn at all before the member confirms)."""

DECIDED = "decided"
"""The value of a file run's :data:`~consortium.harvest.file_ids.WHOLE_FILE_READ` cursor while its withdrawals are
under way (decided, or confirmed): a resumed run goes on with them without asking again."""


@dataclass(slots=True)
class WithdrawalPage(RawPage):
    """A page that ends a complete run of a complete file: its file's last records (or none), and what the file
    no longer gives: records to withdraw, quarantined records to clear, or how many it withheld."""

    withdraw: list[str] = field(default_factory=list)
    """Ids of the member's records of the source to delete: absent from the file (and held by no other source
    now). One whose record is already gone (a DynamoDB index entry a crash left) is deleted again, uncounted."""
    withdrawn: int = 0
    """How many of :attr:`withdraw` the store holds."""
    cleared: list[QuarantinedRecord] = field(default_factory=list)
    withheld: int = 0
    """Records absent from the file that were not withdrawn (see :data:`MOST_WITHDRAWN_SHARE`)."""

    def add_to(self, counts: HarvestCounts, commit: PageCommit, member: str, source_id: str) -> None:
        """Add the withdrawals and cleared records to what the page's records count and commit."""
        commit.changes += [RecordChange(member=member, local_id=i, source_id=source_id) for i in self.withdraw]
        commit.cleared += self.cleared
        counts.withdrawn += self.withdrawn
        counts.withheld += self.withheld


class Withdrawals:
    """The end of a complete run of a complete file: what its file no longer gives is withdrawn (see the module).

    Example
    -------
    >>> withdrawals = Withdrawals(store, "riverside", source, file_ids, checkpoint.run_id, page_size=500)
    >>> for page, fraction in file_pages(lambda cursor: reader.file_pages(data, ...), cursor, withdrawals): ...
    """

    def __init__(
        self,
        store: RecordStore,
        member: str,
        source: Source,
        file_ids: FileIds,
        run_id: str,
        *,
        page_size: int,
        confirmed: bool = False,
    ) -> None:
        self.store = store
        self.member = member
        self.source = source
        self.file_ids = file_ids
        self.run_id = run_id
        self.page_size = max(page_size, 1)
        self.confirmed = confirmed
        """Withdraw however many are absent (the member confirmed them: the file is right)."""
        self.held: str | None = None
        """Set when the run withheld its withdrawals: how many, why, and how to confirm them."""
        self._stored: list[str] = []

    def pages(
        self, read: Callable[[Mapping[str, Any]], Iterator[FilePage]], cursor: Mapping[str, Any]
    ) -> Iterator[FilePage]:
        """The file's pages from ``cursor``, the last one carrying what the file no longer gives, and the pages
        of withdrawals that follow it, if any: lazily, each worked out once the pages before it are committed."""
        if cursor.get(WHOLE_FILE_READ) == DECIDED:  # resumed while withdrawing
            yield from self._withdrawing(self._absent())
            return
        for page, fraction in read(cursor):
            self.file_ids.gave(page.records)
            if page.cursor is not None or page.stopped is not None or not self.file_ids.whole:
                # Not the end; or stopped before it (incomplete); or the ids before a resumed run's cursor are not
                # known: nothing is withdrawn.
                yield page, fraction
                continue
            # The whole file is read. Its last page is not committed yet, but what it adds it gives, and what
            # it re-quarantines it keeps (a store never clears what a page quarantines itself).
            last = WithdrawalPage(records=page.records)
            absent = self._absent()
            before = self._before(len(self._stored)) if absent and not self.confirmed else 0
            if not absent:
                last.cleared = self._stale()
                yield last, fraction
            elif self.confirmed or len(absent) <= MOST_WITHDRAWN_SHARE * before:
                last.cursor = {WHOLE_FILE_READ: DECIDED}
                yield last, fraction
                yield from self._withdrawing(absent)
            else:
                self.held = _held(self.member, self.source, len(absent), before)
                log.warning("harvest %s/%s: %d absent record(s) withheld", self.member, self.source.id, len(absent))
                last.withheld = len(absent)
                yield last, fraction

    def _absent(self) -> list[str]:
        """The ids of the source's stored records that the file does not give."""
        self._stored = list(self.store.source_ids(self.member, self.source.id))
        return [local_id for local_id in self._stored if local_id not in self.file_ids.given]

    def _before(self, stored: int) -> int:
        """How many records the source had before this run (of those stored now, the ones it did not add)."""
        saved = self.store.checkpoint(f"{self.member}/{self.source.id}")
        return stored - (saved.counts.added if saved is not None and saved.run_id == self.run_id else 0)

    def _withdrawing(self, absent: list[str]) -> Iterator[FilePage]:
        """Pages withdrawing ``absent``, then the page clearing the stale quarantine, which ends the run."""
        member, source_id = self.member, self.source.id
        for start in range(0, len(absent), self.page_size):
            batch = absent[start : start + self.page_size]
            found = self.store.get_many((member, local_id) for local_id in batch)
            # Never a record another source of the member holds now (an index entry a crash left behind).
            withdraw = [i for i in batch if (r := found.get((member, i))) is None or r.source_id == source_id]
            withdrawn = sum(1 for i in withdraw if (member, i) in found)
            going = {WHOLE_FILE_READ: DECIDED}
            yield WithdrawalPage(cursor=going, withdraw=withdraw, withdrawn=withdrawn), 1.0
        if absent:
            log.info("harvest %s/%s: %d record(s) absent from the file withdrawn", member, source_id, len(absent))
        yield WithdrawalPage(cleared=self._stale()), 1.0  # the run's last page

    def _stale(self) -> list[QuarantinedRecord]:
        """The source's quarantined records that this run did not quarantine (again)."""
        return [q for q in self.store.source_quarantine(self.member, self.source.id) if self._is_stale(q)]

    def _is_stale(self, item: QuarantinedRecord) -> bool:
        if item.checkpoint_run is not None:
            return item.checkpoint_run != self.run_id
        # Untagged: quarantined when normalized again from the archive (at its record's id: left to the record's
        # next change), or by a harvest of a release before the tag (at its place in a file: stale now).
        return item.position != item.local_id


def file_pages(
    read: Callable[[Mapping[str, Any]], Iterator[FilePage]],
    cursor: Mapping[str, Any],
    withdrawals: Withdrawals | None,
) -> Iterator[FilePage]:
    """A file run's pages from its checkpoint's ``cursor``: the file's (``read`` from a cursor), then, when the
    source withdraws records absent from its file, the withdrawals' (see :class:`Withdrawals`)."""
    if withdrawals is not None:
        yield from withdrawals.pages(read, cursor)
    elif WHOLE_FILE_READ in cursor:  # the source was set to increments while its withdrawals were under way
        yield RawPage(), 1.0  # the file is read: the run ends, withdrawing nothing more
    else:
        yield from read(cursor)


def _held(member: str, source: Source, absent: int, before: int) -> str:
    """Why a run withheld its withdrawals (each interface adds how to confirm them, in its own terms)."""
    return (
        f"{absent} record(s) of {member}/{source.id} are not in this file and were not withdrawn: more than "
        f"{MOST_WITHDRAWN_SHARE:.0%} of the {before} the source had (a wrong or cut file must not empty a catalogue)"
    )


def confirm_hint(how: str) -> str:
    """What a member does about withheld withdrawals, ``how`` being the interface's way to confirm them."""
    return (
        f"if the file is the source's whole content, withdraw them: {how}; if the library sends only new and "
        'changed records, set the source\'s file = "increments"'
    )
