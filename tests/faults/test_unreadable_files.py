"""Files that are not what they say: empty files are refused, random bytes stop early, one broken binary record
is quarantined alone."""

from __future__ import annotations

import json
import random
from typing import TYPE_CHECKING

import pytest
from fault_table import Outcome, record
from hub_cli import cli, write_books

from consortium.harvest.formats.iso2709 import MOST_UNREADABLE_IN_A_ROW

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture
def hub(tmp_path: Path) -> Path:
    (tmp_path / "members.toml").write_text('[[members]]\nid = "riverside"\nname = "Riverside"\n', encoding="utf-8")
    return tmp_path


def _folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


@pytest.mark.parametrize(("fmt", "name"), [("marc21", "empty.mrc"), ("kbart", "empty.txt"), ("marcxml", "e.xml")])
def test_an_empty_file_is_refused(hub: Path, fmt: str, name: str) -> None:
    (hub / name).write_bytes(b"")
    result = cli(hub, "import", str(hub / name), "--member", "riverside", "--format", fmt)
    assert result.returncode == 1
    assert "is empty (0 bytes): there is nothing to harvest" in result.stderr
    assert "complete" not in result.stdout
    record(Outcome(f"0-byte {fmt} file", 0, 0, 0, 0, "refused: is empty (0 bytes)"))


def test_random_bytes_as_marc21_stop_early_with_a_bounded_quarantine(hub: Path) -> None:
    size = 4_000_000
    (hub / "noise.mrc").write_bytes(random.Random(7).randbytes(size))
    result = cli(hub, "import", str(hub / "noise.mrc"), "--member", "riverside", "--format", "marc21", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert not report["complete"]
    assert report["stopped"].startswith(f"not a MARC file: {MOST_UNREADABLE_IN_A_ROW} records in a row")
    assert report["added"] == 0 and report["quarantined"] == MOST_UNREADABLE_IN_A_ROW
    assert _folder_size(hub / "var") < 1_000_000  # the state holds the few chunks quarantined, not the file
    text = cli(hub, "import", str(hub / "noise.mrc"), "--member", "riverside", "--format", "marc21")
    assert "(incomplete: not a MARC file" in text.stdout
    record(Outcome("4 MB of random bytes as marc21", 0, 0, 0, report["quarantined"], "incomplete: not a MARC file"))


def test_one_broken_binary_record_mid_file_is_quarantined_alone(hub: Path) -> None:
    write_books(hub / "good.mrc", "r", 1000)
    data = (hub / "good.mrc").read_bytes()
    records = data.split(b"\x1d")[:-1]
    records[500] = b"00xyz" + records[500][5:]  # record 501's leader length is no number
    (hub / "books.mrc").write_bytes(b"".join(r + b"\x1d" for r in records))
    result = cli(hub, "import", str(hub / "books.mrc"), "--member", "riverside", "--format", "marc21", "--json")
    report = json.loads(result.stdout)
    assert (report["added"], report["quarantined"], report["complete"]) == (999, 1, True)
    found = json.loads(cli(hub, "search", "r", "book", "--json").stdout)["total"]
    assert found == 999
    record(Outcome("binary MARC: record 501 of 1,000 broken", 999, found, 999 - found, 1, "complete"))


def test_random_bytes_as_marcxml_are_not_complete(hub: Path) -> None:
    (hub / "noise.xml").write_bytes(b"<" + random.Random(8).randbytes(1_000_000))
    result = cli(hub, "import", str(hub / "noise.xml"), "--member", "riverside", "--format", "marcxml", "--json")
    report = json.loads(result.stdout)
    assert (report["added"], report["quarantined"], report["complete"]) == (0, 1, False)
    assert report["stopped"].startswith("the file cannot be read as MARCXML from record 1 on: malformed XML at line 1")
    record(Outcome("1 MB of random bytes as marcxml", 0, 0, 0, 1, "incomplete: cannot be read as MARCXML"))
