"""The match views of records clustered lately, kept between pages so a record's candidates are not read and
analysed again for every page that looks them up.

A view is a pure function of the record, and a stored record is known by its raw digest (re-harvesting the same
bytes is a no-op, DESIGN's data rules): so a view kept under the digest it was made from stands for the record
as long as the record store gives that digest (:meth:`~consortium.harvest.ports.RecordStore.digests`, one batch
a member and page). Another process changing a record changes its digest, so nothing kept goes stale unseen.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from consortium.dedup.features import MatchView
    from consortium.dedup.state import RecordKey

__all__ = ["VIEW_CACHE_SIZE", "ViewCache"]

VIEW_CACHE_SIZE = 20_000
"""Views kept (least recently used go first): about 20 MB."""


class ViewCache:
    """Match views by record and raw digest, the least recently used dropped beyond ``size``.

    Example
    -------
    >>> views = ViewCache()
    >>> views.put(record.key, record.raw.digest, match_view(record))
    >>> views.get(record.key, store.digests(record.member, [record.local_id])[record.local_id])
    """

    def __init__(self, size: int = VIEW_CACHE_SIZE) -> None:
        self.size = size
        self._views: OrderedDict[RecordKey, tuple[str, MatchView]] = OrderedDict()

    def get(self, key: RecordKey, digest: str) -> MatchView | None:
        """The view kept for the record, if it was made from the record with this digest."""
        found = self._views.get(key)
        if found is None or found[0] != digest:
            return None
        self._views.move_to_end(key)
        return found[1]

    def put(self, key: RecordKey, digest: str, view: MatchView) -> None:
        self._views[key] = (digest, view)
        self._views.move_to_end(key)
        while len(self._views) > self.size:
            self._views.popitem(last=False)

    def drop(self, key: RecordKey) -> None:
        self._views.pop(key, None)

    def __len__(self) -> int:
        return len(self._views)
