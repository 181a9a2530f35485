"""Files that would empty a member's catalogue, and a harvest killed while withdrawing: a complete file cut at a
record boundary reads as valid, so withdrawals of most of a source are withheld; a file cut inside a record is not
complete and withdraws nothing; a run killed between two pages of withdrawals converges when it resumes."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from fault_table import Outcome, record
from hub_cli import cli, write_books

from consortium.bootstrap import bootstrap
from consortium.config import Settings
from consortium.harvest.service import HarvestService

if TYPE_CHECKING:
    from pathlib import Path

    from consortium.harvest.state import PageCommit

REGISTRY = (
    '[[members]]\nid = "riverside"\nname = "Riverside"\n\n'
    '[[members.sources]]\nid = "catalogue"\nprotocol = "marc-file"\npath = "books.mrc"\nformat = "marc21"\n'
)


def _search_total(tmp_path: Path) -> int:
    result = cli(tmp_path, "search", "--json")
    assert result.returncode == 0, result.stderr
    return int(json.loads(result.stdout)["total"])


def _harvest(tmp_path: Path, *extra: str) -> dict[str, object]:
    result = cli(tmp_path, "harvest", "--member", "riverside", "--source", "catalogue", "--json", *extra)
    assert result.returncode == 0, result.stderr
    [run] = json.loads(result.stdout)["runs"]
    return dict(run)


def test_a_file_cut_at_a_record_boundary_withdraws_nothing_and_says_how_to_confirm(tmp_path: Path) -> None:
    (tmp_path / "members.toml").write_text(REGISTRY, encoding="utf-8")
    write_books(tmp_path / "books.mrc", "r", 1000)
    assert _harvest(tmp_path)["added"] == 1000
    data = (tmp_path / "books.mrc").read_bytes()
    records = data.split(b"\x1d")[:-1]
    (tmp_path / "books.mrc").write_bytes(b"".join(r + b"\x1d" for r in records[:300]))  # a transfer cut short
    run = _harvest(tmp_path)
    assert (run["complete"], run["unchanged"], run["withdrawn"], run["withheld"]) == (True, 300, 0, 700)
    assert run["confirm"] == "consortium harvest --member riverside --source catalogue --confirm-withdrawals"
    line = cli(tmp_path, "harvest", "--member", "riverside").stdout
    assert "700 record(s) of riverside/catalogue are not in this file and were not withdrawn" in line
    assert "--confirm-withdrawals" in line
    found = _search_total(tmp_path)
    assert found == 1000
    record(
        Outcome("complete file cut at a record boundary (300 of 1,000)", 1000, found, 1000 - found, 0, "700 withheld")
    )


def test_a_file_cut_inside_a_record_is_incomplete_and_withdraws_nothing(tmp_path: Path) -> None:
    (tmp_path / "members.toml").write_text(REGISTRY, encoding="utf-8")
    write_books(tmp_path / "books.mrc", "r", 1000)
    assert _harvest(tmp_path)["added"] == 1000
    data = (tmp_path / "books.mrc").read_bytes()
    (tmp_path / "books.mrc").write_bytes(data[: len(data) // 10])  # a tenth, ending inside a record
    run = _harvest(tmp_path)
    assert (run["complete"], run["withdrawn"], run["withheld"]) == (False, 0, 0)
    found = _search_total(tmp_path)
    assert found == 1000
    record(Outcome("file cut inside record 101 of 1,000", 1000, found, 1000 - found, 1, "incomplete, none withdrawn"))


class Killed(BaseException):
    """The process dies (a BaseException, as SIGKILL would leave nothing to catch)."""


def test_a_harvest_killed_while_withdrawing_converges_when_it_resumes(tmp_path: Path) -> None:
    (tmp_path / "members.toml").write_text(REGISTRY, encoding="utf-8")
    write_books(tmp_path / "books.mrc", "r", 1000)
    assert _harvest(tmp_path)["added"] == 1000
    data = (tmp_path / "books.mrc").read_bytes()
    records = data.split(b"\x1d")[:-1]
    (tmp_path / "books.mrc").write_bytes(b"".join(r + b"\x1d" for r in records[:600]))  # 400 weeded

    settings = Settings(data_dir=tmp_path / "var", members_file=tmp_path / "members.toml")
    hub = bootstrap(settings)
    store = hub.record_store
    withdrawing = [0]

    class Dying:
        def commit(self, page: PageCommit) -> int:
            withdrawing[0] += any(c.record is None for c in page.changes)
            if withdrawing[0] == 3:
                raise Killed  # pages 1 and 2 of withdrawals are committed and followed; the process dies
            return store.commit(page)

        def __getattr__(self, name: str) -> object:
            return getattr(store, name)

    dying = HarvestService(Dying(), hub.archive, page_size=100, on_commit=hub.catalogue.follow)  # type: ignore[arg-type]
    member = hub.registry.get("riverside")
    try:
        dying.harvest_source(member, member.source("catalogue"))
    except Killed:
        pass
    hub.close()
    halfway = _search_total(tmp_path)
    assert halfway == 800  # 200 withdrawn (two pages of 100) and unindexed with them, 200 to go

    run = _harvest(tmp_path)
    assert (run["resumed"], run["complete"], run["withdrawn"], run["withheld"]) == (True, True, 400, 0)
    found = _search_total(tmp_path)
    assert found == 600
    record(
        Outcome("killed while withdrawing 400 of 1,000 (after 200)", 600, found, 600 - found, 0, "resumed, converged")
    )
