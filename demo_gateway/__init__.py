"""A varg-compatible demo gateway (/v1 and /v2) on Starlette + uvicorn, rendering real MP4 previews locally."""

from __future__ import annotations

from typing import Any

__all__ = ["DemoGateway", "Faults", "create_app"]


def __getattr__(name: str) -> Any:
    # Lazy, so `demo_gateway.render` and `demo_gateway.faults` import without the server.
    if name == "DemoGateway":
        from demo_gateway.gateway import DemoGateway

        return DemoGateway
    if name == "Faults":
        from demo_gateway.faults import Faults

        return Faults
    if name == "create_app":
        from demo_gateway.app import create_app

        return create_app
    raise AttributeError(name)
