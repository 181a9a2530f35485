"""bench/recommend_quality.py on a small synthetic data set built here: metrics in range, the project ranking
ahead of random where interests are clear, the CSV loader round-trips, the threshold shortcut is exact."""

from __future__ import annotations

import argparse
import importlib
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

import pytest

from consortium.push.ranking import RELEVANCE_THRESHOLD, rank

BENCH = Path(__file__).resolve().parents[2] / "bench" / "recommend_quality.py"
BOOKS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "goodbooks-10k" / "books.csv"
SPLIT = datetime(2024, 1, 1, tzinfo=UTC)
CODES = ("TP312", "I561.45", "K825.6", "B84", "O13", "F830.9")


def _load(name: str) -> ModuleType:
    """A module of bench/, imported as ``python bench/recommend_quality.py`` imports its siblings."""
    if str(BENCH.parent) not in sys.path:
        sys.path.append(str(BENCH.parent))
    return importlib.import_module(name)


bench = _load("recommend_quality")
methods = _load("recommend_methods")
sim = _load("recommend_sim")


def _dataset(readers: int = 30, seed: int = 3) -> object:
    """Six classes, each with 3 authors of 4 old and 4 new books; each reader reads one class only."""
    rng = random.Random(seed)
    members = ("riverside", "lakeside", "eastlake", "westfield")
    items = {}
    by_class: dict[tuple[str, str], list[str]] = {}
    for c, code in enumerate(CODES):
        for a in range(3):
            for n in range(8):
                item_id = f"{code}-{a}-{n}"
                new = n >= 4
                items[item_id] = bench.Item(
                    item_id=item_id,
                    title=f'Book "{n}", of {code}' if n else f"Book {n}; part {a}",
                    authors=(f"Author{c}x{a} Surname{c}",),
                    year=2020 if new else (None if n == 0 else 1990 + n),
                    subjects=(f"Subject {c}",),
                    classes=(("clc", code),),
                    members=members[: 1 + (n + a) % 4],
                    arrived=SPLIT + timedelta(days=n) if new else SPLIT - timedelta(days=1000 + n),
                    popularity=None if n % 3 == 0 else float(10 * n + a),
                )
                by_class.setdefault((code, "new" if new else "old"), []).append(item_id)
    interactions = []
    for r in range(readers):
        reader, code = f"r{r:02d}", CODES[r % len(CODES)]
        home = members[r % 4]
        for item in rng.sample(by_class[(code, "old")], 6):
            interactions.append(bench.Interaction(reader, item, SPLIT - timedelta(days=rng.randint(1, 300)), home))
        for item in rng.sample(by_class[(code, "new")], 2):
            interactions.append(bench.Interaction(reader, item, SPLIT + timedelta(days=rng.randint(10, 40)), home))
    return bench.Dataset(items, interactions, None, "synthetic")


def test_metrics_are_fractions_and_the_ranking_beats_random() -> None:
    report = bench.evaluate(_dataset(), seed=1, split_at=SPLIT)
    assert report["readers_evaluated"] == 30
    assert report["new_items"] == len(CODES) * 12
    for method in report["results"].values():
        for value in method.values():
            assert 0.0 <= value <= 1.0
    project, random_ = report["results"]["project"], report["results"]["random"]
    assert project["ndcg"] > 2 * random_["ndcg"]
    assert project["recall"] > 2 * random_["recall"]
    assert project["precision"] > random_["precision"]


def test_default_split_is_the_80_percent_point() -> None:
    split = bench.split_dataset(_dataset())
    assert split.at > SPLIT  # 80% of the loans are before the split: old loans plus some of the new ones
    assert all(row.at < split.at for rows in split.train.values() for row in rows)


def test_metrics_at_counts_hits() -> None:
    hidden = {"a": {"x", "y"}, "b": {"z"}}
    ranked = {"a": ["x", "q", "y"], "b": []}
    m = bench.metrics_at(ranked, hidden, k=10)
    assert m["precision"] == pytest.approx((2 / 10 + 0) / 2)
    assert m["recall"] == pytest.approx((1.0 + 0) / 2)
    ideal = 1 + 1 / 1.5849625007211562
    assert m["ndcg"] == pytest.approx((1 + 0.5) / ideal / 2)
    assert m["coverage"] == 0.5


def test_csv_loader_round_trips(tmp_path: Path) -> None:
    dataset = _dataset(readers=6)
    interactions_path, items_path = bench.write_csv(dataset, tmp_path)
    loaded = bench.load_csv(interactions_path, items_path)
    assert loaded.items == dataset.items
    assert sorted(loaded.interactions, key=repr) == sorted(dataset.interactions, key=repr)


def test_threshold_lists_are_prefixes_of_the_threshold_0_list() -> None:
    dataset = _dataset()
    split = bench.split_dataset(dataset, SPLIT)
    lists, _ = bench.rank_project(dataset, split, thresholds=(0.0, 0.3, RELEVANCE_THRESHOLD))
    ranker = methods.ProjectRanker(dataset, split)
    for reader in sorted(split.hidden):
        for threshold in (0.3, RELEVANCE_THRESHOLD):
            direct = rank(
                ranker.taste(reader),
                ranker.works,
                member=split.home[reader],
                members_total=ranker.members_total,
                cap=10,
                threshold=threshold,
            )
            assert lists[threshold][reader] == [item.cluster_id for item in direct]


