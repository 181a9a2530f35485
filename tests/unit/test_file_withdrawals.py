"""Withdrawal by absence (consortium/harvest/withdrawals.py): a complete run of a complete file withdraws the records
of its member and source that the file no longer gives, and clears the source's quarantined records it did not
quarantine again; an increments source, an incomplete run and a run that would withdraw most of a source withdraw
nothing. In-memory and SQLite stores; the DynamoDB store passes the same contract (tests/contract)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pydantic
import pytest
from marc_builders import book

from consortium.adapters.local import SqliteRecordStore
from consortium.adapters.memory import InMemoryBlobStore, InMemoryRecordStore
from consortium.errors import ConfigError
from consortium.harvest.file_ids import WHOLE_FILE_READ
from consortium.harvest.service import HarvestService, import_source
from consortium.harvest.state import HarvestCounts, PageCommit
from consortium.harvest.withdrawals import MOST_WITHDRAWN_SHARE
from consortium.members import FileContents, Member, Source, SourceFormat
from consortium.models import QuarantinedRecord, RawPointer
from consortium.registry.models import CHANGEABLE, SourceChange

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from consortium.harvest.ports import RecordStore
    from consortium.harvest.state import RecordChange

MEMBER = Member(id="riverside", name="Riverside University Library")
KBART_HEADER = (
    "publication_title\tprint_identifier\tonline_identifier\tdate_first_issue_online\tnum_first_vol_online\t"
    "num_first_issue_online\tdate_last_issue_online\tnum_last_vol_online\tnum_last_issue_online\ttitle_url\t"
    "first_author\ttitle_id\tembargo_info\tcoverage_depth\tnotes\tpublisher_name\tpublication_type\n"
)


class Clock:
    """A clock that moves on a second a call (runs and quarantined records get distinct times)."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def books(*ids: str, bad: tuple[str, ...] = ()) -> list[object]:
    """Books with these control numbers (those in ``bad`` with an ISBN whose check digit is wrong)."""
    return [book(i, f"Book {i}", isbn="0201896835" if i in bad else None) for i in ids]


def write(path: Path, records: list[object]) -> Path:
    path.write_bytes(b"".join(r.as_marc() for r in records))  # type: ignore[attr-defined]
    return path


def marc_source(path: Path, source_id: str = "catalogue", **kw: object) -> Source:
    return Source.model_validate({"id": source_id, "protocol": "marc-file", "path": path, "format": "marc21", **kw})


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> RecordStore:
    if request.param == "memory":
        return InMemoryRecordStore()
    return SqliteRecordStore.open(tmp_path / "var" / "consortium.sqlite3")


@pytest.fixture
def followed() -> list[RecordChange]:
    return []


@pytest.fixture
def service(store: RecordStore, followed: list[RecordChange]) -> HarvestService:
    return HarvestService(store, InMemoryBlobStore(), page_size=3, clock=Clock(), on_commit=followed.extend)


def ids(store: RecordStore) -> list[str]:
    return [record.local_id for record in store.records("riverside")]


# -- records -------------------------------------------------------------------------------------------------


def test_a_record_weeded_from_a_complete_file_is_withdrawn_as_a_deletion_is(
    tmp_path: Path, store: RecordStore, service: HarvestService, followed: list[RecordChange]
) -> None:
    path = write(tmp_path / "books.mrc", books("b1", "b2", "b3", "b4", "b5", "b6", "b7"))
    source = marc_source(path)
    assert service.harvest_source(MEMBER, source).counts.added == 7
    followed.clear()

    write(path, books("b1", "b3", "b4", "b6", "b7"))  # b2 and b5 weeded
    report = service.harvest_source(MEMBER, source)
    assert report.complete and report.withheld is None
    assert (report.counts.unchanged, report.counts.withdrawn, report.counts.deleted) == (5, 2, 0)
    assert report.counts.seen == 5  # withdrawn records were not read
    assert ids(store) == ["b1", "b3", "b4", "b6", "b7"]
    assert list(store.source_ids("riverside", "catalogue")) == ["b1", "b3", "b4", "b6", "b7"]
    # Clustering and the index follow them as deletions: the record gone, with its source.
    assert [(c.local_id, c.record) for c in followed] == [("b2", None), ("b5", None)]
    checkpoint = store.checkpoint("riverside/catalogue")
    assert checkpoint is not None and not checkpoint.in_progress and checkpoint.counts.withdrawn == 2

    again = service.harvest_source(MEMBER, source)  # nothing more to withdraw: no page more than the file's
    assert (again.counts.unchanged, again.counts.withdrawn) == (5, 0)


