"""The ``consortium`` command, for operators and tests. Every subcommand takes ``--json``."""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
import signal
import sys
import threading
from pathlib import Path
from typing import IO, Any

import click
import pydantic

from consortium.bootstrap import Container, bootstrap
from consortium.cli_push import push
from consortium.cli_support import LIBRARIAN, emit, fail
from consortium.errors import ConsortiumError
from consortium.harvest.service import HarvestReport, Progress, import_source
from consortium.harvest.state import HarvestCounts
from consortium.members import Member, Source, SourceFormat
from consortium.profiles.consent import Purpose
from consortium.profiles.models import EventType, ReaderEvent
from consortium.profiles.service import EventOutcome, Interest
from consortium.scheduler import Job, JobResult, LocalScheduler
from consortium.search.query import parse_query_string

__all__ = ["main"]


def _progress(label: str) -> Progress | None:
    """A one-line progress display on a terminal; nothing when stderr is not a terminal."""
    if not sys.stderr.isatty():
        return None

    def show(counts: HarvestCounts, fraction: float | None) -> None:
        done = f"{fraction:6.1%} " if fraction is not None else ""
        click.echo(
            f"\r{label}: {done}{counts.seen} read, {counts.added} added, {counts.changed} changed, "
            f"{counts.quarantined} quarantined",
            err=True,
            nl=False,
        )

    return show


def _report_line(report: HarvestReport) -> str:
    c = report.counts
    state = "complete" if report.complete else "paused"
    return (
        f"{report.member}/{report.source}: {c.added} added, {c.changed} changed, {c.unchanged} unchanged, "
        f"{c.deleted} deleted, {c.quarantined} quarantined ({state})"
    )


