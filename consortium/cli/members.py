"""``consortium members``: the member registry (members.toml, with the changes members made through the API)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from consortium.cli.common import emit, json_option
from consortium.member_files import file_problems

if TYPE_CHECKING:
    from consortium.bootstrap import Container

__all__ = ["members"]


@click.group()
def members() -> None:
    """The member registry."""


@members.command("list")
@click.option(
    "--check",
    is_flag=True,
    help="Exit 1 if a source that is not paused cannot be harvested as things are (its file is missing, a "
    "folder, unreadable or empty).",
)
@json_option()
@click.pass_obj
def members_list(container: Container, check: bool, as_json: bool) -> None:
    """List member libraries and their sources; warn, on stderr, of each file source whose file a harvest
    could not read now (the registry stays valid: the file may arrive later)."""
    registry = container.registry

    def text() -> None:
        for member in registry.members:
            name = f"{member.name} ({member.name_zh})" if member.name_zh else member.name
            click.echo(f"{member.id}\t{name}")
            for source in member.sources:
                where = source.url or source.path
                reason = f": {source.paused_reason}" if source.paused_reason else ""
                state = f"\tpaused{reason}" if source.paused else ""
                contents = f" ({source.file} files)" if source.file is not None else ""
                click.echo(
                    f"  {source.id}\t{source.protocol} {source.format}{contents}\t{where}\t{source.schedule}{state}"
                )

    emit(registry.model_dump(mode="json")["members"], as_json, text)
    failing = 0
    for _, source, message in file_problems(registry):
        if source.paused:
            click.echo(f"Warning: {message} (the source is paused: no harvest reads it until it is resumed)", err=True)
            continue
        failing += 1
        click.echo(f"Warning: {message}: its harvests fail until it is there", err=True)
    if check and failing:
        raise click.ClickException(
            f"{failing} source{'s' if failing > 1 else ''} cannot be harvested as things are (see the warnings above)"
        )


@members.command("contribution")
@click.argument("member")
@json_option()
@click.pass_obj
def members_contribution(container: Container, member: str, as_json: bool) -> None:
    """MEMBER's contribution: its records and the works it alone holds, loans of its works by other members'
    readers (no figure behind fewer than 10 readers), its inter-library loan balance (as its staff page shows)."""
    page = container.member_contribution(_known_member(container, member))

    def text() -> None:
        own = page.catalogue
        click.echo(
            f"{member}: {own.records} records, {own.works} works ({own.works_alone} only it holds, "
            f"{own.works_shared} shared), {own.quarantined} in quarantine"
        )
        loans = page.cross_member_loans
        if loans.period is None:
            click.echo("loans of its works by other members' readers: no closed month counted yet (analytics build)")
        for month in loans.by_month:
            if month.suppressed:
                click.echo(
                    f"{month.period}: loans of its works by other members' readers not shown (fewer than "
                    f"{loans.min_readers} readers who let their loans be counted, or hidden so that no difference "
                    "singles one out)"
                )
                continue
            click.echo(f"{month.period}: {month.loans} loans of its works by {month.readers} readers of other members")
            for cell in month.by_member:
                who = cell.member or "other members together"
                click.echo(f"  {who}: {cell.readers} readers, {cell.loans} loans")
        ill = page.interlibrary_loans
        click.echo(f"inter-library loans: {ill.lent} copies lent, {ill.borrowed} borrowed, balance {ill.balance:+d}")

    emit(page.model_dump(mode="json"), as_json, text)


@members.group("key")
def members_key() -> None:
    """A member system's API keys: only a hash of each is kept; the whole key is shown once, when made."""


def _known_member(container: Container, member: str) -> str:
    container.registry.get(member)  # a NotFoundError naming the member, through HubGroup
    return member


@members_key.command("create")
@click.argument("member")
@click.option("--label", required=True, help="What the key is for (e.g. 'ILS loan feed').")
@json_option()
@click.pass_obj
def key_create(container: Container, member: str, label: str, as_json: bool) -> None:
    """Make an API key for MEMBER; it is printed once and cannot be shown again."""
    issued = container.api_keys.create(_known_member(container, member), label)
    data = {**issued.key.public(), "key": issued.secret}

    def text() -> None:
        click.echo(issued.secret)
        click.echo(
            f"key {issued.key.key_id} of {member} ({issued.key.label}); keep it secret: it cannot be shown again. "
            "Send it as the X-Api-Key header.",
            err=True,
        )

    emit(data, as_json, text)


@members_key.command("list")
@click.argument("member")
@json_option()
@click.pass_obj
def key_list(container: Container, member: str, as_json: bool) -> None:
    """List MEMBER's API keys (ids and labels; revoked ones too)."""
    found = container.api_keys.list(_known_member(container, member))

    def text() -> None:
        for key in found:
            state = f"revoked {key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "active"
            click.echo(f"{key.key_id}\t{key.created_at:%Y-%m-%d %H:%M}\t{state}\t{key.label}")
        if not found:
            click.echo(f"{member} has no API keys (make one: consortium members key create {member} --label ...)")

    emit([key.public() for key in found], as_json, text)


@members_key.command("revoke")
@click.argument("member")
@click.argument("key_id")
@json_option()
@click.pass_obj
def key_revoke(container: Container, member: str, key_id: str, as_json: bool) -> None:
    """Revoke MEMBER's key KEY_ID: it opens nothing from now on."""
    key = container.api_keys.revoke(_known_member(container, member), key_id)
    emit(key.public(), as_json, lambda: click.echo(f"key {key.key_id} of {member} revoked"))


@members.command("revert")
@click.argument("member_id")
@click.argument("source_id")
@json_option()
@click.pass_obj
def members_revert(container: Container, member_id: str, source_id: str, as_json: bool) -> None:
    """Drop what a member set for one of its sources through the member API: the source is members.toml's again
    (or gone, if the member added it)."""
    container.member_sources.revert(member_id, source_id)
    kept = any(s.id == source_id for s in container.registry.get(member_id).sources)
    said = (
        "the member's changes are dropped; members.toml's settings apply"
        if kept
        else "the member added it: it is gone from the registry (members.toml has no such source)"
    )
    data = {"member": member_id, "source": source_id, "in_registry": kept}
    emit(data, as_json, lambda: click.echo(f"{member_id}/{source_id}: {said}"))
