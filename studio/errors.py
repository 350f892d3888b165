"""The studio's error tree and the one choke point that turns a gateway error body into it."""

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
    ) -> None:
        super().__init__(message, field=field)
        if status is not None:
            self.status = status
        self.code = code
        self.provider = provider
        self.retry_after = retry_after

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


class PayloadTooLargeError(ApiError):
    status = 413


class RateLimitError(ApiError):
    status = 429


class ServerError(ApiError):
    status = 500


class ProviderError(ApiError):
    status = 502


class GenerationFailed(StudioError):
    """The job ran and ended `failed`; the message is the gateway's."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: ValidationError,
    401: AuthError,
    402: InsufficientBalanceError,
    404: NotFoundError,
    413: PayloadTooLargeError,
    429: RateLimitError,
    500: ServerError,
    502: ProviderError,
}

_FALLBACK_MESSAGES = {
    400: "The request was not valid.",
    401: "The API key is wrong or missing.",
    402: "Not enough credits for this job.",
    404: "Not found.",
    413: "The file is too large (the limit is 50 MB).",
    429: "Too many requests: slow down and try again shortly.",
    500: "The gateway had an internal error.",
    502: "The model's provider failed.",
}


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
    if isinstance(data, dict):
        err = data.get("error")
        if isinstance(err, dict):
            code = _str(err.get("code")) or _str(err.get("type")) or _str(err.get("error"))
            message = _str(data.get("message")) or _str(err.get("message"))
            field = _str(err.get("field"))
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
    )


def _str(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def describe(exc: BaseException) -> str:
    """A sentence for the user from any exception; never a traceback."""
    if isinstance(exc, InsufficientBalanceError):
        return f"Not enough credits: {exc.message}"
    if isinstance(exc, RateLimitError):
        wait = f" Retry after {exc.retry_after:g} s." if exc.retry_after else ""
        return f"Rate limited by the gateway.{wait}"
    if isinstance(exc, AuthError):
        return "The API key was refused. Check it in the sidebar; nothing else was changed."
    if isinstance(exc, StudioError):
        return exc.message
    return "Something went wrong inside the studio. Your takes are safe; try again."
