"""Where the local key file lives: outside the data folder by default, a refusal to start with it inside (unless
allowed for a demo), and keys found in the old place (``DATA_DIR/keys``) never silently replaced."""

from __future__ import annotations

import shutil
import stat
from typing import TYPE_CHECKING

import pytest

from consortium.adapters.local.key_location import check_key_location, move_legacy_keys
from consortium.bootstrap import bootstrap
from consortium.config import Settings
from consortium.errors import ConfigError, ConflictError
from consortium.profiles.consent import Purpose
from consortium.profiles.models import Actor, ActorRole
from consortium.profiles.ports import DecryptionError

if TYPE_CHECKING:
    from pathlib import Path

READER = Actor(actor_id="r1", role=ActorRole.READER)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A per-user data home of its own, and no key setting from outside."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home-data"))
    monkeypatch.delenv("CONSORTIUM_KEY_DIR", raising=False)
    monkeypatch.delenv("CONSORTIUM_ALLOW_KEYS_IN_DATA_DIR", raising=False)
    return tmp_path / "home-data"


def test_by_default_keys_live_in_the_users_data_home_not_in_the_data_folder(home: Path, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var")
    assert settings.key_file.is_relative_to(home / "consortium" / "keys")
    assert not settings.key_file.resolve().is_relative_to((tmp_path / "var").resolve())
    check_key_location(settings)  # no refusal


def test_two_data_folders_do_not_share_a_key_folder(home: Path, tmp_path: Path) -> None:
    """Erasing a demo reader in one data folder must not shred the same reader id's key in another."""
    one = Settings(data_dir=tmp_path / "one" / "var").key_file
    two = Settings(data_dir=tmp_path / "two" / "var").key_file
    assert one != two
    assert one.parent.name.startswith("var-")


def test_the_default_key_folder_is_made_owner_only(home: Path, tmp_path: Path) -> None:
    hub = bootstrap(Settings(data_dir=tmp_path / "var"))
    hub.profiles.create_reader("r1", "riverside", [Purpose.PUSH])
    folder = hub.settings.key_file.parent
    assert hub.settings.key_file.is_file()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert not (tmp_path / "var" / "keys").exists()


def test_a_key_folder_inside_the_data_folder_is_refused_in_one_line(home: Path, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var", key_dir=tmp_path / "var" / "secrets")
    with pytest.raises(ConfigError) as refused:
        bootstrap(settings).key_service  # noqa: B018 - building it is the check
    message = str(refused.value)
    assert "\n" not in message
    for needed in (str(tmp_path / "var" / "secrets"), str(tmp_path / "var"), "CONSORTIUM_KEY_DIR"):
        assert needed in message
    assert "CONSORTIUM_ALLOW_KEYS_IN_DATA_DIR" in message


def test_a_demo_may_keep_its_keys_in_the_data_folder_when_allowed(home: Path, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var", key_dir=tmp_path / "var" / "keys", allow_keys_in_data_dir=True)
    hub = bootstrap(settings)
    hub.profiles.create_reader("r1", "riverside", [Purpose.PUSH])
    assert (tmp_path / "var" / "keys" / "kek.json").is_file()


def old_hub(tmp_path: Path) -> Settings:
    """A data folder made before the key setting: its keys in ``var/keys``, one reader."""
    old = Settings(data_dir=tmp_path / "var", key_dir=tmp_path / "var" / "keys", allow_keys_in_data_dir=True)
    profiles = bootstrap(old).profiles
    profiles.create_reader("r1", "riverside", [Purpose.PUSH])
    profiles.put_profile("r1", {"note": "kept"}, READER)
    return Settings(data_dir=tmp_path / "var")


def test_keys_in_the_old_place_stop_the_start_and_say_how_to_move_them(home: Path, tmp_path: Path) -> None:
    settings = old_hub(tmp_path)
    with pytest.raises(ConfigError, match="consortium keys move") as refused:
        bootstrap(settings).key_service  # noqa: B018
    assert str(tmp_path / "var" / "keys") in str(refused.value)
    assert not settings.key_file.exists()  # no new key beside the old data


def test_moving_the_old_keys_keeps_every_reader_readable(home: Path, tmp_path: Path) -> None:
    settings = old_hub(tmp_path)
    moved = move_legacy_keys(settings)
    assert moved == settings.key_file.parent
    assert not (tmp_path / "var" / "keys").exists()
    assert bootstrap(settings).profiles.get_profile("r1", READER) == {"note": "kept"}


def test_moving_refuses_to_overwrite_keys_already_there(home: Path, tmp_path: Path) -> None:
    settings = old_hub(tmp_path)
    settings.key_file.parent.mkdir(parents=True)
    settings.key_file.write_text("{}")
    with pytest.raises(ConflictError, match="already has keys"):
        move_legacy_keys(settings)
    assert (tmp_path / "var" / "keys" / "kek.json").is_file()


def hub_with_a_reader(tmp_path: Path) -> Settings:
    """A data folder ``var`` with its keys in ``keys``, one reader with a profile; closed, as for a backup."""
    settings = Settings(data_dir=tmp_path / "var", key_dir=tmp_path / "keys")
    hub = bootstrap(settings)
    hub.profiles.create_reader("r1", "riverside", [Purpose.PUSH])
    hub.profiles.put_profile("r1", {"note": "kept"}, READER)
    hub.close()
    return settings


def test_a_data_folder_restored_without_its_key_folder_is_refused_not_given_new_keys(
    home: Path, tmp_path: Path
) -> None:
    """A backup restored elsewhere looks for its keys in that place's default key folder: empty. A new key file
    made there would never open the readers restored, and readers made under it would be lost once the right
    key folder is named; the hub refuses instead, saying which setting names the keys."""
    made = hub_with_a_reader(tmp_path)
    shutil.copytree(made.data_dir, tmp_path / "restored")
    restored = Settings(data_dir=tmp_path / "restored")
    with pytest.raises(ConfigError) as refused:
        bootstrap(restored).key_service  # noqa: B018 - building it is the check
    message = str(refused.value)
    assert "\n" not in message
    for needed in (str(tmp_path / "restored"), str(restored.key_file.parent), "CONSORTIUM_KEY_DIR"):
        assert needed in message
    assert not restored.key_file.exists()
    with_keys = Settings(data_dir=tmp_path / "restored", key_dir=made.key_dir)
    assert bootstrap(with_keys).profiles.get_profile("r1", READER) == {"note": "kept"}


def test_a_fresh_data_folder_and_one_whose_readers_were_all_erased_make_their_keys(home: Path, tmp_path: Path) -> None:
    check_key_location(Settings(data_dir=tmp_path / "fresh"))
    made = hub_with_a_reader(tmp_path)
    hub = bootstrap(made)
    hub.profiles.erase("r1", READER)
    hub.close()
    check_key_location(Settings(data_dir=made.data_dir))  # no key to open: nothing lost by a new key file


def test_a_key_file_of_another_hub_is_named_when_it_cannot_open_a_reader(home: Path, tmp_path: Path) -> None:
    made = hub_with_a_reader(tmp_path)
    other = Settings(data_dir=tmp_path / "other", key_dir=tmp_path / "other-keys")
    bootstrap(other).profiles.create_reader("r2", "riverside", [Purpose.PUSH])  # makes the other key file
    crossed = Settings(data_dir=made.data_dir, key_dir=other.key_dir)
    with pytest.raises(DecryptionError) as refused:
        bootstrap(crossed).profiles.get_profile("r1", READER)
    assert str(other.key_file) in str(refused.value) and "CONSORTIUM_KEY_DIR" in str(refused.value)
