"""The cooperation part of the container: inter-library loan requests, their store and the reader notices."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

import pydantic

from consortium.analytics.contribution import CrossLoans
from consortium.bootstrap.base import Parts
from consortium.cooperation.models import Balance
from consortium.errors import ConsortiumError
from consortium.membership.statistics import Contribution

if TYPE_CHECKING:
    from datetime import datetime

    from consortium.analytics.service import Analytics
    from consortium.cooperation.lists import CuratedLists
    from consortium.cooperation.ports import CuratedListStore, LoanRequestStore
    from consortium.cooperation.service import InterLibraryLoans
    from consortium.membership.statistics import MemberStatistics
    from consortium.profiles.models import Actor
    from consortium.push.planner import ListedWork
    from consortium.push.ports import Mailer

__all__ = ["CooperationParts", "MemberContribution"]


class MemberContribution(pydantic.BaseModel):
    """A member's whole contribution on one page (``GET /members/{id}/contribution``, ``consortium members
    contribution``): its catalogue, loans of its works by other members' readers, and its inter-library loan
    balance."""

    member: str
    catalogue: Contribution
    """Its records, the works it alone holds, the works it shares."""
    cross_member_loans: CrossLoans
    """Loans of works it holds by readers of other members, by closed month, from the stored analytics report
    (consented, shared, at least 10 readers a figure, frozen months only)."""
    interlibrary_loans: Balance
    """Copies lent to and borrowed from other members, requests by state."""


class CooperationParts(Parts):
    if TYPE_CHECKING:

        @property
        def mailer(self) -> Mailer | None: ...

        @property
        def member_statistics(self) -> MemberStatistics: ...

        @property
        def analytics(self) -> Analytics: ...

    @cached_property
    def loan_requests(self) -> LoanRequestStore:
        """Where inter-library loan requests are kept: DynamoDB (the records table) on AWS, the hub's SQLite file
        locally."""
        if "loan_requests" in self._overrides:
            store: LoanRequestStore = self._overrides["loan_requests"]
            return store
        if self.settings.backend == "aws":
            from consortium.adapters.aws import DynamoDbLoanRequestStore

            return DynamoDbLoanRequestStore(self.settings.records_table, client=self._aws_client("dynamodb"))
        from consortium.adapters.local import SqliteLoanRequestStore

        return SqliteLoanRequestStore.open(self.settings.sqlite_path)

    @cached_property
    def interlibrary_loans(self) -> InterLibraryLoans:
        """Inter-library loan: ask, move, list, balance (the cooperation API's)."""
        from consortium.cooperation.notices import ReaderNotices
        from consortium.cooperation.service import InterLibraryLoans

        def names() -> dict[str, str]:
            try:
                return {member.id: member.name for member in self.registry.members}
            except ConsortiumError:
                return {}

        notices = ReaderNotices(self.profiles.vault, self.mailer, self.settings.mail_sender, names)
        return InterLibraryLoans(self.loan_requests, self.cluster_store, lambda: self.registry, notices)

    def member_contribution(self, member_id: str) -> MemberContribution:
        """The member's contribution on one page (its three parts, each as its own route answers it; the loans of
        its works by other members' readers from the stored analytics report, no reader read)."""
        from consortium.analytics.contribution import cross_loans

        return MemberContribution(
            member=member_id,
            catalogue=self.member_statistics.contribution(member_id),
            cross_member_loans=cross_loans(member_id, self.analytics.stored()),
            interlibrary_loans=self.interlibrary_loans.balance(member_id),
        )

    @cached_property
    def curated_list_store(self) -> CuratedListStore:
        """Where subject librarians' lists are kept: DynamoDB (the records table) on AWS, the hub's SQLite file
        locally."""
        if "curated_list_store" in self._overrides:
            store: CuratedListStore = self._overrides["curated_list_store"]
            return store
        if self.settings.backend == "aws":
            from consortium.adapters.aws import DynamoDbCuratedListStore

            return DynamoDbCuratedListStore(self.settings.records_table, client=self._aws_client("dynamodb"))
        from consortium.adapters.local import SqliteCuratedListStore

        return SqliteCuratedListStore.open(self.settings.sqlite_path)

    @cached_property
    def curated_lists(self) -> CuratedLists:
        """Subject librarians' lists: create, add works with notes, publish (the cooperation API's)."""
        from consortium.cooperation.lists import CuratedLists

        return CuratedLists(self.curated_list_store, self.cluster_store)

    def listed_works(self, since: datetime) -> list[ListedWork]:
        """The works of the subject librarians' lists published since ``since`` (the newest lists first), as the
        ``librarian_lists`` push service sends them: each with its list and the librarian's note as the reason."""
        from consortium.cooperation.lists import ListState
        from consortium.push.models import DigestItem
        from consortium.push.planner import ListedWork

        try:
            names = {member.id: member.name for member in self.registry.members}
        except ConsortiumError:
            names = {}
        found: list[ListedWork] = []
        for curated in self.curated_list_store.lists(state=ListState.PUBLISHED):
            if curated.published_at is None or curated.published_at < since:
                continue
            library = names.get(curated.member, curated.member)
            for entry in curated.entries:
                cluster = self.cluster_store.get(entry.cluster_id)
                if cluster is None:
                    continue
                note_en, note_zh = (f": {entry.note}", f"：{entry.note}") if entry.note else ("", "")
                item = DigestItem(
                    cluster_id=cluster.cluster_id,
                    title=cluster.title,
                    authors=list(cluster.authors),
                    year=cluster.year,
                    classes=[f"{c.scheme.value}:{c.code}" for c in cluster.classifications],
                    series=cluster.series,
                    members=cluster.members,
                    score=1.0,
                    reason=f'on "{curated.title}", a list by {library}\'s subject librarians{note_en}',
                    reason_zh=f"选自{library}学科馆员书单《{curated.title_zh or curated.title}》{note_zh}",
                )
                found.append(ListedWork(item=item, published_at=curated.published_at))
        return found

    def erase_reader(self, reader_id: str, actor: Actor) -> str:
        """Erase the reader (:meth:`~consortium.profiles.service.ProfileService.erase`) and put the pseudonym their
        audit trail is kept under in place of their id in their inter-library loan requests (the libraries keep
        the loans, no longer linked to the person); returns the pseudonym."""
        kept_as = self.profiles.erase(reader_id, actor)
        self.loan_requests.forget_reader(reader_id, kept_as)
        return kept_as
