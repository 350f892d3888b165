"""Admin test hooks (only with an admin token): stats, faults, demo credits; X-Admin-Token, loopback, JSON only."""

from __future__ import annotations

import hmac
import ipaddress
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from demo_gateway.app import Endpoint, json_response
from demo_gateway.bodies import json_body
from demo_gateway.errors import HttpError, bad
from demo_gateway.media import base_of

if TYPE_CHECKING:
    from demo_gateway.gateway import DemoGateway


def _origin_of(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


def _guard(gw: DemoGateway, request: Request) -> None:
    host = request.client.host if request.client else ""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise HttpError(403, "Admin hooks answer loopback clients only.")
    token = request.headers.get("x-admin-token", "")
    if not gw.admin_token or not hmac.compare_digest(token.encode(), gw.admin_token.encode()):
        raise HttpError(401, "Send the admin token in X-Admin-Token.")
    origin = request.headers.get("origin")
    if origin is not None and origin.rstrip("/") != _origin_of(base_of(request)):
        raise HttpError(403, "Cross-origin admin requests are refused.")
    if request.method == "POST":
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind and kind != "application/json":
            raise HttpError(415, "Admin POSTs take application/json only.")


async def stats(gw: DemoGateway, request: Request) -> Response:
    _guard(gw, request)
    return json_response(200, gw.stats())


async def faults(gw: DemoGateway, request: Request) -> Response:
    _guard(gw, request)
    if request.method == "POST":
        body = await json_body(request)
        try:
            gw.faults.update(body)
        except ValueError as exc:
            raise bad(str(exc), "faults") from None
    return json_response(200, gw.faults.to_dict())


async def reset(gw: DemoGateway, request: Request) -> Response:
    _guard(gw, request)
    gw.faults.reset()
    return json_response(200, gw.faults.to_dict())


async def reset_credits(gw: DemoGateway, request: Request) -> Response:
    """Give one demo account its starting credits again: {"api_key": "..."} or {"account": "..."}."""
    _guard(gw, request)
    body = await json_body(request)
    value = body.get("api_key", body.get("account"))
    field = "api_key" if "api_key" in body else "account"
    if not isinstance(value, str) or not value.strip():
        raise bad('Send {"api_key": "<key>"} or {"account": "<account id>"}.', field)
    try:
        available = gw.reset_credits(value)
    except ValueError as exc:
        raise bad(str(exc), field) from None
    account = value if gw.store.has_account(value) else gw.account_id(value)
    reserved = gw.store.reserved(account)
    return json_response(
        200,
        {
            "account": account,
            "available": available,
            "reserved": reserved,
            "total_balance": available + reserved,
        },
    )


ENDPOINTS = [
    Endpoint("/_admin/stats", "admin", {"GET": stats}),
    Endpoint("/_admin/faults", "admin", {"GET": faults, "POST": faults}),
    Endpoint("/_admin/faults/reset", "admin", {"POST": reset}),
    Endpoint("/_admin/credits/reset", "admin", {"POST": reset_credits}),
]
