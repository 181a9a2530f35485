"""``consortium push``: the push services, readers' subscriptions and controls, and the push job by hand."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import click

from consortium.cli.common import LIBRARIAN, command_name, emit, json_option
from consortium.ports import system_clock
from consortium.push.models import Channel, Frequency, ItemAction, MuteKind, ServiceId
from consortium.push.services import CATALOGUE

if TYPE_CHECKING:
    from consortium.bootstrap import Container
    from consortium.push.models import Subscription

__all__ = ["push"]

_SERVICES = click.Choice([s.value for s in ServiceId])


@click.group()
def push() -> None:
    """Push services (selective dissemination): subscriptions, what readers were sent, and the push job."""


def _subscription_data(container: Container, subscription: Subscription) -> dict[str, Any]:
    data = subscription.model_dump(mode="json", exclude={"token"})
    if subscription.token:
        data["unsubscribe_url"] = container.push.unsubscribe_url(subscription.token)
        if subscription.channel is Channel.ATOM:
            data["feed_url"] = container.push.feed_url(subscription.token)
    return data


@push.command("services")
@json_option()
def push_services(as_json: bool) -> None:
    """The catalogue of push services, in English and Chinese."""
    data = [
        {
            "service": info.service.value,
            "name_en": info.name_en,
            "name_zh": info.name_zh,
            "description_en": info.description_en,
            "description_zh": info.description_zh,
            "default_frequency": info.default_frequency.value,
            "available": info.available,
        }
        for info in CATALOGUE.values()
    ]

    def text() -> None:
        for entry in data:
            note = "" if entry["available"] else " (not available yet)"
            click.echo(f"{entry['service']}: {entry['name_en']} / {entry['name_zh']}{note}")
            click.echo(f"  {entry['description_en']}")

    emit(data, as_json, text)


def _since(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.timedelta | None:
    """``30d``, ``2w`` or ``30`` (days) as a period."""
    if value is None:
        return None
    number, unit = (value[:-1], value[-1].lower()) if value[-1:].isalpha() else (value, "d")
    if unit not in ("d", "w") or not number.isdigit():
        raise click.BadParameter(f"{value!r}: write days as 30d (or weeks as 2w)")
    return dt.timedelta(days=int(number) * (7 if unit == "w" else 1))


def _first_digest(subscription: Subscription, since: dt.timedelta | None, now: dt.datetime) -> str:
    """What the first digest of a new subscription will hold, and when."""
    start = f"{subscription.last_digest_at:%Y-%m-%d %H:%M} UTC"
    if since is None:
        return (
            f"first digest: works new from now on ({start}), once a {subscription.frequency.value} period has "
            "passed; add --since 30d for a first digest of the works new in the last 30 days"
        )
    when = f"due now: `{command_name()} push run` sends it" if subscription.due(now) else "at its first due push run"
    return f"first digest: works new since {start} (the last {since.days} days), {when}"


@push.command("subscribe")
@click.argument("reader_id")
@click.argument("service", type=_SERVICES, metavar="SERVICE")
@click.option("--channel", required=True, type=click.Choice([c.value for c in Channel]))
@click.option("--frequency", type=click.Choice([f.value for f in Frequency]), help="The service's default if omitted.")
@click.option("--max-items", default=10, show_default=True, help="The most items per digest (1 to 50).")
@click.option("--query", help="The saved search (saved_search only), as typed in the search box.")
@click.option("--email", help="Where email digests go (email channel only).")
@click.option(
    "--since",
    callback=_since,
    help="Start the first digest's window this long ago (30d, 2w; at most 62 days) instead of now.",
)
@json_option()
@click.pass_obj
def push_subscribe(
    container: Container,
    *,
    reader_id: str,
    service: str,
    channel: str,
    frequency: str | None,
    max_items: int,
    query: str | None,
    email: str | None,
    since: dt.timedelta | None,
    as_json: bool,
) -> None:
    """Subscribe a reader to SERVICE (one of those `consortium push services` lists; needs the push consent);
    prints the feed URL of an atom subscription and the unsubscribe link. Subscribing again changes the
    subscription and revokes the old links. A new subscription's first digest holds the works new from now on;
    with --since 30d, those of the last 30 days."""
    subscription, _ = container.push.subscribe(
        reader_id,
        ServiceId(service),
        Channel(channel),
        actor=LIBRARIAN,
        frequency=Frequency(frequency) if frequency else None,
        max_items=max_items,
        query=query,
        email=email,
        since=since,
    )
    data = _subscription_data(container, subscription)

    def text() -> None:
        click.echo(f"{reader_id} subscribed to {service} by {channel}, {data['frequency']}, at most {max_items} items")
        click.echo(_first_digest(subscription, since, system_clock()))
        if "feed_url" in data:
            click.echo(f"feed: {data['feed_url']}")
        click.echo(f"unsubscribe: {data['unsubscribe_url']}")

    emit(data, as_json, text)


@push.command("unsubscribe")
@click.argument("reader_id")
@click.argument("service", type=_SERVICES, metavar="SERVICE")
@click.pass_obj
def push_unsubscribe(container: Container, reader_id: str, service: str) -> None:
    """End a reader's subscription to SERVICE (its feed and links stop working)."""
    container.push.unsubscribe(reader_id, ServiceId(service), LIBRARIAN)
    click.echo(f"{reader_id} unsubscribed from {service}")


