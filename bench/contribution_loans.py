"""A member's contribution page: how long counting the loans of its works by other members' readers takes, on
the local adapters (SQLite profile and cluster stores, key file) in a temp folder.

A first call of :meth:`~consortium.cooperation.crossloans.CrossMemberLoans.of` reads every reader who granted
``analytics`` (their consents, home library and stored events, decrypted) and counts: linear in the consenting
readers and their events ("cold"). The loans read are kept for ten minutes: a call meanwhile only counts them
against the current policies and holders ("warm"). Readers are spread over four members, four in five consent;
a third of their events are loans of works held by one, two or three of the members.

Usage: ``python bench/contribution_loans.py [--readers 500] [--events 60]``. The last line printed is JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import tempfile
import time
from pathlib import Path

import consortium
from consortium.adapters.local import LocalKeyFileService, SqliteClusterStore, SqliteConsentLedger
from consortium.adapters.local.sqlite_profiles import SqliteProfileStore
from consortium.adapters.memory.clock import ManualClock
from consortium.cooperation.crossloans import CrossMemberLoans
from consortium.dedup.state import ClusterChange
from consortium.members import Member, MemberRegistry
from consortium.models import Cluster, Holding, ResourceFormat
from consortium.profiles.consent import Purpose, load_consent_policy
from consortium.profiles.crypto import EnvelopeCipher
from consortium.profiles.models import Actor, ActorRole, EventType, ReaderEvent
from consortium.profiles.service import ProfileService

POLICY = Path(consortium.__file__).resolve().parent.parent / "policies" / "consent.toml"
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
LIBRARY = Actor(actor_id="bench/desk", role=ActorRole.MEMBER_STAFF)
MEMBERS = ["riverside", "lakeside", "eastlake", "westfield"]
WORKS = 2_000


def work(n: int) -> Cluster:
    holders = [MEMBERS[(n + k) % len(MEMBERS)] for k in range(1 + n % 3)]
    return Cluster(
        cluster_id=f"w{n:05d}",
        title=f"Work {n}",
        records=[(member, f"{n:05d}") for member in holders],
        holdings=[Holding(member=member, location="stacks") for member in holders],
        format=ResourceFormat.BOOK,
        first_seen=START,
        updated_at=START,
    )


def run(readers: int, events: int) -> dict[str, float | int | None]:
    with tempfile.TemporaryDirectory(prefix="bench-contribution-") as tmp:
        folder = Path(tmp)
        clusters = SqliteClusterStore.open(folder / "hub.sqlite3")
        clusters.apply(ClusterChange(saved=[work(n) for n in range(WORKS)]))
        keys = LocalKeyFileService(folder / "keys" / "keys.json")
        profiles = ProfileService(
            SqliteProfileStore.open(folder / "hub.sqlite3"),
            EnvelopeCipher(keys),
            SqliteConsentLedger.open(folder / "hub.sqlite3"),
            load_consent_policy(POLICY),
            ManualClock(START),
            keys=keys,
            cluster_lookup=clusters.get,
        )
        started = time.perf_counter()
        for r in range(readers):
            reader_id = f"r{r:05d}"
            purposes = [Purpose.PERSONALIZATION] + ([Purpose.ANALYTICS] if r % 5 else [])  # four in five consent
            profiles.create_reader(reader_id, MEMBERS[r % len(MEMBERS)], purposes)
            batch = [
                ReaderEvent(
                    event_id=f"e{e}",
                    type=EventType.BORROW if e % 3 == 0 else EventType.VIEW,
                    at=START - dt.timedelta(hours=events - e),
                    cluster_id=f"w{(r * 7 + e) % WORKS:05d}",
                )
                for e in range(events)
            ]
            profiles.record_events(reader_id, batch, LIBRARY)
        built = time.perf_counter() - started
        registry = MemberRegistry(members=[Member(id=m, name=m.title()) for m in MEMBERS])
        cold, warm = [], []
        figures = None
        for _ in range(3):
            crossing = CrossMemberLoans(profiles, clusters, lambda: registry)
            started = time.perf_counter()
            figures = crossing.of("riverside")
            cold.append(time.perf_counter() - started)
            started = time.perf_counter()
            crossing.of("riverside")
            warm.append(time.perf_counter() - started)
    assert figures is not None
    consenting = sum(1 for r in range(readers) if r % 5)
    return {
        "readers": readers,
        "consenting_readers": consenting,
        "events_per_reader": events,
        "build_s": round(built, 1),
        "cold_best_s": round(min(cold), 3),
        "cold_worst_s": round(max(cold), 3),
        "consenting_readers_per_s": round(consenting / min(cold), 1),
        "warm_best_ms": round(min(warm) * 1000, 1),
        "warm_worst_ms": round(max(warm) * 1000, 1),
        "counted_readers": figures.readers,
        "counted_loans": figures.loans,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, default=500)
    parser.add_argument("--events", type=int, default=60)
    args = parser.parse_args()
    figures = run(args.readers, args.events)
    print(
        f"{figures['readers']} readers with {figures['events_per_reader']} events each "
        f"({figures['consenting_readers']} consenting): riverside's loans by other members' readers counted cold in "
        f"{figures['cold_best_s']}-{figures['cold_worst_s']} s ({figures['consenting_readers_per_s']} consenting "
        f"readers/s), warm in {figures['warm_best_ms']}-{figures['warm_worst_ms']} ms "
        f"({figures['counted_readers']} readers, {figures['counted_loans']} loans)"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
