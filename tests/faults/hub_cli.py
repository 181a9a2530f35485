"""Running the ``consortium`` command in the fault suite: a data folder, a registry, a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING

from marc_builders import book

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

__all__ = ["cli", "environment", "running", "three_members", "write_books"]


def environment(tmp_path: Path) -> dict[str, str]:
    """The environment of a hub whose state and registry live in ``tmp_path``."""
    return {
        **os.environ,
        "CONSORTIUM_DATA_DIR": str(tmp_path / "var"),
        "CONSORTIUM_MEMBERS_FILE": str(tmp_path / "members.toml"),
    }


def cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``consortium ARGS`` to completion."""
    return subprocess.run(
        [sys.executable, "-m", "consortium", *args],
        capture_output=True,
        text=True,
        env=environment(tmp_path),
        timeout=300,
        check=False,
    )


def write_books(path: Path, prefix: str, count: int) -> None:
    """``count`` binary MARC21 books with control numbers ``<prefix>00000``..."""
    path.write_bytes(b"".join(book(f"{prefix}{i:05}", f"{prefix} book {i}").as_marc() for i in range(count)))


def three_members(tmp_path: Path, count: int) -> None:
    """A registry of three members, each with a source called ``catalogue`` (a file of ``count`` books)."""
    entries = []
    for member in ("riverside", "lakeside", "eastlake"):
        write_books(tmp_path / f"{member}.mrc", member[:2], count)
        entries.append(
            f'[[members]]\nid = "{member}"\nname = "{member.title()} Library"\n\n'
            f'[[members.sources]]\nid = "catalogue"\nprotocol = "marc-file"\npath = "{member}.mrc"\n'
            'format = "marc21"\n'
        )
    (tmp_path / "members.toml").write_text("\n".join(entries), encoding="utf-8")


@contextmanager
def running(tmp_path: Path, *args: str) -> Iterator[subprocess.Popen[str]]:
    """``consortium ARGS`` running in the background (stdout and stderr piped), killed if still running after."""
    process = subprocess.Popen(
        [sys.executable, "-m", "consortium", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(tmp_path),
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()
