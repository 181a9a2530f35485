"""The hub's SRU 2.0 service: ``searchRetrieve`` with the CQL subset of :mod:`~consortium.catalogue_out.cql` over
the hub's search, and ``explain``.

Parameters: ``query`` (CQL), ``queryType`` (``cql``), ``startRecord`` (from 1), ``maximumRecords`` (default
:data:`DEFAULT_RECORDS`, at most :data:`MAX_RECORDS` are returned; 0 gives the count only), ``recordSchema``
(``marcxml``, the default, or ``dc``, by short name or ``info:srw/schema/1/...`` URI), ``recordXMLEscaping``
(``xml`` or ``string``), ``recordPacking`` (``packed``/``unpacked``, or 1.x's ``xml``/``string``),
``resultSetTTL`` (ignored: no result sets are kept), ``operation`` and ``version`` as clients of earlier versions
send them (``version`` other than 2.0 gets diagnostic 5), and ``x-`` extensions (ignored). A request without
``query`` and ``operation`` is an explain request.

Everything a client gets wrong is a diagnostic (``info:srw/diagnostic/1/<n>``) in a 200 response, naming the
problem: an unknown or repeated parameter (8, 6), a bad number (6), a missing query (7), bad CQL (10, 13-38,
48, 80, as :class:`~consortium.catalogue_out.cql.CqlError` says), ``startRecord`` past the results or past
:data:`~consortium.search.query.MAX_RESULT_WINDOW` (61, non-fatal: the count still comes), an unknown schema
(66). A work found by the search but gone from the catalogue since is a surrogate diagnostic (64) in its place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

from consortium.catalogue_out.cql import CqlError, disjunction, parse_cql
from consortium.catalogue_out.cql_search import search_branches
from consortium.catalogue_out.dublin_core import dublin_core
from consortium.catalogue_out.marcxml import marcxml
from consortium.catalogue_out.response import XML_TYPE, BadRequestArgumentsError, ProviderResponse, esc, read_args
from consortium.dedup.state import ClusterVersion
from consortium.search.query import MAX_RESULT_WINDOW

if TYPE_CHECKING:
    from consortium.catalogue_out.published import PublishedCatalogue
    from consortium.catalogue_out.response import RawArgs

__all__ = ["DEFAULT_RECORDS", "MAX_RECORDS", "SCHEMAS", "handle_sru"]

DEFAULT_RECORDS: Final = 10
MAX_RECORDS: Final = 100
SRU_NS = "http://docs.oasis-open.org/ns/search-ws/sruResponse"
DIAG_NS = "http://docs.oasis-open.org/ns/search-ws/diagnostic"
EXPLAIN_NS = "http://explain.z3950.org/dtd/2.0/"
SCHEMAS = {
    "marcxml": ("info:srw/schema/1/marcxml-v1.1", "MARCXML"),
    "dc": ("info:srw/schema/1/dc-v1.1", "Dublin Core"),
}
"""The record schemas: short name to (URI, title)."""
_SCHEMA_NAMES = {
    "marcxml": "marcxml",
    "marc21": "marcxml",
    "info:srw/schema/1/marcxml-v1.1": "marcxml",
    "info:srw/schema/1/marcxml-v1.1-light": "marcxml",
    "dc": "dc",
    "info:srw/schema/1/dc-v1.1": "dc",
}
_PARAMETERS = {
    "query",
    "querytype",
    "startrecord",
    "maximumrecords",
    "recordschema",
    "recordxmlescaping",
    "recordpacking",
    "resultsetttl",
    "operation",
    "version",
    "httpaccept",
}
_PRECISION = "info:srw/vocabulary/resultCountPrecision/1/"
_INDEXES = (
    ("title", "dc", "title"),
    ("author", "dc", "creator"),
    ("subject", "dc", "subject"),
    ("isbn", "bath", "isbn"),
    ("any", "cql", "serverChoice"),
    ("year", "dc", "date"),
)
"""Explain's indexes: title, context set, name in that set."""


class _Diagnostic(Exception):
    def __init__(self, number: int, details: str, message: str) -> None:
        super().__init__(message)
        self.number, self.details, self.message = number, details, message


