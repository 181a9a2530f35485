"""The error family of the hub.

Every error the core raises derives from :class:`ConsortiumError`. Each branch says whether retrying the same
call may succeed (``retryable``), which the batch and queue layers read, and names its kind of error with a
stable, machine-readable ``error_code`` (``not_found``, ``version_conflict``...: the API's ``code``, which the
portal says in the reader's language; a raise may give a narrower one, ``error_code="no_lender"``). Only the
handler layer maps them to HTTP status codes.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pydantic

__all__ = [
    "AlreadyExistsError",
    "AuthenticationError",
    "ConfigError",
    "ConflictError",
    "ConsortiumError",
    "InProgressError",
    "Interrupted",
    "InvalidStateError",
    "NotFoundError",
    "PermissionDeniedError",
    "RecordError",
    "StorageError",
    "TooLargeError",
    "UpstreamError",
    "ValidationError",
    "VersionConflictError",
    "field_errors",
    "named_field",
]

_NAMED_FIELD = re.compile(r"field '([^']{1,200})'")
"""How the hub's messages name a field: ``field 'limit': must be from 1 to 200``."""


class ConsortiumError(Exception):
    """Root of every error raised by the hub.

    ``details`` name what the error is about (``list_id=``, ``version=``, ``field=``...); ``error_code`` is the
    class's unless the raise gives a narrower one (``error_code="no_lender"``, not kept in ``details``).
    """

    retryable: bool = False
    error_code: str = "internal_error"
    """The kind of error, stable and machine-readable (see README, "Error codes")."""

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        code = details.pop("error_code", None)  # a narrower code than the class's, given by the raise
        if isinstance(code, str):
            self.error_code = code
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return self.message

    @property
    def field(self) -> str | None:
        """The field the error is about: ``details["field"]``, else the first ``field '...'`` its message names
        (the hub's way of writing it); ``None`` when it names none."""
        named = self.details.get("field")
        if isinstance(named, str) and named:
            return named
        return named_field(self.message)


class Interrupted(Exception):  # not a ConsortiumError: what a job raises when asked to stop
    """A long job was asked to stop (the hub stopping: SIGTERM, Ctrl-C) and gave up at a safe point (after a
    committed harvest page, a delivered digest, before storing a rebuild). What it had finished is kept; the
    message says what, and what runs again next time. Not a :class:`ConsortiumError`: nothing failed, and no
    layer that turns errors into failures or responses catches it."""


class ValidationError(ConsortiumError):
    """Input (a file, a body, a setting) is not what it must be; the message names what and why.

    Its code is ``invalid_field`` when it names a field (:attr:`ConsortiumError.field`), else ``invalid_request``
    (a subclass's own code, or the raise's, stays).
    """

    error_code = "invalid_request"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message, **details)
        if self.error_code == "invalid_request" and self.field is not None:
            self.error_code = "invalid_field"


class TooLargeError(ValidationError):
    """Input over a size limit (an upload's bytes or lines); nothing of it was taken. The message says the limit."""

    error_code = "too_large"


class ConfigError(ValidationError):
    """A configuration or policy file is invalid; the message names the entry, the field and the reason."""

    error_code = "invalid_config"


class RecordError(ValidationError):
    """One harvested record cannot be read or normalized; it is quarantined with this reason.

    Its ``error_code`` is the quarantine's reason code (:class:`consortium.harvest.refusals.Refusal`), given by
    the raise; ``unreadable`` when none is.
    """

    error_code = "unreadable"


class NotFoundError(ConsortiumError):
    """The thing asked for does not exist."""

    error_code = "not_found"


class ConflictError(ConsortiumError):
    """The change conflicts with the current state."""

    error_code = "conflict"


class VersionConflictError(ConflictError):
    """The thing changed since the caller read it: the version the change was made over is not the stored one
    (``details["version"]``, when known, is the stored one). Read it again, then change it."""

    error_code = "version_conflict"


class AlreadyExistsError(ConflictError):
    """What the caller asks to create exists already (a reader, a source, an open loan request)."""

    error_code = "already_exists"


class InvalidStateError(ConflictError):
    """The thing is not in a state that allows this (a published list deleted, a closed loan request moved, a
    paused source harvested); the message says what to do first."""

    error_code = "invalid_state"


class InProgressError(ConflictError):
    """The same work is queued or running already (a harvest of the member); ask again once it is over."""

    error_code = "in_progress"


class AuthenticationError(ConsortiumError):
    """The credentials presented (a token, an API key) are not valid: forged, expired, revoked or malformed.
    The message says which, never echoing the credential."""

    error_code = "invalid_credentials"


class PermissionDeniedError(ConsortiumError):
    """The caller is known but may not do this (a reader on another reader's data, a member on another
    member's sources)."""

    error_code = "forbidden"


class UpstreamError(ConsortiumError):
    """A member's server failed or refused; retrying later may succeed.

    ``retry_after`` is the number of seconds the server asked us to wait, when it said.
    """

    retryable = True
    error_code = "upstream_error"

    def __init__(self, message: str, *, retry_after: float | None = None, **details: object) -> None:
        super().__init__(message, **details)
        self.retry_after = retry_after


class StorageError(ConsortiumError):
    """A store or archive failed to read or write."""

    retryable = True
    error_code = "storage_error"


def named_field(message: str) -> str | None:
    """The first field ``message`` names the hub's way (``field 'limit': must be from 1 to 200``), or ``None``.

    Examples
    --------
    >>> named_field("field 'lender': riverside does not lend to lakeside")
    'lender'
    """
    found = _NAMED_FIELD.search(message)
    return found[1] if found else None


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
