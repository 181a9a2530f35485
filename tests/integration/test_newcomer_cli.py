"""A newcomer's path through the ``consortium`` command, run as a user runs it (a real process): where the keys
live and how old ones move, the ids a search shows, a work's member records, a first digest, empty listings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pathlib import Path

ROOT_ENV = {k: v for k, v in os.environ.items() if not k.startswith("CONSORTIUM_")}


def cli(hub: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    """``consortium ARGS`` over the data folder ``hub/var``, keys in ``hub/keys`` unless ``settings`` say more."""
    env = {**ROOT_ENV, "CONSORTIUM_DATA_DIR": str(hub / "var"), "CONSORTIUM_KEY_DIR": str(hub / "keys")}
    env |= {f"CONSORTIUM_{name.upper()}": value for name, value in settings.items()}
    return subprocess.run(
        [sys.executable, "-m", "consortium", *args], capture_output=True, text=True, env=env, timeout=300, check=False
    )


def ok(hub: Path, *args: str, **settings: str) -> Any:
    done = cli(hub, *args, "--json", **settings)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture
def old_hub(tmp_path: Path) -> Path:
    """A data folder made before the key setting: its keys in ``var/keys``, one reader with a declared interest."""
    old = {"key_dir": str(tmp_path / "var" / "keys"), "allow_keys_in_data_dir": "true"}
    ok(tmp_path, "reader", "create", "r1", "--member", "riverside", "--declare", "class:clc:TP312", **old)
    return tmp_path


def test_keys_in_the_old_place_stop_every_command_until_moved(old_hub: Path) -> None:
    refused = cli(old_hub, "reader", "show", "r1")
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1 and "consortium keys move" in refused.stderr
    assert not (old_hub / "keys").exists()  # no new key beside the old data

    started = cli(old_hub, "run", "--once")
    assert started.returncode == 1 and "consortium keys move" in started.stderr
    assert "records per member" not in started.stdout  # refused before harvesting anything

    moved = cli(old_hub, "keys", "move")
    assert moved.returncode == 0, moved.stderr
    assert str(old_hub / "keys") in moved.stdout
    assert not (old_hub / "var" / "keys").exists()
    shown = ok(old_hub, "reader", "show", "r1")
    assert "class:clc:TP312" in json.dumps(shown)


def test_a_key_folder_inside_the_data_folder_is_refused(tmp_path: Path) -> None:
    refused = cli(tmp_path, "reader", "create", "r1", "--member", "riverside", key_dir=str(tmp_path / "var" / "k"))
    assert refused.returncode == 1
    assert "CONSORTIUM_KEY_DIR" in refused.stderr and "CONSORTIUM_ALLOW_KEYS_IN_DATA_DIR" in refused.stderr