def handle_sru(params: RawArgs, base_url: str, catalogue: PublishedCatalogue) -> ProviderResponse:
    """Answer one SRU request (``searchRetrieve`` or ``explain``).

    Parameters
    ----------
    params
        The request's arguments, as :func:`~consortium.catalogue_out.handle_oai` takes them; untrusted.
    base_url
        The service's URL as clients reach it (explain's host, port and database).
    catalogue
        What is searched and served (its ``index`` is searched; without one, every search is diagnostic 1).

    Returns
    -------
    ProviderResponse
        HTTP 200 with an SRU 2.0 XML document, diagnostics included.

    Example
    -------
    >>> handle_sru('query=title="deep learning" and author=goodfellow&recordSchema=dc', base_url, catalogue)
    """
    try:
        args = _arguments(params)
        operation = args.get("operation", "searchRetrieve" if "query" in args else "explain")
        if args.get("version", "2.0") != "2.0":
            raise _Diagnostic(5, "2.0", f"version {args['version'][:20]!r} is not supported (2.0 is)")
        if operation == "explain":
            return _document(_explain(base_url, catalogue), "explainResponse")
        if operation != "searchRetrieve":
            raise _Diagnostic(4, operation[:40], f"the operation {operation[:40]!r} is not supported")
        return _search(args, catalogue)
    except _Diagnostic as exc:
        body = f"<sru:version>2.0</sru:version><sru:numberOfRecords>0</sru:numberOfRecords>{_diagnostics([exc])}"
        return _document(body, "searchRetrieveResponse")


def _arguments(params: RawArgs) -> dict[str, str]:
    """The parameters, each once (names as the standard spells them are matched case-insensitively)."""
    try:
        raw = read_args(params)
    except BadRequestArgumentsError as exc:
        raise _Diagnostic(6, "request", str(exc)) from exc
    args: dict[str, str] = {}
    for name, values in raw.items():
        key = name.lower()
        if key.startswith("x-"):
            continue
        if key not in _PARAMETERS:
            raise _Diagnostic(8, name[:64], f"the parameter {name[:64]!r} is not supported")
        if len(values) > 1 or key in args:
            raise _Diagnostic(6, name, f"the parameter {name} is given more than once")
        args[key] = values[0]
    return args


def _number(args: dict[str, str], name: str, default: int, lowest: int) -> int:
    value = args.get(name.lower())
    if value is None:
        return default
    if not value.isdigit() or len(value) > 9 or int(value) < lowest:
        raise _Diagnostic(6, name, f"{name} must be a whole number from {lowest}, not {value[:20]!r}")
    return int(value)


def _search(args: dict[str, str], catalogue: PublishedCatalogue) -> ProviderResponse:
    query = args.get("query")
    if query is None or not query.strip():
        raise _Diagnostic(7, "query", "searchRetrieve needs the parameter query")
    if args.get("querytype", "cql").lower() != "cql":
        raise _Diagnostic(6, "queryType", f"the query type {args['querytype'][:20]!r} is not supported (cql is)")
    start = _number(args, "startRecord", 1, 1)
    wanted = _number(args, "maximumRecords", DEFAULT_RECORDS, 0)
    schema = _SCHEMA_NAMES.get(args.get("recordschema", "marcxml").lower())
    if schema is None:
        raise _Diagnostic(66, args["recordschema"][:100], f"no record schema {args['recordschema'][:100]!r}")
    packing = args.get("recordxmlescaping", args.get("recordpacking", "xml")).lower()
    if packing not in ("xml", "string", "packed", "unpacked"):
        raise _Diagnostic(71, packing[:20], f"record escaping {packing[:20]!r} is not supported (xml, string)")
    escaping = "string" if packing == "string" else "xml"
    if catalogue.index is None:
        raise _Diagnostic(1, "search", "this hub has no search index to search")
    try:
        branches = disjunction(parse_cql(query))
    except CqlError as exc:
        raise _Diagnostic(exc.number, exc.details, exc.message) from exc
    diagnostics: list[_Diagnostic] = []
    count = min(wanted, MAX_RECORDS, max(MAX_RESULT_WINDOW - (start - 1), 0))
    if start > MAX_RESULT_WINDOW:
        diagnostics.append(_Diagnostic(61, str(start), f"records past {MAX_RESULT_WINDOW} cannot be read"))
        count = 0
    try:
        found = search_branches(catalogue.index, branches, start - 1, count)
    except CqlError as exc:
        raise _Diagnostic(exc.number, exc.details, exc.message) from exc
    if start > 1 and start > found.total and not diagnostics and wanted:
        diagnostics.append(_Diagnostic(61, str(start), f"startRecord {start} is past the {found.total} records"))
    records = [
        _record(catalogue, cluster_id, schema, escaping, position)
        for position, cluster_id in enumerate(found.cluster_ids, start)
    ]
    parts = [f"<sru:version>2.0</sru:version><sru:numberOfRecords>{found.total}</sru:numberOfRecords>"]
    if records:
        parts.append(f"<sru:records>{''.join(records)}</sru:records>")
    following = start + len(records)
    if records and following <= min(found.total, MAX_RESULT_WINDOW):
        parts.append(f"<sru:nextRecordPosition>{following}</sru:nextRecordPosition>")
    if diagnostics:
        parts.append(_diagnostics(diagnostics))
    precision = "exact" if found.exact else "minimum"
    parts.append(f"<sru:resultCountPrecision>{_PRECISION}{precision}</sru:resultCountPrecision>")
    return _document("".join(parts), "searchRetrieveResponse")


