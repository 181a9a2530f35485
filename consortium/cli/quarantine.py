"""``consortium quarantine``: the records the harvest could not read, for an operator and for a member's
librarians without a browser. ``consortium quarantine [--member ID]`` lists every quarantined record the store
keeps (as before); ``list`` and ``show`` are the staff page's *Harvests and quarantine* and the member API's
``/members/{member_id}/quarantine[/{item_id}[/raw]]``, through the same service
(:class:`~consortium.membership.MemberQuarantine`): a member's records by source and position, a page at a time
with the total, each with its reason in English and its reason code; one record with its raw bytes as harvested,
written to a file or to stdout as bytes."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from consortium.cli.common import emit, json_option
from consortium.membership.quarantine import MAX_PAGE

if TYPE_CHECKING:
    from consortium.bootstrap import Container
    from consortium.membership.quarantine import QuarantineItem

__all__ = ["quarantine"]


@click.group(invoke_without_command=True)
@click.option("--member", "member_id", help="Only this member's quarantined records.")
@json_option()
@click.pass_context
def quarantine(ctx: click.Context, member_id: str | None, as_json: bool) -> None:
    """Quarantined records with their reasons (raw bytes stay in the archive under their digest).

    Alone, every quarantined record the hub keeps (or one member's); `list MEMBER` and `show MEMBER ITEM_ID` are
    what a member's staff page and the member API give: pages with the total, and one record with its raw bytes.
    """
    if ctx.invoked_subcommand is not None:
        if member_id is not None or as_json:
            raise click.UsageError(f"give --member and --json after `{ctx.invoked_subcommand}`")
        return
    container: Container = ctx.obj
    items = container.record_store.quarantined(member_id)

    def text() -> None:
        for item in items:
            click.echo(f"{item.member}/{item.source_id}\t{item.position}\t{item.reason}\t{item.raw.digest[:12]}")
        click.echo(f"{len(items)} quarantined")

    emit([i.model_dump(mode="json") for i in items], as_json, text)


def _why(item: QuarantineItem) -> str:
    code = f" [{item.reason_code}]" if item.reason_code else ""
    return f"{item.reason}{code}"


@quarantine.command("list")
@click.argument("member")
@click.option(
    "--limit",
    type=click.IntRange(1, MAX_PAGE),
    default=50,
    show_default=True,
    help="Records on the page (by source, then position).",
)
@click.option("--cursor", help="Where the page starts: the `next` the page before gave.")
@json_option("Print the page as the member API answers it (reasons, reason codes, item ids, next_cursor).")
@click.pass_obj
def quarantine_list(container: Container, member: str, limit: int, cursor: str | None, as_json: bool) -> None:
    """MEMBER's quarantined records, a page at a time, with the total: each with its source and position, its id
    in the member's system, its reason (and reason code), when it was quarantined and its item id (for `show`)."""
    page = container.member_quarantine.page(member, cursor=cursor, limit=limit)

    def text() -> None:
        for item in page.items:
            local = f"\t{item.local_id}" if item.local_id else "\t-"
            when = item.quarantined_at.isoformat(timespec="seconds")
            click.echo(f"{item.source_id}, {item.position}{local}\t{_why(item)}\t{when}\t{item.item_id}")
        shown = f"; these {len(page.items)} first" if page.total > len(page.items) else ""
        click.echo(f"{page.total} quarantined{shown}")
        if page.next_cursor:
            click.echo(f"next: consortium quarantine list {member} --cursor {page.next_cursor}")

    emit(page.model_dump(mode="json"), as_json, text)


@quarantine.command("show")
@click.argument("member")
@click.argument("item_id")
@click.option(
    "--raw",
    "raw_to",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Write the record's raw bytes, as harvested, to this file ('-': to stdout, as bytes, and nothing else).",
)
@json_option("Print the record as the member API answers it (its raw bytes in base64).")
@click.pass_obj
def quarantine_show(container: Container, member: str, item_id: str, raw_to: str | None, as_json: bool) -> None:
    """One of MEMBER's quarantined records (ITEM_ID as `list` gives it): where it is, why, its raw bytes' digest;
    with --raw, its raw bytes as harvested (what the staff page's *Download the record as harvested* gives)."""
    if raw_to == "-":
        if as_json:
            raise click.UsageError("--raw - writes the bytes alone to stdout: leave out --json")
        raw = container.member_quarantine.raw(member, item_id)
        sys.stdout.flush()
        sys.stdout.buffer.write(raw.data)
        sys.stdout.buffer.flush()
        return
    item = container.member_quarantine.item(member, item_id)
    wrote = ""
    if raw_to is not None:
        raw = container.member_quarantine.raw(member, item_id)
        Path(raw_to).write_bytes(raw.data)
        wrote = f"wrote {len(raw.data)} bytes ({raw.media_type}) to {raw_to} (the hub offers it as {raw.filename})"

    def text() -> None:
        click.echo(f"{member}/{item.source_id}, {item.position}")
        if item.local_id:
            click.echo(f"id in the library's system: {item.local_id}")
        click.echo(f"reason: {item.reason}")
        if item.reason_code:
            field = f" (field {item.reason_field})" if item.reason_field else ""
            click.echo(f"reason code: {item.reason_code}{field}")
        click.echo(f"quarantined: {item.quarantined_at.isoformat(timespec='seconds')}")
        kept = "in the archive" if item.raw_base64 is not None else "no longer in the archive"
        click.echo(f"raw bytes: {item.media_type}, SHA-256 {item.raw_digest}, {kept}")

    emit(item.model_dump(mode="json"), as_json, text)
    if wrote:
        click.echo(wrote, err=as_json)
