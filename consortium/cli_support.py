"""What every command group of the command line shares: output as text or JSON, errors, the acting librarian."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, NoReturn

import click

from consortium.profiles.models import Actor, ActorRole

if TYPE_CHECKING:
    from collections.abc import Callable

    from consortium.errors import ConsortiumError

__all__ = ["LIBRARIAN", "emit", "fail"]

LIBRARIAN = Actor(actor_id="librarian", role=ActorRole.MEMBER_STAFF)
"""Who acts in ``consortium reader`` and ``consortium push`` commands: a member library's staff, at the
reader's request."""


def emit(data: Any, as_json: bool, text: Callable[[], None]) -> None:
    """Print ``data`` as JSON with ``--json``, else run ``text`` (which prints it for people)."""
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    else:
        text()


def fail(exc: ConsortiumError) -> NoReturn:
    """Stop the command with the error's message (exit status 1)."""
    raise click.ClickException(str(exc)) from exc
