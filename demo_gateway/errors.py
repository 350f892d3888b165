"""Errors of the demo gateway: one exception type, answered as a v1 body or a v2 envelope."""

from __future__ import annotations

from typing import Any

V1_CODES = {
    400: "ValidationError",
    401: "AuthError",
    402: "InsufficientBalanceError",
    403: "ForbiddenError",
    404: "NotFoundError",
    405: "MethodNotAllowedError",
    408: "RequestTimeoutError",
    409: "ConflictError",
    411: "LengthRequiredError",
    413: "PayloadTooLargeError",
    414: "URITooLongError",
    416: "RangeNotSatisfiableError",
    422: "ValidationError",
    429: "RateLimitError",
    431: "HeadersTooLargeError",
    500: "InternalError",
    501: "NotImplementedError",
    502: "ProviderError",
    503: "ServiceUnavailableError",
    504: "GatewayTimeoutError",
}
V2_CODES = {
    400: "invalid_request",
    401: "unauthorized",
    402: "insufficient_balance",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    409: "job_terminal",
    411: "length_required",
    413: "file_too_large",
    416: "range_not_satisfiable",
    422: "invalid_request",
    429: "rate_limited",
    500: "internal_error",
    502: "provider_error",
    503: "service_unavailable",
    504: "gateway_timeout",
}
INTERNAL_MESSAGE = "An unexpected error occurred."


class InputError(ValueError):
    """Bad input to the renderer (an unreadable image or video); `field` names what was wrong."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class HttpError(Exception):
    """An error answer: status, message, and optionally a field, a v2 code, details, a provider, headers."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        field: str | None = None,
        code: str | None = None,
        v1_code: str | None = None,
        details: dict[str, Any] | None = None,
        provider: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
        self.code = code or V2_CODES.get(status, "internal_error" if status >= 500 else "error")
        self.v1_code = v1_code or V1_CODES.get(status, "InternalError" if status >= 500 else "Error")
        self.details = dict(details or {})
        if field and "field" not in self.details:
            self.details["field"] = field
        self.provider = provider
        self.headers = dict(headers or {})

    def v1_body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"error": self.v1_code, "message": self.message}
        if self.field:
            out["field"] = self.field
        if self.provider:
            out["provider"] = self.provider
        out["statusCode"] = self.status
        return out

    def v2_body(self) -> dict[str, Any]:
        err: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            err["details"] = self.details
        return {"error": err}


def bad(message: str, field: str | None = None, *, code: str = "invalid_request") -> HttpError:
    """A 400 (v1 ValidationError, v2 invalid_request / invalid_json)."""
    return HttpError(400, message, field=field, code=code)


def unprocessable(message: str, field: str) -> HttpError:
    """A v2 422 for a body that fails the model's schema (v1 answers these as 400)."""
    return HttpError(422, message, field=field, code="invalid_request")
