"""The varg v1 HTTP client on a `requests.Session`: jobs, stream, files, balance, usage, downloads.

Retry policy (see `VargClient` for the numbers):

* Reads (`GET`, `DELETE`, and `POST /files`, which is safe to repeat) go through a urllib3 `Retry`
  mounted on the session: connection errors, one read error, and 429/500/502/503/504 are retried
  with exponential backoff, honouring `Retry-After` (each wait capped at `max_retry_after`). When the
  retries are used up the last answer is turned into an `ApiError` by `error_from_body`.
* Creates (`POST /video`) have an adapter of their own that never retries. The client itself
  repeats a create only when it provably never left (connection refused / connect timeout) and on
  429 (rejected before any processing), waiting `Retry-After` up to `max_retry_after` in total.
  A timeout or a dropped connection after sending raises `CreateOutcomeUnknown`; 500/502 raise at once.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from studio.errors import (
    AuthError,
    CreateOutcomeUnknown,
    GatewayTimeout,
    GatewayUnreachable,
    NotFoundError,
    PayloadTooLargeError,
    ProtocolError,
    RateLimitError,
    ServerError,
    StudioError,
    error_from_body,
)
from studio.sse import SSEParser

__all__ = [
    "MAX_UPLOAD_BYTES",
    "JOB_STATUSES",
    "TERMINAL_STATUSES",
    "Balance",
    "Job",
    "UploadedFile",
    "Usage",
    "UsageRecord",
    "VargClient",
]

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
JOB_STATUSES = ("queued", "processing", "completed", "failed", "cancelled")
TERMINAL_STATUSES = frozenset({"completed", "failed", "cancelled"})
RETRY_STATUSES = (429, 500, 502, 503, 504)
_CREATE_429_ATTEMPTS = 8  # at most this many 429s in a row on one create, whatever Retry-After says
_HEALTHY_STREAM_SECONDS = 30.0  # a stream open this long before a cut counts as progress
_MAX_RECONNECT_DELAY = 2.0


# --- results ---------------------------------------------------------------------------------
def _need_str(d: Mapping[str, Any], key: str, what: str) -> str:
    value = d.get(key)
    if not isinstance(value, str) or not value:
        raise ProtocolError(f"The gateway sent a {what} without a valid {key!r}.")
    return value


def _opt_str(d: Mapping[str, Any], key: str, what: str) -> str | None:
    value = d.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ProtocolError(f"The gateway sent a {what} whose {key!r} is not a string.")
    return value


def _number(d: Mapping[str, Any], key: str, what: str, default: float | None = None) -> int:
    value = d.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ProtocolError(f"The gateway sent a {what} without a numeric {key!r}.")
    return int(value)


def _bool(d: Mapping[str, Any], key: str, what: str, default: bool | None = None) -> bool:
    value = d.get(key, default)
    if not isinstance(value, bool):
        raise ProtocolError(f"The gateway sent a {what} whose {key!r} is not true/false.")
    return value


def _mapping(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ProtocolError(f"The gateway sent something that is not a {what}.")
    return value


@dataclass(frozen=True)
class Job:
    """A job as the gateway reports it."""

    job_id: str
    status: str
    model: str
    created_at: str
    completed_at: str | None = None
    output_url: str | None = None
    output_media_type: str | None = None
    cache_hit: bool = False
    error: str | None = None

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @classmethod
    def from_dict(cls, d: Any) -> Job:
        d = _mapping(d, "job")
        status = d.get("status")
        if status not in JOB_STATUSES:
            raise ProtocolError(f"The gateway sent a job with an unknown status {status!r}.")
        output = d.get("output")
        output_url = output_media_type = None
        if output is not None:
            output = _mapping(output, "job output")
            output_url = _opt_str(output, "url", "job output")
            output_media_type = _opt_str(output, "media_type", "job output")
        cache = d.get("cache")
        cache_hit = False
        if cache is not None:
            cache_hit = _bool(_mapping(cache, "job cache"), "hit", "job cache", False)
        error = d.get("error")
        if isinstance(error, Mapping):  # tolerate newer gateways that send an object
            error = error.get("message") or error.get("error")
        return cls(
            job_id=_need_str(d, "job_id", "job"),
            status=status,
            model=_need_str(d, "model", "job"),
            created_at=_need_str(d, "created_at", "job"),
            completed_at=_opt_str(d, "completed_at", "job"),
            output_url=output_url,
            output_media_type=output_media_type,
            cache_hit=cache_hit,
            error=str(error) if error is not None else None,
        )


@dataclass(frozen=True)
class UploadedFile:
    file_id: str
    url: str
    hash: str
    size: int
    media_type: str
    deduplicated: bool

    @classmethod
    def from_dict(cls, d: Any) -> UploadedFile:
        d = _mapping(d, "file upload answer")
        what = "file upload answer"
        return cls(
            file_id=_need_str(d, "file_id", what),
            url=_need_str(d, "url", what),
            hash=_need_str(d, "hash", what),
            size=_number(d, "size", what),
            media_type=_need_str(d, "media_type", what),
            deduplicated=_bool(d, "deduplicated", what),
        )


@dataclass(frozen=True)
class Balance:
    credits: int  # 1 credit = 1 cent
    currency: str


@dataclass(frozen=True)
class UsageRecord:
    job_id: str
    model: str
    capability: str
    cost: int  # credits (cents)
    cache_hit: bool
    created_at: str

    @classmethod
    def from_dict(cls, d: Any) -> UsageRecord:
        d = _mapping(d, "usage record")
        what = "usage record"
        return cls(
            job_id=_need_str(d, "job_id", what),
            model=_opt_str(d, "model", what) or "",
            capability=_opt_str(d, "capability", what) or "video",
            cost=_number(d, "cost_cents", what, 0),
            cache_hit=_bool(d, "cache_hit", what, False),
            created_at=_opt_str(d, "created_at", what) or "",
        )


@dataclass(frozen=True)
class Usage:
    records: tuple[UsageRecord, ...]
    total: int  # credits (cents)


# --- transport helpers -----------------------------------------------------------------------
def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and what it wraps (requests → MaxRetryError.reason → ...), via args/reason/cause."""
    seen: set[int] = set()
    stack: list[Any] = [exc]
    while stack:
        e = stack.pop()
        if not isinstance(e, BaseException) or id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        stack.append(getattr(e, "reason", None))
        stack.append(e.__cause__)
        stack.extend(a for a in e.args if isinstance(a, BaseException))


