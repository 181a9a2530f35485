"""The member registry: member libraries, their sources and their data-sharing policies, from one TOML file.

An invalid file is refused with a :class:`~consortium.errors.ConfigError` naming the member, the field and
the reason. Relative paths of file sources are resolved against the registry file's folder.
"""

from __future__ import annotations

import re
import threading
import tomllib
import unicodedata
from enum import StrEnum
from pathlib import Path
from typing import Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from consortium.errors import ConfigError
from consortium.locations import LocationNames
from consortium.principals import Principal, parse_principal
from consortium.toml_lines import key_lines, line_of

__all__ = [
    "FileContents",
    "Member",
    "MemberRegistry",
    "RegistryFile",
    "SharingPolicy",
    "Source",
    "SourceFormat",
    "SourceProtocol",
    "load_registry",
]

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


class SourceProtocol(StrEnum):
    OAI_PMH = "oai-pmh"
    MARC_FILE = "marc-file"
    KBART_FILE = "kbart-file"


class SourceFormat(StrEnum):
    """What the records of a source are written in."""

    MARC21 = "marc21"
    """Binary MARC21 (ISO 2709)."""
    MARCXML = "marcxml"
    """MARCXML, and MarcXchange (ISO 25577) in MARC 21 or UNIMARC."""
    UNIMARC = "unimarc"
    """Binary UNIMARC, including CNMARC as Chinese libraries write it (ISO 2709)."""
    OAI_DC = "oai_dc"
    KBART = "kbart"
    OAI_PMH = "oai-pmh"
    """A saved OAI-PMH ``ListRecords`` or ``GetRecord`` response, loaded as a file."""
    MARC_JSON = "marc-json"
    """MARC-in-JSON (Koha's REST API, FOLIO's source records): one record, an array, or JSON Lines."""
    MRK = "mrk"
    """MarcEdit's mnemonic text (``.mrk`` in MARC-8, ``.mrk8`` in UTF-8; LC's MARCMaker form)."""


class FileContents(StrEnum):
    """What each file of a file source holds (its ``file`` setting)."""

    COMPLETE = "complete"
    """The source's whole content (a full catalogue export; a KBART file, a package's full title list): a record
    stored from the source that a complete run of its next file no longer gives is withdrawn (the default)."""
    INCREMENTS = "increments"
    """Only the records new or changed since the last file (a delta export): a record absent from a file is kept;
    deletions come only as deleted records (leader/05 ``d``, an OAI-PMH ``deleted`` status)."""


