"""``consortium members``: the member registry (members.toml, with the changes members made through the API)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from consortium.cli.common import emit, json_option

if TYPE_CHECKING:
    from consortium.bootstrap import Container

__all__ = ["members"]


@click.group()
def members() -> None:
    """The member registry."""


@members.command("list")
@json_option()
@click.pass_obj
def members_list(container: Container, as_json: bool) -> None:
    """List member libraries and their sources."""
    registry = container.registry

    def text() -> None:
        for member in registry.members:
            name = f"{member.name} ({member.name_zh})" if member.name_zh else member.name
            click.echo(f"{member.id}\t{name}")
            for source in member.sources:
                where = source.url or source.path
                reason = f": {source.paused_reason}" if source.paused_reason else ""
                state = f"\tpaused{reason}" if source.paused else ""
                click.echo(f"  {source.id}\t{source.protocol} {source.format}\t{where}\t{source.schedule}{state}")

    emit(registry.model_dump(mode="json")["members"], as_json, text)


@members.command("revert")
@click.argument("member_id")
@click.argument("source_id")
@click.pass_obj
def members_revert(container: Container, member_id: str, source_id: str) -> None:
    """Drop what a member set for one of its sources through the member API: the source is members.toml's again
    (or gone, if the member added it)."""
    container.member_sources.revert(member_id, source_id)
    click.echo(f"{member_id}/{source_id}: the member's changes are dropped; members.toml's settings apply")
