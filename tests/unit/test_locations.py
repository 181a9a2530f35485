"""A member's location codes named as its readers know them: in members.toml (a bad table refused naming the
member and the code), given at normalization (Koha's branch and shelving codes, 852's in a holdings record), and
reaching records already stored when they are read again."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from marc_builders import book
from pymarc import Field, Indicators, Leader, Record, Subfield

from consortium.adapters.memory import InMemoryBlobStore, InMemoryRecordStore
from consortium.errors import ConfigError
from consortium.harvest.renormalize import renormalize
from consortium.harvest.service import HarvestService
from consortium.locations import MOST_LOCATIONS, location_name
from consortium.members import Member, MemberRegistry, Source, load_registry

if TYPE_CHECKING:
    from pathlib import Path

NAMES = {"CPL": "Centerville", "GEN": "General stacks", "gen": "General Collections", "MAIN STACKS": "x"}


@pytest.mark.parametrize(
    ("location", "named"),
    [
        ("gen", "General Collections"),  # one code
        ("CPL GEN", "Centerville, General stacks"),  # Koha's branch and shelving location, as the harvest joins them
        ("CPL REF", "Centerville, REF"),  # a part that is no code kept as it is
        ("Riverside Main Library", "Riverside Main Library"),  # no code in it: the source's own default name
        (None, None),
    ],
)
def test_a_location_has_its_codes_named(location: str | None, named: str | None) -> None:
    assert location_name(location, NAMES) == named
    assert location_name(location, {}) == location


def registry_file(tmp_path: Path, table: str) -> Path:
    path = tmp_path / "members.toml"
    path.write_text(f'[[members]]\nid = "riverside"\nname = "Riverside"\n\n[members.locations]\n{table}\n')
    return path


def test_members_toml_names_locations_and_refuses_a_bad_table_naming_the_code(tmp_path: Path) -> None:
    registry = load_registry(registry_file(tmp_path, 'gen = "General Collections"\nREF = " Reference "'))
    assert registry.get("riverside").locations == {"gen": "General Collections", "REF": "Reference"}
    for table, said in [
        ('gen = ""', "locations.gen"),
        ('"two words" = "A name"', "locations.two words"),
        ("gen = 3", "locations.gen"),
    ]:
        with pytest.raises(ConfigError) as refused:
            load_registry(registry_file(tmp_path, table))
        assert "member 'riverside'" in str(refused.value) and said in str(refused.value), str(refused.value)
    too_many = "\n".join(f'c{n} = "Room {n}"' for n in range(MOST_LOCATIONS + 1))
    with pytest.raises(ConfigError, match="locations"):
        load_registry(registry_file(tmp_path, too_many))


def koha_book(control_number: str) -> Record:
    record = book(control_number, "Concrete mathematics")
    item = [Subfield("a", "CPL"), Subfield("c", "GEN"), Subfield("o", "QA39.2 .G733")]
    record.add_field(Field(tag="952", indicators=Indicators(" ", " "), subfields=item))
    return record


def holdings_record(control_number: str, of: str) -> Record:
    record = Record(leader=Leader("00000nx  a22000001  4500"), force_utf8=True)
    record.add_field(Field(tag="001", data=control_number))
    record.add_field(Field(tag="004", data=of))
    shelf = [Subfield("b", "gen"), Subfield("h", "QA76"), Subfield("i", ".K58")]
    record.add_field(Field(tag="852", indicators=Indicators("0", " "), subfields=shelf))
    return record


def test_holdings_are_named_when_read_and_again_when_the_table_changes(tmp_path: Path) -> None:
    path = tmp_path / "export.mrc"
    records = [koha_book("k1"), book("v1", "The art of computer programming"), holdings_record("h1", "v1")]
    path.write_bytes(b"".join(r.as_marc() for r in records))
    source = Source.model_validate({"id": "s", "protocol": "marc-file", "path": path, "format": "marc21"})
    unnamed = Member(id="riverside", name="Riverside", sources=[source])
    store, archive = InMemoryRecordStore(), InMemoryBlobStore()
    service = HarvestService(store, archive, clock=lambda: datetime(2026, 12, 5, tzinfo=UTC))
    service.harvest_source(unnamed, source)

    def locations() -> dict[str, list[str | None]]:
        return {r.local_id: [h.location for h in r.holdings] for r in store.records()}

    assert locations() == {"k1": ["CPL GEN"], "v1": ["gen"]}
    named = unnamed.model_copy(update={"locations": NAMES})
    report = renormalize(store, archive, MemberRegistry(members=[named]), service.normalize, lambda changes: None)
    assert (report.changed, report.unchanged) == (2, 0)
    assert locations() == {"k1": ["Centerville, General stacks"], "v1": ["General Collections"]}
    again = service.harvest_source(named, source)  # a harvest with the table gives the same: nothing changes
    assert (again.counts.changed, again.counts.unchanged) == (0, 2)
