"""bench/recommend_tries.py and bench/recommend_diagnose.py: current demand under the ten-reader rule, authors'
readers, each try patched in only inside its block (no shared data needed)."""

from __future__ import annotations

import importlib
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest

from consortium.profiles import interests
from consortium.push import ranking, scoring
from consortium.push.evidence import Evidence
from consortium.push.index import NewWorks

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _load(name: str) -> ModuleType:
    """A module of bench/, imported as ``python bench/recommend_tries.py`` imports its siblings."""
    if str(BENCH) not in sys.path:
        sys.path.append(str(BENCH))
    return importlib.import_module(name)


tries = _load("recommend_tries")
language = _load("recommend_language")
data = _load("recommend_data")
AT = datetime(2024, 1, 1, tzinfo=UTC)
YEAR = timedelta(days=365)


def _loan(reader: str, item: str, days_before: float) -> object:
    return data.Interaction(reader, item, AT - timedelta(days=days_before))


def test_current_demand_counts_each_readers_latest_loan_decayed_and_only_counted_works() -> None:
    train = {
        "r1": [_loan("r1", "old", 730), _loan("r1", "old", 365)],  # twice: its latest loan, a year ago, counts once
        "r2": [_loan("r2", "old", 730), _loan("r2", "now", 0)],
        "r3": [_loan("r3", "now", 0), _loan("r3", "few", 0)],
    }
    found = tries.demand_loans(train, AT, YEAR, counted=["old", "now"])
    assert found["old"] == pytest.approx(0.5 + 0.25)
    assert found["now"] == pytest.approx(2.0)
    assert "few" not in found  # under the ten-reader rule: no count at all


def test_authors_readers_are_distinct_and_only_from_the_minimum_on() -> None:
    keys = {"w1": ["subject:a", "author:x"], "w2": ["author:x"], "w3": ["author:y"]}
    train = {f"r{n}": [_loan(f"r{n}", "w1", 1), _loan(f"r{n}", "w2", 1)] for n in range(3)}
    train["r9"] = [_loan("r9", "w3", 1)]
    assert tries.author_readers(train, keys.__getitem__, min_readers=3) == {"author:x": 3}
    assert tries.author_readers(train, keys.__getitem__, min_readers=4) == {}


def test_a_try_is_patched_in_only_inside_its_block() -> None:
    evidence = Evidence.of_keys([["subject:a"]], loans={"w1": 12})
    v = SimpleNamespace(evidence=evidence)
    before = (scoring._terms, NewWorks.first_met, ranking.evidence_scores, ranking.Taste.of, interests.expand)
    for name in ("cosine", "fields", "popular-scored", "shortlist-as-scored", "confidence-prior", "subject-levels"):
        with pytest.raises(RuntimeError), tries.trying(name, v) as used:
            assert used is evidence
            now = (scoring._terms, NewWorks.first_met, ranking.evidence_scores, ranking.Taste.of, interests.expand)
            assert now != before
            raise RuntimeError
        assert (scoring._terms, NewWorks.first_met, ranking.evidence_scores, ranking.Taste.of, interests.expand) == (
            before
        )
    with pytest.raises(ValueError, match="no try 'nothing'"), tries.trying("nothing", v):
        pass


def test_subject_levels_are_learned_from_a_loan_inside_the_try_only() -> None:
    v = SimpleNamespace(evidence=Evidence.of_keys([]))
    keys = ["subject:droit -- suisse"]
    with tries.trying("subject-levels", v):
        learned = interests.apply_event(interests.InterestProfile(), "borrow", keys, AT).learned
    assert set(learned) == {"subject:droit -- suisse", "subject:droit", "subject:suisse"}
    assert learned["subject:droit"].slow == pytest.approx(3.0 * 0.5)
    assert set(interests.apply_event(interests.InterestProfile(), "borrow", keys, AT).learned) == set(keys)


def test_the_kind_of_a_reason() -> None:
    diagnose = _load("recommend_diagnose")
    assert diagnose.reason_kind("by Ernaux, Annie · at your library") == "by author"
    assert diagnose.reason_kind("because you borrowed Les années · at your library") == "because you borrowed"


def test_the_language_an_isbn_stands_for() -> None:
    assert language.isbn_language("978-2-07-036822-X") == "fre"
    assert language.isbn_language("3-16-148410-0; 978-0-262-03384-8") == "ger"  # the first ISBN of the row
    isbns = ("0262033844", "9781593279288", "9788804668237", "9791032101243", "9798886450055", "9791190000000")
    assert [language.isbn_language(i) for i in isbns] == ["eng", "eng", "ita", "fre", "eng", None]
    assert language.isbn_language("") is None and language.isbn_language("9784000000000") is None


def test_the_language_fit_by_the_rule_of_succession(monkeypatch: pytest.MonkeyPatch) -> None:
    works = [SimpleNamespace(cluster_id=c) for c in ("fr-new", "en-new", "de-new", "unknown")]
    monkeypatch.setattr(language.scoring, "evidence_scores", lambda works, *a, **k: [(0.5, 0.0, "") for _ in works])
    languages = {"fr-new": "fre", "en-new": "eng", "de-new": "ger", **{f"f{n}": "fre" for n in range(3)}, "e0": "eng"}
    taste = SimpleNamespace(borrowed=[SimpleNamespace(cluster_id=c) for c in ("f0", "f1", "f2", "e0", "no-language")])
    strict = language.language_fit(languages, seen=False)(works, {}, {}, taste, None)
    assert [score for score, _, _ in strict] == [0.5, 0.5 * 2 / 4, 0.5 * 1 / 4, 0.5]  # (loans + 1) / (3 + 1)
    seen = language.language_fit(languages, seen=True)(works, {}, {}, taste, None)
    assert [score for score, _, _ in seen] == [0.5, 0.5, 0.5 * 1 / 5, 0.5]  # only German, never borrowed: 1 / (4 + 1)