def test_workers_give_the_same_lists() -> None:
    dataset = _dataset()
    split = bench.split_dataset(dataset, SPLIT)
    one, _ = bench.rank_project(dataset, split, workers=1)
    two, _ = bench.rank_project(dataset, split, workers=2)
    assert one == two


@pytest.mark.shared_data
@pytest.mark.skipif(not BOOKS.is_file(), reason=f"goodbooks-10k is not at {BOOKS} (../shared/data)")
def test_simulation_over_goodbooks_is_deterministic() -> None:
    first = bench.simulate(BOOKS, readers=30, seed=5)
    second = bench.simulate(BOOKS, readers=30, seed=5)
    assert first.interactions == second.interactions
    assert len(first.items) == 10_000
    assert {len(item.members) for item in first.items.values()} == {1, 2, 3, 4}
    assert len({item.classes for item in first.items.values()}) == len(bench.CLASSES)
    split = bench.split_dataset(first)
    assert split.at == sim.SPLIT_AT and len(split.hidden) == 30
    assert all(first.items[i].arrived >= split.at for items in split.hidden.values() for i in items)


compare = _load("recommend_compare")
loans = _load("recommend_loans")


def test_average_precision_and_the_paired_bootstrap() -> None:
    m = compare.per_reader(["x", "q", "y"], {"x", "y"})
    assert m["map"] == pytest.approx((1 + 2 / 3) / 2)
    assert m["precision"] == pytest.approx(0.2) and m["recall"] == 1.0
    low, high = compare.bootstrap([0.3, 0.2, 0.4, 0.3], [0.1, 0.1, 0.2, 0.1], seed=1)
    assert 0 < low <= 0.175 <= high
    low, high = compare.bootstrap([0.1, 0.3], [0.3, 0.1], seed=1)
    assert low < 0 < high


def test_the_loans_form_is_read_and_new_books_are_first_loaned_after_the_split(tmp_path: Path) -> None:
    (tmp_path / "i.csv").write_text(
        'Title,Author,ISBN Valid,Publisher,Subjects,i\nA /,"Testot, Laurent 1967-....",,P,Horses--War use; Comics,1\n'
        "B,,,P,Comics,2\nC,,,P,,3\n",
        encoding="utf-8",
    )
    (tmp_path / "l.csv").write_text("u,i,t,r\n7,1,100.0,\n8,2,300.0,\n7,2,400.0,\n", encoding="utf-8")
    assert loans.is_loans_form(tmp_path / "l.csv")
    dataset = loans.load_any(tmp_path / "l.csv", tmp_path / "i.csv")
    assert dataset.items["1"].authors == ("Testot, Laurent 1967-....",)
    assert dataset.items["1"].subjects == ("Horses--War use", "Comics")
    split = bench.split_dataset(dataset, datetime.fromtimestamp(200, UTC))
    settings = compare.settings_of(dataset, split)
    assert settings["new"] == (["2"], {"7": {"2"}})
    assert settings["all"][1] == {"7": {"2"}}
    assert dataset.items["3"].arrived > datetime.fromtimestamp(400, UTC)  # never loaned: never new


cuts = _load("recommend_cuts")
data = _load("recommend_data")


def test_splits_are_parsed_as_increasing_shares_and_bad_ones_are_named() -> None:
    assert cuts.parse_shares("0.6,0.7, 0.8,0.9") == (0.6, 0.7, 0.8, 0.9)
    assert cuts.parse_shares("0.5") == (0.5,)
    for text, named in (("0.6,x", "'x' is not a number"), ("0.6,1", "1 is not a share"), ("0", "0 is not a share")):
        with pytest.raises(argparse.ArgumentTypeError, match=named):
            cuts.parse_shares(text)
    with pytest.raises(argparse.ArgumentTypeError, match=r"0\.6 does not come after 0\.7"):
        cuts.parse_shares("0.7,0.6")
    with pytest.raises(SystemExit):  # argparse reports the error and exits 2
        bench.main(["--splits", "0.6,0.6"])
    with pytest.raises(SystemExit):
        bench.main(["--splits", "0.6,0.8", "--validation"])


def test_a_cut_is_where_its_share_of_the_loans_happened_and_the_default_split_is_the_80_percent_cut() -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    rows = [bench.Interaction(f"r{n % 3}", "x", start + timedelta(days=n)) for n in (9, 3, 0, 7, 1, 5, 8, 2, 6, 4)]
    dataset = bench.Dataset({}, rows, None, "ten loans")
    assert data.cut_at(dataset, 0.6) == start + timedelta(days=6)  # 6 of the 10 loans come before it
    assert data.cut_at(dataset, 0.05) == start
    assert data.cut_at(dataset, 0.99) == start + timedelta(days=9)
    assert bench.split_dataset(dataset).at == data.cut_at(dataset, 0.8) == start + timedelta(days=8)
    with pytest.raises(ValueError, match="between 0 and 1"):
        data.cut_at(dataset, 1.0)
