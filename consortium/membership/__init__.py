"""What a member library does with the hub through the member API, as core services the routes call: its
quarantined records (:mod:`~consortium.membership.quarantine`), bulk upload of its readers' loans, returns and
holds (:mod:`~consortium.membership.events`), and statistics of its contribution
(:mod:`~consortium.membership.statistics`). Its sources and harvest runs are
:class:`~consortium.registry.MemberSources` and :class:`~consortium.harvest.runner.HarvestRuns` (below this layer:
the harvest command and the scheduler use them too)."""

from consortium.membership.events import (
    EventUpload,
    LineOutcome,
    LineStatus,
    UploadedEvent,
    UploadReport,
    UploadTooLargeError,
    member_staff,
)
from consortium.membership.quarantine import MemberQuarantine, QuarantineItem, QuarantinePage, RawBytes
from consortium.membership.statistics import Contribution, MemberStatistics, SharedWorks

__all__ = [
    "Contribution",
    "EventUpload",
    "LineOutcome",
    "LineStatus",
    "MemberQuarantine",
    "MemberStatistics",
    "QuarantineItem",
    "QuarantinePage",
    "RawBytes",
    "SharedWorks",
    "UploadReport",
    "UploadTooLargeError",
    "UploadedEvent",
    "member_staff",
]
