"""A real OAI-PMH endpoint for the harvester's integration tests.

The protocol side (argument checking, error codes, resumption tokens, XML envelope) is done by
``oai_repo`` (MSU Libraries, PyPI ``oai-repo``); this module only supplies its ``DataInterface`` over an
in-memory :class:`FixtureRepository` and serves ``OAIRepository.process()`` over wsgiref in a background
thread on ``127.0.0.1`` with an OS-chosen port::

    repo = FixtureRepository()
    repo.add("oai:test:1", datetime(2024, 1, 1, tzinfo=UTC), marcxml=marcxml_record("1", "A title"))
    with OaiTestServer(repo, page_size=3) as server:
        requests.get(server.base_url, params={"verb": "Identify"})
        server.fail_next(2)            # the next two requests answer 503 + Retry-After: 1
        server.fail_next(2, after=1)   # the next one is answered, the two after it fail
        server.hold_after(2)           # two ListRecords pages answered, the next held until release()
        server.requests                # every request's arguments, e.g. [{"verb": "Identify"}, ...]

Things oai-repo 0.5.2 does (or fails to do) that shape the code below; worked out from its source:

* It never writes ``status="deleted"`` on a ``<header>`` (``RecordHeader.status`` is validated but
  ``getrecord.add_header`` ignores it), and ``add_records`` silently drops a record whose metadata is
  ``None``. So a deleted record gets a placeholder metadata element, and the WSGI app patches the finished
  response tree: ``status="deleted"`` on the header, ``<metadata>``/``<about>`` removed (see
  :func:`_mark_deleted`). That is the only post-processing of oai-repo's output.
* ``Identify.earliest_datestamp`` must be a *string* in the granularity format: the validator checks
  ``isinstance(self.granularity, datetime)`` (sic) and then ``strptime``s the value, so a datetime fails.
* ``Set.description`` defaults to ``None`` but ListSets iterates it: always pass a list.
* ``OAIRepository.process()`` pops ``verb`` out of the dict it is given, so it gets a copy; the echoed
  ``<request>`` element therefore never carries a ``verb`` attribute.
* ``list_identifiers`` must return an ``int`` size (``None`` crashes the ``new_size > limit`` test) and only
  the ids of the page starting at ``cursor``; oai-repo computes the next cursor as ``token cursor + limit``.
  Records lacking the requested format must be filtered there, otherwise oai-repo counts them in
  ``completeListSize`` but drops them from the page (short or even empty pages).
* ``from``/``until`` are parsed as ``%Y-%m-%d`` or ``%Y-%m-%dT%H:%M:%SZ`` (UTC) only; anything else is
  ``badArgument``. A day-only ``until`` means midnight at the *start* of that day (not the whole day), and
  mixed granularities or ``from > until`` are not rejected.
* Resumption tokens are stateless: base64 of a urlencoded query (original args + ``c`` = cursor of the page
  just served, ``s`` = completeListSize, optional ``h`` = state hash), no expiry. They survive server
  restarts, contain ``+``/``/``/``=`` (URL-encode them), and are invalidated (``badResumptionToken``) only
  when the list shrank, or, with ``strict_tokens=True``, when the repository changed at all.
* OAI errors come back as HTTP 200 with ``<error code="...">``; internal failures (e.g. an invalid
  ``Identify``) raise out of ``process()``, which this server answers with HTTP 500.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from lxml import etree
from oai_repo import DataInterface, Identify, MetadataFormat, OAIRepository, RecordHeader, Set

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from types import TracebackType
    from wsgiref.types import StartResponse, WSGIEnvironment

__all__ = [
    "DC_NS",
    "MARC_NS",
    "OAI_DC_NS",
    "OAI_NS",
    "FixtureRecord",
    "FixtureRepository",
    "OaiTestServer",
    "dc_record",
    "marcxml_record",
]

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
MARC_NS = "http://www.loc.gov/MARC21/slim"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC_NS = "http://purl.org/dc/elements/1.1/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"

FORMATS = {
    "marc21": MetadataFormat("marc21", "http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd", MARC_NS),
    "oai_dc": MetadataFormat("oai_dc", "http://www.openarchives.org/OAI/2.0/oai_dc.xsd", OAI_DC_NS),
}
# Stands in for a deleted record's metadata so that oai-repo keeps the record (see module docstring).
_DELETED_PLACEHOLDER = "{urn:x-oai-test-server}deleted"


# --------------------------------------------------------------------------------------------- records


def _utc_seconds(value: datetime) -> datetime:
    """A datestamp at the repository's granularity: UTC (naive means UTC), whole seconds."""
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.replace(microsecond=0)


