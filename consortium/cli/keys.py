"""``consortium keys``: where readers' keys live on this machine, and moving them out of the data folder."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from consortium.adapters.local.key_location import move_legacy_keys
from consortium.cli.common import emit, json_option

if TYPE_CHECKING:
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
