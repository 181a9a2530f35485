"""Splink (DuckDB, unsupervised EM) and recordlinkage (ECM) on exactly the candidate pairs the project's
matcher decides, for bench/dedup_quality.py. Neither sees a label.

The configurations, written out so that anyone can check them:

- **Splink 5** (``link_only``): each candidate pair becomes a left and a right row sharing a ``pair_id``, and
  ``pair_id`` is the only blocking rule, so Splink scores exactly the candidate pairs. Comparisons: title by
  Jaro-Winkler at 0.95 / 0.88 / 0.7; authors by Jaccard of their words at 0.8 / 0.5 / 0.2; publication (venue or
  publisher) by Jaro-Winkler at 0.9 / 0.7; year by exact match; ISBN, pages and format by exact match where the
  set has them. ``u`` by random sampling (1e6 pairs), the prior by the deterministic rule "same title", ``m``
  by EM twice (blocked on title, then on authors), as Splink's tutorials train; a match at probability 0.5.
- **recordlinkage 0.16**: the same fields compared on the candidate pairs into binary features (title
  Jaro-Winkler >= 0.88, authors Jaccard-like ``qgram`` >= 0.5, publication Jaro-Winkler >= 0.7, year exact,
  ISBN / pages / format exact where present; a missing value counts 0), classified by the ECM classifier
  (EM on the binary features).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dedup_sets import LabelledSet

__all__ = ["run_peers"]

_TEXT_FIELDS = ("title", "authors", "publication", "year", "isbn", "pages", "format")


def _columns(data: LabelledSet) -> list[str]:
    """The fields that some record of the set has."""
    return [f for f in _TEXT_FIELDS if any(t.get(f) or (f == "publication" and t.get("publisher")) for t in data.texts)]


def _row(data: LabelledSet, index: int) -> dict[str, Any]:
    text = data.texts[index]
    record = data.records[index]
    return {
        "title": text.get("title", "").lower() or None,
        "authors": text.get("authors", "").lower().replace(",", " ") or None,
        "publication": (text.get("publication") or text.get("publisher") or "").lower() or None,
        "year": str(record.year) if record.year else None,
        "isbn": text.get("isbn") or None,
        "pages": str(record.pages) if record.pages else None,
        "format": record.format.value,
    }


def run_splink(data: LabelledSet, pairs: list[tuple[int, int]], labelled: list[tuple[int, int]]) -> list[bool]:
    import pandas as pd
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    logging.getLogger("splink").setLevel(logging.ERROR)
    columns = _columns(data)
    everything = list(dict.fromkeys([*labelled, *pairs]))
    left = pd.DataFrame([{"unique_id": n, "pair_id": n, **_row(data, i)} for n, (i, _) in enumerate(everything)])
    right = pd.DataFrame([{"unique_id": n, "pair_id": n, **_row(data, j)} for n, (_, j) in enumerate(everything)])
    comparisons: list[Any] = [cl.JaroWinklerAtThresholds("title", [0.95, 0.88, 0.7])]
    if "authors" in columns:
        comparisons.append(cl.JaccardAtThresholds("authors", [0.8, 0.5, 0.2]))
    if "publication" in columns:
        comparisons.append(cl.JaroWinklerAtThresholds("publication", [0.9, 0.7]))
    comparisons += [cl.ExactMatch(f) for f in ("year", "isbn", "pages", "format") if f in columns]
    settings = SettingsCreator(
        link_type="link_only",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=[block_on("pair_id")],
        retain_intermediate_calculation_columns=False,
    )
    db = DuckDBAPI()
    linker = Linker([db.register(left), db.register(right)], settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match([block_on("title")], recall=0.8)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("title"))
    if "authors" in columns:
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("authors"))
    else:
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("pair_id"))
    found = linker.inference.predict(threshold_match_probability=0.5).as_pandas_dataframe()
    matched = set(found["unique_id_l"].astype(int))
    position = {pair: n for n, pair in enumerate(everything)}
    return [position[pair] in matched for pair in labelled]


def run_recordlinkage(data: LabelledSet, pairs: list[tuple[int, int]], labelled: list[tuple[int, int]]) -> list[bool]:
    import pandas as pd
    import recordlinkage

    columns = _columns(data)
    frame = pd.DataFrame([_row(data, n) for n in range(len(data.records))])
    everything = list(dict.fromkeys([*labelled, *pairs]))
    index = pd.MultiIndex.from_tuples(everything)
    compare = recordlinkage.Compare()
    compare.string("title", "title", method="jarowinkler", threshold=0.88, label="title")
    if "authors" in columns:
        compare.string("authors", "authors", method="qgram", threshold=0.5, label="authors")
    if "publication" in columns:
        compare.string("publication", "publication", method="jarowinkler", threshold=0.7, label="publication")
    for name in ("year", "isbn", "pages", "format"):
        if name in columns:
            compare.exact(name, name, label=name)
    features = compare.compute(index, frame, frame).fillna(0).astype(int)
    classifier = recordlinkage.ECMClassifier(binarize=None)
    matches = classifier.fit_predict(features)
    matched = set(matches.tolist())
    return [pair in matched for pair in labelled]


def run_peers(data: LabelledSet, pairs: list[tuple[int, int]], level: str) -> dict[str, list[bool]]:
    """Each peer's decision on each labelled pair (in ``data.labelled`` order); ``pairs`` are all the candidate
    pairs (the labelled ones and any unlabelled), on which the peers are fitted."""
    labelled = [(i, j) for i, j, _ in data.labelled]
    return {"splink": run_splink(data, pairs, labelled), "recordlinkage": run_recordlinkage(data, pairs, labelled)}
