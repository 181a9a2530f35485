"""An OAI-PMH 2.0 harvesting client: ``ListRecords`` page by page, following resumption tokens.

Transient failures (connection errors, timeouts, 429 and 5xx answers) are retried with exponential backoff,
waiting as long as ``Retry-After`` asks when the server says. OAI-PMH error codes become :mod:`oai_errors`
exceptions, except ``noRecordsMatch``, which is an empty result. The HTTP session and ``sleep`` are injected.
"""

from __future__ import annotations

import email.utils
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import requests
from lxml import etree

from consortium.errors import RecordError, UpstreamError
from consortium.harvest.oai_errors import NoRecordsMatchError, oai_error
from consortium.harvest.refusals import Refusal
from consortium.harvest.xml_safety import parse_document

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

__all__ = ["MOST_EMPTY_PAGES_IN_A_ROW", "OAI_NS", "OaiPage", "OaiPmhClient", "OaiRecord", "parse_list_records"]

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
MOST_EMPTY_PAGES_IN_A_ROW = 100
"""A listing stops after this many pages in a row held no record at all (neither a record nor a deletion) while
each handed back a resumption token: a server that never ends its list with new tokens each time would otherwise
be followed forever (a repeated token is caught at once). OAI-PMH lets a page be empty, and a repository that
filters a set after paging may give a few in a row; a hundred is far past that."""
_RETRY_STATUS = {429, 500, 502, 503, 504}
_MAX_WAIT = 600.0
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class OaiRecord:
    identifier: str
    datestamp: str
    deleted: bool
    metadata: etree._Element | None
    raw: bytes


@dataclass(slots=True)
class OaiPage:
    records: list[OaiRecord] = field(default_factory=list)
    resumption_token: str | None = None
    raw: bytes = b""


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class OaiPmhClient:
    """Talks to one OAI-PMH base URL.

    Example
    -------
    >>> client = OaiPmhClient("https://library.example.edu/oai")
    >>> for page in client.list_records("marc21", from_="2026-01-01"):
    ...     print(len(page.records), page.resumption_token)
    """

    def __init__(
        self,
        base_url: str,
        *,
        session: requests.Session | None = None,
        timeout: float = 60.0,
        max_retries: int = 5,
        backoff: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        most_empty_pages: int = MOST_EMPTY_PAGES_IN_A_ROW,
    ) -> None:
        self.base_url = base_url
        self.session = session or requests.Session()
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.sleep = sleep
        self.most_empty_pages = most_empty_pages
        """How many empty pages in a row, each with a new token, end a listing (:data:`MOST_EMPTY_PAGES_IN_A_ROW`)."""

    def _get(self, params: dict[str, str]) -> bytes:
        attempt = 0
        while True:
            wait: float | None = None
            try:
                response = self.session.get(self.base_url, params=params, timeout=self.timeout)
            except (requests.ConnectionError, requests.Timeout) as exc:
                problem = f"{type(exc).__name__}"
            else:
                if response.status_code == 200:
                    return response.content
                if response.status_code not in _RETRY_STATUS:
                    raise UpstreamError(
                        f"{self.base_url} answered HTTP {response.status_code}", status=response.status_code
                    )
                problem = f"HTTP {response.status_code}"
                wait = _retry_after(response.headers.get("Retry-After"))
            if attempt >= self.max_retries:
                raise UpstreamError(
                    f"{self.base_url} still failing after {attempt + 1} tries ({problem})", retry_after=wait
                )
            delay = min(_MAX_WAIT, wait if wait is not None else self.backoff * 2**attempt)
            log.info("OAI-PMH request to %s failed (%s); retrying in %.1f s", self.base_url, problem, delay)
            self.sleep(delay)
            attempt += 1

    def list_records(
        self,
        metadata_prefix: str,
        *,
        from_: str | None = None,
        until: str | None = None,
        set_: str | None = None,
        resumption_token: str | None = None,
    ) -> Iterator[OaiPage]:
        """Pages of ``ListRecords``, starting from ``resumption_token`` when given.

        A server that hands back a token it already gave in this listing would be followed forever: the listing
        stops there with an :class:`UpstreamError` naming the token (the pages before it were given). So does one
        whose last :attr:`most_empty_pages` pages in a row held no record (nor a deletion), each with a new token:
        the error names the last token it gave (where the next run resumes).
        """
        token = resumption_token
        seen: set[str] = set()
        empty = 0
        while True:
            if token:
                params = {"verb": "ListRecords", "resumptionToken": token}
            else:
                params = {"verb": "ListRecords", "metadataPrefix": metadata_prefix}
                if from_:
                    params["from"] = from_
                if until:
                    params["until"] = until
                if set_:
                    params["set"] = set_
            page = self.parse_page(self._get(params))
            yield page
            if token:
                seen.add(token)
            token = page.resumption_token
            if not token:
                return
            if token in seen:
                raise UpstreamError(
                    f"{self.base_url} gave resumption token {token[:100]!r} again after {len(seen)} page(s): "
                    "the listing would never end; stopped"
                )
            empty = 0 if page.records else empty + 1
            if empty >= self.most_empty_pages:
                raise UpstreamError(
                    f"{self.base_url} gave {empty} pages in a row without a record or a deletion, each with a new "
                    f"resumption token, the last {token[:100]!r}: the listing would never end; stopped (the records "
                    "before them are kept)"
                )

    def parse_page(self, data: bytes) -> OaiPage:
        """One ``ListRecords`` response from this server (see :func:`parse_list_records`)."""
        return parse_list_records(data, f"OAI-PMH response from {self.base_url}", self.base_url)


