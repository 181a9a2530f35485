"""The ContextSecrets contract: the memory and DynamoDB (on moto) secret stores behave the same.

The local key file keeps its context secrets itself (one file each, beside the key file); the key service suite
covers them through :class:`~consortium.adapters.local.key_file.LocalKeyFileService`.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import pytest

from consortium.adapters.memory import InMemoryContextSecrets
from consortium.profiles.crypto import reader_context
from consortium.profiles.ports import KeyServiceError

if TYPE_CHECKING:
    from collections.abc import Callable

    from consortium.profiles.ports import ContextSecrets


def reader() -> str:
    return f"reader-{uuid.uuid4().hex[:12]}"


def secrets_table(aws_client: Callable[[str], Any]) -> str:
    from consortium.adapters.aws import create_secrets_table

    table = f"reader-secrets-{uuid.uuid4().hex[:8]}"
    create_secrets_table(aws_client("dynamodb"), table)
    return table


@pytest.fixture(params=["memory", "dynamodb"])
def secrets(request: pytest.FixtureRequest) -> ContextSecrets:
    if request.param == "memory":
        return InMemoryContextSecrets()
    from consortium.adapters.aws import DynamoDbContextSecrets

    aws_client: Callable[[str], Any] = request.getfixturevalue("aws_client")
    return DynamoDbContextSecrets(secrets_table(aws_client), aws_client("dynamodb"))


def test_no_secret_until_one_is_made(secrets: ContextSecrets) -> None:
    context = reader_context(reader())
    assert secrets.get(context, create=False) is None
    made = secrets.get(context, create=True)
    assert made is not None and len(made) == 32
    assert secrets.get(context, create=False) == made
    assert secrets.get(context, create=True) == made  # asking to create again keeps the first


def test_each_context_has_its_own_secret_whatever_its_key_order(secrets: ContextSecrets) -> None:
    one, two = reader_context(reader()), reader_context(reader())
    assert secrets.get(one, create=True) != secrets.get(two, create=True)
    wide = {"consortium:reader": "r1", "consortium:purpose": "push"}
    same = {"consortium:purpose": "push", "consortium:reader": "r1"}
    assert secrets.get(wide, create=True) == secrets.get(same, create=False)
    assert secrets.get({"consortium:reader": "r1"}, create=False) is None  # a narrower context is another one


def test_destroy_forgets_the_secret_and_a_new_one_differs(secrets: ContextSecrets) -> None:
    context, other = reader_context(reader()), reader_context(reader())
    old = secrets.get(context, create=True)
    kept = secrets.get(other, create=True)
    secrets.destroy(context)
    secrets.destroy(context)  # twice does no harm
    secrets.destroy(reader_context(reader()))  # nor destroying what was never made
    assert secrets.get(context, create=False) is None
    assert secrets.get(other, create=False) == kept
    assert secrets.get(context, create=True) not in (None, old)


def test_racing_creators_get_the_same_secret(secrets: ContextSecrets) -> None:
    context = reader_context(reader())
    with ThreadPoolExecutor(max_workers=4) as pool:
        made = list(pool.map(lambda _: secrets.get(context, create=True), range(8)))
    assert made[0] is not None and made == [made[0]] * 8


# -- DynamoDB only ---------------------------------------------------------------------------------


def test_dynamodb_table_has_no_backups_and_no_reader_id(aws_client: Callable[[str], Any]) -> None:
    from consortium.adapters.aws import DynamoDbContextSecrets, create_secrets_table

    client = aws_client("dynamodb")
    table = secrets_table(aws_client)
    client.update_continuous_backups(
        TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    create_secrets_table(client, table)  # made again: kept, and point-in-time recovery turned off
    backups = client.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "DISABLED"

    rid = reader()
    DynamoDbContextSecrets(table, client).get(reader_context(rid), create=True)
    (stored,) = client.scan(TableName=table)["Items"]
    assert set(stored) == {"pk", "secret"}
    assert rid not in str(stored)


def test_dynamodb_failures_are_key_service_errors(aws_client: Callable[[str], Any]) -> None:
    from botocore.exceptions import ClientError

    from consortium.adapters.aws import DynamoDbContextSecrets

    missing = DynamoDbContextSecrets(f"missing-{uuid.uuid4().hex[:8]}", aws_client("dynamodb"))
    for call in (
        lambda: missing.get(reader_context(reader()), create=True),
        lambda: missing.get(reader_context(reader()), create=False),
        lambda: missing.destroy(reader_context(reader())),
    ):
        with pytest.raises(KeyServiceError, match=missing.table_name) as caught:
            call()
        assert isinstance(caught.value.__cause__, ClientError)
        assert not caught.value.retryable  # a missing table stays missing


def test_dynamodb_secret_of_the_wrong_length_is_refused(aws_client: Callable[[str], Any]) -> None:
    from consortium.adapters.aws import DynamoDbContextSecrets

    client = aws_client("dynamodb")
    secrets = DynamoDbContextSecrets(secrets_table(aws_client), client)
    context = reader_context(reader())
    secrets.get(context, create=True)
    (stored,) = client.scan(TableName=secrets.table_name)["Items"]
    client.put_item(TableName=secrets.table_name, Item={"pk": stored["pk"], "secret": {"B": b"short"}})
    with pytest.raises(KeyServiceError, match="not 32 bytes") as caught:
        secrets.get(context, create=False)
    assert not caught.value.retryable
