"""The KeyService contract and envelope encryption: the in-memory service, the local key file and KMS (on moto)
behave the same; so do the hub-wide secrets (HubSecrets) of those that keep them."""

from __future__ import annotations

import os
import stat
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from consortium.adapters.local.key_file import InsecureKeyFileError, LocalKeyFileService
from consortium.adapters.memory.keys import InMemoryKeyService
from consortium.errors import ConflictError, StorageError
from consortium.profiles.crypto import EnvelopeCipher, reader_context
from consortium.profiles.ports import DecryptionError, HubSecrets, KeyServiceError

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from consortium.profiles.ports import ContextSecrets, KeyService

PROFILE = '{"name": "林黛玉", "email": "daiyu@example.org", "interests": ["红楼梦"]}'.encode()


@dataclass
class Keys:
    """A key service under test, with the backend-specific ways to rotate its KEK and to see which KEK a
    wrapped key is under."""

    service: KeyService
    rotate: Callable[[], None]
    current_kek: Callable[[], str]
    kek_of: Callable[[bytes], str]
    reopen: Callable[[], KeyService]
    """Another service over the same keys and secrets (another process's; the same object for memory)."""


def _local(path: Path | None) -> Keys:
    service: LocalKeyFileService | InMemoryKeyService = LocalKeyFileService(path) if path else InMemoryKeyService()

    def rotate() -> None:
        service.rotate()

    def reopen() -> KeyService:
        return LocalKeyFileService(path) if path else service

    return Keys(service, rotate, service.key_id, service.kek_of, reopen)


def _kms(client: Any, secrets: Callable[[], ContextSecrets] | None = None) -> Keys:
    """KMS on moto; with ``secrets`` (making adapters of one DynamoDB secrets table) the shredding variant."""
    alias = f"alias/readers-{uuid.uuid4().hex[:12]}"
    client.create_alias(AliasName=alias, TargetKeyId=client.create_key()["KeyMetadata"]["KeyId"])

    from consortium.adapters.aws.kms_keys import KmsKeyService, ShreddingKmsKeyService

    def rotate() -> None:
        client.update_alias(AliasName=alias, TargetKeyId=client.create_key()["KeyMetadata"]["KeyId"])

    def current_kek() -> str:
        return str(client.describe_key(KeyId=alias)["KeyMetadata"]["Arn"])

    def kek_of(wrapped: bytes) -> str:
        # Test-only: ask KMS which key a blob is under (the service never needs to).
        blob = wrapped.removeprefix(b"KS1") if secrets is not None else wrapped
        response = client.decrypt(CiphertextBlob=blob, EncryptionContext=reader_context(READER))
        return str(response["KeyId"])

    def make() -> KeyService:
        return KmsKeyService(alias, client) if secrets is None else ShreddingKmsKeyService(alias, secrets(), client)

    return Keys(make(), rotate, current_kek, kek_of, make)


def _secrets_table(aws_client: Callable[[str], Any]) -> Callable[[], ContextSecrets]:
    """A fresh secrets table on moto, and a maker of adapters over it."""
    from consortium.adapters.aws.reader_secrets import DynamoDbContextSecrets, create_secrets_table

    table = f"reader-secrets-{uuid.uuid4().hex[:8]}"
    create_secrets_table(aws_client("dynamodb"), table)
    return lambda: DynamoDbContextSecrets(table, aws_client("dynamodb"))


def _make(request: pytest.FixtureRequest, tmp_path: Path) -> Keys:
    if request.param == "local":
        return _local(tmp_path / "var" / "keys.json")
    if request.param == "memory":
        return _local(None)
    aws_client: Callable[[str], Any] = request.getfixturevalue("aws_client")
    if request.param == "kms":
        return _kms(aws_client("kms"))
    return _kms(aws_client("kms"), _secrets_table(aws_client))


@pytest.fixture(params=["memory", "local", "kms", "kms-shredding"])
def keys(request: pytest.FixtureRequest, tmp_path: Path) -> Keys:
    return _make(request, tmp_path)


@pytest.fixture(params=["memory", "local", "kms-shredding"])
def shredding(request: pytest.FixtureRequest, tmp_path: Path) -> Keys:
    """The key services that can destroy a reader's secret (crypto-shredding)."""
    return _make(request, tmp_path)


