"""The consent policy file: the shipped one loads, and invalid ones are refused naming purpose, field and reason."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from consortium.errors import ConfigError
from consortium.profiles.consent import DataKind, Purpose, load_consent_policy

SHIPPED = Path(__file__).resolve().parents[2] / "policies" / "consent.toml"
HAN = re.compile(r"[\u4e00-\u9fff]")


def shipped_data() -> dict[str, Any]:
    return tomllib.loads(SHIPPED.read_text(encoding="utf-8"))


def dumps(data: dict[str, Any], prefix: str = "") -> str:
    """TOML for the shapes a policy has (JSON scalars and lists of them are valid TOML values)."""
    lines = [
        f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in data.items() if not isinstance(value, dict)
    ]
    for key, value in data.items():
        if isinstance(value, dict):
            name = f"{prefix}{key}"
            lines.append(f"\n[{name}]")
            lines.append(dumps(value, f"{name}."))
    return "\n".join(lines)


def refused(tmp_path: Path, data: dict[str, Any]) -> str:
    path = tmp_path / "consent.toml"
    path.write_text(dumps(data), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_consent_policy(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    return message


def test_shipped_policy_loads() -> None:
    policy = load_consent_policy(SHIPPED)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", policy.policy_version)
    assert policy.version == policy.policy_version
    assert list(policy.purposes) == list(Purpose)
    for purpose, rules in policy.purposes.items():
        assert len(rules.description_en) > 80, purpose
        assert len(HAN.findall(rules.description_zh)) > 30, purpose
        assert rules.data, purpose
        assert rules.retention_days > 0, purpose
    personalization = policy.purposes[Purpose.PERSONALIZATION]
    assert DataKind.EVENTS in personalization.data
    assert personalization.retention_days == 365
    assert DataKind.PUSH_HISTORY in policy.purposes[Purpose.PUSH].data


def test_path_may_be_a_string() -> None:
    assert load_consent_policy(str(SHIPPED)).purposes.keys() == set(Purpose)


def test_dumps_round_trips_the_shipped_policy() -> None:
    assert tomllib.loads(dumps(shipped_data())) == shipped_data()


def test_missing_purpose(tmp_path: Path) -> None:
    data = shipped_data()
    del data["purposes"]["push"]
    assert "purpose 'push': missing" in refused(tmp_path, data)


def test_zero_retention(tmp_path: Path) -> None:
    data = shipped_data()
    data["purposes"]["push"]["retention_days"] = 0
    message = refused(tmp_path, data)
    assert "purpose 'push', field 'retention_days': Input should be greater than 0" in message


def test_retention_must_be_a_whole_number_of_days(tmp_path: Path) -> None:
    data = shipped_data()
    data["purposes"]["analytics"]["retention_days"] = "90"
    assert "purpose 'analytics', field 'retention_days': Input should be a valid integer" in refused(tmp_path, data)


def test_unknown_data_kind(tmp_path: Path) -> None:
    data = shipped_data()
    data["purposes"]["analytics"]["data"] = ["events", "location"]
    message = refused(tmp_path, data)
    assert "purpose 'analytics', field 'data', item 2: Input should be" in message
    assert "'loans'" in message


def test_repeated_data_kind(tmp_path: Path) -> None:
    data = shipped_data()
    data["purposes"]["analytics"]["data"] = ["events", "events"]
    assert "purpose 'analytics', field 'data': lists events more than once" in refused(tmp_path, data)


def test_unknown_purpose(tmp_path: Path) -> None:
    data = shipped_data()
    data["purposes"]["marketing"] = {"description_en": "Sell things."}
    message = refused(tmp_path, data)
    assert "purpose 'marketing': not a known purpose" in message
    assert "purpose 'marketing', field" not in message
    assert "personalization, push, consortium_sharing, analytics" in message


def test_extra_field_in_a_purpose(tmp_path: Path) -> None:
    data = shipped_data()
    data["purposes"]["consortium_sharing"]["share_with_publishers"] = True
    message = refused(tmp_path, data)
    assert "purpose 'consortium_sharing', field 'share_with_publishers': Extra inputs are not permitted" in message


def test_extra_top_level_field(tmp_path: Path) -> None:
    data = shipped_data()
    data["owner"] = "someone"
    assert "field 'owner': Extra inputs are not permitted" in refused(tmp_path, data)


def test_missing_field(tmp_path: Path) -> None:
    data = shipped_data()
    del data["purposes"]["personalization"]["description_zh"]
    assert "purpose 'personalization', field 'description_zh': Field required" in refused(tmp_path, data)


def test_chinese_description_must_be_chinese(tmp_path: Path) -> None:
    data = shipped_data()
    data["purposes"]["push"]["description_zh"] = "Send you news."
    assert "purpose 'push', field 'description_zh': must be written in Chinese" in refused(tmp_path, data)


def test_policy_version_must_be_a_date(tmp_path: Path) -> None:
    data = shipped_data()
    data["policy_version"] = "2026-13-01"
    assert "field 'policy_version': is not a real date" in refused(tmp_path, data)
    data["policy_version"] = "v2"
    assert "field 'policy_version': must be the date the policy took effect" in refused(tmp_path, data)


def test_several_errors_are_all_named(tmp_path: Path) -> None:
    data = shipped_data()
    data["purposes"]["push"]["retention_days"] = -1
    data["purposes"]["analytics"]["data"] = []
    message = refused(tmp_path, data)
    assert "purpose 'push', field 'retention_days'" in message
    assert "purpose 'analytics', field 'data'" in message


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the consent policy"):
        load_consent_policy(tmp_path / "absent.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("policy_version = \n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_consent_policy(bad)
