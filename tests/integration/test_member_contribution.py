"""A member's contribution on one page, through the member API: its catalogue figures, loans of its works by other
members' readers (uploaded by those members, counted only from ten consenting readers up), and its inter-library
loan balance; its administrators and key read it, its subject librarians and other members do not."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest
from factories import make_cluster
from function_apps import Api, serve

from consortium.auth import StaffRole
from consortium.dedup.state import ClusterChange
from consortium.profiles.consent import Purpose
from consortium.profiles.models import Actor, ActorRole

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

REGISTRY = """
[[members]]
id = "riverside"
name = "Riverside University Library"

[[members]]
id = "westfield"
name = "Westfield College Library"

[[members]]
id = "eastlake"
name = "Eastlake University Library"
[members.sharing]
share_circulation = "none"
"""
AT = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def members(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    (tmp_path / "members.toml").write_text(REGISTRY, encoding="utf-8")
    monkeypatch.setenv("CONSORTIUM_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CONSORTIUM_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("CONSORTIUM_MEMBERS_FILE", str(tmp_path / "members.toml"))
    with serve("members", Api) as api:
        hub = api.module.container()
        hub.cross_member_loans.max_age = dt.timedelta(0)  # read the loans afresh at every call (kept 10 min)
        hub.cluster_store.apply(
            ClusterChange(
                saved=[
                    make_cluster("atlas", "River atlas", ["riverside"]),
                    make_cluster("poems", "Poems", ["riverside", "westfield"]),
                    make_cluster("west", "Westfield only", ["westfield"]),
                ]
            )
        )
        staff = Actor(actor_id="desk", role=ActorRole.MEMBER_STAFF)
        for member in ("westfield", "eastlake"):
            for n in range(12):
                purposes = [Purpose.PERSONALIZATION] + ([Purpose.ANALYTICS] if n < 11 else [])
                hub.profiles.create_reader(f"{member}-{n}", member, purposes, actor=staff)
        yield api


def upload(api: Api, member: str, lines: list[dict[str, object]]) -> None:
    staff = api.as_staff("desk", member)
    body = "\n".join(json.dumps(line) for line in lines)
    response = staff.client.http.post(
        f"/members/{member}/events", headers={**staff.headers, "Content-Type": "application/x-ndjson"}, body=body
    )
    assert response.status_code == 200, response.body
    assert json.loads(response.body)["stored"] == len(lines)


def borrow(member: str, n: int, cluster_id: str) -> dict[str, object]:
    return {
        "reader_id": f"{member}-{n}",
        "event_id": f"{member}-{n}-{cluster_id}",
        "type": "borrow",
        "at": AT.isoformat(),
        "cluster_id": cluster_id,
    }


def test_the_contribution_page_counts_other_members_consenting_readers(members: Api) -> None:
    admin = members.as_staff("admin", "riverside")
    upload(members, "westfield", [borrow("westfield", n, "atlas") for n in range(9)])
    upload(members, "eastlake", [borrow("eastlake", n, "atlas") for n in range(12)])  # shares no circulation
    status, page = admin.call("get", "/members/riverside/contribution")
    assert status == 200, page
    assert page["member"] == "riverside"
    assert page["catalogue"]["works"] == 2 and page["catalogue"]["works_alone"] == 1
    assert page["interlibrary_loans"]["balance"] == 0
    loans = page["cross_member_loans"]
    assert loans["suppressed"] and loans["readers"] is None and loans["by_member"] == []  # nine readers

    # two more westfield readers: one did not consent, the other did; the work they borrow is westfield's own too
    upload(members, "westfield", [borrow("westfield", 9, "poems"), borrow("westfield", 11, "atlas")])
    upload(members, "westfield", [borrow("westfield", n, "west") for n in range(11)])  # riverside lacks it
    loans = admin.call("get", "/members/riverside/contribution")[1]["cross_member_loans"]
    assert not loans["suppressed"]
    assert (loans["readers"], loans["loans"], loans["works"]) == (10, 10, 2)
    assert [(c["member"], c["readers"]) for c in loans["by_member"]] == [("westfield", 10)]


def test_the_loans_read_are_kept_for_a_while(members: Api) -> None:
    members.module.container().cross_member_loans.max_age = dt.timedelta(hours=1)
    admin = members.as_staff("admin", "riverside")
    assert admin.call("get", "/members/riverside/contribution")[1]["cross_member_loans"]["suppressed"]
    upload(members, "westfield", [borrow("westfield", n, "atlas") for n in range(11)])
    kept = admin.call("get", "/members/riverside/contribution")[1]
    assert kept["cross_member_loans"]["suppressed"]  # as read a moment ago
    assert kept["catalogue"]["works"] == 2  # the other parts are read at every call


def test_only_the_members_administrators_and_key_read_it(members: Api) -> None:
    assert members.as_staff("admin", "riverside").call("get", "/members/riverside/contribution")[0] == 200
    key = members.module.container().api_keys.create("riverside", "ILS").secret
    keyed = members.client.http.get("/members/riverside/contribution", headers={"X-Api-Key": key})
    assert keyed.status_code == 200
    librarian = members.as_staff("lib", "riverside", StaffRole.SUBJECT_LIBRARIAN)
    assert librarian.call("get", "/members/riverside/contribution")[0] == 403
    assert members.as_staff("admin", "westfield").call("get", "/members/riverside/contribution")[0] == 403
    assert members.as_reader("westfield-0", member="westfield").call("get", "/members/riverside/contribution")[0] == 403


def test_the_command_line_gives_the_same_page(members: Api) -> None:
    upload(members, "westfield", [borrow("westfield", n, "atlas") for n in range(11)])
    api = members.as_staff("admin", "riverside").call("get", "/members/riverside/contribution")[1]

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "consortium", "members", "contribution", *args]
        return subprocess.run(command, capture_output=True, text=True, env=dict(os.environ), timeout=120, check=False)

    answer = cli("riverside", "--json")
    assert answer.returncode == 0, answer.stderr
    page = json.loads(answer.stdout)
    assert page["cross_member_loans"]["readers"] == api["cross_member_loans"]["readers"] == 11
    assert page["catalogue"]["works_alone"] == api["catalogue"]["works_alone"]
    text = cli("riverside").stdout
    assert "by 11 readers" in text and "westfield: 11 readers, 11 loans, 1 works" in text and "balance +0" in text
    unknown = cli("nowhere")
    assert unknown.returncode != 0 and "no member 'nowhere'" in unknown.stderr
