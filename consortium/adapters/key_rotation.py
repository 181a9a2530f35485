"""Rotating the key-encryption key of the local key file (or the in-memory key service) for every reader.

KMS rotates its own key material and needs none of this. Locally, rotation is two steps, each safe while the hub
runs (``consortium keys rotate``, then ``consortium keys retire``):

1. :func:`rotate_readers_keys`: a new current KEK, then every reader's wrapped data key moved under it
   (:meth:`~consortium.adapters.kek_wrapping.KekWrappingKeyService.rewrap`: the data key, and so every sealed
   item, stays the same). Another process of the hub sees the new KEK at its next wrap, since the key file is
   read again when it changed.
2. :func:`retire_unused_keks`: the keys that a process made under an older KEK meanwhile moved too, then every
   older KEK that no reader's key uses any more removed from the file. A copy of the profile database taken
   before then no longer opens with the key file (the point of rotating after a leak); the KEK of a key that
   could not be moved is kept, and said.

Each move is one transaction of the profile store that replaces a reader's key only if it is still the one read:
a reader erased meanwhile is not given a key again. No reader id is logged or returned.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from consortium.profiles.crypto import reader_context
from consortium.profiles.ports import DecryptionError

if TYPE_CHECKING:
    from consortium.profiles.ports import ProfileStore

__all__ = ["KeyRotation", "RotatingKeys", "retire_unused_keks", "rotate_readers_keys"]

logger = logging.getLogger(__name__)


class RotatingKeys(Protocol):
    """A key service that keeps its own KEKs (the local key file, the in-memory one)."""

    def key_id(self) -> str: ...
    def kek_ids(self) -> list[str]: ...
    def kek_of(self, wrapped: bytes) -> str: ...
    def is_current(self, wrapped: bytes) -> bool: ...
    def rotate(self) -> str: ...
    def retire(self, kek_id: str) -> None: ...
    def rewrap(self, wrapped: bytes, context: dict[str, str]) -> bytes: ...


@dataclass
class KeyRotation:
    """What a rotation or a retirement did: counts of readers' keys, never which readers."""

    current: str
    """The current KEK after it."""
    moved: int = 0
    """Readers' keys moved under the current KEK."""
    unreadable: int = 0
    """Readers' keys that did not open (changed bytes, a retired KEK): left as they were."""
    in_use: dict[str, int] = field(default_factory=dict)
    """Each older KEK still holding readers' keys, and how many."""
    retired: list[str] = field(default_factory=list)
    """Older KEKs removed from the key file."""

    def as_dict(self) -> dict[str, object]:
        return {
            "current": self.current,
            "moved": self.moved,
            "unreadable": self.unreadable,
            "in_use": dict(sorted(self.in_use.items())),
            "retired": sorted(self.retired),
        }


def rotate_readers_keys(keys: RotatingKeys, store: ProfileStore) -> KeyRotation:
    """A new current KEK, and every reader's wrapped key moved under it (see the module notes)."""
    keys.rotate()
    return _move_all(keys, store)


def retire_unused_keks(keys: RotatingKeys, store: ProfileStore) -> KeyRotation:
    """Move what is still under an older KEK, then remove each older KEK that no reader's key uses."""
    done = _move_all(keys, store)
    for kek_id in keys.kek_ids():
        if kek_id != done.current and kek_id not in done.in_use:
            keys.retire(kek_id)
            done.retired.append(kek_id)
    if done.retired:
        logger.info("retired %d older KEKs; %s is current", len(done.retired), done.current)
    return done


def _move_all(keys: RotatingKeys, store: ProfileStore) -> KeyRotation:
    done = KeyRotation(current=keys.key_id())
    for reader_id in store.readers():
        with store.transaction():  # read, rewrap and replace together: an erasure lands before or after
            wrapped = store.get_key(reader_id)
            if wrapped is None:
                continue
            if keys.is_current(wrapped):
                continue
            try:
                store.put_key(reader_id, keys.rewrap(wrapped, reader_context(reader_id)))
            except DecryptionError:
                done.unreadable += 1
                kek_id = _kek_of(keys, wrapped)
                if kek_id is not None and kek_id != done.current:
                    done.in_use[kek_id] = done.in_use.get(kek_id, 0) + 1
                continue
            done.moved += 1
    logger.info("moved %d readers' keys under KEK %s (%d did not open)", done.moved, done.current, done.unreadable)
    return done


def _kek_of(keys: RotatingKeys, wrapped: bytes) -> str | None:
    try:
        return keys.kek_of(wrapped)
    except DecryptionError:
        return None
