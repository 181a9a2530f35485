"""The bulk re-clustering in partitions, for collections larger than one process holds.

:func:`~consortium.dedup.bulk.cluster_bulk` holds every record, its match view and its keys at once (about 7 GB a
million records). Two records can end up in one cluster only if a chain of comparisons joins them, and the bulk
path compares only records that share a blocking key. So the records fall apart into *components*: the records
joined by shared keys, directly or through others. Clustering each component alone gives the clusters the
one-shot path gives, provided each component's records are taken in the same order (the first
:data:`~consortium.dedup.bulk.CANDIDATES_PER_KEY` records of a block are the candidates).

:func:`plan_partitions` is the planning pass. It reads the records twice, as a stream, and never holds them:

1. each record's blocking keys (and the id of the cluster it is in now, so that every old cluster is deleted by
   exactly one partition) are joined by union-find over *keys* (memory grows with the distinct keys, a few
   bytes of arrays each, not with the records), with what the matcher's fit needs (each key's first
   candidates);
2. the components, largest first, are packed into ``N`` partitions (each to the one with the fewest records so
   far); the second pass writes each record's ``(member, local_id)`` to its partition's list, in the store's
   order, and keeps the few thousand records the fit reads; the matcher's weights are fitted exactly as
   :func:`~consortium.dedup.fit.fit_collection` fits them on the whole collection.

:func:`cluster_partition` then re-clusters one partition: it reads the records in its list by key, in batches
(only its own), removes their placements and deletes their old clusters, and stores the clusters of
:func:`~consortium.dedup.bulk.cluster_bulk`. Partitions are independent and may run at once.
:func:`sweep_stale` ends a run: clusters left from before the plan (none of whose records is still held) are
deleted; the caller then rebuilds the search index.

A giant component (a chain of shared keys tying a large part of the collection together) cannot be split: the
blocking caps the comparisons per key (the first ``CANDIDATES_PER_KEY`` records of a block), not the records a
key joins, and every record of a block is compared with its first record. The plan reports the largest
component, its size and its most frequent keys; with ``max_records`` a plan whose largest partition would exceed
it is refused with that report, before anything is written.
"""

from __future__ import annotations

import json
import logging
import random
import re
from array import array
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from consortium.dedup.bulk import CANDIDATES_PER_KEY, cluster_bulk
from consortium.dedup.components import Forest, pack
from consortium.dedup.features import match_view
from consortium.dedup.fit import fit_model
from consortium.dedup.keys import record_keys
from consortium.dedup.model import MatchModel
from consortium.dedup.state import ClusterChange
from consortium.errors import NotFoundError, ValidationError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from consortium.dedup.ports import ClusterStore, PlanStore
    from consortium.dedup.state import RecordKey
    from consortium.harvest.ports import RecordStore
    from consortium.models import Record

__all__ = [
    "PartitionPlan",
    "PartitionResult",
    "cluster_partition",
    "load_plan",
    "plan_partitions",
    "sweep_stale",
]

log = logging.getLogger(__name__)

PLAN_FORMAT = 1
RUN_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}")
"""A run's name (a Step Functions execution's name, or one given by hand): the folder of its plan."""
_OLD_CLUSTER = "\x00cluster:"
_NO_KEY = "\x00record:"
_FIT_SAMPLE = 5_000
_FIT_MAX_PAIRS = 50_000
_PLACEMENT_BATCH = 1_000
_READ_BATCH = 10_000
"""Records a partition reads from the store at once (by key: the store batches them as it can)."""
TOP_KEYS = 5
"""How many of the largest component's most frequent keys a plan names."""


@dataclass(frozen=True)
class PartitionPlan:
    """What a planning pass decided: the partitions' sizes, the largest component, the fitted weights."""

    run: str
    created: datetime
    records: int
    keys: int
    """Distinct keys joined (blocking keys, and one per old cluster)."""
    components: int
    partitions: list[int]
    """Records in each partition."""
    largest_component: int
    largest_keys: list[tuple[str, int]]
    """The largest component's most frequent blocking keys, with how many records have each."""
    model: MatchModel

    def as_dict(self) -> dict[str, Any]:
        """The plan as JSON (the weights are in the stored plan only)."""
        return {
            "run": self.run,
            "created": self.created.isoformat(),
            "records": self.records,
            "keys": self.keys,
            "components": self.components,
            "partitions": self.partitions,
            "largest_component": {
                "records": self.largest_component,
                "keys": [{"key": k, "records": n} for k, n in self.largest_keys],
            },
        }


@dataclass(frozen=True)
class PartitionResult:
    """What one partition's re-clustering wrote."""

    partition: int
    records: int
    clusters: int
    deleted: int
    missing: int = 0
    """Records in the plan the store no longer held (deleted since the plan)."""
    saved_ids: list[str] = field(default_factory=list, repr=False)