def _never_connected(exc: BaseException) -> bool:
    """True when no connection was made, so the request provably never reached the server."""
    for e in _causes(exc):
        if isinstance(e, urllib3.exceptions.NewConnectionError | ConnectionRefusedError):
            return True
        if isinstance(e, requests.ConnectTimeout | urllib3.exceptions.ConnectTimeoutError):
            return True
    return False


def _timed_out(exc: BaseException) -> bool:
    return any(
        isinstance(e, requests.ReadTimeout | urllib3.exceptions.ReadTimeoutError | TimeoutError)
        and not isinstance(e, urllib3.exceptions.ConnectTimeoutError)
        for e in _causes(exc)
    )


def _seg(value: str) -> str:
    """A job id as one URL path segment (an id can never reach another path)."""
    return quote(str(value), safe="")


def _content_type(resp: requests.Response) -> str:
    return resp.headers.get("Content-Type", "").split(";")[0].strip().lower()


def _json_body(resp: requests.Response, what: str) -> Any:
    try:
        return json.loads(resp.content)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ProtocolError(
            f"The gateway answered HTTP {resp.status_code} to {what} with a body that is not JSON."
        ) from None


def _body_or_empty(resp: requests.Response) -> bytes:
    """A streamed response's body for an error message; empty if it cannot even be read."""
    try:
        return resp.content
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError):
        return b""


