"""ProfileService: consent gating, duplicate events, withdrawal, export, erasure (crypto-shredding), retention and
the audit log."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from consortium.adapters.local.sqlite_profiles import SqliteProfileStore
from consortium.adapters.memory.clock import ManualClock
from consortium.adapters.memory.consent import InMemoryConsentLedger
from consortium.adapters.memory.keys import InMemoryKeyService
from consortium.adapters.memory.profiles import InMemoryProfileStore
from consortium.errors import NotFoundError, ValidationError
from consortium.profiles.consent import ConsentError, Purpose, load_consent_policy
from consortium.profiles.crypto import EnvelopeCipher
from consortium.profiles.kinds import EVENT, INTERESTS
from consortium.profiles.models import MAX_CLOCK_SKEW, Actor, AuditAction, AuditEntry, Processing, ReaderEvent
from consortium.profiles.ports import DecryptionError
from consortium.profiles.service import EventOutcome, ProfileService

POLICY = load_consent_policy(Path(__file__).resolve().parents[2] / "policies" / "consent.toml")
T0 = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
READER = Actor(actor_id="r1", role="reader")
STAFF = Actor(actor_id="staff-7", role="member_staff")
SECRET_QUERY = "黛玉葬花 zebrafish-genome-2026"


def search(event_id: str, at: dt.datetime = T0, query: str = SECRET_QUERY) -> ReaderEvent:
    return ReaderEvent(event_id=event_id, type="search", at=at, query=query, filters={"language": "chi"})


def make(
    tmp_path: Path, store: object | None = None, keys: InMemoryKeyService | None = None
) -> tuple[ProfileService, object, ManualClock]:
    keys = keys or InMemoryKeyService()
    clock = ManualClock(T0)
    store = store if store is not None else InMemoryProfileStore()
    service = ProfileService(
        store,  # type: ignore[arg-type]
        EnvelopeCipher(keys),
        InMemoryConsentLedger(),
        POLICY,
        clock,
        keys=keys,
    )
    return service, store, clock


# -- events


def test_event_types_name_their_missing_field() -> None:
    with pytest.raises(ValueError, match="a rating event needs the field 'rating'"):
        ReaderEvent(event_id="e", type="rating", at=T0, cluster_id="c1")
    with pytest.raises(ValueError, match="a search event needs the field 'query'"):
        ReaderEvent(event_id="e", type="search", at=T0, query="  ")
    with pytest.raises(ValueError, match="a borrow event needs the field 'cluster_id'"):
        ReaderEvent(event_id="e", type="borrow", at=T0)
    with pytest.raises(ValueError, match="less than or equal to 5"):
        ReaderEvent(event_id="e", type="rating", at=T0, cluster_id="c1", rating=6)
    assert ReaderEvent(event_id="e", type="feedback", at=T0, feedback="more poetry").feedback == "more poetry"


def test_events_without_personalization_consent_are_dropped(tmp_path: Path) -> None:
    service, store, _ = make(tmp_path)
    service.create_reader("r1", "riverside", [Purpose.PUSH])
    assert service.record_event("r1", search("e1"), READER) is EventOutcome.DROPPED_NO_CONSENT
    assert store.items("r1", EVENT) == []  # type: ignore[attr-defined]
    service.grant("r1", Purpose.PERSONALIZATION)
    assert service.record_event("r1", search("e1"), READER) is EventOutcome.STORED
    assert [e.event_id for e in service.events("r1", READER)] == ["e1"]


def test_an_event_dated_in_the_future_is_refused_beyond_the_clock_skew(tmp_path: Path) -> None:
    service, store, clock = make(tmp_path)
    service.create_reader("r1", "riverside", [Purpose.PERSONALIZATION])
    far = search("far", at=dt.datetime(2999, 1, 1, tzinfo=dt.UTC), query="class:clc:TP312")
    with pytest.raises(ValidationError, match=r"field 'at'.* in the future.* 5 minutes"):
        service.record_event("r1", far, READER)
    just_over = search("over", at=T0 + MAX_CLOCK_SKEW + dt.timedelta(seconds=1))
    with pytest.raises(ValidationError, match="in the future"):
        service.record_event("r1", just_over, READER)
    assert store.items("r1", EVENT) == []  # type: ignore[attr-defined]
    assert service.get_interests("r1", READER) is None  # nothing learned from it either

    within = search("skewed", at=T0 + MAX_CLOCK_SKEW)  # a device clock a little ahead
    assert service.record_event("r1", within, READER) is EventOutcome.STORED
    clock.now = dt.datetime(2999, 1, 1, tzinfo=dt.UTC)
    assert service.record_event("r1", far, READER) is EventOutcome.STORED  # once it is no longer the future


def test_repeated_event_id_is_ignored(tmp_path: Path) -> None:
    service, _, _ = make(tmp_path)
    service.create_reader("r1", "riverside", [Purpose.PERSONALIZATION])
    assert service.record_event("r1", search("e1"), READER) is EventOutcome.STORED
    assert service.record_event("r1", search("e1", query="something else"), READER) is EventOutcome.DUPLICATE
    [event] = service.events("r1", READER)
    assert event.query == SECRET_QUERY


def test_withdrawing_personalization_deletes_what_was_learned(tmp_path: Path) -> None:
    service, store, _ = make(tmp_path)
    service.create_reader("r1", "riverside", [Purpose.PERSONALIZATION, Purpose.PUSH], {"subjects": ["poetry"]})
    service.record_event("r1", search("e1"), READER)
    service.record_event("r1", ReaderEvent(event_id="e2", type="view", at=T0, cluster_id="c9"), READER)
    service.put_interests("r1", {"subject:poetry": 0.8}, Actor(actor_id="interest-model", role="job"))
    assert service.get_interests("r1", READER) == {"subject:poetry": 0.8}

    service.withdraw("r1", Purpose.PERSONALIZATION, READER)

    assert store.items("r1", EVENT) == []  # type: ignore[attr-defined]
    assert store.items("r1", INTERESTS) == []  # type: ignore[attr-defined]
    assert service.get_profile("r1", READER) == {"subjects": ["poetry"]}  # declared, not learned: kept
    with pytest.raises(ConsentError):
        service.events("r1", READER)
    assert service.record_event("r1", search("e3"), READER) is EventOutcome.DROPPED_NO_CONSENT


def test_profile_round_trip_and_consent_for_staff_purposes(tmp_path: Path) -> None:
    service, store, _ = make(tmp_path)
    service.create_reader("r1", "riverside", [], {"subjects": ["history"]})
    service.put_profile("r1", {"subjects": ["history", "红楼梦"], "languages": ["chi"]}, READER)
    assert service.get_profile("r1", READER) == {"subjects": ["history", "红楼梦"], "languages": ["chi"]}
    assert store.get("r1", "profile", "1").version == 2  # type: ignore[attr-defined]
    with pytest.raises(ConsentError, match="consortium_sharing"):
        service.get_profile("r1", STAFF, Purpose.CONSORTIUM_SHARING)
    service.grant("r1", Purpose.CONSORTIUM_SHARING)
    assert service.get_profile("r1", STAFF, Purpose.CONSORTIUM_SHARING)["languages"] == ["chi"]
    assert service.get_reader("r1", STAFF, Purpose.CONSORTIUM_SHARING).member == "riverside"


def test_ciphertexts_are_bound_to_their_item(tmp_path: Path) -> None:
    service, store, _ = make(tmp_path)
    service.create_reader("r1", "riverside", [Purpose.PERSONALIZATION])
    service.record_event("r1", search("e1"), READER)
    service.record_event("r1", search("e2", query="other"), READER)
    first = store.get("r1", EVENT, "e1")  # type: ignore[attr-defined]
    store.put("r1", EVENT, "e2", first.ciphertext, first.version)  # type: ignore[attr-defined]
    with pytest.raises(DecryptionError):
        service.events("r1", READER)


# -- export


def test_export_returns_everything_in_one_json_document(tmp_path: Path) -> None:
    service, _, clock = make(tmp_path)
    service.create_reader("r1", "riverside", [Purpose.PERSONALIZATION], {"subjects": ["poetry"]})
    service.record_event("r1", search("e1"), READER)
    clock.now = T0 + dt.timedelta(hours=1)
    service.record_event(
        "r1", ReaderEvent(event_id="e2", type="rating", at=clock.now, cluster_id="c1", rating=5), READER
    )
    service.put_interests("r1", {"subject:poetry": 0.8}, Actor(actor_id="interest-model", role="job"))
    service.withdraw("r1", Purpose.PUSH)

    exported = service.export("r1", READER)

    assert json.loads(json.dumps(exported, ensure_ascii=False)) == exported
    assert exported["reader"]["member"] == "riverside"
    assert exported["profile"] == {"subjects": ["poetry"]}
    assert exported["interests"] == {"subject:poetry": 0.8}
    assert [e["event_id"] for e in exported["events"]] == ["e1", "e2"]
    assert exported["events"][0]["query"] == SECRET_QUERY
    assert [(c["purpose"], c["granted"]) for c in exported["consents"]] == [
        ("personalization", True),
        ("push", False),
    ]
    assert exported["audit"][-1]["action"] == "export"
    assert {a["purpose"] for a in exported["audit"]} >= {"account", "personalization", "reader_request"}


# -- erase


def test_erase_makes_a_copy_taken_before_unreadable(tmp_path: Path) -> None:
    db = tmp_path / "var" / "hub.sqlite3"
    store = SqliteProfileStore.open(db)
    keys = InMemoryKeyService()
    service, _, _ = make(tmp_path, store, keys)
    service.create_reader("r1", "riverside", [Purpose.PERSONALIZATION], {"subjects": ["poetry"]})
    service.create_reader("r2", "riverside", [Purpose.PERSONALIZATION])
    service.record_event("r1", search("e1"), READER)
    store.close()
    backup = tmp_path / "backup.sqlite3"
    shutil.copyfile(db, backup)

    store = SqliteProfileStore.open(db)
    service, _, _ = make(tmp_path, store, keys)
    assert service.get_profile("r1", READER) == {"subjects": ["poetry"]}  # the backup is good before erasure
    service.erase("r1")

    with pytest.raises(NotFoundError):
        service.export("r1")
    assert store.items("r1") == []
    assert store.get_key("r1") is None
    assert "r1" not in store.readers()
    assert store.audit_log("r1") == []  # type: ignore[attr-defined]

    # The copy still holds r1's wrapped key and ciphertexts, but the key no longer unwraps: nothing opens.
    copy = SqliteProfileStore.open(backup)
    restored, _, _ = make(tmp_path, copy, keys)  # a fresh cipher: no cached keys
    assert copy.get_key("r1") is not None
    with pytest.raises(DecryptionError, match="destroyed"):
        restored.get_profile("r1", READER)
    with pytest.raises(DecryptionError):
        restored.events("r1", READER, Processing.READER_REQUEST)
    # Other readers in the same copy are untouched.
    assert restored.get_reader("r2", READER).member == "riverside"
    copy.close()
    store.close()


def test_the_data_folder_never_holds_search_terms_in_clear(tmp_path: Path) -> None:
    data = tmp_path / "var"
    store = SqliteProfileStore.open(data / "hub.sqlite3")
    service, _, _ = make(tmp_path, store)
    service.create_reader("r1", "riverside", [Purpose.PERSONALIZATION], {"note": SECRET_QUERY})
    service.record_event("r1", search("e1"), READER)
    service.events("r1", READER)
    service.export("r1", READER)

    def leaks() -> list[Path]:
        needles = [part.encode() for part in SECRET_QUERY.split()] + [b"riverside"]
        found = []
        for path in [*data.rglob("*"), *(tmp_path / "keys").rglob("*")]:
            if path.is_file():
                blob = path.read_bytes()
                found += [path for needle in needles if needle in blob]
        return found

    assert leaks() == []  # while the WAL is live
    service.erase("r1")
    store.close()
    assert leaks() == []


# -- retention


def test_purge_enforces_retention_of_granted_purposes(tmp_path: Path) -> None:
    service, _, _ = make(tmp_path)
    service.create_reader("r1", "riverside", [Purpose.PERSONALIZATION, Purpose.ANALYTICS])
    for days in (400, 200, 60, 1):
        service.record_event("r1", search(f"e-{days}", at=T0 - dt.timedelta(days=days)), READER)
    # personalization (365 days) outlasts analytics (90 days): the longest granted retention keeps an event
    assert service.purge_expired(T0) == 1
    assert [e.event_id for e in service.events("r1", READER)] == ["e-200", "e-60", "e-1"]
    assert service.purge_expired(T0 + dt.timedelta(days=200)) == 1
    assert [e.event_id for e in service.events("r1", READER)] == ["e-60", "e-1"]
    assert service.purge_expired(T0 + dt.timedelta(days=200)) == 0


def test_purge_reads_retention_from_the_policy(tmp_path: Path) -> None:
    doc = POLICY.model_dump(mode="json")
    doc["purposes"]["personalization"]["retention_days"] = 30
    short = type(POLICY).model_validate(doc)
    keys = InMemoryKeyService()
    service = ProfileService(
        InMemoryProfileStore(), EnvelopeCipher(keys), InMemoryConsentLedger(), short, ManualClock(T0)
    )
    service.create_reader("r1", "riverside", [Purpose.PERSONALIZATION])
    service.create_reader("r2", "riverside", [Purpose.PERSONALIZATION, Purpose.ANALYTICS])
    for rid in ("r1", "r2"):
        for days in (100, 60, 10):
            service.record_event(rid, search(f"{rid}-{days}", at=T0 - dt.timedelta(days=days)), READER)
    assert service.purge_expired(T0) == 3  # r1: 30 days; r2: analytics' 90 days is now the longest
    assert [e.event_id for e in service.events("r1", READER)] == ["r1-10"]
    assert [e.event_id for e in service.events("r2", READER)] == ["r2-60", "r2-10"]


# -- audit


def test_audit_entries_record_purpose_and_never_data(tmp_path: Path) -> None:
    service, store, _ = make(tmp_path)
    service.create_reader("r1", "riverside", [Purpose.PERSONALIZATION, Purpose.CONSORTIUM_SHARING], {"n": "林黛玉"})
    service.record_event("r1", search("e1"), READER)
    service.get_profile("r1", STAFF, Purpose.CONSORTIUM_SHARING)
    service.export("r1", READER)
    service.purge_expired(T0 + dt.timedelta(days=400))
    log = store.audit_log("r1")  # type: ignore[attr-defined]
    assert [(a.kind, a.action.value, a.purpose.value) for a in log] == [
        ("*", "write", "account"),
        ("event", "write", "personalization"),
        ("profile", "read", "consortium_sharing"),
        ("*", "export", "reader_request"),
        ("event", "erase", "retention"),
    ]
    assert log[2].actor_id == "staff-7" and log[2].actor_role.value == "member_staff"
    dumped = json.dumps([a.model_dump(mode="json") for a in log], ensure_ascii=False)
    for secret in ("林黛玉", "zebrafish", "chi", "riverside"):
        assert secret not in dumped


def test_a_new_reader_given_an_erased_readers_id_sees_none_of_their_audit_trail(tmp_path: Path) -> None:
    service, store, clock = make(tmp_path)
    service.create_reader("r1", "riverside", [Purpose.PERSONALIZATION, Purpose.CONSORTIUM_SHARING])
    service.record_event("r1", search("e1"), READER)
    service.get_profile("r1", STAFF, Purpose.CONSORTIUM_SHARING)
    kept_as = service.erase("r1", READER)

    clock.now = T0 + dt.timedelta(days=30)
    service.create_reader("r1", "lakeside", [])
    audit = service.export("r1", READER)["audit"]
    assert [(a["kind"], a["action"], a["purpose"]) for a in audit] == [
        ("*", "write", "account"),
        ("*", "export", "reader_request"),
    ]

    # What the law asks to keep is kept, under a pseudonym that names neither the reader nor their id.
    old = store.audit_log(kept_as)  # type: ignore[attr-defined]
    assert (old[0].kind, old[0].action) == ("*", AuditAction.WRITE)
    assert any(a.actor_id == "staff-7" and a.action is AuditAction.READ for a in old)
    assert old[-1].action is AuditAction.ERASE and old[-1].actor_id == kept_as != "r1"
    assert "r1" not in json.dumps([a.model_dump(mode="json") for a in old])


def test_a_trail_left_under_an_id_by_an_earlier_erasure_is_detached_when_the_id_is_given_again(
    tmp_path: Path,
) -> None:
    service, store, _ = make(tmp_path)
    left = AuditEntry.of("r1", STAFF, kind="*", action="erase", purpose=Processing.READER_REQUEST, at=T0)
    store.audit(left)  # type: ignore[attr-defined]  # as erasures before trails were detached left them
    service.create_reader("r1", "riverside", [])
    assert [entry.action for entry in store.audit_log("r1")] == [AuditAction.WRITE]  # type: ignore[attr-defined]


def test_logs_hold_no_reader_ids_or_data(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    service, _, _ = make(tmp_path)
    service.create_reader("reader-zz-9", "riverside", [])
    service.record_event("reader-zz-9", search("e1"), READER)
    service.erase("reader-zz-9")
    assert caplog.records
    assert "reader-zz-9" not in caplog.text
    assert "zebrafish" not in caplog.text
