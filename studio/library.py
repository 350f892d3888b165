"""The library's public names, where the app has always imported them (the code is in studio/store/)."""

from __future__ import annotations

from studio.errors import StorageError, TakeNotFound
from studio.migrations import MIGRATIONS
from studio.store import open_library, open_store
from studio.store.base import COLUMNS, UNDECIDED, UPDATABLE_COLUMNS, Library, account_fingerprint
from studio.store.media_files import MEDIA_KINDS, atomic_write_bytes, storage_error_from_os
from studio.store.sqlite import DB_NAME
from studio.take import (
    OPEN_STATUSES,
    STATUSES,
    TERMINAL_STATUSES,
    NewTake,
    Relation,
    Take,
    Verdict,
)

__all__ = [
    "COLUMNS",
    "DB_NAME",
    "MEDIA_KINDS",
    "MIGRATIONS",
    "OPEN_STATUSES",
    "STATUSES",
    "TERMINAL_STATUSES",
    "UNDECIDED",
    "UPDATABLE_COLUMNS",
    "Library",
    "NewTake",
    "Relation",
    "StorageError",
    "Take",
    "TakeNotFound",
    "Verdict",
    "account_fingerprint",
    "atomic_write_bytes",
    "open_library",
    "open_store",
    "storage_error_from_os",
]
