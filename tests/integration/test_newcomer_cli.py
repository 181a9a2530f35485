"""A newcomer's path through the ``consortium`` command, run as a user runs it (a real process): where the keys
live, how old ones move and how the key file is rotated, the ids a search shows, a work's member records, a
first digest, empty listings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

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


def test_rotating_then_retiring_the_key_file_keeps_every_reader_and_drops_the_old_key(tmp_path: Path) -> None:
    for reader in ("r1", "r2"):
        ok(tmp_path, "reader", "create", reader, "--member", "riverside", "--declare", "class:clc:TP312")
    before = json.loads((tmp_path / "keys" / "kek.json").read_text())
    backup = (tmp_path / "var").with_name("var-before")  # a copy of the data folder taken before rotating
    subprocess.run(["cp", "-a", str(tmp_path / "var"), str(backup)], check=True)

    rotated = ok(tmp_path, "keys", "rotate")
    assert rotated["moved"] == 2 and rotated["current"] != before["current"]
    said = cli(tmp_path, "keys", "retire")
    assert said.returncode == 0, said.stderr
    assert f"retired: {before['current']}" in said.stdout
    after = json.loads((tmp_path / "keys" / "kek.json").read_text())
    assert list(after["keys"]) == [rotated["current"]]
    assert "class:clc:TP312" in json.dumps(ok(tmp_path, "reader", "show", "r2"))
    old_copy = cli(tmp_path, "reader", "show", "r1", data_dir=str(backup))
    assert old_copy.returncode == 1 and before["current"] in old_copy.stderr  # the copy no longer opens


def test_a_key_folder_inside_the_data_folder_is_refused(tmp_path: Path) -> None:
    refused = cli(tmp_path, "reader", "create", "r1", "--member", "riverside", key_dir=str(tmp_path / "var" / "k"))
    assert refused.returncode == 1
    assert "CONSORTIUM_KEY_DIR" in refused.stderr and "CONSORTIUM_ALLOW_KEYS_IN_DATA_DIR" in refused.stderr


@pytest.fixture(scope="module")
def sample_hub(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample members harvested once (``consortium run --once``), as ``make run`` does first."""
    hub = tmp_path_factory.mktemp("sample-hub")
    ok(hub, "run", "--once")
    return hub


