"""What stands between a member's file sources and their next harvest: the files the registry names, checked."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from consortium.members import Member, MemberRegistry, Source

__all__ = ["file_problems"]


def _defect(path: Path) -> str | None:
    if not path.exists():
        return "does not exist"
    if not path.is_file():
        return "is a folder, not a file" if path.is_dir() else "is not a regular file"
    if not os.access(path, os.R_OK):
        return "cannot be read by this user"
    if path.stat().st_size == 0:
        return "is empty (0 bytes)"
    return None


def file_problems(registry: MemberRegistry) -> list[tuple[Member, Source, str]]:
    """What stands between each file source and its next harvest, as ``(member, source, message)``: a ``path``
    (or ``holdings`` file) that does not exist (yet: a vendor's nightly drop may bring it), that is a folder, that
    cannot be read or that is empty. The registry is valid without its files; a harvest of such a source fails,
    naming the file.

    Example
    -------
    >>> [message for _, _, message in file_problems(registry)]
    ["member 'riverside', source 'catalogue', field 'path': /srv/exports/riverside.mrc does not exist"]
    """
    problems = []
    for member in registry.members:
        for source in member.sources:
            for field, path in (("path", source.path), ("holdings", source.holdings)):
                defect = _defect(path) if path is not None else None
                if defect is not None:
                    where = f"member {member.id!r}, source {source.id!r}, field {field!r}"
                    problems.append((member, source, f"{where}: {path} {defect}"))
    return problems
