"""The studio's services for one account: connection, library, jobs, and the demo gateway."""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from studio.client import VargClient
from studio.jobs import JobManager
from studio.library import Library, account_fingerprint
from studio.settings import DEMO_API_KEY, Settings, load_settings

log = logging.getLogger(__name__)

DEMO_BALANCE = 5000


@dataclass(frozen=True)
class Connection:
    demo: bool
    account: str
    label: str
    base_url: str


@dataclass
class Studio:
    """Everything one account needs; shared by every browser session using that account."""

    settings: Settings
    connection: Connection
    library: Library
    jobs: JobManager
    client: VargClient
    gateway: object | None = None
    _balance: tuple[float, int | None] = field(default=(0.0, None), repr=False)
    _balance_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _usage: dict[date, tuple[float, dict[str, int] | None]] = field(default_factory=dict, repr=False)

    def balance(self, *, max_age: float = 3.0) -> int | None:
        """Credits left (1 credit = 1 cent), cached briefly. AuthError propagates for a bad key."""
        with self._balance_lock:
            at, value = self._balance
            if at and time.monotonic() - at < max_age:
                return value  # a failure (None) is remembered too, so a dead gateway isn't re-asked
        from studio.errors import AuthError, StudioError

        try:
            value = self.client.balance().credits
        except AuthError:
            raise
        except StudioError:
            value = None
        with self._balance_lock:
            self._balance = (time.monotonic(), value)
        return value

    def charged(self, job_id: str | None, created_at: float, *, max_age: float = 30.0) -> int | None:
        """The real charge for a job, from `/v1/usage` (None if unknown or not billed yet)."""
        if not job_id:
            return None
        day = datetime.fromtimestamp(created_at, UTC).date()
        with self._balance_lock:
            cached = self._usage.get(day)
        if cached is None or time.monotonic() - cached[0] > max_age:
            from studio.errors import StudioError

            try:
                usage = self.client.usage(day, day + timedelta(days=1))
                costs: dict[str, int] | None = {r.job_id: r.cost for r in usage.records}
            except StudioError:
                costs = None  # remembered too: an unreachable gateway is not asked on every rerun
            cached = (time.monotonic(), costs)
            with self._balance_lock:
                self._usage[day] = cached
        return None if cached[1] is None else cached[1].get(job_id)

    def forget_balance(self) -> None:
        with self._balance_lock:
            self._balance = (0.0, None)
            self._usage.clear()

    def media_path(self, rel: str | None) -> Path | None:
        if not rel:
            return None
        try:
            path = self.library.path(rel)
        except Exception:
            return None
        return path if path.exists() else None


_lock = threading.Lock()
_studios: dict[tuple[str, str, str], Studio] = {}
_libraries: dict[str, Library] = {}
_gateways: dict[str, object] = {}


def _library(home: Path) -> Library:
    key = str(home.resolve())
    lib = _libraries.get(key)
    if lib is None:
        lib = _libraries[key] = Library(home)
    return lib


def _demo_gateway(settings: Settings) -> object:
    from studio.local_gateway import LocalGateway

    key = str(settings.studio_home.resolve())
    gw = _gateways.get(key)
    if gw is None:
        port_raw = os.environ.get("STUDIO_GATEWAY_PORT", "").strip()
        gw = LocalGateway(
            settings.studio_home / "local_gateway",
            port=int(port_raw) if port_raw.isdigit() else 0,
            job_seconds=settings.demo_job_seconds,
            initial_balance=DEMO_BALANCE,
        ).start()
        _gateways[key] = gw
        log.info("demo mode: local gateway at %s", gw.base_url)
    return gw


def get_studio(api_key: str | None = None, settings: Settings | None = None) -> Studio:
    """The process-wide Studio for this key (demo when no key). Resumes unfinished takes once."""
    settings = settings or load_settings()
    key = (api_key or "").strip() or None
    if key is None and settings.api_key:
        key = settings.api_key
    account = account_fingerprint(key)
    with _lock:
        home = str(settings.studio_home.resolve())
        found = _studios.get((account, home, settings.base_url))
        if found is not None:
            return found
        library = _library(settings.studio_home)
        gateway = None
        if key is None:
            gateway = _demo_gateway(settings)
            base_url = gateway.base_url  # type: ignore[attr-defined]
            client_key = DEMO_API_KEY
            label = "Demo mode: local previews, not Sora"
        else:
            base_url = settings.base_url
            client_key = key
            label = f"varg · {base_url.split('://', 1)[-1].split('/', 1)[0]}"
        client = VargClient(base_url, client_key, timeout=settings.timeout)
        jobs = JobManager(client, library, account)
        studio = Studio(
            settings=settings,
            connection=Connection(demo=key is None, account=account, label=label, base_url=base_url),
            library=library,
            jobs=jobs,
            client=client,
            gateway=gateway,
        )
        _studios[(account, home, settings.base_url)] = studio
    resumed = jobs.resume()
    if resumed:
        log.info("resumed %d unfinished takes for %s", resumed, account)
    return studio


def shutdown_all() -> None:
    with _lock:
        for studio in _studios.values():
            studio.jobs.shutdown(wait=False)
            studio.client.close()
        _studios.clear()
        for gw in _gateways.values():
            gw.stop()  # type: ignore[attr-defined]
        _gateways.clear()
        _libraries.clear()


atexit.register(shutdown_all)
