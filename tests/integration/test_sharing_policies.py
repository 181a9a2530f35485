"""Members' sharing policies, enforced through the API and changed through it: a member that does not share its
holdings shows them only to its own readers (search, facets, counts, a work's page, editions, new books, classes,
the export, SRU and OAI-PMH), and a change made through the member API applies from the next request."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

import pytest
from factories import make_cluster
from function_apps import Api, serve

from consortium.dedup.state import ClusterChange

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

NOW = dt.datetime.now(dt.UTC)

REGISTRY = """
[[members]]
id = "riverside"
name = "Riverside University Library"

[[members]]
id = "lakeside"
name = "Lakeside Public Library"

[[members]]
id = "eastlake"
name = "Eastlake University Library"
"""


class Hub:
    """The discovery app and the member API over one data folder."""

    def __init__(self, discovery: Api, members: Api) -> None:
        self.discovery = discovery
        self.members = members

    def share(self, member: str, **policy: Any) -> dict[str, Any]:
        status, answer = self.members.as_staff("admin", member).call("put", f"/members/{member}/sharing", policy)
        assert status == 200, answer
        return dict(answer)

    def search(self, caller: Api, q: str = "") -> dict[str, Any]:
        status, found = caller.call("get", f"/search?q={q}&facet=member&facet=format&page_size=50")
        assert status == 200, found
        return dict(found)


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Hub]:
    (tmp_path / "members.toml").write_text(REGISTRY, encoding="utf-8")
    monkeypatch.setenv("CONSORTIUM_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CONSORTIUM_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("CONSORTIUM_MEMBERS_FILE", str(tmp_path / "members.toml"))
    with serve("discovery", Api) as discovery, serve("members", Api) as members:
        container = discovery.module.container()
        works = [
            make_cluster("shared", "Rivers of poems", ["riverside", "eastlake"], classes=["clc:I222"],
                         first_seen=NOW - dt.timedelta(days=2)),
            make_cluster("only-east", "Eastern poems", ["eastlake"], classes=["clc:I222"],
                         first_seen=NOW - dt.timedelta(days=1)),
            make_cluster("only-lake", "Lake poems", ["lakeside"], classes=["clc:I222"],
                         first_seen=NOW - dt.timedelta(days=3)),
        ]  # fmt: skip
        container.cluster_store.apply(ClusterChange(saved=works))
        container.search_index.upsert(works)
        yield Hub(discovery, members)


def facet(found: dict[str, Any], name: str) -> dict[str, int]:
    return {count["value"]: count["count"] for count in found["facets"][name]}


def test_a_member_hiding_its_holdings_is_left_out_of_search_counts_and_facets_for_others(hub: Hub) -> None:
    anyone = hub.discovery.as_anonymous()
    before = hub.search(anyone, "poems")
    assert before["total"] == 3 and facet(before, "member") == {"riverside": 1, "eastlake": 2, "lakeside": 1}

    hub.share("eastlake", share_holdings=False)  # through the member API: applies from the next request
    for caller in (anyone, hub.discovery.as_reader("rita", member="riverside")):
        found = hub.search(caller, "poems")
        assert found["total"] == 2 and {h["cluster_id"] for h in found["hits"]} == {"shared", "only-lake"}
        assert all("eastlake" not in hit["members"] for hit in found["hits"])
        assert facet(found, "member") == {"riverside": 1, "lakeside": 1}
        assert facet(found, "format") == {"book": 2}  # every facet counts only what the caller sees
    own = hub.search(hub.discovery.as_reader("eve", member="eastlake"), "poems")
    assert own["total"] == 3 and facet(own, "member") == {"riverside": 1, "eastlake": 2, "lakeside": 1}
    status, refused = anyone.call("get", "/search?q=member:eastlake")
    assert status == 400 and "eastlake" in refused["Message"] and "own readers" in refused["Message"]

    hub.share("eastlake", share_holdings=True)
    assert hub.search(anyone, "poems")["total"] == 3


def test_a_work_page_shows_only_the_holdings_the_reader_may_see(hub: Hub) -> None:
    hub.share("eastlake", share_holdings=False)
    rita = hub.discovery.as_reader("rita", member="riverside")
    status, page = rita.call("get", "/works/shared")
    assert status == 200 and [h["member"] for h in page["holdings"]] == ["riverside"]
    assert [m["id"] for m in page["members"]] == ["riverside"]
    assert [member for member, _ in page["work"]["records"]] == ["riverside"]
    status, page = rita.call("get", "/works/shared?member=eastlake")  # asking first for it shows nothing more
    assert [h["member"] for h in page["holdings"]] == ["riverside"]
    eve = hub.discovery.as_reader("eve", member="eastlake")
    assert [h["member"] for h in eve.call("get", "/works/shared")[1]["holdings"]] == ["eastlake", "riverside"]


def test_a_work_page_says_of_each_holding_whether_its_library_lends_to_the_callers(hub: Hub) -> None:
    # eastlake lends only to lakeside: a riverside reader's page says so of eastlake's holding, as asking would
    hub.share("eastlake", lend_to_members=["lakeside"])
    lends = {}
    for who, caller in [
        ("riverside", hub.discovery.as_reader("rita", member="riverside")),
        ("lakeside", hub.discovery.as_reader("lea", member="lakeside")),
        ("nobody", hub.discovery.as_anonymous()),
    ]:
        status, page = caller.call("get", "/works/shared?member=lakeside")  # the query's member changes nothing
        assert status == 200, page
        lends[who] = {h["member"]: h["lends_to_your_library"] for h in page["holdings"]}
    assert lends["riverside"] == {"riverside": None, "eastlake": False}  # its own library: nothing to say
    assert lends["lakeside"] == {"riverside": True, "eastlake": True}
    assert lends["nobody"] == {"riverside": None, "eastlake": None}  # signed out: no library, nothing said
    hub.share("eastlake", lend_to_members=[])  # every member: from the next request
    status, page = hub.discovery.as_reader("rita", member="riverside").call("get", "/works/shared")
    assert {h["member"]: h["lends_to_your_library"] for h in page["holdings"]}["eastlake"] is True


def test_a_work_only_a_hiding_member_holds_is_invisible_to_others(hub: Hub) -> None:
    hub.share("eastlake", share_holdings=False)
    rita = hub.discovery.as_reader("rita", member="riverside")
    for path in ("/works/only-east", "/works/only-east/editions", "/works/only-east/export?format=ris"):
        assert rita.call("get", path)[0] == 404, path
        assert hub.discovery.as_anonymous().call("get", path)[0] == 404, path
    eve = hub.discovery.as_reader("eve", member="eastlake")
    assert eve.call("get", "/works/only-east")[0] == 200
    assert eve.raw("get", "/works/only-east/export?format=ris").status_code == 200


def test_new_books_and_the_class_tree_count_only_visible_works(hub: Hub) -> None:
    anyone = hub.discovery.as_anonymous()
    assert len(anyone.call("get", "/new-books?class=clc:I2&days=30")[1]["works"]) == 3
    hub.share("eastlake", share_holdings=False)
    listed = anyone.call("get", "/new-books?class=clc:I2&days=30")[1]["works"]
    assert [w["cluster_id"] for w in listed] == ["shared", "only-lake"]
    assert all(w["members"] != ["eastlake"] and "eastlake" not in w["members"] for w in listed)
    tree = anyone.call("get", "/classes?scheme=clc&parent=I")[1]
    assert {node["code"]: node["count"] for node in tree["classes"]}.get("I2") == 2
    assert anyone.call("get", "/new-books?member=eastlake&days=30")[0] == 400
    eve = hub.discovery.as_reader("eve", member="eastlake")
    assert len(eve.call("get", "/new-books?class=clc:I2&days=30")[1]["works"]) == 3


def test_the_catalogue_out_leaves_out_a_hiding_members_holdings_and_its_only_works(hub: Hub) -> None:
    hub.share("eastlake", share_holdings=False)
    anyone = hub.discovery.as_anonymous()
    sru = anyone.raw("get", "/sru?operation=searchRetrieve&version=2.0&query=title%3Dpoems&recordSchema=marcxml")
    body = sru.body.decode() if isinstance(sru.body, bytes) else sru.body
    assert "<numberOfRecords>2</numberOfRecords>" in body.replace("sru:", "")
    assert "Eastern poems" not in body and "eastlake" not in body
    oai = anyone.raw("get", "/oai?verb=ListRecords&metadataPrefix=marc21")
    text = oai.body.decode() if isinstance(oai.body, bytes) else oai.body
    assert "Rivers of poems" in text and "eastlake" not in text
    assert "Eastern poems" not in text  # the work only eastlake holds is not disclosed: a deleted record
    found = re.search(r"<identifier>([^<]*:only-east)</identifier>", text)
    assert found is not None
    asked = f"/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier={found.group(1)}"
    got = anyone.raw("get", asked)
    record = got.body.decode() if isinstance(got.body, bytes) else got.body
    assert 'status="deleted"' in record and "Eastern poems" not in record and "<metadata>" not in record
    hub.share("eastlake", share_holdings=True)  # from the next request: served again
    again = anyone.raw("get", asked)
    assert "Eastern poems" in (again.body.decode() if isinstance(again.body, bytes) else again.body)
    hub.share("eastlake", share_holdings=False)
    sets = anyone.raw("get", "/oai?verb=ListSets").body
    assert "member:eastlake" not in (sets.decode() if isinstance(sets, bytes) else sets)


def test_a_policy_is_changed_by_the_members_administrator_only_and_validated(hub: Hub) -> None:
    admin = hub.members.as_staff("admin", "eastlake")
    status, policy = admin.call("get", "/members/eastlake/sharing")
    assert status == 200 and policy["version"] == 0 and policy["origin"] == "file"
    assert policy["sharing"] == {"share_holdings": True, "share_circulation": "aggregate", "lend_to_members": []}
    key = hub.members.as_library("eastlake")
    assert key.call("get", "/members/eastlake/sharing")[0] == 200
    assert key.call("put", "/members/eastlake/sharing", {"share_holdings": False})[0] == 401  # staff, not a key
    assert hub.members.as_staff("admin", "riverside").call("put", "/members/eastlake/sharing", {})[0] == 403
    status, error = admin.call("put", "/members/eastlake/sharing", {"lend_to_members": ["riverside", "nowhere"]})
    assert status == 400 and "lend_to_members" in error["Message"] and "nowhere" in error["Message"]
    status, error = admin.call("put", "/members/eastlake/sharing", {"share_circulation": "all"})
    assert status == 400 and "share_circulation" in error["Message"]
    status, changed = admin.call("put", "/members/eastlake/sharing", {"lend_to_members": ["riverside"]})
    assert status == 200 and changed["version"] == 1 and changed["updated_by"] == "eastlake/admin"
    assert changed["sharing"]["lend_to_members"] == ["riverside"] and changed["sharing"]["share_holdings"] is True
    assert admin.call("put", "/members/eastlake/sharing?version=0", {"share_holdings": False})[0] == 409


def test_a_circulation_policy_set_through_the_api_is_what_every_part_of_the_hub_reads_next(hub: Hub) -> None:
    """Co-borrowing and popularity (push) read ``share_circulation`` from the container's registry: the change
    made through the member API is there at the next read, in another app's container."""
    assert hub.discovery.module.container().registry.get("eastlake").sharing.share_circulation == "aggregate"
    hub.share("eastlake", share_circulation="none")
    assert hub.discovery.module.container().registry.get("eastlake").sharing.share_circulation == "none"
    assert hub.members.module.container().member_sources.member("eastlake").sharing.share_circulation == "none"
