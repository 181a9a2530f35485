"""Consent: the purposes a reader may grant, their policy file, and the append-only ledger of grants and withdrawals.

Every processing step that uses a reader's personal data checks the one purpose it needs with :func:`require`.
The purposes are described to readers, with the kinds of data each uses and how long that data is kept, in
``policies/consent.toml``, validated by :func:`load_consent_policy`; an invalid file is refused with a
:class:`~consortium.errors.ConfigError` naming the purpose, the field and the reason.

The ledger only ever grows: granting and withdrawing are the same call (:meth:`ConsentLedger.append` with
``granted`` true or false), and no single event is ever changed or removed. The only deletion is
:meth:`ConsentLedger.erase`, which removes a reader's whole history when the reader is erased.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pydantic
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator
from pydantic_core import PydanticCustomError

from consortium.errors import ConfigError, ConsortiumError
from consortium.toml_lines import key_lines, line_of

if TYPE_CHECKING:
    from collections.abc import Mapping

    from consortium.profiles.ports import ConsentLedger

__all__ = [
    "ConsentError",
    "ConsentEvent",
    "ConsentPolicy",
    "DataKind",
    "Purpose",
    "PurposePolicy",
    "current_from",
    "load_consent_policy",
    "require",
]

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class Purpose(StrEnum):
    """What a reader's personal data may be used for; each is granted or withdrawn on its own."""

    PERSONALIZATION = "personalization"
    """Rank search results and suggest books from the reader's interests and activity."""
    PUSH = "push"
    """Send the reader news of new books and resources matching their interests."""
    CONSORTIUM_SHARING = "consortium_sharing"
    """Let the other member libraries see the reader's profile and loans."""
    ANALYTICS = "analytics"
    """Count the reader's activity in aggregate statistics."""


class DataKind(StrEnum):
    """The kinds of personal data a purpose may use."""

    PROFILE = "profile"
    DECLARED_INTERESTS = "declared_interests"
    LEARNED_INTERESTS = "learned_interests"
    """What the hub learned of the reader's interests from their activity (and the works they borrowed)."""
    EVENTS = "events"
    """Searches, views and other activity in the portal."""
    PUSH_HISTORY = "push_history"
    """What was sent to the reader, and when."""
    DRIFT_PROMPTS = "drift_prompts"
    """Questions asked when the reader's interests seem to have changed, and the answers."""
    LOANS = "loans"


class PurposePolicy(BaseModel):
    """How one purpose is described to readers, which data it uses and how long that data is kept."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    description_en: _Text
    """What the purpose does, as shown to readers in English."""
    description_zh: _Text
    """The same, in Chinese."""
    data: list[DataKind] = Field(min_length=1)
    """The kinds of personal data the purpose uses."""
    retention_days: pydantic.StrictInt = Field(gt=0)
    """The longest that data recorded for the purpose is kept, in days."""

    @field_validator("description_zh")
    @classmethod
    def _is_chinese(cls, value: str) -> str:
        if not _HAN.search(value):
            raise ValueError("must be written in Chinese")
        return value

    @field_validator("data")
    @classmethod
    def _no_repeats(cls, value: list[DataKind]) -> list[DataKind]:
        repeated = sorted({kind.value for kind in value if value.count(kind) > 1})
        if repeated:
            raise ValueError(f"lists {', '.join(repeated)} more than once")
        return value


class ConsentPolicy(BaseModel):
    """The consent policy file: every purpose, described, under one version.

    Example
    -------
    >>> policy = load_consent_policy(Path("policies/consent.toml"))
    >>> policy.purposes[Purpose.PUSH].retention_days
    180
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    policy_version: str
    """The date the policy took effect (``YYYY-MM-DD``); each consent event records the version agreed to."""
    purposes: dict[Purpose, PurposePolicy]
    """Every purpose of :class:`Purpose`, each exactly once, in the order of :class:`Purpose`."""

    @property
    def version(self) -> str:
        """The policy version (:attr:`policy_version`)."""
        return self.policy_version

    @field_validator("policy_version")
    @classmethod
    def _is_date(cls, value: str) -> str:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError("must be the date the policy took effect, as YYYY-MM-DD")
        try:
            dt.date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"is not a real date ({exc})") from None
        return value

    @field_validator("purposes")
    @classmethod
    def _every_purpose(cls, value: dict[Purpose, PurposePolicy]) -> dict[Purpose, PurposePolicy]:
        missing = [purpose.value for purpose in Purpose if purpose not in value]
        if missing:
            raise PydanticCustomError(
                "missing_purpose",
                "every purpose needs a policy; missing: {missing}",
                {"missing": ", ".join(missing)},
            )
        return {purpose: value[purpose] for purpose in Purpose}