def test_a_title_gone_from_a_kbart_file_is_withdrawn(tmp_path: Path, store: RecordStore) -> None:
    service = HarvestService(store, InMemoryBlobStore(), page_size=2, clock=Clock())
    rows = [
        f"Journal {n}\t\t\t2001-01-01\t\t\t\t\t\thttps://example.org/j{n}\t\tj{n}\t\tfulltext\t\tPublisher\tserial\n"
        for n in range(6)
    ]
    path = tmp_path / "package.txt"
    path.write_text(KBART_HEADER + "".join(rows), encoding="utf-8")
    source = Source.model_validate({"id": "ejournals", "protocol": "kbart-file", "path": path, "format": "kbart"})
    assert source.withdraws_absent
    assert service.harvest_source(MEMBER, source).counts.added == 6
    path.write_text(KBART_HEADER + "".join(rows[:2] + rows[3:]), encoding="utf-8")  # j2's subscription ended
    report = service.harvest_source(MEMBER, source)
    assert (report.counts.withdrawn, report.counts.unchanged) == (1, 5)
    assert ids(store) == ["j0", "j1", "j3", "j4", "j5"]


def test_a_record_quarantined_now_but_still_in_the_file_keeps_its_stored_version(
    tmp_path: Path, store: RecordStore, service: HarvestService
) -> None:
    path = write(tmp_path / "books.mrc", books("b1", "b2", "b3", "b4"))
    source = marc_source(path)
    service.harvest_source(MEMBER, source)
    write(path, books("b1", "b2", "b3", "b4", bad=("b2",)))  # b2 changed, and its new version cannot be read
    report = service.harvest_source(MEMBER, source)
    assert (report.counts.quarantined, report.counts.withdrawn) == (1, 0)
    assert "b2" in ids(store)


def test_a_record_another_source_of_the_member_gives_is_not_that_sources_to_withdraw(
    tmp_path: Path, store: RecordStore, service: HarvestService
) -> None:
    catalogue = marc_source(write(tmp_path / "books.mrc", books("b1", "b2", "b3")))
    theses = marc_source(write(tmp_path / "theses.mrc", books("t1", "t2", "t3")), "theses")
    service.harvest_source(MEMBER, catalogue)
    service.harvest_source(MEMBER, theses)
    write(tmp_path / "theses.mrc", books("t1", "t2"))
    report = service.harvest_source(MEMBER, theses)
    assert report.counts.withdrawn == 1
    assert ids(store) == ["b1", "b2", "b3", "t1", "t2"]  # the catalogue's records are not the theses'


def test_an_increments_source_keeps_what_its_file_does_not_give(
    tmp_path: Path, store: RecordStore, service: HarvestService
) -> None:
    path = write(tmp_path / "delta.mrc", books("b1", "b2", "b3", "b4", bad=("b4",)))
    source = marc_source(path, file="increments")
    assert not source.withdraws_absent
    service.harvest_source(MEMBER, source)
    write(path, books("b5", "b6"))  # the next increment: two new records
    report = service.harvest_source(MEMBER, source)
    assert report.complete and (report.counts.added, report.counts.withdrawn, report.counts.withheld) == (2, 0, 0)
    assert ids(store) == ["b1", "b2", "b3", "b5", "b6"]
    assert [q.local_id for q in store.quarantined("riverside")] == ["b4"]  # nor is its quarantine cleared


def test_an_incomplete_run_withdraws_nothing(tmp_path: Path, store: RecordStore, service: HarvestService) -> None:
    path = write(tmp_path / "books.mrc", books("b1", "b2", "b3", "b4", "b5", "b6"))
    source = marc_source(path)
    service.harvest_source(MEMBER, source)
    data = b"".join(r.as_marc() for r in books("b1", "b2", "b3", "b4"))  # type: ignore[attr-defined]
    path.write_bytes(data[:-40])  # the file ends inside b4
    report = service.harvest_source(MEMBER, source)
    assert not report.complete and report.stopped
    assert report.counts.withdrawn == 0 and ids(store) == ["b1", "b2", "b3", "b4", "b5", "b6"]


# -- safety: most of a source absent --------------------------------------------------------------------------


