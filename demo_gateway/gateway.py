"""DemoGateway: configuration, state, accounts, lifecycle (open/start/stop) and statistics."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import itertools
import json
import logging
import os
import secrets
import socket
import threading
import time
from collections import Counter, deque
from collections.abc import Collection
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.requests import Request

from demo_gateway.errors import HttpError
from demo_gateway.faults import Faults
from demo_gateway.jobs import JobBoard
from demo_gateway.media import Files
from demo_gateway.store import STORE_NAME, Job, Store
from demo_gateway.webhooks import Webhooks

log = logging.getLogger("demo_gateway")

RATE_LIMIT = 6000  # requests per key per RATE_WINDOW (a sliding window)
RATE_WINDOW = 60.0


LOCK_NAME = "gateway.lock"
ADDRESS_NAME = "gateway.url"


class GatewayBusy(RuntimeError):
    """Another live gateway holds this data folder; `url` is where it says it answers (or None)."""

    def __init__(self, data_dir: Path, url: str | None) -> None:
        super().__init__(f"another demo gateway is running on {data_dir}" + (f" at {url}" if url else ""))
        self.url = url


def advertised(data_dir: Path) -> str | None:
    try:
        text = (Path(data_dir) / ADDRESS_NAME).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return (
        text
        if text.startswith("http://127.")
        or text.startswith("http://[::1]")
        or text.startswith("http://localhost")
        else None
    )


class DemoGateway:
    """A varg-compatible gateway (/v1 and /v2) that renders real MP4s locally; open()/start() it, stop() it."""

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
        keepalive_seconds: float = 15.0,
        stream_cut_seconds: float = 600.0,
        accepted_keys: Collection[str] | None = None,
        cache: bool = False,
        webhook_secret: str | None = None,
        admin_token: str | None = None,
    ) -> None:
        from demo_gateway.app import create_app

        self.data_dir = Path(data_dir)
        self.host = host
        self.port = int(port)
        self.job_seconds = max(0.0, float(job_seconds))
        self.initial_balance = int(initial_balance)
        self.faults = faults if faults is not None else self._faults_from_env()
        self.render_workers = max(1, int(render_workers))
        self.keepalive_seconds = max(0.01, float(keepalive_seconds))
        self.stream_cut_seconds = float(stream_cut_seconds)
        self.cache = bool(cache)
        self.webhook_secret = webhook_secret or os.environ.get("VARG_WEBHOOK_SECRET") or secrets.token_hex(16)
        self.admin_token = admin_token or None
        self._salt = self._account_salt()
        self._accepted = None if accepted_keys is None else {self.account_id(k) for k in accepted_keys}
        self.stopping = threading.Event()
        self.stopping.set()  # until open()
        self._lock = threading.Lock()
        self._requests: Counter[str] = Counter()
        self._creates = 0
        self._output_downloads = 0
        self._downloads_with_auth = 0
        self._windows: dict[str, deque[float]] = {}
        self._store: Store | None = None
        self.files: Files | None = None
        self.board: JobBoard | None = None
        self.webhooks: Webhooks | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._folder_lock: Any = None
        self.asgi = create_app(self)

    @staticmethod
    def _faults_from_env() -> Faults:
        try:
            return Faults.from_string(os.environ.get("VARG_LOCAL_FAULTS", ""))
        except ValueError as exc:
            log.warning("ignoring VARG_LOCAL_FAULTS: %s", exc)
            return Faults()

    # --- lifecycle -------------------------------------------------------------------------------
    @property
    def store(self) -> Store:
        store = self._store
        if store is None:
            raise HttpError(503, "The gateway is stopping.", headers={"Connection": "close"})
        return store

    def open(self) -> DemoGateway:
        """Load the state in data_dir and start the workers (no HTTP server: mount `asgi` elsewhere).

        One gateway per data folder: another live gateway on it raises `GatewayBusy` with its URL.
        """
        if self._store is not None:
            return self
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._lock_folder()
        try:
            return self._open_locked()
        except BaseException:
            self.close()  # drop the folder lock: a fixed folder can be opened again
            raise

    def _open_locked(self) -> DemoGateway:
        (self.data_dir / "files").mkdir(parents=True, exist_ok=True)
        (self.data_dir / "outputs").mkdir(parents=True, exist_ok=True)
        store = Store(self.data_dir / STORE_NAME)
        self._sweep_temp_files()
        self.files = Files(store, self.data_dir)
        self.board = JobBoard(
            store,
            self.data_dir / "outputs",
            workers=self.render_workers,
            initial_balance=self.initial_balance,
            on_terminal=self._on_terminal,
        )
        self.webhooks = Webhooks(store, self.webhook_secret, self.faults, self._tick)
        self._store = store
        self.stopping.clear()
        self.board.open(self.job_seconds)
        self.webhooks.start()
        return self

    def start(self) -> DemoGateway:
        """open() and serve with uvicorn on a daemon thread; returns once connections are accepted."""
        if self._server is not None:
            return self
        from demo_gateway.app import make_server

        self.open()
        sock = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.port))
        except OSError:
            sock.close()
            self.close()
            raise
        self.port = int(sock.getsockname()[1])
        server = make_server(self)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="gateway-http", daemon=True
        )
        self._server, self._thread = server, thread
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.002)
        if not server.started:
            self.stop()
            raise OSError(f"the gateway could not serve on {self.host}:{self.port}")
        self.advertise(self.url)
        log.info("demo gateway serving on %s", self.url)
        return self

    def stop(self) -> None:
        """Stop the server (if any) and the workers, promptly; close the store."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        self.stopping.set()
        if server is not None:
            server.should_exit = True
            server.force_exit = True
        if self.board is not None:
            self.board.close()
        if self.webhooks is not None:
            self.webhooks.stop()
        if thread is not None:
            thread.join(timeout=1.5)
        self.close()

    def close(self) -> None:
        store, self._store = self._store, None
        if store is not None:
            store.close()
        lock, self._folder_lock = self._folder_lock, None
        if lock is not None:
            with contextlib.suppress(OSError):
                (self.data_dir / ADDRESS_NAME).unlink()
            lock.close()  # closing the file drops the flock

    def _lock_folder(self) -> None:
        lock = open(self.data_dir / LOCK_NAME, "a+b")  # noqa: SIM115 - held open while serving
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            raise GatewayBusy(self.data_dir, advertised(self.data_dir)) from None
        self._folder_lock = lock

    def advertise(self, url: str) -> None:
        """Write where this gateway answers, for a second studio on the same folder to use it."""
        path = self.data_dir / ADDRESS_NAME
        tmp = path.with_suffix(".tmp")
        tmp.write_text(url.rstrip("/"), encoding="utf-8")
        os.replace(tmp, path)

    def __enter__(self) -> DemoGateway:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _sweep_temp_files(self) -> None:
        """Drop partial files a killed run left: renders of other processes, uploads over 5 minutes old."""
        pid = str(os.getpid())
        stale = time.time() - 300
        outputs, files = self.data_dir / "outputs", self.data_dir / "files"
        for path in itertools.chain(outputs.glob(".*.part"), files.glob(".*.tmp")):
            with contextlib.suppress(OSError):
                if (
                    path.suffix == ".part" and pid not in path.name.split(".")
                ) or path.stat().st_mtime < stale:
                    path.unlink()

    # --- addresses ---------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        host = self.host if self.host not in ("", "0.0.0.0", "::") else "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def v1_url(self) -> str:
        return self.url + "/v1"

    @property
    def v2_url(self) -> str:
        return self.url + "/v2"

    @property
    def base_url(self) -> str:
        return self.v2_url

    # --- accounts and clocks -----------------------------------------------------------------------
    def _account_salt(self) -> bytes:
        """A random salt kept with this gateway's data, so its files never hold a plain key hash."""
        path = self.data_dir / "account_salt"
        with contextlib.suppress(FileNotFoundError):
            salt = path.read_bytes()
            if len(salt) >= 16:
                return salt
        self.data_dir.mkdir(parents=True, exist_ok=True)
        salt = secrets.token_bytes(32)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(salt)
        os.replace(tmp, path)
        return salt

    def account_id(self, key: str) -> str:
        return hmac.new(self._salt, key.encode("utf-8", "surrogateescape"), hashlib.sha256).hexdigest()

    def authenticate(self, request: Request) -> str:
        scheme, _, token = request.headers.get("authorization", "").strip().partition(" ")
        token = token.strip()
        challenge = {"WWW-Authenticate": "Bearer"}
        if scheme.lower() != "bearer" or not token:
            raise HttpError(401, "Missing API key: send Authorization: Bearer <key>.", headers=challenge)
        digest = self.account_id(token)
        if self._accepted is not None and digest not in self._accepted:
            raise HttpError(401, "Invalid API key.", headers=challenge)
        return digest

    def reset_credits(self, api_key_or_account: str) -> int:
        """Give a demo account its starting credits again; returns the credits available now (the start).

        Takes an API key, or an account id this gateway already knows (the salted hash of a key).
        Open v2 reservations are left as they are and stay covered: the total becomes the starting
        credits plus what is reserved. So a reserved job that completes is paid out of its own
        reservation (available stays at the start), and one that is cancelled or fails releases its
        reservation on top of the start. A v1 job was paid when it was created; should it fail or be
        cancelled after the reset, its refund also lands on top."""
        value = (api_key_or_account or "").strip()
        if not value:
            raise ValueError("Name the demo account: its API key or account id.")
        store = self.store
        account = value if store.has_account(value) else self.account_id(value)
        if self._accepted is not None and account not in self._accepted:
            raise ValueError("That key is not one this gateway accepts.")
        # one transaction: no job can reserve or settle between reading the reservations and the write
        total, reserved = store.reset_balance(account, self.initial_balance)
        log.info(
            "demo credits reset for account %s…: %d available, %d reserved",
            account[:8],
            total - reserved,
            reserved,
        )
        return total - reserved

    def shown_time(self, ts: float) -> float:
        """A real timestamp as the gateway's (maybe skewed) clock shows it."""
        return ts + self.faults.clock_skew

    def iso(self, ts: float) -> str:
        return datetime.fromtimestamp(self.shown_time(ts), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def rate_window(self, account: str) -> tuple[int, int, int]:
        """Count one request in the key's sliding window: (limit, remaining, reset epoch seconds)."""
        now = time.time()
        with self._lock:
            window = self._windows.setdefault(account, deque())
            while window and window[0] <= now - RATE_WINDOW:
                window.popleft()
            window.append(now)
            reset = int(self.shown_time(window[0] + RATE_WINDOW)) + 1
            return RATE_LIMIT, max(0, RATE_LIMIT - len(window)), reset

    # --- bookkeeping -------------------------------------------------------------------------------
    def count(self, key: str) -> None:
        with self._lock:
            self._requests[key] += 1

    def count_create(self) -> None:
        with self._lock:
            self._creates += 1

    def count_download(self, *, output: bool, with_auth: bool) -> None:
        with self._lock:
            if output:
                self._output_downloads += 1
            if with_auth:
                self._downloads_with_auth += 1

    def _tick(self) -> float | None:
        return self.board.settle_all() if self.board is not None else None

    def _on_terminal(self, job: Job) -> None:
        if job.api != "v2" or not job.webhook_url or self.webhooks is None:
            return
        from demo_gateway.v2 import job_view

        body = json.dumps(job_view(self, job, job.base_url), separators=(",", ":")).encode("utf-8")
        self.webhooks.enqueue(job.job_id, job.webhook_url, f"job.{job.status}", body)

    def stats(self) -> dict[str, Any]:
        jobs = 0
        with contextlib.suppress(Exception):
            jobs = self._store.count_jobs() if self._store is not None else self._last_jobs
        self._last_jobs = jobs
        with self._lock:
            return {
                "creates": self._creates,
                "jobs": jobs,
                "requests": dict(self._requests),
                "output_downloads": self._output_downloads,
                "output_downloads_with_auth": self._downloads_with_auth,
                "webhooks": self.webhooks.stats()
                if self.webhooks
                else {"sent": 0, "failed": 0, "dropped": 0},
                "faults": self.faults.to_dict(),
            }

    _last_jobs = 0

    def job_completed_at(self, job_id: str) -> float | None:
        """When a job reached a terminal status (epoch seconds, full precision), for benchmarks."""
        store, board = self._store, self.board
        if store is None or board is None:
            return None
        job = store.job(job_id)
        if job is None:
            return None
        return board.settle(job).completed
