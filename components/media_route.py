"""Signed media URLs: `/studio-media/<token>` serves one library file (HTTP Range) to whoever holds its token.

A token is `base64url(expiry:relative path).base64url(HMAC-SHA256)` under a secret made per process
(`secrets.token_bytes`), so no URL can be made or altered without the server, nothing of the API key
is involved, and a restart voids every URL. The page mints a token only for a file of a take it has
already loaded for its account. Paths go through `Library.path`, which refuses `..`, absolute paths
and anything outside the media folder. Expiry is rounded to the `ttl` grid, so the same file gets the
same URL on every rerun within a window (players are not reloaded), and each URL lives ttl..2·ttl.

Streamlit reserves `/media/`, hence `/studio-media/`. With media on S3 (`STUDIO_MEDIA_URL`) the
browser gets the store's presigned URLs instead, so replicas need no shared disk: `src` and
`media_url` make that choice, in one place, for every widget.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from studio.store.media_files import content_type

PREFIX = "/studio-media"
DEFAULT_TTL = 6 * 3600  # seconds; a URL is valid for between one and two of these
_SECRET = secrets.token_bytes(32)
_NO_STORE = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}

Resolver = Callable[[str], Path]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(payload: bytes) -> str:
    return _b64(hmac.new(_SECRET, payload, hashlib.sha256).digest())


def sign(rel: str, expires: int) -> str:
    """The token for `rel` valid until `expires` (unix seconds). No check of `rel` here: see media_url."""
    payload = f"{int(expires)}:{rel}".encode()
    return f"{_b64(payload)}.{_mac(payload)}"


def verify(token: str, now: float | None = None) -> str | None:
    """The relative path a token names, or None when it is malformed, tampered with or expired."""
    body, _, mac = token.partition(".")
    if not body or not mac or len(token) > 2048:
        return None
    try:
        payload = _unb64(body)
    except (binascii.Error, ValueError):
        return None
    if not hmac.compare_digest(mac, _mac(payload)):
        return None
    stamp, sep, rel = payload.decode("utf-8", "replace").partition(":")
    if not sep or not stamp.isdigit() or not rel:
        return None
    if int(stamp) <= (time.time() if now is None else now):
        return None
    return rel


def _presigned(studio, rel: str, ttl: int) -> str | None:
    """The media store's own URL for `rel` (S3, valid ttl..2·ttl like ours), or None (a local folder)."""
    return studio.library.media_url(rel, expires=2 * max(60, int(ttl)))


def media_url(studio, rel: str, ttl: int = DEFAULT_TTL) -> str:
    """A URL for one media file of `studio`'s library: the store's presigned URL, or a same-origin
    signed one (raises InputError for a bad path)."""
    presigned = _presigned(studio, rel, ttl)
    if presigned:
        return presigned
    studio.library.path(rel)  # refuses escapes before anything is signed
    ttl = max(60, int(ttl))
    expires = (int(time.time()) // ttl + 2) * ttl
    return f"{PREFIX}/{sign(rel, expires)}"


def _find(studio, rel: str | None, ttl: int) -> tuple[str | None, Path | None]:
    """(the store's presigned URL, None), or (None, the local file when it is there)."""
    if not rel:
        return None, None
    try:
        presigned = _presigned(studio, rel, ttl)
    except Exception:  # a bad path or an unsignable link: shown as missing, never a traceback
        return None, None
    if presigned:
        return presigned, None
    return None, studio.media_path(rel)


def src(studio, rel: str | None, ttl: int = DEFAULT_TTL) -> str | None:
    """What `st.image` / `st.video` should be given for a media file: the store's presigned URL
    (nothing goes through this replica), else the local file's path; None when there is none."""
    url, path = _find(studio, rel, ttl)
    return url or (str(path) if path is not None else None)


def link(studio, rel: str | None, ttl: int = DEFAULT_TTL) -> str | None:
    """A URL for a custom player (compare, board), or None when there is no file: the store's
    presigned URL (no local copy is made), else a signed route URL to the local file."""
    url, path = _find(studio, rel, ttl)
    if url or path is None or not rel:
        return url
    return media_url(studio, rel, ttl)


def _app_library_path(rel: str) -> Path:
    from components import wiring  # the app's hub, read per request (set by its lifespan)

    hub = wiring.app_hub()
    if hub is None:
        raise LookupError("starting")
    return hub.library.path(rel)


def _refuse(status: int, text: str) -> Response:
    return PlainTextResponse(text, status_code=status, headers=_NO_STORE)


def route(resolve: Resolver | None = None) -> Route:
    """`GET|HEAD /studio-media/{token}`; `resolve` maps a relative path to a file (default: the app's library)."""
    find = resolve or _app_library_path

    async def serve(request: Request) -> Response:
        rel = verify(request.path_params["token"])
        if rel is None:
            return _refuse(403, "This media link is invalid or has expired. Reload the page.")
        try:
            path = await run_in_threadpool(find, rel)
        except LookupError:
            return _refuse(503, "The studio is starting.")
        except Exception:  # InputError for an escape: never says more
            return _refuse(404, "Not found.")
        if not path.is_file():
            return _refuse(404, "Not found.")
        headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600"}
        media_type = content_type(path)
        return FileResponse(path, media_type=media_type, headers=headers)

    return Route(PREFIX + "/{token}", serve, methods=["GET", "HEAD"])
