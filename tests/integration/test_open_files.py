"""What the hub opens it closes: a process that serves the API and stops, or runs one command after another (a
test session, a hub restarted in place, a script calling the command line), is left none of their database
files, threads or connections."""

from __future__ import annotations

import concurrent.futures
import io
import os
import sys
import threading
from typing import TYPE_CHECKING

import pytest
import requests
from click.testing import CliRunner
from factories import make_cluster
from fd_report import open_under

from consortium.bootstrap import bootstrap
from consortium.cli import main
from consortium.cli.api import start_server
from consortium.config import Settings
from consortium.dedup.state import ClusterChange
from consortium.http.server import APPS, LocalGateway, load_module, unload_module

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc to list open files")


def _imports() -> set[str]:
    """The apps' imports the local server made (``load_module``'s names)."""
    return {name for name in sys.modules if name.startswith("consortium_local_")}


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data folder with one work, the one the settings (and so the served apps) read."""
    monkeypatch.setenv("CONSORTIUM_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CONSORTIUM_KEY_DIR", str(tmp_path / "keys"))
    container = bootstrap()
    container.cluster_store.apply(ClusterChange(saved=[make_cluster("w1", "红楼梦", ("riverside", "lakeside"))]))
    container.close()
    assert open_under(tmp_path) == []
    return tmp_path


def test_a_stopped_server_leaves_no_file_thread_connection_or_import(data: Path) -> None:
    threads_before, imports_before = set(threading.enumerate()), _imports()
    container = bootstrap()
    server, thread = start_server(container, "127.0.0.1", 0, threads=4)
    base = f"http://127.0.0.1:{server.effective_port}"
    sessions = [requests.Session() for _ in range(8)]  # each keeps its connection alive

    def work(session: requests.Session) -> int:
        return session.get(f"{base}/works/w1", timeout=10).status_code

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(3):
            assert list(pool.map(work, sessions)) == [200] * 8
    container.close()
    assert open_under(data), "the check sees the files the server's threads hold"

    server.close()
    thread.join(timeout=10)

    assert not thread.is_alive()  # its loop ended though clients still hold their connections
    assert open_under(data) == []
    assert [t.name for t in set(threading.enumerate()) - threads_before if t.is_alive()] == []
    assert _imports() == imports_before
    for session in sessions:
        session.close()


def test_a_thread_releases_its_imports_and_the_gateway_the_rest(data: Path) -> None:
    imports_before = _imports()
    gateway = LocalGateway(lambda name: load_module(Settings().functions_dir, name), APPS)
    assert _imports() == imports_before  # reading the routes left no import behind

    def ask() -> None:
        """Ask for the work through the gateway in this thread: its imports of the apps, their stores open."""
        statuses: list[str] = []
        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/works/w1", "wsgi.input": io.BytesIO()}
        gateway(environ, lambda status, headers, *rest: statuses.append(status))
        assert statuses == ["200 OK"]

    def ask_and_release() -> None:
        ask()
        assert open_under(data)
        gateway.release_thread()
        assert open_under(data) == []

    worker = threading.Thread(target=ask_and_release)
    worker.start()
    worker.join()
    assert _imports() == imports_before

    ask()  # this thread's, closed by close()
    assert open_under(data)
    gateway.close()
    assert open_under(data) == []
    assert _imports() == imports_before


def test_unloading_an_app_closes_the_container_it_built(data: Path) -> None:
    module = load_module(Settings().functions_dir, "discovery")
    assert module.container().cluster_store.get("w1") is not None
    assert open_under(data)

    unload_module(module)

    assert open_under(data) == []
    assert module.__name__ not in sys.modules


def test_each_command_closes_the_databases_it_opened(data: Path) -> None:
    runner = CliRunner()
    for args in (["reader", "create", "r1", "--member", "riverside"], ["reader", "show", "r1"], ["search", "红楼梦"]):
        result = runner.invoke(main, args)
        assert result.exit_code == 0, result.output
        assert open_under(data) == [], args