def _run_harvest(container: Container, member: Member, source: Source) -> HarvestReport:
    progress = _progress(f"{member.id}/{source.id}")
    report = container.harvester.harvest_source(member, source, progress=progress)
    if progress is not None:
        click.echo("", err=True)
    return report


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log what the hub does (never personal data).")
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """The consortium hub: harvest member libraries into one deduplicated, personalized discovery service."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    # pymarc warns on every odd indicator; the quarantine reasons already say what matters.
    logging.getLogger("pymarc").setLevel(logging.ERROR)
    ctx.obj = bootstrap()


@main.group()
def members() -> None:
    """The member registry."""


@members.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def members_list(container: Container, as_json: bool) -> None:
    """List member libraries and their sources."""
    try:
        registry = container.registry
    except ConsortiumError as exc:
        fail(exc)
        return

    def text() -> None:
        for member in registry.members:
            name = f"{member.name} ({member.name_zh})" if member.name_zh else member.name
            click.echo(f"{member.id}\t{name}")
            for source in member.sources:
                where = source.url or source.path
                click.echo(f"  {source.id}\t{source.protocol} {source.format}\t{where}\t{source.schedule}")

    emit(registry.model_dump(mode="json")["members"], as_json, text)


@main.command()
@click.option("--member", "member_id", help="Harvest only this member.")
@click.option("--source", "source_id", help="Harvest only this source of the member.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def harvest(container: Container, member_id: str | None, source_id: str | None, as_json: bool) -> None:
    """Harvest member sources now (each resumes its unfinished run, or starts an incremental one)."""
    try:
        registry = container.registry
        chosen = [registry.get(member_id)] if member_id else registry.members
        reports = []
        for member in chosen:
            sources = [member.source(source_id)] if source_id else member.sources
            for source in sources:
                reports.append(_run_harvest(container, member, source))
    except ConsortiumError as exc:
        fail(exc)
        return
    total = sum((r.counts for r in reports), HarvestCounts())
    data = {"runs": [r.as_dict() for r in reports], "total": total.model_dump()}

    def text() -> None:
        for report in reports:
            click.echo(_report_line(report))
        click.echo(f"records stored: {container.record_store.count()}")

    emit(data, as_json, text)


@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--member", "member_id", required=True, help="The member library the records belong to.")
@click.option(
    "--format",
    "fmt",
    required=True,
    type=click.Choice([f.value for f in SourceFormat if f is not SourceFormat.OAI_DC]),
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def import_(container: Container, file: Path, member_id: str, fmt: str, as_json: bool) -> None:
    """Load a MARC21, MARCXML, UNIMARC/CNMARC, KBART or saved OAI-PMH file for a member."""
    try:
        member = container.registry.get(member_id)
        source = import_source(file.resolve(), SourceFormat(fmt))
        report = _run_harvest(container, member, source)
    except ConsortiumError as exc:
        fail(exc)
        return
    emit(report.as_dict(), as_json, lambda: click.echo(_report_line(report)))


@main.command()
@click.option("--member", "member_id", help="Only this member's quarantined records.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def quarantine(container: Container, member_id: str | None, as_json: bool) -> None:
    """List quarantined records with their reasons (raw bytes stay in the archive under their digest)."""
    items = container.record_store.quarantined(member_id)

    def text() -> None:
        for item in items:
            click.echo(f"{item.member}/{item.source_id}\t{item.position}\t{item.reason}\t{item.raw.digest[:12]}")
        click.echo(f"{len(items)} quarantined")

    emit([i.model_dump(mode="json") for i in items], as_json, text)


@main.command()
@click.argument("query", nargs=-1)
@click.option("--page", default=1, show_default=True, help="Page of results.")
@click.option("--page-size", default=10, show_default=True, help="Results per page (at most 100).")
@click.option("--member", "boost_member", help="The reader's own library: its holdings come first.")
@click.option(
    "--facet", "facets", multiple=True, help="Facet counts to show: member, format, language, year, class, subject."
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def search(
    container: Container,
    *,
    query: tuple[str, ...],
    page: int,
    page_size: int,
    boost_member: str | None,
    facets: tuple[str, ...],
    as_json: bool,
) -> None:
    """Search the consortium's works: free words, and title:, author:, subject:, isbn:, member:, format:,
    lang:, class:, year:2010-2017 (quote phrases)."""
    try:
        parsed = parse_query_string(
            " ".join(query), page=page, page_size=page_size, boost_member=boost_member, facets=list(facets)
        )
        result = container.search_index.search(parsed)
    except ConsortiumError as exc:
        fail(exc)
        return

    def text() -> None:
        click.echo(f"{result.total} works")
        for number, hit in enumerate(result.hits, start=(result.page - 1) * result.page_size + 1):
            authors = "; ".join(hit.authors[:2])
            click.echo(
                f"{number:3}. {hit.title} / {authors} ({hit.year or 'n.d.'}) [{hit.format}] {', '.join(hit.members)}"
            )
        for name, counts in result.facets.items():
            click.echo(f"{name}: " + ", ".join(f"{c.value} ({c.count})" for c in counts))

    emit(result.model_dump(mode="json"), as_json, text)


def _record_key(value: str) -> tuple[str, str]:
    member, sep, local_id = value.partition("/")
    if not sep or not member or not local_id:
        raise click.BadParameter(f"{value!r}: write a record as MEMBER/LOCAL_ID")
    return member, local_id


@main.group()
def dedup() -> None:
    """Deduplication across members."""


@dedup.command("explain")
@click.argument("first")
@click.argument("second")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def dedup_explain(container: Container, first: str, second: str, as_json: bool) -> None:
    """Why two records (MEMBER/LOCAL_ID each) are, or are not, one work: keys, scores, rejects."""
    a, b = _record_key(first), _record_key(second)
    try:
        left, right, shared, decision = container.dedup.explain(a, b)
    except ConsortiumError as exc:
        fail(exc)
        return
    placements = [container.cluster_store.placement(k) for k in (a, b)]
    data = {
        "records": [first, second],
        "match": decision.match,
        "score": decision.score,
        "scores": decision.scores,
        "reject": decision.reject,
        "evidence": decision.evidence,
        "shared_keys": shared,
        "titles": [left.full_title, right.full_title],
        "clusters": [p.cluster_id if p else None for p in placements],
    }

    def text() -> None:
        click.echo(f"{first}: {left.full_title}")
        click.echo(f"{second}: {right.full_title}")
        click.echo(f"shared candidate keys: {', '.join(shared) or 'none'}")
        click.echo(decision.explain())
        same = (
            placements[0] is not None
            and placements[1] is not None
            and placements[0].cluster_id == placements[1].cluster_id
        )
        click.echo(f"clustered together: {'yes' if same else 'no'}")

    emit(data, as_json, text)


@dedup.command("rebuild")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def dedup_rebuild(container: Container, as_json: bool) -> None:
    """Cluster every record again from scratch and rebuild the search index."""
    try:
        container.catalogue.rebuild()
    except ConsortiumError as exc:
        fail(exc)
        return
    data = {"records": container.record_store.count(), "clusters": container.cluster_store.count()}
    emit(data, as_json, lambda: click.echo(f"{data['records']} records in {data['clusters']} clusters"))


HARVEST_EVERY = dt.timedelta(hours=6)
PUSH_EVERY = dt.timedelta(hours=1)
PURGE_EVERY = dt.timedelta(days=1)


@main.command()
@click.option("--once", is_flag=True, help="Harvest and report, then stop (no scheduled jobs).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def run(container: Container, once: bool, as_json: bool) -> None:
    """Run the hub on this machine: harvest every member (clustering and indexing as it goes) and report what
    was harvested and how it deduplicated; then, unless --once, keep running the scheduled jobs (harvest every
    6 hours, the push job every hour, the retention purge every day) until interrupted."""
    try:
        registry = container.registry
        reports = [_run_harvest(container, m, s) for m in registry.members for s in m.sources]
    except ConsortiumError as exc:
        fail(exc)
        return
    store = container.record_store
    per_member = {m.id: store.count(m.id) for m in registry.members}
    formats: dict[str, int] = {}
    for record in store.records():
        formats[record.format.value] = formats.get(record.format.value, 0) + 1
    clusters = list(container.cluster_store.clusters())
    shared = [c for c in clusters if len(c.members) > 1]
    data = {
        "runs": [r.as_dict() for r in reports],
        "clusters": len(clusters),
        "clusters_held_by_several_members": len(shared),
        "records_per_member": per_member,
        "records_per_format": dict(sorted(formats.items())),
        "quarantined": len(store.quarantined()),
        "data_dir": str(container.settings.data_dir.resolve()),
    }

    def text() -> None:
        for report in reports:
            click.echo(_report_line(report))
        click.echo("records per member: " + ", ".join(f"{k} {v}" for k, v in per_member.items()))
        click.echo("records per format: " + ", ".join(f"{k} {v}" for k, v in sorted(formats.items())))
        click.echo(f"works (clusters): {len(clusters)}, held by several members: {len(shared)}")
        for cluster in sorted(shared, key=lambda c: (-len(c.members), c.title))[:5]:
            click.echo(f"  {cluster.title} ({cluster.year or 'n.d.'}): {', '.join(cluster.members)}")
        click.echo(f"quarantined: {data['quarantined']} (see: consortium quarantine)")
        click.echo(f"state kept in {data['data_dir']}")

    emit(data, as_json, text)
    if not once:
        _run_scheduled(container, as_json)


def _run_scheduled(container: Container, as_json: bool) -> None:
    """The local scheduler, until Ctrl-C or SIGTERM."""

    def harvest(now: dt.datetime) -> str:
        reports = [_run_harvest(container, m, s) for m in container.registry.members for s in m.sources]
        added = sum(r.counts.added + r.counts.changed for r in reports)
        return f"{len(reports)} sources, {added} records added or changed"

    def push_job(now: dt.datetime) -> str:
        data = container.push.run(now=now).as_dict()
        return f"{data['digests_planned']} digests planned, {sum(data['delivered'].values())} delivered"

    def purge(now: dt.datetime) -> str:
        return f"{container.profiles.purge_expired(now)} expired items deleted"

    scheduler = LocalScheduler(
        [Job("harvest", HARVEST_EVERY, harvest), Job("push", PUSH_EVERY, push_job), Job("purge", PURGE_EVERY, purge)],
        container.settings.data_dir / "schedule.json",
    )
    scheduler.mark("harvest", dt.datetime.now(dt.UTC))  # it just ran
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    def report(result: JobResult) -> None:
        if as_json:
            line = {"job": result.job, "at": result.at.isoformat(), "ok": result.ok, "summary": result.summary}
            click.echo(json.dumps(line, ensure_ascii=False))
        else:
            click.echo(f"{result.at:%Y-%m-%d %H:%M} {result.job}: {result.summary}")

    if not as_json:
        click.echo("scheduler running: harvest every 6 hours, push every hour, retention purge daily (Ctrl-C stops)")
    try:
        scheduler.run_forever(stop, report)
    except KeyboardInterrupt:
        pass
    if not as_json:
        click.echo("stopped")


# -- readers


def _purposes(values: tuple[str, ...]) -> list[Purpose]:
    names = [name.strip() for value in values for name in value.split(",") if name.strip()]
    try:
        return [Purpose(name) for name in names]
    except ValueError as exc:
        known = ", ".join(p.value for p in Purpose)
        raise click.BadParameter(f"{exc}; purposes are {known}") from exc


def _interest_line(interest: Interest) -> str:
    how = "+".join(w for w, on in (("declared", interest.declared), ("learned", interest.learned)) if on)
    return f"  {interest.key}\t{interest.score:.2f}\t{how}"


@main.group()
def reader() -> None:
    """Readers' personal data: accounts, consent, events, interests, drift prompts, export and erasure. Every
    command acts as a member library's staff ("librarian")."""


