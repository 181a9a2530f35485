"""Local adapters: a SQLite record store and a content-addressed folder archive, for one machine."""

from consortium.adapters.local.folder_archive import FolderBlobStore
from consortium.adapters.local.sqlite_store import SqliteRecordStore

__all__ = ["FolderBlobStore", "SqliteRecordStore"]
