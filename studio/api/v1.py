"""varg v1 (legacy): create, follow by SSE (polling as fallback), cancel, files, balance, usage.

v1 has no idempotency key, so a create is sent again only when it provably never arrived
(connection refused, connect timeout) or was rejected before processing (429). A timeout or a
dropped connection after sending raises `CreateOutcomeUnknown`; 500/502 raise at once. The jobs
layer reconciles those ambiguous creates against `/usage`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import requests
import urllib3.exceptions

from studio.api.files import UploadedFile
from studio.api.job import Job, mapping, number
from studio.api.money import Balance, Quote, Usage, UsageRecord
from studio.api.request import VideoRequest
from studio.api.sse import SSEParser
from studio.api.transport import (
    REFUSED_PATIENCE,
    HttpBackend,
    Transport,
    body_or_empty,
    content_type,
    json_body,
    never_connected,
    seg,
    server_time,
    timed_out,
)
from studio.errors import (
    AuthError,
    CreateOutcomeUnknown,
    GatewayTimeout,
    GatewayUnreachable,
    InputError,
    NotFoundError,
    PayloadTooLargeError,
    ProtocolError,
    RateLimitError,
    ServerError,
    error_from_body,
)

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
_CREATE_429_ATTEMPTS = 8  # at most this many 429s in a row on one create, whatever Retry-After says
_HEALTHY_STREAM_SECONDS = 30.0  # a stream open this long before a cut counts as progress
_MAX_RECONNECT_DELAY = 2.0


class V1Backend(HttpBackend):
    """The varg v1 API over one `Transport` (the key lives only in its session's default headers)."""

    version = "v1"

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: tuple[float, float] = (5.0, 30.0),
        stream_read_timeout: float = 45.0,
        read_retries: int = 4,
        backoff: float = 0.5,
        max_retry_after: float = 60.0,
        session: requests.Session | None = None,
    ) -> None:
        self.http = Transport(
            base_url,
            api_key,
            timeout=timeout,
            read_retries=read_retries,
            backoff=backoff,
            max_retry_after=max_retry_after,
            create_paths=("/video",),
            upload_paths=("/files",),
            session=session,
        )
        self.base_url = self.http.base_url
        self.timeout = self.http.timeout
        self.stream_read_timeout = float(stream_read_timeout)
        self.read_retries = self.http.read_retries
        self.backoff = self.http.backoff
        self.max_retry_after = self.http.max_retry_after

    def _request(
        self, method: str, path: str, *, ok: Sequence[int] = (200,), **kwargs: Any
    ) -> requests.Response:
        return self.http.request(method, path, ok=ok, **kwargs)

    # --- the backend interface (see studio.api.Backend) ---------------------------------------
    idempotent = False  # v1 has no idempotency key: a create is never blindly re-sent
    reports_progress = False

    def create(self, req: VideoRequest, *, idempotency_key: str | None = None) -> Job:
        """Start a job (the key is not sent: v1 has none)."""
        return self.create_video(
            model=req.model,
            prompt=req.prompt,
            duration=req.duration,
            aspect_ratio=req.aspect_ratio,
            files=list(req.files) or None,
        )

    def estimate(self, req: VideoRequest) -> Quote | None:
        """v1 has no server estimate: the catalogue's price is the estimate."""
        return None

    def follow(
        self,
        job_id: str,
        *,
        stop: threading.Event | None = None,
        webhook: bool = False,
        poll_interval: float = 2.0,
    ) -> Iterator[Job]:
        return self.stream_job(job_id, poll_interval=poll_interval, stop=stop)

    def cancel(self, job_id: str) -> Job | None:
        self.cancel_job(job_id)
        return None

    def retry_job(self, job_id: str) -> Job:
        raise InputError("varg v1 cannot retry a job; submit the take again.", field="take")

    def upload(self, data: bytes, media_type: str) -> UploadedFile:
        return self.upload_file(data, media_type)

    def download(self, url: str, dest: Path, *, attempts: int = 3) -> Path:
        """Fetch an output without the API key (outputs live on other hosts)."""
        return self.http.download(url, dest, attempts=attempts)

    # --- creates -------------------------------------------------------------------------------
    def create_video(
        self,
        *,
        model: str,
        prompt: str,
        duration: float | None = None,
        aspect_ratio: str | None = None,
        files: Sequence[str | Mapping[str, Any]] | None = None,
        provider_options: Mapping[str, Any] | None = None,
    ) -> Job:
        """Start a video job. Never sends the same create twice unless it provably never arrived."""
        body: dict[str, Any] = {"model": model, "prompt": prompt}
        if duration is not None:
            body["duration"] = int(duration) if float(duration).is_integer() else duration
        if aspect_ratio is not None:
            body["aspect_ratio"] = aspect_ratio
        if files:
            body["files"] = [{"url": f} if isinstance(f, str) else dict(f) for f in files]
        if provider_options:
            body["provider_options"] = dict(provider_options)
        path = "/video"
        refused = 0
        refused_wait = 0.0
        limited = 0
        waited = 0.0
        while True:
            log.debug("POST %s", path)
            try:
                resp = self.http.send_once("POST", path, json=body)
            except requests.RequestException as exc:
                if never_connected(exc):
                    refused += 1
                    pause = self.backoff * 2 ** (refused - 1)
                    # Provably never sent: retry a brief blip, but say so within ~2 s, never a minute.
                    if refused > self.read_retries or refused_wait + pause > REFUSED_PATIENCE:
                        raise self.http.error(exc, "POST", path) from exc
                    time.sleep(pause)
                    refused_wait += pause
                    continue
                if timed_out(exc):
                    raise CreateOutcomeUnknown(
                        f"The gateway did not answer the create within {self.timeout[1]:g} s. "
                        "The job may have started and been charged: check the job list or usage "
                        "before submitting again."
                    ) from exc
                raise CreateOutcomeUnknown(
                    "The connection dropped after the create was sent. The job may have started and "
                    "been charged: check the job list or usage before submitting again."
                ) from exc
            if resp.status_code == 429:
                err = error_from_body(resp.status_code, resp.content, resp.headers)
                limited += 1
                delay = err.retry_after if err.retry_after is not None else self.backoff * 2 ** (limited - 1)
                if limited >= _CREATE_429_ATTEMPTS or waited + delay > self.max_retry_after:
                    raise err
                log.debug("POST %s rate limited; again in %.2fs", path, delay)
                time.sleep(delay)
                waited += delay
                continue
            if resp.status_code not in (200, 201, 202):
                raise error_from_body(resp.status_code, resp.content, resp.headers)
            try:
                return Job.from_dict(json_body(resp, "the create"))
            except ProtocolError as exc:
                # The gateway accepted it, so it may be running and billed: never invite a resubmit.
                raise CreateOutcomeUnknown(
                    f"{exc.message} The job may have started and been charged: check the job list "
                    "or usage before submitting again."
                ) from exc

    def upload_file(self, data: bytes, media_type: str) -> UploadedFile:
        """Upload raw bytes (≤ 50 MB); the gateway skips the upload if it already has this hash."""
        if len(data) > MAX_UPLOAD_BYTES:
            raise PayloadTooLargeError(
                f"The file is {len(data) / 1024 / 1024:.1f} MB; the limit is 50 MB.",
                status=413,
                field="file",
            )
        digest = hashlib.sha256(data).hexdigest()
        resp = self._request(
            "POST",
            "/files",
            data=data,
            headers={"Content-Type": media_type, "X-Content-Hash": f"sha256:{digest}"},
        )
        return UploadedFile.from_dict(json_body(resp, "the upload"))

    # --- reads ---------------------------------------------------------------------------------
    def get_job(self, job_id: str) -> Job:
        resp = self._request("GET", f"/jobs/{seg(job_id)}")
        return Job.from_dict(json_body(resp, "a job lookup"))

    def cancel_job(self, job_id: str) -> None:
        self._request("DELETE", f"/jobs/{seg(job_id)}", ok=(200, 202, 204))

    def balance(self) -> Balance:
        data = mapping(json_body(self._request("GET", "/balance"), "the balance"), "balance")
        currency = data.get("currency", "usd")
        if not isinstance(currency, str):
            raise ProtocolError("The gateway sent a balance whose 'currency' is not a string.")
        return Balance(available=number(data, "balance_cents", "balance"), currency=currency)

    def usage(self, start: date | None = None, end: date | None = None) -> Usage:
        params: dict[str, str] = {}
        if start is not None:
            params["from"] = start.isoformat()
        if end is not None:
            params["to"] = end.isoformat()
        resp = self._request("GET", "/usage", params=params)
        data = mapping(json_body(resp, "usage"), "usage answer")
        rows = data.get("usage", [])
        if not isinstance(rows, list):
            raise ProtocolError("The gateway sent a usage answer whose 'usage' is not a list.")
        records = tuple(UsageRecord.from_dict(r) for r in rows)
        total = data.get("total_cents")
        return Usage(
            records=records,
            total=number(data, "total_cents", "usage answer") if total is not None else sum(r.cost for r in records),
            server_time=server_time(resp),
        )

    # --- following a job ------------------------------------------------------------------------
    def stream_job(
        self,
        job_id: str,
        *,
        poll_interval: float = 2.0,
        max_reconnects: int = 5,
        stop: threading.Event | None = None,
    ) -> Iterator[Job]:
        """Yield the job each time its status changes; end after a terminal status.

        Follows `GET /jobs/{id}/stream`. A stream that ends, is cut or times out (read timeout
        `stream_read_timeout`, above the 15 s keep-alive) without a terminal status is reopened:
        at once the first time, then after `backoff`, 2×, 4×… (≤ 2 s). A connection that brought
        a new status, or stayed open ≥ 30 s (the gateway's 10-minute cut), counts as progress and
        resets the count; after `max_reconnects` reconnects in a row without progress, or at once
        when the endpoint is unusable (no connection, an HTTP error other than 401/404, not
        `text/event-stream`, an unreadable event), it falls back to polling `get_job`: first after
        `poll_interval/2`, then ×1.5 per unchanged poll up to `poll_interval*3`, back to
        `poll_interval/2` after a change; `max_reconnects` failed polls in a row raise the last
        error. 401/404 raise at once. Setting `stop` ends the generator promptly (an open stream
        is shut down from a watcher thread).
        """
        watch = stop is not None  # nobody can set an event made here: no watcher for it
        stop = stop if stop is not None else threading.Event()
        last: list[str | None] = [None]  # last yielded status, shared with the helpers
        failures = 0
        use_stream = True
        while use_stream and not stop.is_set():
            opened = time.monotonic()
            outcome = yield from self._stream_once(job_id, last, stop, watch)
            if outcome in ("terminal", "stopped"):
                return
            if outcome == "unusable":
                break
            if outcome == "progress" or time.monotonic() - opened >= _HEALTHY_STREAM_SECONDS:
                failures = 0
            else:
                failures += 1
            if failures > max_reconnects:
                log.debug("stream for a job keeps failing; polling instead")
                break
            delay = 0.0 if failures <= 1 else min(_MAX_RECONNECT_DELAY, self.backoff * 2 ** (failures - 2))
            if delay and stop.wait(delay):
                return
        if not stop.is_set():
            yield from self._poll(job_id, last, poll_interval, max_reconnects, stop)

    def _stream_once(self, job_id: str, last: list[str | None], stop: threading.Event, watch: bool = True):
        """One stream connection. Yields new statuses; returns how it ended."""
        path = f"/jobs/{seg(job_id)}/stream"
        log.debug("GET %s", path)
        try:
            resp = self.http.session.get(
                self.base_url + path,
                headers={"Accept": "text/event-stream", "Cache-Control": "no-cache"},
                stream=True,
                timeout=(self.timeout[0], self.stream_read_timeout),
            )
        except requests.RequestException as exc:
            log.debug("stream open failed: %s", type(exc).__name__)
            return "unusable"
        try:
            if resp.status_code in (401, 404):
                raise error_from_body(resp.status_code, body_or_empty(resp), resp.headers)
            if resp.status_code != 200 or content_type(resp) != "text/event-stream":
                log.debug("stream answered HTTP %s %s", resp.status_code, content_type(resp))
                return "unusable"
            if stop.is_set():
                return "stopped"
            if watch:
                _StopWatch.add(stop, resp)
            parser = SSEParser()
            progress = False
            try:
                for chunk in _chunks(resp):
                    for event in parser.feed(chunk):
                        if event.event != "status":
                            continue
                        try:
                            job = Job.from_dict(json.loads(event.data))
                        except (ValueError, RecursionError, ProtocolError):
                            log.warning("unreadable status event on a job stream; polling instead")
                            return "unusable"
                        if job.status != last[0]:
                            last[0] = job.status
                            progress = True
                            yield job
                        if job.terminal:
                            return "terminal"
                    if stop.is_set():
                        return "stopped"
            except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
                log.debug("stream cut: %s", type(exc).__name__)
            if stop.is_set():
                return "stopped"
            return "progress" if progress else "cut"
        finally:
            if watch:
                _StopWatch.discard(stop, resp)
            resp.close()

    def _poll(
        self,
        job_id: str,
        last: list[str | None],
        poll_interval: float,
        max_failures: int,
        stop: threading.Event,
    ) -> Iterator[Job]:
        fastest, slowest = poll_interval / 2, poll_interval * 3
        delay = fastest
        failures = 0
        while not stop.is_set():
            try:
                job = self.get_job(job_id)
            except (AuthError, NotFoundError):
                raise
            except (GatewayUnreachable, GatewayTimeout, ServerError, RateLimitError, ProtocolError):
                failures += 1
                if failures > max_failures:
                    raise
            else:
                failures = 0
                if job.status != last[0]:
                    last[0] = job.status
                    delay = fastest
                    yield job
                if job.terminal:
                    return
            if stop.wait(delay):
                return
            delay = min(delay * 1.5, slowest)

    def wait(self, job_id: str, *, stop: threading.Event | None = None) -> Job:
        """The job once terminal (or its latest state if `stop` was set first)."""
        latest = None
        for job in self.stream_job(job_id, stop=stop):
            latest = job
        return latest if latest is not None else self.get_job(job_id)


