"""Loading readers for a push run, on the local adapters (SQLite profile store, key file) in a temp folder.

A push run loads every subscribed reader's plan (:meth:`~consortium.push.job.PushJob.reader_plans`): consents,
subscriptions, the interest profile with its recent borrowings, the sent ledger and the mutes. The reference, in
the same process and on the same readers, is what finding the recent borrowings cost before they were kept in
the profile: opening every stored event of the reader (:meth:`~consortium.profiles.learning.Learning.events`).

Usage: ``python bench/push_readers.py [--readers 100] [--events 200]``. The last line printed is JSON.
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
from consortium.dedup.state import ClusterChange
from consortium.models import Classification, ClassScheme, Cluster, ResourceFormat
from consortium.profiles.consent import Purpose, load_consent_policy
from consortium.profiles.crypto import EnvelopeCipher
from consortium.profiles.models import Actor, ActorRole, EventType, ReaderEvent
from consortium.profiles.service import ProfileService
from consortium.push.job import PUSH_JOB
from consortium.push.models import Channel, ServiceId
from consortium.push.service import PushService

POLICY = Path(consortium.__file__).resolve().parent.parent / "policies" / "consent.toml"
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
READER = Actor(actor_id="bench", role=ActorRole.READER)
CLASSES = ["TP312", "I247", "K825", "B821", "F832", "G252", "H319", "O141", "R723", "D693"]
WORKS = 2_000


def work(n: int) -> Cluster:
    code = CLASSES[n % len(CLASSES)]
    return Cluster(
        cluster_id=f"w{n:05d}",
        title=f"Work {n}",
        authors=[f"Author {n % 499}"],
        subjects=[f"Topic {n % 97}"],
        classifications=[Classification(scheme=ClassScheme.CLC, code=code)],
        records=[("riverside", f"{n:05d}")],
        format=ResourceFormat.BOOK,
        first_seen=START,
        updated_at=START,
    )


def run(readers: int, events: int) -> dict[str, float | int]:
    with tempfile.TemporaryDirectory(prefix="bench-push-readers-") as tmp:
        folder = Path(tmp)
        clusters = SqliteClusterStore.open(folder / "hub.sqlite3")
        clusters.apply(ClusterChange(saved=[work(n) for n in range(WORKS)]))
        keys = LocalKeyFileService(folder / "keys" / "keys.json")
        clock = ManualClock(START)
        profiles = ProfileService(
            SqliteProfileStore.open(folder / "hub.sqlite3"),
            EnvelopeCipher(keys),
            SqliteConsentLedger.open(folder / "hub.sqlite3"),
            load_consent_policy(POLICY),
            clock,
            keys=keys,
            cluster_lookup=clusters.get,
        )
        push = PushService(profiles, clusters, clock=clock)
        started = time.perf_counter()
        for r in range(readers):
            reader_id = f"r{r:05d}"
            profiles.create_reader(reader_id, "riverside", [Purpose.PERSONALIZATION, Purpose.PUSH])
            push.subscribe(reader_id, ServiceId.INTERESTED_NEW, Channel.INBOX, actor=READER)
            for e in range(events):
                at = START - dt.timedelta(hours=events - e)  # the past: the hub refuses future events
                kind = EventType.BORROW if e % 3 == 0 else EventType.VIEW
                event = ReaderEvent(event_id=f"e{e}", type=kind, at=at, cluster_id=f"w{(r * 7 + e) % WORKS:05d}")
                profiles.record_event(reader_id, event, READER)
        built = time.perf_counter() - started
        now = START + dt.timedelta(days=60)

        started = time.perf_counter()
        plans = list(push.reader_plans(now))
        load = time.perf_counter() - started
        started = time.perf_counter()
        opened = sum(len(profiles.events(plan.reader_id, PUSH_JOB)) for plan in plans)
        reference = time.perf_counter() - started
        borrowed = sum(len(plan.taste.borrowed) for plan in plans)
    return {
        "readers": readers,
        "events_per_reader": events,
        "build_s": round(built, 1),
        "reader_plans_s": round(load, 3),
        "reader_plans_per_s": round(readers / load, 1),
        "borrowed_works_loaded": borrowed,
        "events_opened_by_reference": opened,
        "reference_open_every_event_s": round(reference, 3),
        "reference_over_plans": round(reference / load, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, default=100)
    parser.add_argument("--events", type=int, default=200)
    args = parser.parse_args()
    figures = run(args.readers, args.events)
    print(
        f"{figures['readers']} readers with {figures['events_per_reader']} events each: reader plans loaded in "
        f"{figures['reader_plans_s']} s ({figures['reader_plans_per_s']} readers/s, "
        f"{figures['borrowed_works_loaded']} recent borrowings); opening every event instead takes "
        f"{figures['reference_open_every_event_s']} s more ({figures['reference_over_plans']} x the whole load)"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