def test_a_file_lacking_most_of_the_source_withdraws_nothing_until_confirmed(
    tmp_path: Path, store: RecordStore, service: HarvestService
) -> None:
    every = [f"b{n}" for n in range(10)]
    path = write(tmp_path / "books.mrc", books(*every, "bad", bad=("bad",)))
    source = marc_source(path)
    service.harvest_source(MEMBER, source)
    write(path, books("b0", "b1", "b2", "b3"))  # six of ten absent: a file cut at a record boundary, say
    report = service.harvest_source(MEMBER, source)
    assert report.complete
    assert (report.counts.withdrawn, report.counts.withheld, report.counts.superseded) == (0, 6, 0)
    assert report.withheld == (
        "6 record(s) of riverside/catalogue are not in this file and were not withdrawn: more than 50% of the 10 "
        "the source had (a wrong or cut file must not empty a catalogue)"
    )
    assert ids(store) == every and store.count_quarantined("riverside") == 1  # nothing withdrawn nor cleared
    # Harvested again, it says so again; confirmed, they go.
    assert service.harvest_source(MEMBER, source).counts.withheld == 6
    confirmed = service.harvest_source(MEMBER, source, confirm_withdrawals=True)
    assert (confirmed.counts.withdrawn, confirmed.counts.withheld, confirmed.counts.superseded) == (6, 0, 1)
    assert confirmed.withheld is None and ids(store) == ["b0", "b1", "b2", "b3"]


def test_half_is_withdrawn_more_than_half_is_withheld_counting_what_the_source_had_before_the_run(
    tmp_path: Path, store: RecordStore, service: HarvestService
) -> None:
    assert MOST_WITHDRAWN_SHARE == 0.5
    path = write(tmp_path / "books.mrc", books("a1", "a2", "a3", "a4"))
    source = marc_source(path)
    service.harvest_source(MEMBER, source)
    write(path, books("a1", "a2", "n1", "n2", "n3", "n4", "n5"))  # two of four gone (half), five new
    assert service.harvest_source(MEMBER, source).counts.withdrawn == 2
    # A new ILS numbering every record anew: all six gone, six new; the new ones do not make it look small.
    write(path, books("x1", "x2", "x3", "x4", "x5", "x6", "x7"))
    renumbered = service.harvest_source(MEMBER, source)
    assert (renumbered.counts.added, renumbered.counts.withdrawn, renumbered.counts.withheld) == (7, 0, 7)


# -- the quarantine brought up to date ------------------------------------------------------------------------


def test_quarantined_records_the_file_no_longer_gives_as_they_were_leave_the_quarantine(
    tmp_path: Path, store: RecordStore, service: HarvestService
) -> None:
    good = books("b1", "b2", "b3", "b4", "b5", "b6")
    path = write(tmp_path / "books.mrc", [*good, *books("gone", "moves", bad=("gone", "moves"))])
    source = marc_source(path)
    service.harvest_source(MEMBER, source)
    # b6 given twice: the later is quarantined as a duplicate.
    write(path, [*good, *books("gone", "moves", bad=("gone", "moves")), book("b6", "Another b6")])
    assert service.harvest_source(MEMBER, source).counts.duplicates == 1
    assert sorted(q.local_id or "" for q in store.quarantined("riverside")) == ["b6", "gone", "moves"]
    moved_from = next(q.position for q in store.quarantined("riverside") if q.local_id == "moves")

    # The bad record deleted, the duplicate removed, and the other bad record now first in the file.
    write(path, [*books("moves", bad=("moves",)), *good])
    report = service.harvest_source(MEMBER, source)
    assert report.complete and (report.counts.quarantined, report.counts.superseded) == (1, 3)
    [left] = store.quarantined("riverside")
    assert (left.local_id, left.position) == ("moves", "books.mrc@0") and left.position != moved_from


def test_a_record_restored_to_its_stored_bytes_leaves_the_quarantine(
    tmp_path: Path, store: RecordStore, service: HarvestService
) -> None:
    path = write(tmp_path / "books.mrc", books("b1", "b2", "b3"))
    source = marc_source(path)
    service.harvest_source(MEMBER, source)
    write(path, books("b1", "b2", "b3", bad=("b2",)))  # a bad edit of b2: quarantined, the stored b2 kept
    assert service.harvest_source(MEMBER, source).counts.quarantined == 1
    write(path, books("b1", "b2", "b3"))  # undone: b2 is as stored, so unchanged (not read again)
    report = service.harvest_source(MEMBER, source)
    assert (report.counts.unchanged, report.counts.superseded) == (3, 1)
    assert store.quarantined("riverside") == []


