"""A hostile or careless members.toml: whatever TOML it holds, loading it gives the registry or one ConfigError
naming the member, source and field; never another exception (a traceback at start-up)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consortium.errors import ConfigError
from consortium.members import load_registry
from consortium.profiles.consent import load_consent_policy

SOURCE_KEYS = ["id", "protocol", "format", "url", "path", "schedule", "paused", "colour"]
MEMBER_KEYS = ["id", "name", "name_zh", "sources", "sharing", "iam_principals", "colour"]
SCALARS = (
    st.sampled_from(["a", "b", "marc-file", "oai-pmh", "kbart-file", "marc21", "kbart", "file:///etc/passwd", ""])
    | st.text(max_size=6)
    | st.integers(-3, 3)
    | st.booleans()
)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3), max_leaves=6)
SOURCE = st.dictionaries(st.sampled_from(SOURCE_KEYS), VALUES, max_size=6)
MEMBER = st.dictionaries(
    st.sampled_from(MEMBER_KEYS), VALUES | st.lists(SOURCE | SCALARS, max_size=3) | SOURCE, max_size=6
)
REGISTRY = st.dictionaries(
    st.sampled_from(["members", "other"]), st.lists(MEMBER | SCALARS, max_size=3) | MEMBER | SCALARS, max_size=2
)


def toml(value: Any) -> str:
    """``value`` as TOML (inline tables and arrays; JSON strings are TOML basic strings)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(toml(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(REGISTRY)
def test_any_toml_is_a_registry_or_one_config_error(tmp_path: Path, data: dict[str, Any]) -> None:
    path = tmp_path / "members.toml"
    path.write_text("\n".join(f"{json.dumps(k)} = {toml(v)}" for k, v in data.items()), encoding="utf-8")
    try:
        load_registry(path)
    except ConfigError as exc:
        assert str(exc).startswith(f"{path}: ") or str(exc).startswith("cannot read")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('[[members]]\nid = "a"\nname = "A"\nsources = ["x", 2]', "member 'a', source '#1': Input should be a valid"),
        ('members = ["a"]', "member #1: Input should be a valid dictionary"),
        ('[[members]]\nid = "a"\nname = "  "', "member 'a', field 'name': must not be empty"),
        ('[[members]]\nid = "a"\nname = "A\\u202eB"', "member 'a', field 'name': holds the control character U+202E"),
        ('[[members]]\nid = "a"\nname = "A\\u0007"', "member 'a', field 'name': holds the control character U+0007"),
        (
            '[[members]]\nid = "a"\nname = "A"\n[[members.sources]]\nid = "s"\nprotocol = "marc-file"\n'
            'format = "marc21"\npath = "x\\u0000.mrc"',
            "member 'a', source 's', field 'path': a file path holds a NUL character",
        ),
        (
            '[[members]]\nid = "a"\nname = "A"\n[[members.sources]]\nid = "s"\nprotocol = "oai-pmh"\n'
            'format = "marcxml"\nurl = "file:///etc/passwd"',
            "member 'a', source 's', field 'url': must be an http(s) base URL (http:// or https://), not 'file'",
        ),
        ('[[members]]\nid = "a"\nname = "A"\n[[members]]\nid = "a"\nname = "B"', "member id 'a' appears twice"),
        ('[[members]]\nid = "a"\nname = "A"\ncolour = "red"', "member 'a', field 'colour': Extra inputs"),
    ],
)
def test_each_mistake_is_named(tmp_path: Path, text: str, reason: str) -> None:
    path = tmp_path / "members.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_registry(path)
    assert reason in str(refused.value)


def test_a_byte_order_mark_is_read_past_and_a_relative_path_is_the_operators_own(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "members.toml"
    path.parent.mkdir()
    text = '[[members]]\nid = "a"\nname = "A"\n[[members.sources]]\nid = "s"\nprotocol = "marc-file"\n'
    path.write_bytes(b"\xef\xbb\xbf" + (text + 'format = "marc21"\npath = "../exports/a.mrc"\n').encode())
    [member] = load_registry(path).members
    assert member.sources[0].path == tmp_path / "exports" / "a.mrc"


def test_a_consent_policy_not_in_utf8_is_a_config_error_and_a_byte_order_mark_is_read_past(tmp_path: Path) -> None:
    good = (Path(__file__).resolve().parents[2] / "policies" / "consent.toml").read_bytes()
    path = tmp_path / "consent.toml"
    path.write_bytes(good.replace("您".encode(), b"\xe9", 1))  # saved in Latin-1 by an editor
    with pytest.raises(ConfigError, match=r"cannot read the consent policy .*: not UTF-8 at byte \d+"):
        load_consent_policy(path)
    path.write_bytes(b"\xef\xbb\xbf" + good)
    assert load_consent_policy(path).policy_version