_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""Characters that turn the direction of the text after them (a name shown backwards in the portal)."""


class Source(BaseModel):
    """One way to harvest a member: an OAI-PMH endpoint or a file it exports."""

    model_config = ConfigDict(extra="forbid")

    id: str
    """Unique within the member; the source's checkpoint is kept under ``<member>/<id>``."""
    protocol: SourceProtocol
    url: str | None = None
    """The OAI-PMH base URL (``oai-pmh`` sources)."""
    path: Path | None = None
    """The file to load (``marc-file`` and ``kbart-file`` sources)."""
    holdings: Path | None = None
    """A file of the member's MARC 21 holdings records (MFHD), in the source's format, read with ``path``'s records:
    each is read as part of the record its 004 names (:mod:`consortium.harvest.formats.holdings_records`)."""
    format: SourceFormat
    metadata_prefix: str | None = None
    """The OAI-PMH ``metadataPrefix``; defaults to ``marc21`` for MARCXML and ``oai_dc`` for Dublin Core."""
    set: str | None = None
    """An OAI-PMH ``set`` to harvest instead of the whole repository."""
    schedule: str = "rate(1 day)"
    """An EventBridge Scheduler expression (``rate(...)`` or ``cron(...)``) for when to harvest."""
    location: str | None = None
    """The default holding location for records that carry none."""
    paused: bool = False
    """A paused source is left alone by every harvest (scheduled, ``consortium harvest``, a member's own through
    the API), which says it skipped it, until the source is resumed."""
    paused_reason: str | None = Field(default=None, max_length=500)
    """Why the source is paused, in the words of whoever paused it (the harvest repeats it when it skips it)."""
    file: FileContents | None = None
    """What each file of a file source holds: ``complete`` (the default: records absent from the file are
    withdrawn, see :mod:`consortium.harvest.withdrawals`) or ``increments`` (only new and changed records: none
    is withdrawn by absence). Not for ``oai-pmh`` sources (their server says what it deleted); a ``kbart-file``
    source is ``complete`` (a KBART file is a package's full title list)."""

    @property
    def withdraws_absent(self) -> bool:
        """Whether a complete run of this source withdraws the records its file no longer gives: a file source
        whose files are complete (see :attr:`file`)."""
        return self.protocol is not SourceProtocol.OAI_PMH and self.file != FileContents.INCREMENTS

    @field_validator("file")
    @classmethod
    def _file_fits(cls, value: FileContents | None, info: ValidationInfo) -> FileContents | None:
        protocol = info.data.get("protocol")
        if value is not None and protocol is SourceProtocol.OAI_PMH:
            raise ValueError(
                "is for file sources (marc-file, kbart-file): an oai-pmh server says itself which records it deleted"
            )
        if value is FileContents.INCREMENTS and protocol is SourceProtocol.KBART_FILE:
            raise ValueError(
                "a kbart-file source is 'complete': a KBART file is a package's full title list (a title absent "
                "from it is no longer in the package)"
            )
        return value

    @field_validator("id")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError("must be lowercase letters, digits, '-' or '_' (at most 63)")
        return value

    @field_validator("url")
    @classmethod
    def _valid_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            scheme = value.partition(":")[0] if ":" in value else value[:20]
            raise ValueError(f"must be an http(s) base URL (http:// or https://), not {scheme!r}")
        return value

    @field_validator("path")
    @classmethod
    def _valid_path(cls, value: Path | None) -> Path | None:
        if value is not None and "\x00" in str(value):
            raise ValueError("a file path holds a NUL character")
        return value

    @field_validator("schedule")
    @classmethod
    def _valid_schedule(cls, value: str) -> str:
        if not re.match(r"^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\))$", value):
            raise ValueError("must be an EventBridge expression such as 'rate(1 day)' or 'cron(0 3 * * ? *)'")
        return value

    @model_validator(mode="after")
    def _protocol_fits(self) -> Source:
        if self.holdings is not None and self.protocol is not SourceProtocol.MARC_FILE:
            raise ValueError(f"'holdings' is for a marc-file source, not {self.protocol.value}")
        if self.protocol is SourceProtocol.OAI_PMH:
            if not self.url:  # one given is an http(s) URL (_valid_url)
                raise ValueError("an oai-pmh source needs 'url', an http(s) base URL")
            if self.format not in (SourceFormat.MARCXML, SourceFormat.OAI_DC):
                raise ValueError("an oai-pmh source has format 'marcxml' or 'oai_dc'")
            if self.metadata_prefix is None:
                self.metadata_prefix = "marc21" if self.format is SourceFormat.MARCXML else "oai_dc"
        elif self.protocol is SourceProtocol.MARC_FILE:
            if self.path is None:
                raise ValueError("a marc-file source needs 'path'")
            if self.format in (SourceFormat.OAI_DC, SourceFormat.KBART):  # every other format is a file's
                files = [f"'{f}'" for f in SourceFormat if f not in (SourceFormat.OAI_DC, SourceFormat.KBART)]
                raise ValueError(f"a marc-file source has format {', '.join(files[:-1])} or {files[-1]}")
            if self.holdings is not None and self.format in (SourceFormat.UNIMARC, SourceFormat.OAI_PMH):
                raise ValueError(
                    "'holdings' is a file of MARC 21 holdings records: not for a unimarc or oai-pmh source"
                )
        else:
            if self.path is None:
                raise ValueError("a kbart-file source needs 'path'")
            if self.format is not SourceFormat.KBART:
                raise ValueError("a kbart-file source has format 'kbart'")
        return self


class SharingPolicy(BaseModel):
    """What the member lets the consortium do with its data."""

    model_config = ConfigDict(extra="forbid")

    share_holdings: bool = True
    """Show this member's holdings to readers of other members."""
    share_circulation: Literal["none", "aggregate"] = "aggregate"
    """Whether its loans may feed consortium popularity, and only as aggregates."""
    lend_to_members: list[str] = Field(default_factory=list)
    """Members whose readers may borrow from it; empty means every member."""


