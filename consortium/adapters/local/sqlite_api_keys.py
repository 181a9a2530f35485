"""Member API keys (their hashes) in the hub's SQLite database."""

from __future__ import annotations

from consortium.adapters.local.sqlite_common import Schema, SqliteAdapter
from consortium.auth.api_keys import ApiKey

__all__ = ["SqliteApiKeyStore"]

_SCHEMA = Schema(
    "api_keys",
    steps=(
        (
            """CREATE TABLE api_keys (
                key_id  TEXT PRIMARY KEY,
                member  TEXT NOT NULL,
                body    TEXT NOT NULL
            )""",
            "CREATE INDEX api_keys_member ON api_keys (member)",
        ),
    ),
)


class SqliteApiKeyStore(SqliteAdapter):
    """An :class:`~consortium.auth.ports.ApiKeyStore` in one table (each key as JSON, hash included).

    Example
    -------
    >>> store = SqliteApiKeyStore.open(settings.sqlite_path)
    >>> store.put(key)
    >>> store.get(key.key_id) == key
    True
    """

    _schema = _SCHEMA
    _what = "API key database"

    def put(self, key: ApiKey) -> None:
        """Keep ``key`` (a new one, or the same id revoked)."""
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO api_keys (key_id, member, body) VALUES (?, ?, ?) "
                "ON CONFLICT (key_id) DO UPDATE SET body = excluded.body",
                (key.key_id, key.member, key.model_dump_json()),
            )

    def get(self, key_id: str) -> ApiKey | None:
        """The key with id ``key_id``, or ``None``."""
        with self._errors():
            row = self._conn.execute("SELECT body FROM api_keys WHERE key_id = ?", (key_id,)).fetchone()
        return None if row is None else ApiKey.model_validate_json(row[0])

    def list(self, member: str) -> list[ApiKey]:
        """The member's keys, oldest first, revoked ones too."""
        with self._errors():
            rows = self._conn.execute("SELECT body FROM api_keys WHERE member = ?", (member,)).fetchall()
        keys = [ApiKey.model_validate_json(row[0]) for row in rows]
        return sorted(keys, key=lambda key: (key.created_at, key.key_id))
