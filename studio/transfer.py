"""Moving a single-user SQLite library into a team's PostgreSQL library: rows, and media on request.

`python -m studio.transfer --from ~/.local/share/varg-studio --to postgresql://…` copies every table
but `schema_migrations` in batches, in one transaction, `ON CONFLICT (primary key) DO NOTHING` (a
second run copies nothing). The source is read, read-only, into a private snapshot that the
`SQLiteLibrary` brings up to the code's schema; a newer source is refused. Leases are not copied and
open takes stay open, so the team's replicas resume following them.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import shutil
import sqlite3
import sys
import tempfile
import urllib.parse
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum, StrEnum
from pathlib import Path, PurePosixPath
from typing import Any, TextIO

from studio import migrations
from studio.errors import StorageError
from studio.settings import default_home
from studio.store import is_postgres_url
from studio.store.base import PATH_COLUMNS
from studio.store.media_files import MediaFolder, storage_error_from_os
from studio.store.sqlite import DB_NAME, SQLiteLibrary

SKIPPED_TABLES = ("schema_migrations",)  # the target's own migrations fill it
LEASE_COLUMNS = ("lease_owner", "lease_expires")  # never copied: the team's replicas lease afresh
MAX_PARAMS = 30_000  # per INSERT (PostgreSQL allows 65,535)
CONNECT_TIMEOUT = 10


class Side(StrEnum):
    """Which end of a transfer a problem is on (a StorageError's `field`)."""

    SOURCE = "source"
    TARGET = "target"
    MEDIA = "media"


class Exit(IntEnum):
    """The command's exit codes."""

    OK = 0
    FAILED = 1  # something unexpected (the message says what)
    USAGE = 2  # argparse's own
    SOURCE = 3  # no library there, not a library, or made by a newer studio
    TARGET = 4  # not a PostgreSQL URL, unreachable, made by a newer studio, or a conflicting row
    MEDIA = 5  # a media file could not be copied (no row was written)


_EXITS = {Side.SOURCE.value: Exit.SOURCE, Side.TARGET.value: Exit.TARGET, Side.MEDIA.value: Exit.MEDIA}


@dataclass(frozen=True)
class TableCount:
    """One table's rows: copied now, and already in the target before."""

    table: str
    copied: int
    already: int


@dataclass(frozen=True)
class MediaCount:
    """Media files referenced by the source's takes: copied, already there, missing at the source."""

    copied: int = 0
    already: int = 0
    missing: int = 0


@dataclass(frozen=True)
class Transfer:
    """What a transfer did (or, with `dry_run`, would do)."""

    source: Path
    target: str  # the database named for people, never its password
    schema_version: int
    tables: tuple[TableCount, ...]
    media: MediaCount | None  # None: media files stay where they are
    dry_run: bool

    def count(self, table: str) -> TableCount:
        return next(t for t in self.tables if t.table == table)


# --- the source ------------------------------------------------------------------------------
def _source_db(source: Path) -> Path:
    source = Path(source).expanduser()
    db = source if source.name == DB_NAME else source / DB_NAME
    if not db.is_file():
        raise StorageError(
            f"No studio library at {db}: give the data folder of a single-user studio"
            " (the folder holding library.sqlite3).",
            field=Side.SOURCE,
        )
    return db


def _read_only(db: Path) -> sqlite3.Connection:
    uri = f"file:{urllib.parse.quote(str(db.resolve()))}?mode=ro"
    return sqlite3.connect(uri, uri=True, isolation_level=None)


def source_version(db: Path) -> int:
    """The schema version of the SQLite library at `db`, read without writing to it."""
    try:
        with contextlib.closing(_read_only(db)) as conn:
            return int(conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()[0])
    except sqlite3.Error as exc:
        raise StorageError(
            f"{db} is not a studio library, or it is damaged ({exc}).", field=Side.SOURCE
        ) from exc


@contextlib.contextmanager
def _snapshot(db: Path) -> Iterator[sqlite3.Connection]:
    """A private copy of the library at the code's schema (one consistent read; the source is untouched)."""
    with tempfile.TemporaryDirectory(prefix="studio-transfer-") as tmp:
        try:
            with (
                contextlib.closing(_read_only(db)) as src,
                contextlib.closing(sqlite3.connect(Path(tmp) / DB_NAME)) as dst,
            ):
                src.backup(dst)
        except sqlite3.Error as exc:
            raise StorageError(f"Could not read the library at {db}: {exc}.", field=Side.SOURCE) from exc
        SQLiteLibrary(Path(tmp)).close()  # an older library gets the newer migrations, as the studio would
        with contextlib.closing(sqlite3.connect(Path(tmp) / DB_NAME, isolation_level=None)) as conn:
            yield conn


@dataclass(frozen=True)
class _Table:
    name: str
    columns: list[str]
    key: list[str]  # the primary key's columns
    exact: frozenset[str]  # NUMERIC columns: floats go as decimals (a float8 cast keeps 15 digits)


def _tables(conn: sqlite3.Connection) -> list[_Table]:
    """Every table to copy, in the order the migrations made them."""
    names = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
        )
        if r[0] not in SKIPPED_TABLES
    ]
    out = []
    for name in names:
        info = conn.execute(f'PRAGMA table_info("{name}")').fetchall()  # cid, name, type, notnull, dflt, pk
        columns = [row[1] for row in info]
        key = [row[1] for row in sorted(info, key=lambda r: r[5]) if row[5]]
        if not key:
            raise StorageError(
                f"The table {name} has no primary key, so it cannot be copied without duplicates.",
                field=Side.SOURCE,
            )
        exact = frozenset(row[1] for row in info if str(row[2]).upper() == "NUMERIC")
        out.append(_Table(name, columns, key, exact))
    return out


