"""What every command group of the command line shares: the error mapping, output as text or JSON, the
``--json`` option, and the acting librarian."""

from __future__ import annotations

import json
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
import pydantic

from consortium.adapters.local.writer_lock import DataFolderLock
from consortium.bootstrap.follower import wait_for_followers
from consortium.errors import ConsortiumError, field_errors
from consortium.profiles.models import Actor, ActorRole

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from consortium.bootstrap import Container

__all__ = ["LIBRARIAN", "HubGroup", "command_name", "emit", "json_option", "writing"]

F = TypeVar("F", bound="Callable[..., Any]")

LIBRARIAN = Actor(actor_id="librarian", role=ActorRole.MEMBER_STAFF)
"""Who acts in ``consortium reader`` and ``consortium push`` commands: a member library's staff, at the
reader's request."""


class HubGroup(click.Group):
    """The top command group: a :class:`~consortium.errors.ConsortiumError` raised by any command below it
    stops the command with the error's message as one line on stderr (``Error: ...``) and exit status 1; so does
    a value one of the hub's models refuses (its fields named, :func:`~consortium.errors.field_errors`).

    It is the one place errors are mapped: commands let the hub's errors propagate.

    Example
    -------
    >>> @click.group(cls=HubGroup)
    ... def main() -> None: ...
    """

    def invoke(self, ctx: click.Context) -> Any:
        """Run the group and the command chosen, turning the hub's errors into a usage-free click error."""
        try:
            return super().invoke(ctx)
        except ConsortiumError as exc:
            raise click.ClickException(_named(exc)) from exc
        except pydantic.ValidationError as exc:  # a value the hub's models refuse: name the field, not a dump
            raise click.ClickException(f"{exc.title}: {field_errors(exc)}") from exc


def _named(error: ConsortiumError) -> str:
    """The error's message, with the reader it is about when the message does not name them: the API says "no
    such reader" alike to every caller, so that a member learns nothing of others' readers; the operator at the
    command line typed the id, and sees which one was not found (``reader show nobdy``)."""
    reader = error.details.get("reader_id")
    if isinstance(reader, str) and reader not in error.message:
        return f"{error.message}: reader {reader!r}"
    return error.message


def json_option(help_text: str | None = None) -> Callable[[F], F]:
    """The ``--json`` flag every command takes, passed to it as ``as_json``.

    Parameters
    ----------
    help_text
        The option's help, when it says more than the default.

    Example
    -------
    >>> @click.command()
    ... @json_option()
    ... def status(as_json: bool) -> None: ...
    """
    return click.option("--json", "as_json", is_flag=True, help=help_text or "Print the result as JSON.")


def emit(data: Any, as_json: bool, text: Callable[[], None]) -> None:
    """Print ``data`` as JSON with ``--json``, else run ``text`` (which prints it for people)."""
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    else:
        text()


def command_name() -> str:
    """How to type this command again, as it was started: ``consortium`` when that is on ``PATH`` (the same
    script), else the path it was started by (``.venv/bin/consortium`` under ``make run``), or
    ``python -m consortium``.

    Example
    -------
    >>> command_name()  # started as .venv/bin/consortium, the virtualenv not activated
    '.venv/bin/consortium'
    """
    started = Path(sys.argv[0])
    if started.name != "consortium":
        return "python -m consortium"
    on_path = shutil.which("consortium")
    if on_path is not None and Path(on_path).resolve() == started.resolve():
        return "consortium"
    return str(started)


@contextmanager
def writing(container: Container) -> Iterator[None]:
    """Around a command that harvests or imports: on the local backend, wait for any other process writing to
    the data folder (saying so on stderr), then rebuild the search index if an older release wrote it in
    another layout (from the stored works, keeping their ids), and let it catch up with what the store committed
    but a process that died did not index, before the command writes.

    Example
    -------
    >>> with writing(container):
    ...     container.harvester.harvest_source(member, source)
    """
    if container.settings.backend != "local":
        yield
        return
    folder = container.settings.data_dir

    def waiting(holder: str) -> None:
        click.echo(f"waiting: another process ({holder}) is writing to {folder}; going on when it is done", err=True)

    stop = container.harvester.should_stop  # consortium run's: a stop ends the wait (Interrupted)
    with DataFolderLock(folder / "writer.lock", on_wait=waiting, should_stop=stop):
        wait_for_followers(folder, stop)  # one a killed harvest left may still be finishing a batch
        if container.catalogue.reindex_if_needed():
            click.echo("the search index was in an older layout, or empty: rebuilt from the stored works", err=True)
        container.harvester.catch_up()
        yield
