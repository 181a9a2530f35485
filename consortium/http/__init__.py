"""What the Chalice apps under ``functions/`` share, so each ``app.py`` only parses, calls one service method
and answers:

- :mod:`~consortium.http.container`: the container of one Lambda environment, built on first use;
- :mod:`~consortium.http.identity`: the caller, from the authorizer, as an actor;
- :mod:`~consortium.http.requests`: body models and the parsing of the current request into one;
- :mod:`~consortium.http.errors`: the core's errors as HTTP errors (one table);
- :mod:`~consortium.http.pages`: the private pages and feeds reached by a token URL, and one-click unsubscribe;
- :mod:`~consortium.http.limits`: the limit on failed lookups of token URLs (429 with ``Retry-After``).

It imports Chalice, so only the functions import it (Chalice packages its own runtime with each function). In the
layers it sits with the entry points: it builds the container through :mod:`consortium.bootstrap`.
"""

from __future__ import annotations

from consortium.http.container import LambdaContainer
from consortium.http.errors import STATUS, as_http_error, field_errors, http_errors
from consortium.http.identity import MEMBER_CALLER, caller_actor, caller_identity, client_address
from consortium.http.limits import FailedLookupLimit, TokenBuckets, limit_failed_lookups
from consortium.http.pages import ONE_CLICK, PRIVATE_HEADERS, one_click, private_page, private_response
from consortium.http.requests import Identifier, RequestBody, Text, json_body, parse_body

__all__ = [
    "MEMBER_CALLER",
    "ONE_CLICK",
    "PRIVATE_HEADERS",
    "STATUS",
    "FailedLookupLimit",
    "Identifier",
    "LambdaContainer",
    "RequestBody",
    "Text",
    "TokenBuckets",
    "as_http_error",
    "caller_actor",
    "caller_identity",
    "client_address",
    "field_errors",
    "http_errors",
    "json_body",
    "limit_failed_lookups",
    "one_click",
    "parse_body",
    "private_page",
    "private_response",
]
