"""The registry's models: a member's change to one of its sources as stored (:class:`SourceOverride`), the body
of a change (:class:`SourceChange`) and a source as the member API shows it (:class:`RegisteredSource`)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from consortium.members import FileContents, Source, SourceFormat, SourceProtocol

__all__ = ["CHANGEABLE", "RegisteredSource", "SourceChange", "SourceOrigin", "SourceOverride"]


class SourceOrigin(StrEnum):
    """Where a source's settings come from."""

    FILE = "file"
    """members.toml alone."""
    API = "api"
    """Added by the member through the API (members.toml does not list it)."""
    FILE_AND_API = "file+api"
    """Listed in members.toml, with some fields changed by the member through the API."""


class SourceOverride(BaseModel):
    """What a member set, through the API, for one of its sources: the fields it set (they replace the file's),
    or the whole source when it added it. Kept by a :class:`~consortium.registry.ports.SourceOverrideStore`."""

    model_config = ConfigDict(extra="forbid")

    member: str
    source_id: str
    fields: dict[str, Any]
    """The :class:`~consortium.members.Source` fields set through the API, as JSON values (``path`` relative to
    the member's file folder)."""
    added: bool
    """The member added the source through the API (otherwise it changed one members.toml lists)."""
    version: int = Field(ge=1)
    """1 when first saved, one more with every change: a store saves version ``n`` only over ``n - 1``."""
    updated_at: AwareDatetime
    updated_by: str
    """Who made the last change (an API key id or a staff account; never a reader)."""


CHANGEABLE = ("protocol", "url", "path", "format", "metadata_prefix", "set", "schedule", "location", "file")
"""The fields a :class:`SourceChange` may set (pausing has its own calls; a source's id never changes)."""


class SourceChange(BaseModel):
    """A change to a source: the fields given replace the source's (``null`` clears an optional one); fields not
    given stay as they are. The result is validated as members.toml is, and a bad value is refused naming its
    field.

    Example
    -------
    >>> SourceChange(url="https://library.example.edu/oai2", schedule="cron(0 4 * * ? *)")
    """

    model_config = ConfigDict(extra="forbid")

    protocol: SourceProtocol | None = None
    url: str | None = None
    """The OAI-PMH base URL (``oai-pmh`` sources); an http(s) URL of a public host."""
    path: str | None = None
    """The file to load (``marc-file``, ``kbart-file``): a name inside the member's file folder on the hub."""
    format: SourceFormat | None = None
    metadata_prefix: str | None = None
    set: str | None = None
    schedule: str | None = None
    """An EventBridge Scheduler expression (``rate(1 day)``, ``cron(0 3 * * ? *)``)."""
    location: str | None = None
    file: FileContents | None = None
    """What each file holds (file sources): ``complete`` (the default; records absent from a complete run's file
    are withdrawn) or ``increments`` (only new and changed records; nothing is withdrawn by absence)."""

    def given(self) -> dict[str, Any]:
        """The fields the change sets, as JSON values (those absent from the body left out)."""
        return self.model_dump(mode="json", include=self.model_fields_set)


class RegisteredSource(BaseModel):
    """One source of a member as the registry has it now: members.toml with the member's changes on top."""

    model_config = ConfigDict(extra="forbid")

    member: str
    source: Source
    origin: SourceOrigin
    version: int = Field(ge=0)
    """0 while the member never changed it through the API; pass it back as ``expected_version`` to change it
    only if nobody changed it in between."""
    updated_at: datetime | None = None
    """When the member last changed it through the API."""
    updated_by: str | None = None