def test_an_item_quarantined_when_normalized_again_from_the_archive_stays(
    tmp_path: Path, store: RecordStore, service: HarvestService
) -> None:
    path = write(tmp_path / "books.mrc", books("b1", "b2"))
    source = marc_source(path)
    service.harvest_source(MEMBER, source)
    stored = store.get("riverside", "b1")
    assert stored is not None
    at_its_id = QuarantinedRecord(  # as consortium renormalize quarantines a stored record (no run, at its id)
        member="riverside", source_id="catalogue", position="b1", local_id="b1", reason="normalized again from "
        "the archive: 245: the record has no title field", raw=stored.raw, quarantined_at=datetime.now(UTC),
    )  # fmt: skip
    older = QuarantinedRecord(  # as a release before checkpoint_run quarantined a record of the file
        member="riverside", source_id="catalogue", position="books.mrc@9999", local_id="b9", reason="020$a: ...",
        raw=RawPointer(digest="0" * 64, media_type="application/marc"), quarantined_at=datetime.now(UTC),
    )  # fmt: skip
    checkpoint = store.checkpoint("riverside/catalogue")
    assert checkpoint is not None
    store.commit(PageCommit(quarantined=[at_its_id, older], checkpoint=checkpoint))
    report = service.harvest_source(MEMBER, source)
    assert report.counts.superseded == 1
    assert store.quarantined("riverside") == [at_its_id]  # the record's next change or deletion supersedes it


# -- crashes ----------------------------------------------------------------------------------------------------


class Killed(BaseException):
    """The process dies (a BaseException: nothing catches it)."""


class Dying:
    """A record store whose process dies at one commit (before or after applying it)."""

    def __init__(self, store: RecordStore, when: Callable[[PageCommit], bool], *, applied: bool) -> None:
        self.store, self.when, self.applied = store, when, applied

    def commit(self, page: PageCommit) -> int:
        if self.when(page):
            if self.applied:
                self.store.commit(page)
            raise Killed
        return self.store.commit(page)

    def __getattr__(self, name: str) -> object:
        return getattr(self.store, name)


@pytest.mark.parametrize("applied", [False, True], ids=["before-commit", "after-commit"])
def test_a_run_killed_while_withdrawing_resumes_and_converges(
    tmp_path: Path, store: RecordStore, applied: bool
) -> None:
    every = [f"b{n:02}" for n in range(20)]
    path = write(tmp_path / "books.mrc", books(*every, "bad", bad=("bad",)))
    source = marc_source(path)
    followed: list[RecordChange] = []
    HarvestService(store, InMemoryBlobStore(), page_size=3, clock=Clock()).harvest_source(MEMBER, source)
    write(path, books(*every[:12]))  # eight gone, and the bad record

    withdrawing = [0]

    def second_withdrawal(page: PageCommit) -> bool:
        withdrawing[0] += any(c.record is None for c in page.changes)
        return withdrawing[0] == 2

    dying = Dying(store, second_withdrawal, applied=applied)
    harvester = HarvestService(dying, InMemoryBlobStore(), page_size=3, clock=Clock(), on_commit=followed.extend)  # type: ignore[arg-type]
    with pytest.raises(Killed):
        harvester.harvest_source(MEMBER, source)
    checkpoint = store.checkpoint("riverside/catalogue")
    assert checkpoint is not None and checkpoint.in_progress
    assert checkpoint.cursor is not None and checkpoint.cursor[WHOLE_FILE_READ] == "decided"
    assert len(ids(store)) == (20 - 3 - 3 if applied else 20 - 3)  # pages of three withdrawn

    resumed = HarvestService(store, InMemoryBlobStore(), page_size=3, clock=Clock(), on_commit=followed.extend)
    report = resumed.harvest_source(MEMBER, source)
    assert report.resumed and report.complete
    assert report.counts.withdrawn == 8  # the pages committed before, counted by their checkpoint, and the rest
    assert ids(store) == every[:12] and store.quarantined("riverside") == []
    assert {c.local_id for c in followed if c.record is None} == set(every[12:])  # every one followed


def test_a_run_killed_before_the_files_last_page_decides_again(tmp_path: Path, store: RecordStore) -> None:
    every = [f"b{n}" for n in range(9)]
    path = write(tmp_path / "books.mrc", books(*every))
    source = marc_source(path)
    HarvestService(store, InMemoryBlobStore(), page_size=3, clock=Clock()).harvest_source(MEMBER, source)
    write(path, books(*every[:7], "n1"))  # two gone, one new on the last page
    dying = Dying(store, lambda page: any(c.record is None for c in page.changes), applied=False)
    with pytest.raises(Killed):
        HarvestService(dying, InMemoryBlobStore(), page_size=3, clock=Clock()).harvest_source(MEMBER, source)  # type: ignore[arg-type]
    report = HarvestService(store, InMemoryBlobStore(), page_size=3, clock=Clock()).harvest_source(MEMBER, source)
    assert report.resumed and (report.counts.added, report.counts.withdrawn) == (1, 2)
    assert ids(store) == [*every[:7], "n1"]


