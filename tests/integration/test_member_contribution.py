"""A member's contribution on one page, through the member API: its catalogue figures, loans of its works by other
members' readers (uploaded by those members, counted by the analytics job into closed months, each frozen, only from
ten consenting readers up), and its inter-library loan balance; its administrators and key read it, its subject
librarians and other members do not."""

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

from consortium.adapters.memory.clock import ManualClock
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
SEPTEMBER = dt.datetime(2026, 9, 14, 9, 0, tzinfo=dt.UTC)
AT = dt.datetime(2026, 10, 2, 9, 0, tzinfo=dt.UTC)
NOVEMBER = dt.datetime(2026, 11, 3, 9, 0, tzinfo=dt.UTC)
JOB_CLOCK = ManualClock(dt.datetime(2026, 11, 8, tzinfo=dt.UTC))
"""The analytics job's clock (the API's is the real one: the loans uploaded are in the past)."""


@pytest.fixture
def members(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    (tmp_path / "members.toml").write_text(REGISTRY, encoding="utf-8")
    monkeypatch.setenv("CONSORTIUM_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CONSORTIUM_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("CONSORTIUM_MEMBERS_FILE", str(tmp_path / "members.toml"))
    with serve("members", Api) as api:
        hub = api.module.container()
        hub._overrides["clock"] = JOB_CLOCK  # the job's clock only: read when analytics is first built
        JOB_CLOCK.now = dt.datetime(2026, 11, 8, tzinfo=dt.UTC)
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


def build(api: Api, at: dt.datetime) -> None:
    """The daily analytics job, run at ``at``."""
    JOB_CLOCK.now = at
    api.module.container().analytics.build()


def upload(api: Api, member: str, lines: list[dict[str, object]]) -> None:
    staff = api.as_staff("desk", member)
    body = "\n".join(json.dumps(line) for line in lines)
    response = staff.client.http.post(
        f"/members/{member}/events", headers={**staff.headers, "Content-Type": "application/x-ndjson"}, body=body
    )
    assert response.status_code == 200, response.body
    assert json.loads(response.body)["stored"] == len(lines)


def borrow(member: str, n: int, cluster_id: str, at: dt.datetime = AT) -> dict[str, object]:
    return {
        "reader_id": f"{member}-{n}",
        "event_id": f"{member}-{n}-{cluster_id}-{at:%Y%m%d}",
        "type": "borrow",
        "at": at.isoformat(),
        "cluster_id": cluster_id,
    }


def test_the_contribution_page_counts_other_members_consenting_readers(members: Api) -> None:
    admin = members.as_staff("admin", "riverside")
    loans = admin.call("get", "/members/riverside/contribution")[1]["cross_member_loans"]
    assert loans["suppressed"] and loans["period"] is None and loans["computed_at"] is None  # no report yet
    upload(members, "westfield", [borrow("westfield", n, "atlas", SEPTEMBER) for n in range(9)])
    upload(members, "westfield", [borrow("westfield", n, "atlas") for n in range(9)])
    upload(members, "eastlake", [borrow("eastlake", n, "atlas") for n in range(12)])  # shares no circulation
    # two more westfield readers: one did not consent, the other did; the work they borrow is westfield's own too
    upload(members, "westfield", [borrow("westfield", 9, "poems"), borrow("westfield", 11, "atlas")])
    upload(members, "westfield", [borrow("westfield", n, "west") for n in range(11)])  # riverside lacks it
    build(members, dt.datetime(2026, 11, 8, tzinfo=dt.UTC))

    status, page = admin.call("get", "/members/riverside/contribution")
    assert status == 200, page
    assert page["member"] == "riverside"
    assert page["catalogue"]["works"] == 2 and page["catalogue"]["works_alone"] == 1
    assert page["interlibrary_loans"]["balance"] == 0
    loans = page["cross_member_loans"]
    assert loans["computed_at"].startswith("2026-11-08")
    assert (loans["period"], loans["suppressed"], loans["readers"], loans["loans"]) == ("2026-10", False, 10, 10)
    assert [(c["member"], c["readers"], c["loans"]) for c in loans["by_member"]] == [("westfield", 10, 10)]
    september = loans["by_month"][1]
    assert (september["period"], september["suppressed"], september["readers"]) == ("2026-09", True, None)


def test_the_page_reads_no_reader_and_a_difference_over_time_shows_nothing(members: Api) -> None:
    """The time-difference attack through the API: the page read, one more reader's loan and one consent
    withdrawn, the job run again, the page read again: the same figures until November closes, and October as it
    was even after."""
    hub = members.module.container()
    admin = members.as_staff("admin", "riverside")
    upload(members, "westfield", [borrow("westfield", n, "atlas") for n in range(11)])
    build(members, dt.datetime(2026, 11, 8, tzinfo=dt.UTC))
    audited = len(hub.profiles.vault.store.audit_log("westfield-0"))
    before = admin.call("get", "/members/riverside/contribution")[1]["cross_member_loans"]
    assert len(hub.profiles.vault.store.audit_log("westfield-0")) == audited  # no reader read for the page
    assert (before["period"], before["readers"]) == ("2026-10", 11)

    upload(members, "westfield", [borrow("westfield", 3, "poems")])  # a late October loan
    upload(members, "westfield", [borrow("westfield", 10, "atlas", NOVEMBER)])
    hub.profiles.withdraw("westfield-0", Purpose.ANALYTICS)
    build(members, dt.datetime(2026, 11, 20, tzinfo=dt.UTC))
    after = admin.call("get", "/members/riverside/contribution")[1]["cross_member_loans"]
    assert after["computed_at"] != before["computed_at"]
    assert {**after, "computed_at": None} == {**before, "computed_at": None}

    build(members, dt.datetime(2026, 12, 8, tzinfo=dt.UTC))
    closed = admin.call("get", "/members/riverside/contribution")[1]["cross_member_loans"]
    assert [(m["period"], m["readers"]) for m in closed["by_month"]] == [("2026-11", None), ("2026-10", 11)]
    assert closed["by_month"][1] == before["by_month"][0]


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
    build(members, dt.datetime(2026, 11, 8, tzinfo=dt.UTC))
    api = members.as_staff("admin", "riverside").call("get", "/members/riverside/contribution")[1]

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "consortium", "members", "contribution", *args]
        return subprocess.run(command, capture_output=True, text=True, env=dict(os.environ), timeout=120, check=False)

    answer = cli("riverside", "--json")
    assert answer.returncode == 0, answer.stderr
    page = json.loads(answer.stdout)
    assert page["cross_member_loans"] == api["cross_member_loans"]
    assert page["cross_member_loans"]["readers"] == 11
    assert page["catalogue"]["works_alone"] == api["catalogue"]["works_alone"]
    text = cli("riverside").stdout
    assert "2026-10: 11 loans of its works by 11 readers of other members" in text
    assert "westfield: 11 readers, 11 loans" in text and "balance +0" in text
    unknown = cli("nowhere")
    assert unknown.returncode != 0 and "no member 'nowhere'" in unknown.stderr
