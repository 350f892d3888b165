"""Request bodies: size caps before reading, a read deadline against trickling clients, strict JSON."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from starlette.requests import ClientDisconnect, Request

from demo_gateway.errors import HttpError, bad

MAX_JSON_BYTES = 1024 * 1024
MAX_DEPTH = 32
IDLE_SECONDS = 10.0  # the longest pause between two body chunks
MIN_RATE = 256 * 1024  # bytes/s a body must average (after the first 30 s)
BASE_SECONDS = 30.0


def declared_length(request: Request) -> int | None:
    raw = request.headers.get("content-length")
    if raw is None or not raw.strip():
        return None
    try:
        n = int(raw)
    except ValueError:
        raise bad("Content-Length is not a number.") from None
    if n < 0:
        raise bad("Content-Length is negative.")
    return n


def too_large(limit: int, what: str = "The request body") -> HttpError:
    mb = limit // (1024 * 1024)
    return HttpError(413, f"{what} is too large: the limit is {mb} MB.", code="file_too_large")


async def read_body(request: Request, limit: int, *, what: str = "The request body") -> bytes:
    """The whole body, at most `limit` bytes (413 otherwise), read within a deadline (408 otherwise)."""
    length = declared_length(request)
    if length is not None and length > limit:
        raise too_large(limit, what)
    deadline = time.monotonic() + BASE_SECONDS + (length or limit) / MIN_RATE
    chunks: list[bytes] = []
    size = 0
    stream = request.stream().__aiter__()
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise HttpError(408, "The request body arrived too slowly.")
        try:
            chunk = await asyncio.wait_for(stream.__anext__(), timeout=min(IDLE_SECONDS, left))
        except StopAsyncIteration:
            break
        except TimeoutError:
            raise HttpError(408, "The request body arrived too slowly.") from None
        except ClientDisconnect:
            raise bad("The request body ended early.") from None
        size += len(chunk)
        if size > limit:
            raise too_large(limit, what)
        chunks.append(chunk)
    return b"".join(chunks)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _check(value: Any) -> None:
    """Depth ≤ 32 and no lone surrogates in any string (iteratively, so no recursion limit)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise bad(f"The body is nested deeper than {MAX_DEPTH} levels.")
            children = list(item.items()) if isinstance(item, dict) else [(None, v) for v in item]
            for key, child in children:
                if key is not None:
                    _check_text(key)
                stack.append((child, depth + 1))
        elif isinstance(item, str):
            _check_text(item)


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise bad("The body holds a string that is not valid Unicode (a lone surrogate).") from None


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """A JSON object from UTF-8 bytes, or HttpError 400 (invalid_json / invalid_request)."""
    if not raw.strip():
        raise bad("The request body must be a JSON object.", code="invalid_json")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise bad("The request body is not UTF-8.", code="invalid_json") from None
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise bad("The request body is not valid JSON.", code="invalid_json") from None
    if not isinstance(value, dict):
        raise bad("The request body must be a JSON object.")
    _check(value)
    return value


async def json_body(request: Request) -> dict[str, Any]:
    return parse_json_object(await read_body(request, MAX_JSON_BYTES))