def test_destroying_a_context_secret_shreds_every_copy(shredding: Keys) -> None:
    from consortium.profiles.ports import DestroyableKeyService

    service = shredding.service
    assert isinstance(service, DestroyableKeyService)
    cipher = EnvelopeCipher(service)
    mine, other = cipher.new_reader_key(READER), cipher.new_reader_key(OTHER)
    sealed = cipher.encrypt(mine, READER, "profile", 1, PROFILE)
    copy_of_wrapped, copy_of_sealed = bytes(mine), bytes(sealed)  # what a backup of the store holds

    service.destroy(reader_context(READER))
    service.destroy(reader_context(READER))  # twice does no harm

    with pytest.raises(DecryptionError, match="destroyed"):
        service.unwrap(copy_of_wrapped, reader_context(READER))
    with pytest.raises(DecryptionError):
        EnvelopeCipher(service).decrypt(copy_of_wrapped, READER, "profile", 1, copy_of_sealed)
    # Another reader is untouched, and a new key for the erased reader's id is a new secret, not the old one.
    assert EnvelopeCipher(service).decrypt(other, OTHER, "p", 1, cipher.encrypt(other, OTHER, "p", 1, b"x")) == b"x"
    fresh = EnvelopeCipher(service).new_reader_key(READER)
    with pytest.raises(DecryptionError):
        EnvelopeCipher(service).decrypt(fresh, READER, "profile", 1, copy_of_sealed)


# -- hub-wide secrets (HubSecrets): kept by every key service that keeps context secrets


def test_a_plain_kms_key_service_keeps_no_hub_secrets(keys: Keys) -> None:
    from consortium.adapters.aws.kms_keys import KmsKeyService, ShreddingKmsKeyService

    plain = isinstance(keys.service, KmsKeyService) and not isinstance(keys.service, ShreddingKmsKeyService)
    assert isinstance(keys.service, HubSecrets) is not plain


def test_no_hub_secret_until_one_is_made_and_it_outlives_the_service(shredding: Keys) -> None:
    service = shredding.service
    assert isinstance(service, HubSecrets)
    name = f"push-token-key:{uuid.uuid4().hex[:8]}"
    assert service.hub_secret(name, create=False) is None
    made = service.hub_secret(name, create=True)
    assert made is not None and len(made) == 32
    assert service.hub_secret(name, create=True) == made  # asking to create again keeps the first
    elsewhere = shredding.reopen()
    assert isinstance(elsewhere, HubSecrets)
    assert elsewhere.hub_secret(name, create=False) == made  # another process sees the same secret
    assert service.hub_secret(name + "x", create=True) not in (None, made)


def test_hub_secrets_and_readers_secrets_are_apart(shredding: Keys) -> None:
    """A reader whose id is a hub secret's name shares nothing with it: erasing them leaves the hub secret, and
    destroying the hub secret leaves their data key."""
    from consortium.profiles.ports import DestroyableKeyService

    service = shredding.service
    assert isinstance(service, HubSecrets) and isinstance(service, DestroyableKeyService)
    name = "push-token-key:1"
    secret = service.hub_secret(name, create=True)
    cipher = EnvelopeCipher(service, cache_size=0)
    wrapped = cipher.new_reader_key(name)
    sealed = cipher.encrypt(wrapped, name, "profile", 1, PROFILE)

    service.destroy_hub_secret(name)
    service.destroy_hub_secret(name)  # twice does no harm
    service.destroy_hub_secret("never-made")  # nor destroying what was never made
    assert service.hub_secret(name, create=False) is None
    assert cipher.decrypt(wrapped, name, "profile", 1, sealed) == PROFILE

    again = service.hub_secret(name, create=True)
    assert again not in (None, secret)  # a destroyed secret never comes back
    service.destroy(reader_context(name))
    assert service.hub_secret(name, create=False) == again
    with pytest.raises(DecryptionError):
        cipher.decrypt(wrapped, name, "profile", 1, sealed)


