"""The ApiKeyStore contract, through ApiKeys: memory, SQLite and DynamoDB (on moto) keep member API keys the same
way — only a hash, revocation kept, one member's keys never listed for another."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pytest
from backings import dynamodb_table

from consortium.adapters.local.sqlite_api_keys import SqliteApiKeyStore
from consortium.adapters.memory import ManualClock
from consortium.adapters.memory.api_keys import InMemoryApiKeyStore
from consortium.auth import ApiKeys, CallerKind
from consortium.errors import AuthenticationError, NotFoundError

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from consortium.auth.ports import ApiKeyStore

T0 = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(params=["memory", "sqlite", "dynamodb"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ApiKeyStore]:
    if request.param == "memory":
        yield InMemoryApiKeyStore()
    elif request.param == "sqlite":
        opened = SqliteApiKeyStore.open(tmp_path / "hub.sqlite3")
        yield opened
        opened.close()
    else:
        from consortium.adapters.aws.dynamodb_api_keys import DynamoDbApiKeyStore

        with dynamodb_table(request, "keys") as (make_client, table):
            yield DynamoDbApiKeyStore(table, client=make_client("dynamodb"))


def test_a_key_opens_the_api_as_its_member_and_only_its_hash_is_kept(store: ApiKeyStore) -> None:
    keys = ApiKeys(store, ManualClock(T0))
    issued = keys.create("riverside", "ILS loan feed")
    caller = keys.verify(issued.secret)
    assert (caller.kind, caller.member, caller.subject) == (CallerKind.MEMBER_KEY, "riverside", issued.key.key_id)
    kept = store.get(issued.key.key_id)
    assert kept is not None and issued.secret.split("_", 2)[2] not in kept.model_dump_json()  # the secret may hold "_"
    assert "secret_hash" not in issued.key.public()


def test_a_wrong_secret_an_unknown_id_and_a_bad_shape_open_nothing(store: ApiKeyStore) -> None:
    keys = ApiKeys(store, ManualClock(T0))
    issued = keys.create("riverside", "ILS")
    prefix, key_id, secret = issued.secret.split("_", 2)
    wrong = f"{prefix}_{key_id}_{'A' if secret[0] != 'A' else 'B'}{secret[1:]}"
    for presented in (wrong, f"{prefix}_{'0' * 16}_{secret}", "ck_short_x", ""):
        with pytest.raises(AuthenticationError):
            keys.verify(presented)


def test_keys_are_listed_per_member_oldest_first_and_revocation_is_kept(store: ApiKeyStore) -> None:
    clock = ManualClock(T0)
    keys = ApiKeys(store, clock)
    first = keys.create("riverside", "first")
    clock.advance(dt.timedelta(minutes=1))
    second = keys.create("riverside", "second")
    keys.create("lakeside", "theirs")
    assert [k.label for k in keys.list("riverside")] == ["first", "second"]
    clock.advance(dt.timedelta(minutes=1))
    revoked = keys.revoke("riverside", first.key.key_id)
    assert revoked.revoked_at == clock() and not revoked.active
    with pytest.raises(AuthenticationError, match="revoked"):
        keys.verify(first.secret)
    assert keys.verify(second.secret).member == "riverside"
    assert [k.active for k in keys.list("riverside")] == [False, True]
    assert keys.revoke("riverside", first.key.key_id).revoked_at == revoked.revoked_at  # again: unchanged


def test_a_member_cannot_revoke_another_members_key(store: ApiKeyStore) -> None:
    keys = ApiKeys(store, ManualClock(T0))
    theirs = keys.create("lakeside", "theirs")
    with pytest.raises(NotFoundError):
        keys.revoke("riverside", theirs.key.key_id)
    assert keys.verify(theirs.secret).member == "lakeside"
