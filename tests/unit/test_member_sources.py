"""Members' sources: members.toml with the changes a member makes through the API on top (add, change, pause,
resume), each validated as the file is, and seen by the next harvest."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from consortium.adapters.memory import InMemorySourceOverrideStore, ManualClock
from consortium.errors import ConfigError, ConflictError, NotFoundError, ValidationError
from consortium.harvest.sweep import FailureLog, harvest_sources
from consortium.members import Source, load_registry
from consortium.registry import MemberSources, SourceChange, SourceOrigin

T0 = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)

REGISTRY = """
[[members]]
id = "riverside"
name = "Riverside University Library"

[[members.sources]]
id = "catalogue"
protocol = "marc-file"
path = "samples/riverside.mrc"
format = "marc21"
location = "Main stacks"
holdings = "samples/riverside-mfhd.mrc"

[[members.sources]]
id = "oai"
protocol = "oai-pmh"
url = "https://library.riverside.example/oai"
format = "marcxml"

[[members]]
id = "lakeside"
name = "Lakeside Public Library"
"""


@pytest.fixture
def sources(tmp_path: Path) -> MemberSources:
    (tmp_path / "members.toml").write_text(REGISTRY, encoding="utf-8")
    return MemberSources(
        lambda: load_registry(tmp_path / "members.toml"),
        InMemorySourceOverrideStore(),
        files_root=tmp_path / "member-files",
        clock=ManualClock(T0),
    )


FILE = {"id": "f", "protocol": "marc-file", "format": "marc21"}
OAI = {"id": "serials", "protocol": "oai-pmh", "url": "https://oai.lakeside.example/provider", "format": "oai_dc"}


def test_the_files_sources_are_listed_as_the_files(sources: MemberSources) -> None:
    catalogue, oai = sources.sources("riverside")
    assert (catalogue.origin, catalogue.version, catalogue.updated_by) == (SourceOrigin.FILE, 0, None)
    assert catalogue.source.path == Path("riverside.mrc")  # the hub's own folders are not shown
    assert catalogue.source.holdings == Path("riverside-mfhd.mrc")
    assert oai.source.metadata_prefix == "marc21"
    assert sources.registry().get("riverside").source("catalogue").path.is_absolute()  # type: ignore[union-attr]
    assert sources.sources("lakeside") == []
    with pytest.raises(NotFoundError, match="no member 'nowhere'"):
        sources.sources("nowhere")
    with pytest.raises(NotFoundError, match="member 'riverside' has no source 'x'"):
        sources.source("riverside", "x")


def test_add_a_source_and_every_harvest_sees_it(sources: MemberSources) -> None:
    added = sources.add("lakeside", Source.model_validate(OAI), actor_id="key-lakeside-1")
    assert (added.origin, added.version, added.updated_by, added.updated_at) == (
        SourceOrigin.API,
        1,
        "key-lakeside-1",
        T0,
    )
    assert added.source.metadata_prefix == "oai_dc"
    assert [s.id for s in sources.registry().get("lakeside").sources] == ["serials"]
    assert [s.id for s in sources.member("lakeside").sources] == ["serials"]
    with pytest.raises(ConflictError, match="member 'lakeside' has a source 'serials' already"):
        sources.add("lakeside", OAI, actor_id="key-lakeside-1")
    with pytest.raises(ConflictError, match="member 'riverside' has a source 'catalogue' already"):
        sources.add("riverside", {**OAI, "id": "catalogue"}, actor_id="k")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({**OAI, "format": "mods"}, "field 'format': Input should be"),
        ({**OAI, "url": "ftp://x"}, "field 'url': must be an http(s) base URL (http:// or https://), not 'ftp'"),
        ({k: v for k, v in OAI.items() if k != "url"}, "an oai-pmh source needs 'url', an http(s) base URL"),
        ({**OAI, "schedule": "every day"}, "field 'schedule': must be an EventBridge expression"),
        ({**OAI, "id": "Serials!"}, "field 'id': must be lowercase letters"),
        ({**OAI, "colour": "blue"}, "field 'colour': not a field of a source"),
        ({k: v for k, v in OAI.items() if k != "id"}, "field 'id': Field required"),
        ({**OAI, "url": "http://127.0.0.1:8000/oai"}, "field 'url': 127.0.0.1 is this machine or a private network"),
        ({**OAI, "url": "http://169.254.169.254/latest"}, "field 'url': 169.254.169.254 is this machine"),
        ({**OAI, "url": "https://localhost/oai"}, "field 'url': localhost is this machine"),
        ({**OAI, "url": "http://[::1]/oai"}, "field 'url': ::1 is this machine"),
        (
            {"id": "f", "protocol": "marc-file", "format": "marc21", "path": "/etc/passwd"},
            "field 'path': must be a file",
        ),
        ({"id": "f", "protocol": "marc-file", "format": "marc21", "path": "../riverside/x.mrc"}, "field 'path'"),
        ({"id": "f", "protocol": "marc-file", "format": "marc21"}, "a marc-file source needs 'path'"),
    ],
)
def test_a_bad_source_is_refused_naming_the_field(sources: MemberSources, body: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        sources.add("lakeside", body, actor_id="k")
    assert sources.sources("lakeside") == []


def test_private_urls_when_the_hub_allows_them(tmp_path: Path, sources: MemberSources) -> None:
    sources.allow_private_urls = True
    added = sources.add("lakeside", {**OAI, "url": "http://127.0.0.1:8000/oai"}, actor_id="k")
    assert added.source.url == "http://127.0.0.1:8000/oai"


def test_a_file_source_loads_a_file_in_the_members_own_folder(tmp_path: Path, sources: MemberSources) -> None:
    body = {"id": "dump", "protocol": "marc-file", "format": "marc21", "path": "exports/cat.mrc"}
    shown = sources.add("lakeside", body, actor_id="k")
    assert shown.source.path == Path("exports/cat.mrc")
    real = sources.registry().get("lakeside").source("dump").path
    assert real == (tmp_path / "member-files" / "lakeside" / "exports" / "cat.mrc").resolve()
    sources.files_root = None  # a hub without member folders (AWS): no file names from members at all
    with pytest.raises(ValidationError, match="field 'path': this hub loads no files a member names"):
        sources.add("lakeside", {**body, "id": "dump2"}, actor_id="k")


def test_change_sets_only_the_fields_given_and_counts_versions(sources: MemberSources) -> None:
    changed = sources.change("riverside", "oai", SourceChange(set="books", schedule="rate(2 days)"), actor_id="k1")
    assert (changed.origin, changed.version, changed.updated_by) == (SourceOrigin.FILE_AND_API, 1, "k1")
    assert (changed.source.set, changed.source.schedule) == ("books", "rate(2 days)")
    assert changed.source.url == "https://library.riverside.example/oai"  # the file's, untouched
    again = sources.change("riverside", "oai", SourceChange(set=None), actor_id="k2", expected_version=1)
    assert (again.version, again.source.set, again.source.schedule) == (2, None, "rate(2 days)")
    with pytest.raises(ConflictError, match="is at version 2, not 1: it was changed in between"):
        sources.change("riverside", "oai", SourceChange(set="x"), actor_id="k", expected_version=1)
    with pytest.raises(ValidationError, match="field 'schedule': must be an EventBridge expression"):
        sources.change("riverside", "oai", SourceChange(schedule="daily"), actor_id="k")
    with pytest.raises(ValidationError, match="an oai-pmh source has format 'marcxml' or 'oai_dc'"):
        sources.change("riverside", "oai", SourceChange(format="kbart"), actor_id="k")
    assert sources.source("riverside", "oai").version == 2  # refused changes keep nothing
    with pytest.raises(NotFoundError, match="has no source 'nope'"):
        sources.change("riverside", "nope", SourceChange(set="x"), actor_id="k")


def test_a_change_of_format_or_protocol_drops_what_belonged_to_the_old_one(sources: MemberSources) -> None:
    dc = sources.change("riverside", "oai", SourceChange(format="oai_dc"), actor_id="k")
    assert dc.source.metadata_prefix == "oai_dc"  # defaulted again, not the file's marc21
    change = SourceChange(protocol="marc-file", format="marc21", path="full.mrc")
    moved = sources.change("riverside", "oai", change, actor_id="k")
    assert (moved.source.url, moved.source.path, moved.source.metadata_prefix) == (None, Path("full.mrc"), None)


def test_a_member_says_its_file_holds_increments_and_clears_it_to_change_protocol(sources: MemberSources) -> None:
    assert sources.registry().get("riverside").source("catalogue").withdraws_absent  # complete files by default
    changed = sources.change("riverside", "catalogue", SourceChange(file="increments"), actor_id="k")
    assert changed.source.file == "increments"
    assert not sources.registry().get("riverside").source("catalogue").withdraws_absent
    with pytest.raises(ValidationError, match="field 'file': is for file sources"):
        sources.change("riverside", "oai", SourceChange(file="complete"), actor_id="k")
    change = SourceChange(protocol="oai-pmh", format="marcxml", url="https://library.riverside.example/oai2")
    with pytest.raises(ValidationError, match="field 'file': is for file sources"):  # the member set it: it says so
        sources.change("riverside", "catalogue", change, actor_id="k")
    moved = sources.change("riverside", "catalogue", SourceChange(**change.given(), file=None), actor_id="k")
    assert (moved.source.file, moved.source.withdraws_absent) == (None, False)


def test_pause_and_resume_and_the_sweep_skips_a_paused_source(tmp_path: Path, sources: MemberSources) -> None:
    paused = sources.pause("riverside", "catalogue", actor_id="k", reason="  moving to a new ILS ")
    assert paused.source.paused and paused.source.paused_reason == "moving to a new ILS"
    member = sources.registry().get("riverside")
    harvested: list[str] = []

    def harvest(member: object, source: Source) -> str:
        harvested.append(source.id)
        return source.id

    pairs = [(member, s) for s in member.sources]
    reports, failed = harvest_sources(pairs, harvest, FailureLog(tmp_path / "f.json"), ManualClock(T0))  # type: ignore[arg-type]
    assert harvested == ["oai"] and failed == []
    assert reports[0].paused == "paused: moving to a new ILS"  # type: ignore[attr-defined]
    resumed = sources.resume("riverside", "catalogue", actor_id="k", expected_version=1)
    assert (resumed.version, resumed.source.paused, resumed.source.paused_reason) == (2, False, None)
    assert not sources.registry().get("riverside").source("catalogue").paused


def test_the_operators_later_edits_of_the_file_take_effect(tmp_path: Path, sources: MemberSources) -> None:
    sources.change("riverside", "oai", SourceChange(set="books"), actor_id="k")
    text = REGISTRY.replace("https://library.riverside.example/oai", "https://new.riverside.example/oai")
    (tmp_path / "members.toml").write_text(text, encoding="utf-8")
    oai = sources.registry().get("riverside").source("oai")
    assert (oai.url, oai.set) == ("https://new.riverside.example/oai", "books")
    # The operator drops the source: the member's change of it goes with it (and is ignored, not an error).
    (tmp_path / "members.toml").write_text(text.split('[[members.sources]]\nid = "oai"')[0] + _LAKESIDE)
    assert [s.id for s in sources.registry().get("riverside").sources] == ["catalogue"]


_LAKESIDE = """
[[members]]
id = "lakeside"
name = "Lakeside Public Library"
"""


def test_an_override_that_no_longer_fits_the_file_names_the_fix(tmp_path: Path, sources: MemberSources) -> None:
    sources.change("riverside", "catalogue", SourceChange(format="unimarc"), actor_id="k")
    kbart = 'protocol = "kbart-file"\npath = "samples/riverside.txt"\nformat = "kbart"'
    text = REGISTRY.replace('protocol = "marc-file"\npath = "samples/riverside.mrc"\nformat = "marc21"', kbart)
    text = text.replace('holdings = "samples/riverside-mfhd.mrc"\n', "")  # a KBART file has no holdings records
    (tmp_path / "members.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="consortium members revert riverside catalogue"):
        sources.registry()
    sources.revert("riverside", "catalogue")
    assert sources.registry().get("riverside").source("catalogue").format == "kbart"
    with pytest.raises(NotFoundError, match="changed nothing of a source 'catalogue'"):
        sources.revert("riverside", "catalogue")


def test_a_change_without_expected_version_is_tried_again_when_another_got_in(sources: MemberSources) -> None:
    store = sources.store
    assert isinstance(store, InMemorySourceOverrideStore)
    real_save = store.save
    raced: list[int] = []

    def save_after_another(override):  # type: ignore[no-untyped-def]
        if not raced:
            raced.append(1)
            real_save(override)  # another change of the same version lands first
        real_save(override)

    store.save = save_after_another  # type: ignore[method-assign]
    changed = sources.change("riverside", "oai", SourceChange(set="books"), actor_id="k")
    assert changed.version == 2


def test_a_change_of_format_drops_the_files_holdings_file(sources: MemberSources) -> None:
    # The holdings file is written in the source's format: another format, and it is no longer read.
    assert sources.registry().get("riverside").source("catalogue").holdings is not None
    sources.change("riverside", "catalogue", SourceChange(format="marcxml"), actor_id="k")
    assert sources.registry().get("riverside").source("catalogue").holdings is None
