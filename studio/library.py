"""The library: one SQLite index of takes plus their media files under the studio's data folder."""

from __future__ import annotations

import builtins
import contextlib
import dataclasses
import errno
import hashlib
import os
import re
import sqlite3
import tempfile
import threading
import time
import uuid
import weakref
from collections.abc import Iterator, Sequence
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, cast

from studio.errors import InputError, StudioError
from studio.migrations import MIGRATIONS, statements
from studio.settings import DEMO_API_KEY
from studio.take import (
    OPEN_STATUSES,
    STATUSES,
    TERMINAL_STATUSES,
    VERDICT_REASONS,
    NewTake,
    Relation,
    Take,
    Verdict,
)

__all__ = [
    "MIGRATIONS",
    "OPEN_STATUSES",
    "STATUSES",
    "TERMINAL_STATUSES",
    "Library",
    "NewTake",
    "Relation",
    "StorageError",
    "Take",
    "TakeNotFound",
    "Verdict",
    "account_fingerprint",
]

MEDIA_KINDS = ("inputs", "videos", "posters")
DB_NAME = "library.sqlite3"
BUSY_TIMEOUT_MS = 10_000

UNDECIDED = "undecided"  # a verdict filter: takes nobody has kept or rejected yet
_FINGERPRINT_SALT = b"varg-studio/account/v1:"
_now = time.time  # the clock; tests may replace it
_SUFFIX_RE = re.compile(r"^\.[A-Za-z0-9]{1,10}$")


class StorageError(StudioError):
    """The data folder cannot be written (read-only, full, missing) or the database is unusable."""


class TakeNotFound(StudioError):
    """The take does not exist (any more): it may have been deleted meanwhile."""


def account_fingerprint(api_key: str | None) -> str:
    """A one-way, stable account id for scoping the library; the key itself is never stored."""
    if api_key is None:
        return "demo"
    key = api_key.strip()
    if not key or key == DEMO_API_KEY:
        return "demo"
    digest = hashlib.sha256(_FINGERPRINT_SALT + key.encode("utf-8")).hexdigest()
    return "acct_" + digest[:20]


COLUMNS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Take))
_IMMUTABLE = frozenset(
    {"id", "account", "batch_id", "submission_id", "variant_index", "created_at", "idempotency_key"}
)
UPDATABLE_COLUMNS = frozenset(COLUMNS) - _IMMUTABLE - {"updated_at"}
_PATH_COLUMNS = ("video_path", "poster_path", "source_file", "original_file", "end_file")
_BOOL_COLUMNS = ("favourite", "cache_hit", "audio")


def _spellings(model: str) -> tuple[str, str]:
    name = model.rpartition(":")[2]
    return name.replace("-", "_"), name.replace("_", "-")


def _private(path: Path, mode: int) -> None:
    """Only the studio's user may read its library and media: group and world bits are removed,
    never added back to the owner (a folder made read-only on purpose stays read-only)."""
    with contextlib.suppress(OSError):
        if path.exists():
            current = path.stat().st_mode & 0o777
            if current & ~mode:
                path.chmod(current & mode)


def _fold(value: Any) -> str | None:
    """Case-folding that also works beyond ASCII (SQLite's LIKE and lower() do not)."""
    return value.casefold() if isinstance(value, str) else None


# --- errors ----------------------------------------------------------------------------------
_READ_ONLY_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS}
_FULL_ERRNOS = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}