def _rows(conn: sqlite3.Connection, table: _Table, size: int) -> Iterator[list[tuple]]:
    """The table's rows in key order, `size` at a time, as the target takes them."""
    cur = conn.execute(f"SELECT {', '.join(table.columns)} FROM {table.name} ORDER BY {', '.join(table.key)}")
    while batch := cur.fetchmany(size):
        yield [_value_row(table, row) for row in batch]


def _value_row(table: _Table, row: Sequence[Any]) -> tuple:
    """Leases cleared; NUMERIC floats exact."""
    out = []
    for name, value in zip(table.columns, row, strict=True):
        if name in LEASE_COLUMNS:
            value = None
        elif name in table.exact and isinstance(value, float) and math.isfinite(value):
            value = Decimal(repr(value))
        out.append(value)
    return tuple(out)


# --- the target ------------------------------------------------------------------------------
def _where(url: str) -> str:
    """'the PostgreSQL database NAME on HOST:PORT', never the password."""
    from studio.store.postgres import database_name as where  # the one place that names a database safely

    named = where(url)
    return named if named.startswith("the ") else f"the {named}"


def _scrub(text: str, url: str) -> str:
    """A driver's message without the URL or its password (a malformed URL may be echoed whole)."""
    try:
        secret = urllib.parse.urlsplit(url).password
    except ValueError:  # a malformed URL: hide whatever sits between "//" and "@"
        secret = url.partition("//")[2].rpartition("@")[0].partition(":")[2] or None
    text = text.replace(url, "<the database URL>")
    return text.replace(secret, "***") if secret else text


def _first_line(exc: BaseException, url: str) -> str:
    return _scrub((str(exc).strip().splitlines() or [type(exc).__name__])[0], url)


@contextlib.contextmanager
def _target(url: str, where: str) -> Iterator[Any]:
    """A connection to the target; driver errors become StorageErrors that never show the password."""
    try:
        import psycopg
    except ImportError as exc:
        raise StorageError("PostgreSQL's driver is missing: pip install -r requirements-team.txt") from exc
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT) as conn:
            yield conn
    except psycopg.OperationalError as exc:
        raise StorageError(f"Cannot reach {where}: {_first_line(exc, url)}", field=Side.TARGET) from exc
    except psycopg.IntegrityError as exc:
        raise StorageError(
            f"A row conflicts with a different one already in {where} ({_first_line(exc, url)})."
            " Nothing was copied.",
            field=Side.TARGET,
        ) from exc
    except psycopg.Error as exc:
        raise StorageError(f"Writing to {where} failed: {_first_line(exc, url)}", field=Side.TARGET) from exc


