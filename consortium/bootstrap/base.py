"""What the parts of the container share: the settings, the adapters a caller put in by name, and AWS clients."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datetime import datetime

    from consortium.config import Settings
    from consortium.dedup.ports import ClusterStore
    from consortium.members import MemberRegistry
    from consortium.profiles.ports import KeyService
    from consortium.profiles.service import ProfileService
    from consortium.push.planner import ListedWork
    from consortium.search.ports import SearchIndex

__all__ = ["Parts"]


class Parts:
    """The base of the container's parts (:class:`~consortium.bootstrap.Container` is all of them)."""

    settings: Settings
    _overrides: dict[str, Any]

    if TYPE_CHECKING:  # what one part uses of another's (each a cached property of the part that builds it)

        @property
        def cluster_store(self) -> ClusterStore: ...

        @property
        def registry(self) -> MemberRegistry: ...

        @property
        def profiles(self) -> ProfileService: ...

        @property
        def key_service(self) -> KeyService: ...

        @property
        def search_index(self) -> SearchIndex: ...

        def listed_works(self, since: datetime) -> list[ListedWork]: ...

    def _aws_client(self, service: str) -> Any:
        import boto3

        return boto3.client(service, region_name=self.settings.aws_region, endpoint_url=self.settings.aws_endpoint_url)
