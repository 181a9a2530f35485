"""The ranking evidence as the scheduler stores it: counts only (no pair or work under ten readers, nothing from a
member that does not share circulation, no reader), read back by the next push run, which then says "readers who
borrowed X also borrowed this"; a missing or broken document means ranking without it, logged without a reader."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from factories import make_cluster

from consortium.adapters.memory.clock import ManualClock
from consortium.adapters.memory.clusters import InMemoryClusterStore
from consortium.adapters.memory.consent import InMemoryConsentLedger
from consortium.adapters.memory.evidence import InMemoryEvidenceStore
from consortium.adapters.memory.keys import InMemoryKeyService
from consortium.adapters.memory.profiles import InMemoryProfileStore
from consortium.dedup.state import ClusterChange
from consortium.errors import StorageError, ValidationError
from consortium.members import Member, MemberRegistry, SharingPolicy
from consortium.profiles.consent import Purpose, load_consent_policy
from consortium.profiles.crypto import EnvelopeCipher
from consortium.profiles.models import Actor, ReaderEvent
from consortium.profiles.service import ProfileService
from consortium.profiles.vault import pseudonym
from consortium.push.evidence import Evidence
from consortium.push.evidence_store import StoredEvidence, decode_evidence, encode_evidence, rebuild_evidence
from consortium.push.models import Channel, ServiceId
from consortium.push.ports import StoredBlob
from consortium.push.service import PushService

if TYPE_CHECKING:
    from consortium.push.ports import EvidenceStore

POLICY = load_consent_policy(Path(__file__).resolve().parents[2] / "policies" / "consent.toml")
T0 = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC)
READER = Actor(actor_id="r", role="reader")
REGISTRY = MemberRegistry(
    members=[
        Member(id="open", name="Open"),
        Member(id="closed", name="Closed", sharing=SharingPolicy(share_circulation="none")),
    ]
)


class Hub:
    def __init__(self) -> None:
        keys = InMemoryKeyService()
        self.clock = ManualClock(T0)
        self.clusters = InMemoryClusterStore()
        self.profiles = ProfileService(
            InMemoryProfileStore(),
            EnvelopeCipher(keys),
            InMemoryConsentLedger(),
            POLICY,
            self.clock,
            keys=keys,
            cluster_lookup=self.clusters.get,
        )
        self.store = InMemoryEvidenceStore()
        self.evidence = StoredEvidence(self.store)
        self.push = PushService(self.profiles, self.clusters, clock=self.clock, evidence=self.evidence)
        old = T0 - dt.timedelta(days=365)
        self.clusters.apply(
            ClusterChange(
                saved=[
                    make_cluster("moby", "Moby-Dick", subjects=["Whaling"], first_seen=old, updated_at=old),
                    make_cluster("ahab", "Ahab's Wife", subjects=["Sea stories"], first_seen=old, updated_at=old),
                    make_cluster("ishmael", "Call Me Ishmael", subjects=["Criticism"], first_seen=old, updated_at=old),
                    make_cluster("bounty", "The Bounty", subjects=["Mutiny"], first_seen=old, updated_at=old),
                    make_cluster("nemo", "Nautilus", subjects=["Submarines"], first_seen=old, updated_at=old),
                ]
            )
        )

    def reader(self, reader_id: str, member: str, borrowed: tuple[str, ...], *, analytics: bool = True) -> None:
        purposes = [Purpose.PERSONALIZATION, Purpose.PUSH] + ([Purpose.ANALYTICS] if analytics else [])
        self.profiles.create_reader(reader_id, member, purposes)
        for n, cluster_id in enumerate(borrowed):
            event = ReaderEvent(event_id=f"{reader_id}-{n}", type="borrow", at=self.clock(), cluster_id=cluster_id)
            self.profiles.record_event(reader_id, event, READER)

    def rebuild(self) -> dict[str, object]:
        rebuild_evidence(self.profiles, self.clusters, REGISTRY, self.store, clock=self.clock)
        blob = self.store.get()
        assert blob is not None
        stored: dict[str, object] = json.loads(blob.data)
        return stored


def test_the_next_push_run_uses_the_stored_evidence_and_says_who_borrowed_what() -> None:
    hub = Hub()
    hub.reader("me", "open", ("moby",), analytics=False)
    hub.push.subscribe("me", ServiceId.INTERESTED_NEW, Channel.INBOX, actor=Actor(actor_id="me", role="reader"))
    at = T0 + dt.timedelta(days=2)
    typhoon = make_cluster("typhoon", "Typhoon", subjects=["Storms"], first_seen=at, updated_at=at)
    hub.clusters.apply(ClusterChange(saved=[typhoon]))
    hub.clock.now = T0 + dt.timedelta(days=3)
    for n in range(10):
        hub.reader(f"crew{n}", "open", ("moby", "typhoon"))
    hub.clock.now = T0 + dt.timedelta(days=7)

    before = hub.push.run(dry_run=True, force=True)
    assert before.evidence_built_at is None  # nothing stored yet: ranked without it
    assert [item.cluster_id for d in before.digests for item in d.items] == []  # storms: nothing "me" reads

    hub.clock.now = T0 + dt.timedelta(days=7, hours=-2)
    stored = hub.rebuild()
    hub.clock.now = T0 + dt.timedelta(days=7)
    after = hub.push.run(dry_run=True, force=True)
    assert after.evidence_built_at == T0 + dt.timedelta(days=7, hours=-2)
    assert after.as_dict()["evidence_built_at"] == "2026-03-09T04:00:00+00:00"
    [item] = [item for d in after.digests for item in d.items]
    assert item.cluster_id == "typhoon"
    assert item.reason.startswith("readers who borrowed Moby-Dick also borrowed this")
    # "me" did not grant analytics: ten readers behind each work and the pair
    assert stored["neighbours"] == {"moby": {"typhoon": 1.0}, "typhoon": {"moby": 1.0}}
    assert stored["loans"] == {"moby": 10, "typhoon": 10}


def test_pairs_and_works_under_ten_readers_and_readers_never_appear_in_the_stored_json() -> None:
    hub = Hub()
    for n in range(9):
        hub.reader(f"few{n}", "open", ("ahab", "ishmael"))
    for n in range(10):
        hub.reader(f"many{n}", "open", ("bounty", "nemo"))
    stored = hub.rebuild()
    assert set(stored["neighbours"]) == {"bounty", "nemo"}  # type: ignore[arg-type]
    assert stored["loans"] == {"bounty": 10, "nemo": 10}
    assert stored["format"] == 1 and stored["min_readers"] == 10 and stored["built_at"] == T0.isoformat()
    text = json.dumps(stored)
    for n in range(10):
        assert f"many{n}" not in text and pseudonym(f"many{n}") not in text
    assert "ahab" not in text and "ishmael" not in text  # nine readers: neither the pair nor the works' loans


def test_a_member_that_does_not_share_circulation_never_contributes() -> None:
    hub = Hub()
    for n in range(20):
        hub.reader(f"closed{n}", "closed", ("ahab", "ishmael"))
    for n in range(9):
        hub.reader(f"open{n}", "open", ("bounty", "nemo"))
    for n in range(5):
        hub.reader(f"both{n}", "closed", ("bounty", "nemo"))
    stored = hub.rebuild()
    assert stored["neighbours"] == {} and stored["loans"] == {} and stored["related"] == {}
    assert stored["works_total"] == 5  # rarity is over the catalogue, which is public


def test_without_stored_evidence_a_run_ranks_without_it_and_logs_it_once_without_a_reader(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = InMemoryEvidenceStore()
    evidence = StoredEvidence(store)
    with caplog.at_level(logging.INFO, logger="consortium.push.evidence_store"):
        assert evidence() is None
        assert evidence() is None
    assert [r.getMessage() for r in caplog.records] == ["no ranking evidence stored yet: push runs rank without it"]
    assert evidence.built_at is None


class CountingStore:
    """An evidence store that counts the documents read, and can be broken."""

    def __init__(self) -> None:
        self.inner = InMemoryEvidenceStore()
        self.reads = 0
        self.broken = False

    def put(self, data: bytes) -> None:
        self.inner.put(data)

    def get(self) -> StoredBlob | None:
        self.reads += 1
        return self.inner.get()

    def version(self) -> str | None:
        if self.broken:
            raise StorageError("cannot read the ranking evidence s3://bucket/evidence/ranking-evidence.json: 403")
        return self.inner.version()


def test_the_document_is_read_again_only_when_it_changed_and_a_broken_one_keeps_the_last(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = CountingStore()
    checked: EvidenceStore = store
    evidence = StoredEvidence(checked)
    first = Evidence.of_keys([["subject:whaling"]], loans={"moby": 12})
    store.put(encode_evidence(first, T0))
    assert evidence() is not None and evidence() is not None
    assert store.reads == 1 and evidence.built_at == T0
    store.put(encode_evidence(first, T0 + dt.timedelta(days=1)))
    loaded = evidence()
    assert store.reads == 2 and loaded is not None and loaded.built_at == T0 + dt.timedelta(days=1)

    store.put(b'{"format": 1, "built_at": "yesterday"}')
    with caplog.at_level(logging.WARNING, logger="consortium.push.evidence_store"):
        kept = evidence()
        store.broken = True
        assert evidence() is kept
    assert kept is loaded  # the last good evidence stays in use
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2
    assert "ValidationError" in messages[0] and "built_at" in messages[0]
    assert "StorageError" in messages[1] and "the evidence read before" in messages[1]


def test_a_bad_document_is_refused_naming_the_field() -> None:
    good = json.loads(encode_evidence(Evidence.of_keys([["subject:whaling"]]), T0))
    assert decode_evidence(json.dumps(good).encode()).works_total == 1
    for field, value in (("loans", {"moby": "many"}), ("format", 2), ("min_readers", 0), ("reader", "r1")):
        with pytest.raises(ValidationError, match=f"field '{field}"):
            decode_evidence(json.dumps({**good, field: value}).encode())
    with pytest.raises(ValidationError, match="not valid"):
        decode_evidence(b"not json")
