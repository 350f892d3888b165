"""Varg Studio's app: `streamlit run studio_app.py` serves this `st.App`.

Its lifespan makes the services hub (library, followers, the demo gateway) and stops it; its
routes take varg's webhooks (`POST /hooks/varg`), answer `GET /healthz` and serve signed media
(`GET /studio-media/<token>`, see components/media_route.py) and storyboards' read-only share
pages (`GET /share/<token>`, see components/present_share.py). The pages run in
`studio_frame.py`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import streamlit as st
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from components import media_route, present_share, wiring
from studio.settings import load_settings
from studio.webhooks import HEADER, MAX_BODY

log = logging.getLogger("varg_studio")

SETTINGS = load_settings()
# Demo mode signs the demo gateway's webhooks with the data folder's own secret, unless one is set.
WEBHOOK_SECRET = SETTINGS.webhook_secret or wiring.demo_webhook_secret(SETTINGS)
DEMO = wiring.MountedDemoGateway(SETTINGS, WEBHOOK_SECRET, mount_path="/demo-gateway")


@asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[dict[str, Any]]:
    hub = wiring.make_hub(SETTINGS, gateway_factory=DEMO.factory, webhook_secret=WEBHOOK_SECRET, serving=True)
    wiring.set_app_hub(hub)
    # A team replica starts following its account's takes now, not at its first visitor.
    threading.Thread(target=hub.start, name="hub-start", daemon=True).start()
    try:
        yield {"hub": hub}
    finally:
        wiring.set_app_hub(None)
        await run_in_threadpool(hub.stop)


async def varg_webhook(request: Request) -> Response:
    hub = wiring.app_hub()
    if hub is None:
        return JSONResponse({"error": "starting"}, status_code=503)
    body = await request.body()
    if len(body) > MAX_BODY:
        return JSONResponse({"error": "too large"}, status_code=413)
    status, reason = await run_in_threadpool(hub.deliver_webhook, body, request.headers.get(HEADER))
    return JSONResponse({"status": reason}, status_code=status)


async def healthz(request: Request) -> Response:
    hub = wiring.app_hub()
    if hub is None:
        return JSONResponse({"ok": False, "reason": "starting"}, status_code=503)
    report = await run_in_threadpool(hub.health)
    return JSONResponse(report, status_code=200 if report.get("ok") else 503)


app = st.App(
    "studio_frame.py",
    lifespan=lifespan,
    routes=[
        Route("/hooks/varg", varg_webhook, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        media_route.route(),  # GET /studio-media/{token}: signed, same-origin media (HTTP Range)
        present_share.route(),  # GET /share/{token}: a storyboard's read-only present page (signed, expiring)
        Mount("/demo-gateway", app=DEMO.asgi),
    ],
)
