"""The analytics part of the container: where the report is kept, and the job that builds it."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from consortium.bootstrap.base import Parts
from consortium.errors import ValidationError

if TYPE_CHECKING:
    from consortium.analytics.ports import AnalyticsStore
    from consortium.analytics.service import Analytics

__all__ = ["AnalyticsParts"]


class AnalyticsParts(Parts):
    @cached_property
    def analytics_store(self) -> AnalyticsStore:
        """Where the analytics report is kept: an object in the raw archive's bucket on AWS
        (``analytics/report.json``), a file of the data folder locally (``analytics/report.json``)."""
        if "analytics_store" in self._overrides:
            store: AnalyticsStore = self._overrides["analytics_store"]
            return store
        if self.settings.backend == "aws":
            from consortium.adapters.aws import S3AnalyticsStore

            return S3AnalyticsStore(self.settings.raw_bucket, client=self._aws_client("s3"))
        from consortium.adapters.local import FileAnalyticsStore

        return FileAnalyticsStore(self.settings.data_dir / "analytics" / "report.json")

    @cached_property
    def analytics(self) -> Analytics:
        """Reader-behaviour analytics: the job that builds the report, and what staff read of it."""
        from consortium.analytics.service import Analytics
        from consortium.ports import system_clock
        from consortium.push.ledgers import PushLedgers
        from consortium.search.query import parse_query_string

        def hits(text: str) -> int:
            """Works the catalogue finds for what a reader typed (fields and filters read as the search box reads
            them), every member's."""
            try:
                query = parse_query_string(text, page_size=1)
            except ValueError as exc:  # text that gives no term: not a search the catalogue can answer
                raise ValidationError(f"not a searchable query: {exc}") from exc
            return self.search_index.search(query).total

        return Analytics(
            self.analytics_store,
            self.profiles,
            ledgers=PushLedgers(self.profiles.vault),
            registry=lambda: self.registry,
            work=self.cluster_store.get,
            hits=hits,
            clock=self._overrides.get("clock", system_clock),
        )
