"""A digest as the reader sees it: plain text, HTML and the email that carries both.

Every field of an item (title, authors, reason...) comes from harvested data or from the planner, so each is
cleaned to one line of printable text (:func:`one_line`) and, in HTML, escaped. Nothing here reads or logs the
reader's address: the recipient is the mailer's business (:mod:`consortium.push.channels`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.headerregistry import Address, BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr
from html import escape
from typing import TYPE_CHECKING, Any, ClassVar, Literal
from urllib.parse import quote, urlsplit

from consortium.push.models import ServiceId

if TYPE_CHECKING:
    from datetime import datetime
    from email.policy import Policy

    from consortium.push.models import Digest, DigestItem

__all__ = [
    "MESSAGE_POLICY",
    "SERVICE_NAMES",
    "DigestLinks",
    "UriListHeader",
    "email_message",
    "message_id",
    "one_line",
    "render_html",
    "render_text",
    "subject",
]

SERVICE_NAMES: dict[ServiceId, str] = {
    ServiceId.NEW_IN_CLASS: "New books in your classes",
    ServiceId.INTERESTED_NEW: "New books for you",
    ServiceId.LIBRARIAN_LISTS: "New in your librarians' lists",
    ServiceId.SAVED_SEARCH: "New for your saved search",
    ServiceId.INTERLIBRARY_LOAN: "Your inter-library loans",
}
"""The English name of each service, as the subject and the heading of its digest say it."""

MAX_AUTHORS = 3
"""Authors named per item; more are shortened to "et al."."""

_CLUSTER_PLACEHOLDER = "{cluster_id}"
# C0 and C1 controls but the white space ones (NEL U+0085 among them), DEL, lone surrogates and the two
# noncharacters XML 1.0 forbids (U+FFFE, U+FFFF).
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")
_SPACES = re.compile(r"\s+")
_URL_FORBIDDEN = re.compile(r"[\s<>\"\\^`{|}]")


def one_line(text: str) -> str:
    """``text`` as one line of printable text: control characters (those XML 1.0 forbids too) dropped, runs of
    white space (line breaks included) made one space, ends stripped.

    Example
    -------
    >>> one_line("Dune\\x00\\n  part two ")
    'Dune part two'
    """
    return _SPACES.sub(" ", _UNPRINTABLE.sub("", text)).strip()


def _check_url(name: str, url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or _URL_FORBIDDEN.search(url):
        raise ValueError(f"{name} must be an absolute http(s) URL without spaces or angle brackets, not {url!r}")


@dataclass(frozen=True)
class DigestLinks:
    """The links a digest carries.

    Parameters
    ----------
    unsubscribe_url
        The one-click unsubscribe URL of this subscription (it carries its own token). RFC 8058 wants it
        ``https``; ``http`` is accepted for the local hub on 127.0.0.1.
    portal_url
        The reader's portal (history, settings), when there is one.
    item_url_template
        A work's page, with ``{cluster_id}`` where the (URL-quoted) cluster id goes.

    Example
    -------
    >>> links = DigestLinks("https://portal.example/u/tok", None, "https://portal.example/works/{cluster_id}")
    >>> links.item_url("c/1")
    'https://portal.example/works/c%2F1'
    """

    unsubscribe_url: str
    portal_url: str | None
    item_url_template: str

    def __post_init__(self) -> None:
        _check_url("unsubscribe_url", self.unsubscribe_url)
        if self.portal_url is not None:
            _check_url("portal_url", self.portal_url)
        if _CLUSTER_PLACEHOLDER not in self.item_url_template:
            raise ValueError(f"item_url_template must contain {_CLUSTER_PLACEHOLDER}: {self.item_url_template!r}")
        _check_url("item_url_template", self.item_url_template.replace(_CLUSTER_PLACEHOLDER, "x"))

    def item_url(self, cluster_id: str) -> str:
        """The page of the work ``cluster_id``."""
        return self.item_url_template.replace(_CLUSTER_PLACEHOLDER, quote(cluster_id, safe=""))


def _require_items(digest: Digest) -> None:
    if not digest.items:
        raise ValueError(f"digest {digest.digest_id} has no items: an empty digest is not rendered")


def subject(digest: Digest) -> str:
    """The subject line: the service's name and the number of items, e.g. "New books in your classes — 3 items"."""
    count = len(digest.items)
    return f"{SERVICE_NAMES[digest.service]} — {count} item{'' if count == 1 else 's'}"


