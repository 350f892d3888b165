"""The studio's error tree and the one choke point that turns a gateway error body into it.

    StudioError                      message fit to show a user, optional form `field`
    ├── InputError                   bad input caught before anything is spent
    ├── GatewayUnreachable           no connection at all: nothing was sent
    ├── GatewayTimeout               no answer in time (a create may exist)
    ├── CreateOutcomeUnknown         a create was sent, its answer lost (v1: may be charged)
    ├── ProtocolError                an answer that is not the contract
    ├── GenerationFailed             the job ran and failed
    └── ApiError                     an error body: status, code, message, field, details
        ├── ValidationError 400
        │   └── UnprocessableError 422     fails the model's schema (v2)
        ├── AuthError 401
        ├── InsufficientBalanceError 402   details: needed, available (v2)
        ├── NotFoundError 404              code model_not_found, job_not_found, file_not_found…
        ├── ConflictError 409              the job already ended
        ├── PayloadTooLargeError 413
        ├── RateLimitError 429             retry_after
        └── ServerError 500
            ├── ProviderError 502
            └── UnavailableError 503       code no_pricing: the model has no price now

`error_from_body` reads v1 (`{"error": Code, "message"}`) and v2 (`{"error": {"code", "message",
"details"}}`) bodies, and string forms, and never raises.
"""

from __future__ import annotations

import json
import math
from typing import Any


class StudioError(Exception):
    """Base of every error the core raises on purpose. `message` is fit to show a user."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# --- input ---------------------------------------------------------------------------------
class InputError(StudioError):
    """Bad user input caught before anything is spent (field names the form control)."""


# --- transport -----------------------------------------------------------------------------
class GatewayUnreachable(StudioError):
    """The gateway could not be reached at all (connection refused, DNS): nothing was sent."""


class GatewayTimeout(StudioError):
    """The gateway did not answer in time. For a create, the job may exist (and be billed)."""


class CreateOutcomeUnknown(StudioError):
    """A create was sent but its answer was lost: the job may have started and been charged."""


class ProtocolError(StudioError):
    """The gateway answered with something that is not the v1 contract."""


# --- API errors by status --------------------------------------------------------------------
class ApiError(StudioError):
    """An error body from the gateway: status, code, message and (maybe) field."""

    status: int = 0

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        field: str | None = None,
        provider: str | None = None,
        retry_after: float | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, field=field)
        if status is not None:
            self.status = status
        self.code = code
        self.provider = provider
        self.retry_after = retry_after
        self.details = details or {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, code={self.code!r}, message={self.message!r}, field={self.field!r})"


class ValidationError(ApiError):
    status = 400


class AuthError(ApiError):
    status = 401


class InsufficientBalanceError(ApiError):
    status = 402


class NotFoundError(ApiError):
    status = 404


class ConflictError(ApiError):
    """409: the job already ended (a cancel or retry came too late)."""

    status = 409


class PayloadTooLargeError(ApiError):
    status = 413


class UnprocessableError(ValidationError):
    """422: the body fails the model's schema (v2); `field` names the property."""

    status = 422


class RateLimitError(ApiError):
    status = 429


class ServerError(ApiError):
    status = 500


class ProviderError(ApiError):
    status = 502


class UnavailableError(ServerError):
    """503: the service or model is unavailable right now (v2 `no_pricing`)."""

    status = 503


class GenerationFailed(StudioError):
    """The job ran and ended `failed`; the message is the gateway's."""


# --- the library -----------------------------------------------------------------------------
class StorageError(StudioError):
    """The data folder cannot be written (read-only, full, missing) or the database is unusable."""


class TakeNotFound(StudioError):
    """The take does not exist (any more): it may have been deleted meanwhile."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: ValidationError,
    401: AuthError,
    402: InsufficientBalanceError,
    404: NotFoundError,
    409: ConflictError,
    413: PayloadTooLargeError,
    422: UnprocessableError,
    429: RateLimitError,
    500: ServerError,
    502: ProviderError,
    503: UnavailableError,
}

_FALLBACK_MESSAGES = {
    400: "The request was not valid.",
    401: "The API key is wrong or missing.",
    402: "Not enough credits for this job.",
    404: "Not found.",
    409: "The job already ended.",
    413: "The file is too large (the limit is 50 MB).",
    429: "Too many requests: slow down and try again shortly.",
    500: "The gateway had an internal error.",
    502: "The model's provider failed.",
    503: "The service is unavailable right now.",
}

# v2 codes that mean "this model cannot be used now": the studio offers another model instead.
MODEL_UNAVAILABLE_CODES = frozenset({"model_not_found", "no_pricing", "tool_not_found"})


def model_unavailable(exc: BaseException) -> bool:
    """True when the gateway said the model is gone or has no price (not offered for now)."""
    return isinstance(exc, ApiError) and (exc.code or "") in MODEL_UNAVAILABLE_CODES


def _retry_after(headers: Any) -> float | None:
    raw = (headers or {}).get("Retry-After") if headers is not None else None
    if raw is None:
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError, OverflowError):
        return None
    return max(0.0, value) if math.isfinite(value) else None


def error_from_body(status: int, body: bytes | str | None, headers: Any = None) -> ApiError:
    """The one place that reads a gateway error body.

    Reads `message` first; if `error` is an object reads `error.message`; if `error` is a string
    and there is no `message`, uses it. Never raises.
    """
    data: Any = None
    if body:
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            data = None
    code: str | None = None
    message: str | None = None
    field: str | None = None
    provider: str | None = None
    details: dict[str, Any] = {}
    if isinstance(data, dict):
        err = data.get("error")
        if isinstance(err, dict):  # v2: {"error": {"code", "message", "details"?}}
            code = _str(err.get("code")) or _str(err.get("type")) or _str(err.get("error"))
            message = _str(data.get("message")) or _str(err.get("message"))
            raw_details = err.get("details")
            if isinstance(raw_details, dict):
                details = {k: v for k, v in raw_details.items() if isinstance(k, str)}
            field = _str(err.get("field")) or _str(details.get("field"))
        else:
            code = _str(err)
            message = _str(data.get("message")) or code
        field = _str(data.get("field")) or field
        provider = _str(data.get("provider"))
    if not message:
        message = _FALLBACK_MESSAGES.get(status) or f"The gateway answered HTTP {status}."
    cls = _BY_STATUS.get(status)
    if cls is None:
        cls = ServerError if status >= 500 else ApiError
    return cls(
        message,
        status=status,
        code=code,
        field=field,
        provider=provider,
        retry_after=_retry_after(headers),
        details=details,
    )


def _str(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def describe(exc: BaseException) -> str:
    """A sentence for the user from any exception; never a traceback."""
    if isinstance(exc, InsufficientBalanceError):
        needed, available = exc.details.get("needed"), exc.details.get("available")
        if isinstance(needed, int) and isinstance(available, int):
            return f"Not enough credits: this needs {needed:,} and {available:,} are available."
        return f"Not enough credits: {exc.message}"
    if isinstance(exc, RateLimitError):
        wait = f" Retry after {exc.retry_after:g} s." if exc.retry_after else ""
        return f"Rate limited by the gateway.{wait}"
    if isinstance(exc, AuthError):
        return "The API key was refused. Check it in the sidebar; nothing else was changed."
    if isinstance(exc, StudioError):
        return exc.message
    return "Something went wrong inside the studio. Your takes are safe; try again."
