"""Answers to a URL that is itself the credential (a private feed, an unsubscribe link): kept out of caches,
referrers and search indexes; the small HTML page such a link shows; and the RFC 8058 one-click body a mail client
posts back to it."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from chalice.app import Response

if TYPE_CHECKING:
    from chalice.app import Chalice

__all__ = ["ONE_CLICK", "PRIVATE_HEADERS", "one_click", "private_page", "private_response"]

ONE_CLICK = "One-Click"
"""The value of the ``List-Unsubscribe`` field of an RFC 8058 one-click unsubscribe."""

PRIVATE_HEADERS: dict[str, str] = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
}
"""Headers of every answer to a token URL."""

_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{title}</title></head>
<body>
<main>
<h1>{title}</h1>
{content}
</main>
</body>
</html>
"""


def private_response(body: str, content_type: str, status: int = 200) -> Response:
    """``body`` as ``content_type`` with :data:`PRIVATE_HEADERS`."""
    headers: dict[str, str | list[str]] = {"Content-Type": content_type, **PRIVATE_HEADERS}
    return Response(body=body, status_code=status, headers=headers)


def private_page(title: str, content: str, status: int = 200) -> Response:
    """An HTML page titled ``title`` (escaped here) around ``content`` (HTML the caller has escaped).

    Examples
    --------
    >>> private_page("Unsubscribed · 已退订", "<p>You will no longer receive “New books”.</p>").status_code
    200
    """
    body = _PAGE.format(title=html.escape(title), content=content)
    return private_response(body, "text/html; charset=utf-8", status)


def one_click(app: Chalice) -> bool:
    """Whether the current request's body is RFC 8058's ``List-Unsubscribe=One-Click``: form-encoded, as mail
    clients post it, or the multipart form of a browser."""
    request = app.current_request
    if request is None:
        return False
    raw_body = request.raw_body
    raw = raw_body.decode("utf-8", "replace") if isinstance(raw_body, bytes) else raw_body
    if str(request.headers.get("content-type", "")).lower().startswith("multipart/form-data"):
        return 'name="List-Unsubscribe"' in raw and ONE_CLICK in raw
    return parse_qs(raw).get("List-Unsubscribe") == [ONE_CLICK]
