"""The sample consortium end to end on the local defaults: harvest, cluster, index, search, explain."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    env = {**os.environ, "CONSORTIUM_DATA_DIR": str(tmp_path_factory.mktemp("var")),
           "CONSORTIUM_KEY_DIR": str(tmp_path_factory.mktemp("keys")),
           "CONSORTIUM_MEMBERS_FILE": str(ROOT / "members.toml")}  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "consortium", "run", "--once", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    env["RUN_REPORT"] = result.stdout
    return env


def cli(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "consortium", *args], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_sample_members_deduplicate(hub: dict[str, str]) -> None:
    report = json.loads(hub["RUN_REPORT"])
    assert report["records_per_member"] == {"riverside": 40, "lakeside": 48, "eastlake": 31, "westfield": 16}
    assert report["clusters_held_by_several_members"] >= 30
    assert report["clusters"] < 135


def test_a_search_shows_every_member_holding_a_work(hub: dict[str, str]) -> None:
    result = json.loads(cli(hub, "search", "introduction", "to", "algorithms", "--json"))
    top = result["hits"][0]
    assert top["title"] == "Introduction to algorithms"
    assert top["members"] == ["eastlake", "lakeside", "riverside", "westfield"]


def test_traditional_characters_find_the_simplified_catalogue(hub: dict[str, str]) -> None:
    result = json.loads(cli(hub, "search", "紅樓夢", "--facet", "member", "--json"))
    assert [h["title"] for h in result["hits"]] == ["红楼梦"]
    assert {f["value"] for f in result["facets"]["member"]} == {"eastlake", "lakeside"}


def test_a_translation_stays_a_separate_work(hub: dict[str, str]) -> None:
    result = json.loads(cli(hub, "search", "算法导论", "--json"))
    assert len(result["hits"]) == 1
    assert "riverside" not in result["hits"][0]["members"]


def test_a_translation_naming_its_original_is_in_the_originals_work_group(hub: dict[str, str]) -> None:
    [german] = json.loads(cli(hub, "search", "title:Struktur", "--json"))["hits"]
    assert german["language"] == "ger" and german["members"] == ["eastlake"]  # a manifestation of its own
    group = json.loads(cli(hub, "search", f"work:{german['work_id']}", "--json"))["hits"]
    assert {(hit["title"], hit["language"]) for hit in group} == {
        ("Die Struktur wissenschaftlicher Revolutionen", "ger"),
        ("The structure of scientific revolutions", "eng"),
    }


def test_explain_shows_keys_and_decision(hub: dict[str, str]) -> None:
    out = json.loads(cli(hub, "dedup", "explain", "riverside/9910000010103606", "westfield/wf000015", "--json"))
    assert out["match"] and "isbn:9780262033848" in out["shared_keys"]
    assert out["clusters"][0] == out["clusters"][1]
    text = cli(hub, "dedup", "explain", "riverside/9910000010103606", "eastlake/0120000009")
    assert "NO MATCH" in text and "clustered together: no" in text


def test_rebuild_gives_the_same_works(hub: dict[str, str]) -> None:
    before = json.loads(cli(hub, "search", "--page-size", "100", "--json"))["total"]
    out = json.loads(cli(hub, "dedup", "rebuild", "--json"))
    assert out["records"] == 135
    assert json.loads(cli(hub, "search", "--page-size", "100", "--json"))["total"] == out["clusters"]
    assert abs(out["clusters"] - before) <= 2
    # clustered by two worker processes while the command stores: the same works
    by_workers = json.loads(cli(hub, "dedup", "rebuild", "--workers", "2", "--json"))
    assert by_workers == out
    assert json.loads(cli(hub, "search", "--page-size", "100", "--json"))["total"] == out["clusters"]


def test_a_partitioned_rebuild_gives_the_works_of_the_one_shot_rebuild(hub: dict[str, str]) -> None:
    one_shot = json.loads(cli(hub, "dedup", "rebuild", "--json"))
    plan = json.loads(cli(hub, "dedup", "rebuild", "--plan", "3", "--run", "cli-test", "--json"))
    assert plan["records"] == one_shot["records"] == sum(plan["partitions"]) and len(plan["partitions"]) == 3
    assert Path(hub["CONSORTIUM_DATA_DIR"], "rebuild", "cli-test", "plan.json").is_file()
    for index in range(3):
        done = json.loads(cli(hub, "dedup", "rebuild", "--partition", str(index), "--run", "cli-test", "--json"))
        assert done["records"] == plan["partitions"][index] and done["missing"] == 0
    finished = json.loads(cli(hub, "dedup", "rebuild", "--finish", "--run", "cli-test", "--json"))
    assert finished == {**one_shot, "run": "cli-test", "stale_deleted": 0}
    assert json.loads(cli(hub, "search", "--page-size", "100", "--json"))["total"] == one_shot["clusters"]
    both = subprocess.run([sys.executable, "-m", "consortium", "dedup", "rebuild", "--plan", "2", "--finish"],
                          env=hub, capture_output=True, text=True, check=False)  # fmt: skip
    assert both.returncode == 2 and "--plan and --finish: one step of a partitioned rebuild at a time" in both.stderr
    unplanned = subprocess.run([sys.executable, "-m", "consortium", "dedup", "rebuild", "--partition", "0", "--run",
                                "never"], env=hub, capture_output=True, text=True, check=False)  # fmt: skip
    assert unplanned.returncode == 1 and "no rebuild plan file never/plan.json (plan the run first)" in unplanned.stderr
