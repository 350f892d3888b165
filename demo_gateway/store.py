"""The gateway's durable state in one SQLite file: accounts, jobs, files, idempotency keys, webhook deliveries."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

STORE_NAME = "gateway.sqlite3"


@dataclass
class Job:
    """One job row. Its visible status is derived from the timestamps (see jobs.py)."""

    job_id: str
    account: str
    api: str  # "v1" | "v2"
    model: str  # canonical id
    mode: str
    prompt: str
    duration: float | None
    aspect_ratio: str
    source: str | None  # path of the source file, relative to the data dir
    seed: int | None
    input_json: str  # the normalised body (v2) or "{}"
    estimate: int  # v1: charged at create; v2: reserved at create
    cost: int  # money actually taken (v1: at create, 0 after a refund; v2: at completion)
    billed_units: float
    created: float  # epoch seconds (real clock; skew is added when shown)
    started: float  # when this attempt started (created, or the last retry)
    due: float  # when the job may complete at the earliest
    render_done: float | None = None
    render_error: str | None = None
    status: str = "active"  # active | completed | failed | cancelled (settled)
    completed: float | None = None
    error_code: str | None = None
    error: str | None = None
    cache_key: str | None = None
    cache_hit: bool = False
    output_job: str | None = None  # the job whose output file this job shows (itself, or a cached one)
    output_size: int | None = None
    output_seconds: float | None = None
    webhook_url: str | None = None
    base_url: str = ""  # the create request's base URL (for webhook bodies)
    attempt: int = 0  # bumped by a retry, so a stale render cannot finish a newer attempt


_COLUMNS = [f.name for f in fields(Job)]
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS accounts (account TEXT PRIMARY KEY, balance INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS jobs ({", ".join(_COLUMNS)}, PRIMARY KEY (job_id));
CREATE INDEX IF NOT EXISTS jobs_account ON jobs (account, created);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status);
CREATE TABLE IF NOT EXISTS files (
    file_id TEXT PRIMARY KEY, account TEXT NOT NULL, name TEXT NOT NULL, sha TEXT NOT NULL,
    size INTEGER NOT NULL, media_type TEXT NOT NULL, seconds REAL
);
CREATE TABLE IF NOT EXISTS idempotency (
    account TEXT NOT NULL, key TEXT NOT NULL, job_id TEXT NOT NULL, body_hash TEXT NOT NULL,
    PRIMARY KEY (account, key)
);
CREATE TABLE IF NOT EXISTS deliveries (
    delivery_id TEXT PRIMARY KEY, job_id TEXT NOT NULL, url TEXT NOT NULL, event TEXT NOT NULL,
    body BLOB NOT NULL, attempts INTEGER NOT NULL, next_at REAL NOT NULL, state TEXT NOT NULL
);
"""
_PUT_JOB = (
    f"INSERT INTO jobs ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"
    f" ON CONFLICT(job_id) DO UPDATE SET {', '.join(f'{n} = excluded.{n}' for n in _COLUMNS[1:])}"
)


@dataclass(frozen=True)
class StoredFile:
    file_id: str
    account: str
    name: str
    sha: str
    size: int
    media_type: str
    seconds: float | None = None