def test_racing_makers_of_a_hub_secret_get_the_same_one(shredding: Keys) -> None:
    makers = [shredding.reopen() for _ in range(4)]
    assert all(isinstance(maker, HubSecrets) for maker in makers)
    name = f"race-{uuid.uuid4().hex[:8]}"

    def make(n: int) -> bytes | None:
        maker = makers[n % len(makers)]
        assert isinstance(maker, HubSecrets)
        return maker.hub_secret(name, create=True)

    with ThreadPoolExecutor(max_workers=4) as pool:
        made = list(pool.map(make, range(8)))
    assert made[0] is not None and made == [made[0]] * 8


READER = "reader-1"
OTHER = "reader-2"


def test_data_key_round_trip(keys: Keys) -> None:
    context = reader_context(READER)
    plaintext, wrapped = keys.service.generate_data_key(context)
    assert len(plaintext) == 32
    assert plaintext not in wrapped
    assert keys.service.unwrap(wrapped, context) == plaintext
    assert keys.service.generate_data_key(context)[0] != plaintext
    assert keys.service.key_id()


def test_payload_round_trip(keys: Keys) -> None:
    cipher = EnvelopeCipher(keys.service)
    wrapped = cipher.new_reader_key(READER)
    sealed = cipher.encrypt(wrapped, READER, "profile", 1, PROFILE)
    assert sealed.startswith(b"CE1")
    assert PROFILE not in sealed
    assert cipher.decrypt(wrapped, READER, "profile", 1, sealed) == PROFILE
    # A fresh cipher (nothing cached) unwraps through the key service.
    assert EnvelopeCipher(keys.service).decrypt(wrapped, READER, "profile", 1, sealed) == PROFILE
    empty = cipher.encrypt(wrapped, READER, "events", 3, b"")
    assert EnvelopeCipher(keys.service, cache_size=0).decrypt(wrapped, READER, "events", 3, empty) == b""


def test_wrong_context_fails(keys: Keys) -> None:
    _, wrapped = keys.service.generate_data_key(reader_context(READER))
    for context in (reader_context(OTHER), {}, {**reader_context(READER), "extra": "x"}):
        with pytest.raises(DecryptionError):
            keys.service.unwrap(wrapped, context)
        with pytest.raises(DecryptionError):
            keys.service.rewrap(wrapped, context)
    # Through the cipher: another reader's id with this reader's key, even while this key is cached.
    cipher = EnvelopeCipher(keys.service)
    wrapped = cipher.new_reader_key(READER)
    sealed = cipher.encrypt(wrapped, READER, "profile", 1, PROFILE)
    with pytest.raises(DecryptionError):
        cipher.decrypt(wrapped, OTHER, "profile", 1, sealed)


def test_changed_wrapped_key_fails(keys: Keys) -> None:
    context = reader_context(READER)
    _, wrapped = keys.service.generate_data_key(context)
    changed = wrapped[:-1] + bytes([wrapped[-1] ^ 1])
    with pytest.raises(DecryptionError):
        keys.service.unwrap(changed, context)


def test_rotate_and_rewrap_keep_payloads(keys: Keys) -> None:
    cipher = EnvelopeCipher(keys.service)
    wrapped = cipher.new_reader_key(READER)
    sealed = {
        ("profile", 1): cipher.encrypt(wrapped, READER, "profile", 1, PROFILE),
        ("events", 1): cipher.encrypt(wrapped, READER, "events", 1, b'[{"type": "loan"}]'),
    }
    copies = {k: bytes(v) for k, v in sealed.items()}
    old_kek = keys.kek_of(wrapped)
    assert old_kek == keys.current_kek()

    keys.rotate()
    assert keys.current_kek() != old_kek
    rewrapped = keys.service.rewrap(wrapped, reader_context(READER))
    assert rewrapped != wrapped
    assert keys.kek_of(rewrapped) == keys.current_kek()
    assert keys.service.unwrap(rewrapped, reader_context(READER)) == keys.service.unwrap(
        wrapped, reader_context(READER)
    )

    fresh = EnvelopeCipher(keys.service)
    assert sealed == copies  # the payloads were not re-encrypted
    assert fresh.decrypt(rewrapped, READER, "profile", 1, sealed["profile", 1]) == PROFILE
    assert fresh.decrypt(rewrapped, READER, "events", 1, sealed["events", 1]) == b'[{"type": "loan"}]'