def _authors(item: DigestItem) -> str:
    names = [name for name in (one_line(author) for author in item.authors) if name]
    if len(names) > MAX_AUTHORS:
        return ", ".join(names[:MAX_AUTHORS]) + " et al."
    return ", ".join(names)


def _byline(item: DigestItem) -> str:
    parts = [_authors(item), str(item.year) if item.year is not None else ""]
    return " · ".join(part for part in parts if part)


def _where(item: DigestItem, home: str) -> str:
    """Which member libraries hold the work: "at your library" first when the reader's own library does."""
    others = [one_line(member) for member in item.members if not (item.at_home and member == home)]
    others = [member for member in others if member]
    if item.at_home:
        return "at your library" + (f"; also at {', '.join(others)}" if others else "")
    if others:
        return f"at {', '.join(others)}"
    return "not yet held by a member library"


def _window(digest: Digest) -> str:
    start, end = digest.window_start.date().isoformat(), digest.window_end.date().isoformat()
    return f"Works new to the consortium from {start} to {end}."


def render_text(digest: Digest, links: DigestLinks, library_name: str) -> str:
    """The digest as plain text: each item's title, authors and year, where it is held, why it was chosen and
    its link; then the portal and the one-click unsubscribe link. :class:`ValueError` for an empty digest.

    Example
    -------
    >>> print(render_text(digest, links, "Riverside University Library"))  # doctest: +SKIP
    New books in your classes, from Riverside University Library
    ...
    """
    _require_items(digest)
    lines = [f"{SERVICE_NAMES[digest.service]}, from {one_line(library_name)}", _window(digest), ""]
    for number, item in enumerate(digest.items, start=1):
        lines.append(f"{number}. {one_line(item.title) or '(untitled)'}")
        byline = _byline(item)
        if byline:
            lines.append(f"   {byline}")
        lines.append(f"   {_where(item, digest.member)}")
        lines.append(f"   Why: {one_line(item.reason)}")
        lines.append(f"   {links.item_url(item.cluster_id)}")
        lines.append("")
    if links.portal_url is not None:
        lines.append(f"Your history and settings: {links.portal_url}")
    lines.append(f"Unsubscribe from these emails (one click): {links.unsubscribe_url}")
    return "\n".join(lines) + "\n"


def render_html(digest: Digest, links: DigestLinks, library_name: str) -> str:
    """The digest as an HTML document, every field escaped (titles come from harvested data); the same content
    as :func:`render_text`. :class:`ValueError` for an empty digest."""
    _require_items(digest)
    service = SERVICE_NAMES[digest.service]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(subject(digest))}</title></head>",
        '<body style="font-family: sans-serif; line-height: 1.4">',
        f'<h1 style="font-size: 1.3em">{escape(service)}, from {escape(one_line(library_name))}</h1>',
        f"<p>{escape(_window(digest))}</p>",
        "<ol>",
    ]
    for item in digest.items:
        url = escape(links.item_url(item.cluster_id))
        parts.append(
            f'<li style="margin-bottom: 1em"><a href="{url}">{escape(one_line(item.title) or "(untitled)")}</a>'
        )
        byline = _byline(item)
        if byline:
            parts.append(f"<br>{escape(byline)}")
        parts.append(f"<br>{escape(_where(item, digest.member))}")
        parts.append(f"<br><em>Why: {escape(one_line(item.reason))}</em></li>")
    parts.append("</ol>")
    if links.portal_url is not None:
        parts.append(f'<p><a href="{escape(links.portal_url)}">Your history and settings</a></p>')
    parts.append(
        f'<p style="font-size: 0.9em"><a href="{escape(links.unsubscribe_url)}">Unsubscribe from these emails</a>'
        " (one click)</p>"
    )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


_URI_ENTRY = re.compile(r"<[\x21-\x3b\x3d\x3f-\x7e]+>")  # printable ASCII but "<" and ">", in angle brackets
_URI_LIST = re.compile(rf"\s*{_URI_ENTRY.pattern}(?:\s*,\s*{_URI_ENTRY.pattern})*\s*")
_MAX_LINE = 998
"""The longest line RFC 5322 allows (without its CRLF)."""


