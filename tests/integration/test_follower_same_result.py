"""The follower process makes the same works and the same index documents as following in the harvest's own
process: the sample members harvested a few records a page, both ways, compared field by field (all but the ids
and times, which are new in each hub)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from consortium.bootstrap import bootstrap
from consortium.config import Settings
from consortium.search.document import index_document
from consortium.search.query import SearchQuery

ROOT = Path(__file__).resolve().parents[2]


def _harvest_samples(folder: Path, *, process: bool) -> tuple[list[str], int]:
    folder.mkdir()
    members = (ROOT / "members.toml").read_text(encoding="utf-8")
    (folder / "members.toml").write_text(members.replace('path = "samples/', f'path = "{ROOT}/samples/'), "utf-8")
    settings = Settings(
        data_dir=folder / "var",
        members_file=folder / "members.toml",
        key_dir=folder / "keys",
        harvest_page_size=7,
        harvest_follow_every=7,
        harvest_follow_process=process,
    )
    hub = bootstrap(settings)
    started: list[Any] = []
    if process:  # count the followers started (the harvest starts one for a run of more than one batch)
        start = hub.harvester.start_follower
        assert start is not None
        hub.harvester.start_follower = lambda: started.append(start()) or started[-1]
    for member in hub.registry.members:
        for source in member.sources:
            assert hub.harvester.harvest_source(member, source).complete
    assert bool(started) is process
    rows = []
    for cluster in hub.cluster_store.clusters():
        fields = json.loads(cluster.model_dump_json(exclude={"cluster_id", "first_seen", "updated_at"}))
        document = {
            k: v for k, v in index_document(cluster).items() if k not in {"cluster_id", "first_seen", "first_seen_us"}
        }
        rows.append(json.dumps([fields, document], sort_keys=True, ensure_ascii=False))
    return sorted(rows), hub.search_index.search(SearchQuery()).total


def test_the_follower_process_makes_the_same_works_and_documents(tmp_path: Path) -> None:
    followed, indexed = _harvest_samples(tmp_path / "follower", process=True)
    alone, indexed_alone = _harvest_samples(tmp_path / "alone", process=False)
    assert len(followed) == indexed == indexed_alone == len(alone) > 50
    assert followed == alone
