"""The light MARCXML reader (``marcxml_fields``, used for OAI-PMH pages) and the pymarc one read every record the
same: the same normalized record, or the same quarantine reason; over the sample members' MARCXML, the records
the OAI-PMH provider writes, and every MARCXML file in ``../shared/data`` (skipped, saying so, without it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from factories import raw_of
from lxml import etree
from provider_hub import Hub, generated_books, sample_books

from consortium.catalogue_out.marcxml import marcxml
from consortium.dedup.state import ClusterVersion
from consortium.errors import RecordError
from consortium.harvest.normalize.marc21 import normalize_marc21
from consortium.harvest.normalize.marcxml import MARCXML_NS, marcxml_fields, marcxml_to_pymarc

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)


def read_both(element: etree._Element) -> tuple[object, object]:
    results = []
    for reader in (marcxml_to_pymarc, marcxml_fields):
        try:
            marc = reader(element)
            results.append(normalize_marc21(marc, member="m", source_id="s", raw=raw_of("x"), local_id="id"))
        except RecordError as exc:
            results.append(f"quarantined: {exc}")
    return results[0], results[1]


def records_of(path: Path) -> list[etree._Element]:
    try:
        root = etree.parse(str(path), _PARSER).getroot()
    except etree.XMLSyntaxError:
        return []  # a broken file on purpose: the file reader's business, not the record reader's
    return list(root.iter(f"{{{MARCXML_NS}}}record", "record"))


def test_the_sample_members_marcxml_reads_the_same() -> None:
    elements = records_of(ROOT / "samples" / "lakeside.xml")
    assert len(elements) == 30
    for element in elements:
        pymarc_read, light_read = read_both(element)
        assert light_read == pymarc_read


def test_the_providers_records_read_the_same() -> None:
    hub = Hub()
    hub.add(*sample_books(), *generated_books(20))
    for cluster in hub.clusters.clusters():
        element = etree.fromstring(marcxml(ClusterVersion.of(cluster), cluster.holdings))
        pymarc_read, light_read = read_both(element)
        assert light_read == pymarc_read and not isinstance(light_read, str)


@pytest.mark.shared_data
@pytest.mark.skipif(not SHARED.is_dir(), reason=f"the shared data sets are not at {SHARED} (../shared/data)")
def test_every_shared_marcxml_record_reads_the_same() -> None:
    files = sorted(SHARED.rglob("*.xml"))
    compared = 0
    for path in files:
        for element in records_of(path):
            pymarc_read, light_read = read_both(element)
            assert light_read == pymarc_read, f"{path.relative_to(SHARED)} record {compared}"
            compared += 1
    assert compared > 100