class UriListHeader(UnstructuredHeader, BaseHeader):
    """A header holding angle-bracketed URIs separated by commas, as RFC 2369 defines ``List-Unsubscribe``.

    Mail clients read such a header raw to find the one-click link (RFC 8058), so it is written as it is: each
    URI whole on its line, lines folded only between URIs, never an RFC 2047 encoded word (which the default
    folding makes of any word longer than a line). :class:`ValueError` when the value is not such a list of
    printable ASCII URIs, or one would not fit on a line.

    Example
    -------
    >>> message = EmailMessage(policy=MESSAGE_POLICY)
    >>> message["List-Unsubscribe"] = "<https://hub.example/push/unsubscribe/" + "t" * 80 + ">"
    >>> message.as_bytes().count(b"=?")
    0
    """

    max_count: ClassVar[Literal[1]] = 1
    """A message has one ``List-Unsubscribe``."""

    @classmethod
    def parse(cls, value: str, kwds: dict[str, Any]) -> None:
        """Parse as an unstructured header, then check the value is a list of URIs that fits the line limit."""
        super().parse(value, kwds)
        if not _URI_LIST.fullmatch(value):
            raise ValueError(f"a URI list header holds <URI>, <URI>... in printable ASCII, not {value!r}")
        if any(len(f"List-Unsubscribe: {entry},") > _MAX_LINE for entry in _URI_ENTRY.findall(value)):
            raise ValueError(f"a URI in {value!r} is too long for one line ({_MAX_LINE} characters)")

    def fold(self, *, policy: Policy) -> str:
        """The header as written: on one line when it fits the policy's line length, else one URI a line."""
        entries = _URI_ENTRY.findall(str(self))
        line = f"{self.name}: {', '.join(entries)}"
        if len(line) <= (policy.max_line_length or _MAX_LINE) or len(entries) == 1:
            return line + policy.linesep
        return f"{self.name}: " + ("," + policy.linesep + " ").join(entries) + policy.linesep


_HEADERS = HeaderRegistry()
_HEADERS.map_to_type("list-unsubscribe", UriListHeader)
MESSAGE_POLICY = SMTP.clone(header_factory=_HEADERS)
"""The policy of digest emails: :data:`email.policy.SMTP` (CRLF, 7-bit headers), with ``List-Unsubscribe`` a
:class:`UriListHeader`."""


def _sender_address(sender: str) -> Address:
    name, addr = parseaddr(sender)
    if "@" not in addr:
        raise ValueError(f"sender must be an email address, not {sender!r}")
    username, domain = addr.rsplit("@", 1)
    return Address(display_name=name, username=username, domain=domain)


def message_id(digest_id: str, sender: str) -> str:
    """The ``Message-ID`` of a digest's email: the digest id at the sender's domain, so a retry of the same digest
    sends the same id (and a receiving system can see it is the same message)."""
    domain = _sender_address(sender).domain.encode("idna").decode("ascii")
    return f"<digest.{digest_id}@{domain}>"


def email_message(
    digest: Digest, links: DigestLinks, sender: str, library_name: str, *, date: datetime | None = None
) -> EmailMessage:
    """The digest as an email: a ``multipart/alternative`` of the text and HTML renderings, with RFC 8058
    one-click unsubscribe headers and a ``Message-ID`` derived from the digest id.

    Parameters
    ----------
    digest
        A digest with at least one item (:class:`ValueError` otherwise).
    links
        The unsubscribe, portal and item links.
    sender
        The From address (``push@riverside.example``); the library's name becomes its display name unless
        ``sender`` has one (``"Riverside Library <push@riverside.example>"``).
    library_name
        The reader's home library, named in the heading.
    date
        The ``Date`` header; the end of the digest's window when omitted, so two renderings are identical.

    The recipient is not written in the message: the mailer gives it to the server as the envelope recipient.

    Example
    -------
    >>> message = email_message(digest, links, "push@riverside.example", "Riverside University Library")
    >>> mailer.send(message, digest.email)  # doctest: +SKIP
    """
    _require_items(digest)
    from_address = _sender_address(sender)
    if not from_address.display_name:
        from_address = Address(
            display_name=one_line(library_name), username=from_address.username, domain=from_address.domain
        )
    message = EmailMessage(policy=MESSAGE_POLICY)
    message["Subject"] = subject(digest)
    message["From"] = from_address
    message["Date"] = format_datetime(date if date is not None else digest.window_end)
    message["Message-ID"] = message_id(digest.digest_id, sender)
    message["List-Unsubscribe"] = f"<{links.unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    # Quoted-printable keeps every part 7-bit, which any SMTP server and SES's raw interface accept.
    message.set_content(render_text(digest, links, library_name), cte="quoted-printable")
    message.add_alternative(render_html(digest, links, library_name), subtype="html", cte="quoted-printable")
    return message