def check_run(run: str) -> str:
    """The run's name, or a :class:`~consortium.errors.ValidationError` saying what a name may hold."""
    if not RUN_NAME.fullmatch(run):
        raise ValidationError(f"run {run!r}: a run's name is 1 to 80 letters, digits, '-' or '_'")
    return run


def _plan_name(run: str) -> str:
    return f"{run}/plan.json"


def _partition_name(run: str, index: int) -> str:
    return f"{run}/partition-{index:05d}.jsonl"


def plan_partitions(
    records: Callable[[], Iterable[Record]],
    clusters: ClusterStore,
    store: PlanStore,
    *,
    run: str,
    partitions: int,
    now: datetime,
    max_records: int | None = None,
) -> PartitionPlan:
    """Plan a partitioned rebuild of every record ``records()`` gives (called twice: the same records in the same
    order both times) into ``partitions`` partitions, and store the plan under ``run``.

    Raises
    ------
    ValidationError
        For fewer than one partition, a bad run name, (with ``max_records``) when the largest partition would
        hold more records than that (naming the largest component and its keys), or when the second pass does
        not read as many records as the first (the store changed meanwhile).
    """
    check_run(run)
    if partitions < 1:
        raise ValidationError(f"partitions: {partitions} (at least 1)")
    forest = Forest()
    numbers: dict[str, int] = {}
    first_key = array("l")
    heads: dict[int, list[int]] = {}
    """Blocking keys met more than once: their first CANDIDATES_PER_KEY records (what the fit pairs)."""
    firsts = array("l")
    """Each key's first record (every key's block starts there)."""

    def number_of(key: str, record: int) -> int:
        found = numbers.get(key)
        if found is None:
            found = numbers[key] = forest.add()
            firsts.append(record)
        return found

    count = 0
    for batch in _batches(records(), _PLACEMENT_BATCH):
        placed = clusters.placements([r.key for r in batch])
        for record in batch:
            keys = record_keys(record)
            ids = []
            for key in keys:
                number = number_of(key, count)
                forest.block[number] += 1
                if firsts[number] != count:
                    head = heads.setdefault(number, [firsts[number]])
                    if len(head) < CANDIDATES_PER_KEY:
                        head.append(count)
                ids.append(number)
            if (placement := placed.get(record.key)) is not None:
                ids.append(number_of(_OLD_CLUSTER + placement.cluster_id, count))
            if not ids:
                ids.append(number_of(f"{_NO_KEY}{record.member}/{record.local_id}", count))
            for other in ids[1:]:
                forest.union(ids[0], other)
            forest.records[ids[0]] += 1
            first_key.append(ids[0])
            count += 1
    sizes = forest.sizes()
    part_of, loads = pack(sizes, partitions)
    largest_root, largest = max(sizes.items(), key=lambda item: (item[1], -item[0]), default=(-1, 0))
    # numbers are given in order of first appearance, which is the dict's order: no second map of names
    top = sorted(
        (
            (key, forest.block[number])
            for key, number in numbers.items()
            if not key.startswith("\x00") and forest.find(number) == largest_root
        ),
        key=lambda item: (-item[1], item[0]),
    )[:TOP_KEYS]
    if max_records is not None and max(loads, default=0) > max_records:
        raise ValidationError(
            f"partitions: the largest of {partitions} would hold {max(loads)} records, more than max_records "
            f"{max_records}; its largest component alone holds {largest} records, joined by keys such as "
            + ", ".join(f"{key!r} ({n} records)" for key, n in top)
            + ("" if largest > max_records else "; plan more partitions")
        )
    # The fit's choice, as fit_collection makes it on the whole collection (its blocks in the order keys first
    # appear, each block's first CANDIDATES_PER_KEY records, pairs until there are max_pairs).
    wanted: set[tuple[int, int]] = set()
    for key, number in numbers.items():
        if len(wanted) >= _FIT_MAX_PAIRS:
            break
        if key.startswith("\x00"):
            continue
        block = heads.get(number)
        if block is not None:
            wanted.update((a, b) for n, a in enumerate(block) for b in block[n + 1 :])
    heads.clear()
    numbers.clear()
    sample = random.Random(0).sample(range(count), min(count, _FIT_SAMPLE))
    chosen = sorted({*sample, *(i for pair in wanted for i in pair)})
    position = {number: n for n, number in enumerate(chosen)}
    chosen_records: list[Record] = []
    lists: list[list[str]] = [[] for _ in range(partitions)]
    seen = 0
    for record in records():
        if seen >= count:
            seen += 1
            break
        lists[part_of[forest.find(first_key[seen])]].append(json.dumps([record.member, record.local_id]))
        if seen in position:
            chosen_records.append(record)
        seen += 1
    if seen != count:
        raise ValidationError(
            f"the record store changed during the plan ({count} records read, then {seen}): plan again when no "
            "harvest runs"
        )
    views = [match_view(r) for r in chosen_records]
    pairs = [(position[a], position[b]) for a, b in sorted(wanted)[:_FIT_MAX_PAIRS]]
    model = fit_model(views, pairs, seed=0)
    plan = PartitionPlan(
        run=run,
        created=now,
        records=count,
        keys=len(forest.parent),
        components=len(sizes),
        partitions=loads,
        largest_component=largest,
        largest_keys=top,
        model=model,
    )
    for index, lines in enumerate(lists):
        store.put(_partition_name(run, index), ("\n".join(lines) + "\n" if lines else "").encode("utf-8"))
    stored = plan.as_dict() | {"format": PLAN_FORMAT, "model": json.loads(model.to_json())}
    store.put(_plan_name(run), json.dumps(stored, ensure_ascii=False).encode("utf-8"))
    log.info("planned %d records in %d partitions (largest component %d)", count, partitions, largest)
    return plan


