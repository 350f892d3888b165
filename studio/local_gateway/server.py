"""A varg v1 look-alike HTTP server on loopback: jobs, SSE, files, balance and usage, rendered locally."""

from __future__ import annotations

import contextlib
import hashlib
import heapq
import hmac
import importlib
import ipaddress
import itertools
import json
import logging
import math
import os
import re
import secrets
import socketserver
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from studio.catalog import MODES, Model, get_model
from studio.errors import InputError
from studio.local_gateway.faults import Faults

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_JSON_BYTES = 1024 * 1024
MAX_PROMPT_CHARS = 4000
DRAIN_LIMIT = 64 * 1024 * 1024
TERMINAL = frozenset({"completed", "failed", "cancelled"})
PROCESSING_AT = 0.15  # share of job_seconds after which a queued job shows `processing`
FAIL_MESSAGE = "The provider rejected the request (content policy)."
RENDER_FAIL_MESSAGE = "The local renderer could not make this video."
INTERNAL_MESSAGE = "An unexpected error occurred."
STORE_NAME = "gateway.sqlite3"
RESUME_MIN_SECONDS = 0.5  # a job resumed after a restart completes no sooner than this

_OUTPUT_NAME = re.compile(r"(job_[0-9a-f]{16})\.mp4")
_UPLOAD_NAME = re.compile(r"(file_[0-9a-f]{16})(\.[a-z0-9]{1,5})")
_HASH_HEADER = re.compile(r"sha256:([0-9a-fA-F]{64})")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_EXT = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "video/webm": ".webm",
    "audio/mpeg": ".mp3",
    "audio/wav": ".wav",
    "application/octet-stream": ".bin",
}
_TYPE_BY_EXT = {ext: media for media, ext in _EXT.items()}
_ERROR_CODES = {
    400: "ValidationError",
    401: "AuthError",
    402: "InsufficientBalanceError",
    403: "ForbiddenError",
    404: "NotFoundError",
    405: "MethodNotAllowedError",
    411: "LengthRequiredError",
    413: "PayloadTooLargeError",
    414: "URITooLongError",
    416: "RangeNotSatisfiableError",
    429: "RateLimitError",
    431: "HeadersTooLargeError",
    500: "InternalError",
    501: "NotImplementedError",
    502: "ProviderError",
    503: "ServiceUnavailableError",
    504: "GatewayTimeoutError",
}


class HttpError(Exception):
    """An error answer: status, varg error code, message and (maybe) field, provider, headers."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        field: str | None = None,
        provider: str | None = None,
        headers: dict[str, str] | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
        self.provider = provider
        self.headers = headers or {}
        self.code = code or _ERROR_CODES.get(status, "InternalError" if status >= 500 else "Error")

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.field:
            out["field"] = self.field
        if self.provider:
            out["provider"] = self.provider
        out["statusCode"] = self.status
        return out


def _bad(message: str, field: str | None = None) -> HttpError:
    return HttpError(400, message, field=field)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sniff_media_type(data: bytes) -> str | None:
    """The media type by content (not by name) for the kinds the studio uploads."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[4:8] == b"ftyp":
        return "video/quicktime" if data[8:10] == b"qt" else "video/mp4"
    if data.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "audio/wav"
    if data.startswith(b"ID3"):
        return "audio/mpeg"
    return None


def parse_range(header: str, size: int) -> tuple[int, int] | str | None:
    """One `bytes=` range as (start, end) inclusive, "unsatisfiable", or None to ignore it."""
    unit, _, spec = header.strip().partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = spec.strip().partition("-")
    if not dash:
        return None
    first, last = first.strip(), last.strip()
    if not first.isdigit() and first:
        return None
    if not last.isdigit() and last:
        return None
    if not first:
        if not last:
            return None
        n = int(last)
        if n == 0 or size == 0:
            return "unsatisfiable"
        return max(0, size - n), size - 1
    start = int(first)
    end = int(last) if last else size - 1
    if last and end < start:
        return None
    if start >= size:
        return "unsatisfiable"
    return start, min(end, size - 1)


@dataclass
class _Account:
    balance: int
    usage: list[dict[str, Any]] = field(default_factory=list)
    usage_by_job: dict[str, dict[str, Any]] = field(default_factory=dict)
    files_by_hash: dict[str, str] = field(default_factory=dict)  # sha256 hex -> file_id


@dataclass
class _File:
    file_id: str
    name: str
    path: Path
    sha: str
    size: int
    media_type: str
    account: str = ""


@dataclass(eq=False)
class _Job:
    job_id: str
    account: str
    model: Model
    mode: str
    prompt: str
    duration: float | None
    aspect_ratio: str
    source: Path | None
    charged: int
    created: float
    status: str = "queued"
    completed: float | None = None
    error: str | None = None
    output_path: str | None = None  # "/o/<job_id>.mp4", made absolute with the current url when answering
    cache_key: str | None = None
    cache_hit: bool = False
    time_done: bool = False
    render_done: bool = False
    render_error: str | None = None
    history: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class _Spec:
    """A validated create-video body."""

    model: Model
    mode: str
    prompt: str
    duration: float | None
    aspect_ratio: str
    source: _File | None


_SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    account TEXT PRIMARY KEY,
    balance INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS usage (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id TEXT NOT NULL UNIQUE,
    account TEXT NOT NULL,
    model TEXT NOT NULL,
    capability TEXT NOT NULL,
    cost_cents INTEGER NOT NULL,
    cache_hit INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
    job_id TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    model TEXT NOT NULL,
    mode TEXT NOT NULL,
    prompt TEXT NOT NULL,
    duration REAL,
    aspect_ratio TEXT NOT NULL,
    source TEXT,
    charged INTEGER NOT NULL,
    created REAL NOT NULL,
    status TEXT NOT NULL,
    completed REAL,
    error TEXT,
    output_path TEXT,
    cache_key TEXT,
    cache_hit INTEGER NOT NULL,
    render_error TEXT
);
CREATE TABLE IF NOT EXISTS files (
    file_id TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    name TEXT NOT NULL,
    sha TEXT NOT NULL,
    size INTEGER NOT NULL,
    media_type TEXT NOT NULL
);
"""
_JOB_COLUMNS = [
    "job_id",
    "account",
    "model",
    "mode",
    "prompt",
    "duration",
    "aspect_ratio",
    "source",
    "charged",
    "created",
    "status",
    "completed",
    "error",
    "output_path",
    "cache_key",
    "cache_hit",
    "render_error",
]
_PUT_JOB = (
    f"INSERT INTO jobs ({', '.join(_JOB_COLUMNS)}) VALUES ({', '.join('?' * len(_JOB_COLUMNS))})"
    f" ON CONFLICT(job_id) DO UPDATE SET {', '.join(f'{n} = excluded.{n}' for n in _JOB_COLUMNS[1:])}"
)


class _Store:
    """The gateway's durable state: one SQLite file (WAL). Not thread-safe: the gateway's lock guards it.

    Accounts are kept by the key's hash (never the key); paths are kept relative to the data dir.
    """

    def __init__(self, path: Path) -> None:
        self._conn = sqlite3.connect(str(path), timeout=5.0, isolation_level=None, check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        self._depth = 0
        try:
            self._conn.execute("PRAGMA busy_timeout=5000")
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: survives a killed process
            with self.tx():
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        self._conn.execute(statement)
        except BaseException:
            self._conn.close()
            raise

    @contextlib.contextmanager
    def tx(self) -> Iterator[None]:
        """One transaction; nested calls join the outer one (committed once, at the outermost)."""
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
            try:
                self._conn.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.execute("ROLLBACK")
                raise

    def put_account(self, account: str, balance: int) -> None:
        self._conn.execute(
            "INSERT INTO accounts (account, balance) VALUES (?, ?)"
            " ON CONFLICT(account) DO UPDATE SET balance = excluded.balance",
            (account, balance),
        )

    def put_usage(self, account: str, record: dict[str, Any]) -> None:
        self._conn.execute(
            "INSERT INTO usage (job_id, account, model, capability, cost_cents, cache_hit, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(job_id) DO UPDATE SET cost_cents = excluded.cost_cents",
            (
                record["job_id"],
                account,
                record["model"],
                record["capability"],
                int(record["cost_cents"]),
                int(bool(record["cache_hit"])),
                record["created_at"],
            ),
        )

    def put_job(self, row: tuple[Any, ...]) -> None:
        self._conn.execute(_PUT_JOB, row)

    def put_file(self, f: _File) -> None:
        self._conn.execute(
            "INSERT OR REPLACE INTO files (file_id, account, name, sha, size, media_type) VALUES (?, ?, ?, ?, ?, ?)",
            (f.file_id, f.account, f.name, f.sha, f.size, f.media_type),
        )

    def rows(self, table: str) -> list[sqlite3.Row]:
        order = {"accounts": "rowid", "usage": "seq", "jobs": "created, rowid", "files": "rowid"}[table]
        return self._conn.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._conn.close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def server_bind(self) -> None:
        # Skip HTTPServer's reverse-DNS lookup (getfqdn): it can stall without a network.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("connection error from %s", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "VargLocalGateway/1.0"
    sys_version = ""
    timeout = 120
    gateway: LocalGateway

    # --- dispatch --------------------------------------------------------------------------
    def _dispatch(self) -> None:
        self.headers_sent = False
        self.body_consumed = False
        self.status_sent = 0
        try:
            self.gateway._handle(self)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError):
            self.close_connection = True
        except Exception:
            log.exception("unhandled error in %s %s", self.command, self.route_path)
            if self.headers_sent:
                self.close_connection = True
            else:
                with contextlib.suppress(OSError):
                    self.send_json(500, HttpError(500, INTERNAL_MESSAGE).body())
        finally:
            if not self.body_consumed and not self.close_connection:
                self.drain()
        log.info("%s %s %s", self.command, self.route_path, self.status_sent or "-")

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = do_HEAD = do_OPTIONS = _dispatch

    @property
    def route_path(self) -> str:
        return urlsplit(self.path).path if self.path else ""

    # --- body ------------------------------------------------------------------------------
    def content_length(self) -> int:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            raise HttpError(411, "Send the body with a Content-Length (chunked uploads are not accepted).")
        raw = self.headers.get("Content-Length")
        if raw is None or raw.strip() == "":
            return 0
        try:
            length = int(raw)
        except ValueError:
            self.close_connection = True
            raise _bad("Content-Length is not a number.") from None
        if length < 0:
            self.close_connection = True
            raise _bad("Content-Length is negative.")
        return length

    def read_body(self, length: int) -> bytes:
        self.body_consumed = True
        data = self.rfile.read(length) if length else b""
        if len(data) != length:
            self.close_connection = True
            raise _bad("The request body ended early.")
        return data

    def drain(self) -> None:
        """Discard an unread request body so the connection can carry the next request."""
        self.body_consumed = True
        try:
            length = self.content_length()
        except HttpError:
            self.close_connection = True
            return
        if length <= 0:
            return
        if length > DRAIN_LIMIT:
            self.close_connection = True
            return
        try:
            self.connection.settimeout(5.0)
            left = length
            while left > 0:
                chunk = self.rfile.read(min(left, 1 << 20))
                if not chunk:
                    break
                left -= len(chunk)
            if left:
                self.close_connection = True
        except OSError:
            self.close_connection = True
        finally:
            with contextlib.suppress(OSError):
                self.connection.settimeout(self.timeout)

    # --- answers ---------------------------------------------------------------------------
    def send_response(self, code: int, message: str | None = None) -> None:
        self.status_sent = code
        super().send_response(code, message)

    def end_headers(self) -> None:
        super().end_headers()
        self.headers_sent = True

    def send_json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_no_content(self) -> None:
        self.send_response(204)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # http.server calls this for malformed requests: answer with a JSON error body too.
        self.close_connection = True
        err = HttpError(code, message or self.responses.get(code, ("Error",))[0])
        with contextlib.suppress(OSError):
            self.send_json(code, err.body(), {"Connection": "close"})

    def version_string(self) -> str:
        return self.server_version

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        pass  # logged once per request in _dispatch (method and path only)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("http: " + format, *args)


# route regex, template (for stats), methods -> LocalGateway method name
_ROUTES: list[tuple[re.Pattern[str], str, dict[str, str]]] = [
    (re.compile(r"/v1/video"), "/v1/video", {"POST": "_create_video"}),
    (re.compile(r"/v1/jobs/([^/]+)"), "/v1/jobs/{id}", {"GET": "_get_job", "DELETE": "_cancel_job"}),
    (re.compile(r"/v1/jobs/([^/]+)/stream"), "/v1/jobs/{id}/stream", {"GET": "_stream_job"}),
    (re.compile(r"/v1/files"), "/v1/files", {"POST": "_upload_file"}),
    (re.compile(r"/v1/balance"), "/v1/balance", {"GET": "_balance"}),
    (re.compile(r"/v1/usage"), "/v1/usage", {"GET": "_usage"}),
    (re.compile(r"/o/([^/]+)"), "/o/{file}", {"GET": "_download_output", "HEAD": "_download_output"}),
    (re.compile(r"/u/([^/]+)"), "/u/{file}", {"GET": "_download_upload", "HEAD": "_download_upload"}),
    (re.compile(r"/_admin/stats"), "/_admin/stats", {"GET": "_admin_stats"}),
    (re.compile(r"/_admin/faults"), "/_admin/faults", {"GET": "_admin_faults", "POST": "_admin_faults"}),
    (re.compile(r"/_admin/faults/reset"), "/_admin/faults/reset", {"POST": "_admin_faults_reset"}),
]


def _match_route(path: str) -> tuple[str, dict[str, str], re.Match[str]] | None:
    for pattern, template, methods in _ROUTES:
        m = pattern.fullmatch(path)
        if m:
            return template, methods, m
    return None


class LocalGateway:
    """A varg-compatible gateway on loopback that renders real MP4s; start() it, stop() it."""

    def __init__(
        self,
        data_dir: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        job_seconds: float = 6.0,
        initial_balance: int = 5000,
        faults: Faults | None = None,
        render_workers: int = 2,
        stream_cut_seconds: float = 600.0,
        keepalive_seconds: float = 15.0,
        accepted_keys: Iterable[str] | None = None,
        cache: bool = False,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.host = host
        self.port = int(port)
        self.job_seconds = max(0.0, float(job_seconds))
        self.initial_balance = int(initial_balance)
        self.faults = faults if faults is not None else self._faults_from_env()
        self.render_workers = max(1, int(render_workers))
        self.stream_cut_seconds = float(stream_cut_seconds)
        self.keepalive_seconds = max(0.01, float(keepalive_seconds))
        self.cache = bool(cache)
        self._salt = self._account_salt()
        self._accepted = None if accepted_keys is None else {self._account_id(k) for k in accepted_keys}
        self._files_dir = self.data_dir / "files"
        self._outputs_dir = self.data_dir / "outputs"

        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)  # notified on every job change
        self._accounts: dict[str, _Account] = {}
        self._jobs: dict[str, _Job] = {}
        self._files: dict[str, _File] = {}
        self._cache_index: dict[str, str] = {}  # cache key -> job_id of a completed job
        self._requests: Counter[str] = Counter()
        self._creates = 0
        self._output_downloads = 0
        self._downloads_with_auth = 0

        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._timer_seq = itertools.count()
        self._timer_cond = threading.Condition()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._threads: list[threading.Thread] = []
        self._executor: ThreadPoolExecutor | None = None
        self._store: _Store | None = None  # open while started; guarded by self._lock
        self._loaded = False

    @staticmethod
    def _faults_from_env() -> Faults:
        spec = os.environ.get("VARG_LOCAL_FAULTS", "")
        try:
            return Faults.from_string(spec)
        except ValueError as exc:
            log.warning("ignoring VARG_LOCAL_FAULTS: %s", exc)
            return Faults()

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self) -> LocalGateway:
        if self._server is not None:
            return self
        self._files_dir.mkdir(parents=True, exist_ok=True)
        self._outputs_dir.mkdir(parents=True, exist_ok=True)
        store = _Store(self.data_dir / STORE_NAME)
        first = not self._loaded
        try:
            with self._cond:
                if first:
                    self._load(store)
                    self._loaded = True
            handler = type("GatewayHandler", (_Handler,), {"gateway": self})
            server = _Server((self.host, self.port), handler)
        except BaseException:
            store.close()
            raise
        self._server = server
        self.port = int(server.server_address[1])
        self._stopping.clear()
        with self._timer_cond:
            self._timers.clear()  # timers of a previous run: unfinished jobs are resumed below
        self._executor = ThreadPoolExecutor(self.render_workers, thread_name_prefix="gateway-render")
        with self._cond:
            self._store = store
            unfinished = [job for job in self._jobs.values() if job.status not in TERMINAL]
            if first:
                for job in self._jobs.values():
                    job.history = [self._snapshot(job)]  # URLs with the port we serve on now
        for job in unfinished:
            self._resume_job(job)
        if first:
            self._sweep_temp_files()
        serve = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="gateway-http",
            daemon=True,
        )
        timers = threading.Thread(target=self._timer_loop, name="gateway-timers", daemon=True)
        self._threads = [serve, timers]
        for t in self._threads:
            t.start()
        log.info("local gateway serving on %s", self.url)
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()
        with self._timer_cond:
            self._timer_cond.notify_all()
        server.shutdown()
        server.server_close()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
        for t in self._threads:
            t.join(timeout=2.0)
        self._threads = []
        with self._cond:
            store, self._store = self._store, None  # later changes (renders in flight) stay in memory
        if store is not None:
            store.close()
        log.info("local gateway stopped")

    def __enter__(self) -> LocalGateway:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        host = self.host if self.host not in ("", "0.0.0.0", "::") else "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        return self.url + "/v1"

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "creates": self._creates,
                "jobs": len(self._jobs),
                "requests": dict(self._requests),
                "output_downloads": self._output_downloads,
                "output_downloads_with_auth": self._downloads_with_auth,
                "faults": self.faults.to_dict(),
            }

    def job_completed_at(self, job_id: str) -> float | None:
        """When a job reached a terminal status (epoch seconds, full precision), for benchmarks."""
        with self._lock:
            job = self._jobs.get(job_id)
            return job.completed if job else None

    # --- persistence ---------------------------------------------------------------------------
    def _load(self, store: _Store) -> None:
        """Read the state a previous run left in data_dir (caller holds the lock)."""
        for row in store.rows("accounts"):
            self._accounts[row["account"]] = _Account(balance=int(row["balance"]))
        for row in store.rows("usage"):
            acct = self._accounts.setdefault(row["account"], _Account(balance=self.initial_balance))
            record = {
                "job_id": row["job_id"],
                "model": row["model"],
                "capability": row["capability"],
                "cost_cents": int(row["cost_cents"]),
                "cache_hit": bool(row["cache_hit"]),
                "created_at": row["created_at"],
            }
            acct.usage.append(record)
            acct.usage_by_job[record["job_id"]] = record
        for row in store.rows("files"):
            f = _File(
                row["file_id"],
                row["name"],
                self._files_dir / row["name"],
                row["sha"],
                int(row["size"]),
                row["media_type"],
                row["account"],
            )
            self._files[f.file_id] = f
            acct = self._accounts.setdefault(f.account, _Account(balance=self.initial_balance))
            if f.sha:
                acct.files_by_hash[f.sha] = f.file_id
        for row in store.rows("jobs"):
            job = _Job(
                job_id=row["job_id"],
                account=row["account"],
                model=self._model_for(row["model"], row["mode"]),
                mode=row["mode"],
                prompt=row["prompt"],
                duration=row["duration"],
                aspect_ratio=row["aspect_ratio"],
                source=self.data_dir / row["source"] if row["source"] else None,
                charged=int(row["charged"]),
                created=float(row["created"]),
                status=row["status"],
                completed=row["completed"],
                error=row["error"],
                output_path=row["output_path"],
                cache_key=row["cache_key"],
                cache_hit=bool(row["cache_hit"]),
                render_error=row["render_error"],
            )
            self._jobs[job.job_id] = job
            if job.status == "completed" and job.cache_key and not job.cache_hit:
                self._cache_index[job.cache_key] = job.job_id
        if self._jobs or self._files:
            log.info("local gateway: loaded %d jobs and %d files", len(self._jobs), len(self._files))

    def _sweep_temp_files(self) -> None:
        """Drop partial files a killed run left: renders of other processes, uploads over 5 minutes old."""
        pid = str(os.getpid())
        stale = time.time() - 300
        for path in itertools.chain(self._outputs_dir.glob(".*.part"), self._files_dir.glob(".*.tmp")):
            with contextlib.suppress(OSError):
                parts = path.name.split(".")
                if (path.suffix == ".part" and pid not in parts) or path.stat().st_mtime < stale:
                    path.unlink()

    @staticmethod
    def _model_for(model_id: str, mode: str) -> Model:
        try:
            return get_model(model_id)
        except InputError:  # gone from the catalog since: keep the job answerable and finishable
            return Model(model_id, model_id, "", "", (mode,), (), None, (), (), 0)

    def _resume_job(self, job: _Job) -> None:
        """Carry on with a job a previous run left queued/processing: render again unless already done."""
        now = time.time()
        done_in = max(job.created + self.job_seconds - now, min(RESUME_MIN_SECONDS, self.job_seconds))
        with self._cond:
            if job.status in TERMINAL:
                return
            job.time_done = False
            if job.render_error is None and "[fail]" in job.prompt.lower():
                job.render_error = FAIL_MESSAGE
            output = self._outputs_dir / f"{job.job_id}.mp4"
            job.render_done = job.render_error is not None or output.is_file()
            if not job.render_done:
                try:
                    assert self._executor is not None
                    self._executor.submit(self._render_job, job)
                except RuntimeError:  # shutting down
                    job.render_done = True
                    job.render_error = RENDER_FAIL_MESSAGE
        if job.status == "queued":
            at = job.created + self.job_seconds * PROCESSING_AT - now
            self._schedule(max(0.0, min(at, done_in)), lambda: self._to_processing(job))
        self._schedule(done_in, lambda: self._time_up(job))

    def _rel(self, path: Path | None) -> str | None:
        if path is None:
            return None
        try:
            return path.relative_to(self.data_dir).as_posix()
        except ValueError:
            return str(path)

    def _job_row(self, job: _Job) -> tuple[Any, ...]:
        return (
            job.job_id,
            job.account,
            job.model.id,
            job.mode,
            job.prompt,
            job.duration,
            job.aspect_ratio,
            self._rel(job.source),
            job.charged,
            job.created,
            job.status,
            job.completed,
            job.error,
            job.output_path,
            job.cache_key,
            int(job.cache_hit),
            job.render_error,
        )

    def _save(self, what: str, write: Callable[[_Store], None]) -> None:
        """Write a change through to the store (caller holds the lock). A failed write is logged:
        the gateway goes on from memory, and the change is lost only if the process also dies."""
        store = self._store
        if store is None:
            return
        try:
            with store.tx():
                write(store)
        except sqlite3.Error:
            log.exception("local gateway: could not save %s", what)

    @contextlib.contextmanager
    def _batch(self) -> Iterator[None]:
        """Group the saves made inside into one transaction (caller holds the lock)."""
        store = self._store
        if store is None:
            yield
            return
        try:
            with store.tx():
                yield
        except sqlite3.Error:
            log.exception("local gateway: could not save a change")

    def _save_job(self, job: _Job) -> None:
        self._save(f"job {job.job_id}", lambda store: store.put_job(self._job_row(job)))

    # --- timers ------------------------------------------------------------------------------
    def _schedule(self, delay: float, fn: Callable[[], None]) -> None:
        with self._timer_cond:
            heapq.heappush(self._timers, (time.monotonic() + delay, next(self._timer_seq), fn))
            self._timer_cond.notify()

    def _timer_loop(self) -> None:
        while not self._stopping.is_set():
            with self._timer_cond:
                due: list[Callable[[], None]] = []
                now = time.monotonic()
                while self._timers and self._timers[0][0] <= now:
                    due.append(heapq.heappop(self._timers)[2])
                if not due:
                    wait = self._timers[0][0] - now if self._timers else None
                    self._timer_cond.wait(wait)
                    continue
            for fn in due:
                try:
                    fn()
                except Exception:
                    log.exception("job timer failed")

    # --- request handling ----------------------------------------------------------------------
    def _handle(self, h: _Handler) -> None:
        split = urlsplit(h.path)
        path, query = split.path, split.query
        method = h.command
        found = _match_route(path)
        if found is None:
            self._count(f"{method} (unknown route)")
            return self._send_error(h, HttpError(404, f"No such route: {method} {path[:200]}"))
        template, methods, m = found
        if not template.startswith("/_admin"):
            self._count(f"{method} {template}")
        try:
            name = methods.get(method)
            if name is None:
                allow = ", ".join(methods)
                raise HttpError(405, f"{method} is not allowed on {template}.", headers={"Allow": allow})
            account = ""
            if template.startswith("/v1/"):
                if self._store is None:  # stopped (a kept-alive connection): nothing could be saved
                    h.close_connection = True
                    raise HttpError(503, "The gateway is stopping.")
                account = self._authenticate(h)
                self._apply_request_faults(template == "/v1/video")
            elif template.startswith("/_admin"):
                self._check_loopback(h)
            getattr(self, name)(h, account, *m.groups(), query=query)
        except HttpError as err:
            self._send_error(h, err)

    def _send_error(self, h: _Handler, err: HttpError) -> None:
        if h.headers_sent:
            h.close_connection = True
            return
        h.send_json(err.status, err.body(), err.headers)

    def _count(self, key: str) -> None:
        with self._lock:
            self._requests[key] += 1

    def _account_salt(self) -> bytes:
        """A random salt kept with this gateway's data, so its files never hold a plain key hash."""
        path = self.data_dir / "account_salt"
        try:
            salt = path.read_bytes()
            if len(salt) >= 16:
                return salt
        except FileNotFoundError:
            pass
        self.data_dir.mkdir(parents=True, exist_ok=True)
        salt = secrets.token_bytes(32)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(salt)
        os.replace(tmp, path)
        return salt

    def _account_id(self, key: str) -> str:
        return hmac.new(self._salt, key.encode("utf-8", "surrogateescape"), hashlib.sha256).hexdigest()

    def _authenticate(self, h: _Handler) -> str:
        scheme, _, token = h.headers.get("Authorization", "").strip().partition(" ")
        token = token.strip()
        challenge = {"WWW-Authenticate": "Bearer"}
        if scheme.lower() != "bearer" or not token:
            raise HttpError(401, "Missing API key: send Authorization: Bearer <key>.", headers=challenge)
        digest = self._account_id(token)
        if self._accepted is not None and digest not in self._accepted:
            raise HttpError(401, "Invalid API key.", headers=challenge)
        return digest

    def _check_loopback(self, h: _Handler) -> None:
        try:
            loopback = ipaddress.ip_address(h.client_address[0]).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise HttpError(403, "Admin hooks answer loopback clients only.")

    def _apply_request_faults(self, is_create: bool) -> None:
        latency = self.faults.latency
        if latency > 0:
            self._stopping.wait(latency)
        kind = "create" if is_create else "read"
        retry_after = self.faults.take_rate_limit(kind)
        if retry_after is not None:
            seconds = max(0, math.ceil(retry_after))
            raise HttpError(
                429,
                f"Rate limit exceeded. Retry after {seconds} seconds.",
                headers={"Retry-After": str(seconds)},
            )
        status = self.faults.take_server_error(kind)
        if status is not None:
            if status == 502:
                raise HttpError(502, "The provider returned an error.", provider="local")
            raise HttpError(status, INTERNAL_MESSAGE if status == 500 else "The service is unavailable.")

    def _account(self, digest: str) -> _Account:
        acct = self._accounts.get(digest)
        if acct is None:
            acct = self._accounts[digest] = _Account(balance=self.initial_balance)
            balance = acct.balance
            self._save("an account", lambda store: store.put_account(digest, balance))
        return acct

    def _job_for(self, account: str, job_id: str) -> _Job:
        job = self._jobs.get(job_id)
        if job is None or job.account != account:
            raise HttpError(404, "Job not found.")
        return job

    # --- jobs ----------------------------------------------------------------------------------
    def _snapshot(self, job: _Job) -> dict[str, Any]:
        out: dict[str, Any] = {
            "job_id": job.job_id,
            "status": job.status,
            "model": job.model.id,
            "created_at": _iso(job.created),
        }
        if job.completed is not None:
            out["completed_at"] = _iso(job.completed)
        if job.status == "completed" and job.output_path:
            out["output"] = {"url": self.url + job.output_path, "media_type": "video/mp4"}
        if job.cache_key:
            out["cache"] = {"hit": job.cache_hit, "key": job.cache_key}
        if job.status == "failed" and job.error:
            out["error"] = job.error
        return out

    def _set_status(self, job: _Job, status: str, *, error: str | None = None) -> None:
        """Move a job on (caller holds the lock); terminal ones get completed_at; all wake streams."""
        job.status = status
        if status in TERMINAL:
            job.completed = time.time()
        if error:
            job.error = error
        job.history.append(self._snapshot(job))
        self._cond.notify_all()
        self._save_job(job)

    def _refund(self, job: _Job) -> None:
        acct = self._account(job.account)
        acct.balance += job.charged
        job.charged = 0
        record = acct.usage_by_job.get(job.job_id)
        if record is not None:
            record["cost_cents"] = 0
        balance, row = acct.balance, self._job_row(job)

        def write(store: _Store) -> None:
            store.put_account(job.account, balance)
            if record is not None:
                store.put_usage(job.account, record)
            store.put_job(row)

        self._save(f"the refund of {job.job_id}", write)

    def _to_processing(self, job: _Job) -> None:
        with self._cond:
            if job.status == "queued":
                self._set_status(job, "processing")

    def _time_up(self, job: _Job) -> None:
        with self._cond:
            job.time_done = True
            self._maybe_finish(job)

    def _maybe_finish(self, job: _Job) -> None:
        if job.status in TERMINAL or not (job.time_done and job.render_done):
            return
        with self._batch():
            self._finish(job)

    def _finish(self, job: _Job) -> None:
        if job.status == "queued":
            self._set_status(job, "processing")
        if job.render_error:
            self._refund(job)
            self._set_status(job, "failed", error=job.render_error)
            return
        job.output_path = f"/o/{job.job_id}.mp4"
        self._set_status(job, "completed")
        if job.cache_key and not job.cache_hit:
            self._cache_index[job.cache_key] = job.job_id

    def _render_job(self, job: _Job) -> None:
        with self._cond:
            if job.status in TERMINAL:
                return
        out = self._outputs_dir / f"{job.job_id}.mp4"
        error: str | None = None
        try:
            render = importlib.import_module("studio.local_gateway.render")
            if job.mode == "text-to-video":
                render.render_text_to_video(job.prompt, job.duration, job.aspect_ratio, out)
            elif job.mode == "image-to-video":
                render.render_image_to_video(job.source, job.prompt, job.duration, job.aspect_ratio, out)
            else:
                render.render_remix(job.source, job.prompt, out, max_seconds=job.model.max_source_seconds)
            if not out.is_file():
                raise RuntimeError("the renderer wrote no file")
        except Exception:
            log.exception("render failed for job %s", job.job_id)
            error = RENDER_FAIL_MESSAGE
        with self._cond:
            if job.status == "cancelled":
                out.unlink(missing_ok=True)
                return
            job.render_done = True
            job.render_error = error
            self._maybe_finish(job)

    def _create_video(self, h: _Handler, account: str, *, query: str) -> None:
        body = self._read_json(h)
        spec = self._validate(body)
        cache_key = None
        if self.cache:
            canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            cache_key = "sha256:" + hashlib.sha256(f"{account}\n{canonical}".encode()).hexdigest()
        now = time.time()
        with self._cond:
            acct = self._account(account)
            hit = self._cache_hit(cache_key)
            cost = 0 if hit else spec.model.credits
            if acct.balance < cost:
                raise HttpError(
                    402,
                    f"Insufficient balance: this job needs {cost} credits, you have {acct.balance}.",
                )
            job = _Job(
                job_id="job_" + secrets.token_hex(8),
                account=account,
                model=spec.model,
                mode=spec.mode,
                prompt=spec.prompt,
                duration=spec.duration,
                aspect_ratio=spec.aspect_ratio,
                source=spec.source.path if spec.source else None,
                charged=cost,
                created=now,
                cache_key=cache_key,
                cache_hit=hit is not None,
            )
            record = {
                "job_id": job.job_id,
                "model": spec.model.id,
                "capability": "video",
                "cost_cents": cost,
                "cache_hit": hit is not None,
                "created_at": _iso(now),
            }
            if hit is not None:
                job.output_path = hit.output_path
                job.time_done = job.render_done = True
                job.completed = now
                job.status = "completed"
            elif "[fail]" in job.prompt.lower() or self.faults.take("fail_jobs"):
                job.render_done = True
                job.render_error = FAIL_MESSAGE
            self._commit_create(job, acct.balance - cost, record)
            acct.balance -= cost
            self._jobs[job.job_id] = job
            self._creates += 1
            acct.usage.append(record)
            acct.usage_by_job[job.job_id] = record
            job.history.append(self._snapshot(job))
        if hit is None:
            self._start_job(job)
        if self.faults.take("create_commit_then_error"):
            raise HttpError(500, INTERNAL_MESSAGE)
        if self.faults.take("create_hang"):
            self._stopping.wait(self.faults.hang_seconds)
        with self._cond:
            snapshot = self._snapshot(job)
        h.send_json(202, snapshot)

    def _commit_create(self, job: _Job, balance: int, record: dict[str, Any]) -> None:
        """Save a new job, its charge and its usage record at once, before answering (caller holds the lock)."""
        store = self._store
        if store is None:
            raise HttpError(503, "The gateway is stopping; nothing was charged.")
        try:
            with store.tx():
                store.put_account(job.account, balance)
                store.put_job(self._job_row(job))
                store.put_usage(job.account, record)
        except sqlite3.Error:
            log.exception("local gateway: could not save new job %s", job.job_id)
            raise HttpError(503, "The gateway could not record the job; nothing was charged.") from None

    def _cache_hit(self, cache_key: str | None) -> _Job | None:
        if not cache_key:
            return None
        job = self._jobs.get(self._cache_index.get(cache_key, ""))
        if (
            job is None
            or job.status != "completed"
            or not (self._outputs_dir / f"{job.job_id}.mp4").is_file()
        ):
            return None
        return job

    def _start_job(self, job: _Job) -> None:
        if job.render_error is None:
            try:
                assert self._executor is not None
                self._executor.submit(self._render_job, job)
            except RuntimeError:  # shutting down
                with self._cond:
                    job.render_done = True
                    job.render_error = RENDER_FAIL_MESSAGE
        self._schedule(self.job_seconds * PROCESSING_AT, lambda: self._to_processing(job))
        self._schedule(self.job_seconds, lambda: self._time_up(job))

    def _read_json(self, h: _Handler) -> Any:
        length = h.content_length()
        if length > MAX_JSON_BYTES:
            raise HttpError(413, "The request body is too large.")
        raw = h.read_body(length)
        if not raw.strip():
            raise _bad("The request body must be a JSON object.")
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise _bad("The request body is not valid JSON.") from None

    def _validate(self, body: Any) -> _Spec:
        if not isinstance(body, dict):
            raise _bad("The request body must be a JSON object.")
        model_id = body.get("model")
        if model_id is None or model_id == "":
            raise _bad("model is required", "model")
        if not isinstance(model_id, str):
            raise _bad("model must be a string", "model")
        try:
            model = get_model(model_id)
        except InputError:
            raise _bad(f"Unknown model {model_id[:60]!r}.", "model") from None
        if not set(model.modes) & set(MODES):
            raise _bad(f"{model.id} is not a video model.", "model")

        prompt = body.get("prompt")
        if prompt is None:
            raise _bad("prompt is required", "prompt")
        if not isinstance(prompt, str):
            raise _bad("prompt must be a string", "prompt")
        if not prompt.strip():
            raise _bad("prompt must not be empty", "prompt")
        if len(prompt) > MAX_PROMPT_CHARS:
            raise _bad(f"prompt must be at most {MAX_PROMPT_CHARS} characters (got {len(prompt)})", "prompt")

        files = self._resolve_files(body.get("files"))
        first = files[0] if files else None
        is_video = first is not None and first.media_type.startswith("video/")
        if model.modes == ("remix",) or is_video:
            mode = "remix"
        elif first is not None and first.media_type.startswith("image/"):
            mode = "image-to-video"
        else:
            mode = "text-to-video"
        if mode not in model.modes:
            raise _bad(f"{model.id} does not do {mode}.", "model")
        if mode == "remix" and not is_video:
            raise _bad(f"{model.id} remixes a video: put the source video's URL first in files.", "files")

        duration: float | None = None
        raw_duration = body.get("duration")
        if mode != "remix":
            allowed = ", ".join(str(d) for d in model.durations)
            if raw_duration is None:
                duration = float(model.default_duration or (model.durations[0] if model.durations else 4))
            elif (
                isinstance(raw_duration, bool)
                or not isinstance(raw_duration, int | float)
                or raw_duration not in model.durations
            ):
                raise _bad(f"duration must be one of {allowed}", "duration")
            else:
                duration = float(raw_duration)

        ratios = model.ratios_for(mode)
        raw_ratio = body.get("aspect_ratio")
        if raw_ratio is not None and not isinstance(raw_ratio, str):
            raise _bad("aspect_ratio must be a string", "aspect_ratio")
        if raw_ratio is not None and ratios and raw_ratio not in ratios:
            raise _bad(f"aspect_ratio must be one of {', '.join(ratios)}", "aspect_ratio")
        aspect_ratio = raw_ratio if raw_ratio and ratios else (ratios[0] if ratios else "16:9")

        options = body.get("provider_options")
        if options is not None and not isinstance(options, dict):
            raise _bad("provider_options must be an object", "provider_options")
        source = first if mode != "text-to-video" else None
        return _Spec(model, mode, prompt, duration, aspect_ratio, source)

    def _resolve_files(self, raw: Any) -> list[_File]:
        if raw is None:
            return []
        if not isinstance(raw, list):
            raise _bad("files must be a list of {url} objects", "files")
        out: list[_File] = []
        for i, item in enumerate(raw):
            url = item.get("url") if isinstance(item, dict) else None
            if not isinstance(url, str) or not url:
                raise _bad(f"files[{i}] must be an object with a url", "files")
            found = self._served_file(url)
            if found is None:
                raise _bad(
                    f"files[{i}].url is not a file uploaded to this gateway (POST /v1/files first).", "files"
                )
            out.append(found)
        return out

    def _served_file(self, url: str) -> _File | None:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            return None
        if parts.scheme not in ("http", "https") or port != self.port:
            return None
        if parts.hostname not in {"127.0.0.1", "localhost", "::1", self.host}:
            return None
        m = re.fullmatch(r"/u/" + _UPLOAD_NAME.pattern, parts.path)
        if not m:
            return None
        with self._lock:
            f = self._files.get(m.group(1))
        if f is None or f.name != m.group(1) + m.group(2) or not f.path.is_file():
            return None
        return f

    def _get_job(self, h: _Handler, account: str, job_id: str, *, query: str) -> None:
        with self._lock:
            snapshot = self._snapshot(self._job_for(account, job_id))
        h.send_json(200, snapshot)

    def _cancel_job(self, h: _Handler, account: str, job_id: str, *, query: str) -> None:
        with self._cond:
            job = self._job_for(account, job_id)
            if job.status not in TERMINAL:
                with self._batch():
                    self._refund(job)
                    self._set_status(job, "cancelled")
                (self._outputs_dir / f"{job.job_id}.mp4").unlink(missing_ok=True)
        h.send_no_content()

    def _stream_job(self, h: _Handler, account: str, job_id: str, *, query: str) -> None:
        with self._lock:
            job = self._job_for(account, job_id)
            sent = len(job.history)
            first = job.history[-1]
        h.close_connection = True
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream; charset=utf-8")
        h.send_header("Cache-Control", "no-cache")
        h.send_header("Connection", "close")
        h.send_header("X-Accel-Buffering", "no")
        h.end_headers()

        def event(snapshot: dict[str, Any]) -> bytes:
            return f"event: status\ndata: {json.dumps(snapshot, separators=(',', ':'))}\n\n".encode()

        start = time.monotonic()
        cut = start + self.stream_cut_seconds
        drop = self.faults.drop_stream_after
        if drop is not None:
            cut = min(cut, start + drop)
        h.wfile.write(event(first))
        status = first["status"]
        next_keepalive = start + self.keepalive_seconds
        while status not in TERMINAL and not self._stopping.is_set():
            with self._cond:
                while len(job.history) == sent and not self._stopping.is_set():
                    wait = min(next_keepalive, cut) - time.monotonic()
                    if wait <= 0:
                        break
                    self._cond.wait(wait)
                new = job.history[sent:]
                sent = len(job.history)
            now = time.monotonic()
            if now >= cut and status not in TERMINAL:
                break  # cut: no more events, not even a pending terminal one
            chunks = [event(s) for s in new]
            if new:
                status = new[-1]["status"]
            if not new and now >= next_keepalive:
                chunks.append(b": keep-alive\n\n")
                next_keepalive = now + self.keepalive_seconds
            if chunks:
                h.wfile.write(b"".join(chunks))

    # --- files -------------------------------------------------------------------------------
    def _upload_file(self, h: _Handler, account: str, *, query: str) -> None:
        length = h.content_length()
        if length > MAX_UPLOAD_BYTES:
            raise HttpError(413, "File too large: the limit is 50 MB.")
        claimed = h.headers.get("X-Content-Hash")
        claimed_hex: str | None = None
        if claimed is not None:
            m = _HASH_HEADER.fullmatch(claimed.strip())
            if not m:
                raise _bad("X-Content-Hash must look like sha256:<64 hex digits>", "X-Content-Hash")
            claimed_hex = m.group(1).lower()
        data = h.read_body(length)
        sha = hashlib.sha256(data).hexdigest() if data else None
        if sha and claimed_hex and sha != claimed_hex:
            raise _bad("X-Content-Hash does not match the uploaded bytes.", "X-Content-Hash")
        key = sha or claimed_hex
        with self._lock:
            acct = self._account(account)
            known = self._files.get(acct.files_by_hash.get(key or "", ""))
        if claimed_hex and known is not None and known.path.is_file():
            return h.send_json(200, self._file_json(known, deduplicated=True))
        if not data:
            raise _bad("The upload is empty: send the file's bytes as the body.", "file")
        declared = h.headers.get("Content-Type", "").split(";")[0].strip().lower()
        media_type = sniff_media_type(data) or declared or "application/octet-stream"
        file_id = "file_" + secrets.token_hex(8)
        ext = _EXT.get(media_type, ".bin")
        path = self._files_dir / f"{file_id}{ext}"
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        f = _File(file_id, path.name, path, sha or "", len(data), media_type, account)
        with self._lock:
            self._files[file_id] = f
            acct.files_by_hash[f.sha] = file_id
            self._save(f"file {file_id}", lambda store: store.put_file(f))
        h.send_json(200, self._file_json(f, deduplicated=False))

    def _file_json(self, f: _File, *, deduplicated: bool) -> dict[str, Any]:
        return {
            "file_id": f.file_id,
            "url": f"{self.url}/u/{f.name}",
            "hash": f"sha256:{f.sha}",
            "size": f.size,
            "media_type": f.media_type,
            "deduplicated": deduplicated,
        }

    def _note_download(self, h: _Handler, *, output: bool) -> None:
        with self._lock:
            if output:
                self._output_downloads += 1
            if h.headers.get("Authorization") is not None:
                self._downloads_with_auth += 1

    def _download_output(self, h: _Handler, account: str, name: str, *, query: str) -> None:
        self._note_download(h, output=True)
        if self.faults.take("download_errors"):
            raise HttpError(500, INTERNAL_MESSAGE)
        path = self._outputs_dir / name
        if not _OUTPUT_NAME.fullmatch(name) or not path.is_file():
            raise HttpError(404, "Output not found.")
        self._send_file(h, path, "video/mp4")

    def _download_upload(self, h: _Handler, account: str, name: str, *, query: str) -> None:
        self._note_download(h, output=False)
        m = _UPLOAD_NAME.fullmatch(name)
        path = self._files_dir / name
        if not m or not path.is_file():
            raise HttpError(404, "File not found.")
        with self._lock:
            f = self._files.get(m.group(1))
        media_type = f.media_type if f else _TYPE_BY_EXT.get(m.group(2), "application/octet-stream")
        self._send_file(h, path, media_type)

    def _send_file(self, h: _Handler, path: Path, media_type: str) -> None:
        try:
            fh = path.open("rb")
        except FileNotFoundError:
            raise HttpError(404, "File not found.") from None
        with fh:
            size = os.fstat(fh.fileno()).st_size
            start, end, status = 0, size - 1, 200
            header = h.headers.get("Range")
            if header:
                parsed = parse_range(header, size)
                if parsed == "unsatisfiable":
                    raise HttpError(
                        416,
                        "The requested range is outside the file.",
                        headers={"Content-Range": f"bytes */{size}"},
                    )
                if isinstance(parsed, tuple):
                    start, end = parsed
                    status = 206
            length = max(0, end - start + 1)
            h.send_response(status)
            h.send_header("Content-Type", media_type)
            h.send_header("Content-Length", str(length))
            h.send_header("Accept-Ranges", "bytes")
            h.send_header("Cache-Control", "public, max-age=86400")
            if status == 206:
                h.send_header("Content-Range", f"bytes {start}-{end}/{size}")
            h.end_headers()
            if h.command == "HEAD":
                return
            fh.seek(start)
            left = length
            while left > 0:
                chunk = fh.read(min(left, 256 * 1024))
                if not chunk:
                    h.close_connection = True  # file shrank under us: the length we sent is wrong
                    break
                h.wfile.write(chunk)
                left -= len(chunk)

    # --- account -------------------------------------------------------------------------------
    def _balance(self, h: _Handler, account: str, *, query: str) -> None:
        with self._lock:
            balance = self._account(account).balance
        h.send_json(200, {"balance_cents": balance, "currency": "usd"})

    def _usage(self, h: _Handler, account: str, *, query: str) -> None:
        params = parse_qs(query, keep_blank_values=True)
        bounds: dict[str, date | None] = {}
        for name in ("from", "to"):
            values = params.get(name)
            if not values:
                bounds[name] = None
                continue
            value = values[-1].strip()
            try:
                if not _DATE.fullmatch(value):
                    raise ValueError
                bounds[name] = date.fromisoformat(value)
            except ValueError:
                raise _bad(f"{name} must be a date like 2026-01-31", name) from None
        start, end = bounds["from"], bounds["to"]
        if start and end and end < start:
            raise _bad("to must not be before from", "to")
        with self._lock:
            records = [dict(r) for r in self._account(account).usage]
        picked = []
        for r in records:
            day = date.fromisoformat(r["created_at"][:10])
            if (start is None or day >= start) and (end is None or day <= end):
                picked.append(r)
        h.send_json(200, {"usage": picked, "total_cents": sum(r["cost_cents"] for r in picked)})

    # --- admin -------------------------------------------------------------------------------
    def _admin_stats(self, h: _Handler, account: str, *, query: str) -> None:
        h.send_json(200, self.stats())

    def _admin_faults(self, h: _Handler, account: str, *, query: str) -> None:
        if h.command == "POST":
            body = self._read_json(h)
            if not isinstance(body, dict):
                raise _bad("Send a JSON object of fault: value.")
            try:
                self.faults.update(body)
            except ValueError as exc:
                raise _bad(str(exc), "faults") from None
        h.send_json(200, self.faults.to_dict())

    def _admin_faults_reset(self, h: _Handler, account: str, *, query: str) -> None:
        self.faults.reset()
        h.send_json(200, self.faults.to_dict())


__all__ = ["HttpError", "LocalGateway", "parse_range", "sniff_media_type"]
