"""The library: takes in SQL, one interface over SQLite and PostgreSQL (leases and ideas in mixins).

The queries are written once, here, with `?` placeholders; an engine (`sqlite`, `postgres`) supplies
connections, transactions that lock what they read-then-write, and the few phrases that differ
(case-folded search, "no limit", row locks). Media live in a media store (`MediaFolder`, a local
folder, or `S3Media`), apart from SQL: a file is stored before the row naming it is committed.
"""

from __future__ import annotations

import builtins
import contextlib
import dataclasses
import hashlib
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar, cast

from studio import migrations
from studio.changes import ChangeFeed
from studio.errors import StorageError, TakeNotFound
from studio.settings import DEMO_API_KEY
from studio.store.boards import StoryboardStore
from studio.store.engine import Tx
from studio.store.ideas import IdeaStore
from studio.store.leasing import LeaseStore
from studio.store.media_files import ORPHAN_GRACE, MediaStore
from studio.take import (
    DEMO_ACCOUNT,
    OPEN_STATUSES,
    STATUSES,
    TERMINAL_STATUSES,
    Mode,
    NewTake,
    Relation,
    Take,
    TakeStatus,
    Verdict,
)

UNDECIDED = "undecided"  # a verdict filter: takes nobody has kept or rejected yet
_FINGERPRINT_SALT = b"varg-studio/account/v1:"
_now = time.time  # the clock; tests may replace it

COLUMNS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Take))
_IMMUTABLE = frozenset(
    {"id", "account", "batch_id", "submission_id", "variant_index", "created_at", "idempotency_key"}
) | {"created_by"}  # who made a take never changes
UPDATABLE_COLUMNS = frozenset(COLUMNS) - _IMMUTABLE - {"updated_at"}
PATH_COLUMNS = ("video_path", "poster_path", "source_file", "original_file", "end_file")
BOOL_COLUMNS = ("favourite", "cache_hit", "audio")
_SELECT = f"SELECT {', '.join(COLUMNS)} FROM takes"


def account_fingerprint(api_key: str | None) -> str:
    """A one-way, stable account id for scoping the library; the key itself is never stored."""
    if api_key is None:
        return DEMO_ACCOUNT
    key = api_key.strip()
    if not key or key == DEMO_API_KEY:
        return DEMO_ACCOUNT
    digest = hashlib.sha256(_FINGERPRINT_SALT + key.encode("utf-8")).hexdigest()
    return "acct_" + digest[:20]


def _spellings(model: str) -> tuple[str, str]:
    name = model.rpartition(":")[2]
    return name.replace("-", "_"), name.replace("_", "-")


def take_from_row(row: Sequence[Any]) -> Take:
    """A Take from a row selected as `COLUMNS`, in order (integer flags become booleans)."""
    values = dict(zip(COLUMNS, row, strict=True))
    for name in BOOL_COLUMNS:
        values[name] = bool(values[name])
    values["status"] = TakeStatus(values["status"])
    values["mode"] = Mode(values["mode"])
    for name, kind in (("relation", Relation), ("verdict", Verdict)):
        values[name] = kind(values[name]) if values[name] else None
    return Take(**values)