def _batches(items: Iterable[Record], size: int) -> Iterator[list[Record]]:
    batch: list[Record] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def load_plan(store: PlanStore, run: str) -> PartitionPlan:
    """The plan stored under ``run``.

    Raises
    ------
    NotFoundError
        When no plan was made under that name.
    """
    data = json.loads(store.get(_plan_name(check_run(run))))
    if data.get("format") != PLAN_FORMAT:
        raise ValidationError(f"run {run}: a plan of format {data.get('format')!r}, this release reads {PLAN_FORMAT}")
    return PartitionPlan(
        run=data["run"],
        created=datetime.fromisoformat(data["created"]),
        records=data["records"],
        keys=data["keys"],
        components=data["components"],
        partitions=data["partitions"],
        largest_component=data["largest_component"]["records"],
        largest_keys=[(k["key"], k["records"]) for k in data["largest_component"]["keys"]],
        model=MatchModel.from_json(json.dumps(data["model"]), f"plan {run}"),
    )


def partition_keys(store: PlanStore, plan: PartitionPlan, index: int) -> list[RecordKey]:
    """The records of partition ``index`` of the plan, in the record store's order."""
    if not 0 <= index < len(plan.partitions):
        raise NotFoundError(f"partition {index}: the plan {plan.run} has partitions 0 to {len(plan.partitions) - 1}")
    text = store.get(_partition_name(plan.run, index)).decode("utf-8")
    return [(member, local_id) for member, local_id in map(json.loads, text.splitlines())]


def cluster_partition(
    records: RecordStore,
    clusters: ClusterStore,
    store: PlanStore,
    *,
    run: str,
    index: int,
    now: datetime,
) -> PartitionResult:
    """Re-cluster partition ``index`` of the plan ``run``: its records read by key (in batches), taken in the
    store's order (the plan's), clustered with the plan's weights."""
    plan = load_plan(store, run)
    mine = partition_keys(store, plan, index)
    items: list[Record] = []
    for start in range(0, len(mine), _READ_BATCH):
        chunk = mine[start : start + _READ_BATCH]
        found = records.get_many(chunk)
        items += [found[key] for key in chunk if key in found]
    placed = clusters.placements([r.key for r in items])
    stale = sorted({p.cluster_id for p in placed.values()})
    # records new to the consortium were first seen when the rebuild began, whichever partition places them
    first_seen = {r.key: placed[r.key].first_seen if r.key in placed else plan.created for r in items}
    change = cluster_bulk(items, now, first_seen, plan.model)
    clusters.apply(ClusterChange(removed=sorted(placed), deleted=stale, at=now))
    clusters.apply(change)
    log.info("partition %d of %s: %d records in %d clusters", index, run, len(items), len(change.saved))
    return PartitionResult(
        partition=index,
        records=len(items),
        clusters=len(change.saved),
        deleted=len(stale),
        missing=len(mine) - len(items),
        saved_ids=[c.cluster_id for c in change.saved],
    )


def sweep_stale(clusters: ClusterStore, store: PlanStore, *, run: str, now: datetime) -> list[str]:
    """Delete the clusters last written before the plan ``run`` was made (every partition has run: those left
    hold no record the plan read), with their records' placements; the ids deleted."""
    plan = load_plan(store, run)
    stale = [c.cluster_id for c in clusters.clusters() if c.updated_at < plan.created]
    if stale:
        removed = sorted({key for cid in stale for key in clusters.members_of(cid)})
        clusters.apply(ClusterChange(removed=removed, deleted=stale, at=now))
    return stale