class _Retry(Retry):
    """urllib3's Retry, but a nonsense Retry-After (a date it can't read, 5,000 digits) means
    'use the normal backoff' instead of an exception that looks like a lost connection."""

    def parse_retry_after(self, retry_after: str) -> float:
        try:
            return super().parse_retry_after(retry_after)
        except (ValueError, OverflowError, urllib3.exceptions.InvalidHeader):
            return self.get_backoff_time()


def _read_retry(retries: int, backoff: float, max_retry_after: float, methods: Sequence[str]) -> Retry:
    return _Retry(
        total=retries,
        connect=retries,
        read=min(1, retries),  # a read timeout is retried once: each costs a whole read timeout
        status=retries,
        other=0,
        redirect=0,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset(methods),
        backoff_factor=backoff,
        backoff_max=max(backoff, 10.0),
        respect_retry_after_header=True,
        retry_after_max=max_retry_after,
        raise_on_status=False,  # hand back the last answer; `error_from_body` turns it into an error
        raise_on_redirect=False,
    )


_NO_RETRY = Retry(total=0, connect=0, read=False, status=0, other=0, redirect=0, raise_on_status=False)


class VargClient:
    """The varg v1 API over one `requests.Session` (the key lives only in its default headers)."""

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
        self.base_url = base_url.rstrip("/")
        self.timeout = (float(timeout[0]), float(timeout[1]))
        self.stream_read_timeout = float(stream_read_timeout)
        self.read_retries = max(0, int(read_retries))
        self.backoff = max(0.0, float(backoff))
        self.max_retry_after = max(0.0, float(max_retry_after))
        self._own_session = session is None
        self._session = session if session is not None else requests.Session()
        if api_key:
            self._session.headers["Authorization"] = f"Bearer {api_key}"
        else:
            self._session.headers.pop("Authorization", None)
        self._session.headers["Accept"] = "application/json"
        reads = HTTPAdapter(
            max_retries=_read_retry(self.read_retries, self.backoff, self.max_retry_after, ("GET", "DELETE"))
        )
        files = HTTPAdapter(
            max_retries=_read_retry(self.read_retries, self.backoff, self.max_retry_after, ("POST",))
        )
        creates = HTTPAdapter(max_retries=_NO_RETRY)
        # requests picks the longest matching prefix.
        self._session.mount(self.base_url + "/", reads)
        self._session.mount(self.base_url + "/files", files)
        self._session.mount(self.base_url + "/video", creates)
        # Output downloads: a separate session that never carries the key.
        self._downloads = requests.Session()
        self._downloads.headers.pop("Authorization", None)

    def __repr__(self) -> str:
        return f"VargClient(base_url={self.base_url!r})"

    def close(self) -> None:
        self._downloads.close()
        if self._own_session:
            self._session.close()

    def __enter__(self) -> VargClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- plumbing ------------------------------------------------------------------------------
    def _transport_error(self, exc: requests.RequestException, method: str, path: str) -> StudioError:
        host = urlsplit(self.base_url).netloc
        if _never_connected(exc):
            return GatewayUnreachable(
                f"Could not connect to the gateway at {host}. Is it running and reachable?"
            )
        if _timed_out(exc):
            return GatewayTimeout(
                f"The gateway at {host} did not answer {method} {path} within {self.timeout[1]:g} s."
            )
        return GatewayUnreachable(f"The connection to the gateway at {host} was lost during {method} {path}.")

    def _request(
        self, method: str, path: str, *, ok: Sequence[int] = (200,), **kwargs: Any
    ) -> requests.Response:
        """One API call through the retrying adapters; an error answer becomes an `ApiError`."""
        log.debug("%s %s", method, path)
        kwargs.setdefault("timeout", self.timeout)
        try:
            resp = self._session.request(method, self.base_url + path, **kwargs)
        except requests.RequestException as exc:
            raise self._transport_error(exc, method, path) from exc
        if resp.status_code not in ok:
            raise error_from_body(resp.status_code, resp.content, resp.headers)
        return resp

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
        limited = 0
        waited = 0.0
        while True:
            log.debug("POST %s", path)
            try:
                resp = self._session.post(self.base_url + path, json=body, timeout=self.timeout)
            except requests.RequestException as exc:
                if _never_connected(exc):
                    refused += 1
                    if refused > self.read_retries:
                        raise self._transport_error(exc, "POST", path) from exc
                    time.sleep(self.backoff * 2 ** (refused - 1))
                    continue
                if _timed_out(exc):
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
                return Job.from_dict(_json_body(resp, "the create"))
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
        return UploadedFile.from_dict(_json_body(resp, "the upload"))

    # --- reads ---------------------------------------------------------------------------------
    def get_job(self, job_id: str) -> Job:
        resp = self._request("GET", f"/jobs/{_seg(job_id)}")
        return Job.from_dict(_json_body(resp, "a job lookup"))

    def cancel_job(self, job_id: str) -> None:
        self._request("DELETE", f"/jobs/{_seg(job_id)}", ok=(200, 202, 204))

    def balance(self) -> Balance:
        data = _mapping(_json_body(self._request("GET", "/balance"), "the balance"), "balance")
        currency = data.get("currency", "usd")
        if not isinstance(currency, str):
            raise ProtocolError("The gateway sent a balance whose 'currency' is not a string.")
        return Balance(credits=_number(data, "balance_cents", "balance"), currency=currency)

    def usage(self, start: date | None = None, end: date | None = None) -> Usage:
        params: dict[str, str] = {}
        if start is not None:
            params["from"] = start.isoformat()
        if end is not None:
            params["to"] = end.isoformat()
        data = _mapping(_json_body(self._request("GET", "/usage", params=params), "usage"), "usage answer")
        rows = data.get("usage", [])
        if not isinstance(rows, list):
            raise ProtocolError("The gateway sent a usage answer whose 'usage' is not a list.")
        records = tuple(UsageRecord.from_dict(r) for r in rows)
        total = data.get("total_cents")
        return Usage(
            records=records,
            total=_number(data, "total_cents", "usage answer")
            if total is not None
            else sum(r.cost for r in records),
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
        path = f"/jobs/{_seg(job_id)}/stream"
        log.debug("GET %s", path)
        try:
            resp = self._session.get(
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
                raise error_from_body(resp.status_code, _body_or_empty(resp), resp.headers)
            if resp.status_code != 200 or _content_type(resp) != "text/event-stream":
                log.debug("stream answered HTTP %s %s", resp.status_code, _content_type(resp))
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

    # --- outputs -------------------------------------------------------------------------------
    def download(self, url: str, dest: Path, *, attempts: int = 3) -> Path:
        """Fetch an output to `dest` atomically, without the API key (outputs live on other hosts)."""
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        host = urlsplit(url).netloc
        last_error: StudioError | None = None
        for attempt in range(max(1, attempts)):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            log.debug("GET output from %s", host)
            tmp: str | None = None
            try:
                with self._downloads.get(url, stream=True, timeout=self.timeout) as resp:
                    if resp.status_code != 200:
                        err = error_from_body(resp.status_code, resp.content, resp.headers)
                        err.message = f"Downloading the output from {host} failed (HTTP {resp.status_code}): {err.message}"
                        err.args = (err.message,)
                        if resp.status_code in RETRY_STATUSES:
                            last_error = err
                            continue
                        raise err
                    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
                    with os.fdopen(fd, "wb") as out:
                        for chunk in resp.iter_content(chunk_size=1 << 16):
                            out.write(chunk)
                        out.flush()
                        os.fsync(out.fileno())
                os.replace(tmp, dest)
                tmp = None
                return dest
            except requests.RequestException as exc:
                last_error = (
                    GatewayTimeout(f"The output host {host} did not answer in time.")
                    if _timed_out(exc)
                    else GatewayUnreachable(
                        f"Could not download the output from {host}: the connection failed."
                    )
                )
            finally:
                if tmp is not None:
                    with contextlib.suppress(OSError):
                        os.unlink(tmp)
        assert last_error is not None
        raise last_error


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