def test_new_data_keys_use_the_current_kek(keys: Keys) -> None:
    keys.rotate()
    _, wrapped = keys.service.generate_data_key(reader_context(READER))
    assert keys.kek_of(wrapped) == keys.current_kek()


def test_nonces_differ_for_the_same_plaintext(keys: Keys) -> None:
    cipher = EnvelopeCipher(keys.service)
    wrapped = cipher.new_reader_key(READER)
    sealed = [cipher.encrypt(wrapped, READER, "profile", 1, PROFILE) for _ in range(50)]
    nonces = {s[3:15] for s in sealed}
    assert len(nonces) == 50
    assert len(set(sealed)) == 50
    assert all(cipher.decrypt(wrapped, READER, "profile", 1, s) == PROFILE for s in sealed)
    _, again = keys.service.generate_data_key(reader_context(READER))
    assert again != wrapped


def test_moving_a_ciphertext_fails(keys: Keys) -> None:
    cipher = EnvelopeCipher(keys.service)
    mine = cipher.new_reader_key(READER)
    theirs = cipher.new_reader_key(OTHER)
    sealed = cipher.encrypt(mine, READER, "profile", 1, PROFILE)
    attempts = [
        (theirs, OTHER, "profile", 1),  # moved to another reader
        (mine, READER, "events", 1),  # moved to another kind
        (mine, READER, "profile", 2),  # replayed as another version
        (theirs, READER, "profile", 1),  # another reader's key under this reader's id
    ]
    for wrapped, reader, kind, version in attempts:
        with pytest.raises(DecryptionError):
            cipher.decrypt(wrapped, reader, kind, version, sealed)
    changed = sealed[:-1] + bytes([sealed[-1] ^ 1])
    for bad in (changed, sealed[:20], b"XX1" + sealed[3:], b""):
        with pytest.raises(DecryptionError):
            cipher.decrypt(mine, READER, "profile", 1, bad)
    assert cipher.decrypt(mine, READER, "profile", 1, sealed) == PROFILE


def test_erasing_the_wrapped_key_makes_copies_unreadable(keys: Keys) -> None:
    cipher = EnvelopeCipher(keys.service)
    stored: dict[str, bytes] = {READER: cipher.new_reader_key(READER), OTHER: cipher.new_reader_key(OTHER)}
    backup = [cipher.encrypt(stored[READER], READER, kind, 1, PROFILE) for kind in ("profile", "events", "sent")]

    # Erase: the one wrapped key record is destroyed, and the process forgets the unwrapped key.
    cipher.forget(stored.pop(READER))
    assert READER not in stored

    # Decrypting needs a wrapped key: any key still held (another reader's, a fresh one) does not open the backup.
    fresh = EnvelopeCipher(keys.service)
    replacement = fresh.new_reader_key(READER)
    for sealed, kind in zip(backup, ("profile", "events", "sent"), strict=True):
        for wrapped, reader in ((stored[OTHER], OTHER), (stored[OTHER], READER), (replacement, READER)):
            with pytest.raises(DecryptionError):
                fresh.decrypt(wrapped, reader, kind, 1, sealed)
            with pytest.raises(DecryptionError):
                cipher.decrypt(wrapped, reader, kind, 1, sealed)


def test_unwrapped_keys_are_cached(keys: Keys) -> None:
    counting = _CountingKeys(keys.service)
    cipher = EnvelopeCipher(counting, cache_size=2)
    wrapped = EnvelopeCipher(keys.service).new_reader_key(READER)
    sealed = cipher.encrypt(wrapped, READER, "profile", 1, PROFILE)
    for _ in range(10):
        assert cipher.decrypt(wrapped, READER, "profile", 1, sealed) == PROFILE
    assert counting.unwraps == 1
    # Least recently used keys fall out.
    others = [EnvelopeCipher(keys.service).new_reader_key(f"r{i}") for i in range(2)]
    for i, other in enumerate(others):
        cipher.encrypt(other, f"r{i}", "profile", 1, b"x")
    assert cipher.decrypt(wrapped, READER, "profile", 1, sealed) == PROFILE
    assert counting.unwraps == 4
    cipher.forget(wrapped)
    cipher.decrypt(wrapped, READER, "profile", 1, sealed)
    assert counting.unwraps == 5


