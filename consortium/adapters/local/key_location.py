"""Where the local key file may live: outside the data folder, so that a backup of the data never holds the keys
that open it (a backup holding both undoes erasure, as crypto-shredding relies on the key being gone).

:func:`check_key_location` refuses a key folder inside the data folder (unless ``allow_keys_in_data_dir``, for a
throwaway demo) and refuses to start beside keys left in the old place, ``DATA_DIR/keys``, rather than make new
keys that cannot open the readers already there; so too a data folder holding readers' keys whose key folder has
no key file (a data folder restored or moved without its key folder). :func:`move_legacy_keys` moves old keys
once, on request (``consortium keys move``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
from typing import TYPE_CHECKING

from consortium.errors import ConfigError, ConflictError, NotFoundError

if TYPE_CHECKING:
    from pathlib import Path

    from consortium.config import Settings

__all__ = ["check_key_location", "move_legacy_keys"]

_SETTINGS_HINT = "set CONSORTIUM_KEY_DIR to a folder outside it, or CONSORTIUM_ALLOW_KEYS_IN_DATA_DIR=true for a demo"


def _contexts(key_file: Path) -> Path:
    return key_file.with_name(key_file.name + ".contexts")


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def check_key_location(settings: Settings) -> None:
    """Refuse a key location that would undo erasure or lose readers, with one line that says what to do.

    Raises
    ------
    ConfigError
        When the key folder is inside the data folder (and that is not allowed), or when keys sit in the old
        place (``DATA_DIR/keys``) while the key folder in use has none, or when the data folder holds readers'
        wrapped keys while the key folder in use has no key file (a new one would never open them).

    Example
    -------
    >>> check_key_location(Settings(data_dir=Path("var"), key_dir=Path("var/keys")))
    Traceback (most recent call last):
    ConfigError: the key folder var/keys is inside the data folder var ...
    """
    key_dir, data_dir = settings.key_file.parent, settings.data_dir
    if _inside(key_dir, data_dir) and not settings.allow_keys_in_data_dir:
        raise ConfigError(
            f"the key folder {key_dir} is inside the data folder {data_dir}, so a backup of the data would hold "
            f"the keys and undo erasure: {_SETTINGS_HINT}"
        )
    legacy = settings.legacy_key_file
    if legacy.exists() and legacy.resolve() != settings.key_file.resolve() and not settings.key_file.exists():
        raise ConfigError(
            f"readers' keys are in the old place {legacy.parent} (inside the data folder {data_dir}), not in the key "
            f"folder {key_dir}: move them there with `consortium keys move`, or keep them with "
            f"CONSORTIUM_KEY_DIR={legacy.parent} and CONSORTIUM_ALLOW_KEYS_IN_DATA_DIR=true"
        )
    if not settings.key_file.exists() and _holds_readers_keys(settings.profiles_path):
        raise ConfigError(
            f"the data folder {data_dir} holds readers' keys, but the key folder {key_dir} has no key file: a data "
            "folder restored or moved needs the key folder it was used with (`consortium keys where` shows it where "
            "the hub ran before); set CONSORTIUM_KEY_DIR to it. If those keys are lost for good, the readers "
            f"cannot be read again: move {settings.profiles_path.name} out of the data folder to start without them"
        )


def _holds_readers_keys(profiles: Path) -> bool:
    """Whether the local profile database holds a reader's wrapped key (read only; ``False`` when it cannot be
    read: opening it later says why)."""
    if not profiles.is_file():
        return False
    try:
        with contextlib.closing(sqlite3.connect(f"{profiles.resolve().as_uri()}?mode=ro", uri=True)) as conn:
            return conn.execute("SELECT 1 FROM reader_keys LIMIT 1").fetchone() is not None
    except sqlite3.Error:
        return False


def move_legacy_keys(settings: Settings) -> Path:
    """Move the key file and its context secrets from the old place (``DATA_DIR/keys``) to the key folder in use
    (made 0700); return that folder. Nothing is overwritten.

    Raises
    ------
    NotFoundError
        When there is no key file in the old place.
    ConflictError
        When the key folder in use already has a key file.
    ConfigError
        When the key folder in use is itself inside the data folder (and that is not allowed).

    Example
    -------
    >>> move_legacy_keys(Settings(data_dir=Path("var")))
    PosixPath('/home/me/.local/share/consortium/keys/var-3f2a9c1b7d4e')
    """
    legacy, target = settings.legacy_key_file, settings.key_file
    if not legacy.exists():
        raise NotFoundError(f"no keys in the old place {legacy.parent}: nothing to move")
    if legacy.resolve() == target.resolve():
        raise ConflictError(f"the key folder in use is the old place {legacy.parent}: nothing to move")
    if target.exists() or _contexts(target).exists():
        raise ConflictError(
            f"the key folder {target.parent} already has keys: compare them with {legacy.parent} and keep one"
        )
    if _inside(target.parent, settings.data_dir) and not settings.allow_keys_in_data_dir:
        check_key_location(settings)
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(target.parent, 0o700)
    if _contexts(legacy).exists():
        shutil.move(_contexts(legacy), _contexts(target))
    shutil.move(legacy, target)  # the key file last: until it moves, the old place is still the one in use
    try:
        legacy.parent.rmdir()
    except OSError:
        pass  # something else is in it: left as it is
    return target.parent