def _target_version(conn: Any) -> int | None:
    if conn.execute("SELECT to_regclass('schema_migrations')").fetchone()[0] is None:
        return None
    return int(conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()[0])


def _refuse_newer(version: int | None, code: int, what: str, side: Side) -> None:
    if version is not None and version > code:
        raise StorageError(
            f"{what[:1].upper()}{what[1:]} was made by a newer studio (schema {version};"
            f" this one knows up to {code}). Run the transfer with that newer studio.",
            field=side,
        )


def _migrate(url: str, home: Path) -> None:
    """The target's schema, by the library's own migrations (under their advisory lock)."""
    from studio.store.postgres import PostgresLibrary

    PostgresLibrary(url, home).close()


def _insert(conn: Any, table: _Table, rows: list[tuple]) -> int:
    """Insert the rows whose key is not there yet; returns how many were new."""
    one = "(" + ", ".join(["%s"] * len(table.columns)) + ")"
    sql = (
        f"INSERT INTO {table.name} ({', '.join(table.columns)}) VALUES {', '.join([one] * len(rows))}"
        f" ON CONFLICT ({', '.join(table.key)}) DO NOTHING RETURNING 1"
    )
    return len(conn.execute(sql, [v for row in rows for v in row]).fetchall())


def _present(conn: Any, table: _Table, rows: list[tuple]) -> int:
    """How many of these rows' keys the target already holds (a dry run's count; nothing written)."""
    if conn.execute("SELECT to_regclass(%s)", (table.name,)).fetchone()[0] is None:
        return 0
    at = [table.columns.index(k) for k in table.key]
    keys = ", ".join(["(" + ", ".join(["%s"] * len(at)) + ")"] * len(rows))
    sql = f"SELECT COUNT(*) FROM {table.name} WHERE ({', '.join(table.key)}) IN ({keys})"
    return int(conn.execute(sql, [row[i] for row in rows for i in at]).fetchone()[0])


# --- media -----------------------------------------------------------------------------------
def _media_paths(conn: sqlite3.Connection) -> list[str]:
    found: set[str] = set()
    for name in PATH_COLUMNS:
        found.update(r[0] for r in conn.execute(f"SELECT DISTINCT {name} FROM takes WHERE {name} <> ''"))
    return sorted(found)


def _inside(root: Path, rel: str) -> Path | None:
    posix = PurePosixPath(rel)
    if posix.is_absolute() or ".." in posix.parts or "\\" in rel or "\x00" in rel:
        return None
    full = (root / posix).resolve()
    return full if full.is_relative_to(root.resolve()) and full != root.resolve() else None


def _copy_file(src: Path, dst: Path) -> None:
    """All or nothing: a temporary file next to `dst`, fsynced, then renamed."""
    fd, tmp = tempfile.mkstemp(dir=dst.parent, prefix=".tmp-", suffix=dst.suffix)
    try:
        with os.fdopen(fd, "wb") as out, src.open("rb") as inp:
            shutil.copyfileobj(inp, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, dst)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _copy_media(conn: sqlite3.Connection, source_home: Path, media_to: Path, dry_run: bool) -> MediaCount:
    """Copy every file the takes name into `media_to`'s media folder, at the same relative paths."""
    copied = already = missing = 0
    try:
        target_root = Path(media_to).expanduser() / "media" if dry_run else MediaFolder(media_to).root
        for rel in _media_paths(conn):
            src, dst = _inside(source_home / "media", rel), _inside(target_root, rel)
            if src is None or dst is None or not src.is_file():
                missing += 1
            elif dst.is_file() and dst.stat().st_size == src.stat().st_size:
                already += 1
            else:
                if not dry_run:
                    try:
                        dst.parent.mkdir(parents=True, exist_ok=True)
                        _copy_file(src, dst)
                    except OSError as exc:
                        raise storage_error_from_os(exc, dst.parent, f"copy {rel}") from exc
                copied += 1
    except StorageError as exc:
        raise StorageError(exc.message, field=Side.MEDIA) from exc
    return MediaCount(copied, already, missing)