class Library(LeaseStore, IdeaStore, StoryboardStore):
    """Takes in a SQL database and their media files (leases, ideas and storyboards in their mixins).

    `Library(home)` opens the single-user SQLite library in `home` (as `Path(...)` gives a
    `PosixPath`); `open_library(settings)` picks PostgreSQL when `STUDIO_DATABASE_URL` says so.
    """

    NO_LIMIT: ClassVar[Any] = None  # what `LIMIT ?` takes to mean "all rows"
    FOR_UPDATE: ClassVar[str] = ""  # the row lock a read-then-write SELECT needs
    SHARED: ClassVar[bool] = False  # one library for a team (several studio processes), not one computer
    media: MediaStore

    def __new__(cls, *args: Any, **kwargs: Any) -> Library:
        if cls is Library:
            from studio.store.sqlite import SQLiteLibrary

            return super().__new__(SQLiteLibrary)
        return super().__new__(cls)

    # the engine's part ------------------------------------------------------------------------
    @contextlib.contextmanager
    def _write(self) -> Iterator[Tx]:
        """A transaction; its read-then-writes are safe against other writers."""
        raise NotImplementedError
        yield

    def _read(self, sql: str, params: Sequence[Any] = ()) -> builtins.list[Any]:
        raise NotImplementedError

    def _lock(self, tx: Tx, key: str) -> None:
        """Serialise transactions about `key` until this one ends (no-op where writes already are)."""

    def _contains(self, column: str, word: str) -> tuple[str, Any]:
        """A clause true when `word` is in `column`, in any case, literally; and its parameter."""
        raise NotImplementedError

    def close(self) -> None:
        """Close every connection this library opened (in this process)."""

    def integrity_check(self) -> str:
        """'ok', or what the engine found wrong with the stored data."""
        raise NotImplementedError

    # migrations ---------------------------------------------------------------------------
    def _ddl(self, statement: str) -> str:
        """A migration statement in this engine's dialect."""
        return statement

    def _migrate(self) -> None:
        """Apply the numbered migrations not applied yet, each step in the one transaction."""
        with self._write() as tx:
            self._lock(tx, "schema_migrations")
            tx.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version INTEGER PRIMARY KEY, applied_at " + self._ddl("REAL") + " NOT NULL)"
            )
            done = {row[0] for row in tx.execute("SELECT version FROM schema_migrations").fetchall()}
            for version, sql in sorted(migrations.MIGRATIONS):
                if version in done:
                    continue
                for statement in migrations.statements(sql):
                    tx.execute(self._ddl(statement))
                tx.execute(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", (version, _now())
                )
            self._after_migrate(tx)

    def _after_migrate(self, tx: Tx) -> None:
        """Engine-only schema (PostgreSQL's change notifications), set up under the migration lock."""

    # changes between processes --------------------------------------------------------------
    def listen(self, feed: ChangeFeed, stop: threading.Event) -> threading.Thread | None:
        """Feed `feed` with other processes' changes until `stop` (None: one process has them all)."""
        return None

    def wake(self, take_id: str) -> None:
        """Ask whichever process follows `take_id` to look at it now (a webhook landed elsewhere)."""

    def schema_version(self) -> int:
        rows = self._read("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
        return int(rows[0][0])

    # media --------------------------------------------------------------------------------
    @property
    def home(self) -> Path:
        return self.media.home

    @property
    def media_root(self) -> Path:
        return self.media.root

    def path(self, rel: str) -> Path:
        """The absolute path of a media file; refuses anything that would leave the media root."""
        return self.media.path(rel)

    def store_bytes(self, data: bytes, suffix: str, *, kind: str) -> str:
        """Save bytes under a generated name in media/<kind>/ atomically; returns the relative path."""
        return self.media.store_bytes(data, suffix, kind=kind)

    def new_media_path(self, suffix: str, *, kind: str) -> str:
        """A fresh relative path (not yet written) in media/<kind>/ for a writer that needs a Path."""
        return self.media.new_path(suffix, kind=kind)

    def sweep_partial_files(self, older_than: float = 300.0) -> int:
        """Remove `.part` files a killed download left in the media folders. Returns how many."""
        return self.media.sweep_partial_files(older_than)

    def media_url(self, rel: str, expires: int = 12 * 3600) -> str | None:
        """A URL a browser can fetch the file from directly (presigned, S3), or None (a local folder)."""
        return self.media.url(rel, expires=expires)

    def commit_media(self, *rels: str | None) -> None:
        """Store files a writer produced at `path(rel)` (an upload on S3): before the row naming them."""
        for rel in rels:
            if rel:
                self.media.put(rel)

    def media_paths(self) -> set[str]:
        """Every media path a take names, in every account."""
        found: set[str] = set()
        for row in self._read(f"SELECT {', '.join(PATH_COLUMNS)} FROM takes"):
            found.update(value for value in row if value)
        return found

    def sweep_orphans(self, older_than: float = ORPHAN_GRACE) -> int:
        """Remove stored media no take names, older than the grace period. Returns how many.

        A library naming no media at all is new or restored from elsewhere: nothing is swept then,
        so pointing an empty database at a bucket (or a folder) full of media never empties it.
        """
        referenced = self.media_paths()  # read before listing: a file stored after it is fresh
        if not referenced:
            return 0
        return self.media.sweep_orphans(referenced, older_than)

    # rows ---------------------------------------------------------------------------------
    def _select(
        self, where: str, params: Sequence[Any], order: str, tx: Tx | None = None
    ) -> builtins.list[Take]:
        sql = f"{_SELECT} WHERE {where} ORDER BY {order}"
        rows = tx.execute(sql, params).fetchall() if tx is not None else self._read(sql, params)
        return [take_from_row(r) for r in rows]

    # writes -------------------------------------------------------------------------------
    def add_batch(self, takes: builtins.list[NewTake]) -> tuple[builtins.list[Take], bool]:
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
        with self._write() as tx:
            self._lock(tx, f"submission|{account}|{submission}")
            existing = self._select(where, (account, submission), order, tx)
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
                    status=TakeStatus.PENDING,
                    error=None,
                    created_at=now,
                    updated_at=now,
                    completed_at=None,
                    video_path=None,
                    poster_path=None,
                    favourite=0,
                    cache_hit=0,
                )
                values["audio"] = 1 if values["audio"] else 0
                rows.append(tuple(values[c] for c in COLUMNS))
            placeholders = ", ".join("?" for _ in COLUMNS)
            tx.executemany(f"INSERT INTO takes ({', '.join(COLUMNS)}) VALUES ({placeholders})", rows)
            return self._select(where, (account, submission), order, tx), True

    @staticmethod
    def _assignments(fields: dict[str, Any]) -> tuple[str, builtins.list[Any]]:
        """`SET` text and parameters for an update: checked columns, flags as 0/1, `updated_at`,
        and `completed_at` set once by a terminal status."""
        unknown = sorted(set(fields) - UPDATABLE_COLUMNS)
        if unknown:
            raise ValueError(
                f"cannot update {', '.join(unknown)} (allowed: {', '.join(sorted(UPDATABLE_COLUMNS))})"
            )
        if "status" in fields and fields["status"] not in STATUSES:
            raise ValueError(f"unknown status {fields['status']!r}")
        values = {k: (1 if v else 0) if k in BOOL_COLUMNS else v for k, v in fields.items()}
        now = _now()
        values["updated_at"] = now
        sets = ", ".join(f"{name} = ?" for name in values)
        params: builtins.list[Any] = list(values.values())
        if values.get("status") in TERMINAL_STATUSES and "completed_at" not in values:
            sets += ", completed_at = COALESCE(completed_at, ?)"
            params.append(now)
        return sets, params

    def update(self, take_id: str, **fields: Any) -> Take:
        """Change some columns of a take; bumps `updated_at` and returns the new take.

        A terminal status sets `completed_at` (if not given and not set yet). Raises ValueError
        for unknown or immutable columns and unknown statuses, TakeNotFound if the take is gone.
        """
        if not fields:
            raise ValueError("update needs at least one field")
        sets, params = self._assignments(fields)
        for name in PATH_COLUMNS:
            if fields.get(name):
                self.path(fields[name])
        with self._write() as tx:
            cur = tx.execute(f"UPDATE takes SET {sets} WHERE id = ?", [*params, take_id])
            if cur.rowcount == 0:
                raise TakeNotFound("This take no longer exists (it may have been deleted).", field="take")
            return self._select("id = ?", (take_id,), "id", tx)[0]

    def transition(self, take_id: str, from_statuses: Sequence[str], **fields: Any) -> Take | None:
        """Update a take only if its status is one of `from_statuses`; None if it was not (a race lost).

        Status changes that must not overwrite another writer's outcome (a webhook and a poller
        finishing the same take, a cancel racing a completion) go through here.
        """
        if not from_statuses:
            raise ValueError("transition needs at least one status to move from")
        for name in PATH_COLUMNS:
            if fields.get(name):
                self.path(fields[name])
        sets, params = self._assignments(fields)
        marks = ", ".join("?" for _ in from_statuses)
        with self._write() as tx:
            cur = tx.execute(
                f"UPDATE takes SET {sets} WHERE id = ? AND status IN ({marks})",
                [*params, take_id, *from_statuses],
            )
            if cur.rowcount == 0:
                return None
            return self._select("id = ?", (take_id,), "id", tx)[0]

    def set_favourite(self, take_id: str, value: bool) -> Take:
        return self.update(take_id, favourite=bool(value))

    def delete(self, take_id: str) -> None:
        """Delete a take and its files (a file another take still uses is kept)."""
        with self._write() as tx:
            rows = tx.execute(f"{_SELECT} WHERE id = ?{self.FOR_UPDATE}", (take_id,)).fetchall()
            if not rows:
                return
            take = take_from_row(rows[0])
            tx.execute("DELETE FROM takes WHERE id = ?", (take_id,))
            orphans = []
            # None is subtracted out, so what is left are non-empty strings.
            mine = {getattr(take, name) for name in PATH_COLUMNS} - {None, ""}
            anywhere = " OR ".join(f"{name} = ?" for name in PATH_COLUMNS)
            for rel in cast(set[str], mine):
                used = tx.execute(
                    f"SELECT 1 FROM takes WHERE {anywhere} LIMIT 1", (rel,) * len(PATH_COLUMNS)
                ).fetchone()
                if not used:
                    orphans.append(rel)
        # Files go after the commit: a crash in between leaves an orphan file, never a dangling row.
        for rel in orphans:
            self.media.remove(rel)

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

    def find_submission(self, account: str, submission_id: str) -> builtins.list[Take]:
        """The takes already recorded for a submission, in variant order ([] if none)."""
        return self._select(
            "account = ? AND submission_id = ?", (account, submission_id), "variant_index ASC"
        )

    def _filters(
        self,
        account: str,
        *,
        mode: str | None = None,
        model: str | None = None,
        status: str | Sequence[str] | None = None,
        favourite: bool | None = None,
        search: str | None = None,
        verdict: str | None = None,
        created_by: str | None = None,
    ) -> tuple[str, builtins.list[Any]]:
        clauses = ["account = ?"]
        params: builtins.list[Any] = [account]
        if created_by:  # one person's takes (None: everyone's)
            clauses.append("created_by = ?")
            params.append(created_by)
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
            clause, param = self._contains("prompt", word)
            clauses.append(clause)
            params.append(param)
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
        created_by: str | None = None,
        limit: int | None = 200,
        offset: int = 0,
    ) -> builtins.list[Take]:
        """The account's takes, newest first (variants of one batch in order); `created_by`: one
        person's only."""
        where, params = self._filters(
            account,
            mode=mode,
            model=model,
            status=status,
            favourite=favourite,
            search=search,
            verdict=verdict,
            created_by=created_by,
        )
        order = "created_at DESC, batch_id DESC, variant_index ASC LIMIT ? OFFSET ?"
        lim = self.NO_LIMIT if limit is None else max(0, int(limit))
        return self._select(where, [*params, lim, max(0, int(offset))], order)

    def count(self, account: str, *, cap: int | None = None, **filters: Any) -> int:
        """How many takes match; with `cap`, counting stops there (a page needs "10,000+", not a scan)."""
        where, params = self._filters(account, **filters)
        if cap is None:
            return int(self._read(f"SELECT COUNT(*) FROM takes WHERE {where}", params)[0][0])
        sql = f"SELECT COUNT(*) FROM (SELECT 1 FROM takes WHERE {where} LIMIT ?) AS capped"
        return int(self._read(sql, [*params, int(cap)])[0][0])

    def open_takes(self, account: str | None = None) -> builtins.list[Take]:
        """Takes still in flight (all accounts when None), oldest first: what the follower resumes."""
        marks = ", ".join("?" for _ in OPEN_STATUSES)
        where, params = f"status IN ({marks})", list[object](OPEN_STATUSES)
        if account is not None:
            where += " AND account = ?"
            params.append(account)
        return self._select(where, params, "created_at ASC, batch_id ASC, variant_index ASC")

    def spend(self, account: str, since: float, *, created_by: str | None = None) -> int:
        """Credits of takes created since `since` (billed where known, else estimated), minus those
        that never reached a job; with `created_by`, one person's (their spend against their budget)."""
        who, params = (
            ("", [account, since])
            if created_by is None
            else (" AND created_by = ?", [account, since, created_by])
        )
        rows = self._read(
            "SELECT COALESCE(SUM(COALESCE(billed_credits, estimated_credits)), 0) FROM takes"
            f" WHERE account = ? AND created_at >= ?{who}"
            " AND NOT (job_id IS NULL AND status IN ('failed', 'cancelled'))",
            params,
        )
        return int(rows[0][0])

    def spend_by(self, account: str, person_email: str, since: float) -> int:
        """What one person's takes created since `since` cost (see `spend`)."""
        return self.spend(account, since, created_by=person_email)


__all__ = [
    "COLUMNS",
    "UNDECIDED",
    "UPDATABLE_COLUMNS",
    "Library",
    "StorageError",
    "TakeNotFound",
    "Tx",
    "account_fingerprint",
    "take_from_row",
]
