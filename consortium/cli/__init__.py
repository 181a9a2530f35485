"""The ``consortium`` command, for operators and tests. Every subcommand that prints a result takes ``--json``.

One module per command group: :mod:`~consortium.cli.members`, :mod:`~consortium.cli.harvest` (``harvest``,
``import``), :mod:`~consortium.cli.quarantine`, :mod:`~consortium.cli.lists` (subject librarians' lists),
:mod:`~consortium.cli.renormalize`, :mod:`~consortium.cli.search`,
:mod:`~consortium.cli.dedup`, :mod:`~consortium.cli.run`, :mod:`~consortium.cli.reader`, :mod:`~consortium.cli.push` and
:mod:`~consortium.cli.keys`, :mod:`~consortium.cli.login` and :mod:`~consortium.cli.api` (``openapi``, and
the API server of ``run``); what they share (the one error mapping, ``--json`` output) is in
:mod:`~consortium.cli.common`.
"""

from __future__ import annotations

import logging
import sys

import click

from consortium.bootstrap import bootstrap
from consortium.bootstrap.environment import check_environment
from consortium.cli.analytics import analytics
from consortium.cli.api import openapi
from consortium.cli.common import HubGroup
from consortium.cli.dedup import dedup
from consortium.cli.harvest import harvest, import_
from consortium.cli.index import reindex
from consortium.cli.keys import keys
from consortium.cli.lists import lists
from consortium.cli.login import login
from consortium.cli.members import members
from consortium.cli.push import push
from consortium.cli.quarantine import quarantine
from consortium.cli.reader import reader
from consortium.cli.renormalize import renormalize_command
from consortium.cli.run import run
from consortium.cli.search import search

__all__ = ["main"]


@click.group(cls=HubGroup)
@click.option("-v", "--verbose", is_flag=True, help="Log what the hub does (never personal data).")
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """The consortium hub: harvest member libraries into one deduplicated, personalized discovery service.

    Start with `consortium run --demo` (what `make run` starts): it harvests the sample members of members.toml,
    makes four demo readers, and serves the portal and the API on http://127.0.0.1:8000 (the API's reference at
    /docs) until Ctrl-C. State lives in CONSORTIUM_DATA_DIR (default ./var). Each command's --help says more, and
    so does README.md ("Command line").
    """
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    # pymarc warns on every odd indicator; the quarantine reasons already say what matters.
    logging.getLogger("pymarc").setLevel(logging.ERROR)
    if "--help" in sys.argv[1:]:
        return  # a command's help is readable whatever the environment holds (no command runs)
    check_environment()  # a misspelt CONSORTIUM_ variable is refused, not ignored (CONSORTIUM_DATADIR: a new ./var)
    ctx.obj = bootstrap()
    ctx.call_on_close(ctx.obj.close)  # its database files, when the command is done (a caller may run many)


_COMMANDS = (
    members,
    harvest,
    import_,
    quarantine,
    lists,
    renormalize_command,
    search,
    reindex,
    dedup,
    run,
    reader,
    push,
    analytics,
    keys,
    login,
    openapi,
)
for _command in _COMMANDS:
    main.add_command(_command)
