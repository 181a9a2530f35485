"""``consortium reader``: a reader's personal data (account, consent, events, interests, drift prompts, export
and erasure), for librarians and tests."""

from __future__ import annotations

import json
import secrets
import sys
from typing import IO, TYPE_CHECKING, Any

import click
import pydantic

from consortium.cli.common import LIBRARIAN, emit, json_option
from consortium.errors import ValidationError, field_errors
from consortium.ports import system_clock
from consortium.profiles.consent import Purpose
from consortium.profiles.interests import check_declarable
from consortium.profiles.models import EventType, ReaderEvent
from consortium.profiles.service import EventOutcome

if TYPE_CHECKING:
    from consortium.bootstrap import Container
    from consortium.profiles.service import Interest

__all__ = ["reader"]

_OUTCOME_WORDS = {
    EventOutcome.STORED: "stored",
    EventOutcome.DROPPED_NO_CONSENT: "dropped",
    EventOutcome.DUPLICATE: "duplicate",
}
"""How ``reader event`` and ``reader events`` name what became of an event."""


def _purposes(values: tuple[str, ...], option: str = "--consent") -> list[Purpose]:
    names = [name.strip() for value in values for name in value.split(",") if name.strip()]
    known = ", ".join(p.value for p in Purpose)
    unknown = [name for name in names if name not in {p.value for p in Purpose}]
    if unknown:
        raise click.BadParameter(f"{unknown[0]!r} is not a purpose (purposes: {known})", param_hint=option)
    return [Purpose(name) for name in names]


def _interest_line(interest: Interest) -> str:
    how = "+".join(w for w, on in (("declared", interest.declared), ("learned", interest.learned)) if on)
    return f"  {interest.key}\t{interest.score:.2f}\t{how}"


@click.group()
def reader() -> None:
    """Readers' personal data: accounts, consent, events, interests, drift prompts, export and erasure. Every
    command acts as a member library's staff ("librarian")."""


@reader.command("create")
@click.argument("reader_id")
@click.option("--member", required=True, help="The reader's home member library.")
@click.option("--consent", "consents", multiple=True, help="Purposes granted, comma-separated (personalization,...).")
@click.option("--declare", "declared", multiple=True, help="An interest the reader declares (class:clc:TP312...).")
@json_option()
@click.pass_obj
def reader_create(
    container: Container,
    *,
    reader_id: str,
    member: str,
    consents: tuple[str, ...],
    declared: tuple[str, ...],
    as_json: bool,
) -> None:
    """Create a reader with the consents they grant and the interests they declare."""
    purposes = _purposes(consents)
    container.registry.get(member)
    for key in declared:
        check_declarable(key)  # refused before the reader is made, not half-way
    service = container.profiles
    created = service.create_reader(reader_id, member, purposes, actor=LIBRARIAN)
    for key in declared:
        service.declare_interest(reader_id, key, LIBRARIAN)
    data = {
        "reader_id": created.reader_id,
        "member": created.member,
        "consents": [p.value for p in dict.fromkeys(purposes)],
        "declared": list(dict.fromkeys(declared)),
    }
    emit(data, as_json, lambda: click.echo(f"created reader {reader_id} of {member}"))


@reader.command("event")
@click.argument("reader_id")
@click.option("--type", "event_type", required=True, type=click.Choice([t.value for t in EventType]))
@click.option("--query", help="The search terms (search).")
@click.option("--cluster", "cluster_id", help="The work the event is about (view, borrow, return, hold, rating).")
@click.option("--rating", type=int, help="1 to 5 stars (rating).")
@click.option("--feedback", help='Free text (feedback); "not interested" counts against the work.')
@click.option("--event-id", help="Unique per reader; a random one when omitted.")
@click.option(
    "--at",
    "at_text",
    metavar="TIME",
    help="When it happened (ISO 8601 with a UTC offset, e.g. 2026-03-01T10:00:00+08:00); now when omitted.",
)
@json_option()
@click.pass_obj
def reader_event(
    container: Container,
    *,
    reader_id: str,
    event_type: str,
    query: str | None,
    cluster_id: str | None,
    rating: int | None,
    feedback: str | None,
    event_id: str | None,
    at_text: str | None,
    as_json: bool,
) -> None:
    """Record something the reader did; prints stored, dropped (no personalization consent) or duplicate."""
    event = ReaderEvent(  # a value the model refuses is one line naming the field (HubGroup)
        event_id=event_id or f"cli-{secrets.token_hex(8)}",
        type=EventType(event_type),
        at=at_text or system_clock(),
        query=query,
        cluster_id=cluster_id,
        rating=rating,
        feedback=feedback,
    )
    outcome = container.profiles.record_event(reader_id, event, LIBRARIAN)
    word = _OUTCOME_WORDS[outcome]
    data = {"reader_id": reader_id, "event_id": event.event_id, "outcome": word}
    emit(data, as_json, lambda: click.echo(word))


