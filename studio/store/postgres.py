"""The team library: takes in PostgreSQL (`STUDIO_DATABASE_URL=postgresql://…`), media in a media store.

Connections come from a pool per process (`psycopg_pool`, up to POOL_SIZE): a page run or a follower
borrows one for a statement or a transaction, never one per thread.

Differences from SQLite, all deliberate:
- Transactions run at READ COMMITTED; a read-then-write locks what it reads: a transaction-scoped
  advisory lock per submission in `add_batch` (and for migrations), `FOR UPDATE` in `delete`,
  `FOR UPDATE SKIP LOCKED` in `claim`. Single UPDATEs with their condition in WHERE (`transition`,
  `renew`) are atomic as they are.
- Search folds case with PostgreSQL's `lower()` (the database's character type; Unicode-aware in a
  UTF-8 database), not Python's `casefold()`: 'É' finds 'é' on both, but 'STRASSE' finds 'Straße'
  only on SQLite.
- The migrations are the same text, with REAL read as DOUBLE PRECISION (PostgreSQL's REAL is 4 bytes:
  a timestamp would lose minutes); NUMERIC comes back as int or float, as SQLite returns it.
"""

from __future__ import annotations

import builtins
import contextlib
import functools
import logging
import os
import re
import threading
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from studio.changes import TAKES_CHANNEL, WAKE_CHANNEL, Change, ChangeFeed
from studio.errors import StorageError
from studio.store import base
from studio.store.base import _SELECT, Library, Tx, take_from_row
from studio.store.media_files import MediaFolder, MediaStore
from studio.take import OPEN_STATUSES, Take

try:  # the team's driver is optional (requirements-team.txt)
    import psycopg
    from psycopg.adapt import Loader
    from psycopg_pool import ConnectionPool
except ImportError:  # pragma: no cover - exercised only without the team requirements
    psycopg = None  # type: ignore[assignment]
    Loader = object  # type: ignore[assignment,misc]
    ConnectionPool = None  # type: ignore[assignment,misc]

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10
POOL_SIZE = 16  # connections per process: followers and page runs take one per statement or transaction
# A take's visible changes, NOTIFYed at commit to every process LISTENing (see studio/changes.py).
# Progress ticks and lease renewals are left out: other pages poll those while a take is open.
_VISIBLE = ("status", "verdict", "verdict_reasons", "verdict_note", "favourite", "idea_id", "error", "job_id")
_NOTIFY_FUNCTION = f"""CREATE OR REPLACE FUNCTION studio_take_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE r takes;
    BEGIN
        IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
        PERFORM pg_notify('{TAKES_CHANNEL}', left(TG_OP, 1) || ' ' || r.account || ' ' || r.id || ' ' || r.status);
        RETURN NULL;
    END $$"""


def _notify_ddl(columns: set[str]) -> tuple[str, ...]:
    """The trigger statements for a takes table with these columns (an older schema has fewer)."""
    watched = [c for c in _VISIBLE if c in columns]
    return (
        _NOTIFY_FUNCTION,
        "CREATE OR REPLACE TRIGGER takes_added AFTER INSERT OR DELETE ON takes"
        " FOR EACH ROW EXECUTE FUNCTION studio_take_changed()",
        "CREATE OR REPLACE TRIGGER takes_changed AFTER UPDATE ON takes FOR EACH ROW WHEN ("
        + " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in watched)
        + ") EXECUTE FUNCTION studio_take_changed()",
    )
LOCK_TIMEOUT = "10s"
_REAL = re.compile(r"\bREAL\b")


@functools.lru_cache(maxsize=512)
def _pg(sql: str) -> str:
    """`?` placeholders as psycopg's `%s` (a literal `%` doubled). The studio's SQL has no `?` literal."""
    return sql.replace("%", "%%").replace("?", "%s")


class _NumericLoader(Loader):  # type: ignore[misc,valid-type]
    """NUMERIC as SQLite gives it back: an int when whole, else a float (never a Decimal)."""

    def load(self, data: Any) -> int | float:
        value = Decimal(bytes(data).decode())
        return int(value) if value == value.to_integral_value() else float(value)


