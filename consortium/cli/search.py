"""``consortium search``: the consortium's works, as the discovery portal searches them."""

from __future__ import annotations

from typing import TYPE_CHECKING, get_args

import click

from consortium.cli.common import emit, json_option
from consortium.search.query import MAX_PAGE_SIZE, FacetName, parse_query_string
from consortium.search.suggestions import search_with_suggestions

if TYPE_CHECKING:
    from consortium.bootstrap import Container

__all__ = ["search"]


@click.command()
@click.argument("query", nargs=-1)
@click.option("--page", default=1, show_default=True, type=click.IntRange(min=1), help="Page of results.")
@click.option(
    "--page-size",
    default=10,
    show_default=True,
    type=click.IntRange(1, MAX_PAGE_SIZE),
    help=f"Results per page (at most {MAX_PAGE_SIZE}).",
)
@click.option("--member", "boost_member", help="The reader's own library: its holdings come first.")
@click.option(
    "--facet",
    "facets",
    multiple=True,
    type=click.Choice(get_args(FacetName)),
    help="Facet counts to show (repeat for more than one).",
)
@json_option()
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
    lang:, class:, year:2010-2017 (quote phrases). Each work shows its id (what `dedup records` and
    `reader event --cluster` take)."""
    parsed = parse_query_string(
        " ".join(query), page=page, page_size=page_size, boost_member=boost_member, facets=list(facets)
    )
    result = search_with_suggestions(container.search_index, parsed)

    def text() -> None:
        click.echo(f"{result.total} works")
        for number, hit in enumerate(result.hits, start=(result.page - 1) * result.page_size + 1):
            authors = "; ".join(hit.authors[:2])
            click.echo(
                f"{number:3}. {hit.title} / {authors} ({hit.year or 'n.d.'}) [{hit.format}] {', '.join(hit.members)}"
            )
            click.echo(f"     work {hit.cluster_id}")
        for name, counts in result.facets.items():
            click.echo(f"{name}: " + ", ".join(f"{c.value} ({c.count})" for c in counts))
        if result.hits:
            click.echo("a work's member records: consortium dedup records WORK; a reader's event: --cluster WORK")
        for suggestion in result.suggestions:
            click.echo(f"try: consortium search '{suggestion.q}'  ({suggestion.message})")

    emit(result.model_dump(mode="json"), as_json, text)
