"""OAI-PMH dates (``UTCdatetime``) and resumption tokens.

Dates
    The repository's granularity is ``YYYY-MM-DDThh:mm:ssZ``; ``from`` and ``until`` may also be days
    (``YYYY-MM-DD``), as the protocol requires, but both must have the same granularity. ``from`` is the first
    instant of its second (or day); ``until`` includes its whole second (or day), so the window asked of the
    store ends one second (or day) later.

Resumption tokens
    Stateless: a token carries everything the next page needs, namely the list's arguments (verb, format, set,
    ``from``), the end of the window (the request time when ``until`` was not given, so what changes during a
    harvest comes in the next incremental harvest, not in this one), the cursor (the last entry's change time
    and cluster id), how many records came before, the list's size and when it was issued, as compact JSON in
    base64url, then a dot and the first 16 bytes of its HMAC-SHA256 under the hub's token key, also base64url.
    A token that does not decode, whose MAC does not match (tampered, or made with another key), that belongs
    to another verb, or that is older than the token lifetime is a ``badResumptionToken``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

__all__ = ["BadTokenError", "DateArgumentError", "ListState", "format_utc", "parse_utc", "read_token", "write_token"]

_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_SECOND = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z")
_MAC_BYTES: Final = 16


class DateArgumentError(ValueError):
    """A ``from`` or ``until`` that is not a UTCdatetime this repository reads (the message says why)."""


class BadTokenError(ValueError):
    """A resumption token that cannot be used (the message says why)."""


def format_utc(moment: datetime) -> str:
    """``moment`` as an OAI-PMH datestamp, to the second (a naive time counts as UTC)."""
    utc = moment.astimezone(UTC) if moment.tzinfo is not None else moment
    return utc.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_utc(value: str, name: str) -> tuple[datetime, timedelta]:
    """A ``from``/``until`` value: the instant it starts and its granularity (a day or a second).

    Raises
    ------
    DateArgumentError
        Not ``YYYY-MM-DD`` nor ``YYYY-MM-DDThh:mm:ssZ``, or not a real date or time.
    """
    for pattern, step in ((_SECOND, timedelta(seconds=1)), (_DAY, timedelta(days=1))):
        match = pattern.fullmatch(value)
        if match is None:
            continue
        try:
            year, month, day, *clock = (int(part) for part in match.groups())
            hour, minute, second = clock or (0, 0, 0)
            moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
        except ValueError as exc:
            raise DateArgumentError(f"{name} {value!r} is not a real date and time ({exc})") from exc
        return moment, step
    raise DateArgumentError(f"{name} {value!r} is not a UTC date (YYYY-MM-DD) or time (YYYY-MM-DDThh:mm:ssZ)")


@dataclass(frozen=True)
class ListState:
    """Where a ``ListRecords``/``ListIdentifiers`` list stands: its arguments and how far it has come."""

    verb: str
    prefix: str
    since: str | None
    """``from`` as an ISO 8601 instant, or ``None``."""
    until: str
    """The end of the window (excluded), as an ISO 8601 instant."""
    member: str | None
    after: tuple[str, str]
    """The last entry listed: its change time (ISO 8601) and cluster id."""
    position: int
    """How many records came before the next page."""
    total: int
    issued: int
    """When the first page was answered (Unix seconds)."""

    @property
    def since_time(self) -> datetime | None:
        return datetime.fromisoformat(self.since) if self.since else None

    @property
    def until_time(self) -> datetime:
        return datetime.fromisoformat(self.until)

    @property
    def cursor(self) -> tuple[datetime, str]:
        return (datetime.fromisoformat(self.after[0]), self.after[1])

    def expires(self, lifetime: timedelta) -> datetime:
        return datetime.fromtimestamp(self.issued, UTC) + lifetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, payload, hashlib.sha256).digest()[:_MAC_BYTES]


def write_token(state: ListState, key: bytes) -> str:
    """The resumption token of ``state``, signed with ``key``."""
    payload = json.dumps(asdict(state), separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return f"{_b64(payload)}.{_b64(_mac(key, payload))}"


def read_token(token: str, key: bytes, *, verb: str, now: datetime, lifetime: timedelta) -> ListState:
    """The state a token carries, checked: its MAC, its verb, its age.

    Raises
    ------
    BadTokenError
        Saying which check failed.
    """
    body, dot, mac = token.partition(".")
    if not dot or not body or not mac:
        raise BadTokenError("the resumption token is not one this repository issued")
    try:
        payload, signature = _unb64(body), _unb64(mac)
    except (binascii.Error, ValueError) as exc:
        raise BadTokenError("the resumption token is not one this repository issued") from exc
    if not hmac.compare_digest(signature, _mac(key, payload)):
        raise BadTokenError("the resumption token is not one this repository issued (or was changed)")
    try:
        fields = json.loads(payload)
        fields["after"] = tuple(fields["after"])
        state = ListState(**fields)
        state.since_time, state.until_time, state.cursor  # noqa: B018 (their times must read back)
    except (ValueError, TypeError, KeyError) as exc:
        raise BadTokenError("the resumption token is not one this repository issued") from exc
    if state.verb != verb:
        raise BadTokenError(f"the resumption token belongs to {state.verb}, not {verb}")
    if now >= state.expires(lifetime):
        raise BadTokenError(f"the resumption token expired at {format_utc(state.expires(lifetime))}")
    return state