@reader.command("create")
@click.argument("reader_id")
@click.option("--member", required=True, help="The reader's home member library.")
@click.option("--consent", "consents", multiple=True, help="Purposes granted, comma-separated (personalization,...).")
@click.option("--declare", "declared", multiple=True, help="An interest the reader declares (class:clc:TP312...).")
@click.option("--json", "as_json", is_flag=True)
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
    try:
        container.registry.get(member)
        service = container.profiles
        created = service.create_reader(reader_id, member, purposes, actor=LIBRARIAN)
        for key in declared:
            service.declare_interest(reader_id, key, LIBRARIAN)
    except ConsortiumError as exc:
        fail(exc)
        return
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
@click.option("--json", "as_json", is_flag=True)
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
    try:
        event = ReaderEvent(
            event_id=event_id or f"cli-{secrets.token_hex(8)}",
            type=EventType(event_type),
            at=at_text or dt.datetime.now(dt.UTC),
            query=query,
            cluster_id=cluster_id,
            rating=rating,
            feedback=feedback,
        )
    except pydantic.ValidationError as exc:
        raise click.BadParameter("; ".join(str(e["msg"]) for e in exc.errors())) from exc
    try:
        outcome = container.profiles.record_event(reader_id, event, LIBRARIAN)
    except ConsortiumError as exc:
        fail(exc)
        return
    word = {
        EventOutcome.STORED: "stored",
        EventOutcome.DROPPED_NO_CONSENT: "dropped",
        EventOutcome.DUPLICATE: "duplicate",
    }[outcome]
    data = {"reader_id": reader_id, "event_id": event.event_id, "outcome": word}
    emit(data, as_json, lambda: click.echo(word))


