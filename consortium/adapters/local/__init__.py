"""Local adapters: the SQLite record, cluster and profile stores and consent ledger (each opened and migrated
through :mod:`~consortium.adapters.local.sqlite_common`, all able to share one file), content-addressed raw
archives (a SQLite file, the default, or a folder of files), the local key file and an embedded tantivy search
index."""

from consortium.adapters.local.file_analytics import FileAnalyticsStore
from consortium.adapters.local.file_model import FileMatchModelStore
from consortium.adapters.local.folder_archive import FolderBlobStore
from consortium.adapters.local.folder_plans import FolderPlanStore
from consortium.adapters.local.key_file import LocalKeyFileService
from consortium.adapters.local.sqlite_archive import SqliteBlobStore
from consortium.adapters.local.sqlite_clusters import SqliteClusterStore
from consortium.adapters.local.sqlite_consent import SqliteConsentLedger
from consortium.adapters.local.sqlite_lists import SqliteCuratedListStore
from consortium.adapters.local.sqlite_loans import SqliteLoanRequestStore
from consortium.adapters.local.sqlite_profiles import SqliteProfileStore
from consortium.adapters.local.sqlite_registry import SqliteSourceOverrideStore
from consortium.adapters.local.sqlite_runs import SqliteHarvestRunStore
from consortium.adapters.local.sqlite_store import SqliteRecordStore
from consortium.adapters.local.tantivy_index import TantivySearchIndex

__all__ = [
    "FileAnalyticsStore",
    "FileMatchModelStore",
    "FolderBlobStore",
    "FolderPlanStore",
    "LocalKeyFileService",
    "SqliteBlobStore",
    "SqliteClusterStore",
    "SqliteConsentLedger",
    "SqliteCuratedListStore",
    "SqliteHarvestRunStore",
    "SqliteLoanRequestStore",
    "SqliteProfileStore",
    "SqliteRecordStore",
    "SqliteSourceOverrideStore",
    "TantivySearchIndex",
]