def _check_xml(data: bytes | None) -> bytes | None:
    if data is not None:
        etree.fromstring(data)  # fail at add() time, not in the server thread
    return data


@dataclass
class FixtureRecord:
    identifier: str
    datestamp: datetime
    marcxml: bytes | None = None
    dc: bytes | None = None
    sets: tuple[str, ...] = ()
    deleted: bool = False

    def formats(self) -> list[str]:
        if self.deleted:
            return list(FORMATS)
        return [p for p, data in (("marc21", self.marcxml), ("oai_dc", self.dc)) if data is not None]

    def in_set(self, spec: str) -> bool:
        return any(s == spec or s.startswith(spec + ":") for s in self.sets)


@dataclass
class FixtureRepository:
    """An in-memory, mutable set of records served by :class:`OaiTestServer`.

    Datestamps are kept at second granularity in UTC (naive datetimes are taken as UTC). Lists are served
    in ``(datestamp, identifier)`` order, so an updated record moves to the end.
    """

    deleted_record: str = "persistent"
    repository_name: str = "Consortium OAI test repository"
    admin_email: str = "oai-admin@example.org"
    set_names: dict[str, str] = field(default_factory=dict)
    records: dict[str, FixtureRecord] = field(default_factory=dict)
    version: int = 0
    """Bumped on every change; the state behind ``OaiTestServer(strict_tokens=True)``."""
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def add(
        self,
        identifier: str,
        datestamp: datetime,
        marcxml: bytes | None = None,
        dc: bytes | None = None,
        sets: Iterable[str] = (),
    ) -> FixtureRecord:
        with self.lock:
            if identifier in self.records:
                raise ValueError(f"record {identifier!r} already exists; use update()")
            rec = FixtureRecord(identifier, _utc_seconds(datestamp), _check_xml(marcxml), _check_xml(dc), tuple(sets))
            self.records[identifier] = rec
            self.version += 1
            return rec

    def update(
        self,
        identifier: str,
        datestamp: datetime,
        marcxml: bytes | None = None,
        dc: bytes | None = None,
        sets: Iterable[str] | None = None,
    ) -> FixtureRecord:
        """Change a record (un-deleting it if needed); metadata/sets left as ``None`` are kept."""
        with self.lock:
            rec = self.records[identifier]
            rec.datestamp = _utc_seconds(datestamp)
            rec.deleted = False
            if marcxml is not None:
                rec.marcxml = _check_xml(marcxml)
            if dc is not None:
                rec.dc = _check_xml(dc)
            if sets is not None:
                rec.sets = tuple(sets)
            self.version += 1
            return rec

    def delete(self, identifier: str, datestamp: datetime) -> FixtureRecord:
        """Mark a record deleted: it stays listed, with ``<header status="deleted">`` and no metadata."""
        with self.lock:
            rec = self.records[identifier]
            rec.datestamp = _utc_seconds(datestamp)
            rec.deleted = True
            self.version += 1
            return rec

    def remove(self, identifier: str) -> None:
        """Forget a record altogether (as a ``deletedRecord=transient``/``no`` repository may)."""
        with self.lock:
            del self.records[identifier]
            self.version += 1

    def get(self, identifier: str) -> FixtureRecord | None:
        with self.lock:
            return self.records.get(identifier)

    def deleted_identifiers(self) -> set[str]:
        with self.lock:
            return {i for i, r in self.records.items() if r.deleted}

    def select(
        self,
        metadata_prefix: str | None = None,
        from_: datetime | None = None,
        until: datetime | None = None,
        set_spec: str | None = None,
    ) -> list[FixtureRecord]:
        """Records matching the filters (``from``/``until`` inclusive), in serving order."""
        with self.lock:
            out = [
                r
                for r in self.records.values()
                if (metadata_prefix is None or metadata_prefix in r.formats())
                and (from_ is None or r.datestamp >= from_)
                and (until is None or r.datestamp <= until)
                and (set_spec is None or r.in_set(set_spec))
            ]
        return sorted(out, key=lambda r: (r.datestamp, r.identifier))


