"""The catalogue's part of the container: records, the raw archive, clusters, search, the member registry and
what members do (their sources, harvest runs, quarantine, loans, statistics)."""

from __future__ import annotations

import logging
import tempfile
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from consortium.bootstrap.base import Parts
from consortium.catalogue import Catalogue
from consortium.dedup.service import DedupService
from consortium.errors import ConfigError
from consortium.harvest.oai_pmh import OaiPmhClient
from consortium.harvest.runner import HarvestRuns
from consortium.harvest.service import HarvestService
from consortium.harvest.sweep import FailureLog
from consortium.members import MemberRegistry, RegistryFile
from consortium.membership import EventUpload, MemberQuarantine, MemberStatistics
from consortium.registry.service import MemberSources

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from consortium.catalogue_out.published import PublishedCatalogue
    from consortium.dedup.ports import ClusterStore, MatchModelStore, PlanStore
    from consortium.harvest.ports import BlobStore, Follower, HarvestRunStore, RecordStore
    from consortium.harvest.state import RecordChange
    from consortium.ports import Queue
    from consortium.registry.ports import SourceOverrideStore
    from consortium.search.ports import SearchIndex

__all__ = ["CatalogueParts"]

log = logging.getLogger(__name__)


class CatalogueParts(Parts):
    """Records, clusters, search, members and their harvests."""

    @cached_property
    def record_store(self) -> RecordStore:
        if "record_store" in self._overrides:
            store: RecordStore = self._overrides["record_store"]
            return store
        if self.settings.backend == "aws":
            from consortium.adapters.aws import DynamoDbRecordStore

            return DynamoDbRecordStore(self.settings.records_table, client=self._aws_client("dynamodb"))
        from consortium.adapters.local import SqliteRecordStore

        return SqliteRecordStore.open(self.settings.sqlite_path)

    @cached_property
    def archive(self) -> BlobStore:
        if "archive" in self._overrides:
            archive: BlobStore = self._overrides["archive"]
            return archive
        if self.settings.backend == "aws":
            from consortium.adapters.aws import S3BlobStore

            return S3BlobStore(self.settings.raw_bucket, client=self._aws_client("s3"))
        from consortium.adapters.local import SqliteBlobStore

        return SqliteBlobStore.open(self.settings.archive_path)

    @cached_property
    def cluster_store(self) -> ClusterStore:
        if "cluster_store" in self._overrides:
            store: ClusterStore = self._overrides["cluster_store"]
            return store
        if self.settings.backend == "aws":
            from consortium.adapters.aws import DynamoDbClusterStore

            return DynamoDbClusterStore(self.settings.clusters_table, client=self._aws_client("dynamodb"))
        from consortium.adapters.local import SqliteClusterStore

        return SqliteClusterStore.open(self.settings.sqlite_path)

    @cached_property
    def search_index(self) -> SearchIndex:
        if "search_index" in self._overrides:
            index: SearchIndex = self._overrides["search_index"]
            return index
        if self.settings.backend == "aws":
            if not self.settings.opensearch_endpoint:
                raise ConfigError("CONSORTIUM_OPENSEARCH_ENDPOINT is not set: the aws backend searches OpenSearch")
            from consortium.adapters.aws import OpenSearchIndex

            return OpenSearchIndex.for_aws(
                self.settings.opensearch_endpoint,
                self.settings.aws_region,
                chinese_analyzer=self.settings.opensearch_chinese_analyzer,
            )
        from consortium.adapters.local import TantivySearchIndex

        return TantivySearchIndex(self.settings.index_dir)

    @cached_property
    def rebuild_plans(self) -> PlanStore:
        """Where a partitioned rebuild keeps its plan: the raw archive's bucket (``rebuild/``) on AWS, the data
        folder's ``rebuild/`` locally."""
        if "rebuild_plans" in self._overrides:
            plans: PlanStore = self._overrides["rebuild_plans"]
            return plans
        if self.settings.backend == "aws":
            from consortium.adapters.aws import S3PlanStore

            return S3PlanStore(self.settings.raw_bucket, client=self._aws_client("s3"))
        from consortium.adapters.local import FolderPlanStore

        return FolderPlanStore(self.settings.data_dir / "rebuild")

    @cached_property
    def match_models(self) -> MatchModelStore:
        """Where the consortium's fitted match model is kept: beside the raw archive, in its S3 bucket on AWS
        (``dedup/model.json``), in the data folder locally (``dedup_model.json``)."""
        if "match_models" in self._overrides:
            store: MatchModelStore = self._overrides["match_models"]
            return store
        if self.settings.backend == "aws":
            from consortium.adapters.aws import S3MatchModelStore

            return S3MatchModelStore(self.settings.raw_bucket, client=self._aws_client("s3"))
        from consortium.adapters.local import FileMatchModelStore

        return FileMatchModelStore(self.settings.data_dir / "dedup_model.json")

    @cached_property
    def dedup(self) -> DedupService:
        return DedupService(self.record_store, self.cluster_store, model_store=self.match_models)

    @cached_property
    def catalogue(self) -> Catalogue:
        settings = self.settings
        indexed = settings.backend == "local" or settings.opensearch_endpoint or "search_index" in self._overrides
        index = self.search_index if indexed else None
        return Catalogue(self.record_store, self.cluster_store, index, self.dedup)

    @property
    def registry(self) -> MemberRegistry:
        """The member registry as it is now: members.toml (or the ``registry`` override) with the changes members
        made to their sources through the member API on top, read again on every use (see
        :mod:`consortium.registry.service`), so a long-running hub harvests what members set a moment ago."""
        return self.member_sources.registry()

    @cached_property
    def source_overrides(self) -> SourceOverrideStore:
        """Where members' changes to their sources are kept: DynamoDB (the records table) on AWS, the hub's
        SQLite file locally."""
        if "source_overrides" in self._overrides:
            store: SourceOverrideStore = self._overrides["source_overrides"]
            return store
        if self.settings.backend == "aws":
            from consortium.adapters.aws import DynamoDbSourceOverrideStore

            return DynamoDbSourceOverrideStore(self.settings.records_table, client=self._aws_client("dynamodb"))
        from consortium.adapters.local import SqliteSourceOverrideStore

        return SqliteSourceOverrideStore.open(self.settings.sqlite_path)

    @cached_property
    def member_sources(self) -> MemberSources:
        """Members' sources: list, add, change, pause, resume (the member API's), and the registry harvests read."""
        if "registry" in self._overrides:
            fixed: MemberRegistry = self._overrides["registry"]

            def load_file() -> MemberRegistry:
                return fixed
        else:
            load_file = RegistryFile(self.settings.members_file)

        local = self.settings.backend == "local"
        return MemberSources(
            load_file,
            self.source_overrides,
            files_root=self.settings.member_files_dir if local else None,
            allow_private_urls=self.settings.allow_private_source_urls,
        )

    @cached_property
    def harvester(self) -> HarvestService:
        settings = self.settings

        def oai_client(url: str) -> OaiPmhClient:
            return OaiPmhClient(url, timeout=settings.http_timeout, max_retries=settings.http_max_retries)

        return HarvestService(
            self.record_store,
            self.archive,
            page_size=settings.harvest_page_size,
            oai_client=oai_client,
            on_commit=self._follow,
            follow_every=settings.harvest_follow_every,
            start_follower=self._start_follower if self._follow_process else None,
        )

    @property
    def _follow_process(self) -> bool:
        """Clustering and indexing may follow harvests in a second process: the local backend's own stores (a
        process of its own cannot share adapters put in by name)."""
        shared = {"record_store", "cluster_store", "search_index", "archive"} & self._overrides.keys()
        return self.settings.backend == "local" and self.settings.harvest_follow_process and not shared

    def _start_follower(self) -> Follower:
        from consortium.bootstrap.follower import ProcessFollower

        return ProcessFollower(self.settings)

    @cached_property
    def harvest_run_store(self) -> HarvestRunStore:
        """Members' harvest runs: DynamoDB (the records table) on AWS, the hub's SQLite file locally."""
        if "harvest_run_store" in self._overrides:
            store: HarvestRunStore = self._overrides["harvest_run_store"]
            return store
        if self.settings.backend == "aws":
            from consortium.adapters.aws import DynamoDbHarvestRunStore

            return DynamoDbHarvestRunStore(self.settings.records_table, client=self._aws_client("dynamodb"))
        from consortium.adapters.local import SqliteHarvestRunStore

        return SqliteHarvestRunStore.open(self.settings.sqlite_path)

    @cached_property
    def harvest_failures(self) -> FailureLog:
        """The sources' recent failures, for the backoff of scheduled harvests (a file in the data folder; in the
        temporary folder on AWS, where a Lambda has no other)."""
        if self.settings.backend == "aws":
            return FailureLog(Path(tempfile.gettempdir()) / "consortium-harvest-failures.json")
        return FailureLog(self.settings.data_dir / "harvest_failures.json")

    @cached_property
    def harvest_queue(self) -> Queue | None:
        """Where a harvest a member asks for goes: SQS when ``harvest_queue_url`` is set; locally the folder
        ``harvest_queue_dir`` when set (an API worker process hands it to the hub's), else a worker thread of this
        process (one run at a time, each taking the data folder's writer lock); else nowhere (the run goes at
        once, in the call)."""
        if "harvest_queue" in self._overrides:
            queue: Queue | None = self._overrides["harvest_queue"]
            return queue
        if self.settings.harvest_queue_url:
            from consortium.adapters.aws.sqs_queue import SqsQueue

            return SqsQueue(self.settings.harvest_queue_url, self._aws_client("sqs"))
        if self.settings.backend == "aws":
            return None
        if self.settings.harvest_queue_dir is not None:
            from consortium.adapters.local.folder_queue import FolderQueue

            return FolderQueue(self.settings.harvest_queue_dir)
        from consortium.adapters.memory import BackgroundQueue

        return BackgroundQueue(self.run_queued_harvest, name="consortium-harvest")

    @cached_property
    def harvest_runs(self) -> HarvestRuns:
        """Members' harvest runs: start one (the member API), list them, follow one; the schedule's and the
        command's harvests are kept as runs too (:meth:`HarvestRuns.sweep`)."""
        return HarvestRuns(
            self.harvest_run_store,
            self.harvester,
            self.member_sources.member,
            failures=self.harvest_failures,
            queue=self.harvest_queue,
        )

    @cached_property
    def member_quarantine(self) -> MemberQuarantine:
        """A member's quarantined records, with reasons and raw bytes (the member API's)."""
        return MemberQuarantine(self.record_store, self.archive, self.member_sources.member)

    @cached_property
    def member_events(self) -> EventUpload:
        """Bulk upload of a member's readers' loans, returns and holds (the member API's)."""
        return EventUpload(self.profiles, self.member_sources.member)

    @cached_property
    def member_statistics(self) -> MemberStatistics:
        """Statistics of a member's own contribution (the member API's), from counts the stores keep."""
        return MemberStatistics(self.record_store, self.cluster_store, self.member_sources.member)

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Around a harvest on the local backend: wait for any other writer of the data folder (its writer lock),
        then rebuild the search index if it was in an older layout (from the stored works, keeping their ids), and
        let it catch up with what a writer that died committed (as ``consortium harvest`` does)."""
        if self.settings.backend != "local":
            yield
            return
        from consortium.adapters.local.writer_lock import DataFolderLock
        from consortium.bootstrap.follower import wait_for_followers

        def waiting(holder: str) -> None:
            log.info("harvest waits: another process (%s) is writing to the data folder", holder)

        stop = self.harvester.should_stop
        with DataFolderLock(self.settings.data_dir / "writer.lock", on_wait=waiting, should_stop=stop):
            wait_for_followers(self.settings.data_dir, stop)
            self.catalogue.reindex_if_needed()
            self.harvester.catch_up()
            yield

    def run_queued_harvest(self, message: dict[str, object], should_stop: Callable[[], bool] | None = None) -> None:
        """The local harvest worker: a queued run, in a container of its own (its own SQLite connections, in the
        worker's thread) sharing only the overrides, under the data folder's writer lock, closed when the run ends;
        ``should_stop`` is the harvester's (:attr:`~consortium.harvest.service.HarvestService.should_stop`)."""
        from consortium.bootstrap import Container

        worker = Container(self.settings, {k: v for k, v in self._overrides.items() if k != "harvest_queue"})
        if should_stop is not None:
            worker.harvester.should_stop = should_stop
        try:
            with worker.writing():
                worker.harvest_runs.handle(dict(message))
        finally:
            worker.close()  # its SQLite files, in the thread that opened them

    @cached_property
    def _token_secret(self) -> bytes:
        from consortium.profiles.ports import HubSecrets

        keys = self.key_service
        if not isinstance(keys, HubSecrets):
            raise ConfigError("the key service keeps no hub-wide secrets: OAI-PMH resumption tokens need one")
        secret = keys.hub_secret("oai-resumption-token-key:1", create=True)
        assert secret is not None
        return secret

    @property
    def published_catalogue(self) -> PublishedCatalogue:
        """The works as the OAI-PMH provider and SRU serve them: every member's set and holdings as its sharing
        policy allows now (made again on each use, so a member's change of policy applies to the next request;
        SRU finds no work only members hiding their holdings hold), resumption tokens signed with a hub-wide
        secret the key service keeps (the same for every instance of the hub, in any process)."""
        from consortium.catalogue_out.published import PublishedCatalogue
        from consortium.search.visibility import Visibility, VisibleIndex

        registry = self.registry
        return PublishedCatalogue.from_registry(
            registry,
            self.cluster_store,
            self._token_secret,
            index=VisibleIndex(self.search_index, Visibility.of(registry, None)),
            repository_identifier=urlsplit(self.settings.public_url).hostname or "consortium.local",
        )

    def _follow(self, changes: list[RecordChange]) -> None:
        self.catalogue.follow(changes)