class _CountingKeys:
    def __init__(self, inner: KeyService) -> None:
        self.inner = inner
        self.unwraps = 0

    def generate_data_key(self, context: dict[str, str]) -> tuple[bytes, bytes]:
        return self.inner.generate_data_key(context)

    def unwrap(self, wrapped: bytes, context: dict[str, str]) -> bytes:
        self.unwraps += 1
        return self.inner.unwrap(wrapped, context)

    def rewrap(self, wrapped: bytes, context: dict[str, str]) -> bytes:
        return self.inner.rewrap(wrapped, context)

    def key_id(self) -> str:
        return self.inner.key_id()


# -- the local key file only


def test_key_file_is_created_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "var" / "keys.json"
    service = LocalKeyFileService(path)
    assert not path.exists()
    kek = service.key_id()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert service.kek_ids() == [kek]
    service.rotate()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(service.kek_ids()) == 2
    assert [p.name for p in path.parent.iterdir()] == ["keys.json"]


def test_key_file_mode_does_not_follow_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        path = tmp_path / "keys.json"
        LocalKeyFileService(path).key_id()
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_readable_key_file_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "keys.json"
    service = LocalKeyFileService(path)
    _, wrapped = service.generate_data_key(reader_context(READER))
    path.chmod(mode)
    again = LocalKeyFileService(path)
    with pytest.raises(InsecureKeyFileError, match="chmod 600") as caught:
        again.unwrap(wrapped, reader_context(READER))
    assert isinstance(caught.value, KeyServiceError)
    assert isinstance(caught.value, StorageError)
    assert not caught.value.retryable
    with pytest.raises(InsecureKeyFileError):
        LocalKeyFileService(path).generate_data_key(reader_context(READER))


def test_broken_key_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, b'{"current": "k1", "keys": {"k1": "c2hvcnQ="}}')
    os.close(fd)
    with pytest.raises(KeyServiceError, match="not a valid key file"):
        LocalKeyFileService(path).key_id()


def test_old_kek_can_be_retired_after_rewrap(tmp_path: Path) -> None:
    service = LocalKeyFileService(tmp_path / "keys.json")
    cipher = EnvelopeCipher(service)
    wrapped = {reader: cipher.new_reader_key(reader) for reader in (READER, OTHER)}
    sealed = {reader: cipher.encrypt(key, reader, "profile", 1, PROFILE) for reader, key in wrapped.items()}
    old = service.key_id()

    new = service.rotate()
    with pytest.raises(ConflictError):
        service.retire(new)
    rewrapped = {reader: service.rewrap(key, reader_context(reader)) for reader, key in wrapped.items()}
    assert service.rewrap(rewrapped[READER], reader_context(READER)) == rewrapped[READER]
    service.retire(old)
    assert service.kek_ids() == [new]
    assert old not in (tmp_path / "keys.json").read_text()

    # Another process reading the file: the payloads open through the rewrapped keys, the old ones are dead.
    elsewhere = LocalKeyFileService(tmp_path / "keys.json")
    fresh = EnvelopeCipher(elsewhere)
    for reader in (READER, OTHER):
        assert fresh.decrypt(rewrapped[reader], reader, "profile", 1, sealed[reader]) == PROFILE
        with pytest.raises(DecryptionError, match="not in the key file"):
            fresh.decrypt(wrapped[reader], reader, "profile", 1, sealed[reader])


def test_rotation_by_another_process_is_seen(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    here, there = LocalKeyFileService(path), LocalKeyFileService(path)
    assert here.key_id() == there.key_id()
    there.rotate()
    _, wrapped = there.generate_data_key(reader_context(READER))
    assert len(here.unwrap(wrapped, reader_context(READER))) == 32


# -- KMS only


def test_kms_errors_are_ours(aws_client: Callable[[str], Any]) -> None:
    from consortium.adapters.aws.kms_keys import KmsKeyService

    client = aws_client("kms")
    missing = KmsKeyService(f"alias/missing-{uuid.uuid4().hex[:12]}", client)
    with pytest.raises(KeyServiceError, match="KMS refused") as caught:
        missing.generate_data_key(reader_context(READER))
    assert not caught.value.retryable
    assert caught.value.__cause__ is not None
    with pytest.raises(DecryptionError):
        missing.unwrap(b"not a kms ciphertext blob", reader_context(READER))
