"""An OAI-PMH server that does not answer (a closed port on 127.0.0.1): its source fails, named by member and
source, and the member's other source and the other members are harvested."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from typing import TYPE_CHECKING

from fault_table import Outcome, record
from hub_cli import environment, write_books

if TYPE_CHECKING:
    from pathlib import Path


def _closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_server_fails_its_source_only(tmp_path: Path) -> None:
    write_books(tmp_path / "riverside.mrc", "r", 25)
    write_books(tmp_path / "lakeside.mrc", "l", 15)
    url = f"http://127.0.0.1:{_closed_port()}/oai"
    (tmp_path / "members.toml").write_text(
        '[[members]]\nid = "riverside"\nname = "Riverside"\n\n'
        f'[[members.sources]]\nid = "oai"\nprotocol = "oai-pmh"\nurl = "{url}"\nformat = "marcxml"\n\n'
        '[[members.sources]]\nid = "catalogue"\nprotocol = "marc-file"\npath = "riverside.mrc"\nformat = "marc21"\n\n'
        '[[members]]\nid = "lakeside"\nname = "Lakeside"\n\n'
        '[[members.sources]]\nid = "catalogue"\nprotocol = "marc-file"\npath = "lakeside.mrc"\nformat = "marc21"\n',
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "consortium", "harvest", "--json"],
        capture_output=True,
        text=True,
        env={**environment(tmp_path), "CONSORTIUM_HTTP_MAX_RETRIES": "1", "CONSORTIUM_HTTP_TIMEOUT": "5"},
        timeout=300,
        check=False,
    )
    assert result.returncode == 1  # a source failed; the others were harvested all the same
    data = json.loads(result.stdout)
    assert [(r["member"], r["source"], r["added"]) for r in data["runs"]] == [
        ("riverside", "catalogue", 25),
        ("lakeside", "catalogue", 15),
    ]
    [failure] = data["failed"]
    assert (failure["member"], failure["source"]) == ("riverside", "oai")
    assert failure["error"].startswith(f"UpstreamError: {url} still failing after 2 tries (ConnectionError)")
    record(
        Outcome(
            "OAI-PMH server unreachable (closed port)", 40, data["total"]["added"], 0, 0, "riverside/oai failed; 2 ran"
        )
    )
