"""Bad input is refused with a clear reason, never accepted silently: searches with nothing to search for, and
a registry whose sharing policy names a member it does not have, and file sources whose file is not there
(accepted, since a file may arrive later, but named by ``members list`` and failing ``members list --check``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from hub_cli import cli, three_members

from consortium.search.query import InvalidQueryError, SearchQuery, parse_query_string

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.parametrize(
    ("typed", "field"), [("title:(", "title"), ("\\", "text"), ("author:--", "author"), ("( ) ?", "text")]
)
def test_a_search_with_no_word_to_search_for_is_refused(typed: str, field: str) -> None:
    with pytest.raises(InvalidQueryError, match="has no word to search for") as caught:
        parse_query_string(typed)
    assert caught.value.details["field"] == field


def test_searches_with_words_beside_punctuation_still_run() -> None:
    assert parse_query_string("C++ (").text == "C++ ("
    assert SearchQuery(text="").text == ""  # an empty query still lists every work
    assert parse_query_string("title:三体").title == "三体"


def test_the_search_command_refuses_what_it_cannot_search(tmp_path: Path) -> None:
    three_members(tmp_path, 3)
    assert cli(tmp_path, "import", str(tmp_path / "riverside.mrc"), "--member", "riverside",
               "--format", "marc21").returncode == 0  # fmt: skip
    result = cli(tmp_path, "search", "title:(")
    assert result.returncode == 1
    assert result.stderr.strip() == "Error: invalid search: title: '(' has no word to search for (only punctuation)"


def test_lend_to_members_naming_an_unknown_member_is_refused(tmp_path: Path) -> None:
    three_members(tmp_path, 1)
    registry = tmp_path / "members.toml"
    text = registry.read_text(encoding="utf-8")
    policy = 'sharing = { lend_to_members = ["riverside", "nowhere"] }\n'
    text = text.replace('name = "Lakeside Library"\n', 'name = "Lakeside Library"\n' + policy)
    registry.write_text(text, encoding="utf-8")
    result = cli(tmp_path, "members", "list")
    assert result.returncode == 1
    assert "member 'lakeside'" in result.stderr
    assert "lend_to_members names 'nowhere', not a member of the registry" in result.stderr


def test_a_file_source_whose_file_is_missing_is_named_by_the_registry_check(tmp_path: Path) -> None:
    three_members(tmp_path, 1)
    (tmp_path / "lakeside.mrc").unlink()
    (tmp_path / "eastlake.mrc").write_bytes(b"")
    registry = tmp_path / "members.toml"
    text = registry.read_text(encoding="utf-8").replace('path = "riverside.mrc"', 'path = "exports"')
    registry.write_text(text, encoding="utf-8")
    (tmp_path / "exports").mkdir()

    listed = cli(tmp_path, "members", "list")
    assert listed.returncode == 0, listed.stderr  # the registry loads: the files may arrive later
    assert "lakeside\tLakeside Library" in listed.stdout
    assert listed.stderr.splitlines() == [
        f"Warning: member 'riverside', source 'catalogue', field 'path': {tmp_path / 'exports'} is a folder, not a "
        "file: its harvests fail until it is there",
        f"Warning: member 'lakeside', source 'catalogue', field 'path': {tmp_path / 'lakeside.mrc'} does not exist: "
        "its harvests fail until it is there",
        f"Warning: member 'eastlake', source 'catalogue', field 'path': {tmp_path / 'eastlake.mrc'} is empty "
        "(0 bytes): its harvests fail until it is there",
    ]
    checked = cli(tmp_path, "members", "list", "--check", "--json")
    assert checked.returncode == 1
    assert checked.stderr.splitlines()[-1] == (
        "Error: 3 sources cannot be harvested as things are (see the warnings above)"
    )

    (tmp_path / "lakeside.mrc").write_bytes(b"00026     2200025   4500\x1e\x1d")  # the nightly drop arrives
    text = registry.read_text(encoding="utf-8").replace('path = "exports"', 'path = "riverside.mrc"')
    registry.write_text(text.replace('path = "eastlake.mrc"', 'path = "eastlake.mrc"\npaused = true'), "utf-8")
    settled = cli(tmp_path, "members", "list", "--check")
    assert settled.returncode == 0, settled.stderr
    assert settled.stderr == (
        f"Warning: member 'eastlake', source 'catalogue', field 'path': {tmp_path / 'eastlake.mrc'} is empty "
        "(0 bytes) (the source is paused: no harvest reads it until it is resumed)\n"
    )
