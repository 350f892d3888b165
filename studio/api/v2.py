"""varg v2: idempotent creates, server estimates, the live model catalogue, polling, cancel and retry.

Every create carries the take's `Idempotency-Key`, so a create whose answer was lost (a timeout, a
reset connection, a 5xx) is simply sent again: the gateway answers 200 with the job that key already
made, never a second job or charge.
"""

from __future__ import annotations

import hashlib
import logging
import random
import threading
import time
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import requests

from studio.api.files import UploadedFile
from studio.api.follow import PollPolicy, poll
from studio.api.job import Job, mapping, number, opt_cents
from studio.api.money import Balance, Quote, Usage, UsageRecord
from studio.api.request import VideoRequest, canonical_model_id
from studio.api.transport import REFUSED_PATIENCE, HttpBackend, Transport, json_body, never_connected, seg
from studio.errors import (
    ApiError,
    CreateOutcomeUnknown,
    PayloadTooLargeError,
    ProtocolError,
    ProviderError,
    RateLimitError,
    ServerError,
    error_from_body,
    model_unavailable,
)

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 200 * 1024 * 1024
_CREATE_ATTEMPTS = 6


class V2Backend(HttpBackend):
    """The varg v2 API over one `Transport`."""

    version = "v2"
    idempotent = True
    reports_progress = True

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: tuple[float, float] = (5.0, 30.0),
        read_retries: int = 4,
        backoff: float = 0.5,
        max_retry_after: float = 60.0,
        create_attempts: int = _CREATE_ATTEMPTS,
        poll_policy: PollPolicy | None = None,
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
            upload_paths=("/files", "/estimate"),
            session=session,
        )
        self.base_url = self.http.base_url
        self.timeout = self.http.timeout
        self.backoff = self.http.backoff
        self.create_attempts = max(1, int(create_attempts))
        self.poll_policy = poll_policy or PollPolicy()
        self.last_rate_limit: dict[str, str] = {}

    def _json(self, method: str, path: str, what: str, **kwargs: Any) -> Any:
        resp = self.http.request(method, path, **kwargs)
        self._note_limits(resp)
        return json_body(resp, what)

    def _note_limits(self, resp: requests.Response) -> None:
        limits = {k: v for k, v in resp.headers.items() if k.lower().startswith("x-ratelimit-")}
        if limits:
            self.last_rate_limit = limits

    # --- creates -------------------------------------------------------------------------------
    def create(self, req: VideoRequest, *, idempotency_key: str | None = None) -> Job:
        """Start a job; with a key, any lost answer is retried safely (the gateway replays the job)."""
        if not idempotency_key:
            raise ValueError("a v2 create needs an idempotency key")
        body = req.v2_body()
        headers = {"Idempotency-Key": idempotency_key}
        lost: str | None = None
        refused = 0
        waited = 0.0
        began = time.monotonic()
        for attempt in range(self.create_attempts):
            if attempt:
                delay = min(8.0, self.backoff * 2 ** (attempt - 1)) * random.uniform(0.8, 1.2)
                time.sleep(delay)
            try:
                resp = self.http.send_once("POST", "/video", json=body, headers=headers)
            except requests.RequestException as exc:
                if never_connected(exc):
                    refused += 1
                    # Provably never sent: retry a brief blip, but say so within ~2 s.
                    if lost is None and (refused >= self.create_attempts or time.monotonic() - began > REFUSED_PATIENCE):
                        raise self.http.error(exc, "POST", "/video") from exc
                    continue
                lost = "its answer was lost"
                log.debug("create attempt %d: %s", attempt + 1, lost)
                continue
            self._note_limits(resp)
            if resp.status_code in (200, 201, 202):
                try:
                    return Job.from_v2(json_body(resp, "the create"))
                except ProtocolError:
                    lost = "its answer was unreadable"
                    continue
            err = error_from_body(resp.status_code, resp.content, resp.headers)
            if isinstance(err, RateLimitError):
                wait = err.retry_after if err.retry_after is not None else self.backoff * 2**attempt
                if waited + wait > self.http.max_retry_after:
                    raise err
                time.sleep(wait)
                waited += wait
                continue
            if isinstance(err, ServerError | ProviderError) and not model_unavailable(err):  # 5xx: resend
                lost = f"the gateway answered HTTP {resp.status_code}"
                continue
            raise err
        raise CreateOutcomeUnknown(
            f"The create could not be confirmed ({lost}). It is safe to try again: the take keeps "
            "its idempotency key, so varg will never start or charge it twice."
        )

    def estimate(self, req: VideoRequest) -> Quote:
        """The exact price of this request (`POST /estimate`): no job, nothing charged."""
        body = req.v2_body()
        body.pop("options", None)
        return Quote.from_v2(self._json("POST", "/estimate", "the estimate", json=body))

    # --- jobs ----------------------------------------------------------------------------------
    def get_job(self, job_id: str) -> Job:
        return Job.from_v2(self._json("GET", f"/jobs/{seg(job_id)}", "a job lookup"))

    def job_status(self, job_id: str) -> Job:
        data = mapping(self._json("GET", f"/jobs/{seg(job_id)}/status", "a job status"), "job status")
        return Job.from_v2(data)

    def follow(
        self, job_id: str, *, stop: threading.Event | None = None, webhook: bool = False, **_: Any
    ) -> Iterator[Job]:
        stop = stop if stop is not None else threading.Event()
        return poll(
            self.job_status, self.get_job, job_id, stop=stop, policy=self.poll_policy, webhook=webhook
        )

    def cancel(self, job_id: str) -> Job:
        """Cancel; a `ConflictError` (409) means it already ended: read its real outcome."""
        return Job.from_v2(self._json("POST", f"/jobs/{seg(job_id)}/cancel", "the cancel"))

    def cancel_job(self, job_id: str) -> None:
        self.cancel(job_id)

    def retry_job(self, job_id: str) -> Job:
        return Job.from_v2(self._json("POST", f"/jobs/{seg(job_id)}/retry", "the retry"))

    def list_jobs(self, limit: int = 50) -> list[Job]:
        data = self._json("GET", "/jobs", "the job list", params={"limit": str(max(1, min(limit, 200)))})
        rows = data.get("data") if isinstance(data, Mapping) else data
        if not isinstance(rows, list):
            raise ProtocolError("The gateway sent a job list that is not a list.")
        return [Job.from_v2(r) for r in rows]

    def price(self, job_id: str) -> tuple[int | None, int | None]:
        """(estimated, actual) cents of a job."""
        data = mapping(self._json("GET", f"/jobs/{seg(job_id)}/price", "a job price"), "job price")
        return opt_cents(data, "estimated"), opt_cents(data, "actual")

    # --- files and money -----------------------------------------------------------------------
    def upload(self, data: bytes, media_type: str) -> UploadedFile:
        """Upload raw bytes (≤ 200 MB), skipped when varg already holds the same bytes."""
        if len(data) > MAX_UPLOAD_BYTES:
            raise PayloadTooLargeError(
                f"The file is {len(data) / 1024 / 1024:.1f} MB; the limit is 200 MB.",
                status=413,
                field="file",
            )
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        try:
            check = self._json("GET", "/files/check", "a file check", params={"hash": digest})
            if (
                isinstance(check, Mapping)
                and check.get("exists") is True
                and isinstance(check.get("url"), str)
            ):
                return UploadedFile(
                    file_id=str(check.get("file_id") or ""),
                    url=check["url"],
                    hash=digest,
                    size=len(data),
                    media_type=media_type,
                    deduplicated=True,
                )
        except (ApiError, ProtocolError):
            pass  # the check is an optimisation; the upload decides
        resp = self.http.request(
            "POST",
            "/files",
            ok=(200, 201),
            data=data,
            headers={"Content-Type": media_type, "X-Content-Hash": digest},
        )
        return UploadedFile.from_v2(json_body(resp, "the upload"), deduplicated=resp.status_code == 200)

    def upload_file(self, data: bytes, media_type: str) -> UploadedFile:
        return self.upload(data, media_type)

    def balance(self) -> Balance:
        data = mapping(self._json("GET", "/billing/balance", "the balance"), "balance")
        return Balance(
            available=number(data, "available", "balance"),
            reserved=number(data, "reserved", "balance", 0),
        )

    def usage(self, start: date | None = None, end: date | None = None) -> Usage:
        params: dict[str, str] = {}
        if start is not None:
            params["from"] = start.isoformat()
        if end is not None:
            params["to"] = end.isoformat()
        data = self._json("GET", "/billing/usage", "usage", params=params)
        rows = data.get("data") if isinstance(data, Mapping) else data
        if not isinstance(rows, list):
            raise ProtocolError("The gateway sent a usage answer that is not a list.")
        records = tuple(UsageRecord.from_dict(r) for r in rows)
        return Usage(records=records, total=sum(r.cost for r in records))

    def download(self, url: str, dest: Path, *, attempts: int = 3) -> Path:
        return self.http.download(url, dest, attempts=attempts)

    # --- the live catalogue --------------------------------------------------------------------
    def tool(self, model: str | None = None) -> Mapping[str, Any]:
        """`GET /tools/video` (every model's id) or, with `model`, that model's own schema."""
        params = {"model": canonical_model_id(model)} if model else None
        return mapping(self._json("GET", "/tools/video", "the video tool", params=params), "tool")

    def pricing(self) -> Mapping[str, Any]:
        return mapping(self._json("GET", "/pricing", "the pricing"), "pricing")