def _describe(error: pydantic.ValidationError, text: str) -> str:
    """One clause per error, naming the purpose and the field rather than pydantic's location tuple, and its line."""
    clauses: list[str] = []
    places = key_lines(text)
    known_values = {purpose.value for purpose in Purpose}
    known = ", ".join(purpose.value for purpose in Purpose)
    for item in error.errors():
        loc = list(item["loc"])
        msg = item["msg"].removeprefix("Value error, ")
        line = line_of(places, loc)
        at = f" (line {line})" if line is not None else ""
        msg += at
        if item["type"] == "missing_purpose":
            ctx = item.get("ctx") or {}
            for name in str(ctx.get("missing", "")).split(", "):
                clauses.append(f"purpose {name!r}: missing; every purpose needs a policy")
            continue
        if len(loc) >= 2 and loc[0] == "purposes":
            where = f"purpose {str(loc[1])!r}"
            rest = loc[2:]
            if rest == ["[key]"]:
                clauses.append(f"{where}: not a known purpose (known: {known}){at}")
                continue
            if str(loc[1]) not in known_values:
                continue  # an unknown purpose is named once, above, not once per field
            if rest:
                where += f", field {str(rest[0])!r}"
                if len(rest) > 1 and isinstance(rest[1], int):
                    where += f", item {rest[1] + 1}"
            clauses.append(f"{where}: {msg}")
        elif loc:
            clauses.append(f"field {'.'.join(str(p) for p in loc)!r}: {msg}")
        else:
            clauses.append(msg)
    return "; ".join(clauses)


def load_consent_policy(path: Path | str) -> ConsentPolicy:
    """Read and validate the consent policy file at ``path``.

    Raises
    ------
    ConfigError
        When the file cannot be read, is not TOML, or is not a valid policy; the message names the purpose, the
        field and the reason, e.g. ``policies/consent.toml: purpose 'push', field 'retention_days': Input should
        be greater than 0``.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the consent policy {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"cannot read the consent policy {path}: not UTF-8 at byte {exc.start} ({exc.reason})"
        ) from exc
    try:
        text = text.removeprefix("\ufeff")  # a byte-order mark, as Notepad writes
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    try:
        return ConsentPolicy.model_validate(data)
    except pydantic.ValidationError as exc:
        raise ConfigError(f"{path}: {_describe(exc, text)}") from exc


class ConsentEvent(BaseModel):
    """One grant or withdrawal of one purpose by one reader, at one moment, under one policy version."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reader_id: _Text
    purpose: Purpose
    granted: bool
    """``True`` for a grant, ``False`` for a withdrawal."""
    policy_version: _Text
    """The :attr:`ConsentPolicy.policy_version` the reader was shown."""
    at: AwareDatetime
    """When the reader decided (timezone-aware)."""


class ConsentError(ConsortiumError):
    """The reader has not granted the purpose a processing step needs; the step must not run
    (``details["purpose"]`` names it)."""

    error_code = "consent_required"


def current_from(events: list[ConsentEvent]) -> dict[Purpose, bool]:
    """Each purpose's state after ``events`` (in time order): the latest event wins, no event means not granted.

    Adapters use this to implement :meth:`ConsentLedger.current` from :meth:`ConsentLedger.history`.
    """
    state: dict[Purpose, bool] = dict.fromkeys(Purpose, False)
    for event in events:
        state[event.purpose] = event.granted
    return state


def require(ledger: ConsentLedger, reader_id: str, purpose: Purpose | str) -> None:
    """Raise :class:`ConsentError` unless the reader has granted ``purpose`` now.

    The message names the purpose only; the reader id is kept in ``details``, out of the message and so out of
    logs that print it.

    Example
    -------
    >>> require(ledger, reader.id, Purpose.PUSH)  # before planning a push for this reader
    """
    wanted = Purpose(purpose)
    state: Mapping[Purpose, bool] = ledger.current(reader_id)
    if not state.get(wanted, False):
        raise ConsentError(
            f"consent for purpose {wanted.value!r} has not been granted", purpose=wanted.value, reader_id=reader_id
        )
