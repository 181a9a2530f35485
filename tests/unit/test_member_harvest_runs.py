"""Harvest runs of a member (in-memory adapters): started through the service the member API calls, queued or run
at once, followed page by page, listed newest first; the schedule's and the command's harvests kept as runs too."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from marc_builders import book

from consortium.adapters.memory import (
    InMemoryBlobStore,
    InMemoryHarvestRunStore,
    InMemoryQueue,
    InMemoryRecordStore,
    ManualClock,
)
from consortium.errors import ConflictError, NotFoundError, ValidationError
from consortium.harvest.runner import INTERRUPTED, RUN_RETENTION, STALE_AFTER, HarvestRuns
from consortium.harvest.runs import HarvestRun, RunState, RunTrigger, SourceRunState, new_run_id
from consortium.harvest.service import HarvestService
from consortium.harvest.sweep import FailureLog
from consortium.members import Member, MemberRegistry, Source

T0 = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)


class RecordingRunStore(InMemoryHarvestRunStore):
    """Remembers every run it was given to save, as the member would have seen it at that moment."""

    def __init__(self) -> None:
        super().__init__()
        self.saved: list[HarvestRun] = []

    def save(self, run: HarvestRun) -> None:
        self.saved.append(run.model_copy(deep=True))
        super().save(run)


def write_books(path: Path, count: int, prefix: str = "b") -> Path:
    path.write_bytes(b"".join(book(f"{prefix}{i:03}", f"Book {i}", isbn=None).as_marc() for i in range(count)))
    return path


def file_source(source_id: str, path: Path, **kw: object) -> Source:
    return Source.model_validate({"id": source_id, "protocol": "marc-file", "path": path, "format": "marc21", **kw})


class Hub:
    def __init__(self, tmp_path: Path, queue: InMemoryQueue | None = None) -> None:
        self.clock = ManualClock(T0, tick=dt.timedelta(seconds=1))
        self.records = InMemoryRecordStore()
        self.harvester = HarvestService(self.records, InMemoryBlobStore(), page_size=4, clock=self.clock)
        self.registry = MemberRegistry(
            members=[
                Member(
                    id="riverside",
                    name="Riverside",
                    sources=[
                        file_source("catalogue", write_books(tmp_path / "cat.mrc", 10)),
                        file_source("theses", write_books(tmp_path / "theses.mrc", 3, "t")),
                    ],
                ),
                Member(id="lakeside", name="Lakeside", sources=[]),
            ]
        )
        self.store = RecordingRunStore()
        self.queue = queue
        self.runs = HarvestRuns(
            self.store,
            self.harvester,
            self.member,
            failures=FailureLog(tmp_path / "failures.json"),
            queue=queue,
            clock=self.clock,
        )

    def member(self, member_id: str) -> Member:
        for member in self.registry.members:
            if member.id == member_id:
                return member
        raise NotFoundError(f"no member {member_id!r} in the registry")

    def set_source(self, source: Source) -> None:
        member = self.registry.members[0]
        sources = [source if s.id == source.id else s for s in member.sources]
        self.registry.members[0] = member.model_copy(update={"sources": sources})


@pytest.fixture
def hub(tmp_path: Path) -> Hub:
    return Hub(tmp_path)


def test_a_run_without_a_queue_goes_at_once_and_says_what_it_did(hub: Hub) -> None:
    run = hub.runs.start("riverside", requested_by="key-riverside-1")
    assert (run.state, run.trigger, run.requested_by, run.member) == (RunState.SUCCEEDED, RunTrigger.API,
                                                                      "key-riverside-1", "riverside")  # fmt: skip
    assert (run.pages, run.records, run.counts.added, run.error) == (3 + 1, 13, 13, None)
    catalogue, theses = run.sources
    assert (catalogue.state, catalogue.pages, catalogue.counts.added) == (SourceRunState.SUCCEEDED, 3, 10)
    assert (theses.state, theses.pages, theses.counts.added) == (SourceRunState.SUCCEEDED, 1, 3)
    assert catalogue.checkpoint_run and not catalogue.resumed
    assert run.started_at is not None and run.finished_at is not None and run.started_at < run.finished_at
    assert hub.records.count("riverside") == 13
    assert hub.runs.get("riverside", run.run_id) == run
    with pytest.raises(NotFoundError, match="member 'lakeside' has no harvest run"):
        hub.runs.get("lakeside", run.run_id)  # another member's run is not found, not shown


def test_progress_is_saved_page_by_page(hub: Hub) -> None:
    run = hub.runs.start("riverside", "catalogue")
    moving = [(s.state, s.sources[0].state, s.sources[0].pages, s.records) for s in hub.store.saved]
    assert moving == [
        (RunState.RUNNING, SourceRunState.PENDING, 0, 0),
        (RunState.RUNNING, SourceRunState.RUNNING, 0, 0),
        (RunState.RUNNING, SourceRunState.RUNNING, 1, 4),
        (RunState.RUNNING, SourceRunState.RUNNING, 2, 8),
        (RunState.RUNNING, SourceRunState.RUNNING, 3, 10),
        (RunState.SUCCEEDED, SourceRunState.SUCCEEDED, 3, 10),
    ]
    assert [s.source for s in run.sources] == ["catalogue"]
    assert all(a.updated_at < b.updated_at for a, b in zip(hub.store.saved, hub.store.saved[1:], strict=False))


def test_a_queued_run_waits_for_the_worker(tmp_path: Path) -> None:
    queue = InMemoryQueue()
    hub = Hub(tmp_path, queue)
    run = hub.runs.start("riverside", "theses", requested_by="k")
    assert run.state is RunState.QUEUED and run.started_at is None and hub.records.count() == 0
    [message] = queue.receive()
    assert message == {"harvest_run": run.run_id, "member": "riverside"}
    done = hub.runs.handle(message)
    assert (done.state, done.counts.added) == (RunState.SUCCEEDED, 3)
    assert hub.runs.handle(message) == done  # delivered twice: left as it is
    with pytest.raises(ValidationError, match="string fields 'harvest_run' and 'member'"):
        hub.runs.handle({"harvest_run": 7})


def test_one_run_of_a_member_at_a_time_and_a_stuck_one_is_found_interrupted(tmp_path: Path) -> None:
    hub = Hub(tmp_path, InMemoryQueue())
    first = hub.runs.start("riverside")
    with pytest.raises(ConflictError, match=f"a harvest of member 'riverside' is queued \\(run {first.run_id}\\)") as e:
        hub.runs.start("riverside", "theses")
    assert e.value.details["run_id"] == first.run_id
    hub.clock.advance(STALE_AFTER + dt.timedelta(minutes=1))  # its worker died: it never moved on
    second = hub.runs.start("riverside")
    old = hub.runs.get("riverside", first.run_id)
    assert old.state is RunState.INTERRUPTED and "no progress since" in (old.error or "")
    assert hub.runs.handle({"harvest_run": first.run_id, "member": "riverside"}).state is RunState.INTERRUPTED
    assert hub.runs.get("riverside", second.run_id).state is RunState.QUEUED


def test_a_run_asked_to_stop_ends_after_its_page_interrupted_and_the_next_resumes_there(hub: Hub) -> None:
    hub.harvester.should_stop = lambda: hub.records.count() >= 8  # SIGTERM during the catalogue's second page
    run = hub.runs.start("riverside")
    assert run.state is RunState.INTERRUPTED and "stopped on request" in (run.error or "")
    catalogue, theses = run.sources
    assert (catalogue.state, catalogue.pages, catalogue.counts.added) == (SourceRunState.INCOMPLETE, 2, 8)
    assert catalogue.error == INTERRUPTED and catalogue.error_code == run.error_code == "interrupted"
    assert theses.state is SourceRunState.PENDING  # not begun
    assert hub.records.count("riverside") == 8  # the pages committed are kept
    checkpoint = hub.records.checkpoint("riverside/catalogue")
    assert checkpoint is not None and checkpoint.in_progress

    hub.harvester.should_stop = lambda: False
    again = hub.runs.start("riverside")
    assert again.state is RunState.SUCCEEDED
    catalogue, theses = again.sources
    assert (catalogue.resumed, catalogue.pages, catalogue.counts.added) == (True, 1, 10)  # the run's counts, resumed
    assert (theses.resumed, theses.counts.added) == (False, 3)
    assert hub.records.count("riverside") == 13


def test_a_sweep_asked_to_stop_begins_no_further_member(tmp_path: Path, hub: Hub) -> None:
    hub.registry.members[1] = hub.registry.members[1].model_copy(
        update={"sources": [file_source("catalogue", write_books(tmp_path / "lake.mrc", 2, "l"))]}
    )
    hub.harvester.should_stop = lambda: hub.records.count() >= 13  # after riverside's last page
    pairs = [(m, s) for m in hub.registry.members for s in m.sources]
    reports, failed = hub.runs.sweep(pairs, trigger=RunTrigger.SCHEDULE)
    assert [(r.member, r.source, r.complete) for r in reports] == [("riverside", "catalogue", True),
                                                                   ("riverside", "theses", True)]  # fmt: skip
    assert failed == [] and hub.runs.runs("lakeside").runs == []  # lakeside was not begun: no run
    assert hub.runs.runs("riverside").runs[0].state is RunState.SUCCEEDED  # everything it began, it finished


def test_a_paused_source_is_skipped_and_asking_for_it_alone_is_refused(hub: Hub) -> None:
    catalogue = hub.registry.members[0].sources[0]
    hub.set_source(catalogue.model_copy(update={"paused": True, "paused_reason": "new ILS"}))
    with pytest.raises(ConflictError, match="source 'catalogue' of member 'riverside' is paused"):
        hub.runs.start("riverside", "catalogue")
    run = hub.runs.start("riverside")
    assert run.state is RunState.SUCCEEDED and run.error is None
    assert [(s.source, s.state, s.error, s.error_code) for s in run.sources] == [
        ("catalogue", SourceRunState.PAUSED, "paused: new ILS", "paused"),
        ("theses", SourceRunState.SUCCEEDED, None, None),
    ]
    assert run.error_code is None


def test_a_failing_source_fails_the_run_naming_it_and_the_others_run(tmp_path: Path, hub: Hub) -> None:
    hub.set_source(file_source("catalogue", tmp_path / "gone.mrc"))
    run = hub.runs.start("riverside")
    assert run.state is RunState.FAILED
    catalogue, theses = run.sources
    assert catalogue.state is SourceRunState.FAILED and "cannot read" in (catalogue.error or "")
    assert theses.state is SourceRunState.SUCCEEDED and theses.error_code is None
    assert (run.error or "").startswith("catalogue: ConfigError: source 'catalogue': cannot read")
    assert catalogue.error_code == run.error_code == "file_error"  # said in the librarian's language

    reports, skipped = hub.runs.sweep([(hub.registry.members[0], hub.registry.members[0].sources[0])],
                                trigger=RunTrigger.SCHEDULE, honour_backoff=True)  # fmt: skip
    waiting = hub.runs.runs("riverside").runs[0]
    assert waiting.sources[0].state is SourceRunState.WAITING and waiting.sources[0].error_code == "waiting"
    assert reports == [] and [f.code for f in skipped] == ["waiting"]


def test_unknown_members_and_sources_and_members_without_sources(hub: Hub) -> None:
    with pytest.raises(NotFoundError, match="no member 'nowhere'"):
        hub.runs.start("nowhere")
    with pytest.raises(NotFoundError, match="member 'riverside' has no source 'nope'"):
        hub.runs.start("riverside", "nope")
    with pytest.raises(ConflictError, match="member 'lakeside' has no source to harvest"):
        hub.runs.start("lakeside")
    with pytest.raises(NotFoundError):
        hub.runs.runs("nowhere")


def test_a_source_gone_from_the_registry_before_its_run_fails_that_source(tmp_path: Path) -> None:
    queue = InMemoryQueue()
    hub = Hub(tmp_path, queue)
    run = hub.runs.start("riverside")
    member = hub.registry.members[0]
    hub.registry.members[0] = member.model_copy(update={"sources": member.sources[1:]})
    done = hub.runs.handle(queue.receive()[0])
    assert done.state is RunState.FAILED and run.run_id == done.run_id
    assert [(s.source, s.state, s.error_code) for s in done.sources] == [
        ("catalogue", SourceRunState.FAILED, "not_found"),
        ("theses", SourceRunState.SUCCEEDED, None),
    ]


def test_runs_are_listed_newest_first_in_pages(hub: Hub) -> None:
    started = [hub.runs.start("riverside", "theses").run_id for _ in range(5)]
    page = hub.runs.runs("riverside", limit=2)
    assert [r.run_id for r in page.runs] == started[::-1][:2] and page.next_before == started[3]
    page = hub.runs.runs("riverside", limit=2, before=page.next_before)
    assert [r.run_id for r in page.runs] == started[::-1][2:4]
    last = hub.runs.runs("riverside", limit=2, before=page.next_before)
    assert [r.run_id for r in last.runs] == started[:1] and last.next_before is None
    assert hub.runs.runs("riverside", limit=5).next_before is None
    assert hub.runs.runs("lakeside").runs == []
    with pytest.raises(ValidationError, match="field 'limit': must be from 1 to 100"):
        hub.runs.runs("riverside", limit=0)


def test_the_schedules_and_the_commands_harvests_are_kept_as_runs(hub: Hub) -> None:
    member = hub.registry.members[0]
    pairs = [(member, source) for source in member.sources]
    reports, failed = hub.runs.sweep(pairs, trigger=RunTrigger.SCHEDULE, honour_backoff=True)
    assert [r.source for r in reports] == ["catalogue", "theses"] and failed == []
    [run] = hub.runs.runs("riverside").runs
    assert (run.trigger, run.requested_by, run.state, run.counts.added) == (RunTrigger.SCHEDULE, None,
                                                                             RunState.SUCCEEDED, 13)  # fmt: skip
    seen: list[int] = []

    def harvest(member: Member, source: Source, progress: object) -> object:
        seen.append(len(source.id))
        return hub.harvester.harvest_source(member, source, progress=progress)  # type: ignore[arg-type]

    hub.runs.sweep(pairs[1:], trigger=RunTrigger.COMMAND, harvest=harvest)  # type: ignore[arg-type]
    newest = hub.runs.runs("riverside").runs[0]
    assert (newest.trigger, newest.counts.unchanged, seen) == (RunTrigger.COMMAND, 3, [6])


def test_runs_older_than_the_retention_are_forgotten_but_each_members_newest_and_unfinished_ones(hub: Hub) -> None:
    def run_at(member: str, at: dt.datetime, state: RunState) -> HarvestRun:
        run = HarvestRun(run_id=new_run_id(at), member=member, trigger=RunTrigger.SCHEDULE, state=state,
                         requested_at=at, updated_at=at, sources=[])  # fmt: skip
        hub.store.add(run)
        return run

    days = [T0 - dt.timedelta(days=n) for n in range(0, 900, 30)]  # a run every 30 days for 2.5 years
    riverside = [run_at("riverside", at, RunState.SUCCEEDED) for at in days]
    stuck = run_at("riverside", T0 - dt.timedelta(days=800), RunState.RUNNING)  # never finished: kept
    lakeside = [run_at("lakeside", T0 - dt.timedelta(days=500 + n), RunState.FAILED) for n in range(3)]

    assert hub.runs.prune(["riverside", "lakeside"], keep=5) == sum(1 for at in days if at < T0 - RUN_RETENTION)
    kept = {run.run_id for run in hub.store.runs("riverside", limit=100)}
    assert kept == {r.run_id for r in riverside if r.requested_at >= T0 - RUN_RETENTION} | {stuck.run_id}
    assert len(hub.store.runs("lakeside", limit=100)) == 3  # old, but a member's newest 5 are kept whatever their age
    assert hub.runs.prune(["riverside", "lakeside"], keep=5) == 0
    assert hub.runs.prune(["lakeside"], keep=1) == 2
    assert [r.run_id for r in hub.store.runs("lakeside")] == [lakeside[0].run_id]