class Member(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    name_zh: str | None = None
    sources: list[Source] = Field(default_factory=list)
    sharing: SharingPolicy = Field(default_factory=SharingPolicy)
    iam_principals: list[str] = Field(default_factory=list)
    """The AWS IAM roles or users (their ARNs) whose signed requests act for this member through the member API
    for IAM on AWS (``arn:aws:iam::123456789012:role/riverside-ils``); none: the member calls with API keys only."""
    locations: LocationNames = Field(default_factory=dict)
    """The member's location codes and the names its readers know them by (:mod:`consortium.locations`)."""

    @field_validator("iam_principals")
    @classmethod
    def _valid_principals(cls, value: list[str]) -> list[str]:
        seen: set[Principal] = set()
        for arn in value:
            principal = parse_principal(arn)  # a ValueError names the ARN and the form expected
            if principal in seen:
                raise ValueError(f"{arn!r} names a principal given twice")
            seen.add(principal)
        return value

    @field_validator("id")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError("must be lowercase letters, digits, '-' or '_' (at most 63)")
        return value

    @field_validator("name", "name_zh")
    @classmethod
    def _valid_name(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if not value.strip():
            raise ValueError("must not be empty")
        if len(value) > 300:
            raise ValueError(f"is {len(value)} characters long; at most 300")
        control = next((c for c in value if unicodedata.category(c) == "Cc" or c in _BIDI_CONTROLS), None)
        if control is not None:
            raise ValueError(f"holds the control character U+{ord(control):04X}")
        return value

    @model_validator(mode="after")
    def _unique_sources(self) -> Member:
        seen: set[str] = set()
        for source in self.sources:
            if source.id in seen:
                raise ValueError(f"source id {source.id!r} appears twice")
            seen.add(source.id)
        return self

    def source(self, source_id: str) -> Source:
        for source in self.sources:
            if source.id == source_id:
                return source
        raise ConfigError(f"member {self.id!r} has no source {source_id!r}")


class MemberRegistry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    members: list[Member]

    @model_validator(mode="after")
    def _unique_members(self) -> MemberRegistry:
        seen: set[str] = set()
        owners: dict[Principal, str] = {}
        for member in self.members:
            if member.id in seen:
                raise ValueError(f"member id {member.id!r} appears twice")
            seen.add(member.id)
            for arn in member.iam_principals:
                owner = owners.setdefault(parse_principal(arn), member.id)
                if owner != member.id:
                    raise ValueError(
                        f"member {member.id!r}, field 'iam_principals': {arn!r} acts for {owner!r} already (a "
                        "principal acts for one member)"
                    )
        for member in self.members:
            for lender in member.sharing.lend_to_members:
                if lender not in seen:
                    raise ValueError(
                        f"member {member.id!r}, field 'sharing.lend_to_members': lend_to_members names {lender!r}, "
                        f"not a member of the registry (known: {', '.join(sorted(seen))})"
                    )
        return self

    def get(self, member_id: str) -> Member:
        for member in self.members:
            if member.id == member_id:
                return member
        known = ", ".join(m.id for m in self.members) or "none"
        raise ConfigError(f"no member {member_id!r} in the registry (known: {known})")


def _describe(error: pydantic.ValidationError, data: dict[str, object], text: str) -> str:
    """One clause per error, naming the member and source by id, the field, and the line of the file."""
    lines, places = [], key_lines(text)
    for item in error.errors():
        loc = list(item["loc"])
        where = ".".join(str(p) for p in loc)
        # Name the member (and source) by id rather than by list position.
        if len(loc) >= 2 and loc[0] == "members" and isinstance(loc[1], int):
            members = data.get("members")
            if isinstance(members, list) and loc[1] < len(members) and isinstance(members[loc[1]], dict):
                member_id = members[loc[1]].get("id", f"#{loc[1] + 1}")
                rest = loc[2:]
                if len(rest) >= 2 and rest[0] == "sources" and isinstance(rest[1], int):
                    # What the file holds there may be anything TOML writes (a string, a number), not a table.
                    sources = members[loc[1]].get("sources")
                    source = sources[rest[1]] if isinstance(sources, list) and rest[1] < len(sources) else None
                    source_id = source.get("id", f"#{rest[1] + 1}") if isinstance(source, dict) else f"#{rest[1] + 1}"
                    rest = rest[2:]
                    where = f"member {member_id!r}, source {source_id!r}"
                else:
                    where = f"member {member_id!r}"
                if rest:
                    where += f", field {'.'.join(str(p) for p in rest)!r}"
            else:
                where = f"member #{loc[1] + 1}"  # not a table: it has no id to be named by
        msg = item["msg"].removeprefix("Value error, ")
        line = line_of(places, loc)
        msg += f" (line {line})" if line is not None else ""
        lines.append(f"{where}: {msg}" if where else msg)
    return "; ".join(lines)


def load_registry(path: Path) -> MemberRegistry:
    """Read and validate the member registry at ``path``."""
    return _parse_registry(_read_registry(path), path)


def _read_registry(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read the member registry {path}: {exc.strerror}") from exc


def _parse_registry(raw: bytes, path: Path) -> MemberRegistry:
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")  # a byte-order mark, as Notepad writes
        data = tomllib.loads(text)
    except UnicodeDecodeError as exc:
        raise ConfigError(f"cannot read the member registry {path}: not UTF-8 ({exc.reason})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    try:
        registry = MemberRegistry.model_validate(data)
    except pydantic.ValidationError as exc:
        raise ConfigError(f"{path}: {_describe(exc, data, text)}") from exc
    for member in registry.members:
        for source in member.sources:
            if source.path is not None and not source.path.is_absolute():
                source.path = (path.parent / source.path).resolve()
            if source.holdings is not None and not source.holdings.is_absolute():
                source.holdings = (path.parent / source.holdings).resolve()
    return registry


class RegistryFile:
    """The member registry at ``path``, read on every call but parsed and validated again only when its bytes
    changed: a long-running hub sees an edit at once, without parsing the file for every request. What it
    returns is shared between calls: read it, do not change it.

    Example
    -------
    >>> registry = RegistryFile(settings.members_file)
    >>> registry().get("riverside").name
    'Riverside University Library'
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._last: tuple[bytes, MemberRegistry] | None = None

    def __call__(self) -> MemberRegistry:
        """The registry as the file says now; :class:`ConfigError` when it cannot be read or is invalid."""
        raw = _read_registry(self.path)
        with self._lock:
            last = self._last
        if last is not None and last[0] == raw:
            return last[1]
        registry = _parse_registry(raw, self.path)
        with self._lock:
            self._last = (raw, registry)
        return registry
