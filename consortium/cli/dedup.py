"""``consortium dedup``: a work's member records, why two records are, or are not, one work; fitting the
matcher's weights; clustering everything again; and reading the raw archive again through today's normalizers."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from consortium.cli.common import emit, json_option, writing
from consortium.dedup.comparisons import LEVELS
from consortium.dedup.frequencies import ADJUSTED_LEVEL
from consortium.errors import NotFoundError

if TYPE_CHECKING:
    from consortium.bootstrap import Container

__all__ = ["dedup"]


def _record_key(value: str) -> tuple[str, str]:
    member, sep, local_id = value.partition("/")
    if not sep or not member or not local_id:
        raise click.BadParameter(f"{value!r}: write a record as MEMBER/LOCAL_ID")
    return member, local_id


@click.group()
def dedup() -> None:
    """Deduplication across members."""


@dedup.command("explain")
@click.argument("first")
@click.argument("second")
@json_option()
@click.pass_obj
def dedup_explain(container: Container, first: str, second: str, as_json: bool) -> None:
    """Why two records (MEMBER/LOCAL_ID each) are, or are not, one work: keys, each comparison's learnt
    weight, rejects."""
    a, b = _record_key(first), _record_key(second)
    left, right, shared, decision = container.dedup.explain(a, b)
    model = container.dedup.model
    weights = model.weights()
    frequencies = {
        name: {
            "level": LEVELS[name][ADJUSTED_LEVEL[name]],
            "mean_records": round(mean, 3),
            "common_values": len(counts),
        }
        for name, (mean, counts) in model.term_frequencies.items()
    }
    placements = [container.cluster_store.placement(k) for k in (a, b)]
    clusters = [p.cluster_id if p else None for p in placements]
    data = {
        "records": [first, second],
        "match": decision.match,
        "score": decision.score,
        "scores": decision.scores,
        "reject": decision.reject,
        "evidence": decision.evidence,
        "shared_keys": shared,
        "titles": [left.full_title, right.full_title],
        "clusters": clusters,
        "model": container.dedup.model.fitted_on or "prior beliefs",
        "weights": weights,
        "term_frequencies": frequencies,
        "model_kept": container.match_models.where if container.dedup.kept_model.fitted else None,
    }

    def text() -> None:
        click.echo(f"{first}: {left.full_title}")
        click.echo(f"{second}: {right.full_title}")
        click.echo(f"shared candidate keys: {', '.join(shared) or 'none'}")
        fitted = container.dedup.model.fitted_on
        if fitted:
            what = ", ".join(f"{n:,} {k.replace('_', ' ')}" for k, n in fitted.items())
            kept = data["model_kept"] or "not kept"
            click.echo(f"weights learnt from this hub's records ({what}; {kept})")
        else:
            click.echo(
                "weights: the prior beliefs (`consortium dedup fit` or `rebuild` fits them to this hub's records)"
            )
        click.echo(decision.explain())
        same = clusters[0] is not None and clusters[0] == clusters[1]
        click.echo(f"clustered together: {'yes' if same else 'no'}")
        click.echo(f"learnt weights, in bits (prior {model.prior_weight:+.2f}):")
        for name, levels in weights.items():
            click.echo(f"  {name}: " + ", ".join(f"{label} {bits:+.2f}" for label, bits in levels.items()))
        for name, table in frequencies.items():
            click.echo(
                f"  {name}, {table['level']}: adjusted by term frequency, log2({table['mean_records']:.2f} / records "
                f"of one member with the value); {table['common_values']:,} values on two or more records"
            )

    emit(data, as_json, text)


@dedup.command("records")
@click.argument("work")
@json_option()
@click.pass_obj
def dedup_records(container: Container, work: str, as_json: bool) -> None:
    """A work's member records (MEMBER/LOCAL_ID each, what `dedup explain` takes); WORK is the id `search`
    shows."""
    cluster = container.cluster_store.get(work)
    if cluster is None:
        raise NotFoundError(f"no work {work!r} (the ids are those `consortium search` shows)")
    records = []
    for member, local_id in cluster.records:
        record = container.record_store.get(member, local_id)
        found = {"title": record.title, "year": record.year, "edition": record.edition} if record else {}
        records.append({"record": f"{member}/{local_id}", "title": None, "year": None, "edition": None, **found})
    data = {"work": work, "title": cluster.title, "records": records}

    def text() -> None:
        click.echo(f"{cluster.title} ({cluster.year or 'n.d.'}): {len(records)} member records")
        for entry in records:
            details = ", ".join(str(v) for v in (entry["year"] or "n.d.", entry["edition"]) if v)
            click.echo(f"  {entry['record']}  {entry['title'] or '(not in the record store)'} ({details})")
        if len(records) > 1:
            click.echo(f"why they are one work: consortium dedup explain {records[0]['record']} {records[1]['record']}")

    emit(data, as_json, text)


@dedup.command("rebuild")
@click.option(
    "--plan",
    "plan",
    type=click.IntRange(min=1, max=10_000),
    default=None,
    help="Plan a partitioned rebuild into N partitions (records joined by shared keys stay together).",
)
@click.option(
    "--partition", type=click.IntRange(min=0), default=None, help="Re-cluster partition I of the planned run."
)
@click.option("--finish", is_flag=True, help="After every partition: stale clusters deleted, the index rebuilt.")
@click.option(
    "--run",
    default="latest",
    show_default=True,
    help="The partitioned run's name (its plan's folder; on AWS the Step Functions execution's name).",
)
@click.option(
    "--max-records",
    type=click.IntRange(min=1),
    default=None,
    help="With --plan: refuse a plan whose largest partition holds more records than this.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1, max=256),
    default=1,
    show_default=True,
    help="Worker processes clustering while this one stores (the local SQLite store; 2 on 2 cores).",
)
@json_option()
@click.pass_obj
def dedup_rebuild(
    container: Container,
    *,
    plan: int | None,
    partition: int | None,
    finish: bool,
    run: str,
    max_records: int | None,
    workers: int,
    as_json: bool,
) -> None:
    """Cluster every record again from scratch and rebuild the search index.

    Without options, in one process (about 7 GB a million records); with `--workers N`, clustered by N worker
    processes while this one stores (the same clusters; 1M records in 57.5 s on 2 cores, against 123 s in
    one process, with 4.5 GB for this process and 3.2 GB a worker: the README's figures). For more, in partitions:
    `--plan N`, then `--partition I` for each I from 0 to N-1 (anywhere, at once), then `--finish`.
    """
    steps = [
        name
        for name, on in (("--plan", plan), ("--partition", partition), ("--finish", finish or None))
        if on is not None
    ]
    if len(steps) > 1:
        raise click.UsageError(f"{' and '.join(steps)}: one step of a partitioned rebuild at a time")
    if max_records is not None and plan is None:
        raise click.UsageError("--max-records goes with --plan")
    catalogue, plans = container.catalogue, container.rebuild_plans
    with writing(container):  # one writer at a time: a rebuild beside a harvest would fight over the index
        if plan is not None:
            planned = catalogue.plan_rebuild(plans, run=run, partitions=plan, max_records=max_records)
            data = planned.as_dict()
            largest = data["largest_component"]
            emit(
                data,
                as_json,
                lambda: click.echo(
                    f"run {run}: {planned.records} records, {planned.components} components in {plan} partitions "
                    f"of {min(planned.partitions)} to {max(planned.partitions)} records; the largest component "
                    f"holds {largest['records']}"
                ),
            )
            return
        if partition is not None:
            result = catalogue.rebuild_partition(plans, run=run, partition=partition)
            done = {
                "run": run,
                "partition": partition,
                "records": result.records,
                "clusters": result.clusters,
                "deleted": result.deleted,
                "missing": result.missing,
            }
            emit(
                done,
                as_json,
                lambda: click.echo(
                    f"run {run} partition {partition}: {result.records} records in {result.clusters} clusters"
                ),
            )
            return
        stale = catalogue.finish_rebuild(plans, run=run) if finish else None
        if stale is None:
            catalogue.rebuild(workers=workers)
    data = {"records": container.record_store.count(), "clusters": container.cluster_store.count()}
    if stale is not None:
        data |= {"run": run, "stale_deleted": stale}
    emit(data, as_json, lambda: click.echo(f"{data['records']} records in {data['clusters']} clusters"))


@dedup.command("fit")
@click.option("--dry-run", is_flag=True, help="Fit and show the weights, but keep the model in use as it is.")
@json_option()
@click.pass_obj
def dedup_fit(container: Container, dry_run: bool, as_json: bool) -> None:
    """Fit the matcher's weights to every record of the hub, without labels, and keep them where every process
    that clusters reads them (the data folder; the raw archive's S3 bucket on AWS). Clusters made before keep
    their weights until `dedup rebuild` (which fits again itself)."""
    records = list(container.record_store.records())
    model = container.dedup.refit(records, keep=not dry_run)
    weights = {name: [round(model.weight(name, level), 2) for level in range(len(model.m[name]))] for name in model.m}
    data = {
        "fitted_on": model.fitted_on or "too few records or pairs: the prior beliefs",
        "prior": model.prior,
        "weights_bits": weights,
        "generic_titles": len(model.generic_titles),
        "kept": None if dry_run else container.match_models.where,
    }

    def text() -> None:
        if model.fitted_on:
            click.echo("fitted on " + ", ".join(f"{n:,} {k.replace('_', ' ')}" for k, n in model.fitted_on.items()))
        else:
            click.echo(f"{len(records)} records: too few records or candidate pairs to fit; the prior beliefs stand")
        click.echo(f"prior share of matches among candidate pairs: {model.prior:.4f}")
        for name, bits in weights.items():
            click.echo(f"  {name:8} " + "  ".join(f"{b:+.2f}" for b in bits) + "  (bits per level)")
        click.echo(f"{len(model.generic_titles)} generic titles")
        click.echo("dry run: nothing kept" if dry_run else f"kept in {data['kept']}; `consortium dedup rebuild` "
                   "clusters every record again with it")  # fmt: skip

    emit(data, as_json, text)
