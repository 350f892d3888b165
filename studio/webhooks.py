"""varg webhook signatures: `X-Varg-Signature: v1=<hex HMAC-SHA256 of the raw body>`."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from studio.api.job import Job
from studio.errors import ProtocolError

HEADER = "X-Varg-Signature"
MAX_BODY = 1024 * 1024


def sign(secret: str, body: bytes) -> str:
    return "v1=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(secret: str | None, body: bytes, header: str | None) -> bool:
    """True only for a well-formed `v1=` signature of exactly this body (constant-time compare)."""
    if not secret or not header or len(body) > MAX_BODY:
        return False
    expected = sign(secret, body)
    for part in header.split(","):  # tolerate several signatures during a secret rotation
        if hmac.compare_digest(part.strip().encode("utf-8", "replace"), expected.encode("ascii")):
            return True
    return False


def job_of(body: bytes) -> Job:
    """The job snapshot a webhook carries (ProtocolError if it is not one)."""
    try:
        data: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ProtocolError("The webhook body is not JSON.") from None
    if isinstance(data, dict) and isinstance(data.get("data"), dict) and "id" not in data:
        data = data["data"]
    return Job.from_v2(data)
