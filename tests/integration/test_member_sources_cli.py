"""A member's change to its sources, made through the core service the member API calls, is kept in the data
folder's SQLite file: a later ``consortium harvest`` (another process) and ``consortium members list`` see it, and
``consortium members revert`` gives the source back to members.toml."""

from __future__ import annotations

import json
from pathlib import Path

from test_cli import REGISTRY, cli, write_books

from consortium.bootstrap import bootstrap
from consortium.config import Settings


def test_a_paused_source_survives_restart_and_the_harvest_command_skips_it(tmp_path: Path) -> None:
    (tmp_path / "members.toml").write_text(REGISTRY, encoding="utf-8")
    write_books(tmp_path / "books.mrc", 5)
    settings = Settings(data_dir=tmp_path / "var", members_file=tmp_path / "members.toml")
    bootstrap(settings).member_sources.pause("riverside", "catalogue", actor_id="key-1", reason="new ILS")

    listed = cli(tmp_path, "members", "list")
    assert "catalogue\tmarc-file marc21" in listed.stdout and "\tpaused: new ILS" in listed.stdout
    harvest = cli(tmp_path, "harvest", "--json")
    assert harvest.returncode == 0, harvest.stderr
    [run] = json.loads(harvest.stdout)["runs"]
    assert (run["source"], run["paused"], run["added"]) == ("catalogue", "paused: new ILS", 0)
    assert "riverside/catalogue: not harvested (paused: new ILS)" in cli(tmp_path, "harvest").stdout

    reverted = cli(tmp_path, "members", "revert", "riverside", "catalogue")
    assert reverted.returncode == 0, reverted.stderr
    assert reverted.stdout == "riverside/catalogue: the member's changes are dropped; members.toml's settings apply\n"
    harvest = cli(tmp_path, "harvest", "--json")
    assert json.loads(harvest.stdout)["total"]["added"] == 5
    again = cli(tmp_path, "members", "revert", "riverside", "catalogue")
    assert again.returncode == 1 and "changed nothing of a source 'catalogue'" in again.stderr


def test_reverting_a_source_the_member_added_says_it_is_gone(tmp_path: Path) -> None:
    (tmp_path / "members.toml").write_text(REGISTRY, encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "var", members_file=tmp_path / "members.toml")
    source = {"id": "oai", "protocol": "oai-pmh", "url": "https://library.example.edu/oai", "format": "marcxml"}
    bootstrap(settings).member_sources.add("riverside", source, actor_id="key-1")
    assert "\n  oai\toai-pmh marcxml" in cli(tmp_path, "members", "list").stdout

    reverted = cli(tmp_path, "members", "revert", "riverside", "oai")
    assert reverted.returncode == 0, reverted.stderr
    assert reverted.stdout == (
        "riverside/oai: the member added it: it is gone from the registry (members.toml has no such source)\n"
    )
    assert "oai-pmh" not in cli(tmp_path, "members", "list").stdout
    bootstrap(settings).member_sources.pause("riverside", "catalogue", actor_id="key-1")
    reverted = cli(tmp_path, "members", "revert", "riverside", "catalogue", "--json")
    assert json.loads(reverted.stdout) == {"member": "riverside", "source": "catalogue", "in_registry": True}
    reverted = cli(tmp_path, "members", "revert", "riverside", "catalogue", "--json")
    assert reverted.returncode == 1 and "changed nothing of a source 'catalogue'" in reverted.stderr
