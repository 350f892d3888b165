"""The Starlette app: routes of /v1, /v2, files and admin, one dispatcher (auth, faults, errors, headers), uvicorn."""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import h11
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from uvicorn.protocols.http.h11_impl import H11Protocol

from demo_gateway.errors import INTERNAL_MESSAGE, HttpError

if TYPE_CHECKING:
    from demo_gateway.gateway import DemoGateway

log = logging.getLogger("demo_gateway")

Handler = Callable[..., Awaitable[Response]]
MAX_CONNECTIONS = 256
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


@dataclass(frozen=True)
class Endpoint:
    """One path: its stats template, its kind ("v1", "v2", "public", "file", "admin") and handlers by method."""

    template: str
    kind: str
    methods: dict[str, Handler]


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    data = json.dumps(body, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")
    resp = Response(data, status_code=status, media_type="application/json", headers=headers)
    resp.headers["Cache-Control"] = "no-store"
    return resp


def error_response(err: HttpError, v2: bool) -> Response:
    resp = json_response(err.status, err.v2_body() if v2 else err.v1_body(), err.headers)
    return resp


async def apply_request_faults(gw: DemoGateway, is_create: bool) -> None:
    """latency, rate_limit and server_error, as the fault settings say."""
    faults = gw.faults
    if faults.latency > 0:
        end = time.monotonic() + faults.latency
        while not gw.stopping.is_set() and time.monotonic() < end:
            await asyncio.sleep(min(0.05, end - time.monotonic()))
    kind = "create" if is_create else "read"
    retry_after = faults.take_rate_limit(kind)
    if retry_after is not None:
        seconds = max(0, math.ceil(retry_after))
        raise HttpError(
            429,
            f"Rate limit exceeded. Retry after {seconds} seconds.",
            code="rate_limited",
            headers={"Retry-After": str(seconds), "X-RateLimit-Remaining": "0"},
        )
    status = faults.take_server_error(kind)
    if status is not None:
        if status == 502:
            raise HttpError(502, "The provider returned an error.", provider="local", code="provider_error")
        raise HttpError(status, INTERNAL_MESSAGE if status == 500 else "The service is unavailable.")


def _dispatcher(gw: DemoGateway, ep: Endpoint) -> Callable[[Request], Awaitable[Response]]:
    v2 = ep.kind in ("v2", "public", "unknown-v2")

    async def run(request: Request) -> Response:
        method = request.method
        if ep.kind != "admin":
            gw.count(f"{method} {ep.template}")
        limits: tuple[int, int, int] | None = None
        try:
            handler = ep.methods.get(method)
            if handler is None:
                allow = ", ".join(ep.methods)
                raise HttpError(405, f"{method} is not allowed on {ep.template}.", headers={"Allow": allow})
            args: dict[str, Any] = {k: v for k, v in request.path_params.items() if k != "rest"}
            if ep.kind in ("v1", "v2", "public"):
                if gw.stopping.is_set():
                    raise HttpError(503, "The gateway is stopping.", headers={"Connection": "close"})
                account = "" if ep.kind == "public" else gw.authenticate(request)
                if v2:
                    limits = gw.rate_window(account or "anon")
                    if limits[1] <= 0:
                        raise HttpError(429, "Too many requests.", headers={"Retry-After": "1"})
                is_create = method == "POST" and ep.template in ("/v1/video", "/v2/video")
                await apply_request_faults(gw, is_create)
                if ep.kind != "public":
                    args["account"] = account
            resp = await handler(gw, request, **args)
        except HttpError as err:
            resp = error_response(err, v2)
        except Exception:
            log.exception("unhandled error in %s %s", method, ep.template)
            resp = error_response(HttpError(500, INTERNAL_MESSAGE), v2)
        _decorate(gw, resp, limits if v2 else None, v2)
        log.info("%s %s %s", method, ep.template, resp.status_code)
        return resp

    return run


def _decorate(gw: DemoGateway, resp: Response, limits: tuple[int, int, int] | None, v2: bool) -> None:
    resp.headers["Date"] = email.utils.formatdate(gw.shown_time(time.time()), usegmt=True)
    if v2:
        if limits is None:
            limits = gw.rate_window("anon")
        limit, remaining, reset = limits
        resp.headers.setdefault("X-RateLimit-Limit", str(limit))
        resp.headers.setdefault("X-RateLimit-Remaining", str(remaining))
        resp.headers.setdefault("X-RateLimit-Reset", str(reset))


def create_app(gw: DemoGateway) -> Starlette:
    """The gateway's ASGI app (mountable: URLs it answers with follow the request's base URL)."""
    from demo_gateway import admin, v1, v2

    endpoints = v1.ENDPOINTS + v2.ENDPOINTS + v1.FILE_ENDPOINTS
    if gw.admin_token:
        endpoints += admin.ENDPOINTS
    routes = [Route(ep.template, _dispatcher(gw, ep), methods=ALL_METHODS) for ep in endpoints]

    async def not_found(gw: DemoGateway, request: Request, **_: Any) -> Response:
        raise HttpError(404, f"No such route: {request.method} {request.url.path[:200]}")

    everything: dict[str, Handler] = dict.fromkeys(ALL_METHODS, not_found)
    for prefix, kind in (("/v2/{rest:path}", "unknown-v2"), ("/{rest:path}", "unknown")):
        ep = Endpoint("(unknown route)", kind, everything)
        routes.append(Route(prefix, _dispatcher(gw, ep), methods=ALL_METHODS))
    return Starlette(routes=routes)


class GatewayH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, answering malformed HTTP with a JSON error body."""

    def send_400_response(self, msg: str) -> None:
        body = json.dumps({"error": "ValidationError", "message": msg, "statusCode": 400}).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        for event in (
            h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
            h11.Data(data=body),
        ):
            self.transport.write(self.conn.send(event) or b"")
        self.transport.write(self.conn.send(h11.EndOfMessage()) or b"")
        self.transport.close()


def make_server(gw: DemoGateway) -> uvicorn.Server:
    """A uvicorn server with bounded concurrency, short keep-alive and no logging config of its own."""
    config = uvicorn.Config(
        gw.asgi,
        lifespan="off",
        log_config=None,
        log_level="warning",
        access_log=False,
        http=GatewayH11Protocol,
        limit_concurrency=MAX_CONNECTIONS,
        timeout_keep_alive=5,
        timeout_graceful_shutdown=1,
        date_header=False,
        server_header=False,
        h11_max_incomplete_event_size=64 * 1024,
    )
    return uvicorn.Server(config)
