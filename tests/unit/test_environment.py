"""The settings as an operator writes them: a bad value is named by its environment variable and the value given,
a misspelt ``CONSORTIUM_`` variable is refused with the setting it resembles, never ignored."""

from __future__ import annotations

import pytest

from consortium.bootstrap import bootstrap
from consortium.bootstrap.environment import check_environment, load_settings, setting_names
from consortium.errors import ConfigError


@pytest.fixture(autouse=True)
def no_settings_from_outside(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in setting_names():
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("variable", "value", "reason"),
    [
        ("CONSORTIUM_BACKEND", "lcoal", "Input should be 'local' or 'aws'"),
        ("CONSORTIUM_HARVEST_PAGE_SIZE", "abc", "valid integer"),
        ("CONSORTIUM_HARVEST_PAGE_SIZE", "0", "greater than or equal to 1"),
        ("CONSORTIUM_HTTP_TIMEOUT", "1m", "valid number"),
        ("CONSORTIUM_HARVEST_FOLLOW_PROCESS", "maybe", "valid boolean"),
    ],
)
def test_a_refused_value_is_named_by_its_variable_and_value(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, reason: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as refused:
        bootstrap()
    message = str(refused.value)
    assert message.startswith(f"{variable}={value!r}: ")
    assert reason in message
    assert "field '" not in message  # the operator set a variable, not a field
    assert refused.value.details["variables"] == [variable]


def test_two_refused_values_are_named_together(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSORTIUM_BACKEND", "cloud")
    monkeypatch.setenv("CONSORTIUM_SMTP_PORT", "smtp")
    with pytest.raises(ConfigError) as refused:
        load_settings()
    assert "CONSORTIUM_BACKEND='cloud'" in str(refused.value)
    assert "CONSORTIUM_SMTP_PORT='smtp'" in str(refused.value)


def test_the_settings_values_are_read_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSORTIUM_HARVEST_PAGE_SIZE", "7")
    monkeypatch.setenv("consortium_backend", "local")  # pydantic-settings reads names in any case
    assert load_settings().harvest_page_size == 7


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("CONSORTIUM_DATADIR", "CONSORTIUM_DATA_DIR"),
        ("CONSORTIUM_KEYS_DIR", "CONSORTIUM_KEY_DIR"),
        ("consortium_members_fle", "CONSORTIUM_MEMBERS_FILE"),
        ("CONSORTIUM_SMTP_HOSTNAME", "CONSORTIUM_SMTP_HOST"),
    ],
)
def test_a_misspelt_variable_is_refused_with_the_setting_it_resembles(typed: str, meant: str) -> None:
    with pytest.raises(ConfigError) as refused:
        check_environment({typed: "x", "PATH": "/usr/bin"})
    message = str(refused.value)
    assert message.startswith(f"{typed} (did you mean {meant}?) is not a setting of the hub")
    assert "\n" not in message


def test_a_variable_like_no_setting_is_refused_by_name_and_several_together() -> None:
    with pytest.raises(ConfigError, match=r"^CONSORTIUM_COLOUR, CONSORTIUM_ZZZ are not settings"):
        check_environment({"CONSORTIUM_ZZZ": "1", "CONSORTIUM_COLOUR": "red"})


def test_every_setting_and_the_projects_own_test_variable_pass() -> None:
    check_environment({name: "x" for name in setting_names()})
    check_environment({"CONSORTIUM_SCHEMATHESIS_EXAMPLES": "50", "HOME": "/root", "XDG_DATA_HOME": "/tmp"})