def _record(catalogue: PublishedCatalogue, cluster_id: str, schema: str, escaping: str, position: int) -> str:
    cluster = catalogue.clusters.get(cluster_id)
    if cluster is None:
        data = _diagnostic(_Diagnostic(64, cluster_id, "the record is no longer in the catalogue"))
        uri = "info:srw/schema/1/diagnostics-v1.1"
    else:
        version = ClusterVersion.of(cluster)
        holdings = catalogue.holdings(cluster)
        data = marcxml(version, holdings) if schema == "marcxml" else dublin_core(version, holdings, sru=True)
        uri = SCHEMAS[schema][0]
    if escaping == "string":
        data = esc(data)
    return (
        f"<sru:record><sru:recordSchema>{uri}</sru:recordSchema>"
        f"<sru:recordXMLEscaping>{escaping}</sru:recordXMLEscaping><sru:recordData>{data}</sru:recordData>"
        f"<sru:recordPosition>{position}</sru:recordPosition></sru:record>"
    )


def _diagnostic(problem: _Diagnostic) -> str:
    return (
        f'<diag:diagnostic xmlns:diag="{DIAG_NS}"><diag:uri>info:srw/diagnostic/1/{problem.number}</diag:uri>'
        f"<diag:details>{esc(problem.details)}</diag:details><diag:message>{esc(problem.message)}</diag:message>"
        "</diag:diagnostic>"
    )


def _diagnostics(problems: list[_Diagnostic]) -> str:
    return f"<sru:diagnostics>{''.join(_diagnostic(p) for p in problems)}</sru:diagnostics>"


def _explain(base_url: str, catalogue: PublishedCatalogue) -> str:
    url = urlsplit(base_url)
    port = url.port or (443 if url.scheme == "https" else 80)
    indexes = "".join(
        f'<zr:index><zr:title>{title}</zr:title><zr:map><zr:name set="{context}">{name}</zr:name></zr:map></zr:index>'
        for title, context, name in _INDEXES
    )
    schemas = "".join(
        f'<zr:schema identifier="{uri}" name="{name}"><zr:title>{title}</zr:title></zr:schema>'
        for name, (uri, title) in SCHEMAS.items()
    )
    relations = "".join(f'<zr:supports type="relation">{r}</zr:supports>' for r in ("=", "==", "all", "any", "adj"))
    explain = (
        f'<zr:explain xmlns:zr="{EXPLAIN_NS}"><zr:serverInfo protocol="SRU" version="2.0">'
        f"<zr:host>{esc(url.hostname or '')}</zr:host><zr:port>{port}</zr:port>"
        f"<zr:database>{esc(url.path.strip('/'))}</zr:database></zr:serverInfo>"
        f'<zr:databaseInfo><zr:title lang="en" primary="true">{esc(catalogue.repository_name)}</zr:title>'
        "<zr:description>The consortium's works, deduplicated, with every member's holdings.</zr:description>"
        "</zr:databaseInfo><zr:indexInfo>"
        '<zr:set identifier="info:srw/cql-context-set/1/dc-v1.1" name="dc"/>'
        '<zr:set identifier="info:srw/cql-context-set/1/cql-v1.2" name="cql"/>'
        '<zr:set identifier="http://zing.z3950.org/cql/bath/2.0/" name="bath"/>'
        f"{indexes}</zr:indexInfo><zr:schemaInfo>{schemas}</zr:schemaInfo><zr:configInfo>"
        f'<zr:default type="numberOfRecords">{DEFAULT_RECORDS}</zr:default>'
        f'<zr:setting type="maximumRecords">{MAX_RECORDS}</zr:setting>{relations}'
        "</zr:configInfo></zr:explain>"
    )
    return (
        f"<sru:version>2.0</sru:version><sru:record><sru:recordSchema>{EXPLAIN_NS}</sru:recordSchema>"
        f"<sru:recordXMLEscaping>xml</sru:recordXMLEscaping><sru:recordData>{explain}</sru:recordData>"
        "</sru:record>"
    )


def _document(body: str, element: str) -> ProviderResponse:
    document = f'<?xml version="1.0" encoding="UTF-8"?>\n<sru:{element} xmlns:sru="{SRU_NS}">{body}</sru:{element}>'
    return ProviderResponse(200, XML_TYPE, document.encode("utf-8"))
