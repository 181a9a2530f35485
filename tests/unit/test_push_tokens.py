"""Push tokens (feed URLs, one-click unsubscribe links): the reader id cannot be read out of one, a changed one
opens nothing, key generations rotate and retire, and legacy tokens are still read."""

from __future__ import annotations

import base64
import binascii

import pytest

from consortium.adapters.memory import InMemoryKeyService
from consortium.errors import ConfigError, ConflictError
from consortium.push.tokens import PushTokens, UnknownTokenError

READERS = [
    "alice.wong@example.org",
    "林黛玉-贾府-1791",
    "Сергей Петрович Иванов",
    "محمد_بن_عبدالله",
    "गीता शर्मा 2024",
    "ผู้อ่านห้องสมุด",
    "🦉 night owl reader",
    "x" * 200,
]
"""Reader ids in several scripts (and the longest an id may be)."""

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def decoded(part: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError):
        return b""


def spellings(reader_id: str) -> list[str]:
    """Ways a reader id could show in a URL: itself, its UTF-8 in base64 (URL-safe or not, at each of the three
    byte alignments) and in hex."""
    raw = reader_id.encode()
    found = [reader_id, raw.hex()]
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw).decode().rstrip("=")
        inner = encoded[(4 * shift + 2) // 3 :][:-2]  # what does not depend on the neighbouring bytes
        found += [inner, inner.replace("+", "-").replace("/", "_")]
    return [s for s in found if len(s) >= 6]


@pytest.fixture
def tokens() -> PushTokens:
    return PushTokens(InMemoryKeyService())


@pytest.mark.parametrize("reader_id", READERS)
def test_a_token_reveals_nothing_of_the_reader_id(tokens: PushTokens, reader_id: str) -> None:
    token = tokens.issue(reader_id)
    assert tokens.owner(token) == reader_id
    generation, sealed, secret = token.split(".")
    assert generation == "1" and len(secret) == 43
    for spelling in spellings(reader_id):
        assert spelling not in token
        assert spelling.lower() not in token.lower()
    assert b64(reader_id.encode()) not in token
    for part in (sealed, secret):
        assert reader_id.encode() not in decoded(part)
    # Two tokens of one reader share nothing that would link them (but the generation).
    again = tokens.issue(reader_id)
    assert again.split(".")[0] == generation
    assert not set(again.split(".")[1:]) & {sealed, secret}


def test_every_id_of_up_to_63_bytes_gives_the_same_length(tokens: PushTokens) -> None:
    short = [r for r in READERS if len(r.encode()) < 64] + ["r", "r1", "x" * 63]
    assert len({len(tokens.issue(reader_id)) for reader_id in short}) == 1
    assert len(tokens.issue("x" * 64)) > len(tokens.issue("x"))  # a longer id needs another block, nothing finer


def test_a_changed_token_opens_nothing(tokens: PushTokens) -> None:
    token = tokens.issue("alice.wong@example.org")
    generation, sealed, secret = token.split(".")
    _, other_sealed, other_secret = tokens.issue("bob").split(".")
    changed = []
    for i, char in enumerate(sealed):  # every character of the opaque part, each to another one
        swap = ALPHABET[(ALPHABET.index(char) + 1) % len(ALPHABET)]
        changed.append(f"{generation}.{sealed[:i]}{swap}{sealed[i + 1 :]}.{secret}")
    changed += [
        f"{generation}.{sealed}.{secret[:-1]}{'A' if secret[-1] != 'A' else 'B'}",  # another secret
        f"{generation}.{sealed}.{other_secret}",  # parts of two tokens spliced
        f"{generation}.{other_sealed}.{secret}",
        f"{generation}.{sealed[:-4]}.{secret}",  # cut short
        f"{generation}.{sealed}AAAA.{secret}",  # grown
        f"{generation}.{sealed}=.{secret}",
        f"2.{sealed}.{secret}",  # another generation's key
        f"X.{sealed}.{secret}",  # not a generation
        f"{generation}.{sealed}.{secret}.x",
        f".{sealed}.{secret}",
        f"{generation}..{secret}",
        "",
        "junk",
    ]
    for junk in changed:
        with pytest.raises(UnknownTokenError, match="no such feed or link"):
            tokens.owner(junk)


def test_a_new_generation_rotates_and_a_retired_one_opens_nothing() -> None:
    keys = InMemoryKeyService()
    first = PushTokens(keys)
    old = first.issue("林黛玉")
    rotated = PushTokens(keys, "2")  # the hub restarted with CONSORTIUM_PUSH_TOKEN_KEY=2
    new = rotated.issue("林黛玉")
    assert new.startswith("2.") and rotated.owner(new) == "林黛玉"
    assert rotated.owner(old) == "林黛玉"  # earlier tokens keep working
    with pytest.raises(ConflictError):
        rotated.retire("2")
    rotated.retire("1")
    with pytest.raises(UnknownTokenError):
        rotated.owner(old)
    assert rotated.owner(new) == "林黛玉"
    with pytest.raises(UnknownTokenError):
        PushTokens(keys, "2").owner(old)  # another process, which never had the key


def test_another_process_drops_a_retired_key_within_the_cache_time() -> None:
    keys, now = InMemoryKeyService(), [0.0]
    here = PushTokens(keys, "1", monotonic=lambda: now[0])
    there = PushTokens(keys, "2", key_cache_seconds=300, monotonic=lambda: now[0])
    old = here.issue("r-000001")
    assert there.owner(old) == "r-000001"
    there.retire("1")
    now[0] = 299.0
    assert here.owner(old) == "r-000001"  # cached
    now[0] = 301.0
    with pytest.raises(UnknownTokenError):
        here.owner(old)


def test_tokens_need_a_key_service_that_keeps_hub_secrets() -> None:
    without = PushTokens(None)
    with pytest.raises(ConfigError, match="hub secrets"):
        without.issue("r-000001")
    issued = PushTokens(InMemoryKeyService()).issue("r-000001")
    with pytest.raises(ConfigError, match="hub secrets"):
        without.owner(issued)
    legacy = f"{b64(b'r-000001')}.{'s' * 43}"
    assert without.owner(legacy) == "r-000001"  # legacy tokens name their reader with no key at all


def test_a_generation_is_a_short_lowercase_label() -> None:
    for bad in ("", "A", "two words", "x" * 17, "1.2"):
        with pytest.raises(ConfigError, match="push token key generation"):
            PushTokens(InMemoryKeyService(), bad)


def test_legacy_tokens_still_name_their_reader(tokens: PushTokens) -> None:
    """Tokens issued before (``<reader id, base64url>.<secret>``) are read for lookup only (the subscription must
    still hold them); malformed ones name no one."""
    secret = b64(bytes(range(32)))
    for reader_id in READERS:
        assert tokens.owner(f"{b64(reader_id.encode())}.{secret}") == reader_id
    for junk in (f"{b64(b'r1')}.short", f"!!.{secret}", f"{b64(bytes([0xFF, 0xFE]))}.{secret}", f".{secret}"):
        with pytest.raises(UnknownTokenError):
            tokens.owner(junk)
