"""Rendering a digest: plain text, HTML, the email that carries both, and the reader's Atom feed."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta, timezone
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

import lxml.html
import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from consortium.push.atom import ATOM_NS, FeedEntry, atom_feed
from consortium.push.models import Channel, Digest, DigestItem, ServiceId
from consortium.push.render import (
    MESSAGE_POLICY,
    DigestLinks,
    email_message,
    one_line,
    render_html,
    render_text,
    subject,
)

T0 = datetime(2025, 3, 8, 6, 0, tzinfo=UTC)
UNSUBSCRIBE = "https://portal.example/unsubscribe/tok-123"
LINKS = DigestLinks(UNSUBSCRIBE, "https://portal.example/me", "https://portal.example/works/{cluster_id}")
SENDER = "push@riverside.example"
LIBRARY = "Riverside University Library"
A = f"{{{ATOM_NS}}}"


def make_item(cluster_id: str, title: str, **fields: object) -> DigestItem:
    values: dict[str, object] = {
        "authors": ["Herbert, Frank"],
        "year": 1965,
        "members": ["eastlake"],
        "score": 1.0,
        "reason": f"you follow clc:I712 ({cluster_id})",
    }
    values.update(fields)
    return DigestItem.model_validate({"cluster_id": cluster_id, "title": title, **values})


def make_digest(*items: DigestItem, digest_id: str = "d0001", service: ServiceId = ServiceId.NEW_IN_CLASS) -> Digest:
    return Digest(
        digest_id=digest_id,
        reader_id="reader-1",
        member="riverside",
        service=service,
        channel=Channel.EMAIL,
        email="reader@example.org",
        window_start=T0 - timedelta(days=7),
        window_end=T0,
        items=list(items),
    )


THREE = make_digest(
    make_item("c1", "Dune", members=["riverside", "eastlake", "northgate"], at_home=True),
    make_item("c2", "三体", authors=["刘慈欣"], year=2008, reason="because you borrowed 球状闪电"),
    make_item("c3", "<script>alert('x')</script> & friends", authors=[], year=None, members=[]),
)


def parts(message: EmailMessage) -> tuple[str, str]:
    """The text and HTML bodies of a message, read back from its bytes."""
    parsed = message_from_bytes(message.as_bytes(), policy=default)
    assert isinstance(parsed, EmailMessage)
    text, rich = parsed.get_body(("plain",)), parsed.get_body(("html",))
    assert text is not None and rich is not None
    return text.get_content(), rich.get_content()


# -- text and HTML -------------------------------------------------------------------------------------------------


def test_text_and_html_hold_every_title_and_reason() -> None:
    text, rich = render_text(THREE, LINKS, LIBRARY), render_html(THREE, LINKS, LIBRARY)
    for item in THREE.items:
        assert item.title in text and item.reason in text
        assert html.escape(item.title) in rich and html.escape(item.reason) in rich
        assert LINKS.item_url(item.cluster_id) in text and LINKS.item_url(item.cluster_id) in rich
    assert "Herbert, Frank · 1965" in text and "刘慈欣 · 2008" in text
    assert LIBRARY in text and LIBRARY in rich


def test_html_escapes_markup_in_harvested_fields() -> None:
    rich = render_html(THREE, LINKS, LIBRARY)
    assert "<script>" not in rich
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; friends" in rich
    hostile = make_digest(make_item("c9", "t", authors=['"><img src=x onerror=alert(1)>'], reason="<b>why</b>"))
    rich = render_html(hostile, LINKS, "<Library>")
    assert "<img" not in rich and "<b>" not in rich and "<Library>" not in rich


def test_the_home_library_comes_first() -> None:
    text = render_text(THREE, LINKS, LIBRARY)
    assert "at your library; also at eastlake, northgate" in text
    assert "   at eastlake\n" in text  # c2: not at home
    assert "not yet held by a member library" in text  # c3: no holdings


def test_control_characters_and_line_breaks_do_not_reach_the_body() -> None:
    digest = make_digest(make_item("c1", "Dune\x00\x07\n  Messiah\r\n", reason="why\x1b[31m"))
    text = render_text(digest, LINKS, LIBRARY)
    assert "1. Dune Messiah\n" in text and "Why: why[31m" in text
    assert not any(ord(char) < 32 and char != "\n" for char in text)
    assert one_line(" a\u2028b\x85c\ud800 \ufffe") == "a b c"


def test_an_empty_digest_is_not_rendered() -> None:
    empty = make_digest(digest_id="empty-42")
    for render in (render_text, render_html):
        with pytest.raises(ValueError, match="empty-42"):
            render(empty, LINKS, LIBRARY)
    with pytest.raises(ValueError, match="empty-42"):
        email_message(empty, LINKS, SENDER, LIBRARY)


def test_the_subject_names_the_service_and_the_count() -> None:
    assert subject(THREE) == "New books in your classes — 3 items"
    one = make_digest(make_item("c1", "Dune"), service=ServiceId.SAVED_SEARCH)
    assert subject(one) == "New for your saved search — 1 item"
    for service in ServiceId:
        assert subject(make_digest(make_item("c1", "Dune"), service=service))


def test_links_are_checked() -> None:
    template = "https://portal.example/works/{cluster_id}"
    assert DigestLinks(UNSUBSCRIBE, None, template).item_url("a/b c") == "https://portal.example/works/a%2Fb%20c"
    with pytest.raises(ValueError, match="cluster_id"):
        DigestLinks(UNSUBSCRIBE, None, "https://portal.example/works/")
    for bad in ("javascript:alert(1)", "https://x.example/u\r\nBcc: someone@example.org", "/relative", "https://a>b"):
        with pytest.raises(ValueError, match="unsubscribe_url"):
            DigestLinks(bad, None, template)
    with pytest.raises(ValueError, match="portal_url"):
        DigestLinks(UNSUBSCRIBE, "ftp://portal.example", template)


# -- the email -----------------------------------------------------------------------------------------------------


def test_the_email_has_both_alternatives_and_the_one_click_headers() -> None:
    message = email_message(THREE, LINKS, SENDER, LIBRARY)
    parsed = message_from_bytes(message.as_bytes(), policy=default)
    assert parsed.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in parsed.iter_parts()] == ["text/plain", "text/html"]
    assert parsed["Subject"] == "New books in your classes — 3 items"
    assert parsed["From"].addresses[0].addr_spec == SENDER
    assert parsed["From"].addresses[0].display_name == LIBRARY
    assert parsed["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["Date"].datetime == T0
    assert parsed["To"] is None  # the recipient is the mailer's envelope, not a header the renderer writes
    text, rich = parts(message)
    assert UNSUBSCRIBE in text and html.escape(UNSUBSCRIBE) in rich
    for item in THREE.items:
        assert item.title in text and html.escape(item.title) in rich
    assert all(byte < 128 for byte in message.as_bytes())  # 7-bit: any server and SES raw take it


def test_the_message_id_is_the_digest_at_the_sender_domain() -> None:
    first = email_message(THREE, LINKS, SENDER, LIBRARY)
    again = email_message(THREE, LINKS, "Riverside Push <push@riverside.example>", LIBRARY)
    other = email_message(make_digest(*THREE.items, digest_id="d0002"), LINKS, SENDER, LIBRARY)
    assert first["Message-ID"] == again["Message-ID"] == "<digest.d0001@riverside.example>"
    assert other["Message-ID"] != first["Message-ID"]
    assert again["From"].addresses[0].display_name == "Riverside Push"
    assert email_message(THREE, LINKS, "push@bücher.example", LIBRARY)["Message-ID"].endswith("@xn--bcher-kva.example>")
    with pytest.raises(ValueError, match="sender"):
        email_message(THREE, LINKS, "not an address", LIBRARY)


@given(st.text(max_size=40), st.text(max_size=40))
def test_any_title_renders_as_text_not_markup(title: str, reason: str) -> None:
    digest = make_digest(make_item("c1", title or "x", reason=reason or "y"))
    document = lxml.html.document_fromstring(render_html(digest, LINKS, LIBRARY))
    [item] = document.findall(".//li")
    assert [child.tag for child in item] == ["a", "br", "br", "br", "em"]
    assert "".join(map(str, item[0].itertext())) == (one_line(title or "x") or "(untitled)")
    assert "".join(map(str, item[-1].itertext())) == f"Why: {one_line(reason or 'y')}"
    email_message(digest, LINKS, SENDER, LIBRARY).as_bytes()


# -- the Atom feed -------------------------------------------------------------------------------------------------

SELF = "https://portal.example/feeds/secret-token"


def feed_of(digest: Digest, sent_at: datetime = T0, **options: str) -> bytes:
    entries = [FeedEntry(item, sent_at, digest.digest_id, LINKS.item_url(item.cluster_id)) for item in digest.items]
    return atom_feed(entries, "subscription-7", "New books in your classes", SELF, sent_at, **options)


def check_rfc4287(feed: etree._Element) -> None:
    """The structure RFC 4287 requires of a feed and its entries (section 4.1)."""
    assert feed.tag == f"{A}feed"
    for name in ("id", "title", "updated"):
        assert len(feed.findall(f"{A}{name}")) == 1, name
    feed_authors = feed.findall(f"{A}author")
    assert [link.get("rel") for link in feed.findall(f"{A}link")].count("self") == 1
    ids = [feed.findtext(f"{A}id")]
    for entry in feed.findall(f"{A}entry"):
        for name in ("id", "title", "updated"):
            assert len(entry.findall(f"{A}{name}")) == 1, name
        assert feed_authors or entry.findall(f"{A}author"), "every entry needs an author, its own or the feed's"
        rels = [link.get("rel", "alternate") for link in entry.findall(f"{A}link")]
        assert entry.findall(f"{A}content") or rels.count("alternate") == 1, "no content: one alternate link"
        assert len(entry.findall(f"{A}summary")) <= 1
        for author in entry.findall(f"{A}author") + feed_authors:
            assert len(author.findall(f"{A}name")) == 1
        ids.append(entry.findtext(f"{A}id"))
    for element in feed.iter(f"{A}updated"):
        assert datetime.fromisoformat(element.text or "").tzinfo is not None
    assert all(value and value.split(":", 1)[0] in ("tag", "urn") for value in ids)
    assert len(set(ids)) == len(ids)


def test_the_feed_parses_with_entries_in_order() -> None:
    feed = etree.fromstring(feed_of(THREE))
    check_rfc4287(feed)
    entries = feed.findall(f"{A}entry")
    assert [entry.findtext(f"{A}title") for entry in entries] == [item.title for item in THREE.items]
    assert [entry.findtext(f"{A}summary") for entry in entries] == [item.reason for item in THREE.items]
    assert [entry.find(f"{A}link").get("href") for entry in entries] == [  # type: ignore[union-attr]
        LINKS.item_url(item.cluster_id) for item in THREE.items
    ]
    assert [a.findtext(f"{A}name") for a in entries[1].findall(f"{A}author")] == ["刘慈欣"]
    assert entries[2].findall(f"{A}author") == []  # no authors: the feed's author stands for it
    assert feed.findtext(f"{A}updated") == "2025-03-08T06:00:00Z"
    assert feed.find(f"{A}link").get("href") == SELF  # type: ignore[union-attr]


def test_feed_and_entry_ids_are_stable() -> None:
    first, again = etree.fromstring(feed_of(THREE)), etree.fromstring(feed_of(THREE, T0 + timedelta(days=3)))
    ids = [element.findtext(f"{A}id", "") for element in [first, *first.findall(f"{A}entry")]]
    assert ids == [element.findtext(f"{A}id", "") for element in [again, *again.findall(f"{A}entry")]]
    assert ids[0].startswith("urn:uuid:") and "subscription-7" not in ids[0]
    assert ids[1] == "tag:portal.example,2025:push/d0001/c1"
    other = etree.fromstring(feed_of(make_digest(*THREE.items, digest_id="d0002")))
    assert other.findtext(f"{A}id") == ids[0]
    assert other.find(f"{A}entry").findtext(f"{A}id") == "tag:portal.example,2025:push/d0002/c1"  # type: ignore[union-attr]
    assert etree.fromstring(feed_of(THREE, authority="hub.example")).find(f"{A}entry").findtext(f"{A}id") == (  # type: ignore[union-attr]
        "tag:hub.example,2025:push/d0001/c1"
    )


def test_the_feed_is_valid_xml_for_hostile_titles() -> None:
    digest = make_digest(make_item("c1", "Bad\x00\x01\x0b\x1f title\ufffe", authors=["A\x02uthor"], reason="r\x03"))
    feed = etree.fromstring(feed_of(digest))
    check_rfc4287(feed)
    entry = feed.find(f"{A}entry")
    assert entry is not None
    assert entry.findtext(f"{A}title") == "Bad title"
    assert entry.findtext(f"{A}author/{A}name") == "Author" and entry.findtext(f"{A}summary") == "r"


def test_feed_dates_are_utc_and_must_be_aware() -> None:
    local = datetime(2025, 3, 8, 14, 0, tzinfo=timezone(timedelta(hours=8)))
    feed = etree.fromstring(feed_of(THREE, local))
    assert feed.findtext(f"{A}updated") == "2025-03-08T06:00:00Z"
    with pytest.raises(ValueError, match="time zone"):
        feed_of(THREE, datetime(2025, 3, 8))


@given(st.text(max_size=60))
def test_any_title_makes_a_well_formed_feed(title: str) -> None:
    feed = etree.fromstring(feed_of(make_digest(make_item("c1", title or "x", authors=[title]))))
    check_rfc4287(feed)


def test_list_unsubscribe_takes_only_angle_bracketed_uris_and_folds_between_them() -> None:
    message = EmailMessage(policy=MESSAGE_POLICY)
    for bad in ("https://hub.example/u/tok", "<https://hub.example/u/tok> x", "<https://bücher.example/u>"):
        with pytest.raises(ValueError, match="URI list"):
            message["List-Unsubscribe"] = bad
    long_link = "<https://hub.example/push/unsubscribe/" + "t" * 70 + ">"
    message["List-Unsubscribe"] = f"<mailto:leave@hub.example>, {long_link}"
    assert message.as_bytes().split(b"\r\n")[:2] == [
        b"List-Unsubscribe: <mailto:leave@hub.example>,",
        b" " + long_link.encode(),
    ]