class Store:
    """A SQLite file (WAL) behind one lock. Keys are never stored: accounts are salted HMACs of them."""

    def __init__(self, path: Path) -> None:
        self.lock = threading.RLock()
        self._conn = sqlite3.connect(str(path), timeout=5.0, isolation_level=None, check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        self._depth = 0
        try:
            self._conn.execute("PRAGMA busy_timeout=5000")
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            with self.tx():
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        self._conn.execute(statement)
        except BaseException:
            self._conn.close()
            raise

    @contextlib.contextmanager
    def tx(self) -> Iterator[None]:
        """One transaction under the lock; nested calls join the outer one."""
        with self.lock:
            outer = self._depth == 0
            if outer:
                self._conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if outer:
                    with contextlib.suppress(sqlite3.Error):
                        self._conn.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outer:
                self._conn.execute("COMMIT")

    def close(self) -> None:
        with self.lock, contextlib.suppress(sqlite3.Error):
            self._conn.close()

    # --- accounts ------------------------------------------------------------------------------
    def balance(self, account: str, initial: int) -> int:
        with self.lock:
            row = self._conn.execute("SELECT balance FROM accounts WHERE account = ?", (account,)).fetchone()
            if row is not None:
                return int(row[0])
            with self.tx():
                self._conn.execute(
                    "INSERT INTO accounts (account, balance) VALUES (?, ?)", (account, initial)
                )
            return initial

    def add_balance(self, account: str, delta: int, initial: int) -> None:
        with self.tx():
            self.balance(account, initial)
            self._conn.execute(
                "UPDATE accounts SET balance = balance + ? WHERE account = ?", (delta, account)
            )

    def has_account(self, account: str) -> bool:
        with self.lock:
            row = self._conn.execute("SELECT 1 FROM accounts WHERE account = ?", (account,)).fetchone()
            return row is not None

    def reset_balance(self, account: str, available: int) -> tuple[int, int]:
        """Set the total so that `available` credits are free beside what open jobs reserve, atomically.

        Returns (total, reserved)."""
        with self.tx():
            reserved = self.reserved(account)
            total = int(available) + reserved
            self._conn.execute(
                "INSERT INTO accounts (account, balance) VALUES (?, ?)"
                " ON CONFLICT(account) DO UPDATE SET balance = excluded.balance",
                (account, total),
            )
            return total, reserved

    def reserved(self, account: str) -> int:
        with self.lock:
            row = self._conn.execute(
                "SELECT COALESCE(SUM(estimate), 0) FROM jobs WHERE account = ? AND api = 'v2' AND status = 'active'",
                (account,),
            ).fetchone()
            return int(row[0])

    # --- jobs ----------------------------------------------------------------------------------
    def put_job(self, job: Job) -> None:
        with self.tx():
            self._conn.execute(_PUT_JOB, tuple(asdict(job)[c] for c in _COLUMNS))

    @staticmethod
    def _job(row: sqlite3.Row) -> Job:
        d = dict(row)
        d["cache_hit"] = bool(d["cache_hit"])
        return Job(**d)

    def job(self, job_id: str) -> Job | None:
        with self.lock:
            row = self._conn.execute("SELECT * FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
            return self._job(row) if row else None

    def jobs(
        self, *, account: str | None = None, active: bool = False, limit: int | None = None
    ) -> list[Job]:
        sql, args = "SELECT * FROM jobs WHERE 1=1", []
        if account is not None:
            sql += " AND account = ?"
            args.append(account)
        if active:
            sql += " AND status = 'active'"
        sql += " ORDER BY created DESC, rowid DESC" if limit else " ORDER BY created, rowid"
        if limit:
            sql += f" LIMIT {int(limit)}"
        with self.lock:
            return [self._job(r) for r in self._conn.execute(sql, args).fetchall()]

    def count_jobs(self) -> int:
        with self.lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM jobs").fetchone()[0])

    def cached_job(self, account: str, cache_key: str) -> Job | None:
        with self.lock:
            row = self._conn.execute(
                "SELECT * FROM jobs WHERE account = ? AND cache_key = ? AND status = 'completed'"
                " AND cache_hit = 0 ORDER BY created DESC LIMIT 1",
                (account, cache_key),
            ).fetchone()
            return self._job(row) if row else None

    # --- files ---------------------------------------------------------------------------------
    def put_file(self, f: StoredFile) -> None:
        with self.tx():
            self._conn.execute(
                "INSERT OR REPLACE INTO files (file_id, account, name, sha, size, media_type, seconds)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (f.file_id, f.account, f.name, f.sha, f.size, f.media_type, f.seconds),
            )

    def file(self, file_id: str) -> StoredFile | None:
        with self.lock:
            row = self._conn.execute("SELECT * FROM files WHERE file_id = ?", (file_id,)).fetchone()
            return StoredFile(**dict(row)) if row else None

    def file_by_hash(self, account: str, sha: str) -> StoredFile | None:
        with self.lock:
            row = self._conn.execute(
                "SELECT * FROM files WHERE account = ? AND sha = ? ORDER BY rowid DESC LIMIT 1",
                (account, sha),
            ).fetchone()
            return StoredFile(**dict(row)) if row else None

    # --- idempotency ---------------------------------------------------------------------------
    def idempotent(self, account: str, key: str) -> tuple[str, str] | None:
        with self.lock:
            row = self._conn.execute(
                "SELECT job_id, body_hash FROM idempotency WHERE account = ? AND key = ?", (account, key)
            ).fetchone()
            return (row[0], row[1]) if row else None

    def put_idempotent(self, account: str, key: str, job_id: str, body_hash: str) -> None:
        with self.tx():
            self._conn.execute(
                "INSERT INTO idempotency (account, key, job_id, body_hash) VALUES (?, ?, ?, ?)",
                (account, key, job_id, body_hash),
            )

    # --- webhook deliveries --------------------------------------------------------------------
    def put_delivery(self, d: dict[str, Any]) -> None:
        with self.tx():
            self._conn.execute(
                "INSERT OR REPLACE INTO deliveries (delivery_id, job_id, url, event, body, attempts, next_at, state)"
                " VALUES (:delivery_id, :job_id, :url, :event, :body, :attempts, :next_at, :state)",
                d,
            )

    def due_deliveries(self, now: float) -> list[dict[str, Any]]:
        with self.lock:
            rows = self._conn.execute(
                "SELECT * FROM deliveries WHERE state = 'pending' AND next_at <= ? ORDER BY next_at", (now,)
            ).fetchall()
            return [dict(r) for r in rows]

    def next_delivery_at(self) -> float | None:
        with self.lock:
            row = self._conn.execute("SELECT MIN(next_at) FROM deliveries WHERE state = 'pending'").fetchone()
            return None if row[0] is None else float(row[0])
