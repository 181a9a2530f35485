"""What the Chalice apps under ``functions/`` share, so each ``app.py`` only parses, calls one service method
and answers:

- :mod:`~consortium.http.access`: the route table: who may call each route, checked before it runs (deny by
  default), and the records the OpenAPI document is made from;
- :mod:`~consortium.http.container`: the container of one Lambda environment, built on first use;
- :mod:`~consortium.http.identity`: the actor a route acts as on a reader's data;
- :mod:`~consortium.http.requests`: body models and their bounded strings;
- :mod:`~consortium.http.errors`: the core's errors as HTTP errors (one table);
- :mod:`~consortium.http.problems`: the error answers' stable codes (the catalogue) and bodies;
- :mod:`~consortium.http.pages`: the private pages and feeds reached by a token URL, and one-click unsubscribe;
- :mod:`~consortium.http.limits`: the limit on failed lookups of token URLs (429 with ``Retry-After``);
- :mod:`~consortium.http.openapi`: the OpenAPI 3.1 document of every route table;
- :mod:`~consortium.http.server`: the local HTTP server that serves the apps as API Gateway would.

It imports Chalice, so only the functions and ``consortium run`` import it. In the layers it sits with the entry
points: it builds the container through :mod:`consortium.bootstrap`.
"""

from __future__ import annotations

from consortium.http.access import (
    ANALYTICS_STAFF,
    ANYONE,
    LIBRARY,
    MEMBER_ADMIN,
    READER,
    READER_OR_LIBRARY,
    SUBJECT_LIBRARIAN,
    TOKEN_URL,
    Access,
    RouteSpec,
    RouteTable,
    current_caller,
)
from consortium.http.container import LambdaContainer, route_table
from consortium.http.errors import STATUS, as_http_error, field_errors, http_errors
from consortium.http.identity import caller_actor, client_address
from consortium.http.limits import FailedLookupLimit, TokenBuckets, limit_failed_lookups
from consortium.http.pages import ONE_CLICK, PRIVATE_HEADERS, private_page, private_response
from consortium.http.requests import Identifier, RequestBody, Text

__all__ = [
    "ANALYTICS_STAFF",
    "ANYONE",
    "LIBRARY",
    "MEMBER_ADMIN",
    "ONE_CLICK",
    "PRIVATE_HEADERS",
    "READER",
    "READER_OR_LIBRARY",
    "STATUS",
    "SUBJECT_LIBRARIAN",
    "TOKEN_URL",
    "Access",
    "FailedLookupLimit",
    "Identifier",
    "LambdaContainer",
    "RequestBody",
    "RouteSpec",
    "RouteTable",
    "Text",
    "TokenBuckets",
    "as_http_error",
    "caller_actor",
    "client_address",
    "current_caller",
    "field_errors",
    "http_errors",
    "limit_failed_lookups",
    "private_page",
    "private_response",
    "route_table",
]
