"""The single-user library: one SQLite file (WAL, a connection per thread and process) in the data folder."""

from __future__ import annotations

import builtins
import contextlib
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from studio.errors import StorageError
from studio.store.base import Library, Tx
from studio.store.media_files import MediaFolder, MediaStore, private, storage_error_from_os

DB_NAME = "library.sqlite3"
BUSY_TIMEOUT_MS = 10_000


def _fold(value: Any) -> str | None:
    """Case-folding that also works beyond ASCII (SQLite's LIKE and lower() do not)."""
    return value.casefold() if isinstance(value, str) else None


def _storage_error_from_sqlite(exc: sqlite3.Error, db: Path) -> StorageError:
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    text = str(exc).lower()
    if primary == sqlite3.SQLITE_READONLY or "readonly" in text or "read-only" in text:
        msg = f"The library at {db} is read-only: the studio cannot save anything there."
    elif primary == sqlite3.SQLITE_FULL or "disk is full" in text:
        msg = f"The disk holding the library at {db} is full. Free some space and try again."
    elif primary == sqlite3.SQLITE_CANTOPEN or "unable to open" in text:
        msg = f"The library at {db} cannot be opened: check that the data folder exists and is writable."
    elif primary in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB) or "malformed" in text:
        msg = f"The library at {db} is damaged or is not a studio library."
    elif primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or "locked" in text:
        msg = "The library is busy (another program is holding it). Try again in a moment."
    else:
        msg = f"The library at {db} failed: {exc}."
    err = StorageError(msg, field="studio_home")
    err.__cause__ = exc
    return err


class _Connection(sqlite3.Connection):
    """A connection that can be weakly referenced and knows the process that opened it."""

    pid: int = 0


class _ThreadConnection:
    """Holds one thread's connection and closes it when the thread ends.

    sqlite3 connections sit in a reference cycle (their statement cache), so without this they
    would wait for the garbage collector; Streamlit starts a thread per rerun.
    """

    __slots__ = ("conn", "key")

    def __init__(self, conn: _Connection, key: tuple[int, int]) -> None:
        self.conn = conn
        self.key = key

    def __del__(self) -> None:
        # At interpreter exit module globals (os, contextlib) may already be gone: nothing to close.
        try:
            if self.conn.pid == os.getpid():
                self.conn.close()
        except Exception:
            pass


class SQLiteLibrary(Library):
    """Takes in SQLite (WAL, one connection per thread and process) and media in a media store (default: on disk)."""

    NO_LIMIT = -1

    def __init__(self, home: Path, media: MediaStore | None = None) -> None:
        self.media = media if media is not None else MediaFolder(home)
        self.db_path = self.home / DB_NAME
        self._refuse_an_emptied_library()
        self._local = threading.local()
        self._all_lock = threading.Lock()
        # Weak: a thread's connection closes when the thread ends (Streamlit runs each rerun on a
        # new thread); close() reaches the ones still alive.
        self._all: weakref.WeakSet[_Connection] = weakref.WeakSet()
        self._generation = 0
        try:
            with self._errors():
                conn = self._conn()
                mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise StorageError(
                        f"The library at {self.db_path} could not switch to WAL journaling (got {mode}).",
                        field="studio_home",
                    )
            self._migrate()
        except BaseException:
            self.close()
            raise
        for path in (
            self.db_path,
            self.db_path.with_name(DB_NAME + "-wal"),
            self.db_path.with_name(DB_NAME + "-shm"),
        ):
            private(path, 0o600)

    def _refuse_an_emptied_library(self) -> None:
        """A 0-byte library next to saved videos was damaged, not new: say so, never start over silently."""
        try:
            emptied = self.db_path.exists() and self.db_path.stat().st_size == 0
            videos = emptied and self.media.has_videos()
        except OSError:
            return
        if not videos:
            return
        aside = self.db_path.with_name(f"{DB_NAME}.damaged-{int(time.time())}")
        try:
            os.replace(self.db_path, aside)
        except OSError as exc:
            raise storage_error_from_os(exc, self.home, "set the damaged library aside") from exc
        raise StorageError(
            f"The library at {self.db_path} was empty (0 bytes) although videos are saved next to it: "
            f"it was damaged. It was kept aside as {aside.name}; your videos are untouched in "
            f"{self.media_root}. Restore the library from a backup, or reload to start a new, empty one.",
            field="studio_home",
        )

    def __repr__(self) -> str:
        return f"Library({str(self.home)!r})"

    # connections --------------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        key = (os.getpid(), self._generation)
        held = getattr(self._local, "held", None)
        if held is not None and held.key == key:
            return held.conn
        # A connection must never cross a fork: a child process opens its own.
        conn = sqlite3.connect(
            self.db_path,
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,  # autocommit; transactions are explicit BEGIN IMMEDIATE
            check_same_thread=False,  # only for close() from another thread
            factory=_Connection,
        )
        conn.pid = os.getpid()
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.create_function("studio_fold", 1, _fold, deterministic=True)
        self._local.held = _ThreadConnection(conn, key)
        with self._all_lock:
            self._all.add(conn)
        return conn

    def close(self) -> None:
        """Close every connection this library opened (in this process)."""
        with self._all_lock:
            conns = list(self._all)
            self._all = weakref.WeakSet()
            self._generation += 1
        for conn in conns:
            if conn.pid == os.getpid():  # never close a connection inherited across a fork
                with contextlib.suppress(sqlite3.Error):
                    conn.close()

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.IntegrityError:
            raise
        except sqlite3.Error as exc:
            raise _storage_error_from_sqlite(exc, self.db_path) from exc
        except OSError as exc:
            raise storage_error_from_os(exc, self.home, "use the library") from exc

    @contextlib.contextmanager
    def _write(self) -> Iterator[Tx]:
        """A write transaction that takes the write lock up front (safe read-then-write)."""
        with self._errors():
            conn = self._conn()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise
            else:
                try:
                    conn.execute("COMMIT")
                except BaseException:
                    with contextlib.suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                    raise

    def _read(self, sql: str, params: Sequence[Any] = ()) -> builtins.list[Any]:
        with self._errors():
            return self._conn().execute(sql, params).fetchall()

    def _contains(self, column: str, word: str) -> tuple[str, Any]:
        # Python's casefold on both sides: 'É' finds 'é', 'STRASSE' finds 'Straße'.
        return f"instr(studio_fold({column}), ?) > 0", word.casefold()

    def integrity_check(self) -> str:
        return str(self._read("PRAGMA integrity_check")[0][0])