def storage_error_from_os(exc: OSError, where: Path, doing: str) -> StorageError:
    """A user-facing StorageError for a failed file operation."""
    if exc.errno in _READ_ONLY_ERRNOS:
        msg = f"Could not {doing}: the folder {where} is read-only (or the studio may not write there)."
    elif exc.errno in _FULL_ERRNOS:
        msg = f"Could not {doing}: the disk holding {where} is full. Free some space and try again."
    elif exc.errno in {errno.ENOTDIR, errno.EEXIST}:
        msg = f"Could not {doing}: a file is in the way of the folder {where}. Choose another data folder."
    elif exc.errno == errno.ENOENT:
        msg = f"Could not {doing}: {where} does not exist."
    else:
        msg = f"Could not {doing} in {where}: {exc.strerror or exc}."
    err = StorageError(msg, field="studio_home")
    err.__cause__ = exc
    return err


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


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    """Write `data` to `path` all-or-nothing: temp file in the same folder, fsync, rename.

    Raises StorageError (read-only folder, full disk...); never leaves a partial file behind.
    """
    path = Path(path)
    folder = path.parent
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=path.suffix)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        tmp = None
        _fsync_dir(folder)
    except OSError as exc:
        raise storage_error_from_os(exc, folder, "save the file") from exc
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return path


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --- the library -----------------------------------------------------------------------------
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


