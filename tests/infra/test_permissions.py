"""policies/permissions.toml: every function's reach, validated (no wildcard, every resource's setting named)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from hubstack.lambdas import API_FUNCTIONS, AUTHORIZER, FUNCTIONS
from hubstack.permissions import PERMISSIONS_FILE, PermissionsError, load_permissions
from hubstack.rebuild import REBUILD

if TYPE_CHECKING:
    from pathlib import Path


def test_every_deployed_function_has_exactly_one_permission_set() -> None:
    sets = load_permissions()
    assert set(sets.functions) == set(API_FUNCTIONS) | set(FUNCTIONS) | {REBUILD, AUTHORIZER.name}  # rebuild: ECS


def test_no_wildcard_action_and_readers_data_only_where_used() -> None:
    sets = load_permissions()
    for name, function in sets.functions.items():
        actions = [a for table in function.dynamodb.values() for a in table] + function.opensearch + function.ses
        actions += [a for key in function.kms.values() for a in key] + [a for q in function.sqs.values() for a in q]
        assert not any("*" in action for action in actions), name
    reaching_readers = {name for name, f in sets.functions.items() if "profiles" in f.dynamodb}
    # cooperation: a reader's loan request notices go to their inbox (and audit)
    # push_evidence: consents and borrow events, read to count loans (counts only leave it)
    # analytics_build: consenting readers' data read under the analytics purpose (counts only leave it)
    assert reaching_readers == {
        "analytics_build",
        "cooperation",
        "members",
        "profile",
        "profile_purge",
        "push",
        "push_shard",
        "push_evidence",
    }
    assert "DeleteItem" in sets.of("profile").dynamodb["reader_secrets"]  # erasure
    assert all(
        "DeleteItem" not in f.dynamodb.get("reader_secrets", []) for n, f in sets.functions.items() if n != "profile"
    )
    assert sets.of("discovery").dynamodb["records"] == ["GetItem", "Query"]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "permissions.toml"
    path.write_text(PERMISSIONS_FILE.read_text("utf-8") + text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('[functions.x]\nsummary = "s"\nsettings = ["records_table"]\ndynamodb.records = ["*"]\n', "no wildcard"),
        ('[functions.x]\nsummary = "s"\nsettings = ["records_table"]\ndynamodb.records = ["Scan"]\n', "'Scan' is not"),
        ('[functions.x]\nsummary = "s"\nsettings = []\ndynamodb.records = ["GetItem"]\n', "records_table"),
        ('[functions.x]\nsummary = "s"\nsettings = ["no_such"]\n', "not a setting"),
        ('[functions.x]\nsummary = "s"\nsettings = []\ndynamodb.everything = ["GetItem"]\n', "dynamodb.everything"),
        (
            '[functions.x]\nsummary = "s"\nsettings = ["kms_key_id", "reader_secrets_table"]\n'
            'kms.readers = ["Encrypt"]\n',
            "'Encrypt' is not",
        ),
    ],
)
def test_a_bad_permission_set_is_refused_naming_the_function_and_field(
    tmp_path: Path, extra: str, message: str
) -> None:
    with pytest.raises(PermissionsError, match=message) as caught:
        load_permissions(_write(tmp_path, "\n" + extra))
    assert "function 'x'" in str(caught.value)


def test_a_permissions_file_not_in_utf8_is_a_permissions_error(tmp_path: Path) -> None:
    path = tmp_path / "permissions.toml"
    path.write_bytes(PERMISSIONS_FILE.read_bytes() + b"# \xe9\n")
    with pytest.raises(PermissionsError, match="can't decode byte 0xe9"):
        load_permissions(path)
