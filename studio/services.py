"""The studio's services: a `Hub` (one per app) holding a `Studio` per account, and the demo gateway.

The app's lifespan makes the hub, starts it and stops it; nothing here registers itself globally.
The demo gateway is handed in as a factory, so the core never imports it.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from studio import catalog as catalogs
from studio import webhooks
from studio.api import ApiVersion, Backend, Balance, open_backend, version_of
from studio.catalog import Estimate
from studio.changes import ChangeFeed
from studio.errors import AuthError, StudioError, model_unavailable
from studio.jobs import JobManager
from studio.library import Library, account_fingerprint, open_library
from studio.live_catalog import LiveCatalog, StaticCatalog
from studio.settings import DEMO_API_KEY, Settings, load_settings
from studio.submission import Prepared

log = logging.getLogger(__name__)

DEMO_BALANCE = 5000
QUOTE_TTL = 120.0


class GatewayHandle(Protocol):
    """What the hub needs of a demo gateway (the app makes it; the core never imports one)."""

    v2_url: str

    def stop(self) -> None: ...


GatewayFactory = Callable[[Settings, str | None], GatewayHandle]  # (settings, webhook secret)


@dataclass(frozen=True)
class Connection:
    demo: bool
    account: str
    label: str
    base_url: str
    version: ApiVersion = ApiVersion.V2


@dataclass
class Studio:
    """Everything one account needs; shared by every browser session using that account."""

    settings: Settings
    connection: Connection
    library: Library
    jobs: JobManager
    backend: Backend
    catalog: LiveCatalog | StaticCatalog
    _balance: tuple[float, Balance | None] = field(default=(0.0, None), repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _usage: dict[object, tuple[float, dict[str, int] | None]] = field(default_factory=dict, repr=False)
    _quotes: dict[str, tuple[float, Future]] = field(default_factory=dict, repr=False)
    _pool: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=2, thread_name_prefix="quote"), repr=False
    )

    @property
    def client(self) -> Backend:  # older name
        return self.backend

    def funds(self, *, max_age: float = 3.0) -> Balance | None:
        """Available and reserved credits, cached briefly (None when unreachable). AuthError propagates."""
        with self._lock:
            at, value = self._balance
            if at and time.monotonic() - at < max_age:
                return value  # a failure (None) is remembered too, so a dead gateway isn't re-asked
        try:
            value = self.backend.balance()
        except AuthError:
            raise
        except StudioError:
            value = None
        with self._lock:
            self._balance = (time.monotonic(), value)
        return value

    def balance(self, *, max_age: float = 3.0) -> int | None:
        """Credits available for a new job (1 credit = 1 cent)."""
        found = self.funds(max_age=max_age)
        return None if found is None else found.available

    def quote(self, prepared: Prepared, *, wait: float = 1.0) -> Estimate:
        """The exact price of this submission from the gateway (v2), or the catalogue's approx.

        Cached by the request body (seeds aside: they do not change the price); a lookup still in
        flight after `wait` seconds gives the approx figure now and the exact one on a later run.
        """
        approx = prepared.estimate
        if self.connection.version is ApiVersion.V1 or prepared.model.inherits_source:
            return approx  # v1 prices from its catalogue; an edit's price follows its source's length
        req = prepared.video_request(0)  # the input file is uploaded at submit: priced without it
        body = req.v2_body()
        body.pop("seed", None)
        key = json.dumps(body, sort_keys=True)
        now = time.monotonic()
        with self._lock:
            started, future = self._quotes.get(key, (0.0, None))
            if (
                future is None
                or (future.done() and now - started > QUOTE_TTL)
                or (future.done() and future.exception() is not None and now - started > 5.0)
            ):
                started, future = now, self._pool.submit(self.backend.estimate, req)
                self._quotes[key] = (started, future)
                if len(self._quotes) > 256:
                    self._quotes.pop(next(iter(self._quotes)))
        try:
            quote = future.result(timeout=max(0.0, wait - (now - started)))
        except Exception as exc:
            if model_unavailable(exc):  # varg lists it but will not make it: stop offering it now
                code = getattr(exc, "code", "")
                reason = (
                    "varg has no price for it right now" if code == "no_pricing" else "varg says it is gone"
                )
                self.catalog.mark_unavailable(prepared.model.id, reason)
            return approx
        if quote is None:
            return approx
        per_job = quote.cents
        return Estimate(
            per_job=per_job, count=approx.count, total=per_job * approx.count, exact=True, cached=quote.cached
        )

    def charged(self, job_id: str | None, created_at: float, *, max_age: float = 30.0) -> int | None:
        """The real charge for a job from usage (v1; v2 takes carry `billed_credits`)."""
        if not job_id:
            return None
        day = datetime.fromtimestamp(created_at, UTC).date()
        with self._lock:
            cached = self._usage.get(day)
        if cached is None or time.monotonic() - cached[0] > max_age:
            try:
                usage = self.backend.usage(day, day + timedelta(days=1))
                costs: dict[str, int] | None = {r.job_id: r.cost for r in usage.records}
            except StudioError:
                costs = None  # remembered too: an unreachable gateway is not asked on every rerun
            cached = (time.monotonic(), costs)
            with self._lock:
                self._usage[day] = cached
        return None if cached[1] is None else cached[1].get(job_id)

    def forget_balance(self) -> None:
        with self._lock:
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

    def close(self) -> None:
        self.jobs.shutdown(wait=False)
        self.catalog.close()
        self.backend.close()
        self._pool.shutdown(wait=False, cancel_futures=True)


class Hub:
    """One per app: the library, a Studio per account, the demo gateway, the webhook entry."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        gateway_factory: GatewayFactory | None = None,
        public_url: str | None = None,
        webhook_secret: str | None = None,
        max_accounts: int = 32,
    ) -> None:
        self.settings = settings or load_settings()
        self.public_url = (public_url or self.settings.public_url or "").rstrip("/") or None
        self.webhook_secret = webhook_secret or self.settings.webhook_secret
        self._gateway_factory = gateway_factory
        self._gateway: GatewayHandle | None = None
        self._lock = threading.Lock()
        self._studios: OrderedDict[tuple[str, str], Studio] = OrderedDict()  # least recently used first
        self._library: Library | None = None
        self.changes: ChangeFeed | None = None  # other processes' changes (a shared PostgreSQL library)
        self._listening = threading.Event()  # set to stop the listener
        self.started_at = time.time()
        self.max_accounts = max(1, max_accounts)

    @property
    def library(self) -> Library:
        with self._lock:
            if self._library is None:
                self._library = open_library(self.settings)
                swept = self._library.sweep_partial_files()
                if swept:
                    log.info("removed %d partial downloads left by a killed run", swept)
                try:
                    orphans = self._library.sweep_orphans()
                except StudioError as exc:  # the store is down: the next start sweeps
                    log.warning("media not swept: %s", exc.message)
                else:
                    if orphans:
                        log.info("removed %d stored media files no take names", orphans)
                feed = ChangeFeed()
                if self._library.listen(feed, self._listening) is not None:
                    feed.on_wake(self._wake)
                    self.changes = feed
            return self._library

    def _wake(self, take_id: str) -> None:
        with self._lock:
            studios = list(self._studios.values())
        for studio in studios:
            studio.jobs.wake(take_id)

    def start(self) -> None:
        """A team replica with its key in the environment follows its takes before anyone visits:
        it opens the library and the account's studio now (a replica that died left work to take over)."""
        if self.settings.database_url and self.settings.api_key:
            try:
                self.studio()
            except StudioError as exc:
                log.warning("the team studio could not start its followers yet: %s", exc.message)

    def gateway_url(self) -> str | None:
        """The demo gateway's v2 URL, starting it on first use (needs a factory)."""
        with self._lock:
            if self._gateway is None and self._gateway_factory is not None:
                try:
                    self._gateway = self._gateway_factory(self.settings, self.webhook_secret)
                except OSError as exc:
                    raise StudioError(
                        f"The demo gateway could not start in {self.settings.studio_home}: "
                        f"{exc.strerror or exc}. Check the data folder, then reload.",
                        field="studio_home",
                    ) from exc
                except sqlite3.DatabaseError as exc:
                    raise StudioError(
                        "The demo gateway's records in "
                        f"{self.settings.studio_home / 'demo_gateway'} are damaged ({exc}). Nothing was "
                        "changed: move that folder away (your library and videos stay) and reload.",
                        field="studio_home",
                    ) from exc
                log.info("demo mode: local gateway at %s", self._gateway.v2_url)
            return self._gateway.v2_url if self._gateway is not None else None

    def webhook_url(self, demo: bool) -> str | None:
        """Where varg should call back: the studio's own route, when it can be reached."""
        if not self.webhook_secret or not self.public_url:
            return None
        return f"{self.public_url}/hooks/varg"

    def studio(self, api_key: str | None = None) -> Studio:
        """The Studio for this key (demo when none). Resumes the account's unfinished takes once."""
        key = (api_key or "").strip() or self.settings.api_key or None
        if key == DEMO_API_KEY:
            key = None
        account = account_fingerprint(key)
        demo = key is None
        base_url = self.settings.base_url
        library = self.library  # first: a data folder that cannot be used is the message to show
        if demo:
            url = self.gateway_url()
            if url is None:
                raise StudioError("Demo mode needs the local gateway, and this studio has none.")
            base_url = url
        with self._lock:
            found = self._studios.get((account, base_url))
            if found is not None:
                self._studios.move_to_end((account, base_url))
                return found
        backend = open_backend(base_url, key or DEMO_API_KEY, timeout=self.settings.timeout)
        version = version_of(base_url)
        cat: LiveCatalog | StaticCatalog = (
            LiveCatalog(backend) if version is ApiVersion.V2 else StaticCatalog(catalogs.v1())  # type: ignore[arg-type]
        )
        jobs = JobManager(
            backend,
            library,
            account,
            catalog=cat,
            webhook_url=self.webhook_url(demo),
            lease_ttl=self.settings.lease_seconds,
        )
        label = (
            "Demo mode: local previews, not Sora"
            if demo
            else f"varg {version.value} · {base_url.split('://', 1)[-1].split('/', 1)[0]}"
        )
        studio = Studio(
            settings=self.settings,
            connection=Connection(
                demo=demo, account=account, label=label, base_url=base_url, version=version
            ),
            library=library,
            jobs=jobs,
            backend=backend,
            catalog=cat,
        )
        with self._lock:
            raced = self._studios.get((account, base_url))
            if raced is not None:
                studio.close()
                return raced
            self._studios[(account, base_url)] = studio
            evicted = self._evict()
        for old in evicted:
            old.close()  # its connections and threads; its takes stay in the library
        cat.current()  # starts the first catalogue fetch in the background
        resumed = jobs.resume()
        if resumed:
            log.info("resumed %d unfinished takes for %s", resumed, account)
        return studio

    def _evict(self) -> list[Studio]:
        """Past `max_accounts`, drop the least recently used idle studios (every typed key would
        otherwise keep its connections open for ever). Called with the lock held."""
        evicted: list[Studio] = []
        for key in list(self._studios):
            if len(self._studios) <= self.max_accounts:
                break
            studio = self._studios[key]
            if studio.connection.demo or studio.jobs.busy():
                continue
            evicted.append(self._studios.pop(key))
        return evicted

    def deliver_webhook(self, body: bytes, signature: str | None) -> tuple[int, str]:
        """A varg webhook: (HTTP status, short reason). Verified first; duplicates are harmless."""
        if not webhooks.verify(self.webhook_secret, body, signature):
            return 401, "bad signature"
        try:
            job = webhooks.job_of(body)
        except StudioError:
            return 400, "not a job"
        take = self.library.find_any_job(job.job_id)
        if take is None:
            return 202, "unknown job"
        with self._lock:
            studios = [s for (account, _), s in self._studios.items() if account == take.account]
        if not studios and take.account == account_fingerprint(self.settings.api_key) and take.is_open:
            try:  # a replica nobody has visited yet: the key in its environment is this account's
                studios = [self.studio()]
            except StudioError:
                studios = []
        for studio in studios:
            if studio.jobs.deliver(job):
                return 200, "delivered"
        if take.is_open and job.terminal:
            self.library.wake(take.id)  # its follower is another replica: it looks now
            return 202, "passed on"
        return 202, "nothing to do"

    def health(self) -> dict[str, object]:
        with self._lock:
            gateway = self._gateway.v2_url if self._gateway is not None else None
            studios = len(self._studios)
        ok = True
        try:
            self.library.schema_version()
        except StudioError:
            ok = False
        return {
            "ok": ok,
            "studios": studios,
            "demo_gateway": gateway,
            "uptime": round(time.time() - self.started_at, 1),
        }

    def reset_demo_credits(self) -> int:
        """Demo mode: the local gateway's credits back to the start (returns what is available now).

        Only the gateway this process runs can be reset; one another studio runs is not ours.
        """
        reset = getattr(self._gateway, "reset_credits", None)
        if reset is None:
            raise StudioError(
                "The demo credits can be reset only by the studio that runs the demo gateway "
                "(another studio on this data folder runs it)."
            )
        available = int(reset(DEMO_API_KEY))
        with self._lock:
            studios = list(self._studios.values())
        for studio in studios:
            studio.forget_balance()
        return available

    def stop(self) -> None:
        """Stop every follower, close every connection, stop the demo gateway."""
        with self._lock:
            studios = list(self._studios.values())
            self._studios.clear()
            gateway, self._gateway = self._gateway, None
            library, self._library = self._library, None
        self._listening.set()
        for studio in studios:
            studio.close()
        if gateway is not None:
            gateway.stop()
        if library is not None:
            library.close()
