"""The error family of the hub.

Every error the core raises derives from :class:`ConsortiumError`. Each branch says whether retrying the same
call may succeed (``retryable``), which the batch and queue layers read. Only the handler layer maps them to HTTP
status codes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pydantic

__all__ = [
    "AuthenticationError",
    "ConfigError",
    "ConflictError",
    "ConsortiumError",
    "Interrupted",
    "NotFoundError",
    "PermissionDeniedError",
    "RecordError",
    "StorageError",
    "TooLargeError",
    "UpstreamError",
    "ValidationError",
    "field_errors",
]


class ConsortiumError(Exception):
    """Root of every error raised by the hub."""

    retryable: bool = False

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return self.message


class Interrupted(Exception):  # not a ConsortiumError: what a job raises when asked to stop
    """A long job was asked to stop (the hub stopping: SIGTERM, Ctrl-C) and gave up at a safe point (after a
    committed harvest page, a delivered digest, before storing a rebuild). What it had finished is kept; the
    message says what, and what runs again next time. Not a :class:`ConsortiumError`: nothing failed, and no
    layer that turns errors into failures or responses catches it."""


class ValidationError(ConsortiumError):
    """Input (a file, a body, a setting) is not what it must be; the message names what and why."""


class TooLargeError(ValidationError):
    """Input over a size limit (an upload's bytes or lines); nothing of it was taken. The message says the limit."""


class ConfigError(ValidationError):
    """A configuration or policy file is invalid; the message names the entry, the field and the reason."""


class RecordError(ValidationError):
    """One harvested record cannot be read or normalized; it is quarantined with this reason."""


class NotFoundError(ConsortiumError):
    """The thing asked for does not exist."""


class ConflictError(ConsortiumError):
    """The change conflicts with the current state."""


class AuthenticationError(ConsortiumError):
    """The credentials presented (a token, an API key) are not valid: forged, expired, revoked or malformed.
    The message says which, never echoing the credential."""


class PermissionDeniedError(ConsortiumError):
    """The caller is known but may not do this (a reader on another reader's data, a member on another
    member's sources)."""


class UpstreamError(ConsortiumError):
    """A member's server failed or refused; retrying later may succeed.

    ``retry_after`` is the number of seconds the server asked us to wait, when it said.
    """

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **details: object) -> None:
        super().__init__(message, **details)
        self.retry_after = retry_after


class StorageError(ConsortiumError):
    """A store or archive failed to read or write."""

    retryable = True


def field_errors(exc: pydantic.ValidationError) -> str:
    """``field 'a.b': reason; ...`` for every error of a model that did not validate, on one line.

    Examples
    --------
    >>> field_errors(exc)  # a body {"accept": "maybe"} for a model with ``accept: bool``
    "field 'accept': Input should be a valid boolean, unable to interpret input"
    """
    clauses = []
    for item in exc.errors():
        msg = item["msg"].removeprefix("Value error, ")
        loc = ".".join(str(part) for part in item["loc"])
        clauses.append(f"field {loc!r}: {msg}" if loc else msg)
    return "; ".join(clauses)
