"""`consortium dedup fit` keeps the fitted weights in the data folder, where explain and the incremental path read
them; `consortium renormalize` reads every sample record again from the raw archive (MARC files and OAI-PMH
records) and finds nothing to change right after a harvest by the same normalizers. Run as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT_ENV = {k: v for k, v in os.environ.items() if not k.startswith("CONSORTIUM_")}


def ok(hub: Path, *args: str) -> Any:
    env = {**ROOT_ENV, "CONSORTIUM_DATA_DIR": str(hub / "var"), "CONSORTIUM_KEY_DIR": str(hub / "keys")}
    done = subprocess.run(
        [sys.executable, "-m", "consortium", *args, "--json"],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def sample_hub(tmp_path_factory: pytest.TempPathFactory) -> Path:
    hub = tmp_path_factory.mktemp("sample-hub")
    ok(hub, "run", "--once")
    return hub


def test_fit_keeps_the_weights_where_explain_reads_them(sample_hub: Path) -> None:
    kept = sample_hub / "var" / "dedup_model.json"
    trial = ok(sample_hub, "dedup", "fit", "--dry-run")
    assert trial["kept"] is None and not kept.exists()
    assert trial["fitted_on"]["records"] > 100 and set(trial["weights_bits"]) >= {"title", "authors", "year"}
    fitted = ok(sample_hub, "dedup", "fit")
    assert fitted["kept"] == str(kept) and kept.exists()
    assert json.loads(kept.read_text())["fitted_on"] == fitted["fitted_on"]
    found = ok(sample_hub, "search", "introduction", "to", "algorithms")
    records = ok(sample_hub, "dedup", "records", found["hits"][0]["cluster_id"])["records"]
    explained = ok(sample_hub, "dedup", "explain", records[0]["record"], records[1]["record"])
    assert explained["model"] == fitted["fitted_on"] and explained["model_kept"] == str(kept)


def test_renormalize_reads_every_record_again_from_the_archive(sample_hub: Path) -> None:
    stored = ok(sample_hub, "search", "")["total"]
    assert stored > 0
    report = ok(sample_hub, "renormalize")
    assert report["read"] >= 135 and report["skipped"] == {}
    assert (report["changed"], report["quarantined"]) == (0, 0), report
    assert report["unchanged"] == report["read"]
