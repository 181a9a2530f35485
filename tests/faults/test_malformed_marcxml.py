"""One malformed record in a MARCXML file: only that record is quarantined, every valid record after it is kept,
and a file cut short is never reported complete."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from fault_table import Outcome, record
from hub_cli import cli
from marc_builders import book, marcxml_collection

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

COUNT = 2000
BROKEN = 1001


def _replace(good: bytes, bad: bytes) -> Callable[[bytes], bytes]:
    def broken(data: bytes) -> bytes:
        assert data.count(good) == 1
        return data.replace(good, bad)

    return broken


def _without_end_tag(data: bytes) -> bytes:
    end = data.index(b"</record>", data.index(b"xb01001 book"))
    return data[:end] + data[end + len(b"</record>") :]


BREAKS = {
    "a bare ampersand": _replace(b'<subfield code="a">xb01001 book', b'<subfield code="a">xb01001 & book'),
    "an unclosed subfield": _replace(b"xb01001 book 1001 /</subfield>", b"xb01001 book 1001 /"),
    "a control character": _replace(b"xb01001 book", b"xb01001\x0b book"),
    "a missing </record>": _without_end_tag,
}


@pytest.fixture
def hub(tmp_path: Path) -> Path:
    (tmp_path / "members.toml").write_text('[[members]]\nid = "riverside"\nname = "Riverside"\n', encoding="utf-8")
    return tmp_path


def _collection() -> bytes:
    records = [book(f"xb{i:05}", f"xb{i:05} book {i}") for i in range(1, COUNT + 1)]
    # One record per line, as exporters write them.
    return marcxml_collection(*records).replace(b"<record", b"\n<record")


@pytest.mark.parametrize("fault", list(BREAKS))
def test_one_malformed_record_is_quarantined_alone(hub: Path, fault: str) -> None:
    (hub / "books.xml").write_bytes(BREAKS[fault](_collection()))
    result = cli(hub, "import", str(hub / "books.xml"), "--member", "riverside", "--format", "marcxml", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["added"], report["quarantined"], report["complete"]) == (COUNT - 1, 1, True)
    [quarantined] = json.loads(cli(hub, "quarantine", "--json").stdout)
    assert quarantined["position"] == f"books.xml#{BROKEN}" and "malformed XML" in quarantined["reason"]
    found = json.loads(cli(hub, "search", "xb01002", "--json").stdout)["total"]
    assert found == 1  # the record right after the broken one
    record(
        Outcome(
            f"MARCXML: record {BROKEN} of {COUNT:,} broken ({fault})",
            COUNT - 1,
            report["added"],
            COUNT - 1 - report["added"],
            report["quarantined"],
            "complete",
        )
    )


def test_a_file_cut_inside_a_record_is_not_complete(hub: Path) -> None:
    data = _collection()
    cut = data.index(b"xb01001 book")
    (hub / "books.xml").write_bytes(data[:cut])
    result = cli(hub, "import", str(hub / "books.xml"), "--member", "riverside", "--format", "marcxml", "--json")
    report = json.loads(result.stdout)
    assert (report["added"], report["quarantined"], report["complete"]) == (BROKEN - 1, 1, False)
    assert "ends inside record 1001" in report["stopped"]
    record(Outcome("MARCXML: file cut inside record 1001", BROKEN - 1, report["added"], 0, 1, "incomplete"))
