"""A varg-compatible HTTP server with a local renderer: the studio's offline default."""

from __future__ import annotations

from typing import Any

__all__ = ["Faults", "LocalGateway"]


def __getattr__(name: str) -> Any:
    # Lazy, so `studio.local_gateway.render` can be imported without the server.
    if name == "LocalGateway":
        from studio.local_gateway.server import LocalGateway

        return LocalGateway
    if name == "Faults":
        from studio.local_gateway.faults import Faults

        return Faults
    raise AttributeError(name)
