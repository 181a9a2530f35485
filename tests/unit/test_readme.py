"""README.md as a newcomer reads it: its links inside the page lead to a heading, and the member registry example
it shows is a registry the hub accepts."""

from __future__ import annotations

import re
from pathlib import Path

from consortium.members import load_registry

README = Path(__file__).parents[2] / "README.md"


def _anchor(heading: str) -> str:
    """The id GitHub gives a heading: lowercase, punctuation dropped but hyphens, spaces made hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _prose(text: str) -> str:
    """The README without its fenced blocks (a shell comment there is not a heading)."""
    return re.sub(r"^```.*?^```", "", text, flags=re.MULTILINE | re.DOTALL)


def test_every_link_inside_the_readme_leads_to_a_heading() -> None:
    prose = _prose(README.read_text(encoding="utf-8"))
    anchors = {_anchor(m.group(1)) for m in re.finditer(r"^#+ (.+)$", prose, flags=re.MULTILINE)}
    links = set(re.findall(r"\]\(#([^)]+)\)", prose))
    assert len(links) >= 10  # the contents line and the first-hour map
    assert sorted(links - anchors) == []


def test_the_member_registry_example_is_a_valid_registry(tmp_path: Path) -> None:
    section = README.read_text(encoding="utf-8").partition("\n## The member registry\n")[2]
    example = re.search(r"^```toml\n(.*?)^```", section, flags=re.MULTILINE | re.DOTALL)
    assert example is not None
    (tmp_path / "members.toml").write_text(example.group(1), encoding="utf-8")
    [member] = load_registry(tmp_path / "members.toml").members
    assert member.id == "riverside"
    assert [(s.id, s.protocol.value) for s in member.sources] == [("oai", "oai-pmh"), ("catalogue", "marc-file")]
    assert member.sources[1].path == tmp_path / "exports" / "riverside.mrc"  # relative to the registry file