# ------------------------------------------------------------------------------- oai-repo interface


class _FixtureData(DataInterface):  # type: ignore[misc]
    """oai-repo's data interface over a FixtureRepository."""

    def __init__(
        self, repo: FixtureRepository, base_url: str, page_size: int, strict_tokens: bool, endless: str | None = None
    ) -> None:
        self.repo = repo
        self.base_url = base_url
        self.limit = page_size  # oai-repo's page size attribute
        self.strict_tokens = strict_tokens
        self.endless = endless

    def _record(self, identifier: str) -> FixtureRecord:
        rec = self.repo.get(identifier)
        if rec is None:  # oai-repo checks is_valid_identifier first; a race with remove() lands here
            raise KeyError(identifier)
        return rec

    def get_identify(self) -> Identify:
        with self.repo.lock:
            stamps = [r.datestamp for r in self.repo.records.values()]
        earliest = min(stamps, default=datetime(1970, 1, 1, tzinfo=UTC))
        return Identify(
            repository_name=self.repo.repository_name,
            base_url=self.base_url,
            admin_email=[self.repo.admin_email],
            # A string, not a datetime: oai-repo's validator rejects datetimes (module docstring).
            earliest_datestamp=earliest.strftime("%Y-%m-%dT%H:%M:%SZ"),
            deleted_record=self.repo.deleted_record,
            granularity=GRANULARITY,
        )

    def is_valid_identifier(self, identifier: str) -> bool:
        return self.repo.get(identifier) is not None

    def get_metadata_formats(self, identifier: str | None = None) -> list[MetadataFormat]:
        if identifier is None:
            return list(FORMATS.values())
        return [FORMATS[p] for p in self._record(identifier).formats()]

    def get_record_header(self, identifier: str) -> RecordHeader:
        rec = self._record(identifier)
        return RecordHeader(
            identifier=rec.identifier,
            datestamp=rec.datestamp,
            setspecs=list(rec.sets),
            status="deleted" if rec.deleted else None,
        )

    def get_record_metadata(self, identifier: str, metadataprefix: str) -> etree._Element | None:
        rec = self._record(identifier)
        if rec.deleted:
            return etree.Element(_DELETED_PLACEHOLDER)
        data = {"marc21": rec.marcxml, "oai_dc": rec.dc}.get(metadataprefix)
        if data is None:
            return None
        # Parse afresh each time: appending an element to the response tree moves it.
        root = etree.fromstring(data)
        if root.tag == f"{{{MARC_NS}}}collection" and len(root) == 1:
            root = root[0]
        return root

    def get_record_abouts(self, identifier: str) -> list[etree._Element]:
        return []

    def list_set_specs(self, identifier: str | None = None, cursor: int = 0) -> tuple[Any, Any, Any]:
        with self.repo.lock:
            if identifier is not None:
                specs = set(self._record(identifier).sets)
            else:
                specs = {s for r in self.repo.records.values() for s in r.sets} | set(self.repo.set_names)
        if not specs:
            return None, None, None  # -> noSetHierarchy
        return sorted(specs), len(specs), None

    def get_set(self, setspec: str) -> Set:
        return Set(spec=setspec, name=self.repo.set_names.get(setspec, setspec), description=[])

    def list_identifiers(
        self,
        metadataprefix: str,
        filter_from: datetime | None = None,
        filter_until: datetime | None = None,
        filter_set: str | None = None,
        cursor: int = 0,
    ) -> tuple[list[str], int, Any]:
        with self.repo.lock:
            matches = self.repo.select(metadataprefix, filter_from, filter_until, filter_set)
            state = self.repo.version if self.strict_tokens else None
        page = [r.identifier for r in matches[cursor : cursor + self.limit]]
        if self.endless is not None:
            # A broken server: past its records it lists one it then drops (oai-repo drops a record without the
            # format asked for), and claims more to come: an empty page with a new token, every time.
            return page or [self.endless], max(len(matches), cursor + 2 * self.limit), state
        return page, len(matches), state


