"""Member API keys (their hashes) in a DynamoDB table (the record store's key schema).

==========================  ==========================  ======================
item                        ``pk``                      ``sk``
==========================  ==========================  ======================
a key, by id                ``APIKEY#<key_id>``         ``KEY``
a key, in its member's list ``APIKEYS#<member>``        ``<key_id>``
==========================  ==========================  ======================

Both items hold the key as JSON in ``body``; the one by id is written first and is what verification reads, so a
revocation takes effect even if the list's copy were not yet written.
"""

from __future__ import annotations

from consortium.adapters.aws.dynamodb_common import DynamoDbStore, item, key_of
from consortium.auth.api_keys import ApiKey

__all__ = ["DynamoDbApiKeyStore"]


class DynamoDbApiKeyStore(DynamoDbStore):
    """An :class:`~consortium.auth.ports.ApiKeyStore` in a DynamoDB table (see the module notes).

    Example
    -------
    >>> store = DynamoDbApiKeyStore("consortium-records", boto3.client("dynamodb"))
    >>> store.put(key)
    """

    def put(self, key: ApiKey) -> None:
        """Keep ``key`` (a new one, or the same id revoked)."""
        body = key.model_dump_json()
        self._table.put(item(key_of(f"APIKEY#{key.key_id}", "KEY"), body=body), "put API key")
        self._table.put(item(key_of(f"APIKEYS#{key.member}", key.key_id), body=body), "list API key")

    def get(self, key_id: str) -> ApiKey | None:
        """The key with id ``key_id``, or ``None``."""
        found = self._table.get(key_of(f"APIKEY#{key_id}", "KEY"), "read API key")
        return None if found is None else ApiKey.model_validate_json(found["body"]["S"])

    def list(self, member: str) -> list[ApiKey]:
        """The member's keys, oldest first, revoked ones too."""
        rows = self._table.query(f"APIKEYS#{member}", action="list API keys")
        keys = [ApiKey.model_validate_json(row["body"]["S"]) for row in rows]
        return sorted(keys, key=lambda key: (key.created_at, key.key_id))
