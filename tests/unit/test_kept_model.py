"""The matcher clusters with the consortium's own fitted model, read from its model store (the packaged prior
beliefs until one is kept), and takes a model another process saved."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import TYPE_CHECKING

import pytest
from factories import make_record

from consortium.adapters.memory import (
    InMemoryClusterStore,
    InMemoryMatchModelStore,
    InMemoryRecordStore,
    ManualClock,
)
from consortium.dedup.kept_model import CHECK_EVERY, PACKAGED, KeptModel, packaged_model
from consortium.dedup.model import PRIOR_MODEL
from consortium.dedup.service import DedupService
from consortium.errors import ValidationError
from consortium.harvest.state import Checkpoint, PageCommit, RecordChange

if TYPE_CHECKING:
    from pathlib import Path

    from consortium.models import Record

NOW = dt.datetime(2026, 12, 4, 9, tzinfo=dt.UTC)
STRICT = replace(PRIOR_MODEL, prior=1e-12, fitted_on={"records": 2})
"""A model under which nothing short of a shared identifier matches (prior odds of a match 2**-40)."""


def _two_copies() -> list[Record]:
    """One book at two members, without an identifier: the prior beliefs match them on title, author and year."""
    return [
        make_record(member, "1", "Gardens of the moon", authors=["Erikson, Steven"], year=1999, publisher="Bantam")
        for member in ("riverside", "lakeside")
    ]


def _service(store: InMemoryMatchModelStore, clock: ManualClock | None = None) -> DedupService:
    records = InMemoryRecordStore()
    checkpoint = Checkpoint(source_id="s", run_id="r", started_at=NOW)
    page = [RecordChange(member=r.member, local_id=r.local_id, record=r) for r in _two_copies()]
    records.commit(PageCommit(changes=page, checkpoint=checkpoint))
    return DedupService(records, InMemoryClusterStore(), model_store=store, clock=clock or ManualClock(NOW))


def _clusters(service: DedupService) -> int:
    service.apply_records((r.key, r) for r in _two_copies())
    return service.clusters.count()


def test_with_no_model_kept_the_prior_beliefs_cluster() -> None:
    service = _service(InMemoryMatchModelStore())
    assert service.model == PRIOR_MODEL and not service.kept_model.fitted
    assert _clusters(service) == 1


def test_the_kept_model_is_the_one_the_matcher_uses() -> None:
    store = InMemoryMatchModelStore()
    store.save(STRICT)
    service = _service(store)
    assert service.model == STRICT and service.kept_model.fitted
    assert _clusters(service) == 2  # the strict weights keep the two copies apart


def test_a_model_saved_by_another_process_is_taken_at_the_next_check() -> None:
    store = InMemoryMatchModelStore()
    clock = ManualClock(NOW)
    service = _service(store, clock)
    store.save(STRICT)  # the rebuild task, elsewhere
    service.apply_records([])
    assert service.model == PRIOR_MODEL  # not asked again yet
    clock.advance(CHECK_EVERY)
    service.apply_records([])
    assert service.model == STRICT


def test_refit_keeps_the_model_in_the_store_unless_told_not_to() -> None:
    store = InMemoryMatchModelStore()
    service = _service(store)
    records = _two_copies() * 30
    trial = service.refit(records, keep=False)
    assert store.load() is None and service.model == PRIOR_MODEL
    kept = service.refit(records)
    assert store.load() == kept == service.model == trial


def test_a_store_emptied_falls_back_to_the_default() -> None:
    store = InMemoryMatchModelStore()
    store.save(STRICT)
    clock = ManualClock(NOW)
    kept = KeptModel(store, clock=clock)
    assert kept.current() == STRICT
    store._text = None  # the object deleted by hand
    clock.advance(CHECK_EVERY)
    assert kept.current() == PRIOR_MODEL and not kept.fitted


def test_the_packaged_model_is_the_default_when_a_release_ships_one(tmp_path: Path) -> None:
    assert packaged_model(tmp_path / "none.json") == PRIOR_MODEL  # none shipped: the prior beliefs
    shipped = tmp_path / "dedup_model.json"
    shipped.write_text(STRICT.to_json(), encoding="utf-8")
    assert packaged_model(shipped) == STRICT
    assert KeptModel(InMemoryMatchModelStore(), packaged_model(shipped)).current() == STRICT
    shipped.write_text("{}", encoding="utf-8")
    with pytest.raises(ValidationError, match=str(shipped)):
        packaged_model(shipped)
    assert packaged_model() == PRIOR_MODEL or PACKAGED.exists()


def test_a_model_fitted_to_other_comparison_levels_is_set_aside_for_the_default(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A data folder or bucket keeping a fit of an earlier matcher (its comparisons had other levels) does not stop
    harvesting: the default clusters, the log says why, and the next fit is taken."""
    import json

    from consortium.adapters.local import FileMatchModelStore

    data = json.loads(STRICT.to_json())
    data["levels"] = {**data["levels"], "title": ["exact", "similar", "different"]}
    kept_file = tmp_path / "dedup_model.json"
    kept_file.write_text(json.dumps(data), encoding="utf-8")
    store = FileMatchModelStore(kept_file)
    clock = ManualClock(NOW)
    kept = KeptModel(store, clock=clock)
    with caplog.at_level("WARNING"):
        assert kept.current() == PRIOR_MODEL and not kept.fitted
    assert str(kept_file) in caplog.text and "other comparison levels" in caplog.text
    store.save(STRICT)
    clock.advance(CHECK_EVERY)
    assert kept.current() == STRICT and kept.fitted