class _Tx:
    """A psycopg connection inside a transaction, running `?` SQL."""

    __slots__ = ("conn",)

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Sequence[Any] = (), /) -> Any:
        return self.conn.execute(_pg(sql), params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]], /) -> Any:
        cur = self.conn.cursor()
        cur.executemany(_pg(sql), rows)
        return cur


def database_name(url: str) -> str:
    """The database named for people: host, port and name, never the password."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except Exception:
        return "the configured PostgreSQL database"
    host = info.get("host") or "localhost"
    port = f":{info['port']}" if info.get("port") else ""
    return f"PostgreSQL database {info.get('dbname') or '?'} on {host}{port}"


class PostgresLibrary(Library):
    """Takes in PostgreSQL (a connection per thread and process) and media in a media store (default: on disk)."""

    NO_LIMIT = None
    FOR_UPDATE = " FOR UPDATE"
    SKIP_LOCKED = " FOR UPDATE SKIP LOCKED"
    SHARED = True

    def __init__(self, url: str, home: Path, media: MediaStore | None = None) -> None:
        if psycopg is None:
            raise StorageError(
                "STUDIO_DATABASE_URL names PostgreSQL, but its driver is not installed:"
                " pip install -r requirements-team.txt",
                field="studio_database_url",
            )
        self._url = url
        self.where = database_name(url)
        self.media = media if media is not None else MediaFolder(home)
        self._local = threading.local()  # the connection a thread's open transaction holds
        self._pool_lock = threading.Lock()
        self._pool: Any = None
        self._pool_pid = 0
        try:
            self._probe()
            self._migrate()
        except BaseException:
            self.close()
            raise

    def __repr__(self) -> str:
        return f"PostgresLibrary({self.where!r})"

    # connections --------------------------------------------------------------------------
    def _probe(self) -> None:
        """Fail at once, with the database named, when it cannot be reached (the pool would wait)."""
        with self._errors():
            psycopg.connect(self._url, autocommit=True, connect_timeout=CONNECT_TIMEOUT).close()

    def _configure(self, conn: Any) -> None:
        conn.adapters.register_loader("numeric", _NumericLoader)
        conn.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")

    def _pooled(self) -> Any:
        """This process's pool (made on first use; a forked child makes its own, never the parent's)."""
        with self._pool_lock:
            if self._pool is None or self._pool_pid != os.getpid():
                self._pool = ConnectionPool(
                    self._url,
                    min_size=1,
                    max_size=POOL_SIZE,
                    timeout=CONNECT_TIMEOUT,
                    kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT},
                    configure=self._configure,
                    name="studio-library",
                    open=True,
                )
                self._pool_pid = os.getpid()
            return self._pool

    @contextlib.contextmanager
    def _connection(self) -> Iterator[Any]:
        """A pooled connection; inside a transaction, the one that transaction holds (so a nested
        call never waits on its own thread's locks from a second connection)."""
        held = getattr(self._local, "conn", None)
        if held is not None:
            yield held
            return
        with self._pooled().connection() as conn:
            self._local.conn = conn
            try:
                yield conn
            finally:
                self._local.conn = None

    def close(self) -> None:
        """Close this process's pool and every connection in it."""
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None and self._pool_pid == os.getpid():
            with contextlib.suppress(Exception):
                pool.close(timeout=2.0)

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except psycopg.IntegrityError:
            raise
        except psycopg.OperationalError as exc:
            raise StorageError(
                f"The library's {self.where} cannot be reached or is busy: {_first_line(exc)}."
                " Try again in a moment.",
                field="studio_database_url",
            ) from exc
        except psycopg.Error as exc:
            raise StorageError(
                f"The library's {self.where} failed: {_first_line(exc)}.", field="studio_database_url"
            ) from exc

    @contextlib.contextmanager
    def _write(self) -> Iterator[Tx]:
        """A READ COMMITTED transaction; read-then-writes lock what they read (see `_lock`)."""
        with self._errors(), self._connection() as conn, conn.transaction():
            yield _Tx(conn)

    def _read(self, sql: str, params: Sequence[Any] = ()) -> builtins.list[Any]:
        with self._errors(), self._connection() as conn:
            return conn.execute(_pg(sql), params).fetchall()

    def _lock(self, tx: Tx, key: str) -> None:
        tx.execute("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", (key,))

    def _contains(self, column: str, word: str) -> tuple[str, Any]:
        return f"strpos(lower({column}), lower(?)) > 0", word

    def _ddl(self, statement: str) -> str:
        return _REAL.sub("DOUBLE PRECISION", statement)

    # changes between processes --------------------------------------------------------------
    def _after_migrate(self, tx: Tx) -> None:
        """The trigger that NOTIFYs a take's visible changes (not its progress ticks or lease renewals)."""
        rows = tx.execute(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = 'takes'"
        ).fetchall()
        for statement in _notify_ddl({r[0] for r in rows}):
            tx.execute(statement)

    def listen(self, feed: ChangeFeed, stop: threading.Event) -> threading.Thread:
        """A thread that LISTENs on its own connection and feeds `feed`; reconnects after a failure."""
        thread = threading.Thread(target=self._listen, args=(feed, stop), name="library-listen", daemon=True)
        thread.start()
        return thread

    def _listen(self, feed: ChangeFeed, stop: threading.Event) -> None:
        backoff = 0.5
        while not stop.is_set():
            try:
                with psycopg.connect(self._url, autocommit=True, connect_timeout=CONNECT_TIMEOUT) as conn:
                    conn.execute(f"LISTEN {TAKES_CHANNEL}")
                    conn.execute(f"LISTEN {WAKE_CHANNEL}")
                    feed.connected = True
                    feed.resync()  # what changed while we were not listening is drawn again
                    backoff = 0.5
                    while not stop.is_set():
                        for note in conn.notifies(timeout=0.5):
                            if note.channel == WAKE_CHANNEL:
                                feed.wake(note.payload)
                            elif (change := Change.parse(note.payload)) is not None:
                                feed.publish(change)
            except psycopg.Error as exc:
                log.warning("listening to %s failed (%s); again in %.1fs", self.where, _first_line(exc), backoff)
            except Exception:
                log.exception("the library's listener failed; starting it again")
            feed.connected = False
            if stop.wait(backoff):
                return
            backoff = min(backoff * 2, 10.0)

    def wake(self, take_id: str) -> None:
        with self._write() as tx:
            tx.execute("SELECT pg_notify(?, ?)", (WAKE_CHANNEL, take_id))

    # leases -------------------------------------------------------------------------------
    def claim(self, take_id: str, owner: str, ttl: float) -> Take | None:
        """Take the lease of an open take: free, lapsed, or already ours; None when another holds it.

        `FOR UPDATE SKIP LOCKED`: a row another transaction is deciding about is not waited for,
        it is someone else's. Only the owner re-asserting its own lease waits for the row.
        """
        now = base._now()
        marks = ", ".join("?" for _ in OPEN_STATUSES)
        due = (
            f"id = ? AND status IN ({marks}) AND (lease_owner IS NULL OR lease_owner = ?"
            " OR lease_expires IS NULL OR lease_expires < ?)"
        )
        params = [take_id, *OPEN_STATUSES, owner, now]
        with self._write() as tx:
            rows = tx.execute(f"SELECT lease_owner FROM takes WHERE {due} FOR UPDATE SKIP LOCKED", params)
            if not rows.fetchall():
                mine = tx.execute("SELECT lease_owner FROM takes WHERE id = ?", (take_id,)).fetchone()
                if mine is None or mine[0] != owner:
                    return None
                if not tx.execute(f"SELECT 1 FROM takes WHERE {due} FOR UPDATE", params).fetchone():
                    return None
            tx.execute(
                "UPDATE takes SET lease_owner = ?, lease_expires = ? WHERE id = ?", (owner, now + ttl, take_id)
            )
            row = tx.execute(f"{_SELECT} WHERE id = ?", (take_id,)).fetchone()
            return take_from_row(row)

    # health -------------------------------------------------------------------------------
    def integrity_check(self) -> str:
        """'ok' when every table reads through and the takes' indexes check out (with amcheck)."""
        try:
            with self._write() as tx:
                for table in ("schema_migrations", "takes", "ideas"):
                    tx.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
                amcheck = tx.execute("SELECT 1 FROM pg_extension WHERE extname = 'amcheck'").fetchone()
                if amcheck:
                    tx.execute(
                        "SELECT bt_index_check(i.indexrelid) FROM pg_index i"
                        " WHERE i.indrelid = 'takes'::regclass"
                    ).fetchall()
        except StorageError as exc:
            return exc.message
        return "ok"


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]

