"""The library store: SQLite in the data folder (the default) or PostgreSQL, media files in a folder."""

from __future__ import annotations

from pathlib import Path

from studio.settings import Settings
from studio.store.base import UNDECIDED, Library, account_fingerprint
from studio.store.sqlite import SQLiteLibrary

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres_url(url: str | None) -> bool:
    return bool(url) and str(url).startswith(POSTGRES_SCHEMES)


def open_library(settings: Settings) -> Library:
    """The library the settings name: PostgreSQL when `STUDIO_DATABASE_URL` is one, else SQLite in
    the data folder. Media files stay in the data folder either way."""
    return open_store(settings.database_url, settings.studio_home)


def open_store(database_url: str | None, home: Path) -> Library:
    """A library on `database_url` (PostgreSQL) or, when it is empty, the SQLite file in `home`."""
    if database_url:
        if not is_postgres_url(database_url):
            from studio.errors import StorageError

            raise StorageError(
                "STUDIO_DATABASE_URL must start with postgresql:// (leave it empty for the built-in library).",
                field="studio_database_url",
            )
        from studio.store.postgres import PostgresLibrary

        return PostgresLibrary(database_url, home)
    return SQLiteLibrary(home)


__all__ = ["UNDECIDED", "Library", "SQLiteLibrary", "account_fingerprint", "open_library", "open_store"]