# --- the whole -------------------------------------------------------------------------------
def transfer(
    source: Path, target_url: str, *, media_to: Path | None = None, dry_run: bool = False
) -> Transfer:
    """Copy the SQLite library in `source` into the PostgreSQL library at `target_url`.

    Media files first (when `media_to` is given), rows after, in one transaction: a failure leaves
    the target as it was, and running it again is always safe. Raises StorageError (its `field`
    a `Side`) with a message fit to show.
    """
    if not is_postgres_url(target_url):
        raise StorageError("The target must be a postgresql:// URL.", field=Side.TARGET)
    db = _source_db(source)
    code = max(version for version, _ in migrations.MIGRATIONS)
    version = source_version(db)
    _refuse_newer(version, code, f"the library at {db}", Side.SOURCE)
    where = _where(target_url)
    with _snapshot(db) as snap:
        tables = _tables(snap)
        media = _copy_media(snap, db.parent, Path(media_to), dry_run) if media_to is not None else None
        if not dry_run:
            with _target(target_url, where) as conn:
                _refuse_newer(_target_version(conn), code, where, Side.TARGET)
            with tempfile.TemporaryDirectory(prefix="studio-transfer-") as scratch:
                _migrate(target_url, Path(media_to) if media_to is not None else Path(scratch))
        counts = []
        with _target(target_url, where) as conn, conn.transaction():
            if dry_run:
                conn.execute("SET TRANSACTION READ ONLY")
            _refuse_newer(_target_version(conn), code, where, Side.TARGET)
            conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('studio-transfer', 0))")
            for table in tables:
                copied = already = 0
                for rows in _rows(snap, table, max(1, MAX_PARAMS // len(table.columns))):
                    there = _present(conn, table, rows) if dry_run else len(rows) - _insert(conn, table, rows)
                    copied, already = copied + len(rows) - there, already + there
                counts.append(TableCount(table.name, copied, already))
    return Transfer(db.parent, where, version, tuple(counts), media, dry_run)


def report_lines(result: Transfer) -> list[str]:
    """What the command says about a transfer, one line per table and one for media."""
    verb = "would copy" if result.dry_run else "copied"
    lines = [
        f"{'Dry run: nothing written. ' if result.dry_run else ''}From the library in {result.source}"
        f" (schema {result.schema_version}) to {result.target}:"
    ]
    lines += [f"  {t.table}: {verb} {t.copied}, already there {t.already}" for t in result.tables]
    if result.media is None:
        lines.append("  media files: left in place (the team studio uses the same data folder)")
    else:
        m = result.media
        lines.append(f"  media files: {verb} {m.copied}, already there {m.already}, missing {m.missing}")
    return lines


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    parser = argparse.ArgumentParser(
        prog="python -m studio.transfer",
        description="Copy a single-user studio library (SQLite) into a team's PostgreSQL library.",
    )
    parser.add_argument(
        "--from", dest="source", type=Path, default=default_home(),
        help="the single-user data folder (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--to", dest="target", default=os.environ.get("STUDIO_DATABASE_URL", ""),
        help="postgresql://… (default: STUDIO_DATABASE_URL; keep the password in PGPASSWORD or ~/.pgpass)",
    )  # fmt: skip
    parser.add_argument("--media-to", type=Path, help="also copy the media files into this data folder")
    parser.add_argument("--dry-run", action="store_true", help="count what would be copied, write nothing")
    args = parser.parse_args(argv)
    if not args.target:
        parser.error("--to postgresql://… is required (or set STUDIO_DATABASE_URL)")
    try:
        result = transfer(args.source, args.target, media_to=args.media_to, dry_run=args.dry_run)
    except StorageError as exc:
        print(f"error: {_scrub(exc.message, args.target)}", file=err)
        return _EXITS.get(exc.field or "", Exit.TARGET)
    except Exception as exc:  # never a traceback on screen, never the password
        print(f"error: the transfer failed ({type(exc).__name__}: {_first_line(exc, args.target)})", file=err)
        return Exit.FAILED
    for line in report_lines(result):
        print(line, file=out)
    return Exit.OK


if __name__ == "__main__":
    sys.exit(main())
