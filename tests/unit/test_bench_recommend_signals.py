"""bench/recommend_signals.py: the title signals it counts, on items built here (no shared data needed)."""

from __future__ import annotations

import importlib
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _load(name: str) -> ModuleType:
    """A module of bench/, imported as ``python bench/recommend_signals.py`` imports its siblings."""
    if str(BENCH) not in sys.path:
        sys.path.append(str(BENCH))
    return importlib.import_module(name)


signals_module = _load("recommend_signals")
data = _load("recommend_data")
AT = datetime(2023, 1, 1, tzinfo=UTC)


def _item(item_id: str, title: str, author: str = "", series: str | None = None) -> object:
    return data.Item(
        item_id=item_id,
        title=title,
        authors=(author,) if author else (),
        year=None,
        subjects=(),
        classes=(),
        members=("library",),
        arrived=AT,
        series=series,
    )


def test_a_series_is_the_title_without_the_part_it_names() -> None:
    stem = signals_module.series_stem
    assert stem(None, "Les cahiers d'Esther : histoires de mes 11 ans") == stem(
        None, "Les cahiers d'Esther : histoires de mes 12 ans"
    )
    assert stem(None, "Traité de droit civil. Tome II") == stem(None, "Traité de droit civil, tome 3")
    assert stem(None, "Le harcèlement scolaire") is None  # names no part: no series
    assert stem("Que sais-je ?", "La peste noire") == "que sais je"  # the record's series first


def test_signals_share_series_title_proper_work_group_and_rare_words() -> None:
    items = [
        _item("1", "Traité de droit civil. Tome II", "Dupont, Jean"),
        _item("2", "Traité de droit civil. Tome III", "Dupont, Jean"),
        _item("3", "Droit pénal : partie générale", "Martin, Anne"),
        _item("4", "Droit pénal : partie spéciale", "Martin, Anne"),
        _item("5", "Droit pénal", "Durand, Paul"),
        *(_item(f"x{n}", f"Droit et société {n}") for n in range(30)),
    ]
    dataset = data.Dataset({item.item_id: item for item in items}, [], None, "built here")
    found = signals_module.signals(dataset)
    assert found["series (or part named)"]("1") == found["series (or part named)"]("2") != set()
    assert found["series (or part named)"]("3") == set()
    assert found["title proper"]("3") == found["title proper"]("5") == {"droit penal"}
    assert found["work group"]("3") == found["work group"]("4") != found["work group"]("5")
    assert "civil" in found["title word (n <= 5)"]("1")
    assert "droit" not in found["title word (n <= 20)"]("1")  # in 35 titles: common, not rare
