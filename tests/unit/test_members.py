"""The member registry: valid files load, invalid ones are refused naming member, field and reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from consortium.errors import ConfigError
from consortium.members import MemberRegistry, RegistryFile, load_registry

VALID = """
[[members]]
id = "riverside"
name = "Riverside University Library"

[members.sharing]
share_circulation = "none"

[[members.sources]]
id = "oai"
protocol = "oai-pmh"
url = "https://library.example.edu/oai"
format = "marcxml"
schedule = "cron(0 3 * * ? *)"

[[members.sources]]
id = "dump"
protocol = "marc-file"
path = "dump.mrc"
format = "marc21"
"""


def test_valid_registry(tmp_path: Path) -> None:
    registry = load_registry_text(tmp_path, VALID)
    member = registry.get("riverside")
    assert member.sharing.share_circulation == "none"
    oai, dump = member.sources
    assert oai.metadata_prefix == "marc21"
    assert dump.path == (tmp_path / "dump.mrc").resolve()
    assert not oai.paused and oai.paused_reason is None


def test_a_source_may_be_paused_in_the_file(tmp_path: Path) -> None:
    text = VALID.replace('format = "marc21"', 'format = "marc21"\npaused = true\npaused_reason = "new ILS"')
    dump = load_registry_text(tmp_path, text).get("riverside").source("dump")
    assert dump.paused and dump.paused_reason == "new ILS"


def load_registry_text(tmp_path: Path, text: str) -> MemberRegistry:
    path = tmp_path / "members.toml"
    path.write_text(text, encoding="utf-8")
    return load_registry(path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('format = "marcxml"', 'format = "mods"'), "member 'riverside', source 'oai', field 'format'"),
        (('url = "https://library.example.edu/oai"', 'url = "ftp://x"'),
         "member 'riverside', source 'oai', field 'url': must be an http(s) base URL (http:// or https://), not 'ftp'"),
        (('url = "https://library.example.edu/oai"', ''),
         "member 'riverside', source 'oai': an oai-pmh source needs 'url'"),
        (('schedule = "cron(0 3 * * ? *)"', 'schedule = "every day"'), "source 'oai', field 'schedule'"),
        (('id = "riverside"', 'id = "River Side"'), "member 'River Side', field 'id'"),
        (('share_circulation = "none"', 'share_circulation = "all"'),
         "member 'riverside', field 'sharing.share_circulation'"),
        (('id = "dump"', 'id = "oai"'), "source id 'oai' appears twice"),
        (('name = "Riverside University Library"', 'title = "x"'), "field 'name': Field required"),
    ],
)  # fmt: skip
def test_invalid_registry_is_refused_with_a_clear_error(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_registry_text(tmp_path, VALID.replace(*change))
    assert message in str(error.value)


def test_a_member_id_given_twice_is_named_without_pydantic_words(tmp_path: Path) -> None:
    second = VALID[VALID.index("[[members]]") :]
    with pytest.raises(ConfigError) as error:
        load_registry_text(tmp_path, VALID + "\n" + second)
    assert str(error.value) == f"{tmp_path / 'members.toml'}: member id 'riverside' appears twice"


def test_not_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_registry_text(tmp_path, "[[members]\nid=")


def test_unknown_member(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no member 'nope' in the registry \(known: riverside\)"):
        load_registry_text(tmp_path, VALID).get("nope")


def test_the_registry_file_is_parsed_again_only_when_its_bytes_change(tmp_path: Path) -> None:
    path = tmp_path / "members.toml"
    path.write_text('[[members]]\nid = "aa"\nname = "A"\n', encoding="utf-8")
    registry = RegistryFile(path)
    first = registry()
    assert registry() is first  # unchanged: the same registry, not parsed again
    path.write_text('[[members]]\nid = "bb"\nname = "B"\n', encoding="utf-8")  # the same size, at once
    assert [m.id for m in registry().members] == ["bb"]
    path.write_text("[[members]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        registry()
    path.write_bytes(b'[[members]]\nid = "cc"\nname = "\xff"\n')
    with pytest.raises(ConfigError, match="not UTF-8"):
        registry()
