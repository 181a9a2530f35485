"""Export of a work through the API served on 127.0.0.1 (``consortium run``'s server): RIS and BibTeX read back by
a strict RIS check and by bibtexparser, MARCXML and binary MARC21 read back by pymarc with the members' holdings;
Chinese titles survive every format."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

import bibtexparser
import pymarc
import pytest
import requests
from citation_checks import read_ris
from factories import make_cluster

from consortium.bootstrap import bootstrap
from consortium.cli.api import start_server
from consortium.dedup.state import ClusterChange
from consortium.models import Availability, Holding

if TYPE_CHECKING:
    from collections.abc import Iterator

    from consortium.bootstrap import Container

ROOT_MEMBERS = Path(__file__).resolve().parents[2] / "members.toml"


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Container, str]]:
    # The demo members, eastlake keeping its holdings to itself.
    members = ROOT_MEMBERS.read_text(encoding="utf-8").replace(
        'path = "samples/', f'path = "{ROOT_MEMBERS.parent}/samples/'
    )
    eastlake = members.index('id = "eastlake"')
    members = members[:eastlake] + members[eastlake:].replace("share_holdings = true", "share_holdings = false", 1)
    (tmp_path / "members.toml").write_text(members, encoding="utf-8")
    monkeypatch.setenv("CONSORTIUM_MEMBERS_FILE", str(tmp_path / "members.toml"))
    monkeypatch.setenv("CONSORTIUM_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CONSORTIUM_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("CONSORTIUM_PUBLIC_URL", "https://hub.example.org/")
    container = bootstrap()
    holdings = [
        Holding(
            member="riverside", location="Main stacks", call_number="I242.4/C19", availability=Availability.ON_LOAN
        ),
        Holding(member="lakeside", location="Central", call_number="I242.4/C19b", availability=Availability.AVAILABLE),
        Holding(member="lakeside", url="https://ebooks.lakeside.example/hlm", coverage="全文"),
        Holding(member="eastlake", location="East", call_number="I242.4/2"),
    ]
    work = make_cluster(
        "hlm-1",
        "红楼梦",
        ("riverside", "lakeside", "eastlake"),
        subtitle="脂砚斋重评石头记",
        authors=["曹雪芹", "高鹗"],
        year=1982,
        language="chi",
        isbn="9787020002207",
        publisher="人民文学出版社",
        edition="第3版",
        subjects=["章回小说 — 中国 — 清代", "Chinese fiction & prose"],
        classes=["clc:I242.4"],
        holdings=holdings,
    )
    journal = make_cluster("nature", "Nature", ("riverside",), format="journal", issn="0028-0836", year=1869)
    container.cluster_store.apply(ClusterChange(saved=[work, journal]))
    server, thread = start_server(container, "127.0.0.1", 0)
    yield container, f"http://127.0.0.1:{server.effective_port}"
    server.close()
    thread.join(timeout=10)
    container.close()


def download(base: str, work: str, fmt: str, **headers: str) -> requests.Response:
    response = requests.get(f"{base}/works/{work}/export", params={"format": fmt}, headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    return response


def test_ris_downloads_as_an_attachment_and_reads_back(hub: tuple[Container, str]) -> None:
    _, base = hub
    response = download(base, "hlm-1", "ris")
    assert response.headers["Content-Type"] == "application/x-research-info-systems; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="hlm-1.ris"'
    (record,) = read_ris(response.content)
    assert record["TY"] == ["BOOK"]
    assert record["TI"] == ["红楼梦: 脂砚斋重评石头记"]
    assert record["AU"] == ["曹雪芹", "高鹗"]
    assert (record["PY"], record["PB"], record["ET"], record["LA"]) == (
        ["1982"],
        ["人民文学出版社"],
        ["第3版"],
        ["chi"],
    )
    assert record["SN"] == ["9787020002207"]
    assert record["KW"] == ["章回小说 — 中国 — 清代", "Chinese fiction & prose"]
    assert record["UR"] == ["https://hub.example.org/works/hlm-1"]
    (journal,) = read_ris(download(base, "nature", "ris").content)
    assert (journal["TY"], journal["SN"]) == (["JFULL"], ["0028-0836"])


def test_bibtex_reads_back_with_bibtexparser(hub: tuple[Container, str]) -> None:
    _, base = hub
    response = download(base, "hlm-1", "bibtex")
    assert response.headers["Content-Type"] == "application/x-bibtex; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="hlm-1.bib"'
    library = bibtexparser.parse_string(
        response.content.decode("utf-8"),
        append_middleware=[
            bibtexparser.middlewares.SeparateCoAuthors(),
            bibtexparser.middlewares.LatexDecodingMiddleware(),
        ],
    )
    assert library.failed_blocks == [] and len(library.entries) == 1
    entry = library.entries[0]
    assert (entry.entry_type, entry.key) == ("book", "hlm-1")
    fields = {field.key: field.value for field in entry.fields}
    assert fields["title"] == "红楼梦" and fields["subtitle"] == "脂砚斋重评石头记"
    assert fields["author"] == ["曹雪芹", "高鹗"]
    assert (fields["year"], fields["isbn"], fields["language"]) == ("1982", "9787020002207", "chi")
    assert fields["keywords"] == "章回小说 — 中国 — 清代, Chinese fiction & prose"  # & escaped, and read back
    assert fields["url"] == "https://hub.example.org/works/hlm-1"
    journal = bibtexparser.parse_string(download(base, "nature", "bibtex").text).entries[0]
    assert journal.entry_type == "periodical" and journal.fields_dict["issn"].value == "0028-0836"


def holdings_of(record: pymarc.Record) -> list[tuple[str, ...]]:
    shelves = [(f.get("a"), f.get("h"), f.get("z")) for f in record.get_fields("852")]
    links = [(f.get("z"), f.get("u"), f.get("3")) for f in record.get_fields("856")]
    return [*shelves, *links]


def test_marcxml_and_marc21_carry_the_holdings_members_show(hub: tuple[Container, str]) -> None:
    _, base = hub
    xml = download(base, "hlm-1", "marcxml")
    assert xml.headers["Content-Type"] == "application/marcxml+xml; charset=utf-8"
    assert xml.headers["Content-Disposition"] == 'attachment; filename="hlm-1.xml"'
    binary = download(base, "hlm-1", "marc")
    assert binary.headers["Content-Type"] == "application/marc"
    assert binary.headers["Content-Disposition"] == 'attachment; filename="hlm-1.mrc"'
    assert binary.content[9:10] == b"a"  # leader position 9: UTF-8
    (from_xml,) = pymarc.parse_xml_to_array(io.BytesIO(xml.content))
    (from_iso,) = list(pymarc.MARCReader(binary.content, to_unicode=True, force_utf8=True))
    expected = [
        ("riverside", "I242.4/C19", "On loan"),
        ("lakeside", "I242.4/C19b", "Available"),
        ("lakeside", "https://ebooks.lakeside.example/hlm", "全文"),
    ]  # eastlake keeps its holdings to itself
    for record in (from_xml, from_iso):
        assert record["245"]["a"] == "红楼梦" and record["245"]["b"] == "脂砚斋重评石头记"
        assert record["100"]["a"] == "曹雪芹" and record["020"]["a"] == "9787020002207"
        assert record["084"]["a"] == "I242.4" and record["001"].data == "hlm-1"
        assert holdings_of(record) == expected
    assert from_iso.as_marc() == binary.content  # a well-formed ISO 2709 record, byte for byte


def test_a_member_reader_sees_their_own_library_first_even_when_it_does_not_share(hub: tuple[Container, str]) -> None:
    container, base = hub
    token = container.token_issuer.issue("e1", member="eastlake")
    (record,) = list(
        pymarc.MARCReader(download(base, "hlm-1", "marc", Authorization=f"Bearer {token}").content, to_unicode=True)
    )
    assert [f.get("a") for f in record.get_fields("852")] == ["eastlake", "riverside", "lakeside"]


def test_an_unknown_work_or_format_is_refused(hub: tuple[Container, str]) -> None:
    _, base = hub
    missing = requests.get(f"{base}/works/nothing/export", params={"format": "ris"}, timeout=10)
    assert missing.status_code == 404 and missing.json()["Code"] == "NotFoundError"
    wrong = requests.get(f"{base}/works/nature/export", params={"format": "endnote"}, timeout=10)
    assert wrong.status_code == 400 and "format" in wrong.json()["Message"]
    assert requests.get(f"{base}/works/nature/export", timeout=10).status_code == 400
