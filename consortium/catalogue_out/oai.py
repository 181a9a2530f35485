"""The hub's OAI-PMH 2.0 provider: its works (clusters) to harvesters, as ``marc21`` or ``oai_dc``.

Every verb: ``Identify``, ``ListMetadataFormats``, ``ListSets`` (``member`` and one ``member:<id>`` per member
that shares its holdings), ``ListIdentifiers``, ``ListRecords`` (incremental through ``from``/``until`` on the
work's last change, a page of :attr:`PublishedCatalogue.page_size` at a time, resumption tokens as described in
:mod:`~consortium.catalogue_out.tokens`) and ``GetRecord``. A work that disappears (its records merged into
another work, withdrawn or deleted) stays a deleted record for good (``deletedRecord`` is ``persistent``): the
cluster store keeps its tombstone, listed at the time it went, in the sets of the members that held it. A work
held only by members that do not share their holdings is served as deleted too (no metadata, no set): it is not
disclosed outside those members (:meth:`PublishedCatalogue.withholds`).

Every protocol error is answered as the protocol says, with HTTP 200: ``badVerb`` (missing, unknown or
repeated verb), ``badArgument`` (an unknown, repeated, missing or empty argument, ``resumptionToken`` with
others, a bad or mismatched date, ``from`` after ``until``, arguments that cannot be read),
``badResumptionToken``, ``cannotDisseminateFormat``, ``idDoesNotExist``, ``noRecordsMatch`` (also for a set
that does not exist) and ``noSetHierarchy`` (a set asked of a hub with no members). No input gives a 5xx.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from consortium.catalogue_out.dublin_core import OAI_DC_NS, OAI_DC_SCHEMA, dublin_core
from consortium.catalogue_out.marcxml import MARCXML_NS, MARCXML_SCHEMA, marcxml
from consortium.catalogue_out.response import (
    XML_TYPE,
    BadRequestArgumentsError,
    ProviderResponse,
    RequestArgs,
    esc,
    read_args,
)
from consortium.catalogue_out.tokens import (
    BadTokenError,
    DateArgumentError,
    ListState,
    format_utc,
    parse_utc,
    read_token,
    write_token,
)
from consortium.ports import Clock, system_clock

if TYPE_CHECKING:
    from collections.abc import Callable

    from consortium.catalogue_out.published import PublishedCatalogue
    from consortium.catalogue_out.response import RawArgs
    from consortium.dedup.state import ClusterVersion

__all__ = ["FORMATS", "handle_oai"]

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
_XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
FORMATS = {"marc21": (MARCXML_SCHEMA, MARCXML_NS), "oai_dc": (OAI_DC_SCHEMA, OAI_DC_NS)}
"""The metadata formats: ``metadataPrefix`` to (schema, namespace)."""
_LISTS = {"from", "until", "set", "resumptionToken"}
_ARGUMENTS: dict[str, tuple[set[str], set[str]]] = {
    "Identify": (set(), set()),
    "ListMetadataFormats": (set(), {"identifier"}),
    "ListSets": (set(), {"resumptionToken"}),
    "GetRecord": ({"identifier", "metadataPrefix"}, set()),
    "ListIdentifiers": ({"metadataPrefix"}, _LISTS),
    "ListRecords": ({"metadataPrefix"}, _LISTS),
}
"""Each verb's required and optional arguments (besides ``verb``)."""
_LATEST = datetime.max.replace(tzinfo=UTC)


class _OaiError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class _Request:
    args: dict[str, str]
    catalogue: PublishedCatalogue
    now: datetime
    base_url: str


