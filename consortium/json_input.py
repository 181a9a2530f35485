"""JSON from outside (a request's body, a line of an upload) read strictly, as RFC 8259 writes it.

Python's :func:`json.loads` is lenient where input from outside should not be trusted: it reads ``NaN`` and
``Infinity`` (not JSON; a float field would take them), lets a key given twice in one object silently win over
the first (so two readers of one body may disagree on what it says), turns ``1e999`` into infinity, and raises
``RecursionError`` on arrays or objects nested thousands deep, and reads ``"\\ud800"`` as a string no UTF-8 can
encode (a 500 wherever it is stored). :func:`read_json` refuses each of these with a
:class:`~consortium.errors.ValidationError` that says what and where.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from consortium.errors import ValidationError

__all__ = ["NOT_JSON", "read_json"]

NOT_JSON = "invalid_json"
"""The ``error_code`` of what :func:`read_json` refuses."""


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _lone_surrogate(value: Any) -> str | None:
    """A string (key or value) in ``value`` holding a lone UTF-16 surrogate (``"\\ud800"`` unpaired), if any."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def _no_constant(name: str) -> Any:
    raise ValidationError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValidationError(f"the number {text[:40]!r} is too large for a JSON number")
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise ValidationError(f"field {key[:100]!r}: given twice in one object")
        found[key] = value
    return found


def read_json(raw: bytes | str, *, what: str | None = "the body") -> Any:
    """``raw`` as JSON; a :class:`ValidationError` (``<what> is not JSON: <why>``, or ``not JSON: <why>`` without
    ``what``) when it is not JSON as RFC 8259 has it, gives a key twice in one object, a number no float holds,
    a string with a lone surrogate (``"\\ud800"``: no character, and no UTF-8 can hold it), or nests too deeply
    to read."""
    refused = f"{what} is not JSON" if what else "not JSON"
    try:
        value = json.loads(raw, parse_constant=_no_constant, parse_float=_finite, object_pairs_hook=_unique_keys)
    except ValidationError as exc:
        raise ValidationError(f"{refused}: {exc}", error_code=NOT_JSON) from None
    except RecursionError:
        raise ValidationError(f"{refused}: arrays or objects nested too deeply to read", error_code=NOT_JSON) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationError(f"{refused}: {exc}", error_code=NOT_JSON) from exc
    escaped = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    # Only an escape (or a str given with one already in it) can put a surrogate in a string: UTF-8 text cannot.
    if _SURROGATE_ESCAPE.search(escaped) or (isinstance(raw, str) and _SURROGATE.search(raw)):
        lone = _lone_surrogate(value)
        if lone is not None:
            at = _SURROGATE.search(lone)
            assert at is not None
            raise ValidationError(
                f"{refused}: a string holds a lone surrogate (\\u{ord(at.group()):04x}), no character",
                error_code=NOT_JSON,
            )
    return value