@push.command("subscriptions")
@click.argument("reader_id")
@json_option()
@click.pass_obj
def push_subscriptions(container: Container, reader_id: str, as_json: bool) -> None:
    """A reader's subscriptions, active and ended."""
    found = container.push.subscriptions(reader_id, LIBRARIAN)
    data = [_subscription_data(container, s) for s in found]

    def text() -> None:
        if not data:
            click.echo(f"{reader_id} has no subscriptions (see: consortium push subscribe)")
        for entry in data:
            state = "active" if entry["active"] else "ended"
            click.echo(
                f"{entry['service']}: {entry['channel']}, {entry['frequency']}, at most {entry['max_items']} "
                f"({state}; last digest {entry['last_digest_at']})"
            )

    emit(data, as_json, text)


@push.command("run")
@click.option("--service", "services", multiple=True, type=_SERVICES, help="Only this service (repeatable).")
@click.option("--dry-run", is_flag=True, help="Plan and show the digests; deliver nothing, record nothing.")
@click.option("--force", is_flag=True, help="Plan every active subscription, due or not.")
@json_option()
@click.pass_obj
def push_run(container: Container, services: tuple[str, ...], dry_run: bool, force: bool, as_json: bool) -> None:
    """Run the push job now: plan the due digests, then deliver them (email, feed, inbox)."""
    report = container.push.run(services=[ServiceId(s) for s in services] or None, dry_run=dry_run, force=force)
    data = report.as_dict()

    def text() -> None:
        click.echo(
            f"{data['readers']} readers subscribed, {data['new_works']} new works: {data['digests_planned']} digests "
            f"planned ({data['digests_empty']} empty)"
        )
        if data["digests_empty"]:
            click.echo(
                "  an empty digest found no new work in its window; a new subscription's window starts when it is "
                "made (subscribe with --since 30d for the recent works)"
            )
        if dry_run:
            for digest in report.digests:
                if digest.items:
                    click.echo(f"  {digest.reader_id} · {digest.service.value} · {digest.channel.value}:")
                    for item in digest.items:
                        click.echo(f"    {item.title} — {item.reason}")
            return
        delivered = ", ".join(f"{n} by {channel}" for channel, n in data["delivered"].items()) or "none"
        click.echo(
            f"delivered: {delivered}; {data['items']} items; {data['skipped']} already sent; "
            f"{data['retry_later']} to retry; {data['failed']} failed; {data['errors']} errors"
        )

    emit(data, as_json, text)


@push.command("evidence")
@json_option()
@click.pass_obj
def push_evidence(container: Container, as_json: bool) -> None:
    """Rebuild the ranking evidence now and store it (what the scheduled job does daily): how rare each interest
    key is over the catalogue, and loans and co-borrowing over the readers who let their loans be counted at
    members that share circulation (a work or a pair appears only with at least 10 distinct readers). The
    next push run ranks with it."""
    summary = container.rebuild_evidence()
    emit(summary.as_dict(), as_json, lambda: click.echo(summary.line()))


