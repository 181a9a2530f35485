"""Rotating the key-encryption key for every reader (``consortium keys rotate``, then ``retire``): every reader's
data still opens, the older KEKs go once nothing uses them, a key that does not open keeps its KEK, an erased
reader stays erased, and another process of the hub wraps under the new KEK without a restart."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from consortium.adapters.key_rotation import retire_unused_keks, rotate_readers_keys
from consortium.adapters.local import LocalKeyFileService, SqliteProfileStore
from consortium.adapters.memory.clock import ManualClock
from consortium.adapters.memory.consent import InMemoryConsentLedger
from consortium.adapters.memory.keys import InMemoryKeyService
from consortium.adapters.memory.profiles import InMemoryProfileStore
from consortium.profiles.consent import Purpose, load_consent_policy
from consortium.profiles.crypto import EnvelopeCipher
from consortium.profiles.models import Actor, ReaderEvent
from consortium.profiles.ports import DecryptionError, ProfileStore
from consortium.profiles.service import ProfileService

POLICY = load_consent_policy(Path(__file__).resolve().parents[2] / "policies" / "consent.toml")
T0 = dt.datetime(2026, 12, 5, 9, 0, tzinfo=dt.UTC)


def _service(
    store: ProfileStore, keys: InMemoryKeyService | LocalKeyFileService, ledger: InMemoryConsentLedger | None = None
) -> ProfileService:
    ledger = ledger if ledger is not None else InMemoryConsentLedger()
    return ProfileService(store, EnvelopeCipher(keys), ledger, POLICY, ManualClock(T0), keys=keys)


def _readers(service: ProfileService, count: int) -> None:
    for n in range(count):
        reader = f"r{n}"
        service.create_reader(reader, "riverside", [Purpose.PERSONALIZATION])
        event = ReaderEvent(event_id=f"e{n}", type="search", at=T0, query=f"query of reader {n}")
        service.record_event(reader, event, Actor(actor_id=reader, role="reader"))


def _queries(service: ProfileService, count: int) -> list[str]:
    return [
        e.query or "" for n in range(count) for e in service.events(f"r{n}", Actor(actor_id=f"r{n}", role="reader"))
    ]


@pytest.mark.parametrize("backend", ["memory", "files"])
def test_every_reader_opens_after_rotating_and_retiring_and_the_old_kek_is_gone(tmp_path: Path, backend: str) -> None:
    if backend == "memory":
        keys: InMemoryKeyService | LocalKeyFileService = InMemoryKeyService()
        store: ProfileStore = InMemoryProfileStore()
    else:
        keys = LocalKeyFileService(tmp_path / "keys" / "keys.json")
        store = SqliteProfileStore.open(tmp_path / "profiles.sqlite3")
    ledger = InMemoryConsentLedger()
    service = _service(store, keys, ledger)
    _readers(service, 5)
    old = keys.key_id()
    before = {f"r{n}": store.get_key(f"r{n}") for n in range(5)}

    rotated = rotate_readers_keys(keys, store)
    assert rotated.current != old and rotated.moved == 5 and rotated.unreadable == 0
    assert all(keys.kek_of(store.get_key(f"r{n}") or b"") == rotated.current for n in range(5))
    assert keys.kek_ids() == sorted([old, rotated.current])  # the old one stays until retired

    retired = retire_unused_keks(keys, store)
    assert retired.retired == [old] and retired.moved == 0 and keys.kek_ids() == [rotated.current]
    fresh = _service(store, keys, ledger)  # no cached data key: every reader's key unwrapped again
    assert _queries(fresh, 5) == [f"query of reader {n}" for n in range(5)]
    with pytest.raises(DecryptionError, match=r"KEK kek-\w+ is not (in the key file|held)"):
        keys.unwrap(before["r0"] or b"", {"consortium:reader": "r0"})  # a copy taken before no longer opens


def test_a_key_that_does_not_open_keeps_its_kek_and_is_counted() -> None:
    keys, store = InMemoryKeyService(), InMemoryProfileStore()
    service = _service(store, keys)
    _readers(service, 3)
    old = keys.key_id()
    broken = bytearray(store.get_key("r1") or b"")
    broken[-1] ^= 1  # one bit flipped in the stored key
    store.put_key("r1", bytes(broken))

    rotated = rotate_readers_keys(keys, store)
    assert (rotated.moved, rotated.unreadable, rotated.in_use) == (2, 1, {old: 1})
    retired = retire_unused_keks(keys, store)
    assert retired.retired == [] and retired.in_use == {old: 1} and old in keys.kek_ids()
    assert store.get_key("r1") == bytes(broken)  # left as it was


def test_an_erased_reader_is_not_given_a_key_again() -> None:
    keys, store = InMemoryKeyService(), InMemoryProfileStore()
    service = _service(store, keys)
    _readers(service, 2)
    service.erase("r0")
    rotated = rotate_readers_keys(keys, store)
    assert rotated.moved == 1 and rotated.unreadable == 0
    assert store.get_key("r0") is None


def test_a_key_made_under_the_old_kek_meanwhile_moves_before_the_old_kek_is_retired() -> None:
    keys, store = InMemoryKeyService(), InMemoryProfileStore()
    service = _service(store, keys)
    _readers(service, 2)
    old = keys.key_id()
    rotate_readers_keys(keys, store)
    late = LateWrapper(keys, old)  # a process that had not seen the rotation yet
    store.put_key("late", late.wrap_under_old({"consortium:reader": "late"}))
    retired = retire_unused_keks(keys, store)
    assert retired.moved == 1 and retired.retired == [old]
    assert keys.kek_of(store.get_key("late") or b"") == retired.current


class LateWrapper:
    """Wraps a data key under a KEK that is no longer current, as a process would that read the key file before
    the rotation."""

    def __init__(self, keys: InMemoryKeyService, kek_id: str) -> None:
        self.keys, self.kek_id = keys, kek_id

    def wrap_under_old(self, context: dict[str, str]) -> bytes:
        current = self.keys._current
        self.keys._current = self.kek_id
        try:
            return self.keys.generate_data_key(context)[1]
        finally:
            self.keys._current = current


def test_another_process_wraps_under_the_new_kek_at_once_and_keeps_its_kek_if_the_file_goes(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "keys.json"
    server, operator = LocalKeyFileService(path), LocalKeyFileService(path)
    old = server.key_id()
    new = operator.rotate()
    assert server.key_id() == new  # read again: the file was replaced
    _, wrapped = server.generate_data_key({"consortium:reader": "r9"})
    assert server.kek_of(wrapped) == new
    path.unlink()  # an operator's mistake: the running process neither makes a new KEK nor loses the one it has
    assert server.key_id() == new and not path.exists()
    assert old != new