def test_run_says_what_to_try_next_with_the_command_as_installed(sample_hub: Path) -> None:
    script = Path(sys.executable).with_name("consortium")  # what `make run` starts: .venv/bin/consortium
    env = {**ROOT_ENV, "CONSORTIUM_DATA_DIR": str(sample_hub / "var"), "CONSORTIUM_KEY_DIR": str(sample_hub / "keys")}
    env["PATH"] = "/usr/bin:/bin"  # the virtualenv is not on PATH
    done = subprocess.run([str(script), "run", "--once"], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    after = done.stdout.partition("try next")[2]
    assert f"{script} search" in after and f"{script} push subscribe" in after
    assert "activate" in after  # how to have it on PATH


def test_search_shows_the_work_ids_that_the_other_commands_take(sample_hub: Path) -> None:
    found = ok(sample_hub, "search", "introduction", "to", "algorithms")
    work = found["hits"][0]["cluster_id"]
    assert work in cli(sample_hub, "search", "introduction", "to", "algorithms").stdout

    records = ok(sample_hub, "dedup", "records", work)
    keys = [record["record"] for record in records["records"]]
    assert len(keys) == 4 and all("/" in key for key in keys)  # held by all four members
    text = cli(sample_hub, "dedup", "records", work).stdout
    assert keys[0] in text and "consortium dedup explain" in text
    explained = ok(sample_hub, "dedup", "explain", keys[0], keys[1])
    assert explained["match"] is True

    unknown = cli(sample_hub, "dedup", "records", "no-such-work")
    assert unknown.returncode == 1 and "no-such-work" in unknown.stderr


def test_a_new_subscription_can_start_with_a_digest_of_recent_works(sample_hub: Path) -> None:
    work = ok(sample_hub, "search", "introduction", "to", "algorithms")["hits"][0]["cluster_id"]
    for reader in ("fresh", "eager"):
        ok(sample_hub, "reader", "create", reader, "--member", "riverside", "--consent", "personalization,push")
        ok(sample_hub, "reader", "event", reader, "--type", "borrow", "--cluster", work)

    plain = cli(sample_hub, "push", "subscribe", "fresh", "interested_new", "--channel", "inbox")
    assert plain.returncode == 0, plain.stderr
    assert "from now on" in plain.stdout and "--since 30d" in plain.stdout

    eager = cli(sample_hub, "push", "subscribe", "eager", "interested_new", "--channel", "inbox", "--since", "30d")
    assert eager.returncode == 0, eager.stderr
    assert "the last 30 days" in eager.stdout and "push run" in eager.stdout
    too_far = cli(sample_hub, "push", "subscribe", "eager", "interested_new", "--channel", "inbox", "--since", "400d")
    assert too_far.returncode != 0 and "62 days" in too_far.stderr

    report = ok(sample_hub, "push", "run")
    assert report["digests_planned"] == 1 and report["digests_empty"] == 0
    inbox = ok(sample_hub, "push", "inbox", "eager")
    assert inbox and inbox[0]["digest"]["items"]


def test_empty_listings_say_so(sample_hub: Path) -> None:
    ok(sample_hub, "reader", "create", "quiet", "--member", "riverside", "--consent", "push")
    said = {
        "history": cli(sample_hub, "push", "history", "quiet").stdout,
        "inbox": cli(sample_hub, "push", "inbox", "quiet").stdout,
        "mute": cli(sample_hub, "push", "mute", "quiet").stdout,
        "subscriptions": cli(sample_hub, "push", "subscriptions", "quiet").stdout,
    }
    assert "nothing pushed to quiet yet" in said["history"]
    assert "quiet's inbox is empty" in said["inbox"]
    assert "quiet has muted nothing" in said["mute"]
    assert "quiet has no subscriptions" in said["subscriptions"]
    assert ok(sample_hub, "push", "history", "quiet") == []  # JSON stays a plain empty list


def test_explain_shows_each_comparisons_weight_learnt_by_a_rebuild(sample_hub: Path) -> None:
    found = ok(sample_hub, "search", "introduction", "to", "algorithms")
    keys = [r["record"] for r in ok(sample_hub, "dedup", "records", found["hits"][0]["cluster_id"])["records"]]
    before = cli(sample_hub, "dedup", "explain", keys[0], keys[1]).stdout
    assert "weights: the prior beliefs" in before
    assert cli(sample_hub, "dedup", "rebuild").returncode == 0
    assert (sample_hub / "var" / "dedup_model.json").exists()
    found = ok(sample_hub, "search", "introduction", "to", "algorithms")
    keys = [r["record"] for r in ok(sample_hub, "dedup", "records", found["hits"][0]["cluster_id"])["records"]]
    after = cli(sample_hub, "dedup", "explain", keys[0], keys[1])
    assert "weights learnt from this hub's records" in after.stdout, after.stdout
    assert "learnt weights, in bits" in after.stdout and "title: exact +" in after.stdout
    assert "authors, same list: adjusted by term frequency" in after.stdout, after.stdout
    explained = ok(sample_hub, "dedup", "explain", keys[0], keys[1])
    assert explained["match"] is True and explained["model"]["records"] > 100
    assert set(explained["weights"]) == {"title", "authors", "year", "venue", "pages", "isbn", "parts"}
    assert explained["weights"]["title"]["exact"] > explained["weights"]["title"]["differ"]
    assert explained["term_frequencies"]["title"]["level"] == "exact"


def test_search_options_out_of_range_are_named_as_typed(sample_hub: Path) -> None:
    facet = cli(sample_hub, "search", "algorithms", "--facet", "member", "--facet", "colour")
    assert facet.returncode == 2
    assert "Invalid value for '--facet': 'colour' is not one of 'member', 'format', 'language'" in facet.stderr
    page = cli(sample_hub, "search", "algorithms", "--page", "0")
    assert page.returncode == 2 and "Invalid value for '--page': 0" in page.stderr
    size = cli(sample_hub, "search", "algorithms", "--page-size", "500")
    assert size.returncode == 2 and "Invalid value for '--page-size': 500 is not in the range 1<=x<=100" in size.stderr
    shown = cli(sample_hub, "search", "algorithms", "--facet", "member", "--facet", "year")
    assert shown.returncode == 0 and "member: riverside (2)" in shown.stdout and "year: " in shown.stdout


def test_harvest_of_one_source_id_takes_the_members_that_have_it(sample_hub: Path) -> None:
    done = ok(sample_hub, "harvest", "--source", "catalogue")  # eastlake has none: it is not asked for one
    assert sorted(run["member"] for run in done["runs"]) == ["lakeside", "riverside", "westfield"]
    assert {run["source"] for run in done["runs"]} == {"catalogue"} and done["failed"] == []
    unknown = cli(sample_hub, "harvest", "--source", "catalog")
    assert unknown.returncode == 1
    assert unknown.stderr == "Error: no member has a source 'catalog' (sources: catalogue, cnmarc, eresources)\n"
    theirs = cli(sample_hub, "harvest", "--member", "eastlake", "--source", "catalogue")
    assert theirs.returncode == 1 and "member 'eastlake' has no source 'catalogue'" in theirs.stderr


def test_an_import_in_the_wrong_format_says_nothing_was_stored(tmp_path: Path) -> None:
    sample = Path(__file__).parents[2] / "samples" / "westfield.mrc"  # binary MARC21, imported as MARCXML
    wrong = cli(tmp_path, "import", str(sample), "--member", "westfield", "--format", "marcxml")
    assert wrong.returncode == 0, wrong.stderr  # the run itself is reported, as for any file
    assert "0 added" in wrong.stdout and "1 quarantined" in wrong.stdout
    assert "nothing stored: every record read was quarantined" in wrong.stderr
    assert (
        "consortium quarantine --member westfield" in wrong.stderr and "is marcxml the file's format?" in wrong.stderr
    )
    right = cli(tmp_path, "import", str(sample), "--member", "westfield", "--format", "marc21")
    assert right.returncode == 0 and "16 added" in right.stdout and "nothing stored" not in right.stderr


def test_a_source_whose_file_is_missing_is_named_with_when_it_is_tried_again(tmp_path: Path) -> None:
    registry = tmp_path / "members.toml"
    registry.write_text(
        '[[members]]\nid = "northgate"\nname = "Northgate College Library"\n\n'
        '[[members.sources]]\nid = "catalogue"\nprotocol = "marc-file"\npath = "gone.mrc"\nformat = "marc21"\n',
        encoding="utf-8",
    )
    done = cli(tmp_path, "harvest", members_file=str(registry))
    assert done.returncode == 1
    assert "northgate/catalogue: FAILED: ConfigError: source 'catalogue': cannot read" in done.stdout
    assert "gone.mrc" in done.stdout and "(1 failure in a row; the scheduled harvest tries it again from" in done.stdout


def test_the_commands_help_says_where_to_start(tmp_path: Path) -> None:
    shown = cli(tmp_path, "--help")
    assert shown.returncode == 0
    text = " ".join(shown.stdout.split())  # as wrapped at any terminal width
    assert "Start with `consortium run --demo` (what `make run` starts)" in text
    assert "http://127.0.0.1:8000" in text and "CONSORTIUM_DATA_DIR (default ./var)" in text
    assert not (tmp_path / "var").exists()  # asking for help makes no data folder


def test_run_says_where_the_next_commands_find_a_relative_data_folder(tmp_path: Path) -> None:
    env = {**ROOT_ENV, "CONSORTIUM_KEY_DIR": str(tmp_path / "keys")}  # CONSORTIUM_DATA_DIR unset: ./var
    command = [sys.executable, "-m", "consortium", "run", "--once"]
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    after = done.stdout.partition("try next")[2]
    assert f"(from {tmp_path}, which holds the data folder; elsewhere, first" in after
    assert f"`export CONSORTIUM_DATA_DIR={tmp_path / 'var'}`)" in after

    absolute = cli(tmp_path, "run", "--once")  # a data folder given as an absolute path needs no such line
    assert absolute.returncode == 0 and "which holds the data folder" not in absolute.stdout


def test_an_unknown_push_service_is_named_with_the_known_ones(tmp_path: Path) -> None:
    wrong = cli(tmp_path, "push", "subscribe", "r1", "new_books", "--channel", "inbox")
    assert wrong.returncode == 2
    assert "Invalid value for 'SERVICE': 'new_books' is not one of 'new_in_class', 'interested_new'" in wrong.stderr
    assert "consortium push services" in " ".join(cli(tmp_path, "push", "subscribe", "--help").stdout.split())


def test_analytics_show_names_its_arguments_and_lists_their_values(tmp_path: Path) -> None:
    shown = cli(tmp_path, "analytics", "show", "--help")
    assert "analytics show [OPTIONS] TABLE METRIC" in shown.stdout
    text = " ".join(shown.stdout.split())
    assert "TABLE is one of total, member," in text and "METRIC one of searches, views, loans," in text
    wrong = cli(tmp_path, "analytics", "show", "member", "borrows")
    assert wrong.returncode == 2 and "Invalid value for 'METRIC': 'borrows' is not one of 'searches'" in wrong.stderr


def test_a_reader_not_found_is_named_at_the_command_line(tmp_path: Path) -> None:
    gone = cli(tmp_path, "reader", "show", "nobdy")
    assert gone.returncode == 1
    assert gone.stderr == "Error: no such reader (never created, or erased): reader 'nobdy'\n"
    assert "reader 'nobdy'" in cli(tmp_path, "push", "inbox", "nobdy").stderr
