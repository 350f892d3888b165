"""The pieces every vector figure shares: a few colours, colour mixing, lit windows and spoked wheels."""

from __future__ import annotations

import math

from demo_gateway.render.sprites import Pen, glow

TAU = 2 * math.pi
DARK = (30, 30, 36)
GLASS = (120, 150, 180)
WARM = (255, 214, 140)


def mix_colour(a, b, t: float) -> tuple[float, float, float]:
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t)


def window(pen: Pen, x0: float, y0: float, x1: float, y1: float, r: float = 0.0) -> None:
    """A window: lit warm at night, glass by day."""
    pen.rect(x0, y0, x1, y1, glow(WARM) if pen.light.night else pen.tone(GLASS, 1.1), r=r)


def wheel(pen: Pen, x: float, y: float, r: float, phase: float) -> None:
    """A tyre, a hub and three spokes turned by `phase`."""
    pen.ell(x, y, r, r, pen.tone(DARK))
    pen.ell(x, y, r * 0.55, r * 0.55, pen.tone((170, 174, 182)))
    for k in range(3):
        a = TAU * (phase + k / 3)
        pen.line(
            [(x, y), (x + r * 0.5 * math.cos(a), y + r * 0.5 * math.sin(a))],
            r * 0.14,
            pen.tone((90, 92, 100)),
        )