@reader.command("events")
@click.argument("reader_id")
@click.argument("events_file", type=click.File("r", encoding="utf-8"))
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def reader_events(container: Container, *, reader_id: str, events_file: IO[str], as_json: bool) -> None:
    """Record a file of the reader's events: JSON Lines, one event per line (the fields of `reader event`:
    event_id, type, at, query, filters, cluster_id, rating, feedback), e.g. a loan history a member library
    sends. Lines are recorded in order; a line that is not a valid event is reported with its number and reason
    and the rest go on (the exit status is then 1). A repeated event id is recorded once, as always."""
    counts = {"stored": 0, "dropped": 0, "duplicate": 0}
    invalid: list[dict[str, Any]] = []
    words = {
        EventOutcome.STORED: "stored",
        EventOutcome.DROPPED_NO_CONSENT: "dropped",
        EventOutcome.DUPLICATE: "duplicate",
    }
    for number, line in enumerate(events_file, start=1):
        if not line.strip():
            continue
        try:
            event = ReaderEvent.model_validate_json(line)
        except pydantic.ValidationError as exc:
            reasons = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'line'}: {e['msg']}" for e in exc.errors())
            invalid.append({"line": number, "reason": reasons})
            continue
        try:
            outcome = container.profiles.record_event(reader_id, event, LIBRARIAN)
        except ConsortiumError as exc:
            fail(exc)
            return
        counts[words[outcome]] += 1
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
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def reader_show(container: Container, reader_id: str, top: int, as_json: bool) -> None:
    """The reader's consents, top interests (declared and learned) and open drift prompts."""
    try:
        service = container.profiles
        found = service.get_reader(reader_id, LIBRARIAN)
        consents = service.consents(reader_id)
        interests = service.interests(reader_id, LIBRARIAN, top)
        prompts = service.prompts(reader_id, LIBRARIAN)
    except ConsortiumError as exc:
        fail(exc)
        return
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
@click.option("--json", "as_json", is_flag=True, help="Accepted for symmetry: the export is always JSON.")
@click.pass_obj
def reader_export(container: Container, reader_id: str, as_json: bool) -> None:
    """Everything the hub keeps about the reader, decrypted, as one JSON document."""
    try:
        exported = container.profiles.export(reader_id, LIBRARIAN)
    except ConsortiumError as exc:
        fail(exc)
        return
    click.echo(json.dumps(exported, ensure_ascii=False, indent=2, default=str))


