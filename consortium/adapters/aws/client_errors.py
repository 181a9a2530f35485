"""What every AWS adapter reads off a botocore ``ClientError``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from botocore.exceptions import ClientError

__all__ = ["error_code"]


def error_code(exc: ClientError, default: str = "") -> str:
    """The AWS error code of ``exc`` (``ThrottlingException``...), or ``default`` when it has none."""
    return str(exc.response.get("Error", {}).get("Code", default) or default)
