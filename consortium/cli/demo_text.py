"""What ``consortium run --demo`` prints of the demo readers (:mod:`consortium.cli.demo`): a line each, the push
run, and how to log in as each of them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from consortium.cli.common import command_name

if TYPE_CHECKING:
    from consortium.cli.demo import DemoReader, DemoReport, SeededReader

__all__ = ["demo_lines", "login_command", "login_lines"]

_STATES = {
    "created": "made now",
    "finished": "finished now (an earlier start was interrupted)",
    "kept": "already there, left as it is",
    "skipped": "not made",
}


def _count(number: int, word: str, plural: str | None = None) -> str:
    return f"{number} {word if number == 1 else plural or word + 's'}"


def _reader_line(seeded: SeededReader, width: int) -> str:
    spec = seeded.reader
    what = _STATES[seeded.state]
    if seeded.state in ("created", "finished"):
        made = (_count(seeded.searches, "search", "searches"), _count(seeded.views, "view"))
        what += f": {', '.join(made)}, {_count(seeded.borrows, 'loan')}"
    if seeded.state == "skipped":
        what += f": {seeded.note}"
    else:
        what += f" ({seeded.note})" if seeded.note else ""
        what += f"; {_count(seeded.inbox, 'digest')} in the inbox"
    return f"  {spec.reader_id.ljust(width)}  {spec.member:<10} {spec.name} <{spec.email}>, {spec.topic}: {what}"


def demo_lines(report: DemoReport) -> list[str]:
    """A line per demo reader (id, member, name, what they read, what seeding did, their inbox), then the push
    run's figures.

    Example
    -------
    >>> demo_lines(seed_demo(hub))[1]
    '  demo-alice   riverside  Alice Demo <alice@example.org>, programming and algorithms: made now: 3 searches, ...'
    """
    width = max((len(r.reader.reader_id) for r in report.readers), default=0)
    lines = ["demo readers (consent: personalization, push; their data encrypted under keys of their own):"]
    lines += [_reader_line(seeded, width) for seeded in report.readers]
    push = report.push
    if push is not None:
        delivered = ", ".join(f"{n} by {channel}" for channel, n in sorted(push.delivered.items())) or "none"
        lines.append(
            f"push run: {push.planned} digests planned ({push.empty} empty), delivered {delivered}, {push.items} items"
        )
    return lines


def login_command(reader: DemoReader) -> str:
    """The command that prints a bearer token of the reader (``consortium login``), as the user can type it."""
    return f"{command_name()} login {reader.reader_id} --member {reader.member}"


def login_lines(report: DemoReport, address: str) -> list[str]:
    """For each demo reader not skipped, a ``curl`` of their inbox with a bearer token made on the spot (valid
    8 hours), and a note on where the API's reference is."""
    lines = [
        f'  curl -H "Authorization: Bearer $({login_command(r.reader)})" '
        f"{address}/readers/{r.reader.reader_id}/push/inbox"
        for r in report.readers
        if r.state != "skipped"
    ]
    if lines:
        lines.append(f"  (a token lasts 8 hours; every route a reader may call: {address}/docs)")
    return lines
