"""The discovery API (functions/discovery) for anyone: search with the query language, a work's page with the
reader's own library first, the other editions of a work, and new books by class at any depth and period."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pytest
from factories import make_cluster
from function_apps import Api, serve

from consortium.dedup.state import ClusterChange
from consortium.dedup.work_groups import with_work_id

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

NOW = dt.datetime.now(dt.UTC)


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    monkeypatch.setenv("CONSORTIUM_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CONSORTIUM_KEY_DIR", str(tmp_path / "keys"))
    with serve("discovery", Api) as api:
        hub = api.module.container()
        works = [
            make_cluster("taocp-1", "The art of computer programming", ["riverside"], authors=["Knuth, Donald E."],
                         year=1968, edition="1st ed.", classes=["lcc:QA76.6"], first_seen=NOW - dt.timedelta(days=400),
                         language="eng"),
            make_cluster("taocp-3", "Art of computer programming [electronic resource]", ["lakeside", "riverside"],
                         authors=["Donald E. Knuth"], year=1997, edition="3rd ed.", classes=["lcc:QA76.6"],
                         first_seen=NOW - dt.timedelta(days=3)),
            make_cluster("taocp-de", "Die Kunst der Computerprogrammierung", ["eastlake"], authors=["Knuth, Donald E."],
                         uniform_title="Art of computer programming", language="ger", year=2011,
                         first_seen=NOW - dt.timedelta(days=30)),
            make_cluster("other-art", "The art of computer programming", ["eastlake"], authors=["Someone, Else"],
                         year=2001, first_seen=NOW - dt.timedelta(days=2)),
            make_cluster("dl", "深度学习", ["riverside"], authors=["周志华"], year=2016, classes=["clc:TP181"],
                         first_seen=NOW - dt.timedelta(days=1)),
            make_cluster("ml", "机器学习", ["lakeside"], authors=["周志华"], year=2016, classes=["clc:TP18"],
                         first_seen=NOW - dt.timedelta(days=5)),
            make_cluster("poems", "唐诗三百首", ["lakeside"], year=1980, classes=["clc:I222"],
                         first_seen=NOW - dt.timedelta(days=1)),
        ]  # fmt: skip
        works = [with_work_id(work) for work in works]  # as the merge gives them
        hub.cluster_store.apply(ClusterChange(saved=works))
        hub.search_index.upsert(works)
        yield api


def test_search_takes_the_query_language_facets_and_paging(api: Api) -> None:
    status, found = api.call("get", "/search?q=author:knuth&facet=member&facet=year&page_size=1")
    assert status == 200 and found["total"] == 3 and len(found["hits"]) == 1
    assert {f["value"] for f in found["facets"]["member"]} == {"riverside", "lakeside", "eastlake"}
    status, error = api.call("get", "/search?q=year:abc")
    assert status == 400 and "year" in error["Message"]
    assert api.call("get", "/search?facet=colour")[0] == 400


def test_a_work_page_puts_the_readers_own_library_first(api: Api) -> None:
    status, page = api.call("get", "/works/taocp-3?member=riverside")
    assert status == 200 and [h["member"] for h in page["holdings"]] == ["riverside", "lakeside"]
    lakeside_reader = api.as_reader("r9", member="lakeside")
    assert [h["member"] for h in lakeside_reader.call("get", "/works/taocp-3")[1]["holdings"]] == [
        "lakeside",
        "riverside",
    ]
    assert {m["id"] for m in page["members"]} == {"riverside", "lakeside"}
    assert api.call("get", "/works/nothing")[0] == 404


def test_other_editions_are_the_same_title_and_author_not_the_same_title_alone(api: Api) -> None:
    status, found = api.call("get", "/works/taocp-1/editions")
    assert status == 200 and [e["cluster_id"] for e in found["editions"]] == ["taocp-3"]
    assert found["editions"][0]["edition"] == "3rd ed."
    # the translation names its original title (MARC 240): in the work, listed apart
    assert [(e["cluster_id"], e["language"]) for e in found["translations"]] == [("taocp-de", "ger")]
    assert found["translations"][0]["uniform_title"] == "Art of computer programming"
    assert found["original_language"] == "eng" and found["work_id"].startswith("w")
    status, hits = api.call("get", f"/search?q=work:{found['work_id']}&sort=year_asc")
    assert [h["cluster_id"] for h in hits["hits"]] == ["taocp-1", "taocp-3", "taocp-de"]
    assert {h["work_id"] for h in hits["hits"]} == {found["work_id"]}
    assert [h["work_size"] for h in hits["hits"]] == [3, 3, 3]  # each hit says how big its group is
    status, other = api.call("get", "/search?q=title:art")
    assert {h["cluster_id"]: h["work_size"] for h in other["hits"]} == {"taocp-1": 3, "taocp-3": 3, "other-art": 1}
    from_translation = api.call("get", "/works/taocp-de/editions")[1]
    assert from_translation["work"]["translation"] and not from_translation["translations"]
    assert [e["cluster_id"] for e in from_translation["editions"]] == ["taocp-3", "taocp-1"]
    assert [e["cluster_id"] for e in api.call("get", "/works/other-art/editions")[1]["editions"]] == []
    assert api.call("get", "/works/dl/editions")[1]["editions"] == []  # same author, another work


def test_new_books_by_class_at_any_depth_and_period(api: Api) -> None:
    status, found = api.call("get", "/new-books?class=clc:TP18&days=30")
    assert status == 200 and [w["cluster_id"] for w in found["works"]] == ["dl", "ml"]  # TP181 is under TP18
    assert [w["cluster_id"] for w in api.call("get", "/new-books?class=clc:TP181&days=30")[1]["works"]] == ["dl"]
    assert [w["cluster_id"] for w in api.call("get", "/new-books?class=clc:T&days=2")[1]["works"]] == ["dl"]
    everything = api.call("get", "/new-books?days=30&limit=2")[1]
    assert len(everything["works"]) == 2 and everything["more"] is True
    assert [w["cluster_id"] for w in api.call("get", "/new-books?days=30&member=lakeside")[1]["works"]] == [
        "poems",
        "taocp-3",
        "ml",
    ]
    status, error = api.call("get", "/new-books?class=dewey:500")
    assert status == 400 and "field 'class'" in error["Message"]
    status, error = api.call("get", "/new-books?class=ddc:05")
    assert status == 400 and "field 'class'" in error["Message"] and "not a class code of DDC" in error["Message"]
    status, error = api.call("get", "/new-books?class=clc:true")
    assert (
        status == 400
        and "field 'class'" in error["Message"]
        and "'true' is not a class code of CLC" in error["Message"]
    )
    assert api.call("get", "/new-books?days=400")[0] == 400


def test_new_books_show_when_each_work_came_and_its_classes(api: Api) -> None:
    asked = dt.datetime.now(dt.UTC)
    status, found = api.call("get", "/new-books?class=clc:tp18&days=30")  # a code as a catalogue may write it
    answered = dt.datetime.now(dt.UTC)
    assert status == 200 and found["class"] == "clc:tp18"
    dl, ml = found["works"]
    assert (dl["cluster_id"], dl["classes"], dl["members"], dl["authors"]) == (
        "dl",
        ["clc:TP181"],
        ["riverside"],
        ["周志华"],
    )
    assert dt.datetime.fromisoformat(dl["first_seen"]) == NOW - dt.timedelta(days=1)
    assert dt.datetime.fromisoformat(ml["first_seen"]) == NOW - dt.timedelta(days=5)
    since = dt.datetime.fromisoformat(found["since"])
    assert asked - dt.timedelta(days=30) <= since <= answered - dt.timedelta(days=30)  # 30 days before the request
    assert found["more"] is False


def test_a_long_new_books_list_is_read_from_the_index_in_two_pages(api: Api) -> None:
    hub = api.module.container()
    batch = [
        make_cluster(f"new-{n:03d}", f"Programming {n}", ["eastlake"], classes=["clc:TP312"],
                     first_seen=NOW - dt.timedelta(hours=1, seconds=n))
        for n in range(130)
    ]  # fmt: skip
    hub.search_index.upsert(batch)  # the list is the index's answer: the cluster store is not read
    found = api.call("get", "/new-books?class=clc:TP3&days=1&limit=150")[1]
    assert [w["cluster_id"] for w in found["works"]] == [c.cluster_id for c in batch]  # newest first
    assert found["more"] is False
    cut = api.call("get", "/new-books?class=clc:TP31&days=1&limit=120")[1]
    assert [w["cluster_id"] for w in cut["works"]] == [c.cluster_id for c in batch[:120]]
    assert cut["more"] is True
    assert len(api.call("get", "/new-books?days=30&limit=200")[1]["works"]) == 130 + 5  # and the fixture's


def test_the_class_tree_lists_main_classes_with_labels_and_works(api: Api) -> None:
    status, tree = api.call("get", "/classes?scheme=clc")
    assert status == 200 and tree["parent"] is None and tree["path"] == []
    main = {c["code"]: c for c in tree["classes"]}
    assert len(main) == 22 and list(main)[:3] == ["A", "B", "C"]  # every basic class, in the scheme's order
    assert main["T"]["label"] == {"en": "Industrial technology", "zh": "工业技术"}
    assert (main["T"]["count"], main["I"]["count"], main["A"]["count"]) == (2, 1, 0)
    assert main["T"]["key"] == "clc:T"
    lcc = {c["code"]: c for c in api.call("get", "/classes?scheme=lcc")[1]["classes"]}
    assert len(lcc) == 21 and lcc["Q"]["count"] == 2 and lcc["Q"]["label"]["en"] == "Science"
    ddc = api.call("get", "/classes?scheme=ddc")[1]["classes"]
    assert [c["code"] for c in ddc] == [f"{n}00" for n in range(10)]
    assert ddc[5]["label"] == {"en": "Science", "zh": "自然科学"}


def test_the_class_tree_goes_down_to_the_codes_of_the_works(api: Api) -> None:
    status, t = api.call("get", "/classes?scheme=clc&parent=T")
    assert status == 200 and t["parent"]["code"] == "T" and t["parent"]["count"] == 2
    children = {c["code"]: c for c in t["classes"]}
    assert len(children) == 16 and children["TP"]["label"]["zh"] == "自动化技术、计算机技术"
    assert children["TP"]["count"] == 2 and children["TB"]["count"] == 0
    down = api.call("get", "/classes?scheme=clc&parent=tp1")[1]  # normalized, as class filters are
    assert [(c["code"], c["label"], c["count"]) for c in down["classes"]] == [("TP18", None, 2)]
    assert [step["code"] for step in down["path"]] == ["T", "TP", "TP1"]
    assert down["path"][0]["label"]["en"] == "Industrial technology" and down["path"][1]["count"] == 2
    assert [c["code"] for c in api.call("get", "/classes?scheme=clc&parent=TP18")[1]["classes"]] == ["TP181"]
    assert api.call("get", "/classes?scheme=clc&parent=TP181")[1]["classes"] == []
    q = {c["code"]: c["count"] for c in api.call("get", "/classes?scheme=lcc&parent=Q")[1]["classes"]}
    assert q == {"QA": 2}  # a subclass under its main class
    assert api.call("get", "/classes?scheme=lcc&parent=QA76")[1]["classes"][0]["key"] == "lcc:QA76.6"


def test_the_class_tree_counts_the_new_books_of_a_period_and_a_library(api: Api) -> None:
    recent = {c["code"]: c["count"] for c in api.call("get", "/classes?scheme=clc&days=2")[1]["classes"]}
    assert (recent["T"], recent["I"]) == (1, 1)  # ml came five days ago
    tree = api.call("get", "/classes?scheme=clc&parent=TP1&days=30&member=lakeside")[1]
    assert [(c["code"], c["count"]) for c in tree["classes"]] == [("TP18", 1)]
    assert tree["member"] == "lakeside" and dt.datetime.fromisoformat(tree["since"]) < NOW
    assert [s["count"] for s in tree["path"]] == [1, 1, 1]  # the trail is counted the same way
    lcc = {c["code"]: c["count"] for c in api.call("get", "/classes?scheme=lcc&days=30")[1]["classes"]}
    assert lcc["Q"] == 1  # taocp-1 came 400 days ago


def test_the_class_tree_refuses_a_code_of_another_scheme(api: Api) -> None:
    status, error = api.call("get", "/classes?scheme=ddc&parent=TP3")
    assert status == 400 and "parent" in error["Message"] and "DDC" in error["Message"]
    for scheme, code in (("clc", "true"), ("lcc", "true"), ("clc", "TP3-"), ("ddc", "5100")):
        status, error = api.call("get", f"/classes?scheme={scheme}&parent={code}")  # the code reader reads some
        assert status == 400 and f"'parent': '{code}' is not a class code of {scheme.upper()}" in error["Message"]
    assert api.call("get", "/classes?scheme=udc")[0] == 400
    assert api.call("get", "/classes")[0] == 400
    assert api.call("get", "/classes?scheme=clc&days=0")[0] == 400


def test_an_empty_search_says_what_to_try(api: Api) -> None:
    status, found = api.call("get", "/search?q=knuht+programing")
    assert status == 200 and found["total"] == 0
    (spelling,) = found["suggestions"]
    assert (spelling["kind"], spelling["q"], spelling["count"]) == ("spelling", "knuth programming", 2)
    assert api.call("get", f"/search?q={spelling['q']}")[1]["total"] == 2
    found = api.call("get", "/search?q=深度学习+member:eastlake")[1]
    assert [(s["kind"], s["q"], s["count"], s["change"]) for s in found["suggestions"]] == [
        ("without_filter", "深度学习", 1, "member:eastlake")
    ]
    assert api.call("get", "/search?q=knuth")[1]["suggestions"] == []  # only for an empty result


def test_health_answers_ok_and_names_the_part_that_fails_without_saying_why(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    assert api.call("get", "/health") == (
        200,
        {"status": "ok", "checks": {"search_index": "ok", "catalogue_store": "ok"}},
    )
    index = api.module.container().search_index

    def broken() -> int:
        raise OSError("index folder /srv/hub/var/index: no such file")

    monkeypatch.setattr(index, "count", broken)
    status, answer = api.call("get", "/health")
    assert (status, answer) == (503, {"status": "failing", "checks": {"search_index": "failing",
                                                                      "catalogue_store": "ok"}})  # fmt: skip
    assert "/srv/hub" not in str(answer)  # the reason is for the operator's log, not for any caller
    assert "index folder /srv/hub/var/index" in caplog.text