@push.command("history")
@click.argument("reader_id")
@json_option()
@click.pass_obj
def push_history(container: Container, reader_id: str, as_json: bool) -> None:
    """What was pushed to a reader, newest first."""
    found = container.push.history(reader_id, LIBRARIAN)
    data = [item.model_dump(mode="json") for item in found]

    def text() -> None:
        if not found:
            click.echo(f"nothing pushed to {reader_id} yet")
        for item in found:
            flag = " (not interested)" if item.not_interested else ""
            click.echo(f"{item.at:%Y-%m-%d} {item.service.value}: {item.title} [{item.cluster_id}]{flag}")
            click.echo(f"  {item.reason}")

    emit(data, as_json, text)


@push.command("item")
@click.argument("reader_id")
@click.argument("cluster_id")
@click.option("--delete", "action", flag_value=ItemAction.DELETE.value, help="Delete it from the history.")
@click.option("--not-interested", "action", flag_value=ItemAction.NOT_INTERESTED.value, help="Counts against it.")
@click.pass_obj
def push_item(container: Container, reader_id: str, cluster_id: str, action: str | None) -> None:
    """Act on an item a reader was sent: delete it, or mark it "not interested"."""
    if action is None:
        raise click.UsageError("give --delete or --not-interested")
    container.push.act(reader_id, cluster_id, ItemAction(action), LIBRARIAN)
    click.echo(f"{cluster_id}: {action.replace('_', ' ')}")


@push.command("mute")
@click.argument("reader_id")
@click.option("--class", "class_key", help="A class key, e.g. class:clc:TP3 (and everything under it).")
@click.option("--author", "author_key", help="An author key, e.g. 'author:liu cixin'.")
@click.option("--series", help="A series title.")
@click.option("--undo", is_flag=True, help="Remove the mute instead.")
@json_option()
@click.pass_obj
def push_mute(
    container: Container,
    *,
    reader_id: str,
    class_key: str | None,
    author_key: str | None,
    series: str | None,
    undo: bool,
    as_json: bool,
) -> None:
    """Mute a class, an author or a series for a reader (or --undo it); with none given, list the mutes. An empty
    key is refused, not taken for "none given"."""
    given = [(MuteKind.CLASS, class_key), (MuteKind.AUTHOR, author_key), (MuteKind.SERIES, series)]
    chosen = [(kind, key) for kind, key in given if key is not None]
    if len(chosen) > 1:
        raise click.UsageError("give one of --class, --author, --series")
    service = container.push
    if chosen:
        kind, key = chosen[0]
        if undo:
            service.unmute(reader_id, kind, key, LIBRARIAN)
        else:
            service.mute(reader_id, kind, key, LIBRARIAN)
    found = service.mutes(reader_id, LIBRARIAN)
    data = [mute.model_dump(mode="json") for mute in found]

    def text() -> None:
        if not found:
            click.echo(f"{reader_id} has muted nothing")
        for mute in found:
            click.echo(f"{mute.kind.value}: {mute.key}")

    emit(data, as_json, text)


@push.command("inbox")
@click.argument("reader_id")
@json_option()
@click.pass_obj
def push_inbox(container: Container, reader_id: str, as_json: bool) -> None:
    """The digests in a reader's portal inbox, newest first."""
    entries = container.push.inbox(reader_id, LIBRARIAN)

    def text() -> None:
        if not entries:
            click.echo(f"{reader_id}'s inbox is empty")
        for entry in entries:
            digest = entry["digest"]
            when = dt.datetime.fromisoformat(digest["window_end"])
            state = "" if entry.get("read") else " (unread)"
            click.echo(f"{when:%Y-%m-%d} {digest['service']}: {len(digest['items'])} items{state}")
            for item in digest["items"]:
                click.echo(f"  {item['title']} — {item['reason']}")

    emit(entries, as_json, text)


@push.command("feed")
@click.argument("token")
@click.pass_obj
def push_feed(container: Container, token: str) -> None:
    """Print the Atom feed a token opens (what GET /push/feeds/TOKEN serves)."""
    click.echo(container.push.feed(token).decode())
