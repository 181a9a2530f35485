"""The hub's SRU service queried by Debian's ``yaz-client`` (Index Data's YAZ, a client no one here wrote) over
HTTP on 127.0.0.1, with CQL, over the embedded search engine (tantivy): hit counts, records in MARCXML and Dublin
Core, paging, booleans and diagnostics, as yaz-client shows them. ``make test`` installs yaz when it is missing."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from provider_hub import Hub, generated_books, sample_books
from provider_server import ProviderServer

from consortium.adapters.local import TantivySearchIndex

pytestmark = pytest.mark.skipif(
    shutil.which("yaz-client") is None, reason="yaz-client is not installed (Debian package yaz; make test installs it)"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> ProviderServer:
    hub = Hub(index=TantivySearchIndex(tmp_path_factory.mktemp("index")))
    hub.add(*sample_books())
    hub.add(*generated_books(30))
    with ProviderServer(hub.published, hub.clock) as running:
        yield running  # type: ignore[misc]


def yaz(server: ProviderServer, *commands: str) -> list[str]:
    """What yaz-client prints for each command (SRU 2.0 over GET, CQL queries), one string per command; ``-f
    /dev/null`` keeps it from reading a ``.yazclientrc`` of the working or home folder."""
    script = "\n".join(["sru get 2.0", f"open {server.sru_url}", "querytype cql", *commands, "quit"]) + "\n"
    done = subprocess.run(
        ["yaz-client", "-f", "/dev/null"], input=script, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split("Z> ")[4:-1]  # after the prompts of the three set-up commands


def hits(output: str) -> int:
    found = re.search(r"Number of hits: (\d+)", output)
    assert found is not None, output
    return int(found.group(1))


def test_yaz_finds_and_shows_marcxml_records(server: ProviderServer) -> None:
    found, shown = yaz(server, "find title = algorithms or 红楼梦", "show 1+2")
    assert "Received SRW SearchRetrieve Response" in found and hits(found) == 2
    assert shown.count("schema=info:srw/schema/1/marcxml-v1.1") == 2
    assert "Introduction to algorithms" in shown and "红楼梦" in shown
    assert '<datafield tag="852" ind1=" " ind2=" "><subfield code="a">eastlake</subfield>' in shown


def test_yaz_with_dublin_core_and_booleans(server: ProviderServer) -> None:
    found, shown, negated, shown_negated = yaz(
        server,
        "schema dc",
        "find dc.creator = melville",
        "show 1",
        "find (subject = whaling) not (author = melville)",
        "show 1",
    )[1:]
    assert hits(found) == 1 and "<dc:title>Moby Dick</dc:title>" in shown
    assert "schema=info:srw/schema/1/dc-v1.1" in shown
    assert hits(negated) == 1 and "<dc:title>Whaling voyages</dc:title>" in shown_negated


def test_yaz_pages_through_results(server: ProviderServer) -> None:
    found, first, second = yaz(server, 'find title all "generated shelf"', "show 1+3", "show 29+5")
    assert hits(found) == 30
    assert [int(p) for p in re.findall(r"pos=(\d+)", first)] == [1, 2, 3]
    assert [int(p) for p in re.findall(r"pos=(\d+)", second)] == [29, 30]


def test_yaz_shows_diagnostics_naming_the_problem(server: ProviderServer) -> None:
    masked, unknown, unbalanced = yaz(server, "find title = mob*", "find publisher = mit", "find (moby")
    assert "SRW diagnostic info:srw/diagnostic/1/28" in masked and "masking (*)" in masked
    assert "SRW diagnostic info:srw/diagnostic/1/16" in unknown and "Details: publisher" in unknown
    assert "SRW diagnostic info:srw/diagnostic/1/13" in unbalanced
