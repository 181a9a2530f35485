"""What the OAI-PMH and SRU handlers take and give: a request's arguments, read from whatever the caller has (a
query string, a form body, a mapping of lists), and a :class:`ProviderResponse`; and text made safe for XML.

Arguments are untrusted: a query string that does not decode as UTF-8, more than :data:`MAX_ARGUMENTS`
arguments, or a value longer than :data:`MAX_VALUE` characters is refused (:class:`BadRequestArgumentsError`),
and every value echoed into a response goes through :func:`esc`, which drops the characters XML 1.0 cannot
carry (NUL and most other control characters, lone surrogates) before escaping.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final
from urllib.parse import parse_qs

__all__ = [
    "MAX_ARGUMENTS",
    "MAX_VALUE",
    "XML_TYPE",
    "BadRequestArgumentsError",
    "ProviderResponse",
    "RequestArgs",
    "esc",
    "read_args",
]

MAX_ARGUMENTS: Final = 32
"""More arguments than this in one request are refused (a protocol request has at most six)."""
MAX_VALUE: Final = 4096
"""A longer argument value is refused (resumption tokens are a few hundred characters)."""
XML_TYPE: Final = "text/xml; charset=utf-8"

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SPECIAL = re.compile('[&<>"]|[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]')
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})

RequestArgs = dict[str, list[str]]
"""A request's arguments: each name with every value it was given, in order."""
RawArgs = Mapping[str, "str | list[str] | tuple[str, ...]"] | str | bytes | None


@dataclass(frozen=True)
class ProviderResponse:
    """An HTTP answer, ready to send: status, ``Content-Type`` and the body."""

    status: int
    content_type: str
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


class BadRequestArgumentsError(ValueError):
    """The request's arguments cannot be read (the message says why, in words a client can be shown)."""


def esc(value: object) -> str:
    """``value`` as XML text or attribute content: characters XML cannot carry dropped, ``&<>"`` escaped."""
    text = str(value)
    if _SPECIAL.search(text) is None:  # the usual case: nothing to do
        return text
    return _NOT_XML.sub("", text).translate(_ESCAPES)


def read_args(raw: RawArgs) -> RequestArgs:
    """The arguments of a request: from a query string or ``application/x-www-form-urlencoded`` body (``str`` or
    ``bytes``), or a mapping of names to a value or a list of values (Chalice's ``query_params`` as
    ``{name: params.getlist(name)}``). ``None`` is no arguments.

    Raises
    ------
    BadRequestArgumentsError
        Not UTF-8, too many arguments, or a value too long.
    """
    if raw is None:
        return {}
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadRequestArgumentsError("the request's arguments are not UTF-8") from exc
    if isinstance(raw, str):
        if raw.count("&") + 1 > MAX_ARGUMENTS * 2:
            raise BadRequestArgumentsError(f"more than {MAX_ARGUMENTS} arguments")
        try:
            args = parse_qs(raw, keep_blank_values=True, errors="strict", max_num_fields=MAX_ARGUMENTS * 2)
        except UnicodeDecodeError as exc:
            raise BadRequestArgumentsError("an argument is not UTF-8 once percent-decoded") from exc
        except ValueError as exc:
            raise BadRequestArgumentsError(f"more than {MAX_ARGUMENTS} arguments") from exc
    else:
        args = {
            str(name): [value] if isinstance(value, str) else [str(v) for v in value] for name, value in raw.items()
        }
    if sum(len(values) for values in args.values()) > MAX_ARGUMENTS:
        raise BadRequestArgumentsError(f"more than {MAX_ARGUMENTS} arguments")
    for name, values in args.items():
        if len(name) > 64:
            raise BadRequestArgumentsError("an argument name is longer than 64 characters")
        if any(len(value) > MAX_VALUE for value in values):
            raise BadRequestArgumentsError(f"the value of {name!r} is longer than {MAX_VALUE} characters")
    return args
