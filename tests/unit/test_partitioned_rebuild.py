"""The partitioned rebuild gives the clusters the one-shot rebuild gives (consortium.dedup.partition)."""

from __future__ import annotations

import json
import logging
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from factories import make_checkpoint, make_record

from consortium import catalogue as catalogue_module
from consortium.adapters.local import SqliteClusterStore
from consortium.adapters.memory import InMemoryBlobStore, InMemoryPlanStore, InMemoryRecordStore
from consortium.adapters.memory.clock import ManualClock
from consortium.adapters.memory.clusters import InMemoryClusterStore
from consortium.adapters.memory.search import InMemorySearchIndex
from consortium.catalogue import Catalogue
from consortium.dedup import processes
from consortium.dedup.bulk import CANDIDATES_PER_KEY
from consortium.dedup.fit import fit_collection
from consortium.dedup.partition import load_plan, partition_keys
from consortium.dedup.ports import ClusterStore
from consortium.dedup.service import DedupService
from consortium.errors import NotFoundError, ValidationError
from consortium.harvest.service import HarvestService
from consortium.harvest.state import PageCommit, RecordChange
from consortium.members import Member, Source
from consortium.models import Identifier, IdentifierScheme, Record

T0 = datetime(2026, 3, 1, tzinfo=UTC)
SHARED_MARC = Path(__file__).resolve().parents[3] / "shared" / "data" / "marc"
MEMBERS = ["m1", "m2", "m3", "m4"]
WORDS = [a + b for a in "ka lo mi ra ten vor sel bu dra nik".split() for b in ("", "s", "tion", "ing", "ic", "al")]


def _sample(works: int, seed: int = 3) -> list[Record]:
    """Works with one to three member copies, described with the variations union catalogues see; and one
    catch-all title held by more than CANDIDATES_PER_KEY records of different authors (the cap on candidates)."""
    rng = random.Random(seed)
    records: list[Record] = []
    for work in range(works):
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 5))).capitalize()
        author = f"{rng.choice(['Wang', 'Li', 'Smith', 'Chen', 'Garcia'])}, {rng.choice(['Wei', 'Ann', 'Jun'])}"
        year = rng.randint(1960, 2025)
        isbn = f"978{work:010d}"
        for copy, member in enumerate(rng.sample(MEMBERS, rng.choice([1, 1, 1, 2, 3]))):
            records.append(
                make_record(
                    member,
                    f"w{work}",
                    title + (" /" if copy == 1 else ""),
                    authors=[author],
                    year=year + (1 if copy == 2 and rng.random() < 0.3 else 0),
                    identifiers=[] if copy == 2 else [Identifier(scheme=IdentifierScheme.ISSN, value=isbn[-8:])],
                )
            )
    for n in range(CANDIDATES_PER_KEY + 30):  # "Annual report" of many bodies: one block past the cap
        records.append(make_record(MEMBERS[n % 4], f"ar{n}", "Annual report", authors=[f"Body {n}"], year=2000 + n % 3))
    return records


