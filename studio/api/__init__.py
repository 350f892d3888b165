"""The varg API: one `Backend` interface, spoken as v2 (default) or v1 (a base URL ending in `/v1`).

transport  session, timeouts, retries with jitter, User-Agent, key-less downloads
request    VideoRequest and model id spellings
job        Job and JobStatus, read from either version
money      Balance (available, reserved), Usage, Quote
files      UploadedFile
sse        the v1 event-stream parser
follow     adaptive polling of v2 progress
v1, v2     the two backends
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from studio.api.files import UploadedFile
from studio.api.job import Job, JobStatus
from studio.api.money import Balance, Quote, Usage
from studio.api.request import VideoRequest, canonical_model_id, dashed_model_id, same_model

__all__ = [
    "ApiVersion",
    "Backend",
    "Balance",
    "Job",
    "JobStatus",
    "Quote",
    "UploadedFile",
    "Usage",
    "VideoRequest",
    "canonical_model_id",
    "dashed_model_id",
    "open_backend",
    "same_model",
    "version_of",
]


class ApiVersion(StrEnum):
    V1 = "v1"
    V2 = "v2"


def version_of(base_url: str) -> ApiVersion:
    """v1 when the base URL ends in `/v1`, else v2 (varg's current API)."""
    return ApiVersion.V1 if base_url.rstrip("/").endswith("/v1") else ApiVersion.V2


class Backend(Protocol):
    """What the jobs layer, library and UI may ask of a gateway, whichever version it speaks."""

    version: str
    base_url: str
    idempotent: bool  # a create may be re-sent with the same key (v2)
    reports_progress: bool

    def create(self, req: VideoRequest, *, idempotency_key: str | None = None) -> Job: ...
    def estimate(self, req: VideoRequest) -> Quote | None: ...
    def get_job(self, job_id: str) -> Job: ...
    def follow(
        self, job_id: str, *, stop: threading.Event | None = None, webhook: bool = False
    ) -> Iterator[Job]: ...
    def cancel(self, job_id: str) -> Job | None: ...
    def retry_job(self, job_id: str) -> Job: ...
    def upload(self, data: bytes, media_type: str) -> UploadedFile: ...
    def balance(self) -> Balance: ...
    def usage(self, start: date | None = None, end: date | None = None) -> Usage: ...
    def download(self, url: str, dest: Path, *, attempts: int = 3) -> Path: ...
    def close(self) -> None: ...


def open_backend(
    base_url: str, api_key: str, *, timeout: tuple[float, float] = (5.0, 30.0), **kwargs
) -> Backend:
    """The backend for this base URL's version."""
    if version_of(base_url) is ApiVersion.V1:
        from studio.api.v1 import V1Backend

        return V1Backend(base_url, api_key, timeout=timeout, **kwargs)
    from studio.api.v2 import V2Backend

    return V2Backend(base_url, api_key, timeout=timeout, **kwargs)
