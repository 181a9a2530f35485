"""The settings as an operator sets them: ``CONSORTIUM_*`` environment variables, each error named by its variable.

pydantic-settings reads only the variables it knows and says ``field 'backend'`` of a bad value; an operator
typed ``CONSORTIUM_BACKEND``, and a misspelt name (``CONSORTIUM_DATADIR``) would be ignored without a word,
leaving the hub on its default data folder. :func:`load_settings` names the variable and the value it refused;
:func:`check_environment` refuses a ``CONSORTIUM_`` variable that is no setting, with the nearest one.
"""

from __future__ import annotations

import difflib
import os
from typing import TYPE_CHECKING

import pydantic

from consortium.config import Settings
from consortium.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["NOT_SETTINGS", "PREFIX", "check_environment", "load_settings", "setting_names"]

PREFIX = "CONSORTIUM_"

NOT_SETTINGS = frozenset({"CONSORTIUM_SCHEMATHESIS_EXAMPLES"})
"""``CONSORTIUM_`` variables that are not the hub's settings but the project's own: the API schema test's cases."""


def setting_names() -> dict[str, str]:
    """Every setting's environment variable (``CONSORTIUM_DATA_DIR``) and its field (``data_dir``)."""
    return {PREFIX + name.upper(): name for name in Settings.model_fields}


def check_environment(environ: Mapping[str, str] | None = None) -> None:
    """Refuse ``CONSORTIUM_`` variables that are no setting (the hub would ignore them), naming each with the
    setting it most resembles.

    Raises
    ------
    ConfigError
        ``CONSORTIUM_DATADIR is not a setting of the hub (did you mean CONSORTIUM_DATA_DIR?) ...``

    Example
    -------
    >>> check_environment({"CONSORTIUM_DATA_DIR": "/srv/hub"})  # nothing to say
    """
    known = setting_names()
    unknown = sorted(
        name
        for name in (os.environ if environ is None else environ)
        if name.upper().startswith(PREFIX) and name.upper() not in known and name.upper() not in NOT_SETTINGS
    )
    if not unknown:
        return
    clauses = []
    for name in unknown:
        near = difflib.get_close_matches(name.upper(), list(known), n=1, cutoff=0.75)
        clauses.append(f"{name} (did you mean {near[0]}?)" if near else name)
    which = "is not a setting" if len(unknown) == 1 else "are not settings"
    raise ConfigError(
        f"{', '.join(clauses)} {which} of the hub, so it would be ignored; fix or unset it (the settings: README.md, "
        '"Settings")',
        variables=unknown,
    )


def load_settings() -> Settings:
    """The settings from the environment; a value a setting refuses raises :class:`ConfigError` naming its
    variable and the value.

    Example
    -------
    >>> load_settings()  # with CONSORTIUM_BACKEND=lcoal
    Traceback (most recent call last):
    consortium.errors.ConfigError: CONSORTIUM_BACKEND='lcoal': Input should be 'local' or 'aws'
    """
    try:
        return Settings()
    except pydantic.ValidationError as exc:
        raise ConfigError(_named(exc, os.environ), variables=_variables(exc)) from exc


def _variables(exc: pydantic.ValidationError) -> list[str]:
    return [PREFIX + str(item["loc"][0]).upper() for item in exc.errors() if item["loc"]]


def _named(exc: pydantic.ValidationError, environ: Mapping[str, str]) -> str:
    """``CONSORTIUM_X='value': reason; ...`` for each setting refused."""
    upper = {name.upper(): value for name, value in environ.items()}
    clauses = []
    for item in exc.errors():
        reason = item["msg"].removeprefix("Value error, ")
        if not item["loc"]:
            clauses.append(reason)
            continue
        variable = PREFIX + str(item["loc"][0]).upper()
        value = upper.get(variable)  # a secret (SecretStr) takes any string, so is never refused nor shown
        shown = variable if value is None else f"{variable}={value!r}"
        clauses.append(f"{shown}: {reason}")
    return "; ".join(clauses)
