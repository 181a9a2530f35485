"""Splink 5 (DuckDB, unsupervised) deduplicating the generated records of ``bench/dedup_speed.py``, timed: the
peer's time beside ours in the same run. A bench dependency only (the ``bench`` extra); imported when it runs.

The configuration, written out: ``dedupe_only``; blocking like ours, on the ISBN, the first two words of the
title, and the author's family name with the year; comparisons title by Jaro-Winkler at 0.95 / 0.88 / 0.7,
authors by Jaro-Winkler at 0.9 / 0.7, publisher, ISBN and year exact; ``u`` by random
sampling (1e6 pairs), the prior by the deterministic rule "same ISBN" (recall 0.7), ``m`` by EM blocked on the
ISBN and then on the title; pairs predicted at a match probability of 0.99 (ours) and clustered by connected
components (``cluster_pairwise_predictions_at_threshold``). The time counts everything from the records in
memory to the clusters: building the table, training, predicting and clustering, as ours counts from the
records to the clusters.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from consortium.models import Record

__all__ = ["run_splink"]


def _row(number: int, record: Record) -> dict[str, Any]:
    title = " ".join(record.title.lower().replace("/", " ").split())
    isbns = [i.value for i in record.identifiers if i.scheme.value == "isbn"]
    return {
        "unique_id": number,
        "title": title,
        "title_key": " ".join(title.split()[:2]),
        "authors": record.authors[0].lower().replace(",", "") if record.authors else None,
        "surname": record.authors[0].split(",")[0].split()[-1].lower() if record.authors else None,
        "publisher": (record.publisher or "").lower() or None,
        "year": record.year,
        "isbn": isbns[0] if isbns else None,
    }


def run_splink(records: list[Record]) -> dict[str, Any]:
    """Splink's clusters of ``records``: ``{"records", "clusters", "seconds", "cpu_s"}`` (CPU of this process;
    DuckDB's own threads are in the wall time)."""
    import pandas as pd
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    logging.getLogger("splink").setLevel(logging.ERROR)
    started, cpu = time.perf_counter(), time.process_time()
    table = pd.DataFrame([_row(n, r) for n, r in enumerate(records)])
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.JaroWinklerAtThresholds("title", [0.95, 0.88, 0.7]),
            cl.JaroWinklerAtThresholds("authors", [0.9, 0.7]),
            cl.ExactMatch("publisher"),
            cl.ExactMatch("isbn"),
            cl.ExactMatch("year"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("isbn"),
            block_on("title_key"),
            block_on("surname", "year"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    db = DuckDBAPI()
    linker = Linker(db.register(table), settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match([block_on("isbn")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("isbn"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("title_key"))
    predicted = linker.inference.predict(threshold_match_probability=0.99)
    clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(predicted, 0.99)
    clusters = clustered.as_pandas_dataframe()["cluster_id"].nunique()
    return {
        "records": len(records),
        "clusters": int(clusters),
        "seconds": round(time.perf_counter() - started, 2),
        "cpu_s": round(time.process_time() - cpu, 2),
    }
