"""The cooperation part of the container: inter-library loan requests, their store and the reader notices."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from consortium.bootstrap.base import Parts
from consortium.errors import ConsortiumError

if TYPE_CHECKING:
    from consortium.cooperation.ports import LoanRequestStore
    from consortium.cooperation.service import InterLibraryLoans
    from consortium.profiles.models import Actor
    from consortium.push.ports import Mailer

__all__ = ["CooperationParts"]


class CooperationParts(Parts):
    if TYPE_CHECKING:

        @property
        def mailer(self) -> Mailer | None: ...

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

    def erase_reader(self, reader_id: str, actor: Actor) -> str:
        """Erase the reader (:meth:`~consortium.profiles.service.ProfileService.erase`) and put the pseudonym their
        audit trail is kept under in place of their id in their inter-library loan requests (the libraries keep
        the loans, no longer linked to the person); returns the pseudonym."""
        kept_as = self.profiles.erase(reader_id, actor)
        self.loan_requests.forget_reader(reader_id, kept_as)
        return kept_as