def handle_oai(
    params: RawArgs, base_url: str, catalogue: PublishedCatalogue, clock: Clock = system_clock
) -> ProviderResponse:
    """Answer one OAI-PMH request.

    Parameters
    ----------
    params
        The request's arguments: the query string of a GET, the form body of a POST (``str`` or ``bytes``), or a
        mapping of each name to its values (``{name: request.query_params.getlist(name)}``); untrusted.
    base_url
        The provider's base URL as harvesters reach it (the ``request`` element; Identify's ``baseURL``).
    catalogue
        What is served.
    clock
        The response date and the time tokens are issued and checked at.

    Returns
    -------
    ProviderResponse
        Always HTTP 200 with an OAI-PMH XML document (protocol errors included).

    Example
    -------
    >>> response = handle_oai("verb=ListRecords&metadataPrefix=marc21&set=member:riverside", base_url, catalogue)
    >>> response.status, response.content_type
    (200, 'text/xml; charset=utf-8')
    """
    now = clock()
    args: dict[str, str] = {}
    try:
        raw = read_args(params)
        verb = _verb(raw)
        args = _arguments(verb, raw)
        body = _VERBS[verb](_Request(args, catalogue, now, base_url))
    except BadRequestArgumentsError as exc:
        return _response(now, base_url, {}, _error("badArgument", str(exc)))
    except _OaiError as exc:
        echoed = {} if exc.code in ("badVerb", "badArgument") else args
        return _response(now, base_url, echoed, _error(exc.code, exc.message))
    return _response(now, base_url, args, body)


# -- arguments ---------------------------------------------------------------------------------------------


def _verb(raw: RequestArgs) -> str:
    verbs = raw.get("verb", [])
    if not verbs:
        raise _OaiError("badVerb", "the verb argument is missing")
    if len(verbs) > 1:
        raise _OaiError("badVerb", "the verb argument is repeated")
    if verbs[0] not in _ARGUMENTS:
        raise _OaiError("badVerb", f"{verbs[0][:100]!r} is not an OAI-PMH verb")
    return verbs[0]


def _arguments(verb: str, raw: RequestArgs) -> dict[str, str]:
    """The verb's other arguments, each given once with a value; ``badArgument`` naming what is wrong."""
    required, optional = _ARGUMENTS[verb]
    args: dict[str, str] = {"verb": verb}
    for name, values in raw.items():
        if name == "verb":
            continue
        if name not in required | optional:
            raise _OaiError("badArgument", f"{name[:64]!r} is not an argument of {verb}")
        if len(values) > 1:
            raise _OaiError("badArgument", f"the argument {name} is repeated")
        if not values[0]:
            raise _OaiError("badArgument", f"the argument {name} is empty")
        args[name] = values[0]
    if "resumptionToken" in args:
        if len(args) > 2:
            raise _OaiError("badArgument", "resumptionToken is an exclusive argument: no other may come with it")
        return args
    missing = sorted(required - args.keys())
    if missing:
        raise _OaiError("badArgument", f"{verb} needs the argument {missing[0]}")
    return args


def _format(prefix: str) -> str:
    if prefix not in FORMATS:
        known = ", ".join(FORMATS)
        raise _OaiError("cannotDisseminateFormat", f"no metadata format {prefix[:100]!r} here (there are {known})")
    return prefix


def _item(request: _Request) -> ClusterVersion:
    identifier = request.args["identifier"]
    cluster_id = request.catalogue.cluster_id(identifier)
    version = request.catalogue.clusters.version(cluster_id) if cluster_id is not None else None
    if version is None:
        raise _OaiError("idDoesNotExist", f"no item {identifier[:200]!r} in this repository")
    return version


# -- verbs ---------------------------------------------------------------------------------------------------


