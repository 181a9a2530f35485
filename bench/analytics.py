"""The analytics job's speed: counting and suppression alone, and the whole build over readers on local adapters.

1. **cells**: ``--facts`` synthetic facts of ``--population`` readers (8 members of uneven size, 12 disciplines,
   4 degree levels, 22 main classes with 5 classes each, 400 subjects, 6 months, 3 metrics) counted into cells
   and published (:func:`~consortium.analytics.cells.publish`: primary, top-down and complementary suppression):
   facts per second, cells, rows published, rows suppressed;
2. **build**: ``--readers`` readers granting ``analytics`` on the local adapters (SQLite profile store and
   ledger, the local key file) in a temp folder, ``--events`` stored events each, then
   :meth:`~consortium.analytics.service.Analytics.build` (every reader's events and push ledgers decrypted under
   the purpose, audited, counted, kept in a file): readers per second.

Usage: ``python bench/analytics.py [--facts 300000] [--population 20000] [--readers 300] [--events 20]``. The
last line printed is JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import tempfile
import time
from pathlib import Path

import consortium
from consortium.adapters.local import FileAnalyticsStore, LocalKeyFileService, SqliteConsentLedger
from consortium.adapters.local.sqlite_profiles import SqliteProfileStore
from consortium.adapters.memory import InMemoryClusterStore, ManualClock
from consortium.analytics.cells import TOP, Fact, count, publish
from consortium.analytics.service import Analytics
from consortium.dedup.state import ClusterChange
from consortium.members import Member, MemberRegistry
from consortium.models import Classification, ClassScheme, Cluster, Holding
from consortium.profiles.consent import Purpose, load_consent_policy
from consortium.profiles.crypto import EnvelopeCipher
from consortium.profiles.models import Actor, ActorRole, ReaderEvent
from consortium.profiles.service import ProfileService
from consortium.push.ledgers import PushLedgers

POLICY = Path(consortium.__file__).resolve().parent.parent / "policies" / "consent.toml"
MEMBERS = [f"m{n}" for n in range(8)]
MONTHS = [f"2026-{m:02d}" for m in range(4, 10)]
CLASSES = "ABCDEFGHIJKNOPQRSTUVXZ"
DESK = Actor(actor_id="bench/desk", role=ActorRole.MEMBER_STAFF)


def synthetic_facts(n: int, population: int, seed: int = 7) -> list[Fact]:
    """``n`` facts of ``population`` readers, skewed as real activity is (a few members and classes dominate)."""
    rng = random.Random(seed)
    readers = []
    for r in range(population):
        member = MEMBERS[min(int(rng.expovariate(0.6)), len(MEMBERS) - 1)]
        readers.append((f"r{r}", member, f"d{rng.randrange(12)}", f"l{rng.randrange(4)}"))
    facts = []
    for _ in range(n):
        reader, member, discipline, level = readers[min(int(rng.paretovariate(1.2)) * 7 % population, population - 1)]
        reader, member, discipline, level = readers[rng.randrange(population)] if rng.random() < 0.7 else (
            reader, member, discipline, level)  # fmt: skip
        main = CLASSES[min(int(rng.expovariate(0.25)), len(CLASSES) - 1)]
        dims = {
            "total": TOP,
            "member": member,
            "discipline": discipline,
            "degree_level": level,
            "class": f"clc:{main}",
            "subclass": f"clc:{main}{rng.randrange(5)}",
            "subject": f"subject:topic {min(int(rng.expovariate(0.02)), 399)}",
        }
        facts.append(Fact(reader, rng.choice(("searches", "views", "loans")), rng.choice(MONTHS), dims))
    return facts


def bench_cells(n: int, population: int) -> dict[str, float]:
    facts = synthetic_facts(n, population)
    started = time.perf_counter()
    cells = count(facts)
    counted = time.perf_counter()
    rows = publish(cells)
    done = time.perf_counter()
    others = sum(1 for row in rows if row.key.value == "(other)")
    return {
        "facts": n,
        "readers": population,
        "cells": len(cells),
        "rows_published": len(rows) - others,
        "other_rows": others,
        "cells_suppressed": len(cells) - (len(rows) - others),
        "count_s": round(counted - started, 3),
        "suppress_s": round(done - counted, 3),
        "facts_per_s": round(n / (done - started)),
    }


def bench_build(readers: int, events: int) -> dict[str, float]:
    rng = random.Random(11)
    now = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        keys = LocalKeyFileService(base / "keys" / "readers.key")
        clusters = InMemoryClusterStore()
        works = [
            Cluster(
                cluster_id=f"w{n}",
                title=f"Work {n}",
                format="book",
                records=[(MEMBERS[n % 8], f"rec{n}")],
                holdings=[Holding(member=MEMBERS[n % 8])],
                classifications=[Classification(scheme=ClassScheme.CLC, code=f"{CLASSES[n % 22]}1")],
                subjects=[f"Topic {n % 40}"],
                first_seen=now,
                updated_at=now,
            )
            for n in range(200)
        ]
        clusters.apply(ClusterChange(saved=works))
        clock = ManualClock(dt.datetime(2026, 10, 30, tzinfo=dt.UTC))
        profiles = ProfileService(
            SqliteProfileStore.open(base / "profiles.sqlite3"),
            EnvelopeCipher(keys),
            SqliteConsentLedger.open(base / "profiles.sqlite3"),
            load_consent_policy(POLICY),
            clock,
            keys=keys,
            cluster_lookup=clusters.get,
        )
        consents = [Purpose.PERSONALIZATION, Purpose.ANALYTICS]
        for r in range(readers):
            profiles.create_reader(f"r{r}", MEMBERS[r % 8], consents, {"discipline": f"d{r % 5}"}, actor=DESK)
            stored = [
                ReaderEvent(
                    event_id=f"e{i}",
                    type=rng.choice(("view", "borrow")),
                    at=dt.datetime(2026, 9, 1 + i % 28, tzinfo=dt.UTC),
                    cluster_id=f"w{rng.randrange(200)}",
                )
                for i in range(events)
            ]
            profiles.record_events(f"r{r}", stored, DESK)
        clock.now = now
        registry = MemberRegistry(members=[Member(id=m, name=m) for m in MEMBERS])
        analytics = Analytics(
            FileAnalyticsStore(base / "analytics" / "report.json"),
            profiles,
            ledgers=PushLedgers(profiles.vault),
            registry=lambda: registry,
            work=clusters.get,
            hits=None,
            clock=clock,
        )
        started = time.perf_counter()
        report = analytics.build()
        took = time.perf_counter() - started
    return {
        "readers": readers,
        "events_per_reader": events,
        "build_s": round(took, 3),
        "readers_per_s": round(readers / took),
        "rows": len(report.rows),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facts", type=int, default=300_000)
    parser.add_argument("--population", type=int, default=20_000)
    parser.add_argument("--readers", type=int, default=300)
    parser.add_argument("--events", type=int, default=20)
    args = parser.parse_args()
    cells = bench_cells(args.facts, args.population)
    print(f"cells: {cells['facts']:,} facts of {cells['readers']:,} readers -> {cells['cells']:,} cells, "
          f"{cells['rows_published']:,} published, {cells['other_rows']:,} (other) rows; count {cells['count_s']} s, "
          f"suppress {cells['suppress_s']} s ({cells['facts_per_s']:,} facts/s)")  # fmt: skip
    build = bench_build(args.readers, args.events)
    print(f"build: {build['readers']} readers x {build['events_per_reader']} events on SQLite + key file: "
          f"{build['build_s']} s ({build['readers_per_s']} readers/s), {build['rows']} rows")  # fmt: skip
    print(json.dumps({"cells": cells, "build": build}))


if __name__ == "__main__":
    main()
