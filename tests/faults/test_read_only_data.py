"""A data folder the hub may read but not write (a read-only mount, a backup opened to look at): every command
either works or says in one line what it could not do; none ends in a traceback.

The folder is a read-only tmpfs mount, the only way to refuse writes to root (file modes do not); where this
machine does not allow mounting, the tests are skipped and say so."""

from __future__ import annotations

import shutil
import subprocess
from typing import TYPE_CHECKING

import pytest
import tantivy
from fault_table import Outcome, record
from hub_cli import cli, three_members

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


def _mount(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["mount", *args], capture_output=True, text=True, check=False, timeout=30)


@pytest.fixture
def read_only_hub(tmp_path: Path) -> Iterator[Path]:
    """A hub harvested into a tmpfs mounted at ``var``, with a reader, then remounted read-only."""
    if shutil.which("mount") is None:
        pytest.skip("no mount command: a read-only data folder cannot be made here")
    data = tmp_path / "var"
    data.mkdir()
    mounted = _mount("-t", "tmpfs", "tmpfs", str(data))
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN): {mounted.stderr.strip()}")
    try:
        three_members(tmp_path, 20)
        assert cli(tmp_path, "run", "--once").returncode == 0
        created = cli(tmp_path, "reader", "create", "r1", "--member", "riverside", "--consent", "personalization")
        assert created.returncode == 0, created.stderr
        yield tmp_path
    finally:
        _mount("-o", "remount,rw", str(data))
        subprocess.run(["umount", str(data)], check=False, timeout=30)


def _read_only(hub: Path) -> None:
    remounted = _mount("-o", "remount,ro", str(hub / "var"))
    assert remounted.returncode == 0, remounted.stderr


COMMANDS = [
    ("quarantine",),
    ("search", "book"),
    ("members", "list"),
    ("reader", "export", "r1"),
    ("push", "inbox", "r1"),
    ("run", "--once"),
]


def test_every_command_on_a_read_only_data_folder_works_or_says_why_in_one_line(read_only_hub: Path) -> None:
    _read_only(read_only_hub)
    for command in COMMANDS:
        result = cli(read_only_hub, *command)
        assert "Traceback" not in result.stderr, f"{' '.join(command)}:\n{result.stderr}"
        if result.returncode != 0:
            errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
            assert len(errors) == 1, f"{' '.join(command)}: {result.stderr}"
            assert str(read_only_hub / "var") in errors[0], f"the error names the folder: {errors[0]}"
    searched = cli(read_only_hub, "search", "book")
    assert searched.returncode == 1 and "the folder is read-only" in searched.stderr
    record(Outcome("read-only data folder", 60, 60, 0, 0, "refused in one line naming the file"))


def test_an_index_of_another_version_on_a_read_only_folder_is_one_line(read_only_hub: Path) -> None:
    """The index would be rebuilt by a writing command; here it cannot even be replaced, and says so."""
    index = read_only_hub / "var" / "index"
    shutil.rmtree(index)
    index.mkdir()
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("something_else", stored=True)
    tantivy.Index(builder.build(), str(index))
    _read_only(read_only_hub)
    result = cli(read_only_hub, "search", "book")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "written by another version of the hub" in result.stderr
    assert "consortium run --once" in result.stderr
