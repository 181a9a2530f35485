"""Cross-origin answers for a portal served from another address than the API: on AWS the portal is on
CloudFront (or its own domain) and the API on API Gateway, so every call of the portal's pages is cross-origin,
and a browser reads an answer only if it says the page's origin may (CORS).

The origins allowed are the setting ``portal_origins`` (:func:`~consortium.config.parse_origins`), nothing
else: no ``*``, since readers' answers are personal. An answer to a request from one of them carries
:func:`answer_headers`; a preflight (``OPTIONS`` with ``Access-Control-Request-Method``) is answered by
:func:`preflight_headers`, by API Gateway on AWS (the same values, written into its mock integrations by the CDK
app) and by the local server. A request from any other origin gets no CORS header, so the browser keeps the
answer from that page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

__all__ = [
    "ALLOWED_HEADERS",
    "ALLOWED_METHODS",
    "EXPOSED_HEADERS",
    "MAX_AGE_SECONDS",
    "answer_headers",
    "merged",
    "preflight_headers",
]

ALLOWED_HEADERS: Final = ("Authorization", "Content-Type", "X-Api-Key", "Accept-Language")
"""The request headers a portal page may send (its bearer token, a JSON body, a member's key, the language)."""
ALLOWED_METHODS: Final = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
EXPOSED_HEADERS: Final = ("Content-Disposition", "ETag", "Location", "Retry-After")
"""The answer headers a page may read besides the simple ones (a raw record's file name, ``Retry-After``...)."""
MAX_AGE_SECONDS: Final = 3600
"""How long a browser may keep a preflight's answer."""


def _allowed(origin: str | None, allowed: Sequence[str]) -> str | None:
    if not origin:
        return None
    origin = origin.strip().rstrip("/").lower()
    return origin if origin in allowed else None


def answer_headers(origin: str | None, allowed: Sequence[str]) -> dict[str, str]:
    """The CORS headers of an answer to a request from ``origin`` (its ``Origin`` header): none unless allowed.
    ``Vary: Origin`` whenever origins are allowed at all, so that a cache never gives one origin's answer to
    another."""
    if not allowed:
        return {}
    headers = {"Vary": "Origin"}
    match = _allowed(origin, allowed)
    if match is not None:
        headers["Access-Control-Allow-Origin"] = match
        headers["Access-Control-Expose-Headers"] = ", ".join(EXPOSED_HEADERS)
    return headers


def preflight_headers(
    origin: str | None, allowed: Sequence[str], methods: Iterable[str] = ALLOWED_METHODS
) -> dict[str, str] | None:
    """The answer headers of a preflight from ``origin`` for a path with ``methods``; ``None`` when the origin is
    not allowed (the preflight is refused, and the browser sends nothing)."""
    match = _allowed(origin, allowed)
    if match is None:
        return None
    return {
        "Access-Control-Allow-Origin": match,
        "Access-Control-Allow-Methods": ", ".join(sorted(set(methods) | {"OPTIONS"})),
        "Access-Control-Allow-Headers": ", ".join(ALLOWED_HEADERS),
        "Access-Control-Max-Age": str(MAX_AGE_SECONDS),
        "Vary": "Origin",
    }


def merged(headers: Mapping[str, str | list[str]], extra: Mapping[str, str]) -> dict[str, str | list[str]]:
    """``headers`` (a Chalice answer's, a value may be a list) with ``extra`` added; a ``Vary`` already there
    keeps its values and gains ``Origin``."""
    out = dict(headers)
    for name, value in extra.items():
        if name == "Vary":
            values = [v for k, v in out.items() if k.lower() == "vary"]
            flat = [one for v in values for one in ([v] if isinstance(v, str) else v)]
            present = [part.strip() for one in flat for part in one.split(",") if part.strip()]
            out = {k: v for k, v in out.items() if k.lower() != "vary"}
            out["Vary"] = ", ".join(present if "Origin" in present else [*present, "Origin"])
            continue
        out[name] = value
    return out
