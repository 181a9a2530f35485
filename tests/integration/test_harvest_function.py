"""The harvest Lambda (Chalice), invoked through Chalice's test client over the local backend."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from function_apps import Api, serve
from marc_builders import book
from oai_server import FixtureRepository, OaiTestServer, marcxml_record

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "members.toml"
    monkeypatch.setenv("CONSORTIUM_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CONSORTIUM_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("CONSORTIUM_MEMBERS_FILE", str(path))
    return path


def invoke(api: Api, payload: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = api.client.lambda_.invoke("harvest_step", payload).payload
    return result


def test_one_oai_page_per_invocation(registry: Path) -> None:
    repo = FixtureRepository()
    for n in range(1, 6):
        repo.add(f"oai:x:{n}", datetime(2026, 2, n, tzinfo=UTC), marcxml=marcxml_record(f"oai:x:{n}", f"Book {n}"))
    with OaiTestServer(repo, page_size=2) as server:
        registry.write_text(
            f'[[members]]\nid = "lakeside"\nname = "Lakeside"\n[[members.sources]]\nid = "oai"\n'
            f'protocol = "oai-pmh"\nurl = "{server.base_url}"\nformat = "marcxml"\n',
            encoding="utf-8",
        )
        steps = []
        with serve("harvest", Api) as api:
            while True:
                result = invoke(api, {"member": "lakeside", "source": "oai"})
                assert result["ok"], result
                steps.append(result["added"])
                if not result["more"]:
                    break
    assert steps == [2, 4, 5]
    assert result["complete"] is True


def test_one_file_per_invocation_and_errors(registry: Path, tmp_path: Path) -> None:
    (tmp_path / "f.mrc").write_bytes(b"".join(book(f"b{i}", f"Book {i}").as_marc() for i in range(7)))
    registry.write_text(
        '[[members]]\nid = "riverside"\nname = "Riverside"\n[[members.sources]]\nid = "file"\n'
        'protocol = "marc-file"\npath = "f.mrc"\nformat = "marc21"\n',
        encoding="utf-8",
    )
    with serve("harvest", Api) as api:
        result = invoke(api, {"member": "riverside", "source": "file"})
        assert (result["ok"], result["more"], result["added"]) == (True, False, 7)
        unknown = invoke(api, {"member": "riverside", "source": "nope"})
        assert unknown == {"ok": False, "error": "member 'riverside' has no source 'nope'", "retryable": False}
        assert invoke(api, {"member": 3})["ok"] is False
    json.dumps(result)  # the answer is plain JSON


def test_a_paused_source_is_not_harvested_and_the_step_says_why(registry: Path, tmp_path: Path) -> None:
    (tmp_path / "f.mrc").write_bytes(b"".join(book(f"b{i}", f"Book {i}").as_marc() for i in range(3)))
    registry.write_text(
        '[[members]]\nid = "riverside"\nname = "Riverside"\n[[members.sources]]\nid = "file"\n'
        'protocol = "marc-file"\npath = "f.mrc"\nformat = "marc21"\npaused = true\n'
        'paused_reason = "the vendor file is being replaced"\n',
        encoding="utf-8",
    )
    with serve("harvest", Api) as api:
        result = invoke(api, {"member": "riverside", "source": "file"})
        assert (result["ok"], result["more"], result["added"]) == (True, False, 0)
        assert result["paused"] == "paused: the vendor file is being replaced"
        assert api.module.container().record_store.count("riverside") == 0


def test_the_harvest_queue_worker_runs_a_queued_run_and_reports_failed_messages(registry: Path, tmp_path: Path) -> None:
    (tmp_path / "f.mrc").write_bytes(b"".join(book(f"b{i}", f"Book {i}").as_marc() for i in range(3)))
    registry.write_text(
        '[[members]]\nid = "riverside"\nname = "Riverside"\n[[members.sources]]\nid = "file"\n'
        'protocol = "marc-file"\npath = "f.mrc"\nformat = "marc21"\n',
        encoding="utf-8",
    )
    with serve("harvest", Api) as api:
        hub = api.module.container()
        queued: list[dict[str, object]] = []

        class Recording:  # the SQS queue the member API sends to, as the worker receives its messages
            def send(self, messages: list[dict[str, object]]) -> int:
                queued.extend(messages)
                return len(messages)

        hub.harvest_runs.queue = Recording()
        run = hub.harvest_runs.start("riverside", requested_by="riverside/key:1")
        assert run.state.value == "queued" and len(queued) == 1
        records = [
            {"messageId": "m-1", "body": json.dumps(queued[0])},
            {"messageId": "m-2", "body": "not json"},  # dropped: retrying cannot help
            {"messageId": "m-3", "body": json.dumps({"harvest_run": 7})},  # names no run: dropped
        ]
        answer = api.client.lambda_.invoke("harvest_run", {"Records": records}).payload
        assert answer == {"batchItemFailures": []}
        done = hub.harvest_runs.get("riverside", run.run_id)
        assert done.state.value == "succeeded"
        assert done.sources[0].counts.added == 3
        hub.harvest_runs.store = None  # any use of the store now raises: the message must come again
        again = api.client.lambda_.invoke("harvest_run", {"Records": [records[0]]}).payload
        assert again == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}


def test_the_reindex_function_rebuilds_the_index_only_when_asked_or_needed(registry: Path, tmp_path: Path) -> None:
    (tmp_path / "f.mrc").write_bytes(b"".join(book(f"b{i}", f"Book {i}").as_marc() for i in range(4)))
    registry.write_text(
        '[[members]]\nid = "riverside"\nname = "Riverside"\n[[members.sources]]\nid = "file"\n'
        'protocol = "marc-file"\npath = "f.mrc"\nformat = "marc21"\n',
        encoding="utf-8",
    )
    with serve("harvest", Api) as api:
        assert invoke(api, {"member": "riverside", "source": "file"})["added"] == 4
        reindex = api.client.lambda_.invoke
        assert reindex("search_reindex", {}).payload == {"ok": True, "indexed": 0}  # current: nothing to do
        hub = api.module.container()
        hub.search_index.clear()  # the index lost (derived data): a forced reindex makes it again
        assert hub.search_index.count() == 0
        assert reindex("search_reindex", {"force": True}).payload == {"ok": True, "indexed": 4}
        assert hub.search_index.count() == 4


def test_the_daily_run_retention_function_forgets_runs_older_than_a_year(registry: Path, tmp_path: Path) -> None:
    from consortium.harvest.runs import HarvestRun, RunState, RunTrigger, new_run_id

    registry.write_text('[[members]]\nid = "riverside"\nname = "Riverside"\n', encoding="utf-8")
    with serve("harvest", Api) as api:
        store = api.module.container().harvest_run_store
        now = datetime.now(UTC)
        for days in range(0, 1000, 10):  # a run every 10 days for nearly 3 years
            at = now - timedelta(days=days)
            store.add(HarvestRun(run_id=new_run_id(at), member="riverside", trigger=RunTrigger.SCHEDULE,
                                 state=RunState.SUCCEEDED, requested_at=at, updated_at=at, sources=[]))  # fmt: skip
        answer = api.client.lambda_.invoke("harvest_prune", {}).payload
        assert answer == {"ok": True, "forgotten": 60}  # 400 days kept: days 0-390 (40 runs)
        assert len(store.runs("riverside", limit=100)) == 40
