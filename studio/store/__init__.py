"""The library store: SQLite in the data folder (the default) or PostgreSQL; media in a folder or on S3."""

from __future__ import annotations

from pathlib import Path

from studio.errors import StorageError
from studio.settings import Settings
from studio.store.base import UNDECIDED, Library, account_fingerprint
from studio.store.media_files import MediaFolder, MediaStore
from studio.store.sqlite import SQLiteLibrary

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres_url(url: str | None) -> bool:
    return bool(url) and str(url).startswith(POSTGRES_SCHEMES)


def open_library(settings: Settings) -> Library:
    """The library the settings name: PostgreSQL when `STUDIO_DATABASE_URL` is one, else SQLite in
    the data folder; media on S3 when `STUDIO_MEDIA_URL` is `s3://bucket/prefix`, else in the data folder."""
    return open_store(
        settings.database_url,
        settings.studio_home,
        settings.media_url,
        media_cache=settings.media_cache_bytes,
    )


def open_media(media_url: str | None, home: Path, cache: int | None = None) -> MediaStore:
    """The media store `media_url` names (`s3://bucket[/prefix]`, its local copies bounded to `cache`
    bytes), or the data folder's when empty."""
    if not media_url:
        return MediaFolder(home)
    from studio.store.media_s3 import open_s3_media  # boto3 is optional: imported only when named

    return open_s3_media(media_url, home) if cache is None else open_s3_media(media_url, home, cache)


def open_store(
    database_url: str | None, home: Path, media_url: str | None = None, *, media_cache: int | None = None
) -> Library:
    """A library on `database_url` (PostgreSQL) or, when it is empty, the SQLite file in `home`;
    its media where `media_url` says (see `open_media`)."""
    if database_url and not is_postgres_url(database_url):
        raise StorageError(
            "STUDIO_DATABASE_URL must start with postgresql:// (leave it empty for the built-in library).",
            field="studio_database_url",
        )
    media = open_media(media_url, home, media_cache)
    if database_url:
        from studio.store.postgres import PostgresLibrary

        return PostgresLibrary(database_url, home, media)
    return SQLiteLibrary(home, media)


__all__ = [
    "UNDECIDED",
    "Library",
    "MediaFolder",
    "SQLiteLibrary",
    "account_fingerprint",
    "open_library",
    "open_media",
    "open_store",
]
