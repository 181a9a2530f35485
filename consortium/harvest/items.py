"""What a reader hands the harvest service: raw records, page by page, with where to go on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from consortium.errors import RecordError
from consortium.harvest.refusals import Refusal

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

__all__ = ["RawPage", "RawRecord", "numbered_pages"]


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One record as read from a member, before normalization.

    ``parsed`` is what the normalizer takes (a pymarc record, an XML element, a KBART row); ``error`` is set
    instead when the record could not even be read, and the record goes to quarantine with it, its code
    (``error_code``, a :class:`~consortium.harvest.refusals.Refusal`) and the field it names (``error_field``).
    """

    position: str
    raw: bytes
    media_type: str
    local_id: str | None = None
    parsed: Any = None
    error: str | None = None
    deleted: bool = False
    datestamp: str | None = None
    error_code: str | None = None
    error_field: str | None = None
    attached: tuple[Any, ...] = ()
    """The holdings records (MFHD) read with this record, parsed as ``parsed`` is (see
    :mod:`consortium.harvest.formats.holdings_records`); ``raw`` then holds theirs after its own."""

    @classmethod
    def refused(
        cls, position: str, raw: bytes, media_type: str, error: RecordError, *, reason: str | None = None
    ) -> RawRecord:
        """A record that cannot be read: ``error``'s message (or ``reason``, which says more), code and field."""
        return cls(
            position,
            raw,
            media_type,
            error=reason or error.message,
            error_code=error.error_code,
            error_field=error.field,
        )

    def refusal(self) -> RecordError | None:
        """Why the record cannot be read, as the error it was refused with; ``None`` when it can be."""
        if self.error is None:
            return None
        return RecordError(self.error, error_code=self.error_code or Refusal.UNREADABLE, field=self.error_field)


@dataclass(slots=True)
class RawPage:
    """A page of records and the cursor to resume after it (``None``: the source is exhausted).

    ``stopped`` says why reading gave up before the end of the source (a file that is not what its format says,
    one that ends inside a record): the page is then the last, and the run is not complete.
    """

    records: list[RawRecord] = field(default_factory=list)
    cursor: dict[str, Any] | None = None
    stopped: str | None = None


def numbered_pages(items: Iterable[tuple[int, RawRecord]], page_size: int, key: str = "index") -> Iterator[RawPage]:
    """``(number, item)`` in pages of ``page_size``, each page's cursor ``{key: the number of its last item}``
    (the last page's none: the file is read); a reader resuming at a cursor gives only the items after it."""
    page = RawPage()
    for number, item in items:
        page.records.append(item)
        if len(page.records) >= page_size:
            page.cursor = {key: number}
            yield page
            page = RawPage()
    yield page
