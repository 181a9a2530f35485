"""Benchmark: the follower process alone, on the batches of one hub harvesting another.

Prints figures only (no pass/fail). Hub B harvests hub A (``bench/oai_hub_a.py``, ``--records`` works, default
20,000) once, following in its own process, and keeps the batches it followed (not measured). Then, ``--runs``
times (default 3), a fresh hub B folder gets them all, page by page (200 records), through the harvest's own
hand-over (``Following``: batches of the hub's ``follow_every``, at most ``IN_FLIGHT`` waiting) to a
``ProcessFollower``, as fast as it takes them: the follower is the only thing working, so its CPU a record (the
process's, with tantivy's threads and its start) and its wall time are what ``bench/oai_provider.py``'s whole hub
waits for, without hub A, HTTP or the harvest beside it. The last line is one JSON object with the figures.

Run from the repository root::

    PYTHONPATH=$PWD:$PWD/bench .venv/bin/python bench/follower_replay.py [--records N] [--runs R]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from harvest import _revision
from oai_hub_a import HubA
from oai_provider import whole_hub

PAGE = 200


def captured_batches(records: int, work: Path) -> list[list[Any]]:
    """The batches hub B follows harvesting hub A (following in its own process)."""
    hub_a = HubA(work / "a", records)
    _, close = hub_a.catalogue(PAGE)
    url = hub_a.start(8)
    batches: list[list[Any]] = []
    try:
        import consortium.catalogue

        follow = consortium.catalogue.Catalogue.follow

        def keeping(self: Any, changes: Any) -> Any:
            batches.append(list(changes))
            return follow(self, batches[-1])

        consortium.catalogue.Catalogue.follow = keeping  # type: ignore[method-assign]
        try:
            whole_hub(url, work / "captured", process=False)
        finally:
            consortium.catalogue.Catalogue.follow = follow  # type: ignore[method-assign]
    finally:
        hub_a.stop()
        close()
    return batches


def replay(batches: list[list[Any]], work: Path) -> tuple[float, float]:
    """Hand the batches to a follower process of a fresh hub in ``work``: its CPU seconds and the wall seconds."""
    from consortium.bootstrap import bootstrap
    from consortium.bootstrap.follower import ProcessFollower
    from consortium.config import Settings
    from consortium.harvest.following import Following

    work.mkdir(parents=True)
    registry = work / "members.toml"
    registry.write_text('[[members]]\nid = "hub-a"\nname = "Hub A"\n')
    settings = Settings(data_dir=work / "var", members_file=registry, key_dir=work / "keys")
    hub = bootstrap(settings)
    _ = hub.catalogue.clusters  # the stores made and migrated, as the harvest's own bootstrap does
    before, start = os.times(), time.perf_counter()

    def here(changes: list[Any]) -> None:  # were the follower to fail, as the harvest does
        hub.catalogue.follow(changes)

    following = Following(here, settings.harvest_follow_every, lambda: ProcessFollower(settings))
    for batch in batches:
        for page in range(0, len(batch), PAGE):
            following.committed(batch[page : page + PAGE], last=False)
    following.finish()
    elapsed, after = time.perf_counter() - start, os.times()
    hub.close()
    return after.children_user + after.children_system - before.children_user - before.children_system, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000, help="works hub A serves (default 20000)")
    parser.add_argument("--runs", type=int, default=3, help="replays (default 3)")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-follower-") as tmp_name:
        tmp = Path(tmp_name)
        batches = captured_batches(args.records, tmp)
        records = sum(len(batch) for batch in batches)
        print(f"consortium {_revision()}: {records} records in {len(batches)} batches (captured, not measured)")
        cpu: list[float] = []
        wall: list[float] = []
        for run in range(args.runs):
            seconds, elapsed = replay(batches, tmp / f"replay{run}")
            cpu.append(1000 * seconds / records)
            wall.append(elapsed)
            print(f"run {run + 1}: follower CPU {cpu[-1]:.4f} ms a record, wall {elapsed:.2f} s "
                  f"({records / elapsed:,.0f} records/s); load {os.getloadavg()[0]:.2f}")  # fmt: skip
    figures = {
        "revision": _revision(),
        "records": records,
        "follower_cpu_ms_per_record": [round(value, 4) for value in cpu],
        "wall_s": [round(value, 2) for value in wall],
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
