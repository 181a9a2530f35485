"""Where the published analytics report is kept: the :class:`AnalyticsStore` port.

Adapters: :class:`~consortium.adapters.memory.analytics.InMemoryAnalyticsStore`,
:class:`~consortium.adapters.local.file_analytics.FileAnalyticsStore` (a JSON file in the data folder) and
:class:`~consortium.adapters.aws.s3_analytics.S3AnalyticsStore` (an object in the raw archive's bucket); one
contract suite, ``tests/contract/test_analytics_store.py``. What is kept is counts only, never a reader.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["AnalyticsStore"]


class AnalyticsStore(Protocol):
    """The latest analytics report, as JSON bytes.

    Example
    -------
    >>> store.save(report.as_json())
    >>> Report.from_json(store.latest())
    """

    def save(self, data: bytes) -> None:
        """Replace the kept report with ``data`` (whole: a reader never sees half of one)."""
        ...

    def latest(self) -> bytes | None:
        """The kept report, or ``None`` when none was built yet."""
        ...
