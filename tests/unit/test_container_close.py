"""A container closes the database files it opened, so a process that makes one after another (a test session, a
server stopped and started) does not run out of descriptors; what it was handed is left to its owner."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest
from factories import make_cluster
from fd_report import open_under

from consortium.adapters.local.sqlite_clusters import SqliteClusterStore
from consortium.bootstrap import bootstrap
from consortium.config import Settings
from consortium.dedup.state import ClusterChange
from consortium.errors import StorageError

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc to list open files")
def test_closing_a_container_releases_its_database_files(tmp_path: Path) -> None:
    hub = bootstrap(Settings(data_dir=tmp_path / "var", key_dir=tmp_path / "keys"))
    hub.cluster_store.apply(ClusterChange(saved=[make_cluster("w1", "红楼梦", ("riverside",))]))
    assert open_under(tmp_path / "var")
    hub.close()
    assert open_under(tmp_path / "var") == []
    with pytest.raises(StorageError):
        hub.cluster_store.get("w1")


def test_a_store_handed_to_the_container_stays_open(tmp_path: Path) -> None:
    store = SqliteClusterStore.open(tmp_path / "clusters.sqlite3")
    hub = bootstrap(Settings(data_dir=tmp_path / "var", key_dir=tmp_path / "keys"), cluster_store=store)
    hub.cluster_store.apply(ClusterChange(saved=[make_cluster("w1", "红楼梦", ("riverside",))]))
    hub.close()
    assert store.get("w1") is not None
    store.close()
