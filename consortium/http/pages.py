"""Answers to a URL that is itself the credential (a private feed, an unsubscribe link): kept out of caches,
referrers and search indexes, and the small HTML page such a link shows."""

from __future__ import annotations

import html

from chalice.app import Response

__all__ = ["ONE_CLICK", "PRIVATE_HEADERS", "private_page", "private_response"]

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
