"""JSON from outside (a request's body, a line of an upload) read strictly, as RFC 8259 writes it.

Python's :func:`json.loads` is lenient where input from outside should not be trusted: it reads ``NaN`` and
``Infinity`` (not JSON; a float field would take them), lets a key given twice in one object silently win over
the first (so two readers of one body may disagree on what it says), turns ``1e999`` into infinity, and raises
``RecursionError`` on arrays or objects nested thousands deep. :func:`read_json` refuses each of these with a
:class:`~consortium.errors.ValidationError` that says what and where.
"""

from __future__ import annotations

import json
import math
from typing import Any

from consortium.errors import ValidationError

__all__ = ["read_json"]


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
    or nests too deeply to read."""
    refused = f"{what} is not JSON" if what else "not JSON"
    try:
        return json.loads(raw, parse_constant=_no_constant, parse_float=_finite, object_pairs_hook=_unique_keys)
    except ValidationError as exc:
        raise ValidationError(f"{refused}: {exc}") from None
    except RecursionError:
        raise ValidationError(f"{refused}: arrays or objects nested too deeply to read") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationError(f"{refused}: {exc}") from exc
