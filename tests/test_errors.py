"""The one choke point that turns gateway error bodies into exceptions."""

from __future__ import annotations

import json

import pytest

from studio import errors


@pytest.mark.parametrize(
    ("status", "cls"),
    [(400, errors.ValidationError), (401, errors.AuthError), (402, errors.InsufficientBalanceError),
     (404, errors.NotFoundError), (413, errors.PayloadTooLargeError), (429, errors.RateLimitError),
     (500, errors.ServerError), (502, errors.ProviderError), (503, errors.ServerError)],
)  # fmt: skip
def test_each_status_maps_to_its_exception(status, cls):
    exc = errors.error_from_body(status, b"")
    assert isinstance(exc, cls) and exc.status == status and exc.message


def test_message_and_field_are_read_from_the_v1_body():
    body = json.dumps(
        {"error": "ValidationError", "message": "prompt is required", "field": "prompt", "statusCode": 400}
    )
    exc = errors.error_from_body(400, body)
    assert (exc.code, exc.message, exc.field) == ("ValidationError", "prompt is required", "prompt")


def test_newer_object_errors_are_read():
    body = json.dumps({"error": {"code": "RateLimitError", "message": "slow down"}})
    exc = errors.error_from_body(429, body, {"Retry-After": "7"})
    assert (exc.code, exc.message, exc.retry_after) == ("RateLimitError", "slow down", 7.0)


def test_a_bare_string_error_is_shown_when_there_is_no_message():
    assert (
        errors.error_from_body(502, '{"error": "upstream exploded", "provider": "fal"}').message
        == "upstream exploded"
    )


@pytest.mark.parametrize(
    "body", [b"<html>bad gateway</html>", b"\xff\xfe", b"[1,2]", b"null", b'{"error": 5}']
)
def test_garbage_bodies_still_give_a_clear_message(body):
    exc = errors.error_from_body(502, body, {"Retry-After": "soon"})
    assert exc.message and exc.retry_after is None


def test_describe_never_leaks_internals():
    assert "Traceback" not in errors.describe(KeyError("x"))
    assert "Retry after 3 s" in errors.describe(errors.RateLimitError("x", retry_after=3))
