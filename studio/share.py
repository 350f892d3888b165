"""A storyboard's read-only share link: the signed, expiring token that names it, and its checks.

A token is `base64url(expiry:account:storyboard id).base64url(HMAC-SHA256)` under a secret the
server keeps (`signing_key`: from the settings, else the data folder's, so links outlive a restart). It names one storyboard of one
account and nothing else; it cannot be made or altered without the secret. Checking says why a
token is refused, so the page can answer "expired" (410) apart from "not valid" (403).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from dataclasses import dataclass
from enum import StrEnum

from studio.errors import InputError
from studio.secrets_file import folder_secret
from studio.settings import Settings

DAY = 24 * 3600
DEFAULT_TTL = 7 * DAY
MAX_TTL = 30 * DAY
MIN_TTL = 60
MAX_TOKEN = 1024
CHOICES = {DAY: "1 day", 7 * DAY: "7 days", 30 * DAY: "30 days"}  # what the page offers


class Refusal(StrEnum):
    INVALID = "invalid"  # malformed or tampered with
    EXPIRED = "expired"


@dataclass(frozen=True)
class Grant:
    """What a valid token lets its holder see: one storyboard of one account, until `expires`."""

    account: str
    storyboard_id: str
    expires: int


@dataclass(frozen=True)
class Checked:
    grant: Grant | None
    refusal: Refusal | None


def signing_key(settings: Settings) -> bytes:
    """What share links are signed with: `STUDIO_SHARE_SECRET` (the same on every replica of a team),
    else a secret kept in the data folder, so links outlive a restart."""
    if settings.share_secret:
        return settings.share_secret.encode("utf-8")
    return folder_secret(settings.studio_home / "share.secret").encode("ascii")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: bytes, payload: bytes) -> str:
    return _b64(hmac.new(secret, b"share|" + payload, hashlib.sha256).digest())


def check_ttl(ttl: object) -> int:
    """A link's life in seconds: 1 minute to 30 days (InputError otherwise)."""
    if isinstance(ttl, bool) or not isinstance(ttl, int) or not MIN_TTL <= ttl <= MAX_TTL:
        raise InputError("A share link lasts between a minute and 30 days.", field="ttl")
    return ttl


def sign(
    secret: bytes, account: str, storyboard_id: str, ttl: int = DEFAULT_TTL, now: float | None = None
) -> str:
    """A token for one storyboard, valid for `ttl` seconds from `now`."""
    if not account or not storyboard_id or ":" in storyboard_id:
        raise InputError("Only a saved storyboard can be shared.", field="storyboard")
    expires = int(time.time() if now is None else now) + check_ttl(ttl)
    payload = f"{expires}:{storyboard_id}:{account}".encode()
    return f"{_b64(payload)}.{_mac(secret, payload)}"


def check(secret: bytes, token: str, now: float | None = None) -> Checked:
    """The grant a token carries, or why it is refused (tampered first, then expired)."""
    bad = Checked(None, Refusal.INVALID)
    if not isinstance(token, str) or len(token) > MAX_TOKEN:
        return bad
    body, _, mac = token.partition(".")
    if not body or not mac:
        return bad
    try:
        payload = _unb64(body)
    except (binascii.Error, ValueError):
        return bad
    if not hmac.compare_digest(mac.encode("ascii", "replace"), _mac(secret, payload).encode("ascii")):
        return bad
    parts = payload.decode("utf-8", "replace").split(":", 2)
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1] or not parts[2]:
        return bad
    expires = int(parts[0])
    if expires <= (time.time() if now is None else now):
        return Checked(None, Refusal.EXPIRED)
    return Checked(Grant(parts[2], parts[1], expires), None)


def expires_text(expires: int, now: float | None = None) -> str:
    """`in 7 days` / `in 3 hours` / `in 12 minutes`: how long a link has left."""
    left = max(0, int(expires - (time.time() if now is None else now)))
    if left >= 2 * DAY:
        return f"in {round(left / DAY)} days"
    if left >= 2 * 3600:
        return f"in {round(left / 3600)} hours"
    return f"in {max(1, round(left / 60))} minutes"