def _mark_deleted(root: etree._Element, deleted: set[str]) -> None:
    """Fill oai-repo's gap: ``status="deleted"`` on deleted records' headers, and no metadata for them."""
    for header in [*root.iter("header"), *root.iter(f"{{{OAI_NS}}}header")]:
        ident = next((c.text for c in header if etree.QName(c).localname == "identifier"), None)
        if ident not in deleted:
            continue
        header.set("status", "deleted")
        record = header.getparent()
        if record is not None and etree.QName(record).localname == "record":
            for child in list(record):
                if etree.QName(child).localname in ("metadata", "about"):
                    record.remove(child)


# ------------------------------------------------------------------------------------------- server


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class OaiTestServer:
    """Serves a FixtureRepository through oai-repo at ``http://127.0.0.1:PORT/oai``.

    ``requests`` lists every request's arguments (GET query or POST form, one value per key, including
    requests answered by an injected failure) and ``statuses`` the HTTP status sent for each.
    """

    def __init__(
        self,
        repo: FixtureRepository,
        page_size: int = 3,
        *,
        path: str = "/oai",
        strict_tokens: bool = False,
        endless: str | None = None,
    ) -> None:
        self.repo = repo
        self.page_size = page_size
        self.path = path
        self.strict_tokens = strict_tokens
        self.endless = endless
        """The identifier of a record of ``repo`` lacking the format the harvest lists: once past its records, the
        server lists it on every page (which oai-repo then leaves empty) with a new token, never ending the list."""
        self.requests: list[dict[str, str]] = []
        self.statuses: list[int] = []
        self._failures: list[tuple[int, str | None] | None] = []
        self._held_after: int | None = None
        self._listed = 0
        self._released = threading.Event()
        self._lock = threading.Lock()
        self._httpd: WSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""
        self.port = 0

    # -- lifecycle
    def start(self) -> OaiTestServer:
        httpd = make_server("127.0.0.1", 0, self._wsgi, handler_class=_QuietHandler)
        self.port = httpd.server_port
        self.base_url = f"http://127.0.0.1:{self.port}{self.path}"
        data = _FixtureData(self.repo, self.base_url, self.page_size, self.strict_tokens, self.endless)
        self.oai = OAIRepository(data)
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="oai-test-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._released.set()  # a request held answers now: the server can stop
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> OaiTestServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- test controls
    def fail_next(self, n: int = 1, status: int = 503, retry_after: str | None = "1", *, after: int = 0) -> None:
        """Answer the next ``n`` requests with ``status`` and ``Retry-After`` (unless None), not oai-repo; with
        ``after``, those after the next ``after`` requests (which oai-repo answers)."""
        with self._lock:
            self._failures.extend([None] * after + [(status, retry_after)] * n)

    def hold_after(self, pages: int) -> None:
        """Answer the next ``pages`` ListRecords requests, then hold each one after them (a slow server) until
        :meth:`release` or :meth:`stop`."""
        with self._lock:
            self._held_after, self._listed = pages, 0
            self._released.clear()

    def release(self) -> None:
        """Answer the requests held, and hold none after them."""
        with self._lock:
            self._held_after = None
        self._released.set()

    def clear_requests(self) -> None:
        with self._lock:
            self.requests.clear()
            self.statuses.clear()

    # -- WSGI: failure-injection middleware in front of the oai-repo app
    def _wsgi(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        args = _request_args(environ)
        with self._lock:
            self.requests.append(dict(args))
            failure = self._failures.pop(0) if self._failures else None
            if args.get("verb") == "ListRecords":
                self._listed += 1
            held = self._held_after is not None and self._listed > self._held_after
        if held:
            self._released.wait()

        def respond(status: int, headers: list[tuple[str, str]], body: bytes) -> list[bytes]:
            with self._lock:
                self.statuses.append(status)
            start_response(_status_line(status), [*headers, ("Content-Length", str(len(body)))])
            return [body]

        if failure is not None:
            status, retry_after = failure
            headers = [("Content-Type", "text/plain; charset=utf-8")]
            if retry_after is not None:
                headers.append(("Retry-After", retry_after))
            return respond(status, headers, f"injected failure {status}\n".encode())
        if environ.get("PATH_INFO", "") != self.path:
            return respond(404, [("Content-Type", "text/plain; charset=utf-8")], b"not found\n")
        return self._oai_app(args, respond)

    def _oai_app(
        self, args: dict[str, str], respond: Callable[[int, list[tuple[str, str]], bytes], list[bytes]]
    ) -> list[bytes]:
        try:
            with self.repo.lock:  # one consistent view of the repository per response
                response = self.oai.process(dict(args))  # process() pops "verb": give it a copy
                _mark_deleted(response.root(), self.repo.deleted_identifiers())
                body = bytes(response)
        except Exception as exc:  # oai-repo's internal errors are not OAI errors
            return respond(500, [("Content-Type", "text/plain; charset=utf-8")], f"{exc!r}\n".encode())
        return respond(200, [("Content-Type", "text/xml; charset=utf-8")], body)


def _request_args(environ: WSGIEnvironment) -> dict[str, str]:
    """GET query or urlencoded POST body, first value of each key (oai-repo takes a flat dict)."""
    query = environ.get("QUERY_STRING", "")
    if environ.get("REQUEST_METHOD") == "POST":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        query = environ["wsgi.input"].read(length).decode("utf-8")
    return {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Status"


# ------------------------------------------------------------------------------------ record helpers


def marcxml_record(  # noqa: PLR0917 - positional signature wanted by the tests' callers
    control_number: str,
    title: str,
    author: str | None = None,
    isbn: str | None = None,
    year: str | int | None = None,
    clc: str | None = None,
) -> bytes:
    """A MARCXML ``<record>``: leader, 001, 245$a, and 020$a, 084$a$2clc, 100$a, 260$c when given."""
    m = f"{{{MARC_NS}}}"
    record = etree.Element(m + "record", nsmap={None: MARC_NS})
    etree.SubElement(record, m + "leader").text = "00000nam a2200000 a 4500"
    etree.SubElement(record, m + "controlfield", tag="001").text = control_number

    def datafield(tag: str, ind1: str, subfields: list[tuple[str, str]], ind2: str = " ") -> None:
        df = etree.SubElement(record, m + "datafield", tag=tag, ind1=ind1, ind2=ind2)
        for code, value in subfields:
            etree.SubElement(df, m + "subfield", code=code).text = value

    if isbn:
        datafield("020", " ", [("a", isbn)])
    if clc:
        datafield("084", " ", [("a", clc), ("2", "clc")])
    if author:
        datafield("100", "1", [("a", author)])
    datafield("245", "1" if author else "0", [("a", title)], ind2="0")
    if year is not None:
        datafield("260", " ", [("c", str(year))])
    return etree.tostring(record, encoding="UTF-8", xml_declaration=False)


def dc_record(title: str, creator: str | None = None, identifier: str | None = None, date: str | None = None) -> bytes:
    """An ``<oai_dc:dc>`` element with dc:title and, if given, dc:creator, dc:identifier, dc:date."""
    dc = etree.Element(
        f"{{{OAI_DC_NS}}}dc",
        nsmap={"oai_dc": OAI_DC_NS, "dc": DC_NS, "xsi": XSI_NS},
    )
    dc.set(f"{{{XSI_NS}}}schemaLocation", f"{OAI_DC_NS} http://www.openarchives.org/OAI/2.0/oai_dc.xsd")
    for name, value in (("title", title), ("creator", creator), ("identifier", identifier), ("date", date)):
        if value is not None:
            etree.SubElement(dc, f"{{{DC_NS}}}{name}").text = value
    return etree.tostring(dc, encoding="UTF-8", xml_declaration=False)
