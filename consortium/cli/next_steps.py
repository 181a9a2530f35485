"""What ``consortium run`` suggests trying next, with the command as the user can type it and a real work of
their data: search, a work's member records, a reader, a first digest."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from consortium.cli.common import command_name
from consortium.errors import ConsortiumError

if TYPE_CHECKING:
    from consortium.bootstrap import Container

__all__ = ["next_steps"]


def next_steps(container: Container, reader: tuple[str, str] | None = None) -> list[str]:
    """Lines of commands to try next, over the works just harvested (none when nothing was); with ``reader``
    (a demo reader's id and member), commands about that reader instead of making one.

    Example
    -------
    >>> next_steps(hub)[0]
    'try next, in another terminal (the command is .venv/bin/consortium; `. .venv/bin/activate` puts ...'
    """
    shared = container.cluster_store.most_shared(1)
    if not shared:
        return []
    work = shared[0]
    try:
        member = container.registry.members[0].id
    except (ConsortiumError, IndexError):
        member = work.members[0] if work.members else "MEMBER"
    command = command_name()
    where = "" if command == "consortium" else f" (the command is {command}"
    if command.endswith("/bin/consortium"):
        where += f"; `. {command.removesuffix('/consortium')}/activate` puts consortium on PATH)"
    elif where:
        where += ")"
    words = " ".join(work.title.split()[:3])
    steps = [
        (f'search "{words}"', "works, each with its work id"),
        (f"dedup records {work.cluster_id}", "a work's member records (MEMBER/ID, for dedup explain)"),
    ]
    if reader is not None:
        steps += [
            (f"reader show {reader[0]}", "a demo reader's consents and interests, declared and learned"),
            (f"push inbox {reader[0]}", "what was pushed to them, each with its reason"),
            (f"reader export {reader[0]}", "everything the hub keeps about them"),
        ]
    else:
        steps += [
            (f"reader create r1 --member {member} --consent personalization,push", "a demo reader"),
            (f"reader event r1 --type borrow --cluster {work.cluster_id}", "something they borrowed"),
            ("push subscribe r1 interested_new --channel inbox --since 30d", "a first digest of the last 30 days"),
            ("push run", "plan and deliver the due digests"),
            ("push inbox r1", "what r1 got"),
        ]
    width = max(len(step) for step, _ in steps)
    data_dir = container.settings.data_dir
    relative = (
        []
        if data_dir.is_absolute()
        else [
            f"  (from {Path.cwd()}, which holds the data folder; elsewhere, first "
            f"`export CONSORTIUM_DATA_DIR={data_dir.resolve()}`)"
        ]
    )
    return [
        f"try next, in another terminal{where}:",
        *relative,
        *(f"  {command} {step.ljust(width)}  {why}" for step, why in steps),
    ]
