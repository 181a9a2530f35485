"""The scheduled harvest job of ``consortium run``: a failing source is named in the job's summary, left alone
while its backoff lasts, and tried again after it; the other sources run each time."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from marc_builders import book

from consortium.bootstrap import bootstrap
from consortium.cli.run import _jobs
from consortium.config import Settings

if TYPE_CHECKING:
    from pathlib import Path

T0 = dt.datetime(2026, 12, 3, 8, 0, tzinfo=dt.UTC)


def test_the_harvest_job_retries_a_failing_source_with_backoff(tmp_path: Path) -> None:
    (tmp_path / "lakeside.mrc").write_bytes(book("l1", "A lakeside book").as_marc())
    (tmp_path / "members.toml").write_text(
        "".join(
            f'[[members]]\nid = "{m}"\nname = "{m}"\n\n[[members.sources]]\nid = "catalogue"\n'
            f'protocol = "marc-file"\npath = "{m}.mrc"\nformat = "marc21"\n\n'
            for m in ("riverside", "lakeside")
        ),
        encoding="utf-8",
    )
    container = bootstrap(Settings(data_dir=tmp_path / "var", members_file=tmp_path / "members.toml"))
    [harvest] = [job for job in _jobs(container) if job.name == "harvest"]

    first = harvest.action(T0)
    assert first.startswith("1 sources, 1 records added or changed; failed: riverside/catalogue: ConfigError:")
    assert "riverside.mrc" in first
    assert harvest.action(T0 + dt.timedelta(minutes=30)) == (
        "1 sources, 0 records added or changed; waiting to retry: riverside/catalogue"
    )
    (tmp_path / "riverside.mrc").write_bytes(book("r1", "A riverside book").as_marc())
    assert harvest.action(T0 + dt.timedelta(hours=6)) == "2 sources, 1 records added or changed"
    assert container.record_store.count("riverside") == 1