def _identify(request: _Request) -> str:
    catalogue = request.catalogue
    first = catalogue.clusters.changed(limit=1)
    earliest = first[0].changed_at if first else request.now
    sample = catalogue.oai_identifier("0123456789abcdef0123456789abcdef")
    oai_id = "http://www.openarchives.org/OAI/2.0/oai-identifier"
    return (
        f"<Identify><repositoryName>{esc(catalogue.repository_name)}</repositoryName>"
        f"<baseURL>{esc(request.base_url)}</baseURL><protocolVersion>2.0</protocolVersion>"
        f"<adminEmail>{esc(catalogue.admin_email)}</adminEmail>"
        f"<earliestDatestamp>{format_utc(earliest)}</earliestDatestamp><deletedRecord>persistent</deletedRecord>"
        "<granularity>YYYY-MM-DDThh:mm:ssZ</granularity>"
        f'<description><oai-identifier xmlns="{oai_id}" {_XSI} xsi:schemaLocation="{oai_id} {oai_id}.xsd">'
        f"<scheme>oai</scheme><repositoryIdentifier>{esc(catalogue.repository_identifier)}</repositoryIdentifier>"
        f"<delimiter>:</delimiter><sampleIdentifier>{esc(sample)}</sampleIdentifier></oai-identifier>"
        "</description></Identify>"
    )


def _list_metadata_formats(request: _Request) -> str:
    if "identifier" in request.args:
        _item(request)
    formats = "".join(
        f"<metadataFormat><metadataPrefix>{prefix}</metadataPrefix><schema>{schema}</schema>"
        f"<metadataNamespace>{namespace}</metadataNamespace></metadataFormat>"
        for prefix, (schema, namespace) in FORMATS.items()
    )
    return f"<ListMetadataFormats>{formats}</ListMetadataFormats>"


def _list_sets(request: _Request) -> str:
    if "resumptionToken" in request.args:
        raise _OaiError("badResumptionToken", "this repository lists its sets in one response: it issues no token")
    members = request.catalogue.sets
    if not members:
        raise _OaiError("noSetHierarchy", "this repository has no sets")
    sets = ["<set><setSpec>member</setSpec><setName>Works held by the consortium's members</setName></set>"]
    sets += [
        f"<set><setSpec>member:{esc(m.id)}</setSpec><setName>Works held by {esc(m.name)}</setName></set>"
        for m in members
    ]
    return f"<ListSets>{''.join(sets)}</ListSets>"


def _get_record(request: _Request) -> str:
    prefix = _format(request.args["metadataPrefix"])
    return f"<GetRecord>{_record(request.catalogue, _item(request), prefix)}</GetRecord>"


def _list_identifiers(request: _Request) -> str:
    return _list(request, "ListIdentifiers")


def _list_records(request: _Request) -> str:
    return _list(request, "ListRecords")


_VERBS: dict[str, Callable[[_Request], str]] = {
    "Identify": _identify,
    "ListMetadataFormats": _list_metadata_formats,
    "ListSets": _list_sets,
    "GetRecord": _get_record,
    "ListIdentifiers": _list_identifiers,
    "ListRecords": _list_records,
}


# -- lists ---------------------------------------------------------------------------------------------------


def _first_state(request: _Request, verb: str) -> ListState:
    """The state of a list asked for with arguments: its window, its set, its size."""
    args, catalogue = request.args, request.catalogue
    prefix = _format(args["metadataPrefix"])
    since = until = None
    try:
        if "from" in args:
            since, since_step = parse_utc(args["from"], "from")
        if "until" in args:
            until, until_step = parse_utc(args["until"], "until")
    except DateArgumentError as exc:
        raise _OaiError("badArgument", str(exc)) from exc
    if since is not None and until is not None:
        if since_step != until_step:
            raise _OaiError("badArgument", "from and until must have the same granularity")
        if since > until:
            raise _OaiError("badArgument", "from is later than until")
    end = request.now.replace(microsecond=0) + timedelta(seconds=1)  # no until: up to the end of this second
    if until is not None:
        try:
            end = until + until_step
        except OverflowError:
            end = _LATEST
    member = _set_member(catalogue, args.get("set"))
    total = catalogue.clusters.count_changed(since, end, member=member)
    return ListState(
        verb=verb,
        prefix=prefix,
        since=since.isoformat() if since is not None else None,
        until=end.isoformat(),
        member=member,
        after=("", ""),
        position=0,
        total=total,
        issued=int(request.now.timestamp()),
    )


