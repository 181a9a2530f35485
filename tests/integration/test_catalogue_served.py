"""The catalogue out through the hub's own server (the discovery app's ``/oai`` and ``/sru`` routes, as
``consortium run`` serves them): sickle harvests the sample members' works over the token chain, yaz-client
searches them by SRU. The handlers' own suites (test_oai_sickle, test_sru_yaz) go deeper on a stand-in server."""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import TYPE_CHECKING

import pytest
import requests
from sickle import Sickle

from consortium.bootstrap import bootstrap
from consortium.cli.api import start_server
from consortium.cli.harvest import harvest_all

if TYPE_CHECKING:
    from collections.abc import Iterator

    from consortium.bootstrap import Container


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Container, str]]:
    folder = tmp_path_factory.mktemp("served")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CONSORTIUM_DATA_DIR", str(folder / "var"))
        env.setenv("CONSORTIUM_KEY_DIR", str(folder / "keys"))
        container = bootstrap()
        harvest_all(container)
        server, thread = start_server(container, "127.0.0.1", 0)
        yield container, f"http://127.0.0.1:{server.effective_port}"
        server.close()
        thread.join(timeout=10)
        container.close()


def test_sickle_harvests_every_work_through_the_hubs_server(served: tuple[Container, str]) -> None:
    container, base = served
    sickle = Sickle(f"{base}/oai", max_retries=0, timeout=60)
    assert sickle.Identify().repositoryName
    records = list(sickle.ListRecords(metadataPrefix="marc21", ignore_deleted=True))
    assert len(records) == container.cluster_store.count() > 0
    sets = {s.setSpec for s in sickle.ListSets()}
    assert {"member:riverside", "member:lakeside"} <= sets
    riverside = list(sickle.ListIdentifiers(metadataPrefix="oai_dc", set="member:riverside"))
    assert 0 < len(riverside) < len(records)
    wrong = requests.get(f"{base}/oai", params={"verb": "ListRecords"}, timeout=30)
    assert wrong.status_code == 200 and 'code="badArgument"' in wrong.text  # OAI-PMH's own errors, in XML


@pytest.mark.skipif(shutil.which("yaz-client") is None, reason="yaz-client is not installed (make test installs it)")
def test_yaz_client_searches_the_hubs_sru_route(served: tuple[Container, str]) -> None:
    _, base = served
    title = requests.get(f"{base}/search", params={"q": "", "page_size": 1}, timeout=30).json()["hits"][0]["title"]
    word = max(re.findall(r"\w+", title), key=len)
    script = f"open {base}/sru\nsru get 2.0\nquerytype cql\nfind title = {word}\nshow 1\nquit\n"
    done = subprocess.run(
        ["yaz-client", "-f", "/dev/null"], input=script, capture_output=True, text=True, timeout=60, check=False
    )
    found = re.search(r"Number of hits: (\d+)", done.stdout)
    assert found is not None and int(found.group(1)) >= 1, done.stdout
    assert "schema=info:srw/schema/1/marcxml-v1.1" in done.stdout
