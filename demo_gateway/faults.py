"""Injectable faults: latency, 429s, 5xx, hung creates, dropped streams, failed jobs, and the v2 ones."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

_TARGETS = ("all", "create", "read")
_ERROR_STATUSES = (500, 502, 503, 504)


@dataclass
class _Values:
    latency: float = 0.0  # seconds added to every /v1 request
    rate_limit: int = 0  # next N requests answer 429
    rate_limit_on: str = "all"  # "all" | "create" | "read"
    retry_after: float = 1.0  # seconds, sent as Retry-After (rounded up to whole seconds)
    server_error: int = 0  # next N requests answer `error_status`
    server_error_on: str = "all"  # "all" | "create" | "read"
    error_status: int = 500  # 500 (InternalError) or 502 (ProviderError)
    create_commit_then_error: int = 0  # next N creates make and charge the job, then answer 500
    create_hang: int = 0  # next N creates make and charge the job, then stall `hang_seconds`
    hang_seconds: float = 10.0
    drop_stream_after: float | None = None  # cut every SSE stream after this many seconds
    fail_jobs: int = 0  # next N jobs end `failed`
    download_errors: int = 0  # next N output downloads answer 500
    # v2
    unprocessable: int = 0  # next N v2 creates/estimates answer 422
    no_pricing: str = ""  # comma list of models: 503 no_pricing, absent from /pricing
    models_gone: str = ""  # comma list of models: listed, but estimate/create answer 404 model_not_found
    sora_gone: bool = False  # models_gone plus the three Sora models
    cancel_conflict: int = 0  # next N v2 cancels finish the job first and answer 409
    webhook_fail: int = 0  # next N webhook deliveries are dropped (then retried)
    clock_skew: float = 0.0  # seconds added to the gateway's clock (Date, created_at, usage)


_FIELDS = {f.name: f for f in fields(_Values)}
_COUNTERS = (
    "rate_limit",
    "server_error",
    "create_commit_then_error",
    "create_hang",
    "fail_jobs",
    "download_errors",
    "unprocessable",
    "cancel_conflict",
    "webhook_fail",
)
_LISTS = ("no_pricing", "models_gone")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")


def _coerce(name: str, value: Any) -> Any:
    """Check and convert one fault value (strings from the CLI or env are accepted)."""
    if name not in _FIELDS:
        raise ValueError(f"unknown fault {name!r}; known: {', '.join(_FIELDS)}")
    if isinstance(value, str):
        value = value.strip()
    if name in ("rate_limit_on", "server_error_on"):
        if value not in _TARGETS:
            raise ValueError(f"{name} must be one of {', '.join(_TARGETS)}")
        return value
    if name == "drop_stream_after" and value in (None, "", "none", "None", "off"):
        return None
    if name in _LISTS:
        if isinstance(value, list | tuple):
            value = ",".join(str(v) for v in value)
        if not isinstance(value, str):
            raise ValueError(f"{name} must be a comma-separated list of model ids")
        parts = value.replace(";", ",").replace("+", ",").replace("|", ",").split(",")
        return ",".join(p.strip() for p in parts if p.strip())
    if name == "sora_gone":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in _TRUE + _FALSE:
            return value.lower() in _TRUE
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        raise ValueError("sora_gone must be true or false")
    if name == "clock_skew":
        try:
            skew = float(value)
        except (TypeError, ValueError):
            raise ValueError("clock_skew must be a number of seconds") from None
        if skew != skew or abs(skew) == float("inf"):
            raise ValueError("clock_skew must be a finite number of seconds")
        return skew
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number")
    if name in _COUNTERS or name == "error_status":
        try:
            number = int(value) if isinstance(value, str) else value
        except ValueError:
            raise ValueError(f"{name} must be a whole number") from None
        if not isinstance(number, int) and not (isinstance(number, float) and number.is_integer()):
            raise ValueError(f"{name} must be a whole number")
        number = int(number)
        if name == "error_status" and number not in _ERROR_STATUSES:
            raise ValueError(f"error_status must be one of {', '.join(map(str, _ERROR_STATUSES))}")
        if number < 0:
            raise ValueError(f"{name} must not be negative")
        return number
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number of seconds") from None
    if seconds != seconds or seconds < 0 or seconds == float("inf"):
        raise ValueError(f"{name} must be a non-negative number of seconds")
    return seconds


class Faults:
    """Thread-safe, mutable fault settings; counters decrement as they are used."""

    def __init__(self, **values: Any) -> None:
        self._lock = threading.Lock()
        self._v = _Values()
        if values:
            self.update(values)

    # --- construction and editing ------------------------------------------------------------
    @classmethod
    def from_string(cls, spec: str | None) -> Faults:
        """`"rate_limit=2,retry_after=1,error_status=502"` (the env / CLI form)."""
        faults = cls()
        faults.update(cls.parse(spec))
        return faults

    @staticmethod
    def parse(spec: str | None) -> dict[str, Any]:
        """Only the settings a `name=value,...` spec names, checked and converted."""
        out: dict[str, Any] = {}
        last: str | None = None
        for part in (spec or "").replace(";", ",").split(","):
            part = part.strip()
            if not part:
                continue
            name, sep, value = part.partition("=")
            if not sep and last in _LISTS:  # models_gone=a,b: the list goes on
                out[last] = _coerce(last, f"{out[last]},{part}")
                continue
            if not sep:
                raise ValueError(f"fault {part!r} must look like name=value")
            last = name.strip()
            out[last] = _coerce(last, value)
        return out

    def update(self, values: Mapping[str, Any]) -> None:
        """Merge settings; all are checked before any is applied (ValueError names the bad one)."""
        if not isinstance(values, Mapping):
            raise ValueError("faults must be an object of name: value")
        checked = {name: _coerce(name, value) for name, value in values.items()}
        with self._lock:
            for name, value in checked.items():
                setattr(self._v, name, value)

    def reset(self) -> None:
        with self._lock:
            self._v = _Values()

    def to_dict(self) -> dict[str, Any]:
        with self._lock:
            return {name: getattr(self._v, name) for name in _FIELDS}

    def __getattr__(self, name: str) -> Any:
        if name in _FIELDS:
            with self.__dict__["_lock"]:
                return getattr(self.__dict__["_v"], name)
        raise AttributeError(name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _FIELDS:
            self.update({name: value})
        else:
            super().__setattr__(name, value)

    def __repr__(self) -> str:
        active = {k: v for k, v in self.to_dict().items() if v != _FIELDS[k].default}
        return f"Faults({', '.join(f'{k}={v!r}' for k, v in active.items())})"

    # --- use by the server -------------------------------------------------------------------
    def gone_models(self) -> set[str]:
        """Canonical-ish ids (as given) that answer model_not_found."""
        with self._lock:
            gone = {m for m in self._v.models_gone.split(",") if m}
            if self._v.sora_gone:
                gone |= {"sora_2", "sora_2_pro", "sora_2_remix"}
            return gone

    def unpriced_models(self) -> set[str]:
        with self._lock:
            return {m for m in self._v.no_pricing.split(",") if m}

    def take(self, counter: str) -> bool:
        """Use one unit of a counter fault; True if it fired."""
        if counter not in _COUNTERS:
            raise ValueError(f"{counter!r} is not a counter fault")
        with self._lock:
            left = getattr(self._v, counter)
            if left > 0:
                setattr(self._v, counter, left - 1)
                return True
            return False

    def take_rate_limit(self, kind: str) -> float | None:
        """Retry-After seconds if this request (`"create"` or `"read"`) is to be rate limited."""
        with self._lock:
            if self._v.rate_limit > 0 and self._v.rate_limit_on in ("all", kind):
                self._v.rate_limit -= 1
                return self._v.retry_after
            return None

    def take_server_error(self, kind: str) -> int | None:
        """The status to answer if this request is to fail with a server error."""
        with self._lock:
            if self._v.server_error > 0 and self._v.server_error_on in ("all", kind):
                self._v.server_error -= 1
                return self._v.error_status
            return None