def test_a_source_set_to_increments_while_withdrawing_ends_its_run(tmp_path: Path, store: RecordStore) -> None:
    path = write(tmp_path / "books.mrc", books("b1", "b2", "b3", "b4", "b5", "b6"))
    source = marc_source(path)
    HarvestService(store, InMemoryBlobStore(), page_size=1, clock=Clock()).harvest_source(MEMBER, source)
    write(path, books("b1", "b2", "b3", "b4"))
    dying = Dying(store, lambda page: any(c.record is None for c in page.changes), applied=True)
    with pytest.raises(Killed):
        HarvestService(dying, InMemoryBlobStore(), page_size=1, clock=Clock()).harvest_source(MEMBER, source)  # type: ignore[arg-type]
    increments = source.model_copy(update={"file": FileContents.INCREMENTS})
    report = HarvestService(store, InMemoryBlobStore(), page_size=1, clock=Clock()).harvest_source(MEMBER, increments)
    assert report.resumed and report.complete and report.counts.withdrawn == 1
    assert ids(store) == ["b1", "b2", "b3", "b4", "b6"]  # b5 went before; b6 stays: nothing more is withdrawn


# -- the setting -------------------------------------------------------------------------------------------------


def test_the_file_setting_is_named_when_wrong(tmp_path: Path) -> None:
    with pytest.raises(pydantic.ValidationError) as wrong:
        marc_source(tmp_path / "a.mrc", file="deltas")
    assert wrong.value.errors()[0]["loc"] == ("file",)
    assert "'complete' or 'increments'" in wrong.value.errors()[0]["msg"]
    with pytest.raises(pydantic.ValidationError, match="is for file sources") as oai:
        Source.model_validate(
            {"id": "oai", "protocol": "oai-pmh", "url": "https://x.org/oai", "format": "marcxml", "file": "increments"}
        )
    assert oai.value.errors()[0]["loc"] == ("file",)
    with pytest.raises(pydantic.ValidationError, match="a KBART file is a package's full title list"):
        Source.model_validate(
            {"id": "k", "protocol": "kbart-file", "path": tmp_path / "k.txt", "format": "kbart", "file": "increments"}
        )
    assert marc_source(tmp_path / "a.mrc").withdraws_absent  # complete by default
    assert "file" in CHANGEABLE and SourceChange(file=FileContents.INCREMENTS).given() == {"file": "increments"}


def test_an_import_is_a_complete_file_unless_increments(tmp_path: Path) -> None:
    assert import_source(tmp_path / "a.mrc", SourceFormat.MARC21).withdraws_absent
    assert not import_source(tmp_path / "a.mrc", SourceFormat.MARC21, increments=True).withdraws_absent
    with pytest.raises(ConfigError, match="--increments: a kbart-file source is 'complete'"):
        import_source(tmp_path / "a.txt", SourceFormat.KBART, increments=True)


def test_counts_add_up_withdrawn_and_withheld() -> None:
    total = HarvestCounts(withdrawn=2, withheld=1) + HarvestCounts(withdrawn=3)
    assert (total.withdrawn, total.withheld, total.seen) == (5, 1, 0)


def test_a_resumed_run_that_cannot_read_again_the_ids_before_its_cursor_withdraws_nothing(
    tmp_path: Path, store: RecordStore
) -> None:
    every = [f"b{n:02}" for n in range(30)]
    path = write(tmp_path / "books.mrc", books(*every))
    source = marc_source(path)
    HarvestService(store, InMemoryBlobStore(), page_size=3, clock=Clock()).harvest_source(MEMBER, source)
    write(path, books(*every[:29]))  # b29 weeded
    dying = Dying(store, lambda page: page.checkpoint.counts.seen >= 6, applied=False)  # dies at page 2
    with pytest.raises(Killed):
        HarvestService(dying, InMemoryBlobStore(), page_size=3, clock=Clock()).harvest_source(MEMBER, source)  # type: ignore[arg-type]
    # The checkpoint's cursor no longer falls between records as the reader pages them (as if another release
    # paged the file otherwise): the ids before it are not known, so what the file no longer gives is not either.
    checkpoint = store.checkpoint("riverside/catalogue")
    assert checkpoint is not None and checkpoint.cursor is not None
    odd = checkpoint.model_copy(update={"cursor": {**checkpoint.cursor, "offset": checkpoint.cursor["offset"] + 1}})
    store.commit(PageCommit(checkpoint=odd))
    report = HarvestService(store, InMemoryBlobStore(), page_size=3, clock=Clock()).harvest_source(MEMBER, source)
    assert report.resumed and (report.counts.withdrawn, report.counts.withheld) == (0, 0)
    assert ids(store) == every
