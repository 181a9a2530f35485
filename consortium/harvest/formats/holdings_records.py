"""MARC 21 holdings records (MFHD) read with the bibliographic record they hold.

An integrated library system that keeps holdings apart (Voyager, Alma, FOLIO, Sierra) exports them as holdings
records: leader/06 ``u``, ``v``, ``x`` or ``y``, their 004 the 001 of the record they hold, their 852 the location
and call number, 866 what a serial's copy holds, 876 its items. A run of holdings records right after a record or
right before it (as the ZDB's SRU answers put them), naming it, is read as part of it (:func:`attach_holdings`);
so are those of the source's holdings file, a file of their own (:func:`attach_from`). The record then carries
them unparsed (:attr:`RawRecord.attached`), parsed only when it is normalized (a new or changed record), and its
holdings are the ones they give (:meth:`~consortium.harvest.normalize.assembly.MarcDialect.normalize`). Its raw
bytes, archived, are its own and then theirs, in the file's format, so that reading them again gives the same
record with the same holdings (:func:`consortium.harvest.renormalize.reread`), and a changed holdings record
changes its record's digest.

A holdings record whose record is not beside it is quarantined ``not_bibliographic`` saying why: nothing of it is
lost, and the reason says what the hub needs. A titled record typed as holdings is a bibliographic record, and a
deleted holdings record the deletion of its own id: neither is attached.

Pages end where the reader's do, unless holdings records of a record at the end of one begin the next (or the
record that holdings records at the end of one wait for does): those are read into the first page, whose cursor
then resumes after them, so a resumed run reads what one run reads.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from consortium.errors import RecordError
from consortium.harvest.items import RawPage, RawRecord
from consortium.harvest.normalize.common import control, tagged
from consortium.harvest.refusals import Refusal

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from consortium.harvest.formats.base import FilePage
    from consortium.harvest.normalize.common import MarcFields

__all__ = ["HOLDINGS_TYPES", "LINES", "HoldingsFile", "Joining", "attach_from", "attach_holdings", "index_cursor"]

HOLDINGS_TYPES = frozenset("uvxy")
"""Leader/06 of a MARC 21 holdings record: unknown, multipart item, single-part item, serial item holdings."""
_TITLES = ("245", "240", "130", "246")
"""A record with one of these is a bibliographic record, whatever its leader says (as the normalizer reads it)."""


@dataclass(frozen=True)
class Joining:
    """What attaching needs of one format's reader.

    ``record_type``: an item's leader/06, cheaply (an ISO 2709 record left unparsed has it in its seventh byte), or
    ``""`` when it has none (a record that could not be read); ``marc``: the item parsed, with its
    MARC 21 fields (or ``None`` for a record of another MARC format, which takes no holdings record); ``join``:
    records' raw bytes as one stretch of a file of that format; ``cursor_after``: the cursor that resumes after an
    item; ``marc21``: whether an item read is a MARC 21 record, without parsing it when the format says so (a
    binary MARC 21 file's)."""

    record_type: Callable[[RawRecord], str]
    marc: Callable[[RawRecord], tuple[RawRecord, MarcFields | None]]
    join: Callable[[Sequence[bytes]], bytes]
    cursor_after: Callable[[RawRecord], dict[str, Any]]
    marc21: Callable[[RawRecord], bool] = lambda item: True

    def attached(self, item: RawRecord) -> list[MarcFields]:
        """The holdings records read with ``item``, parsed (only a new or changed record's are: when normalized)."""
        return [marc for held in item.attached if (marc := self.marc(held)[1]) is not None]


def index_cursor(item: RawRecord) -> dict[str, Any]:
    """The cursor after an item whose position ends in its record number (``export.json#12``)."""
    return {"index": int(item.position.rsplit("#", 1)[1])}


def _parsed_type(item: RawRecord) -> str:
    return str(item.parsed.leader)[6:7] if item.parsed is not None else ""


def _parsed(item: RawRecord) -> tuple[RawRecord, MarcFields | None]:
    return item, item.parsed


LINES = Joining(_parsed_type, _parsed, b"\n".join, index_cursor, lambda item: item.parsed is not None)
"""Attaching in a format read into pymarc records as its lines are read, one record's text after another
(MARC-in-JSON's JSON Lines, MarcEdit's text)."""


@dataclass
class _Held:
    """A holdings record read, waiting for its record: its item and the 001 its 004 names."""

    item: RawRecord
    target: str


@dataclass(slots=True)
class _Bib:
    """A record read, and the holdings records attached to it so far (those before it in the file, then after)."""

    item: RawRecord
    end: RawRecord
    """The last item of the file that is part of it (where a resumed run goes on after it)."""
    before: list[_Held] = dataclasses.field(default_factory=list)
    after: list[_Held] = dataclasses.field(default_factory=list)

    def takes(self, held: _Held, joining: Joining) -> bool:
        """Whether ``held`` is a holdings record of this record: one it names, of a MARC 21 bibliographic record read
        (not parsed here: a record unchanged since the last harvest never is)."""
        item = self.item
        if item.error is not None or item.deleted or item.local_id != held.target:
            return False
        return joining.marc21(item) and joining.record_type(item) not in HOLDINGS_TYPES

    def done(self, joining: Joining) -> RawRecord:
        held = [*self.before, *self.after]
        if not held:
            return self.item
        # The record's own bytes first (a reader parses them alone: ISO 2709 by the leader's length), its holdings
        # records' after them, in the file's order: read again, they are all after it, and attach the same.
        raws = [self.item.raw, *(h.item.raw for h in held)]
        attached = (*self.item.attached, *(h.item for h in held))
        return dataclasses.replace(self.item, raw=joining.join(raws), attached=attached)


def _holdings_of(item: RawRecord, joining: Joining) -> tuple[RawRecord, _Held | None]:
    """The item (parsed, if it is a holdings record naming its record in 004), and that holdings record."""
    if item.error is not None or item.deleted or joining.record_type(item) not in HOLDINGS_TYPES:
        return item, None  # a deleted holdings record is a deletion, of its own id, as any other record's
    try:
        item, marc = joining.marc(item)
    except RecordError:
        return item, None  # quarantined by the harvest as it is, for what is wrong with it
    if marc is None or tagged(marc, *_TITLES):
        return item, None  # a titled record is a bibliographic one its exporter typed as holdings: read as one
    target = (control(marc, "004") or "").strip()
    return item, _Held(item, target) if target else None


def _orphan(held: _Held, bib: _Bib | None) -> RawRecord:
    """``held`` refused, saying why ``bib`` (the record beside it with the 001 it names, if any) does not take it."""
    if bib is None:
        why = "which is neither the record before it nor the one after it in the file"
    elif bib.item.deleted:
        why = "which the file deletes"
    else:
        why = "which cannot be read as a MARC 21 bibliographic record (see why it is quarantined)"
    reason = (
        f"004: a holdings record of record {held.target!r}, {why}: a holdings record is read only beside its record, "
        "in the same file"
    )
    error = RecordError(reason, error_code=Refusal.NOT_BIBLIOGRAPHIC, field="004")
    return RawRecord.refused(held.item.position, held.item.raw, held.item.media_type, error)


class _Stream:
    """Items in, finished records out: each holdings record attached to the record right before or right after
    it (a run of holdings records of one record may stand on either side of it, as SRU's collections have them)."""

    def __init__(self, joining: Joining) -> None:
        self.joining = joining
        self.finished: list[RawRecord] = []
        self.end: RawRecord | None = None
        """The last item of the last finished record."""
        self.bib: _Bib | RawRecord | None = None
        """The last record, open to holdings records after it (a :class:`_Bib` once it has one)."""
        self.previous: _Bib | None = None
        """The record finished last, when holdings records waiting now came right after it."""
        self.waiting: list[_Held] = []

    def add(self, read: RawRecord) -> None:
        if not self.waiting and (read.error is not None or self.joining.record_type(read) not in HOLDINGS_TYPES):
            self._finish_bib()  # the common case, a record after a record: nothing to attach yet
            self.bib = read
            return
        item, held = _holdings_of(read, self.joining)
        if held is not None:
            bib = self._open()
            if bib is not None and not self.waiting and bib.takes(held, self.joining):
                bib.after.append(held)
                bib.end = item
                return
            self._finish_bib()
            if self.waiting and self.waiting[0].target != held.target:
                self._orphans(None)
            self.waiting.append(held)
            return
        self._finish_bib()
        bib = _Bib(item, item)
        if self.waiting:
            if bib.takes(self.waiting[0], self.joining):
                bib.before, self.waiting = self.waiting, []
            else:
                self._orphans(bib)
        self.bib = bib

    def continued_by(self, read: RawRecord) -> bool:
        """Whether ``read`` belongs with what is still open: a holdings record of the last record, or one more of
        the holdings records waiting, or the record they wait for."""
        _, held = _holdings_of(read, self.joining)
        if self.waiting:
            target = self.waiting[0].target
            if held is not None:
                return held.target == target
            return read.error is None and not read.deleted and read.local_id == target
        bib = self._open()
        return bib is not None and held is not None and bib.takes(held, self.joining)

    def close(self) -> None:
        self._finish_bib()
        self._orphans(None)

    def _open(self) -> _Bib | None:
        """The last record as a :class:`_Bib`, to attach to."""
        if isinstance(self.bib, RawRecord):
            self.bib = _Bib(self.bib, self.bib)
        return self.bib

    def _finish_bib(self) -> None:
        if isinstance(self.bib, RawRecord):
            self.finished.append(self.bib)
            self.end, self.previous, self.bib = self.bib, None, None
        elif self.bib is not None:
            self.finished.append(self.bib.done(self.joining))
            self.end, self.previous, self.bib = self.bib.end, self.bib, None

    def _orphans(self, after: _Bib | None) -> None:
        """Refuse the waiting holdings records, naming why the record beside them (``after`` them, or before)
        does not take them."""
        for held in self.waiting:
            beside = [b for b in (after, self.previous) if b is not None and b.item.local_id == held.target]
            self.finished.append(_orphan(held, beside[0] if beside else None))
            self.end = held.item
        if self.waiting:
            self.waiting, self.previous = [], None

    def page(self) -> list[RawRecord]:
        finished, self.finished = self.finished, []
        return finished


def attach_holdings(pages: Iterator[FilePage], joining: Joining) -> Iterator[FilePage]:
    """The reader's pages with each holdings record attached to its record beside it.

    Pages end where the reader's do, unless holdings records of a record at the end of one begin the next (or a
    record that holdings records at the end of one wait for): those are read into the first page, whose cursor
    then resumes after them."""
    stream = _Stream(joining)
    current = next(pages, None)
    while current is not None:
        page, fraction = current
        for item in page.records:
            stream.add(item)
        following = next(pages, None) if page.cursor is not None and page.stopped is None else None
        if following is None:
            stream.close()
            yield RawPage(records=stream.page(), cursor=page.cursor, stopped=page.stopped), fraction
            return
        rest, cursor = following[0].records, page.cursor
        taken = 0
        while taken < len(rest) and stream.continued_by(rest[taken]):
            stream.add(rest[taken])
            taken += 1
        if taken:
            cursor = joining.cursor_after(rest[taken - 1])
        after = RawPage(records=rest[taken:], cursor=following[0].cursor, stopped=following[0].stopped)
        if rest and taken == len(rest):  # the whole next page continues this one: go on reading into it
            current = after, fraction
            continue
        stream.close()
        yield RawPage(records=stream.page(), cursor=cursor), fraction
        current = after, following[1]


@dataclass
class HoldingsFile:
    """A file of holdings records, read whole, each by the 001 its 004 names (a member's holdings export apart from
    its records: see :func:`attach_from`). Each is kept as its format's reader gave it (a binary record as its bytes
    alone, parsed again when attached), so a large file costs little more memory than its bytes."""

    by_record: dict[str, list[RawRecord]]
    unread: int
    """The file's records that are no readable holdings record naming a record in 004 (a record that cannot be
    read, one that is no holdings record, one without 004), left out; deleted holdings records are not counted."""

    @classmethod
    def read(cls, pages: Iterator[FilePage], joining: Joining) -> HoldingsFile:
        """The holdings records of ``pages`` (read with none attached); anything else in them is left out, and
        counted (a deleted holdings record is no holding of anything: neither)."""
        by_record: dict[str, list[RawRecord]] = {}
        unread = 0
        for page, _ in pages:
            for item in page.records:
                _, held = _holdings_of(item, joining)
                if held is not None:
                    by_record.setdefault(held.target, []).append(item)
                elif not item.deleted:
                    unread += 1
        return cls(by_record, unread)

    def unmatched(self, ids: set[str]) -> int:
        """How many of its records are not read: the holdings records naming no record of ``ids``, and those it
        left out (:attr:`unread`)."""
        return self.unread + sum(len(held) for target, held in self.by_record.items() if target not in ids)


def attach_from(pages: Iterator[FilePage], holdings: HoldingsFile, joining: Joining) -> Iterator[FilePage]:
    """The pages with each record given the holdings records ``holdings`` has for it, after any beside it in its
    own file; its raw bytes then hold theirs after its own, so it reads back the same from the archive alone."""
    for page, fraction in pages:
        records = []
        for item in page.records:
            found = holdings.by_record.get(item.local_id or "") if item.error is None and not item.deleted else None
            held = [_Held(one, item.local_id or "") for one in found or ()]
            bib = _Bib(item, item)
            if held and bib.takes(held[0], joining):
                bib.after = held
                records.append(bib.done(joining))
            else:
                records.append(item)
        yield RawPage(records=records, cursor=page.cursor, stopped=page.stopped), fraction
