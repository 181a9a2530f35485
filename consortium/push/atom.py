"""A reader's private Atom feed (RFC 4287) of the items pushed to them.

The feed is served at a revocable token URL; its entries are the items the sent ledger holds for the feed's
subscriptions. Titles, authors and reasons come from harvested data: each is cleaned to one line of text that
XML 1.0 allows (:func:`consortium.push.render.one_line`) before it goes into the document.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from lxml import etree

from consortium.push.render import one_line

if TYPE_CHECKING:
    from collections.abc import Iterable

    from consortium.push.models import DigestItem

__all__ = ["ATOM_NS", "FeedEntry", "atom_feed", "entry_id", "feed_uuid"]

ATOM_NS = "http://www.w3.org/2005/Atom"
_FEED_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:consortium-hub:push:atom-feed")
"""The namespace of the feeds' ``urn:uuid:`` ids (fixed: changing it changes every feed's id)."""
_TAG_DATE = "2025"
"""The date part of the entries' ``tag:`` URIs (RFC 4151); fixed so ids never change."""


@dataclass(frozen=True)
class FeedEntry:
    """One pushed item in a feed: the item, when it was sent, the digest it came in and the work's page."""

    item: DigestItem
    sent_at: datetime
    digest_id: str
    link: str


def feed_uuid(feed_id: str) -> str:
    """The feed's Atom id: a name-based ``urn:uuid:`` of ``feed_id`` (the same feed always has the same id, and
    the id does not show ``feed_id``)."""
    return f"urn:uuid:{uuid.uuid5(_FEED_NAMESPACE, feed_id)}"


def entry_id(authority: str, digest_id: str, cluster_id: str) -> str:
    """An entry's Atom id: a ``tag:`` URI (RFC 4151) of the digest and the work, the same every time the feed is
    made."""
    return f"tag:{authority},{_TAG_DATE}:push/{quote(digest_id, safe='')}/{quote(cluster_id, safe='')}"


def _rfc3339(moment: datetime) -> str:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"an Atom date needs a time zone: {moment.isoformat()}")
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _text(parent: etree._Element, name: str, text: str, **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ATOM_NS}}}{name}", attributes)
    element.text = text
    return element


def _link(parent: etree._Element, href: str, rel: str, media_type: str | None = None) -> None:
    attributes = {"rel": rel, "href": one_line(href)}
    if media_type is not None:
        attributes["type"] = media_type
    etree.SubElement(parent, f"{{{ATOM_NS}}}link", attributes)


def atom_feed(
    entries: Iterable[FeedEntry],
    feed_id: str,
    title: str,
    self_url: str,
    updated: datetime,
    *,
    author: str | None = None,
    authority: str | None = None,
) -> bytes:
    """The Atom feed document (UTF-8 XML) of ``entries``, in the order given.

    Parameters
    ----------
    entries
        The pushed items, newest first by convention.
    feed_id
        What identifies the feed (its subscription or token id); the feed's ``urn:uuid:`` id is derived from it.
    title
        The feed's title.
    self_url
        The URL the feed is served at (its ``rel="self"`` link).
    updated
        When the feed last changed (time-zone aware).
    author
        The feed's author, which stands for entries without authors; ``title`` when omitted.
    authority
        The authority of the entries' ``tag:`` ids; the host of ``self_url`` when omitted.

    Example
    -------
    >>> xml = atom_feed(entries, "sub-42", "New books for you", "https://portal.example/feeds/tok", now)
    >>> xml.startswith(b"<?xml")
    True
    """
    tag_authority = authority if authority is not None else (urlsplit(self_url).hostname or "")
    if not tag_authority:
        raise ValueError(f"cannot derive a tag: authority from self_url {self_url!r}; pass authority")
    feed = etree.Element(f"{{{ATOM_NS}}}feed", nsmap={None: ATOM_NS})  # type: ignore[dict-item]
    _text(feed, "id", feed_uuid(feed_id))
    _text(feed, "title", one_line(title), type="text")
    _text(feed, "updated", _rfc3339(updated))
    feed_author = etree.SubElement(feed, f"{{{ATOM_NS}}}author")
    _text(feed_author, "name", one_line(author if author is not None else title))
    _link(feed, self_url, "self", "application/atom+xml")
    for entry in entries:
        item = entry.item
        element = etree.SubElement(feed, f"{{{ATOM_NS}}}entry")
        _text(element, "id", entry_id(tag_authority, entry.digest_id, item.cluster_id))
        _text(element, "title", one_line(item.title) or "(untitled)", type="text")
        _text(element, "updated", _rfc3339(entry.sent_at))
        _link(element, entry.link, "alternate", "text/html")
        for name in (one_line(author_name) for author_name in item.authors):
            if name:
                _text(etree.SubElement(element, f"{{{ATOM_NS}}}author"), "name", name)
        for key in (one_line(class_key) for class_key in item.classes):
            if key:
                etree.SubElement(element, f"{{{ATOM_NS}}}category", {"term": key})
        _text(element, "summary", one_line(item.reason), type="text")
    return etree.tostring(feed, xml_declaration=True, encoding="UTF-8")
