"""Buildings, lighthouses and windmills as vector shapes."""

from __future__ import annotations

import math

from demo_gateway.render.parts import DARK, TAU, WARM, window
from demo_gateway.render.sprites import Pen, glow
from demo_gateway.render.subjects import Subject

# --- buildings and structures -----------------------------------------------------------------------


def building(pen: Pen, s: Subject, phase: float, prog: float) -> None:
    v, col = s.variant, s.colour
    wall = pen.tone(col)
    roof = pen.tone((120, 60, 50) if v != "pagoda" else (60, 40, 40))
    if v == "castle":
        pen.rect(-0.6, -0.55, 0.6, 0.0, wall)
        for x in (-0.6, 0.45):
            pen.rect(x, -0.95, x + 0.18, 0.0, pen.tone(col, 0.9))
            pen.poly([(x - 0.03, -0.95), (x + 0.09, -1.2), (x + 0.21, -0.95)], roof)
        pen.rect(-0.15, -1.05, 0.15, -0.5, pen.tone(col, 1.05))
        pen.poly([(-0.18, -1.05), (0.0, -1.35), (0.18, -1.05)], roof)
        for k in range(8):
            pen.rect(-0.58 + k * 0.15, -0.62, -0.5 + k * 0.15, -0.55, wall)
        pen.rect(-0.09, -0.25, 0.09, 0.0, pen.tone(DARK), r=0.08)
        for x in (-0.51, 0.54, 0.0):
            window(pen, x - 0.03, -0.82, x + 0.03, -0.72, r=0.02)
        return
    if v == "tower":
        pen.rect(-0.16, -1.3, 0.16, 0.0, wall)
        pen.poly([(-0.16, -1.3), (0.0, -1.45), (0.16, -1.3)], pen.tone(col, 0.8))
        for r in range(10):
            for c in range(3):
                window(pen, -0.12 + c * 0.09, -1.2 + r * 0.12, -0.07 + c * 0.09, -1.14 + r * 0.12)
        return
    if v == "pagoda":
        for k in range(4):
            w = 0.45 - k * 0.08
            y = -0.28 * k
            pen.rect(-w * 0.7, y - 0.22, w * 0.7, y, pen.tone(col, 0.9))
            pen.poly(
                [
                    (-w - 0.08, y - 0.18),
                    (0.0, y - 0.32),
                    (w + 0.08, y - 0.18),
                    (w - 0.05, y - 0.24),
                    (-w + 0.05, y - 0.24),
                ],
                roof,
            )
            window(pen, -0.04, y - 0.16, 0.04, y - 0.04)
        pen.line([(0, -1.1), (0, -1.35)], 0.02, roof)
        return
    if v == "bridge":
        pen.rect(-1.2, -0.42, 1.2, -0.34, pen.tone(col))
        for k in range(3):
            cx = -0.8 + 0.8 * k
            pen.poly(
                [
                    (cx - 0.4, -0.34),
                    (cx - 0.35, -0.2),
                    (cx - 0.2, -0.1),
                    (cx, -0.06),
                    (cx + 0.2, -0.1),
                    (cx + 0.35, -0.2),
                    (cx + 0.4, -0.34),
                ],
                pen.tone(col, 0.85),
            )
            pen.rect(cx + 0.36, -0.34, cx + 0.44, 0.0, pen.tone(col, 0.8))
        return
    if v == "tent":
        pen.poly([(-0.45, 0.0), (0.0, -0.55), (0.45, 0.0)], pen.tone(col))
        pen.poly([(-0.12, 0.0), (0.0, -0.35), (0.12, 0.0)], glow(WARM) if pen.light.night else pen.tone(DARK))
        return
    if v == "igloo":
        pen.ell(0, 0, 0.5, 0.4, pen.tone((236, 242, 250)))
        pen.rect(-0.5, 0.0, 0.5, 0.4, (0, 0, 0, 0))
        pen.ell(0.25, -0.05, 0.1, 0.1, glow(WARM) if pen.light.night else pen.tone(DARK))
        return
    if v == "church":
        pen.rect(-0.45, -0.5, 0.2, 0.0, wall)
        pen.poly([(-0.5, -0.5), (-0.12, -0.75), (0.25, -0.5)], roof)
        pen.rect(0.2, -0.85, 0.42, 0.0, pen.tone(col, 0.9))
        pen.poly([(0.18, -0.85), (0.31, -1.3), (0.44, -0.85)], roof)
        window(pen, 0.27, -0.7, 0.35, -0.55, r=0.04)
        for x in (-0.35, -0.15):
            window(pen, x, -0.38, x + 0.08, -0.2, r=0.04)
        return
    # house, cottage, barn
    w = 0.55 if v != "barn" else 0.65
    pen.rect(-w, -0.5, w, 0.0, wall)
    pen.poly([(-w - 0.08, -0.48), (0.0, -0.9), (w + 0.08, -0.48)], roof)
    if v == "cottage":
        pen.rect(0.22, -0.88, 0.34, -0.6, pen.tone((110, 90, 80)))
        for k in range(3):
            t = (phase + k / 3) % 1.0
            pen.ell(
                0.28 + 0.1 * t,
                -0.95 - 0.45 * t,
                0.05 + 0.08 * t,
                0.04 + 0.06 * t,
                (200, 200, 210, int(120 * (1 - t))),
            )
        pen.flush()
    pen.rect(-0.1, -0.3, 0.1, 0.0, pen.tone((90, 60, 40)))
    for x in (-0.4, 0.2):
        window(pen, x, -0.38, x + 0.18, -0.2)


