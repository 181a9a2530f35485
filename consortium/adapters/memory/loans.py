"""The inter-library loan request store in memory: for unit tests, and a correct
:class:`~consortium.cooperation.ports.LoanRequestStore`."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from consortium.cooperation.models import Side
from consortium.errors import VersionConflictError

if TYPE_CHECKING:
    from consortium.cooperation.models import LoanRequest

__all__ = ["InMemoryLoanRequestStore"]


def _newest_first(requests: list[LoanRequest]) -> list[LoanRequest]:
    return sorted(requests, key=lambda r: (r.created_at, r.request_id), reverse=True)


class InMemoryLoanRequestStore:
    """A :class:`~consortium.cooperation.ports.LoanRequestStore` in a dict; requests go in and out as copies.

    Example
    -------
    >>> store = InMemoryLoanRequestStore()
    >>> store.save(request)
    >>> store.get(request.request_id) == request
    True
    """

    def __init__(self) -> None:
        self._requests: dict[str, LoanRequest] = {}
        self._lock = threading.Lock()

    def get(self, request_id: str) -> LoanRequest | None:
        found = self._requests.get(request_id)
        return found.model_copy(deep=True) if found is not None else None

    def save(self, request: LoanRequest) -> None:
        with self._lock:
            stored = self._requests.get(request.request_id)
            version = stored.version if stored is not None else 0
            if version != request.version - 1:
                raise VersionConflictError(
                    f"request {request.request_id} is at version {version}, not {request.version - 1}: "
                    "it was changed in between",
                    version=version,
                )
            self._requests[request.request_id] = request.model_copy(deep=True)

    def for_member(self, member: str, side: Side) -> list[LoanRequest]:
        with self._lock:
            found = [
                r.model_copy(deep=True)
                for r in self._requests.values()
                if (r.lender if side is Side.LENDING else r.borrower) == member
            ]
        return _newest_first(found)

    def for_reader(self, reader_id: str) -> list[LoanRequest]:
        with self._lock:
            found = [r.model_copy(deep=True) for r in self._requests.values() if r.reader_id == reader_id]
        return _newest_first(found)

    def forget_reader(self, reader_id: str, pseudonym: str) -> None:
        with self._lock:
            for key, request in list(self._requests.items()):
                if request.reader_id == reader_id:
                    self._requests[key] = request.under_pseudonym(pseudonym)
