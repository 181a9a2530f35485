"""Errors in the operator's TOML files name the line: the member registry's and the consent policy's, each field
found under its own member, source or purpose, a missing one at its table's header."""

from __future__ import annotations

from pathlib import Path

import pytest

from consortium.errors import ConfigError
from consortium.members import load_registry
from consortium.profiles.consent import load_consent_policy
from consortium.toml_lines import key_lines, line_of

REGISTRY = """\
# the consortium's members
[[members]]
id = "riverside"
name = "Riverside University Library"

[[members.sources]]
id = "oai"
protocol = "oai-pmh"
url = "https://library.example.edu/oai"
format = "marcxml"

[[members]]
id = "lakeside"
name = "Lakeside Public Library"

[members.sharing]
share_circulation = "none"

[[members.sources]]
id = "catalogue"
protocol = "marc-file"
path = "lakeside.xml"
format = "marcxml"

[[members.sources]]
id = "kbart"
protocol = "kbart-file"
path = "kbart.txt"
format = "kbart"
schedule = "rate(1 day)"
"""


def refused(tmp_path: Path, text: str) -> str:
    path = tmp_path / "members.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_registry(path)
    return str(info.value)


def test_the_registry_example_loads(tmp_path: Path) -> None:
    (tmp_path / "members.toml").write_text(REGISTRY, encoding="utf-8")
    assert [m.id for m in load_registry(tmp_path / "members.toml").members] == ["riverside", "lakeside"]


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (('schedule = "rate(1 day)"', 'schedule = "daily"'), "member 'lakeside', source 'kbart', field 'schedule'"),
        (('schedule = "rate(1 day)"', 'schedul = "rate(1 day)"'), "source 'kbart', field 'schedul'"),
        (('share_circulation = "none"', 'share_circulation = "all"'), "field 'sharing.share_circulation'"),
        (('url = "https://library.example.edu/oai"', 'url = "gopher://x"'), "source 'oai', field 'url'"),
        (('id = "catalogue"', 'id = "Catalogue!"'), "member 'lakeside', source 'Catalogue!', field 'id'"),
    ],
)
def test_a_refused_field_names_its_line(tmp_path: Path, change: tuple[str, str], named: str) -> None:
    text = REGISTRY.replace(*change)
    line = next(number for number, row in enumerate(text.splitlines(), start=1) if row == change[1])
    message = refused(tmp_path, text)
    assert named in message and message.endswith(f" (line {line})"), message


def test_a_missing_field_names_its_tables_header(tmp_path: Path) -> None:
    text = REGISTRY.replace('name = "Lakeside Public Library"\n', "")
    assert refused(tmp_path, text).endswith("member 'lakeside', field 'name': Field required (line 12)")
    text = REGISTRY.replace('format = "kbart"\n', "")
    assert refused(tmp_path, text).endswith("source 'kbart', field 'format': Field required (line 25)")


def test_the_consent_policys_refused_field_names_its_line(tmp_path: Path) -> None:
    shipped = (Path(__file__).resolve().parents[2] / "policies" / "consent.toml").read_text(encoding="utf-8")
    rows = shipped.splitlines()
    header = rows.index("[purposes.push]")
    at = next(i for i in range(header, len(rows)) if rows[i].startswith("retention_days = "))
    rows[at] = "retention_days = 0"
    (tmp_path / "consent.toml").write_text("\n".join(rows), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_consent_policy(tmp_path / "consent.toml")
    assert str(info.value).endswith(
        f"purpose 'push', field 'retention_days': Input should be greater than 0 (line {at + 1})"
    )


def test_keys_in_multiline_strings_and_dotted_keys_are_placed_right() -> None:
    text = '[a]\ntext = """\nx = 1\n"""\nx = 2\n[[b.c]]\nd.e = 3\n[[b.c]]\nd.e = 4\n'
    lines = key_lines(text)
    assert lines[("a", "x")] == 5  # not the line inside the string
    assert lines[("b", "c", 1, "d", "e")] == 9
    assert line_of(lines, ("b", "c", 1, "zz")) == 8
    assert line_of(lines, ("nowhere",)) is None