def parse_list_records(data: bytes, origin: str, url: str = "") -> OaiPage:
    """One ``ListRecords`` response (or a saved ``GetRecord`` one); an OAI error raises, ``noRecordsMatch`` gives
    an empty page.

    ``origin`` names the response in errors (``"OAI-PMH response from <url>"``, a file name); ``url`` is the
    server's base URL, if the response came from one (the OAI errors carry it).
    """
    root = parse_document(data, origin)
    # Some repositories answer without the OAI namespace; read them the same way.
    ns = etree.QName(root).namespace
    if etree.QName(root).localname != "OAI-PMH" or ns not in (OAI_NS, None):
        raise RecordError(f"{origin}: the root element is {root.tag!r}", error_code=Refusal.WRONG_FORMAT)

    def _q(name: str) -> str:
        return f"{{{ns}}}{name}" if ns else name

    error = root.find(_q("error"))
    if error is not None:
        exc = oai_error(error.get("code", "unknown"), (error.text or "").strip(), url)
        if isinstance(exc, NoRecordsMatchError):
            return OaiPage(raw=data)
        raise exc
    page = OaiPage(raw=data)
    list_records = root.find(_q("ListRecords"))
    if list_records is None:  # a saved GetRecord response: its one record, read the same way
        list_records = root.find(_q("GetRecord"))
    if list_records is None:
        raise RecordError(f"{origin} has no ListRecords or GetRecord element", error_code=Refusal.WRONG_FORMAT)
    for element in list_records.iterfind(_q("record")):
        header = element.find(_q("header"))
        if header is None:
            raise RecordError("OAI-PMH record without a header", error_code=Refusal.UNREADABLE)
        identifier = (header.findtext(_q("identifier")) or "").strip()
        datestamp = (header.findtext(_q("datestamp")) or "").strip()
        deleted = header.get("status") == "deleted"
        metadata_wrapper = element.find(_q("metadata"))
        metadata = None
        if metadata_wrapper is not None:
            metadata = next((c for c in metadata_wrapper if isinstance(c.tag, str)), None)
        page.records.append(
            OaiRecord(identifier, datestamp, deleted, metadata, etree.tostring(element, encoding="utf-8"))
        )
    token = list_records.find(_q("resumptionToken"))
    page.resumption_token = (token.text or "").strip() or None if token is not None else None
    return page
