"""HTTP plumbing shared by both API versions: one session, timeouts, retries with jitter, downloads.

Retry policy:

* Reads (`GET`, `DELETE`, uploads: safe to repeat) go through a urllib3 `Retry` mounted on the
  session: connection errors, one read error, and 429/500/502/503/504 are retried with exponential
  backoff plus jitter, honouring `Retry-After` (each wait capped at `max_retry_after`). When the
  retries are used up, the last answer becomes an `ApiError` through `error_from_body`.
* Creates have an adapter that never retries: whether a create may be sent again is the backend's
  decision (v2: always, with its idempotency key; v1: only when it provably never left).
* Output downloads use a second session that never carries the key.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import logging
import os
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Self
from urllib.parse import quote, urlsplit

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from studio import __version__
from studio.errors import (
    GatewayTimeout,
    GatewayUnreachable,
    ProtocolError,
    StudioError,
    error_from_body,
)

log = logging.getLogger("studio.api")

USER_AGENT = f"varg-studio/{__version__}"
RETRY_STATUSES = (429, 500, 502, 503, 504)
POOL_SIZE = 32
REFUSED_PATIENCE = 2.0  # seconds of retries a refused (never sent) create gets before failing
MAX_DOWNLOAD_BYTES = 2 * 1024**3  # no real take comes near this; a runaway body stops here


def causes(exc: BaseException) -> Iterator[BaseException]:
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


def never_connected(exc: BaseException) -> bool:
    """True when no connection was made, so the request provably never reached the server."""
    for e in causes(exc):
        if isinstance(e, urllib3.exceptions.NewConnectionError | ConnectionRefusedError):
            return True
        if isinstance(e, requests.ConnectTimeout | urllib3.exceptions.ConnectTimeoutError):
            return True
    return False


def timed_out(exc: BaseException) -> bool:
    return any(
        isinstance(e, requests.ReadTimeout | urllib3.exceptions.ReadTimeoutError | TimeoutError)
        and not isinstance(e, urllib3.exceptions.ConnectTimeoutError)
        for e in causes(exc)
    )


def server_time(resp: requests.Response) -> float | None:
    """The gateway's clock from its `Date` header (epoch seconds), or None."""
    raw = resp.headers.get("Date")
    if not raw:
        return None
    try:
        return email.utils.parsedate_to_datetime(raw).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def seg(value: str) -> str:
    """A job id as one URL path segment (an id can never reach another path)."""
    return quote(str(value), safe="")


def content_type(resp: requests.Response) -> str:
    return resp.headers.get("Content-Type", "").split(";")[0].strip().lower()


def json_body(resp: requests.Response, what: str) -> Any:
    try:
        return json.loads(resp.content)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ProtocolError(
            f"The gateway answered HTTP {resp.status_code} to {what} with a body that is not JSON."
        ) from None


def body_or_empty(resp: requests.Response) -> bytes:
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


def read_retry(retries: int, backoff: float, max_retry_after: float, methods: Sequence[str]) -> Retry:
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
        backoff_jitter=backoff / 2,
        respect_retry_after_header=True,
        # urllib3 annotates this as int but only compares and assigns it, so a float works.
        retry_after_max=max_retry_after,  # type: ignore[arg-type]
        raise_on_status=False,  # hand back the last answer; `error_from_body` turns it into an error
        raise_on_redirect=False,
    )


NO_RETRY = Retry(total=0, connect=0, read=False, status=0, other=0, redirect=0, raise_on_status=False)


