"""The read-only share link: `GET /share/<token>` serves one storyboard's present page to anyone holding it.

The token (`studio.share`) is signed with the secret the studio's signed media URLs use, so a
restart voids share links as it voids media links. The page is a whole, self-contained document:
the storyboard's name, its chosen takes in order with their trims, each file behind its own signed
URL that lives no longer than the link (`media_route.media_url`, a presigned URL on S3). Nothing
else of the library is named: no take ids, no prompts, no other takes, no Streamlit session, no key.
A tampered or malformed link is refused with 403, an expired one with 410, both as plain pages.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from components import media_route, present_player
from studio import share
from studio.settings import load_settings
from studio.share import Refusal
from studio.wording import count

log = logging.getLogger("varg_studio")

PREFIX = "/share"
MEDIA_TTL = 6 * 3600  # the longest a media URL on the page lives (never past the link itself)
_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the token never leaves in a Referer header
    "X-Robots-Tag": "noindex, nofollow",
}

HubOf = Callable[[], Any]  # the app's services hub (its `.library`), or None while starting


_KEYS: dict[tuple[str | None, str], bytes] = {}


def secret() -> bytes:
    """The share links' signing key for this studio's settings (read once per configuration)."""
    from components import wiring

    hub = wiring.app_hub()
    settings = hub.settings if hub is not None else load_settings()
    found = (settings.share_secret, str(settings.studio_home))
    if found not in _KEYS:
        _KEYS[found] = share.signing_key(settings)
    return _KEYS[found]


def link(account: str, storyboard_id: str, ttl: int = share.DEFAULT_TTL, base: str = "") -> str:
    """A share URL path (prefixed by `base`, the studio's own address when known)."""
    token = share.sign(secret(), account, storyboard_id, ttl)
    return f"{base.rstrip('/')}{PREFIX}/{token}"


def _plain(status: int, title: str, text: str) -> Response:
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>'
        f"{present_player.esc(title)}</title>"
        "<style>body{margin:0;background:#0F1115;color:#ECE9E4;font-family:system-ui,sans-serif}"
        "main{max-width:560px;margin:14vh auto;padding:0 24px}h1{font-size:1.5rem}p{color:#A7A39C}</style>"
        f"</head><body><main><h1>{present_player.esc(title)}</h1><p>{present_player.esc(text)}</p>"
        "</main></body></html>"
    )
    headers = {**_HEADERS, "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"}
    return HTMLResponse(body, status_code=status, headers=headers)


def _policy(urls: list[str]) -> str:
    """Only this page's own script and styles, and media from here (and the media store, on S3)."""
    origins = sorted({f"{p.scheme}://{p.netloc}" for p in map(urlsplit, urls) if p.scheme and p.netloc})
    media = " ".join(["'self'", *origins])
    return (
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
        f"media-src {media}; img-src {media}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


def render(hub: Any, grant: share.Grant) -> tuple[int, str, list[str]]:
    """(status, HTML, media URLs) of the present page for a valid grant."""
    reel = hub.library.reel(grant.account, grant.storyboard_id)
    if reel is None:
        return 404, "", []
    left = max(60, grant.expires - int(time.time()))
    ttl = max(60, min(MEDIA_TTL, left // 2))  # a media URL lives ttl..2·ttl: never past the link

    def url_of(rel: str | None) -> str | None:
        if not rel:
            return None
        try:
            return media_route.media_url(hub, rel, ttl)
        except Exception:  # a bad or missing path: the shot is left out, never a traceback
            return None

    items = present_player.clips(reel, url_of)
    note = f"{count(len(items), 'shot')} · {reel.length:.1f} s · " + (
        f"read-only link, expires {share.expires_text(grant.expires)}"
    )
    html = present_player.page_html(reel.board.name, note, items, reel.ratio)
    urls = [c.src for c in items] + [c.poster for c in items if c.poster]
    return 200, html, urls


def route(hub_of: HubOf | None = None) -> Route:
    """`GET /share/{token}`; `hub_of` gives the services hub (default: the app's)."""

    def default_hub() -> Any:
        from components import wiring

        return wiring.app_hub()

    find = hub_of or default_hub

    async def serve(request: Request) -> Response:
        checked = share.check(secret(), request.path_params["token"])
        if checked.refusal is Refusal.EXPIRED:
            return _plain(410, "This link has expired", "Ask whoever shared it for a new link.")
        if checked.grant is None:
            return _plain(
                403, "This link is not valid", "Check that it was copied whole, or ask for a new one."
            )
        hub = find()
        if hub is None:
            return _plain(503, "Starting", "The studio is starting. Try again in a moment.")
        try:
            status, html, urls = await run_in_threadpool(render, hub, checked.grant)
        except Exception:
            log.exception("share page failed")
            return _plain(500, "Something went wrong", "This storyboard could not be shown right now.")
        if status == 404:
            return _plain(404, "Not found", "This storyboard no longer exists.")
        return HTMLResponse(
            html, status_code=status, headers={**_HEADERS, "Content-Security-Policy": _policy(urls)}
        )

    return Route(PREFIX + "/{token}", serve, methods=["GET"])