def _hub(records: list[Record], clusters: ClusterStore | None = None) -> tuple[Catalogue, InMemorySearchIndex]:
    """A catalogue holding ``records``, clustered incrementally first (so a rebuild replaces old clusters)."""
    store = InMemoryRecordStore()
    changes = [RecordChange(member=r.member, local_id=r.local_id, record=r) for r in records]
    store.commit(PageCommit(changes=changes, checkpoint=make_checkpoint()))
    clusters = clusters if clusters is not None else InMemoryClusterStore()
    dedup = DedupService(store, clusters, clock=ManualClock(T0, tick=timedelta(seconds=1)))
    index = InMemorySearchIndex()
    catalogue = Catalogue(store, clusters, index, dedup)
    catalogue.follow(changes[: len(changes) // 2])  # half of them clustered as a harvest would
    return catalogue, index


def _works(catalogue: Catalogue) -> dict[frozenset[tuple[str, str]], dict[str, Any]]:
    """Each cluster by its records: what it says (ids and change times left out)."""
    found = {}
    for cluster in catalogue.clusters.clusters():
        data = cluster.model_dump(mode="json", exclude={"cluster_id", "updated_at"})
        found[frozenset(tuple(k) for k in cluster.records)] = data
    return found


@pytest.fixture(scope="module")
def sample() -> list[Record]:
    return _sample(700)


def test_a_rebuild_by_worker_processes_gives_the_one_process_clusters(
    sample: list[Record], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one_process, _ = _hub(sample)
    one_process.rebuild()
    asked: list[int] = []

    def counted(*args: Any, workers: int, **kwargs: Any) -> Any:
        asked.append(workers)
        return processes.cluster_in_processes(*args, workers=workers, **kwargs)

    monkeypatch.setattr(catalogue_module, "cluster_in_processes", counted)
    store = SqliteClusterStore.open(tmp_path / "clusters.sqlite3")
    try:
        workers, index = _hub(sample, store)
        stale = {c.cluster_id for c in store.clusters()}
        first_seen = {k: p.first_seen for k in (r.key for r in sample) if (p := store.placement(k)) is not None}
        update = workers.rebuild(workers=2)
        assert asked == [2]  # the SQLite store takes the workers' rows
        works = _works(workers)
        assert works == _works(one_process)
        assert len(works) < len(sample) * 0.8  # copies did merge
        assert [c.cluster_id for c in update.saved] == sorted(c.cluster_id for c in store.clusters())
        assert set(update.deleted) == stale and not stale & {c.cluster_id for c in update.saved}
        assert index.count() == len(works)
        for key, seen in first_seen.items():  # records clustered before keep the time the consortium first had them
            placement = store.placement(key)
            assert placement is not None and placement.first_seen == seen
        # the old works are tombstones in the change index: an OAI-PMH harvester hears they are gone
        assert {v.cluster_id for v in store.changed(None, limit=10_000) if v.cluster is None} >= stale
    finally:
        store.close()


def test_partitions_give_the_one_shot_clusters(sample: list[Record]) -> None:
    one_shot, _ = _hub(sample)
    one_shot.rebuild()
    partitioned, index = _hub(sample)
    plans = InMemoryPlanStore()
    first_seen = {k: p.first_seen for k in map(lambda r: r.key, sample) if (p := partitioned.clusters.placement(k))}
    plan = partitioned.plan_rebuild(plans, run="r1", partitions=4)
    assert len(plan.partitions) == 4 and sum(plan.partitions) == len(sample)
    assert max(plan.partitions) < len(sample) // 2, plan.partitions  # really split
    assert plan.largest_component >= CANDIDATES_PER_KEY + 30  # the catch-all title's block is one component
    assert plan.largest_keys[0] == ("t:annual report", CANDIDATES_PER_KEY + 30)
    for index_ in range(4):
        result = partitioned.rebuild_partition(plans, run="r1", partition=index_)
        assert result.records == plan.partitions[index_] and result.missing == 0
    assert partitioned.finish_rebuild(plans, run="r1") == 0
    works = _works(partitioned)
    assert set(works) == set(_works(one_shot))
    assert works == _works(one_shot)
    assert len(works) < len(sample) * 0.8  # copies did merge
    assert index.count() == len(works)
    # records clustered before keep the time the consortium first had them
    for key, seen in first_seen.items():
        placement = partitioned.clusters.placement(key)
        assert placement is not None and placement.first_seen == seen
    # no old cluster is left, and every record is placed in a cluster that exists
    for record in sample:
        placement = partitioned.clusters.placement(record.key)
        assert placement is not None and partitioned.clusters.get(placement.cluster_id) is not None


def test_the_plan_fits_the_weights_the_one_shot_fits(sample: list[Record]) -> None:
    catalogue, _ = _hub(sample)
    plans = InMemoryPlanStore()
    plan = catalogue.plan_rebuild(plans, run="fit", partitions=3)
    assert plan.model == fit_collection(list(catalogue.records.records()))  # what rebuild() fits
    assert load_plan(plans, "fit").model == plan.model
    assert catalogue.dedup.model == plan.model


def test_each_record_is_in_one_partition_in_the_store_order(sample: list[Record]) -> None:
    catalogue, _ = _hub(sample)
    plans = InMemoryPlanStore()
    plan = catalogue.plan_rebuild(plans, run="r2", partitions=5)
    order = {r.key: n for n, r in enumerate(catalogue.records.records())}
    seen: list[tuple[str, str]] = []
    for index in range(5):
        keys = partition_keys(plans, plan, index)
        assert [order[k] for k in keys] == sorted(order[k] for k in keys)
        seen += keys
    assert sorted(seen) == sorted(order)
    stored = json.loads(plans.get("r2/plan.json"))
    assert stored["partitions"] == plan.partitions and stored["records"] == len(sample)


def test_records_sharing_a_key_or_an_old_cluster_share_a_partition() -> None:
    isbn = [Identifier(scheme=IdentifierScheme.ISBN, value="9780262033848")]
    records = [
        make_record("a", "1", "Alpha beta gamma", identifiers=isbn),
        make_record("b", "1", "Something else entirely", identifiers=isbn),
        make_record("c", "1", "Something else entirely", year=1990),
        make_record("d", "1", "Unrelated words here"),
    ]  # fmt: skip
    catalogue, _ = _hub(records)
    plans = InMemoryPlanStore()
    plan = catalogue.plan_rebuild(plans, run="r3", partitions=4)
    where = {k: i for i in range(4) for k in partition_keys(plans, plan, i)}
    assert where[("a", "1")] == where[("b", "1")] == where[("c", "1")]  # ISBN, then "t:something else entirely"
    assert plan.largest_component == 3 and plan.components == 2


def test_a_plan_past_max_records_is_refused_naming_the_keys(sample: list[Record]) -> None:
    catalogue, _ = _hub(sample)
    plans = InMemoryPlanStore()
    with pytest.raises(ValidationError, match="'t:annual report' \\(130 records\\)"):
        catalogue.plan_rebuild(plans, run="r4", partitions=2, max_records=100)
    with pytest.raises(NotFoundError):
        plans.get("r4/plan.json")  # nothing written


def test_bad_runs_and_partitions_are_refused(sample: list[Record]) -> None:
    catalogue, _ = _hub(sample[:50])
    plans = InMemoryPlanStore()
    with pytest.raises(ValidationError, match=r"run '\.\./x'"):
        catalogue.plan_rebuild(plans, run="../x", partitions=2)
    with pytest.raises(ValidationError, match="partitions: 0"):
        catalogue.plan_rebuild(plans, run="ok", partitions=0)
    with pytest.raises(NotFoundError, match=r"no rebuild plan file never/plan\.json"):
        catalogue.rebuild_partition(plans, run="never", partition=0)
    catalogue.plan_rebuild(plans, run="ok", partitions=2)
    with pytest.raises(NotFoundError, match="partition 2: the plan ok has partitions 0 to 1"):
        catalogue.rebuild_partition(plans, run="ok", partition=2)


def test_a_store_changing_between_the_passes_is_refused(sample: list[Record]) -> None:
    catalogue, _ = _hub(sample[:50])
    calls: list[int] = []
    real = catalogue.records.records

    def growing(member: str | None = None) -> Any:
        calls.append(1)
        items = list(real())
        return iter(items if len(calls) == 1 else [*items, make_record("z", "new", "A late record")])

    catalogue.records.records = growing  # type: ignore[method-assign]
    with pytest.raises(ValidationError, match="the record store changed during the plan"):
        catalogue.plan_rebuild(InMemoryPlanStore(), run="r5", partitions=2)


def _real_marc() -> list[Record]:
    """The real MARC records of ../shared/data/marc, each folder one member (as bench/dedup_marc.py loads them)."""
    logging.getLogger("pymarc").setLevel(logging.ERROR)
    store = InMemoryRecordStore()
    harvester = HarvestService(store, InMemoryBlobStore())
    kinds = {".xml": "marcxml", ".mrc": "marc21", ".marc": "marc21", ".dat": "marc21", ".bin": "marc21"}
    folders = [p for p in sorted(SHARED_MARC.iterdir()) if p.is_dir()]
    folders = [s for p in folders for s in ([p] if p.name != "openlibrary" else sorted(p.iterdir())) if s.is_dir()]
    for folder in folders:
        member = Member(id=folder.name.replace("_", "-"), name=folder.name)
        for number, path in enumerate(sorted(folder.iterdir())):
            kind = kinds.get(path.suffix)
            if kind is None or b"OAI-PMH" in path.read_bytes()[:500]:
                continue
            source = Source.model_validate({"id": f"f{number}", "protocol": "marc-file", "path": path, "format": kind})
            try:
                harvester.harvest_source(member, source)
            except Exception:  # a file the reader refuses as a whole: the others still count
                continue
    return list(store.records())


@pytest.mark.skipif(not SHARED_MARC.is_dir(), reason=f"the real MARC records are not at {SHARED_MARC} (../shared)")
@pytest.mark.filterwarnings("ignore")
def test_real_catalogue_records_give_the_one_shot_clusters_in_eight_partitions() -> None:
    records = _real_marc()
    assert len(records) > 300
    one_shot, _ = _hub(records)
    one_shot.rebuild()
    partitioned, _ = _hub(records)
    plans = InMemoryPlanStore()
    plan = partitioned.plan_rebuild(plans, run="marc", partitions=8)
    # a series of reports ("Community innovation survey from ...") ties the largest component together
    assert plan.largest_component < len(records) // 4 and plan.components > 8
    for index in range(8):
        partitioned.rebuild_partition(plans, run="marc", partition=index)
    partitioned.finish_rebuild(plans, run="marc")
    assert _works(partitioned) == _works(one_shot)
