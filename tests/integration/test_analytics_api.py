"""Analytics through the cooperation API and the command line: a subject librarian of one member, an
administrator of another and the consortium office read the same report (JSON and CSV); a reader and an API key
may not; ``consortium analytics build/summary/show --json`` over the same data folder."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner
from factories import make_cluster
from function_apps import Api, serve

from consortium.auth.callers import StaffRole
from consortium.cli import main
from consortium.dedup.state import ClusterChange
from consortium.models import Classification, ClassScheme
from consortium.profiles.consent import Purpose
from consortium.profiles.models import Actor, ReaderEvent

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

OCTOBER = dt.datetime(2026, 10, 15, 9, 0, tzinfo=dt.UTC)
DESK = Actor(actor_id="riverside/desk", role="member_staff")


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    monkeypatch.setenv("CONSORTIUM_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CONSORTIUM_KEY_DIR", str(tmp_path / "keys"))
    with serve("cooperation", Api) as served:
        hub = served.module.container()
        work = make_cluster("w1", "Tang poems", ("riverside",), subjects=["Chinese poetry"])
        work = work.model_copy(update={"classifications": [Classification(scheme=ClassScheme.CLC, code="I222")]})
        hub.cluster_store.apply(ClusterChange(saved=[work]))
        for n in range(11):
            member = "riverside" if n < 10 else "lakeside"
            hub.profiles.create_reader(f"r{n}", member, [Purpose.PERSONALIZATION, Purpose.ANALYTICS], actor=DESK)
            for kind in ("view", "borrow"):
                event = ReaderEvent(event_id=f"{kind}-{n}", type=kind, at=OCTOBER, cluster_id="w1")
                hub.profiles.record_event(f"r{n}", event, DESK)
        yield served


def _cli(*args: str) -> dict[str, object]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    loaded: dict[str, object] = json.loads(result.output)
    return loaded


def test_staff_of_any_member_and_the_office_read_the_same_report_readers_and_keys_may_not(api: Api) -> None:
    assert api.as_staff("lib", "riverside", StaffRole.SUBJECT_LIBRARIAN).call("get", "/analytics")[0] == 404
    built = _cli("analytics", "build", "--json")
    assert built["periods"] == ["2026-10"] and built["min_readers"] == 10

    path = "/analytics?table=class&metric=loans&start=2026-10"
    answers = [
        caller.call("get", path)
        for caller in (
            api.as_staff("lib", "riverside", StaffRole.SUBJECT_LIBRARIAN),
            api.as_staff("admin", "lakeside", StaffRole.MEMBER_ADMIN),
            api.as_staff("office", "consortium-office", StaffRole.CONSORTIUM_OFFICE),
        )
    ]
    assert [status for status, _ in answers] == [200, 200, 200]
    assert answers[0][1] == answers[1][1] == answers[2][1]  # one report for every viewer: nothing to subtract
    rows = answers[0][1]["rows"]
    assert [(r["value"], r["events"], r["readers"]) for r in rows] == [("clc:I", 11, 11)]
    members = api.as_staff("office", "consortium-office", StaffRole.CONSORTIUM_OFFICE).call(
        "get", "/analytics?table=member&metric=views"
    )[1]["rows"]
    assert [(r["value"], r["readers"]) for r in members] == [("(other)", 11)]  # riverside alone gives lakeside away

    assert api.as_reader("r0").call("get", "/analytics")[0] == 403
    assert api.as_library("riverside").call("get", "/analytics")[0] == 401  # a key is not a staff credential
    status, error = api.as_staff("lib", "riverside").call("get", "/analytics?metric=readers")
    assert status == 400 and "metric" in json.dumps(error)


def test_the_csv_export_and_the_command_line_show_the_same_rows(api: Api) -> None:
    _cli("analytics", "build", "--json")
    answer = api.as_staff("lib", "riverside", StaffRole.SUBJECT_LIBRARIAN).raw(
        "get", "/analytics/export?table=subclass&metric=loans&parent=clc:I"
    )
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/csv")
    assert 'filename="analytics-subclass-loans.csv"' in answer.headers["Content-Disposition"]
    lines = list(csv.reader(io.StringIO(answer.body.decode("utf-8"))))
    assert lines == [
        ["table", "metric", "period", "parent", "value", "events", "readers"],
        ["subclass", "loans", "2026-10", "clc:I", "clc:I2", "11", "11"],
    ]
    shown = _cli("analytics", "show", "subclass", "loans", "--parent", "clc:I", "--json")
    assert [(r["value"], r["events"]) for r in shown["rows"]] == [("clc:I2", 11)]  # type: ignore[index]
    assert _cli("analytics", "summary", "--json")["rows"] == len(
        json.loads(api.module.container().analytics_store.latest())["rows"]
    )


def test_consortium_login_gives_the_office_a_token_of_no_member_library(api: Api) -> None:
    issued = _cli("login", "office", "--role", "consortium-office", "--json")
    assert issued["member"] == "consortium-office" and issued["roles"] == ["consortium-office"]
    office = Api(api.module, api.client, {"Authorization": f"Bearer {issued['token']}"})
    _cli("analytics", "build", "--json")
    assert office.call("get", "/analytics")[0] == 200
    assert office.call("get", "/members/riverside/ill")[0] == 403  # no member's own data


def test_a_member_that_stops_sharing_circulation_through_the_api_has_no_loan_in_the_next_build(api: Api) -> None:
    office = api.as_staff("office", "consortium-office", StaffRole.CONSORTIUM_OFFICE)
    with serve("members", Api) as members:
        admin = members.as_staff("desk", "riverside", StaffRole.MEMBER_ADMIN)
        status, _ = admin.call("put", "/members/riverside/sharing", {"share_circulation": "none"})
        assert status == 200
    _cli("analytics", "build", "--json")
    loans = office.call("get", "/analytics?table=total&metric=loans")[1]["rows"]
    assert loans == []  # riverside's ten loans are gone: the one lakeside loan is too few to show
    views = office.call("get", "/analytics?table=total&metric=views")[1]["rows"]
    assert [(r["events"], r["readers"]) for r in views] == [(11, 11)]  # views are not circulation
