"""``consortium renormalize``: every stored record read again from the raw archive through today's normalizers,
and the records, works and search index brought up to date (:mod:`consortium.harvest.renormalize`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from consortium.cli.common import emit, json_option, writing
from consortium.harvest.renormalize import RenormalizeReport, renormalize
from consortium.members import SourceFormat

if TYPE_CHECKING:
    from consortium.bootstrap import Container

__all__ = ["renormalize_command"]


def _formats(values: tuple[str, ...]) -> dict[str, SourceFormat]:
    found: dict[str, SourceFormat] = {}
    for value in values:
        source, sep, fmt = value.partition("=")
        if not sep or fmt not in {f.value for f in SourceFormat}:
            known = ", ".join(f.value for f in SourceFormat)
            raise click.BadParameter(f"{value!r}: write SOURCE=FORMAT, FORMAT one of {known}", param_hint="--format")
        found[source] = SourceFormat(fmt)
    return found


@click.command("renormalize")
@click.option("--member", "member_id", help="Only this member's records.")
@click.option(
    "--format",
    "formats",
    multiple=True,
    metavar="SOURCE=FORMAT",
    help="The format of a source the registry does not name (an `import-...` source), e.g. import-cn-mrc=unimarc.",
)
@json_option()
@click.pass_obj
def renormalize_command(container: Container, member_id: str | None, formats: tuple[str, ...], as_json: bool) -> None:
    """Read every stored record's raw bytes again from the archive through today's normalizers (records harvested
    before uniform titles and work ids get them); the changed records, their works and the search index follow.
    A record that no longer normalizes is quarantined, naming it, and kept as it was."""
    chosen = _formats(formats)
    if member_id:
        container.registry.get(member_id)  # an unknown member is named, with the known ones
    shown = container.settings.backend == "local"  # on AWS the command runs as a task: its log shows the end

    def show(report: RenormalizeReport, total: int) -> None:
        if shown:
            click.echo(
                f"renormalize: {report.read:,} of {total:,} read, {report.changed:,} changed, "
                f"{report.quarantined:,} quarantined",
                err=True,
            )

    with writing(container):
        report = renormalize(
            container.record_store,
            container.archive,
            container.registry,
            container.harvester.normalize,
            container.catalogue.follow,
            member=member_id,
            formats=chosen,
            progress=show,
        )

    def text() -> None:
        click.echo(
            f"{report.read:,} records read again: {report.changed:,} changed, {report.unchanged:,} unchanged, "
            f"{report.quarantined:,} quarantined"
        )
        for line in report.quarantined_records:
            click.echo(f"  quarantined {line}")
        for reason, count in sorted(report.skipped.items()):
            click.echo(f"  skipped {count:,}: {reason}")

    emit(report.as_dict(), as_json, text)
