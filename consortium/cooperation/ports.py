"""The cooperation ports: the :class:`LoanRequestStore`, where inter-library loan requests are kept, and the
:class:`CuratedListStore`, where subject librarians' lists are.

Adapters: :class:`~consortium.adapters.memory.loans.InMemoryLoanRequestStore`,
:class:`~consortium.adapters.local.sqlite_loans.SqliteLoanRequestStore` (in the hub's SQLite file); one contract
suite, ``tests/contract/test_loan_request_store.py``; lists: ``InMemoryCuratedListStore``, ``SqliteCuratedListStore``
(``tests/contract/test_curated_list_store.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from consortium.cooperation.lists import CuratedList, ListState
    from consortium.cooperation.models import LoanRequest, Side

__all__ = ["CuratedListStore", "LoanRequestStore"]


class LoanRequestStore(Protocol):
    """Inter-library loan requests, each saved over the version before it (optimistic concurrency).

    Example
    -------
    >>> store.save(request)  # version 1: a new request
    >>> store.for_member("lakeside", Side.LENDING)[0].request_id == request.request_id
    True
    """

    def get(self, request_id: str) -> LoanRequest | None:
        """The request, or ``None``."""
        ...

    def save(self, request: LoanRequest) -> None:
        """Store ``request`` if the stored one is at ``request.version - 1`` (none counts as 0); otherwise
        :class:`~consortium.errors.ConflictError` and nothing is written."""
        ...

    def for_member(self, member: str, side: Side) -> list[LoanRequest]:
        """The requests made of ``member`` (lending) or by its readers (borrowing), newest first (ties by id)."""
        ...

    def for_reader(self, reader_id: str) -> list[LoanRequest]:
        """The reader's requests, newest first (ties by id)."""
        ...

    def forget_reader(self, reader_id: str, pseudonym: str) -> None:
        """Replace the reader's id by ``pseudonym`` in their requests (the reader was erased; the libraries keep
        their loan records, no longer linked to the person)."""
        ...


class CuratedListStore(Protocol):
    """Subject librarians' lists, each saved over the version before it.

    Example
    -------
    >>> store.save(curated)  # version 1: a new list
    >>> [found.list_id for found in store.lists(state=ListState.PUBLISHED)]
    """

    def get(self, list_id: str) -> CuratedList | None:
        """The list, or ``None``."""
        ...

    def save(self, curated: CuratedList) -> None:
        """Store ``curated`` if the stored one is at ``curated.version - 1`` (none counts as 0); otherwise
        :class:`~consortium.errors.ConflictError` and nothing is written."""
        ...

    def delete(self, list_id: str, version: int) -> None:
        """Delete the list if the stored one is at ``version``; otherwise (changed, or gone)
        :class:`~consortium.errors.ConflictError` and nothing is deleted."""
        ...

    def lists(self, member: str | None = None, state: ListState | None = None) -> list[CuratedList]:
        """Every list (or one member's, or those in ``state``), the latest changed first (ties by id)."""
        ...