@reader.command("events")
@click.argument("reader_id")
@click.argument("events_file", type=click.File("rb"))
@json_option()
@click.pass_obj
def reader_events(container: Container, *, reader_id: str, events_file: IO[bytes], as_json: bool) -> None:
    """Record a file of the reader's events: JSON Lines in UTF-8, one event per line (the fields of `reader event`:
    event_id, type, at, query, filters, cluster_id, rating, feedback), e.g. a loan history a member library
    sends. Lines are recorded in order; a line that is not a valid event (not UTF-8, not JSON, a field missing or
    wrong, a time in the future) is reported with its number and reason and the rest go on (the exit status is
    then 1). A repeated event id is recorded once, as always."""
    service = container.profiles
    service.vault.wrapped(reader_id)  # an unknown or erased reader stops here, before any line
    counts = dict.fromkeys(_OUTCOME_WORDS.values(), 0)
    invalid: list[dict[str, Any]] = []
    for number, raw in enumerate(events_file, start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            invalid.append({"line": number, "reason": f"not UTF-8: byte 0x{raw[exc.start]:02x} at {exc.start + 1}"})
            continue
        if number == 1:
            line = line.removeprefix("\ufeff")  # a byte order mark some editors write
        if not line.strip():
            continue
        try:
            outcome = service.record_event(reader_id, ReaderEvent.model_validate_json(line), LIBRARIAN)
        except pydantic.ValidationError as exc:
            invalid.append({"line": number, "reason": field_errors(exc)})
            continue
        except ValidationError as exc:
            invalid.append({"line": number, "reason": str(exc)})
            continue
        counts[_OUTCOME_WORDS[outcome]] += 1
    data = {"reader_id": reader_id, **counts, "invalid": invalid}

    def text() -> None:
        click.echo(", ".join(f"{count} {word}" for word, count in counts.items()) + f", {len(invalid)} invalid")
        for bad in invalid:
            click.echo(f"line {bad['line']}: {bad['reason']}", err=True)

    emit(data, as_json, text)
    if invalid:
        sys.exit(1)


@reader.command("show")
@click.argument("reader_id")
@click.option("--top", default=10, show_default=True, help="How many interests to show.")
@json_option()
@click.pass_obj
def reader_show(container: Container, reader_id: str, top: int, as_json: bool) -> None:
    """The reader's consents, top interests (declared and learned) and open drift prompts."""
    service = container.profiles
    found = service.get_reader(reader_id, LIBRARIAN)
    consents = service.consents(reader_id)
    interests = service.interests(reader_id, LIBRARIAN, top)
    prompts = service.prompts(reader_id, LIBRARIAN)
    data = {
        "reader_id": found.reader_id,
        "member": found.member,
        "created_at": found.created_at.isoformat(),
        "consents": {p.value: granted for p, granted in consents.items()},
        "interests": [i.model_dump(mode="json") for i in interests],
        "prompts": [p.model_dump(mode="json") for p in prompts],
    }

    def text() -> None:
        click.echo(f"reader {found.reader_id} of {found.member}, since {found.created_at:%Y-%m-%d}")
        granted = [p.value for p, on in consents.items() if on]
        click.echo(f"consents: {', '.join(granted) or 'none'}")
        click.echo("interests:" if interests else "interests: none")
        for interest in interests:
            click.echo(_interest_line(interest))
        for prompt in prompts:
            click.echo(f"prompt {prompt.prompt_id}: {prompt.text_en}")

    emit(data, as_json, text)


@reader.command("export")
@click.argument("reader_id")
@json_option("Accepted for symmetry: the export is always JSON.")
@click.pass_obj
def reader_export(container: Container, reader_id: str, as_json: bool) -> None:
    """Everything the hub keeps about the reader, decrypted, as one JSON document."""
    exported = container.profiles.export(reader_id, LIBRARIAN)
    click.echo(json.dumps(exported, ensure_ascii=False, indent=2, default=str))


@reader.command("erase")
@click.argument("reader_id")
@json_option()
@click.pass_obj
def reader_erase(container: Container, reader_id: str, as_json: bool) -> None:
    """Erase the reader at once (no confirmation): their key, every encrypted item and their consent history. The
    audit trail (no data in it) is kept under a random pseudonym, printed: a new reader given the same id starts
    with an empty one."""
    service = container.profiles
    counts = service.item_counts(reader_id)
    consents = len(service.consent_history(reader_id))
    kept_as = container.erase_reader(reader_id, LIBRARIAN)
    data = {
        "reader_id": reader_id,
        "erased": {"key": 1, **counts, "consent_events": consents},
        "audit_kept_as": kept_as,
    }

    def text() -> None:
        items = ", ".join(f"{n} {kind}" for kind, n in counts.items())
        click.echo(f"erased reader {reader_id}: data key, {items or 'no items'}, {consents} consent events")
        click.echo(f"the audit trail is kept under the pseudonym {kept_as} (note it with the erasure request)")

    emit(data, as_json, text)


@reader.command("interest")
@click.argument("reader_id")
@click.option(
    "--declare", "declared", help="An interest the reader declares (class:clc:TP312, subject:..., author:...)."
)
@click.option("--weight", type=float, help="The declared interest's weight (default 5, at most 100).")
@click.option(
    "--remove", "removed", help="An interest to remove, declared or learned (a class with its narrower ones)."
)
@json_option()
@click.pass_obj
def reader_interest(
    container: Container,
    *,
    reader_id: str,
    declared: str | None,
    weight: float | None,
    removed: str | None,
    as_json: bool,
) -> None:
    """Declare or remove one interest; prints the reader's top interests afterwards."""
    if (declared is None) == (removed is None):
        raise click.UsageError("give exactly one of --declare or --remove")
    if weight is not None and declared is None:
        raise click.UsageError("--weight goes with --declare")
    service = container.profiles
    if declared is not None:
        service.declare_interest(reader_id, declared, LIBRARIAN, weight)
    else:
        service.remove_interest(reader_id, removed or "", LIBRARIAN)
    interests = service.interests(reader_id, LIBRARIAN)
    data = {"reader_id": reader_id, "interests": [i.model_dump(mode="json") for i in interests]}

    def text() -> None:
        click.echo(f"{'declared' if declared is not None else 'removed'} {declared or removed}")
        for interest in interests:
            click.echo(_interest_line(interest))

    emit(data, as_json, text)


@reader.command("purge")
@json_option()
@click.pass_obj
def reader_purge(container: Container, as_json: bool) -> None:
    """Apply the retention policy now, for every reader: delete the events kept longer than it allows."""
    deleted = container.profiles.purge_expired()
    emit({"purged": {"event": deleted}}, as_json, lambda: click.echo(f"purged {deleted} expired events"))


@reader.command("consent")
@click.argument("reader_id")
@click.option("--grant", "granted", help="Purpose the reader grants.")
@click.option("--withdraw", "withdrawn", help="Purpose the reader withdraws.")
@json_option()
@click.pass_obj
def reader_consent(
    container: Container, reader_id: str, granted: str | None, withdrawn: str | None, as_json: bool
) -> None:
    """Grant or withdraw one purpose (withdrawing personalization deletes what it learned)."""
    if (granted is None) == (withdrawn is None):
        raise click.UsageError("give exactly one of --grant or --withdraw")
    [purpose] = _purposes((granted or withdrawn or "",), "--grant" if granted else "--withdraw")
    service = container.profiles
    if granted is not None:
        service.grant(reader_id, purpose, LIBRARIAN)
    else:
        service.withdraw(reader_id, purpose, LIBRARIAN)
    consents = service.consents(reader_id)
    action = "granted" if granted is not None else "withdrew"
    data = {"reader_id": reader_id, "consents": {p.value: on for p, on in consents.items()}}
    emit(data, as_json, lambda: click.echo(f"{reader_id} {action} {purpose.value}"))


@reader.command("prompt")
@click.argument("reader_id")
@click.argument("prompt_id")
@click.option("--accept/--dismiss", required=True, help="Follow the change, or keep the interests as they are.")
@json_option()
@click.pass_obj
def reader_prompt(container: Container, reader_id: str, prompt_id: str, accept: bool, as_json: bool) -> None:
    """Answer a drift prompt."""
    interests = container.profiles.answer_prompt(reader_id, prompt_id, accept, LIBRARIAN)
    data = {"prompt_id": prompt_id, "accepted": accept, "interests": [i.model_dump(mode="json") for i in interests]}

    def text() -> None:
        click.echo(f"{'accepted' if accept else 'dismissed'} {prompt_id}")
        for interest in interests:
            click.echo(_interest_line(interest))

    emit(data, as_json, text)
