"""``consortium login``: a token from the hub's local signing key, for demo and test logins (local backend only;
on AWS readers and staff log in through Cognito)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import click

from consortium.auth.callers import StaffRole
from consortium.cli.common import emit, json_option

if TYPE_CHECKING:
    from consortium.bootstrap import Container

__all__ = ["OFFICE", "login"]


OFFICE = "consortium-office"
"""The member id of a consortium office token when ``--member`` is not given."""


@click.command()
@click.argument("subject")
@click.option("--member", help="The member library (a reader's home library; required with --role).")
@click.option(
    "--role",
    "roles",
    multiple=True,
    type=click.Choice([role.value for role in StaffRole]),
    help="A staff role: the token is then a staff account's of --member.",
)
@click.option("--hours", default=8, show_default=True, type=click.IntRange(1, 24 * 7), help="How long it is valid.")
@json_option()
@click.pass_obj
def login(
    container: Container, *, subject: str, member: str | None, roles: tuple[str, ...], hours: int, as_json: bool
) -> None:
    """Print a bearer token for SUBJECT: a reader (their id), or with --role a staff account of --member (the
    consortium office's with --role consortium-office alone: --member then names the office, by default
    consortium-office, not a member library). Send it as 'Authorization: Bearer <token>'."""
    office = bool(roles) and set(roles) == {StaffRole.CONSORTIUM_OFFICE.value}
    if office and not member:
        member = OFFICE
    if roles and not member:
        raise click.UsageError("a staff token needs --member")
    if member and not office:
        container.registry.get(member)
    lifetime = dt.timedelta(hours=hours)
    token = container.token_issuer.issue(subject, member=member, roles=[StaffRole(r) for r in roles], lifetime=lifetime)
    data = {"token": token, "subject": subject, "member": member, "roles": list(roles), "hours": hours}
    emit(data, as_json, lambda: click.echo(token))
