"""OAI-PMH error codes as exceptions, one per code, under one base (OAI-PMH 2.0, section 3.6)."""

from __future__ import annotations

from consortium.errors import ConsortiumError

__all__ = [
    "BadArgumentError",
    "BadResumptionTokenError",
    "BadVerbError",
    "CannotDisseminateFormatError",
    "IdDoesNotExistError",
    "NoMetadataFormatsError",
    "NoRecordsMatchError",
    "NoSetHierarchyError",
    "OaiError",
    "oai_error",
]


class OaiError(ConsortiumError):
    """The repository answered with an OAI-PMH error."""

    code = "unknown"

    def __init__(self, message: str, *, url: str = "") -> None:
        super().__init__(f"OAI-PMH {self.code} from {url}: {message}" if url else message, code=self.code)


class BadArgumentError(OaiError):
    """The request includes illegal arguments, is missing required arguments, or has a malformed value."""

    code = "badArgument"


class BadResumptionTokenError(OaiError):
    """The value of the resumptionToken argument is invalid or expired."""

    code = "badResumptionToken"


class BadVerbError(OaiError):
    """The verb argument is not a legal OAI-PMH verb, is missing, or is repeated."""

    code = "badVerb"


class CannotDisseminateFormatError(OaiError):
    """The metadata format given by the metadataPrefix argument is not supported by the item or repository."""

    code = "cannotDisseminateFormat"


class IdDoesNotExistError(OaiError):
    """The value of the identifier argument is unknown or illegal in this repository."""

    code = "idDoesNotExist"


class NoRecordsMatchError(OaiError):
    """The combination of from, until, set and metadataPrefix results in an empty list (not a failure)."""

    code = "noRecordsMatch"


class NoMetadataFormatsError(OaiError):
    """There are no metadata formats available for the specified item."""

    code = "noMetadataFormats"


class NoSetHierarchyError(OaiError):
    """The repository does not support sets."""

    code = "noSetHierarchy"


_BY_CODE: dict[str, type[OaiError]] = {
    cls.code: cls
    for cls in (
        BadArgumentError,
        BadResumptionTokenError,
        BadVerbError,
        CannotDisseminateFormatError,
        IdDoesNotExistError,
        NoRecordsMatchError,
        NoMetadataFormatsError,
        NoSetHierarchyError,
    )
}


def oai_error(code: str, message: str, url: str) -> OaiError:
    cls = _BY_CODE.get(code)
    if cls is None:
        error = OaiError(f"OAI-PMH error {code!r} from {url}: {message}")
        error.code = code
        return error
    return cls(message, url=url)
