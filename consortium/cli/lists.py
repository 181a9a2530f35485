"""``consortium lists``: subject librarians' curated lists, read at the command line as the API gives them:
``list`` is ``GET /members/{member_id}/lists`` (a member's, drafts too) or ``GET /lists`` (the published ones of
every member), ``show`` is ``GET /members/{member_id}/lists/{list_id}`` (one of the member's, with its works and
notes), through the same store and service (:class:`~consortium.cooperation.lists.CuratedLists`). Lists are
kept on the staff pages and through the cooperation API."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from consortium.cli.common import emit, json_option
from consortium.cooperation.lists import ListState

if TYPE_CHECKING:
    from consortium.bootstrap import Container
    from consortium.cooperation.lists import CuratedList

__all__ = ["lists"]


@click.group()
def lists() -> None:
    """Subject librarians' curated lists (kept on the staff pages and through the cooperation API)."""


def _title(found: CuratedList) -> str:
    return f"{found.title} ({found.title_zh})" if found.title_zh else found.title


def _scope(found: CuratedList) -> str:
    return ", ".join(part for part in (found.class_code, found.subject) if part) or "-"


@lists.command("list")
@click.option("--member", help="This member's lists, drafts too (without: the published lists of every member).")
@click.option(
    "--state",
    type=click.Choice([s.value for s in ListState]),
    help="Only the lists in this state (with --member; without it, only published lists are listed).",
)
@json_option("Print the lists as the API answers them (every field, with the works and notes).")
@click.pass_obj
def lists_list(container: Container, member: str | None, state: str | None, as_json: bool) -> None:
    """Curated lists, the latest changed first: a member's (as its librarians see them), or the published lists
    of every member (as anyone does)."""
    if member is None and state == ListState.DRAFT.value:
        raise click.UsageError("drafts are their member's: give --member")
    wanted = ListState(state) if state else (None if member else ListState.PUBLISHED)
    if member is not None:
        container.registry.get(member)  # an unknown member is an error, not an empty answer
    found = container.curated_list_store.lists(member, wanted)

    def text() -> None:
        for one in found:
            updated = one.updated_at.isoformat(timespec="seconds")
            click.echo(
                f"{one.list_id}\t{one.member}\t{one.state.value}\t{len(one.entries)} works\t{_scope(one)}\t"
                f"{_title(one)}\tv{one.version}, {updated} by {one.updated_by}"
            )
        click.echo(f"{len(found)} list{'s' if len(found) != 1 else ''}")

    emit({"lists": [one.model_dump(mode="json") for one in found]}, as_json, text)


@lists.command("show")
@click.argument("member")
@click.argument("list_id")
@json_option("Print the list as the API answers it.")
@click.pass_obj
def lists_show(container: Container, member: str, list_id: str, as_json: bool) -> None:
    """MEMBER's list LIST_ID (a draft too): its title, scope, state and version, then each work with its note."""
    found = container.curated_lists.get(member, list_id)

    def text() -> None:
        click.echo(f"{found.list_id}\t{found.state.value}\t{_title(found)}")
        click.echo(f"member: {found.member}; for: {_scope(found)}")
        if found.description:
            click.echo(f"description: {found.description}")
        made = found.created_at.isoformat(timespec="seconds")
        click.echo(f"version {found.version}: made {made} by {found.created_by}, changed by {found.updated_by}")
        if found.published_at is not None:
            click.echo(f"published: {found.published_at.isoformat(timespec='seconds')}")
        for entry in found.entries:
            note = f"\t{entry.note}" if entry.note else ""
            click.echo(f"  {entry.cluster_id}\t{entry.title}{note}")
        click.echo(f"{len(found.entries)} work{'s' if len(found.entries) != 1 else ''}")

    emit(found.model_dump(mode="json"), as_json, text)
