"""The ranking evidence built from the hub's own stores: co-borrowing counts only the readers who granted
``analytics`` at members that share circulation, ten distinct readers a pair; a push run ranks with it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from factories import make_cluster

from consortium.adapters.memory.clock import ManualClock
from consortium.adapters.memory.clusters import InMemoryClusterStore
from consortium.adapters.memory.consent import InMemoryConsentLedger
from consortium.adapters.memory.keys import InMemoryKeyService
from consortium.adapters.memory.profiles import InMemoryProfileStore
from consortium.dedup.state import ClusterChange
from consortium.members import Member, MemberRegistry, SharingPolicy
from consortium.profiles.consent import Purpose, load_consent_policy
from consortium.profiles.crypto import EnvelopeCipher
from consortium.profiles.models import Actor, ReaderEvent
from consortium.profiles.service import ProfileService
from consortium.push.evidence import Evidence
from consortium.push.evidence_build import build_evidence

POLICY = load_consent_policy(Path(__file__).resolve().parents[2] / "policies" / "consent.toml")
T0 = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC)
READER = Actor(actor_id="r", role="reader")
REGISTRY = MemberRegistry(
    members=[
        Member(id="open", name="Open"),
        Member(id="closed", name="Closed", sharing=SharingPolicy(share_circulation="none")),
    ]
)


def _hub() -> tuple[ProfileService, InMemoryClusterStore]:
    keys = InMemoryKeyService()
    clusters = InMemoryClusterStore()
    profiles = ProfileService(
        InMemoryProfileStore(),
        EnvelopeCipher(keys),
        InMemoryConsentLedger(),
        POLICY,
        ManualClock(T0),
        keys=keys,
        cluster_lookup=clusters.get,
    )
    clusters.apply(
        ClusterChange(
            saved=[
                make_cluster("moby", "Moby-Dick", subjects=["Whaling"]),
                make_cluster("typhoon", "Typhoon", subjects=["Storms"]),
                make_cluster("other", "Other", subjects=["Whaling"]),
            ]
        )
    )
    return profiles, clusters


def _reader(profiles: ProfileService, reader_id: str, member: str, purposes: list[Purpose]) -> None:
    profiles.create_reader(reader_id, member, [Purpose.PERSONALIZATION, *purposes])
    for n, cluster_id in enumerate(("moby", "typhoon")):
        event = ReaderEvent(event_id=f"{reader_id}-{n}", type="borrow", at=T0, cluster_id=cluster_id)
        profiles.record_event(reader_id, event, READER)


def test_only_consenting_readers_of_sharing_members_make_a_pair() -> None:
    profiles, clusters = _hub()
    for n in range(9):
        _reader(profiles, f"a{n}", "open", [Purpose.ANALYTICS])
    _reader(profiles, "no-consent", "open", [])
    _reader(profiles, "closed-member", "closed", [Purpose.ANALYTICS])
    evidence = build_evidence(profiles, clusters, REGISTRY)
    assert evidence.neighbours == {}  # nine counted readers: not enough
    assert evidence.loans == {}  # nor a work's loans: nothing about fewer than ten readers
    assert evidence.works_total == 3
    assert evidence.rarity("subject:storms") > evidence.rarity("subject:whaling")

    _reader(profiles, "a9", "open", [Purpose.ANALYTICS])
    evidence = build_evidence(profiles, clusters, REGISTRY)
    assert evidence.neighbours["moby"]["typhoon"] == 1.0
    assert evidence.loans == {"moby": 10, "typhoon": 10}
    stored = json.loads(json.dumps(evidence.as_dict()))
    assert "a9" not in json.dumps(stored)  # counts only
    assert Evidence.from_dict(stored).neighbours == evidence.neighbours