def _chunks(resp: requests.Response) -> Iterator[bytes]:
    """Bytes as they arrive (read1 returns whatever is there; iter_content may wait for a full read)."""
    raw = resp.raw
    read1 = getattr(raw, "read1", None)
    if read1 is None:
        yield from resp.iter_content(chunk_size=None)
        return
    while True:
        chunk = read1(65536, decode_content=True)
        if not chunk:
            return
        yield chunk


class _StopWatch:
    """Interrupts blocked stream reads when their `stop` event is set.

    One thread per stop event (a JobManager has one for its life), not one per stream: following
    50 jobs costs 50 workers, not 100 threads.
    """

    _lock = threading.Lock()
    _streams: dict[int, set[requests.Response]] = {}

    @classmethod
    def add(cls, stop: threading.Event, resp: requests.Response) -> None:
        with cls._lock:
            streams = cls._streams.get(id(stop))
            if streams is None:
                streams = cls._streams[id(stop)] = set()
                threading.Thread(
                    target=cls._watch, args=(stop,), name="varg-stream-stop", daemon=True
                ).start()
            streams.add(resp)

    @classmethod
    def discard(cls, stop: threading.Event, resp: requests.Response) -> None:
        with cls._lock:
            cls._streams.get(id(stop), set()).discard(resp)

    @classmethod
    def _watch(cls, stop: threading.Event) -> None:
        stop.wait()
        with cls._lock:
            streams = cls._streams.pop(id(stop), set())
        for resp in streams:
            with contextlib.suppress(Exception):
                resp.raw.shutdown()
