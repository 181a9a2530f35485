"""Reader-profile throughput on the local adapters (SQLite store and ledger, local key file) in a temp folder.

Measures, per reader, storing an encrypted interest profile of about 200 keys (seal under the reader's data key
and write), loading and decrypting it with the data-key cache cold (a fresh cipher: each reader's key is
unwrapped through the key file) and warm, and the interest updates per second of
:func:`~consortium.profiles.interests.apply_event` in memory and stored (load, decrypt, update, encrypt, store).

Usage: ``python bench/profiles.py [--readers 300] [--keys 200] [--updates 5000]``. The last line printed is JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import consortium
from consortium.adapters.local import LocalKeyFileService, SqliteConsentLedger
from consortium.adapters.local.sqlite_profiles import SqliteProfileStore
from consortium.profiles.consent import Purpose, load_consent_policy
from consortium.profiles.crypto import EnvelopeCipher
from consortium.profiles.interest_keys import author_key, class_key, subject_key
from consortium.profiles.interests import InterestProfile, apply_event, declare, from_dict, to_dict
from consortium.profiles.models import Actor, ActorRole
from consortium.profiles.service import ProfileService

if TYPE_CHECKING:
    from collections.abc import Callable

POLICY = Path(consortium.__file__).resolve().parent.parent / "policies" / "consent.toml"
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
JOB = Actor(actor_id="bench", role=ActorRole.JOB)
CLASSES = ["TP312", "I247", "K825", "B821", "F832", "G252", "H319", "O141", "R723", "D693"]


def event_keys(i: int) -> list[str]:
    """The keys of one borrowed work: a class, a subject and an author."""
    return [
        class_key("clc", CLASSES[i % len(CLASSES)]),
        subject_key(f"topic {i % 997}"),
        author_key(f"Author {i % 499}"),
    ]


def interest_profile(keys: int) -> InterestProfile:
    """A profile with about ``keys`` learned keys (and their broader classes) and a few declared ones."""
    profile = InterestProfile()
    i = 0
    while len(profile.learned) < keys:
        profile = apply_event(profile, "borrow", event_keys(i), START + dt.timedelta(hours=i))
        i += 1
    for code in CLASSES[:3]:
        profile = declare(profile, class_key("clc", code))
    return profile


def service(folder: Path) -> tuple[ProfileService, LocalKeyFileService]:
    keys = LocalKeyFileService(folder / "keys.json")
    store = SqliteProfileStore.open(folder / "profiles.sqlite3")
    ledger = SqliteConsentLedger.open(folder / "profiles.sqlite3")
    return ProfileService(store, EnvelopeCipher(keys), ledger, load_consent_policy(POLICY), keys=keys), keys


def timed(step: Callable[[int], object], n: int) -> float:
    """Seconds for ``step(0) ... step(n - 1)``."""
    started = time.perf_counter()
    for i in range(n):
        step(i)
    return time.perf_counter() - started


def run(readers: int, keys: int, updates: int) -> dict[str, float | int]:
    profile = interest_profile(keys)
    payload = to_dict(profile)
    size = len(json.dumps(payload))
    with tempfile.TemporaryDirectory(prefix="bench-profiles-") as tmp:
        folder = Path(tmp)
        hub, _ = service(folder)
        ids = [f"reader-{i:06d}" for i in range(readers)]
        for reader_id in ids:
            hub.create_reader(reader_id, "riverside", [Purpose.PERSONALIZATION])
        store_s = timed(lambda i: hub.put_interests(ids[i], payload, JOB), readers)
        cold, _ = service(folder)  # a fresh cipher: every data key is unwrapped again
        cold_s = timed(lambda i: cold.get_interests(ids[i], JOB), readers)
        warm_n = min(readers, 200)  # within the cipher's key cache
        timed(lambda i: hub.get_interests(ids[i], JOB), warm_n)
        warm_s = timed(lambda i: hub.get_interests(ids[i], JOB), warm_n)

        state = {"profile": profile}

        def update(i: int) -> None:
            state["profile"] = apply_event(
                state["profile"], "view", event_keys(i % 40), START + dt.timedelta(days=30, seconds=i)
            )

        memory_s = timed(update, updates)

        def stored_update(i: int) -> None:
            reader_id = ids[i % warm_n]
            current = from_dict(hub.get_interests(reader_id, JOB) or {})
            hub.put_interests(reader_id, to_dict(apply_event(current, "view", event_keys(i % 40), START)), JOB)

        stored_n = min(updates, 1000)
        stored_s = timed(stored_update, stored_n)
    return {
        "readers": readers,
        "profile_keys": len(profile.learned) + len(profile.declared),
        "profile_json_bytes": size,
        "store_profiles_per_s": round(readers / store_s, 1),
        "store_us_each": round(store_s / readers * 1e6, 1),
        "load_cold_profiles_per_s": round(readers / cold_s, 1),
        "load_cold_us_each": round(cold_s / readers * 1e6, 1),
        "load_warm_profiles_per_s": round(warm_n / warm_s, 1),
        "load_warm_us_each": round(warm_s / warm_n * 1e6, 1),
        "interest_updates_per_s": round(updates / memory_s, 1),
        "interest_update_us_each": round(memory_s / updates * 1e6, 1),
        "stored_interest_updates_per_s": round(stored_n / stored_s, 1),
        "stored_interest_update_us_each": round(stored_s / stored_n * 1e6, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--readers", type=int, default=300)
    parser.add_argument("--keys", type=int, default=200)
    parser.add_argument("--updates", type=int, default=5000)
    args = parser.parse_args()
    result = run(args.readers, args.keys, args.updates)
    print(f"profile: {result['profile_keys']} keys, {result['profile_json_bytes']} bytes of JSON")
    print(
        f"encrypt and store:           {result['store_profiles_per_s']:>9} profiles/s  "
        f"{result['store_us_each']} µs each"
    )
    print(
        f"load and decrypt (cold key): {result['load_cold_profiles_per_s']:>9} profiles/s  "
        f"{result['load_cold_us_each']} µs each"
    )
    print(
        f"load and decrypt (warm key): {result['load_warm_profiles_per_s']:>9} profiles/s  "
        f"{result['load_warm_us_each']} µs each"
    )
    print(
        f"interest updates (memory):  {result['interest_updates_per_s']:>10} /s  "
        f"{result['interest_update_us_each']} µs each"
    )
    print(
        f"interest updates (stored):  {result['stored_interest_updates_per_s']:>10} /s  "
        f"{result['stored_interest_update_us_each']} µs each"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
