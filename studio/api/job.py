"""A job as either API version reports it, normalised: status, progress, output, money."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from studio.errors import ProtocolError


class JobStatus(StrEnum):
    """A job's status on the gateway (v1 `processing` and v2 `running` are one state here)."""

    QUEUED = "queued"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED)


_V2_STATUS = {
    "queued": JobStatus.QUEUED,
    "submitting": JobStatus.QUEUED,
    "pending": JobStatus.QUEUED,
    "running": JobStatus.PROCESSING,
    "processing": JobStatus.PROCESSING,
    "completed": JobStatus.COMPLETED,
    "failed": JobStatus.FAILED,
    "cancelled": JobStatus.CANCELLED,
    "canceled": JobStatus.CANCELLED,
}
TERMINAL_STATUSES = frozenset(s for s in JobStatus if s.terminal)


# --- strict readers: a wrong type is a ProtocolError, never a crash ---------------------------
def mapping(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ProtocolError(f"The gateway sent something that is not a {what}.")
    return value


def need_str(d: Mapping[str, Any], key: str, what: str) -> str:
    value = d.get(key)
    if not isinstance(value, str) or not value:
        raise ProtocolError(f"The gateway sent a {what} without a valid {key!r}.")
    return value


def opt_str(d: Mapping[str, Any], key: str, what: str) -> str | None:
    value = d.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ProtocolError(f"The gateway sent a {what} whose {key!r} is not a string.")
    return value


def number(d: Mapping[str, Any], key: str, what: str, default: float | None = None) -> int:
    value = d.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ProtocolError(f"The gateway sent a {what} without a numeric {key!r}.")
    return int(value)


def opt_cents(d: Mapping[str, Any], key: str) -> int | None:
    """An amount in cents, or None when absent or not a finite number (never a crash)."""
    value = d.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return int(math.ceil(value)) if value >= 0 else None


def flag(d: Mapping[str, Any], key: str, what: str, default: bool | None = None) -> bool:
    value = d.get(key, default)
    if not isinstance(value, bool):
        raise ProtocolError(f"The gateway sent a {what} whose {key!r} is not true/false.")
    return value


def _error_text(error: Any) -> str | None:
    if error is None:
        return None
    if isinstance(error, Mapping):  # v2: {"code", "message"}
        text = error.get("message") or error.get("code") or error.get("error")
        return str(text) if text else "The job failed."
    return str(error)


@dataclass(frozen=True)
class Job:
    """A job as the gateway reports it (either version)."""

    job_id: str
    status: JobStatus
    model: str
    created_at: str
    completed_at: str | None = None
    output_url: str | None = None
    output_media_type: str | None = None
    cache_hit: bool = False
    error: str | None = None
    progress: float | None = None  # 0..1 when the gateway reports it (v2), never made up
    progress_message: str | None = None
    estimated_cents: int | None = None
    actual_cents: int | None = None

    @property
    def terminal(self) -> bool:
        return self.status.terminal

    @classmethod
    def from_dict(cls, d: Any) -> Job:
        """A v1 job (`job_id`, `output.url`, `cache.hit`)."""
        d = mapping(d, "job")
        status = d.get("status")
        if status not in ("queued", "processing", "completed", "failed", "cancelled"):
            raise ProtocolError(f"The gateway sent a job with an unknown status {status!r}.")
        output = d.get("output")
        output_url = output_media_type = None
        if output is not None:
            output = mapping(output, "job output")
            output_url = opt_str(output, "url", "job output")
            output_media_type = opt_str(output, "media_type", "job output")
        cache = d.get("cache")
        cache_hit = False
        if cache is not None:
            cache_hit = flag(mapping(cache, "job cache"), "hit", "job cache", False)
        return cls(
            job_id=need_str(d, "job_id", "job"),
            status=JobStatus(status),
            model=need_str(d, "model", "job"),
            created_at=need_str(d, "created_at", "job"),
            completed_at=opt_str(d, "completed_at", "job"),
            output_url=output_url,
            output_media_type=output_media_type,
            cache_hit=cache_hit,
            error=_error_text(d.get("error")),
        )

    @classmethod
    def from_v2(cls, d: Any) -> Job:
        """A v2 job (`id`, `output.outputs[0].url`, `pricing`, `progress`), or a v2 status answer."""
        d = mapping(d, "job")
        raw = d.get("status")
        status = _V2_STATUS.get(raw) if isinstance(raw, str) else None
        if status is None:
            raise ProtocolError(f"The gateway sent a job with an unknown status {raw!r}.")
        output_url = output_media_type = None
        output = d.get("output")
        if isinstance(output, Mapping):
            outputs = output.get("outputs")
            first = outputs[0] if isinstance(outputs, list) and outputs else output
            if isinstance(first, Mapping):
                output_url = opt_str(first, "url", "job output")
                output_media_type = opt_str(first, "media_type", "job output")
        elif output is not None:
            raise ProtocolError("The gateway sent a job whose 'output' is not an object.")
        pricing = d.get("pricing") if isinstance(d.get("pricing"), Mapping) else {}
        cached = bool(pricing.get("cached")) if isinstance(pricing.get("cached"), bool) else False
        progress = d.get("progress")
        if isinstance(progress, bool) or not isinstance(progress, int | float) or not math.isfinite(progress):
            progress = None
        else:
            progress = min(1.0, max(0.0, float(progress)))
        model = d.get("model")
        if not isinstance(model, str):
            inp = d.get("input")
            model = inp.get("model") if isinstance(inp, Mapping) else None
        message = d.get("progress_message")
        return cls(
            job_id=need_str(d, "id", "job"),
            status=status,
            model=model if isinstance(model, str) else "",
            created_at=opt_str(d, "created_at", "job") or "",
            completed_at=opt_str(d, "completed_at", "job"),
            output_url=output_url,
            output_media_type=output_media_type,
            cache_hit=cached,
            error=_error_text(d.get("error")) if status is not JobStatus.COMPLETED else None,
            progress=progress,
            progress_message=message[:200] if isinstance(message, str) and message else None,
            estimated_cents=opt_cents(d, "estimated_cost_cents")
            if "estimated_cost_cents" in d
            else opt_cents(pricing, "estimated"),
            actual_cents=opt_cents(d, "actual_cost_cents")
            if "actual_cost_cents" in d
            else opt_cents(pricing, "actual"),
        )