@reader.command("erase")
@click.argument("reader_id")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def reader_erase(container: Container, reader_id: str, as_json: bool) -> None:
    """Erase the reader at once (no confirmation): their key, every encrypted item and their consent history."""
    try:
        service = container.profiles
        counts = service.item_counts(reader_id)
        consents = len(service.consent_history(reader_id))
        service.erase(reader_id, LIBRARIAN)
    except ConsortiumError as exc:
        fail(exc)
        return
    data = {"reader_id": reader_id, "erased": {"key": 1, **counts, "consent_events": consents}}

    def text() -> None:
        items = ", ".join(f"{n} {kind}" for kind, n in counts.items())
        click.echo(f"erased reader {reader_id}: data key, {items or 'no items'}, {consents} consent events")

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
@click.option("--json", "as_json", is_flag=True)
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
    try:
        service = container.profiles
        if declared is not None:
            service.declare_interest(reader_id, declared, LIBRARIAN, weight)
        else:
            service.remove_interest(reader_id, removed or "", LIBRARIAN)
        interests = service.interests(reader_id, LIBRARIAN)
    except ConsortiumError as exc:
        fail(exc)
        return
    data = {"reader_id": reader_id, "interests": [i.model_dump(mode="json") for i in interests]}

    def text() -> None:
        click.echo(f"{'declared' if declared is not None else 'removed'} {declared or removed}")
        for interest in interests:
            click.echo(_interest_line(interest))

    emit(data, as_json, text)


@reader.command("purge")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def reader_purge(container: Container, as_json: bool) -> None:
    """Apply the retention policy now, for every reader: delete the events kept longer than it allows."""
    try:
        deleted = container.profiles.purge_expired()
    except ConsortiumError as exc:
        fail(exc)
        return
    emit({"purged": {"event": deleted}}, as_json, lambda: click.echo(f"purged {deleted} expired events"))


@reader.command("consent")
@click.argument("reader_id")
@click.option("--grant", "granted", help="Purpose the reader grants.")
@click.option("--withdraw", "withdrawn", help="Purpose the reader withdraws.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def reader_consent(
    container: Container, reader_id: str, granted: str | None, withdrawn: str | None, as_json: bool
) -> None:
    """Grant or withdraw one purpose (withdrawing personalization deletes what it learned)."""
    if (granted is None) == (withdrawn is None):
        raise click.UsageError("give exactly one of --grant or --withdraw")
    [purpose] = _purposes((granted or withdrawn or "",))
    try:
        service = container.profiles
        if granted is not None:
            service.grant(reader_id, purpose, LIBRARIAN)
        else:
            service.withdraw(reader_id, purpose, LIBRARIAN)
        consents = service.consents(reader_id)
    except ConsortiumError as exc:
        fail(exc)
        return
    action = "granted" if granted is not None else "withdrew"
    data = {"reader_id": reader_id, "consents": {p.value: on for p, on in consents.items()}}
    emit(data, as_json, lambda: click.echo(f"{reader_id} {action} {purpose.value}"))


@reader.command("prompt")
@click.argument("reader_id")
@click.argument("prompt_id")
@click.option("--accept/--dismiss", required=True, help="Follow the change, or keep the interests as they are.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def reader_prompt(container: Container, reader_id: str, prompt_id: str, accept: bool, as_json: bool) -> None:
    """Answer a drift prompt."""
    try:
        interests = container.profiles.answer_prompt(reader_id, prompt_id, accept, LIBRARIAN)
    except ConsortiumError as exc:
        fail(exc)
        return
    data = {"prompt_id": prompt_id, "accepted": accept, "interests": [i.model_dump(mode="json") for i in interests]}

    def text() -> None:
        click.echo(f"{'accepted' if accept else 'dismissed'} {prompt_id}")
        for interest in interests:
            click.echo(_interest_line(interest))

    emit(data, as_json, text)


main.add_command(push)