def _set_member(catalogue: PublishedCatalogue, spec: str | None) -> str | None:
    """The member a ``set`` names (``None``: every record, no set or the set ``member``)."""
    if spec is None:
        return None
    if not catalogue.sets:
        raise _OaiError("noSetHierarchy", "this repository has no sets")
    if spec == "member":
        return None
    kind, _, member = spec.partition(":")
    if kind != "member" or not catalogue.has_set(member):
        raise _OaiError("noRecordsMatch", f"no set {spec[:100]!r} in this repository (see ListSets)")
    return member


def _list(request: _Request, verb: str) -> str:
    catalogue = request.catalogue
    token = request.args.get("resumptionToken")
    if token is not None:
        try:
            state = read_token(
                token, catalogue.token_key, verb=verb, now=request.now, lifetime=catalogue.token_lifetime
            )
        except BadTokenError as exc:
            raise _OaiError("badResumptionToken", str(exc)) from exc
    else:
        state = _first_state(request, verb)
    after = state.cursor if state.position else None
    page = catalogue.clusters.changed(
        state.since_time, state.until_time, member=state.member, after=after, limit=catalogue.page_size + 1
    )
    more = len(page) > catalogue.page_size
    page = page[: catalogue.page_size]
    if not page:
        raise _OaiError("noRecordsMatch", "no record matches these arguments")
    total = max(state.total, state.position + len(page) + int(more))
    if verb == "ListRecords":
        items = "".join(_record(catalogue, version, state.prefix) for version in page)
    else:
        items = "".join(_header(catalogue, version) for version in page)
    tail = ""
    if more or token is not None:
        following = ""
        if more:
            last = page[-1]
            following = write_token(
                replace(
                    state,
                    after=(last.changed_at.isoformat(), last.cluster_id),
                    position=state.position + len(page),
                    total=total,
                ),
                catalogue.token_key,
            )
        expires = f' expirationDate="{format_utc(state.expires(catalogue.token_lifetime))}"' if more else ""
        tail = (
            f'<resumptionToken completeListSize="{total}" cursor="{state.position}"{expires}>'
            f"{esc(following)}</resumptionToken>"
        )
    return f"<{verb}>{items}{tail}</{verb}>"


# -- records ---------------------------------------------------------------------------------------------------


def _header(catalogue: PublishedCatalogue, version: ClusterVersion) -> str:
    withheld = catalogue.withholds(version)
    status = ' status="deleted"' if version.deleted or withheld else ""
    shown = [] if withheld else version.members
    sets = "".join(f"<setSpec>{esc(spec)}</setSpec>" for spec in catalogue.set_specs(shown))
    return (
        f"<header{status}><identifier>{esc(catalogue.oai_identifier(version.cluster_id))}</identifier>"
        f"<datestamp>{format_utc(version.changed_at)}</datestamp>{sets}</header>"
    )


def _record(catalogue: PublishedCatalogue, version: ClusterVersion, prefix: str) -> str:
    header = _header(catalogue, version)
    if version.cluster is None or catalogue.withholds(version):
        return f"<record>{header}</record>"
    holdings = catalogue.holdings(version.cluster)
    metadata = marcxml(version, holdings) if prefix == "marc21" else dublin_core(version, holdings)
    return f"<record>{header}<metadata>{metadata}</metadata></record>"


# -- the document ------------------------------------------------------------------------------------------------


def _error(code: str, message: str) -> str:
    return f'<error code="{code}">{esc(message)}</error>'


def _response(now: datetime, base_url: str, args: dict[str, str], body: str) -> ProviderResponse:
    attributes = "".join(f' {name}="{esc(value)}"' for name, value in args.items())
    document = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<OAI-PMH xmlns="{OAI_NS}" {_XSI} xsi:schemaLocation="{OAI_NS} {OAI_NS}OAI-PMH.xsd">'
        f"<responseDate>{format_utc(now)}</responseDate><request{attributes}>{esc(base_url)}</request>"
        f"{body}</OAI-PMH>"
    )
    return ProviderResponse(200, XML_TYPE, document.encode("utf-8"))