class Transport:
    """One `requests.Session` for a gateway (the key lives only in its default headers)."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        timeout: tuple[float, float] = (5.0, 30.0),
        read_retries: int = 4,
        backoff: float = 0.5,
        max_retry_after: float = 60.0,
        create_paths: Sequence[str] = ("/video",),
        upload_paths: Sequence[str] = ("/files",),
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = (float(timeout[0]), float(timeout[1]))
        self.read_retries = max(0, int(read_retries))
        self.backoff = max(0.0, float(backoff))
        self.max_retry_after = max(0.0, float(max_retry_after))
        self._own_session = session is None
        self.session = session if session is not None else requests.Session()
        if api_key:
            self.session.headers["Authorization"] = f"Bearer {api_key}"
        else:
            self.session.headers.pop("Authorization", None)
        self.session.headers["Accept"] = "application/json"
        self.session.headers["User-Agent"] = USER_AGENT
        # One pooled connection per follower (a JobManager runs up to 32 at once).
        reads = HTTPAdapter(
            max_retries=read_retry(self.read_retries, self.backoff, self.max_retry_after, ("GET", "DELETE")),
            pool_maxsize=POOL_SIZE,
        )
        uploads = HTTPAdapter(
            max_retries=read_retry(self.read_retries, self.backoff, self.max_retry_after, ("POST",)),
            pool_maxsize=POOL_SIZE,
        )
        # requests picks the longest matching prefix.
        self.session.mount(self.base_url + "/", reads)
        for path in upload_paths:
            self.session.mount(self.base_url + path, uploads)
        for path in create_paths:
            self.session.mount(
                self.base_url + path, HTTPAdapter(max_retries=NO_RETRY, pool_maxsize=POOL_SIZE)
            )
        self._downloads = requests.Session()
        self._downloads.mount("http://", HTTPAdapter(pool_maxsize=POOL_SIZE))
        self._downloads.mount("https://", HTTPAdapter(pool_maxsize=POOL_SIZE))
        self._downloads.headers.pop("Authorization", None)
        self._downloads.headers["User-Agent"] = USER_AGENT

    def __repr__(self) -> str:
        return f"Transport(base_url={self.base_url!r})"

    def close(self) -> None:
        self._downloads.close()
        if self._own_session:
            self.session.close()

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).netloc

    def error(self, exc: requests.RequestException, method: str, path: str) -> StudioError:
        """A transport failure as the studio's error: unreachable (nothing sent) or a timeout."""
        if never_connected(exc):
            return GatewayUnreachable(
                f"Could not connect to the gateway at {self.host}. Is it running and reachable?"
            )
        if timed_out(exc):
            return GatewayTimeout(
                f"The gateway at {self.host} did not answer {method} {path} within {self.timeout[1]:g} s."
            )
        return GatewayUnreachable(
            f"The connection to the gateway at {self.host} was lost during {method} {path}."
        )

    def request(
        self, method: str, path: str, *, ok: Sequence[int] = (200,), **kwargs: Any
    ) -> requests.Response:
        """One API call through the retrying adapters; an error answer becomes an `ApiError`."""
        log.debug("%s %s", method, path.split("?", 1)[0])
        kwargs.setdefault("timeout", self.timeout)
        try:
            resp = self.session.request(method, self.base_url + path, **kwargs)
        except requests.RequestException as exc:
            raise self.error(exc, method, path) from exc
        if resp.status_code not in ok:
            raise error_from_body(resp.status_code, resp.content, resp.headers)
        return resp

    def send_once(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """One attempt, no retries, transport errors raised as they are (for creates)."""
        log.debug("%s %s", method, path)
        kwargs.setdefault("timeout", self.timeout)
        return self.session.request(method, self.base_url + path, **kwargs)

    def download(
        self, url: str, dest: Path, *, attempts: int = 3, max_bytes: int = MAX_DOWNLOAD_BYTES
    ) -> Path:
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
                    written = 0
                    with os.fdopen(fd, "wb") as out:
                        for chunk in resp.iter_content(chunk_size=1 << 16):
                            written += len(chunk)
                            if written > max_bytes:
                                raise ProtocolError(
                                    f"The output from {host} is larger than {max_bytes // 1024**2:,} MB: "
                                    "it is not a video the studio asked for."
                                )
                            out.write(chunk)
                        out.flush()
                        os.fsync(out.fileno())
                os.replace(tmp, dest)
                tmp = None
                return dest
            except requests.RequestException as exc:
                last_error = (
                    GatewayTimeout(f"The output host {host} did not answer in time.")
                    if timed_out(exc)
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


class HttpBackend:
    """What both backends share: a `Transport`, a repr without the key, closing."""

    http: Transport
    base_url: str

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
