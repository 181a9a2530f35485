"""``consortium reindex``: the search index rebuilt from the stored works, when its layout changed or on demand."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from consortium.cli.common import emit, json_option, writing

if TYPE_CHECKING:
    from consortium.bootstrap import Container

__all__ = ["reindex"]


@click.command()
@click.option("--force", is_flag=True, help="Rebuild even when the index is in this release's layout.")
@json_option()
@click.pass_obj
def reindex(container: Container, force: bool, as_json: bool) -> None:
    """Rebuild the search index from the stored works (nothing is clustered again; works keep their ids) when it
    is in an older release's layout, or with --force. Searches keep being answered from the old index until the
    new one takes its place (OpenSearch: an alias swap); what other processes change meanwhile is indexed again
    afterwards. On AWS this is what the reindex function runs after a deployment with a new index template."""
    indexed = 0
    with writing(container):  # locally, opening the writer lock already rebuilds an index of an older layout
        if force or getattr(container.search_index, "needs_rebuild", False):
            indexed = container.catalogue.reindex_if_needed(force=True)
    data = {"indexed": indexed, "works": container.cluster_store.count()}
    emit(
        data,
        as_json,
        lambda: click.echo(
            f"rebuilt the search index: {indexed} works" if indexed else "the search index is current: nothing to do"
        ),
    )