def lighthouse_beam(pen: Pen, s: Subject, phase: float, prog: float) -> None:
    """The beam at full reach to the right, from the lantern (the anchor is the tower's foot); the
    sweep squeezes and mirrors it frame by frame (actors.Beam)."""
    lx, ly = 0.0, -1.02
    strength = 0.42 if pen.light.night else 0.22
    for k in range(5):  # overlapping wedges: bright at the lantern, fading with distance
        r = 2.6 * (0.25 + 0.75 * (k + 1) / 5)
        pen.poly(
            [(lx, ly - 0.02), (lx + r, ly - 0.07 * r), (lx + r, ly + 0.07 * r), (lx, ly + 0.02)],
            glow((255, 244, 200), strength / 3.2),
        )


def lighthouse_flare(pen: Pen, s: Subject, phase: float, prog: float) -> None:
    """The lantern's flare when the beam turns towards the viewer (it fades out inside actors.Beam's
    flare box, so the box never shows as a square)."""
    pen.halo(0.0, -1.02, 0.45, (255, 240, 190), 1.0)


def lighthouse(pen: Pen, s: Subject, phase: float, prog: float) -> None:
    pen.halo(0.0, -1.02, 0.25, (255, 240, 190), 0.5)
    # rock, tower in red and white bands, gallery and lantern
    pen.poly(
        [(-0.5, 0.0), (-0.4, -0.12), (-0.2, -0.18), (0.15, -0.2), (0.4, -0.1), (0.55, 0.0)],
        pen.tone((70, 66, 70)),
    )
    pen.poly([(-0.16, -0.16), (-0.1, -0.92), (0.1, -0.92), (0.16, -0.16)], pen.tone(s.colour))
    for k in range(3):
        y0 = -0.3 - k * 0.24
        t0, t1 = (y0 + 0.16) / -0.76, (y0 + 0.04 + 0.16) / -0.76
        w0, w1 = 0.16 - 0.06 * t0 - 0.0, 0.16 - 0.06 * t1
        pen.poly(
            [(-w0, y0), (-w1 + 0.005, y0 - 0.1), (w1 - 0.005, y0 - 0.1), (w0, y0)], pen.tone((190, 40, 40))
        )
    pen.poly([(-0.05, -0.16), (0.05, -0.16), (0.16, -0.16), (0.16, -0.16)], pen.tone(s.colour, 0.7))
    pen.rect(-0.15, -0.95, 0.15, -0.91, pen.tone(DARK, 1.5))
    pen.rect(-0.08, -1.08, 0.08, -0.95, glow((255, 236, 170)))
    pen.poly([(-0.11, -1.08), (0.0, -1.18), (0.11, -1.08)], pen.tone((160, 30, 30)))


def windmill(pen: Pen, s: Subject, phase: float, prog: float) -> None:
    ang = TAU * phase
    if s.variant == "turbine":
        pen.poly([(-0.03, 0.0), (-0.012, -1.0), (0.012, -1.0), (0.03, 0.0)], pen.tone((236, 238, 240)))
        for k in range(3):
            a = ang + k * TAU / 3
            pen.petal(0.0, -1.0, a, 0.55, 0.06, pen.tone((240, 242, 246), 0.9 + 0.05 * k))
        pen.ell(0, -1.0, 0.035, 0.035, pen.tone((220, 222, 226)))
        return
    pen.poly([(-0.24, 0.0), (-0.14, -0.75), (0.14, -0.75), (0.24, 0.0)], pen.tone(s.colour))
    pen.poly([(-0.18, -0.75), (0.0, -0.95), (0.18, -0.75)], pen.tone((110, 60, 50)))
    pen.rect(-0.06, -0.2, 0.06, 0.0, pen.tone((90, 60, 40)))
    window(pen, -0.04, -0.55, 0.04, -0.45)
    for k in range(4):
        a = ang + k * TAU / 4
        ca, sa = math.cos(a), math.sin(a)
        hx, hy = 0.0, -0.8
        px, py = -sa, ca
        pts = [
            (hx + ca * 0.1 + px * 0.015, hy + sa * 0.1 + py * 0.015),
            (hx + ca * 0.62 + px * 0.015, hy + sa * 0.62 + py * 0.015),
            (hx + ca * 0.62 + px * 0.13, hy + sa * 0.62 + py * 0.13),
            (hx + ca * 0.14 + px * 0.1, hy + sa * 0.14 + py * 0.1),
        ]
        pen.poly(pts, pen.tone((226, 214, 190), 0.9))
        pen.line([(hx, hy), (hx + ca * 0.64, hy + sa * 0.64)], 0.02, pen.tone((90, 70, 50)))
    pen.ell(0, -0.8, 0.04, 0.04, pen.tone(DARK, 1.5))
