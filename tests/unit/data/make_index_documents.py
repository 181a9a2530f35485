"""Writes ``index_documents.jsonl.gz`` beside this file: clusters and the index documents the hub made of them.

The clusters are the sample members' works (``members.toml`` and ``samples/``, harvested into a fresh hub), the
search tests' corpus and 200 of ``bench/oai_hub_a.py``'s made-up works. The documents were written by the code
of commit ``bb00103`` (``index_document`` and the tantivy adapter's document, as ``to_dict`` gives it), before
the document building was made faster: ``tests/unit/test_index_documents.py`` holds today's code to them.

Run from the repository root (it overwrites the file)::

    PYTHONPATH=$PWD:$PWD/tests:$PWD/bench .venv/bin/python tests/unit/data/make_index_documents.py
"""

from __future__ import annotations

import gzip
import json
import os
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
OUT = Path(__file__).with_name("index_documents.jsonl.gz")


def sample_clusters(tmp: Path) -> list[Any]:
    from consortium.bootstrap import bootstrap
    from consortium.config import Settings

    members = (
        (ROOT / "members.toml").read_text(encoding="utf-8").replace('path = "samples/', f'path = "{ROOT}/samples/')
    )
    (tmp / "members.toml").write_text(members, encoding="utf-8")
    hub = bootstrap(Settings(data_dir=tmp / "var", members_file=tmp / "members.toml", key_dir=tmp / "keys"))
    for member in hub.registry.members:
        for source in member.sources:
            hub.harvester.harvest_source(member, source)
    return sorted(hub.cluster_store.clusters(), key=lambda c: c.cluster_id)


def main() -> None:
    from oai_hub_a import make_works
    from search_corpus import corpus

    from consortium.adapters.local import TantivySearchIndex
    from consortium.search.document import index_document

    os.environ.pop("CONSORTIUM_DATA_DIR", None)
    with tempfile.TemporaryDirectory() as name:
        clusters = [*sample_clusters(Path(name)), *corpus(), *make_works(200, seed=5)]
    index = TantivySearchIndex(None)
    entries = [
        {
            "cluster": json.loads(cluster.model_dump_json()),
            "document": index_document(cluster),
            "tantivy": index._document(cluster).to_dict(),
        }
        for cluster in clusters
    ]
    lines = (json.dumps(entry, ensure_ascii=False, sort_keys=True, separators=(",", ":")) for entry in entries)
    OUT.write_bytes(gzip.compress("".join(f"{line}\n" for line in lines).encode("utf-8"), mtime=0))
    print(f"{len(entries)} clusters written to {OUT}")


if __name__ == "__main__":
    main()
