"""``consortium keys``: where readers' keys live on this machine, moving them out of the data folder, and
rotating the key file's key-encryption key for every reader (:mod:`consortium.adapters.key_rotation`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from consortium.adapters.key_rotation import KeyRotation, retire_unused_keks, rotate_readers_keys
from consortium.adapters.local.key_location import move_legacy_keys
from consortium.cli.common import emit, json_option
from consortium.errors import ConfigError

if TYPE_CHECKING:
    from consortium.adapters.key_rotation import RotatingKeys
    from consortium.bootstrap import Container

__all__ = ["keys"]


@click.group()
def keys() -> None:
    """The local key file: key-encryption keys and readers' context secrets (CONSORTIUM_KEY_DIR). Keep it out of
    the data folder's backups: erasing a reader destroys their secret here."""


@keys.command("where")
@json_option()
@click.pass_obj
def keys_where(container: Container, as_json: bool) -> None:
    """The key folder in use, and the data folder it must stay out of."""
    settings = container.settings
    data = {"key_dir": str(settings.key_file.parent), "data_dir": str(settings.data_dir.resolve())}
    emit(data, as_json, lambda: click.echo(f"keys in {data['key_dir']} (data in {data['data_dir']})"))


@keys.command("move")
@json_option()
@click.pass_obj
def keys_move(container: Container, as_json: bool) -> None:
    """Move the keys of a data folder made before CONSORTIUM_KEY_DIR (DATA_DIR/keys) to the key folder in use,
    once; nothing is overwritten. Back the data folder up only after this, never the key folder with it."""
    moved = move_legacy_keys(container.settings)
    data = {"from": str(container.settings.legacy_key_file.parent), "to": str(moved)}
    emit(data, as_json, lambda: click.echo(f"moved the keys from {data['from']} to {data['to']}"))


@keys.command("rotate")
@json_option()
@click.pass_obj
def keys_rotate(container: Container, as_json: bool) -> None:
    """Add a new key-encryption key to the key file and move every reader's data key under it (the readers'
    data is not re-encrypted: their data keys stay). Safe while the hub runs. Then `consortium keys retire`
    removes the older keys, after which a copy of the data taken before no longer opens with the key file."""
    done = rotate_readers_keys(_rotating(container), container.profile_store)
    emit(done.as_dict(), as_json, lambda: _say(done, "moved"))


@keys.command("retire")
@json_option()
@click.pass_obj
def keys_retire(container: Container, as_json: bool) -> None:
    """Remove from the key file every older key-encryption key that no reader's data key uses, after moving any
    key a process made under one since `consortium keys rotate`. A key that does not open keeps its KEK."""
    done = retire_unused_keks(_rotating(container), container.profile_store)
    emit(done.as_dict(), as_json, lambda: _say(done, "retired"))


def _rotating(container: Container) -> RotatingKeys:
    keys_ = container.key_service
    if container.settings.backend != "local" or not all(hasattr(keys_, n) for n in ("rotate", "retire", "kek_ids")):
        raise ConfigError(
            "only the local key file is rotated by this command: on AWS, KMS rotates the readers' key material "
            "itself (yearly, turned on by the deployment), with nothing to re-wrap"
        )
    return keys_  # type: ignore[return-value]


def _say(done: KeyRotation, step: str) -> None:
    click.echo(f"current KEK {done.current}; {done.moved:,} readers' keys moved under it")
    if done.unreadable:
        click.echo(f"{done.unreadable:,} readers' keys did not open and were left as they were", err=True)
    if step == "retired":
        click.echo(f"retired: {', '.join(done.retired) or 'none'}")
    kept = [f"{kek} ({count:,} keys that do not open)" for kek, count in sorted(done.in_use.items())]
    if kept:
        click.echo(f"kept: {', '.join(kept)}", err=True)
    elif step == "moved":
        click.echo("next: `consortium keys retire` removes the older KEKs from the key file")
