"""An administrator's first hour with the ``consortium`` command, run as they run it (a real process): settings
given wrong on purpose, and an address the server cannot take, each refused in one line naming what to change,
before any work is done."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path

ROOT_ENV = {k: v for k, v in os.environ.items() if not k.upper().startswith("CONSORTIUM_")}

REGISTRY = """
[[members]]
id = "northbank"
name = "Northbank University Library"

[[members.sources]]
id = "catalogue"
protocol = "marc-file"
path = "exports/northbank.mrc"
format = "marc21"
"""


@pytest.fixture
def hub(tmp_path: Path) -> Path:
    (tmp_path / "members.toml").write_text(REGISTRY, encoding="utf-8")
    return tmp_path


def cli(hub: Path, *args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    """``consortium ARGS`` with the hub's data and key folders and registry, and ``variables`` set as given."""
    env = {
        **ROOT_ENV,
        "CONSORTIUM_DATA_DIR": str(hub / "var"),
        "CONSORTIUM_KEY_DIR": str(hub / "keys"),
        "CONSORTIUM_MEMBERS_FILE": str(hub / "members.toml"),
        **variables,
    }
    return subprocess.run(
        [sys.executable, "-m", "consortium", *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def refused_in_one_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("Error: ") and done.stderr.count("\n") == 1, done.stderr
    return done.stderr


def test_a_misspelt_setting_is_refused_before_the_hub_makes_a_data_folder_elsewhere(hub: Path) -> None:
    done = cli(hub, "harvest", CONSORTIUM_DATADIR=str(hub / "meant"))
    message = refused_in_one_line(done)
    assert "CONSORTIUM_DATADIR (did you mean CONSORTIUM_DATA_DIR?)" in message
    assert not (hub / "var").exists() and not (hub / "meant").exists()


def test_a_setting_given_a_wrong_value_is_named_by_its_variable(hub: Path) -> None:
    message = refused_in_one_line(cli(hub, "members", "list", CONSORTIUM_BACKEND="lcoal"))
    assert "CONSORTIUM_BACKEND='lcoal': Input should be 'local' or 'aws'" in message


def test_a_commands_help_is_readable_whatever_the_environment(hub: Path) -> None:
    for bad in ({"CONSORTIUM_BACKEND": "lcoal"}, {"CONSORTIUM_DATADIR": "x"}):
        done = cli(hub, "run", "--help", **bad)
        assert done.returncode == 0, done.stderr
        assert "Usage: python -m consortium run" in done.stdout


def test_a_port_in_use_is_refused_before_the_harvest(hub: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = cli(hub, "run", "--workers", "1", "--port", str(port))
    message = refused_in_one_line(done)
    assert f"cannot serve the API on 127.0.0.1:{port}: Address already in use (choose another with --port)" in message
    assert done.stdout == ""  # no harvest, no summary: the harvest of a large consortium takes hours


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_host_that_does_not_resolve_is_named_not_a_traceback(hub: Path, workers: str) -> None:
    done = cli(hub, "run", "--workers", workers, "--host", "hub.invalid", "--port", "0")
    message = refused_in_one_line(done)
    assert "cannot serve the API on hub.invalid:0" in message and "(check --host)" in message
