"""What the SQLite adapters share: opening a database file, migrating its schema, one write transaction, and
SQLite errors turned into ours.

Migrations
    Each store describes its tables as a :class:`Schema`: a name and an ordered list of steps, each step some SQL
    statements or a function of the connection. :func:`migrate` runs the steps a database has not had yet, in
    order, each in its own write transaction together with the record of it, so a crash leaves a database at
    one step or the next, never between. What ran is kept in the table ``schema_migrations`` (one row per
    schema: its name and how many steps it has had), not in ``PRAGMA user_version``, because several stores may
    share one file.

    A database made before this table existed records nothing; the first :func:`migrate` asks the schema's
    ``legacy`` function how many of its steps such a file already has (usually: its tables are there, so the
    first step). A database whose schema is newer than the code (more steps recorded than it knows) is refused.
    Never change a step once released; add one.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, TypeAlias, TypeVar

from consortium.adapters.local.sqlite_gate import WriteGate, write_gate
from consortium.errors import StorageError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from contextlib import AbstractContextManager
    from pathlib import Path
    from typing import Self

__all__ = [
    "Schema",
    "SqliteAdapter",
    "Step",
    "has_column",
    "has_table",
    "legacy_table",
    "migrate",
    "open_database",
    "schema_version",
    "storage_errors",
    "write_transaction",
]

T = TypeVar("T")

Step: TypeAlias = "tuple[str, ...] | Callable[[sqlite3.Connection], None]"
"""One migration step: SQL statements run in order, or a function given the connection (inside the step's
transaction; it must not commit)."""


def _no_legacy(conn: sqlite3.Connection) -> int:
    return 0


@dataclass(frozen=True)
class Schema:
    """A store's tables as an ordered list of migration steps (see the module notes).

    Parameters
    ----------
    name
        The schema's row in ``schema_migrations``; unique among the stores that may share a file.
    steps
        The steps, oldest first. Step ``n`` (counting from 1) runs on a database that has had ``n - 1``.
    legacy
        For a database with tables but no ``schema_migrations`` row (made before migrations were recorded): how
        many steps it already has. By default none.

    Example
    -------
    >>> NOTES = Schema("notes", steps=(("CREATE TABLE notes (id TEXT PRIMARY KEY, body TEXT NOT NULL)",),))
    >>> migrate(conn, NOTES, "notes database")
    1
    """

    name: str
    steps: tuple[Step, ...]
    legacy: Callable[[sqlite3.Connection], int] = _no_legacy


_CREATE_RECORD = "CREATE TABLE IF NOT EXISTS schema_migrations (schema TEXT PRIMARY KEY, version INTEGER NOT NULL)"


def migrate(conn: sqlite3.Connection, schema: Schema, what: str) -> int:
    """Bring ``schema`` up to date on ``conn`` (an autocommit connection, ``isolation_level=None``): run each step
    the database has not had, each in one transaction with its record. Return the schema's version (its number
    of steps). A database already up to date is only read. Raises :class:`StorageError` naming ``what``, the
    schema and the step that failed (earlier steps stay done), or when the database is newer than the code."""
    version = schema_version(conn, schema.name)
    if version is None or version < len(schema.steps):
        _run_pending(conn, schema, what)
        version = schema_version(conn, schema.name) or 0
    if version > len(schema.steps):
        raise StorageError(
            f"{what}: schema {schema.name!r} is at version {version}, newer than this code knows "
            f"({len(schema.steps)}); open it with a newer release",
            schema=schema.name,
        )
    return version


def _run_pending(conn: sqlite3.Connection, schema: Schema, what: str) -> None:
    """Record the schema (a legacy database at the version its probe finds), then run each step not yet done.
    Each transaction reads the version again, so two processes opening one file at once run each step once."""
    with write_transaction(conn, what):
        conn.execute(_CREATE_RECORD)
        if schema_version(conn, schema.name) is None:
            conn.execute(
                "INSERT INTO schema_migrations (schema, version) VALUES (?, ?)", (schema.name, schema.legacy(conn))
            )
    for number, step in enumerate(schema.steps, start=1):
        try:
            with write_transaction(conn, what):
                if (schema_version(conn, schema.name) or 0) >= number:
                    continue
                if callable(step):
                    step(conn)
                else:
                    for statement in step:
                        conn.execute(statement)
                conn.execute("UPDATE schema_migrations SET version = ? WHERE schema = ?", (number, schema.name))
        except Exception as exc:
            raise StorageError(
                f"{what}: migration step {number} of schema {schema.name!r} failed: {exc}",
                schema=schema.name,
                step=number,
            ) from exc


def schema_version(conn: sqlite3.Connection, name: str) -> int | None:
    """How many steps of schema ``name`` the database has had, or ``None`` when it records none."""
    with storage_errors(f"reading the version of schema {name!r}"):
        if not has_table(conn, "schema_migrations"):
            return None
        row = conn.execute("SELECT version FROM schema_migrations WHERE schema = ?", (name,)).fetchone()
    return None if row is None else int(row[0])


def legacy_table(table: str) -> Callable[[sqlite3.Connection], int]:
    """A :attr:`Schema.legacy` for a schema whose first step older code ran whole: 1 when ``table`` exists."""

    def legacy(conn: sqlite3.Connection) -> int:
        return 1 if has_table(conn, table) else 0

    return legacy


def has_table(conn: sqlite3.Connection, table: str) -> bool:
    """Whether the database has a table called ``table``."""
    sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
    return conn.execute(sql, (table,)).fetchone() is not None


def has_column(conn: sqlite3.Connection, table: str, column: str) -> bool:
    """Whether ``table`` exists and has a column called ``column``."""
    return any(row[1] == column for row in conn.execute("SELECT * FROM pragma_table_info(?)", (table,)))


@contextmanager
def storage_errors(what: str) -> Iterator[None]:
    """SQLite errors inside the block become :class:`StorageError` naming ``what`` failed."""
    try:
        yield
    except sqlite3.Error as exc:
        raise StorageError(f"{what} failed: {exc}") from exc


@contextmanager
def write_transaction(
    conn: sqlite3.Connection, what: str, gate: WriteGate | None = None
) -> Iterator[sqlite3.Connection]:
    """One write transaction (``BEGIN IMMEDIATE``, inside ``gate`` when one is given: the database's writers
    then wait in line): committed when the block ends, rolled back if it raises; SQLite errors become
    :class:`StorageError` naming ``what``. Inside a transaction already open on ``conn`` the block joins it: the
    outer one commits or rolls back."""
    with storage_errors(f"{what} write"):
        joining = conn.in_transaction
    if joining:
        with storage_errors(f"{what} write"):
            yield conn
        return
    with nullcontext() if gate is None else gate.held(what), _rolled_back_on_error(conn, what):
        conn.execute("BEGIN IMMEDIATE")
        yield conn
        conn.commit()


@contextmanager
def _rolled_back_on_error(conn: sqlite3.Connection, what: str) -> Iterator[None]:
    try:
        yield
    except BaseException as exc:
        try:
            if conn.in_transaction:
                conn.rollback()
        except sqlite3.Error:
            pass  # the original error says more; the transaction is gone with the connection anyway
        if isinstance(exc, sqlite3.Error):
            raise StorageError(f"{what} write failed: {exc}") from exc
        raise


def open_database(
    path: Path,
    what: str,
    build: Callable[[sqlite3.Connection], T],
    *,
    check_same_thread: bool = True,
    fsync: bool = False,
    page_size: int | None = None,
) -> T:
    """Open (creating it and its parent folders if needed) the database file at ``path`` in WAL mode and hand
    the connection to ``build`` (an adapter's constructor, which migrates its schema); the connection is closed
    if that fails.

    ``fsync`` makes every write transaction durable on its own (``synchronous = FULL``), so it survives a power
    cut; without it (``NORMAL``) the database stays consistent but the last transactions may be lost.
    ``page_size`` only takes effect on a new file, before its first table.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=check_same_thread)
    except (OSError, sqlite3.Error) as exc:
        raise StorageError(f"cannot open the {what} {path}: {exc}", path=str(path)) from exc
    try:
        if page_size is not None:
            conn.execute(f"PRAGMA page_size = {int(page_size)}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute(f"PRAGMA synchronous = {'FULL' if fsync else 'NORMAL'}")
        return build(conn)
    except BaseException as exc:
        conn.close()
        if isinstance(exc, sqlite3.Error):
            raise StorageError(f"cannot open the {what} {path}: {exc}", path=str(path)) from exc
        raise


class SqliteAdapter:
    """The base of the SQLite stores: a connection whose schema :func:`migrate` brings up to date when the store
    is made, and the error and transaction helpers every method uses.

    A store sets ``_schema`` (its :class:`Schema`) and ``_what`` (how errors name it, e.g. ``"record
    database"``); ``_threads`` lets :meth:`open` make a connection usable from several threads.

    Parameters
    ----------
    connection
        An open connection in autocommit mode (``isolation_level=None``); its schema is created or migrated.
        Prefer :meth:`open`, which also sets WAL journal mode.
    """

    _schema: ClassVar[Schema]
    _what: ClassVar[str]
    _threads: ClassVar[bool] = False

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn = connection
        self._gate: WriteGate | None = None
        migrate(connection, self._schema, self._what)

    @classmethod
    def open(cls, path: Path) -> Self:
        """Open (creating it and its parent folders if needed) the database file at ``path``; its writers wait
        in line (:func:`~consortium.adapters.local.sqlite_gate.write_gate`)."""
        return cls._gated(open_database(path, cls._what, cls, check_same_thread=not cls._threads), path)

    @classmethod
    def _gated(cls, store: Self, path: Path) -> Self:
        """``store``, its write transactions from now on in line with every other writer of the file at ``path``
        (:func:`~consortium.adapters.local.sqlite_gate.write_gate`)."""
        store._gate = write_gate(path)
        return store

    def close(self) -> None:
        """Close the connection."""
        with self._errors():
            self._conn.close()

    def _errors(self) -> AbstractContextManager[None]:
        """SQLite errors inside the block become :class:`StorageError` naming this database."""
        return storage_errors(self._what)

    def _transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """One write transaction: committed when the block ends, rolled back if it raises."""
        return write_transaction(self._conn, self._what, self._gate)