class Library:
    """Takes in SQLite (WAL, one connection per thread and process) and media files on disk."""

    def __init__(self, home: Path) -> None:
        self.home = Path(home).expanduser()
        self.media_root = self.home / "media"
        self.db_path = self.home / DB_NAME
        for folder in (self.home, self.media_root, *(self.media_root / k for k in MEDIA_KINDS)):
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                where = folder.parent if exc.errno in _READ_ONLY_ERRNOS else folder
                raise storage_error_from_os(
                    exc, where, f"set up the studio's data folder {self.home}"
                ) from exc
            if not folder.is_dir():
                raise StorageError(
                    f"Could not create the studio's data folder: {folder} is a file, not a folder.",
                    field="studio_home",
                )
            _private(folder, 0o700)
        self._refuse_an_emptied_library()
        self._root_resolved = self.media_root.resolve()
        self._local = threading.local()
        self._all_lock = threading.Lock()
        # Weak: a thread's connection closes when the thread ends (Streamlit runs each rerun on a
        # new thread); close() reaches the ones still alive.
        self._all: weakref.WeakSet[_Connection] = weakref.WeakSet()
        self._generation = 0
        with self._errors():
            conn = self._conn()
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StorageError(
                    f"The library at {self.db_path} could not switch to WAL journaling (got {mode}).",
                    field="studio_home",
                )
            self._migrate(conn)
        for path in (
            self.db_path,
            self.db_path.with_name(DB_NAME + "-wal"),
            self.db_path.with_name(DB_NAME + "-shm"),
        ):
            _private(path, 0o600)

    def _refuse_an_emptied_library(self) -> None:
        """A 0-byte library next to saved videos was damaged, not new: say so, never start over silently."""
        try:
            emptied = self.db_path.exists() and self.db_path.stat().st_size == 0
            videos = emptied and any((self.media_root / "videos").glob("*.mp4"))
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

    def sweep_partial_files(self, older_than: float = 300.0) -> int:
        """Remove `.part` files a killed download left in the media folders. Returns how many."""
        cutoff = time.time() - older_than
        removed = 0
        for kind in MEDIA_KINDS:
            for path in (self.media_root / kind).glob(".*.part"):
                with contextlib.suppress(OSError):
                    if path.stat().st_mtime < cutoff:
                        path.unlink()
                        removed += 1
        return removed

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
        conn.row_factory = sqlite3.Row
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
    def _write(self) -> Iterator[sqlite3.Connection]:
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

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._errors():
            return self._conn().execute(sql, params).fetchall()

    # migrations ---------------------------------------------------------------------------
    def _migrate(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version INTEGER PRIMARY KEY, applied_at REAL NOT NULL)"
            )
            done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
            for version, sql in sorted(MIGRATIONS):
                if version in done:
                    continue
                for statement in statements(sql):
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                    (version, _now()),
                )
            conn.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise

    def schema_version(self) -> int:
        rows = self._read("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
        return int(rows[0][0])

    # rows ---------------------------------------------------------------------------------
    @staticmethod
    def _take(row: sqlite3.Row) -> Take:
        values = {name: row[name] for name in COLUMNS}
        for name in _BOOL_COLUMNS:
            values[name] = bool(values[name])
        return Take(**values)

    def _select(self, where: str, params: Sequence[Any], order: str, conn: sqlite3.Connection | None = None):
        sql = f"SELECT * FROM takes WHERE {where} ORDER BY {order}"
        if conn is not None:
            return [self._take(r) for r in conn.execute(sql, params)]
        return [self._take(r) for r in self._read(sql, params)]

    # writes -------------------------------------------------------------------------------
    def add_batch(self, takes: list[NewTake]) -> tuple[list[Take], bool]:
        """Insert every variant of one submission as `pending`, atomically.

        If the submission is already recorded (a double click, a rerun), nothing is inserted and
        the existing takes are returned with `created=False`.
        """
        if not takes:
            raise ValueError("add_batch needs at least one take")
        account, submission = takes[0].account, takes[0].submission_id
        if any(t.account != account or t.submission_id != submission for t in takes):
            raise ValueError("all takes of a batch must share one account and submission_id")
        indexes = [t.variant_index for t in takes]
        if len(set(indexes)) != len(indexes):
            raise ValueError("variant_index must be unique within a batch")
        for t in takes:
            for rel in (t.source_file, t.original_file, t.end_file):
                if rel:
                    self.path(rel)
        order = "variant_index ASC"
        where = "account = ? AND submission_id = ?"
        with self._write() as conn:
            existing = self._select(where, (account, submission), order, conn)
            if existing:
                return existing, False
            now = _now()
            rows = []
            for t in takes:
                values = dataclasses.asdict(t)
                values.update(
                    id=uuid.uuid4().hex,
                    idempotency_key=t.idempotency_key or f"studio-{uuid.uuid4().hex}",
                    idea_id=t.idea_id or t.batch_id,
                    verdict=None,
                    verdict_reasons=None,
                    verdict_note=None,
                    progress=None,
                    progress_message=None,
                    billed_credits=None,
                    output_url=None,
                    lease_owner=None,
                    lease_expires=None,
                    candidates=None,
                    job_id=None,
                    status="pending",
                    error=None,
                    created_at=now,
                    updated_at=now,
                    completed_at=None,
                    video_path=None,
                    poster_path=None,
                    favourite=0,
                    cache_hit=0,
                )
                rows.append(tuple(values[c] for c in COLUMNS))
            placeholders = ", ".join("?" for _ in COLUMNS)
            conn.executemany(f"INSERT INTO takes ({', '.join(COLUMNS)}) VALUES ({placeholders})", rows)
            return self._select(where, (account, submission), order, conn), True

    def update(self, take_id: str, **fields: Any) -> Take:
        """Change some columns of a take; bumps `updated_at` and returns the new take.

        A terminal status sets `completed_at` (if not given and not set yet). Raises ValueError
        for unknown or immutable columns and unknown statuses, TakeNotFound if the take is gone.
        """
        if not fields:
            raise ValueError("update needs at least one field")
        unknown = sorted(set(fields) - UPDATABLE_COLUMNS)
        if unknown:
            raise ValueError(
                f"cannot update {', '.join(unknown)} (allowed: {', '.join(sorted(UPDATABLE_COLUMNS))})"
            )
        if "status" in fields and fields["status"] not in STATUSES:
            raise ValueError(f"unknown status {fields['status']!r}")
        for name in _PATH_COLUMNS:
            if fields.get(name):
                self.path(fields[name])
        values = dict(fields)
        for name in _BOOL_COLUMNS:
            if name in values:
                values[name] = 1 if values[name] else 0
        now = _now()
        values["updated_at"] = now
        sets = ", ".join(f"{name} = ?" for name in values)
        params = [*values.values(), take_id]
        with self._write() as conn:
            if values.get("status") in TERMINAL_STATUSES and "completed_at" not in values:
                sets += ", completed_at = COALESCE(completed_at, ?)"
                params.insert(-1, now)
            cur = conn.execute(f"UPDATE takes SET {sets} WHERE id = ?", params)
            if cur.rowcount == 0:
                raise TakeNotFound("This take no longer exists (it may have been deleted).", field="take")
            return self._select("id = ?", (take_id,), "id", conn)[0]

    def set_favourite(self, take_id: str, value: bool) -> Take:
        return self.update(take_id, favourite=bool(value))

    def delete(self, take_id: str) -> None:
        """Delete a take and its files (a file another take still uses is kept)."""
        with self._write() as conn:
            rows = conn.execute("SELECT * FROM takes WHERE id = ?", (take_id,)).fetchall()
            if not rows:
                return
            take = self._take(rows[0])
            conn.execute("DELETE FROM takes WHERE id = ?", (take_id,))
            orphans = []
            # None is subtracted out, so what is left are non-empty strings.
            mine = {getattr(take, name) for name in _PATH_COLUMNS} - {None, ""}
            anywhere = " OR ".join(f"{name} = ?" for name in _PATH_COLUMNS)
            for rel in cast(set[str], mine):
                used = conn.execute(
                    f"SELECT 1 FROM takes WHERE {anywhere} LIMIT 1", (rel,) * len(_PATH_COLUMNS)
                ).fetchone()
                if not used:
                    orphans.append(rel)
        # Files go after the commit: a crash in between leaves an orphan file, never a dangling row.
        for rel in orphans:
            try:
                self.path(rel).unlink(missing_ok=True)
            except (OSError, InputError):
                pass

    def store_bytes(self, data: bytes, suffix: str, *, kind: str) -> str:
        """Save bytes under a generated name in media/<kind>/ atomically; returns the relative path."""
        rel = self.new_media_path(suffix, kind=kind)
        atomic_write_bytes(self.path(rel), bytes(data))
        return rel

    def new_media_path(self, suffix: str, *, kind: str) -> str:
        """A fresh relative path (not yet written) in media/<kind>/ for a writer that needs a Path."""
        if kind not in MEDIA_KINDS:
            raise ValueError(f"kind must be one of {', '.join(MEDIA_KINDS)}, not {kind!r}")
        if not _SUFFIX_RE.match(suffix):
            raise ValueError(f"suffix must look like '.mp4', not {suffix!r}")
        return f"{kind}/{uuid.uuid4().hex}{suffix.lower()}"

    def path(self, rel: str) -> Path:
        """The absolute path of a media file; refuses anything that would leave the media root."""
        bad = InputError("That file path is outside the studio's media folder.", field="path")
        if not isinstance(rel, str) or not rel or "\x00" in rel or "\\" in rel:
            raise bad
        posix = PurePosixPath(rel)
        if posix.is_absolute() or PureWindowsPath(rel).drive or ".." in posix.parts:
            raise bad
        full = (self.media_root / posix).resolve()
        if full == self._root_resolved or not full.is_relative_to(self._root_resolved):
            raise bad
        return full

    # reads --------------------------------------------------------------------------------
    def get(self, take_id: str, account: str | None = None) -> Take | None:
        if account is None:
            found = self._select("id = ?", (take_id,), "id")
        else:
            found = self._select("id = ? AND account = ?", (take_id, account), "id")
        return found[0] if found else None

    def find_any_job(self, job_id: str) -> Take | None:
        """The take that holds a gateway job id, in any account (a webhook names only the job)."""
        found = self._select("job_id = ?", (job_id,), "created_at ASC")
        return found[0] if found else None

    def transition(self, take_id: str, from_statuses: Sequence[str], **fields: Any) -> Take | None:
        """Update a take only if its status is one of `from_statuses`; None if it was not (a race lost).

        Status changes that must not overwrite another writer's outcome (a webhook and a poller
        finishing the same take, a cancel racing a completion) go through here.
        """
        if not from_statuses:
            raise ValueError("transition needs at least one status to move from")
        for name in _PATH_COLUMNS:
            if fields.get(name):
                self.path(fields[name])
        if "status" in fields and fields["status"] not in STATUSES:
            raise ValueError(f"unknown status {fields['status']!r}")
        values = {k: (1 if v else 0) if k in _BOOL_COLUMNS else v for k, v in fields.items()}
        unknown = sorted(set(values) - UPDATABLE_COLUMNS)
        if unknown:
            raise ValueError(f"cannot update {', '.join(unknown)}")
        now = _now()
        values["updated_at"] = now
        sets = ", ".join(f"{name} = ?" for name in values)
        params: list[Any] = list(values.values())
        if values.get("status") in TERMINAL_STATUSES and "completed_at" not in values:
            sets += ", completed_at = COALESCE(completed_at, ?)"
            params.append(now)
        marks = ", ".join("?" for _ in from_statuses)
        with self._write() as conn:
            cur = conn.execute(
                f"UPDATE takes SET {sets} WHERE id = ? AND status IN ({marks})",
                [*params, take_id, *from_statuses],
            )
            if cur.rowcount == 0:
                return None
            return self._select("id = ?", (take_id,), "id", conn)[0]

    # leases: exactly one process works on a take at a time ------------------------------
    def claim(self, take_id: str, owner: str, ttl: float) -> Take | None:
        """Take the lease of an open take for `ttl` seconds: free, lapsed, or already ours.

        None when another owner holds a live lease (or the take is gone or finished). The one
        atomic UPDATE is the whole decision, so two processes can never both win.
        """
        now = _now()
        marks = ", ".join("?" for _ in OPEN_STATUSES)
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE takes SET lease_owner = ?, lease_expires = ?"
                f" WHERE id = ? AND status IN ({marks})"
                " AND (lease_owner IS NULL OR lease_owner = ? OR lease_expires IS NULL OR lease_expires < ?)",
                [owner, now + ttl, take_id, *OPEN_STATUSES, owner, now],
            )
            if cur.rowcount == 0:
                return None
            return self._select("id = ?", (take_id,), "id", conn)[0]

    def renew(self, owner: str, ttl: float, take_ids: Sequence[str]) -> set[str]:
        """Extend this owner's leases; returns the ids it still holds (a lost one was taken over)."""
        if not take_ids:
            return set()
        now = _now()
        held: set[str] = set()
        with self._write() as conn:
            for take_id in take_ids:
                cur = conn.execute(
                    "UPDATE takes SET lease_expires = ? WHERE id = ? AND lease_owner = ?",
                    (now + ttl, take_id, owner),
                )
                if cur.rowcount:
                    held.add(take_id)
        return held

    def release(self, take_id: str, owner: str) -> None:
        with self._write() as conn:
            conn.execute(
                "UPDATE takes SET lease_owner = NULL, lease_expires = NULL WHERE id = ? AND lease_owner = ?",
                (take_id, owner),
            )

    def unleased(self, account: str | None = None) -> builtins.list[Take]:
        """Open takes nobody holds a live lease on (what a process may pick up), oldest first."""
        marks = ", ".join("?" for _ in OPEN_STATUSES)
        where = f"status IN ({marks}) AND (lease_owner IS NULL OR lease_expires IS NULL OR lease_expires < ?)"
        params: list[Any] = [*OPEN_STATUSES, _now()]
        if account is not None:
            where += " AND account = ?"
            params.append(account)
        return self._select(where, params, "created_at ASC, batch_id ASC, variant_index ASC")

    def session_spend(self, account: str, session_id: str) -> int:
        """Credits of one browser session's takes (billed where known, else estimated), minus
        those that never reached a job: no clock involved, so it survives reloads and clock steps."""
        rows = self._read(
            "SELECT COALESCE(SUM(COALESCE(billed_credits, estimated_credits)), 0) FROM takes"
            " WHERE account = ? AND session_id = ?"
            " AND NOT (job_id IS NULL AND status IN ('failed', 'cancelled'))",
            (account, session_id),
        )
        return int(rows[0][0])

    def find_job(self, account: str, job_id: str) -> Take | None:
        """The take that holds a gateway job id in this account, if any."""
        found = self._select("account = ? AND job_id = ?", (account, job_id), "created_at ASC")
        return found[0] if found else None

    def find_submission(self, account: str, submission_id: str) -> list[Take]:
        """The takes already recorded for a submission, in variant order ([] if none)."""
        return self._select(
            "account = ? AND submission_id = ?", (account, submission_id), "variant_index ASC"
        )

    @staticmethod
    def _filters(
        account: str,
        *,
        mode: str | None = None,
        model: str | None = None,
        status: str | Sequence[str] | None = None,
        favourite: bool | None = None,
        search: str | None = None,
        verdict: str | None = None,
    ) -> tuple[str, list[Any]]:
        clauses = ["account = ?"]
        params: list[Any] = [account]
        if mode:
            clauses.append("mode = ?")
            params.append(mode)
        if model:  # either spelling of the id (v2 `sora_2`, v1 `sora-2`)
            clauses.append("model IN (?, ?)")
            params.extend(_spellings(model))
        if status:
            statuses = (status,) if isinstance(status, str) else tuple(status)
            clauses.append(f"status IN ({', '.join('?' for _ in statuses)})")
            params.extend(statuses)
        if favourite is not None:
            clauses.append("favourite = ?")
            params.append(1 if favourite else 0)
        if verdict == UNDECIDED:
            clauses.append("verdict IS NULL")
        elif verdict:
            clauses.append("verdict = ?")
            params.append(Verdict(verdict).value)
        # Every word must appear in the prompt, in any case; a literal match (no wildcards).
        for word in (search or "").split():
            clauses.append("instr(studio_fold(prompt), ?) > 0")
            params.append(word.casefold())
        return " AND ".join(clauses), params

    def list(
        self,
        account: str,
        *,
        mode: str | None = None,
        model: str | None = None,
        status: str | Sequence[str] | None = None,
        favourite: bool | None = None,
        search: str | None = None,
        verdict: str | None = None,
        limit: int | None = 200,
        offset: int = 0,
    ) -> list[Take]:
        """The account's takes, newest first (variants of one batch in order)."""
        where, params = self._filters(
            account, mode=mode, model=model, status=status, favourite=favourite, search=search, verdict=verdict
        )
        order = "created_at DESC, batch_id DESC, variant_index ASC LIMIT ? OFFSET ?"
        lim = -1 if limit is None else max(0, int(limit))
        return self._select(where, [*params, lim, max(0, int(offset))], order)

    def count(self, account: str, **filters: Any) -> int:
        where, params = self._filters(account, **filters)
        return int(self._read(f"SELECT COUNT(*) FROM takes WHERE {where}", params)[0][0])

    def open_takes(self, account: str | None = None) -> builtins.list[Take]:
        """Takes still in flight (all accounts when None), oldest first: what the follower resumes."""
        marks = ", ".join("?" for _ in OPEN_STATUSES)
        where, params = f"status IN ({marks})", list(OPEN_STATUSES)
        if account is not None:
            where += " AND account = ?"
            params.append(account)
        return self._select(where, params, "created_at ASC, batch_id ASC, variant_index ASC")

    def lineage(self, take_id: str) -> builtins.list[Take]:
        """The chain of source takes, root first, ending with the take itself ([] if unknown)."""
        chain: list[Take] = []
        seen: set[str] = set()
        current: str | None = take_id
        while current and current not in seen:
            seen.add(current)
            take = self.get(current)
            if take is None:
                break
            chain.append(take)
            current = take.parent_id or take.source_take_id
        chain.reverse()
        return chain

    def children(self, take_id: str) -> builtins.list[Take]:
        """Takes made from this one (re-rolls, finals, remixes, animated frames...), oldest first."""
        return self._select(
            "parent_id = ? OR (parent_id IS NULL AND source_take_id = ?)",
            (take_id, take_id),
            "created_at ASC, variant_index ASC",
        )

    # verdicts and ideas -------------------------------------------------------------------
    def set_verdict(
        self,
        take_id: str,
        verdict: Verdict | str | None,
        reasons: Sequence[str] = (),
        note: str | None = None,
    ) -> Take:
        """Keep or reject a take, with reason tags and a note (None clears the verdict)."""
        value = Verdict(verdict).value if verdict else None
        unknown = [r for r in reasons if r not in VERDICT_REASONS]
        if unknown:
            raise InputError(f"Unknown reason {unknown[0][:40]!r}.", field="verdict")
        text = (note or "").strip()[:500] or None
        tags = ",".join(dict.fromkeys(reasons)) or None
        return self.update(take_id, verdict=value, verdict_reasons=tags, verdict_note=text)

    def ideas(
        self, account: str, *, verdict: Verdict | str | None = None, limit: int = 10, offset: int = 0
    ) -> builtins.list[tuple[str, int, float]]:
        """A page of the account's ideas as (idea id, takes, last activity), the busiest first.

        `verdict` keeps the ideas holding at least one take with that verdict.
        """
        where, params = "account = ?", [account]
        if verdict:
            where += " AND idea_id IN (SELECT idea_id FROM takes WHERE account = ? AND verdict = ?)"
            params += [account, Verdict(verdict).value]
        rows = self._read(
            f"SELECT idea_id, COUNT(*), MAX(created_at) AS last FROM takes WHERE {where}"
            " GROUP BY idea_id ORDER BY last DESC, idea_id LIMIT ? OFFSET ?",
            [*params, max(0, int(limit)), max(0, int(offset))],
        )
        return [(str(r[0]), int(r[1]), float(r[2])) for r in rows]

    def count_ideas(self, account: str, *, verdict: Verdict | str | None = None) -> int:
        where, params = "account = ?", [account]
        if verdict:
            where += " AND verdict = ?"
            params.append(Verdict(verdict).value)
        return int(self._read(f"SELECT COUNT(DISTINCT idea_id) FROM takes WHERE {where}", params)[0][0])

    def idea_takes(self, account: str, idea_ids: Sequence[str]) -> builtins.list[Take]:
        """Every take of these ideas, oldest first (one query, whatever the number of ideas)."""
        if not idea_ids:
            return []
        marks = ", ".join("?" for _ in idea_ids)
        return self._select(
            f"account = ? AND idea_id IN ({marks})",
            [account, *idea_ids],
            "created_at ASC, batch_id ASC, variant_index ASC",
        )

    def idea_names(self, account: str, idea_ids: Sequence[str]) -> dict[str, tuple[str | None, bool]]:
        """The names and collapsed flags set for these ideas: {idea id: (name, collapsed)}."""
        if not idea_ids:
            return {}
        marks = ", ".join("?" for _ in idea_ids)
        rows = self._read(
            f"SELECT id, name, collapsed FROM ideas WHERE account = ? AND id IN ({marks})",
            [account, *idea_ids],
        )
        return {str(r[0]): (r[1], bool(r[2])) for r in rows}

    def name_idea(self, account: str, idea_id: str, name: str | None) -> None:
        """Rename an idea (an empty name goes back to its first prompt)."""
        text = " ".join((name or "").split())[:80] or None
        with self._write() as conn:
            conn.execute(
                "INSERT INTO ideas (account, id, name) VALUES (?, ?, ?)"
                " ON CONFLICT (account, id) DO UPDATE SET name = excluded.name",
                (account, idea_id, text),
            )

    def collapse_idea(self, account: str, idea_id: str, collapsed: bool) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO ideas (account, id, collapsed) VALUES (?, ?, ?)"
                " ON CONFLICT (account, id) DO UPDATE SET collapsed = excluded.collapsed",
                (account, idea_id, 1 if collapsed else 0),
            )

    def sweep_takes(self, account: str, sweep_id: str) -> builtins.list[Take]:
        return self._select(
            "account = ? AND sweep_id = ?", (account, sweep_id), "submission_id, variant_index"
        )

    def spend(self, account: str, since: float) -> int:
        """Credits of takes created since `since` (billed where known, else estimated), minus those
        that never reached a job."""
        rows = self._read(
            "SELECT COALESCE(SUM(COALESCE(billed_credits, estimated_credits)), 0) FROM takes"
            " WHERE account = ? AND created_at >= ?"
            " AND NOT (job_id IS NULL AND status IN ('failed', 'cancelled'))",
            (account, since),
        )
        return int(rows[0][0])

    def integrity_check(self) -> str:
        return str(self._read("PRAGMA integrity_check")[0][0])
