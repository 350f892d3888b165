"""Made and celestial subjects as vector shapes: vehicles, boats, aircraft, buildings, sky things, food, emblems."""

from __future__ import annotations

import math

from PIL import Image, ImageDraw, ImageFont

from demo_gateway.render.sprites import Pen, glow
from demo_gateway.render.subjects import Subject

TAU = 2 * math.pi
DARK = (30, 30, 36)
GLASS = (120, 150, 180)
WARM = (255, 214, 140)


def _mixc(a, b, t: float) -> tuple[float, float, float]:
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t)


def _window(pen: Pen, x0: float, y0: float, x1: float, y1: float, r: float = 0.0) -> None:
    pen.rect(x0, y0, x1, y1, glow(WARM) if pen.light.night else pen.tone(GLASS, 1.1), r=r)


def _wheel(pen: Pen, x: float, y: float, r: float, phase: float) -> None:
    pen.ell(x, y, r, r, pen.tone(DARK))
    pen.ell(x, y, r * 0.55, r * 0.55, pen.tone((170, 174, 182)))
    for k in range(3):
        a = TAU * (phase + k / 3)
        pen.line(
            [(x, y), (x + r * 0.5 * math.cos(a), y + r * 0.5 * math.sin(a))],
            r * 0.14,
            pen.tone((90, 92, 100)),
        )


# --- vehicles ---------------------------------------------------------------------------------------


def vehicle(pen: Pen, s: Subject, phase: float, prog: float) -> None:
    v, col = s.variant, s.colour
    spin = phase * 3
    if v == "bike":
        for x in (-0.32, 0.32):
            pen.ell(x, -0.2, 0.2, 0.2, pen.tone(DARK))
            pen.ell(x, -0.2, 0.17, 0.17, (0, 0, 0, 0) if False else pen.tone((200, 204, 210), 0.4))
            _wheel(pen, x, -0.2, 0.17, spin)
        pen.line([(-0.32, -0.2), (-0.05, -0.45), (0.25, -0.45), (0.32, -0.2)], 0.035, pen.tone(col))
        pen.line([(-0.05, -0.45), (0.0, -0.2), (0.25, -0.45)], 0.03, pen.tone(col))
        # rider
        pen.line([(-0.05, -0.5), (0.08, -0.85), (0.25, -0.55)], 0.08, pen.tone((60, 70, 90)))
        a = TAU * spin
        pen.line(
            [(-0.05, -0.5), (0.0 + 0.1 * math.cos(a), -0.25 + 0.1 * math.sin(a))], 0.07, pen.tone(DARK, 1.6)
        )
        pen.ell(0.1, -0.98, 0.08, 0.08, pen.tone((224, 176, 140)))
        return
    if v == "train":
        for k, x0 in enumerate((-2.2, -1.05, 0.1)):
            c = col if k == 2 else _mixc(col, (200, 200, 200), 0.3)
            pen.rect(x0, -0.7, x0 + 1.05, -0.15, pen.tone(c), r=0.06)
            for wx in range(4):
                _window(pen, x0 + 0.1 + wx * 0.24, -0.6, x0 + 0.26 + wx * 0.24, -0.42, r=0.02)
            _wheel(pen, x0 + 0.2, -0.12, 0.1, spin)
            _wheel(pen, x0 + 0.85, -0.12, 0.1, spin)
        pen.poly([(1.15, -0.7), (1.4, -0.45), (1.4, -0.15), (1.15, -0.15)], pen.tone(col, 0.8))
        pen.ell(1.36, -0.3, 0.04, 0.04, glow((255, 240, 200)))
        return
    if v == "bus":
        pen.rect(-1.0, -0.85, 1.0, -0.12, pen.tone(col), r=0.08)
        for wx in range(6):
            _window(pen, -0.9 + wx * 0.3, -0.75, -0.68 + wx * 0.3, -0.48, r=0.03)
        pen.rect(-1.0, -0.3, 1.0, -0.24, pen.tone(col, 0.7))
        _wheel(pen, -0.6, -0.12, 0.13, spin)
        _wheel(pen, 0.65, -0.12, 0.13, spin)
        pen.ell(0.97, -0.25, 0.035, 0.035, glow((255, 246, 210)))
        return
    if v == "truck":
        pen.rect(-0.85, -0.75, 0.25, -0.16, pen.tone(_mixc(col, (230, 230, 230), 0.4)), r=0.03)
        pen.poly([(0.28, -0.16), (0.28, -0.62), (0.55, -0.62), (0.72, -0.4), (0.78, -0.16)], pen.tone(col))
        _window(pen, 0.36, -0.56, 0.56, -0.4, r=0.02)
        for x in (-0.6, -0.3, 0.5):
            _wheel(pen, x, -0.13, 0.13, spin)
        pen.ell(0.76, -0.24, 0.03, 0.03, glow((255, 246, 210)))
        return
    # car: a sedan seen from the side
    pen.poly(
        [
            (-0.78, -0.16),
            (-0.8, -0.33),
            (-0.5, -0.4),
            (-0.28, -0.6),
            (0.22, -0.6),
            (0.45, -0.4),
            (0.78, -0.34),
            (0.82, -0.16),
        ],
        pen.tone(col),
    )
    pen.poly(
        [(-0.22, -0.55), (-0.02, -0.55), (-0.02, -0.41), (-0.4, -0.41)],
        glow(WARM) if pen.light.night else pen.tone(GLASS, 1.15),
    )
    pen.poly(
        [(0.04, -0.55), (0.19, -0.55), (0.36, -0.41), (0.04, -0.41)],
        glow(WARM) if pen.light.night else pen.tone(GLASS, 1.0),
    )
    pen.line([(-0.75, -0.27), (0.78, -0.27)], 0.012, pen.tone(col, 1.25))
    pen.ell(0.78, -0.3, 0.035, 0.025, glow((255, 248, 220)))
    pen.ell(-0.78, -0.3, 0.025, 0.02, glow((220, 30, 30)))
    _wheel(pen, -0.48, -0.14, 0.15, spin)
    _wheel(pen, 0.5, -0.14, 0.15, spin)
    if pen.light.night:
        pen.poly([(0.8, -0.3), (2.0, -0.5), (2.0, 0.0)], (255, 240, 200, 60))
        pen.flush()


# --- boats and aircraft -----------------------------------------------------------------------------


def boat(pen: Pen, s: Subject, phase: float, prog: float) -> None:
    v, col = s.variant, s.colour
    hull = pen.tone((40, 44, 56) if v != "canoe" else (150, 90, 50))
    if v == "canoe":
        pen.poly([(-0.6, -0.12), (0.6, -0.12), (0.45, 0.0), (-0.45, 0.0)], hull)
        pen.line([(0.0, -0.12), (0.04, -0.42)], 0.08, pen.tone(col))
        pen.ell(0.05, -0.5, 0.07, 0.07, pen.tone((224, 176, 140)))
        a = 0.5 * math.sin(TAU * phase)
        pen.line(
            [(0.2 + 0.2 * math.sin(a), -0.5), (-0.1 - 0.2 * math.sin(a), 0.02)],
            0.025,
            pen.tone((120, 80, 40)),
        )
        return
    if v == "ship":
        pen.poly([(-1.0, -0.3), (1.05, -0.3), (0.85, 0.0), (-0.9, 0.0)], hull)
        pen.rect(-0.6, -0.55, 0.5, -0.3, pen.tone((236, 236, 232)))
        for wx in range(8):
            _window(pen, -0.55 + wx * 0.13, -0.48, -0.47 + wx * 0.13, -0.4)
        pen.rect(-0.1, -0.85, 0.12, -0.55, pen.tone(col))
        pen.rect(-0.1, -0.85, 0.12, -0.78, pen.tone(DARK))
        return
    pen.poly([(-0.55, -0.14), (0.62, -0.14), (0.45, 0.0), (-0.45, 0.0)], hull)
    pen.rect(-0.55, -0.17, 0.62, -0.14, pen.tone((220, 220, 220)))
    masts = (-0.25, 0.05, 0.32) if v == "galleon" else (0.0,)
    for k, mx in enumerate(masts):
        tall = 1.0 if v == "galleon" and k != 1 else 1.15
        pen.line([(mx, -0.15), (mx, -tall)], 0.025, pen.tone((90, 70, 50)))
        billow = 0.03 * math.sin(TAU * phase)
        sail = pen.tone(col if v != "galleon" else (236, 226, 200))
        if v == "galleon":
            for y0, y1 in ((-tall + 0.05, -tall * 0.62), (-tall * 0.58, -0.25)):
                pen.poly(
                    [(mx - 0.15, y0), (mx + 0.15, y0), (mx + 0.17 + billow, y1), (mx - 0.13 + billow, y1)],
                    sail,
                )
        else:
            pen.poly([(mx + 0.03, -tall), (mx + 0.5 + billow, -0.22), (mx + 0.03, -0.22)], sail)
            pen.poly(
                [(mx - 0.03, -tall * 0.9), (mx - 0.03, -0.22), (mx - 0.42 + billow, -0.22)],
                pen.tone(col, 0.85),
            )


def aircraft(pen: Pen, s: Subject, phase: float, prog: float) -> None:
    v, col = s.variant, s.colour
    if v == "rocket":
        f = 0.8 + 0.2 * math.sin(TAU * phase * 3)
        pen.poly([(-0.1, 0.0), (0.0, 0.35 * f + 0.1), (0.1, 0.0)], glow((255, 180, 60)))
        pen.poly([(-0.06, 0.0), (0.0, 0.2 * f + 0.05), (0.06, 0.0)], glow((255, 250, 220)))
        pen.halo(0, 0.12, 0.6, (255, 160, 60), 0.5)
        pen.poly([(-0.2, 0.0), (-0.1, -0.2), (-0.1, 0.0)], pen.tone((200, 50, 40)))
        pen.poly([(0.2, 0.0), (0.1, -0.2), (0.1, 0.0)], pen.tone((200, 50, 40)))
        pen.rect(-0.1, -0.7, 0.1, 0.0, pen.tone(col))
        pen.poly([(-0.1, -0.7), (0.0, -0.95), (0.1, -0.7)], pen.tone((200, 50, 40)))
        pen.ell(0, -0.5, 0.045, 0.045, pen.tone(GLASS))
        return
    if v == "ufo":
        pen.ell(0, -0.32, 0.18, 0.14, glow((160, 230, 255), 0.8))
        pen.ell(0, -0.2, 0.5, 0.1, pen.tone(col))
        for k in range(5):
            on = (int(phase * 10) + k) % 2 == 0
            pen.ell(-0.32 + k * 0.16, -0.19, 0.03, 0.02, glow((255, 240, 120) if on else (80, 80, 80)))
        pen.poly([(-0.15, -0.15), (0.15, -0.15), (0.4, 0.6), (-0.4, 0.6)], (200, 255, 220, 40))
        pen.flush()
        return
    if v == "helicopter" or v == "drone":
        if v == "drone":
            pen.rect(-0.2, -0.12, 0.2, 0.0, pen.tone(col), r=0.03)
            for x in (-0.3, 0.3):
                pen.line([(0, -0.06), (x, -0.14)], 0.03, pen.tone(col))
                w = 0.18 * abs(math.cos(TAU * phase * 4)) + 0.04
                pen.ell(x, -0.16, w, 0.02, pen.tone((120, 120, 130)))
            pen.ell(0.0, 0.0, 0.04, 0.03, glow((255, 60, 60)))
            return
        pen.ell(0, -0.25, 0.32, 0.18, pen.tone(col))
        pen.ell(0.14, -0.28, 0.14, 0.1, pen.tone(GLASS, 1.1))
        pen.line([(-0.3, -0.25), (-0.85, -0.32)], 0.06, pen.tone(col))
        w = 0.7 * abs(math.cos(TAU * phase * 2)) + 0.1
        pen.line([(-w, -0.47), (w, -0.47)], 0.025, pen.tone(DARK))
        pen.line([(0, -0.42), (0, -0.47)], 0.04, pen.tone(DARK))
        pen.line([(-0.2, -0.04), (0.25, -0.04)], 0.025, pen.tone(DARK))
        pen.ell(-0.86, -0.34, 0.08 * abs(math.sin(TAU * phase * 3)) + 0.02, 0.08, pen.tone(DARK))
        return
    # plane, side-on with a swept wing
    pen.poly([(-0.45, -0.02), (-0.65, -0.3), (-0.55, -0.3), (-0.3, -0.04)], pen.tone(col, 0.8))
    pen.ell(0, 0, 0.62, 0.07, pen.tone(col))
    pen.poly([(-0.1, 0.0), (-0.35, 0.28), (-0.22, 0.28), (0.15, 0.0)], pen.tone(col, 0.75))
    for k in range(8):
        pen.ell(-0.35 + k * 0.09, -0.02, 0.015, 0.015, glow(WARM) if pen.light.night else pen.tone(GLASS))
    if pen.light.night:
        pen.ell(0.0, 0.0, 0.02, 0.02, glow((255, 60, 60) if int(phase * 4) % 2 else (60, 60, 60)))


def balloon(pen: Pen, s: Subject, phase: float, prog: float) -> None:
    v, col = s.variant, s.colour
    if v == "kite":
        sway = 0.08 * math.sin(TAU * phase)
        pen.line(
            [(0, 0.0), (0.15 + sway, 0.35), (-0.05, 0.7), (0.1 - sway, 1.0)], 0.015, pen.tone((240, 240, 240))
        )
        pen.poly([(0, -0.45), (0.22, -0.15), (0, 0.05), (-0.22, -0.15)], pen.tone(col))
        pen.poly([(0, -0.45), (0.22, -0.15), (0, -0.15)], pen.tone(col, 0.8))
        pen.poly([(0, -0.15), (-0.22, -0.15), (0, 0.05)], pen.tone(col, 0.8))
        return
    if v == "lantern":
        f = 0.9 + 0.1 * math.sin(TAU * phase * 2)
        pen.halo(0, -0.3, 0.9, (255, 170, 70), 0.55 * f)
        pen.poly([(-0.14, -0.5), (0.14, -0.5), (0.11, -0.08), (-0.11, -0.08)], glow((255, 190 * f, 90)))
        pen.poly(
            [(-0.11, -0.45), (0.0, -0.5), (0.11, -0.45), (0.08, -0.12), (-0.08, -0.12)], glow((255, 226, 150))
        )
        return
    if v == "blimp":
        pen.ell(0, -0.3, 0.7, 0.22, pen.tone(col))
        pen.ell(0, -0.36, 0.6, 0.1, pen.tone(col, 1.15))
        pen.poly([(-0.62, -0.3), (-0.82, -0.5), (-0.78, -0.3), (-0.82, -0.1)], pen.tone(col, 0.8))
        pen.rect(-0.12, -0.1, 0.16, 0.0, pen.tone(DARK), r=0.03)
        return
    # hot air balloon: striped envelope, ropes, basket (anchor at the basket)
    cy, R = -0.78, 0.42
    stripes = 8
    alt = _mixc(col, (250, 240, 220), 0.65)
    for k in range(stripes):
        # lens-shaped gores: a stripe between two meridians, squeezed to the mouth at the bottom
        left = -R + 2 * R * k / stripes
        right = -R + 2 * R * (k + 1) / stripes
        gore = []
        for j in range(13):
            t = j / 12
            yy = cy - R * 1.05 + t * (R * 1.05 + R * 0.95)
            prof = math.sqrt(max(0.0, 1 - ((yy - cy) / (R * (1.05 if yy < cy else 0.95))) ** 2))
            squeeze = 1.0 if yy < cy else 1.0 - 0.75 * ((yy - cy) / (R * 0.95))
            gore.append((left * max(prof, 0.0) * squeeze * (1 if yy < cy else 1) / 1.0, yy))
        for j in range(12, -1, -1):
            t = j / 12
            yy = cy - R * 1.05 + t * (R * 1.05 + R * 0.95)
            prof = math.sqrt(max(0.0, 1 - ((yy - cy) / (R * (1.05 if yy < cy else 0.95))) ** 2))
            squeeze = 1.0 if yy < cy else 1.0 - 0.75 * ((yy - cy) / (R * 0.95))
            gore.append((right * prof * squeeze, yy))
        shade = 0.75 + 0.35 * math.cos((k + 0.5) / stripes * math.pi - math.pi * 0.35)
        pen.poly(gore, pen.tone(col if k % 2 == 0 else alt, shade))
    mouth = cy + R * 0.95
    for x in (-0.09, 0.09):
        pen.line([(x, mouth - 0.02), (x * 0.9, -0.13)], 0.01, pen.tone((80, 60, 40)))
    pen.rect(-0.1, -0.13, 0.1, 0.0, pen.tone((140, 96, 56)), r=0.02)
    flame = 0.5 + 0.5 * math.sin(TAU * phase * 3)
    pen.ell(0, mouth + 0.02, 0.03, 0.03 + 0.02 * flame, glow((255, 190, 80)))


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
            _window(pen, x - 0.03, -0.82, x + 0.03, -0.72, r=0.02)
        return
    if v == "tower":
        pen.rect(-0.16, -1.3, 0.16, 0.0, wall)
        pen.poly([(-0.16, -1.3), (0.0, -1.45), (0.16, -1.3)], pen.tone(col, 0.8))
        for r in range(10):
            for c in range(3):
                _window(pen, -0.12 + c * 0.09, -1.2 + r * 0.12, -0.07 + c * 0.09, -1.14 + r * 0.12)
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
            _window(pen, -0.04, y - 0.16, 0.04, y - 0.04)
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
        _window(pen, 0.27, -0.7, 0.35, -0.55, r=0.04)
        for x in (-0.35, -0.15):
            _window(pen, x, -0.38, x + 0.08, -0.2, r=0.04)
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
        _window(pen, x, -0.38, x + 0.18, -0.2)


def lighthouse(pen: Pen, s: Subject, phase: float, prog: float) -> None:
    # the beam: a wedge from the lantern that sweeps round; towards the viewer it flares
    ang = TAU * phase
    lx, ly = 0.0, -1.02
    reach = 2.6 * math.sin(ang)
    strength = 0.42 if pen.light.night else 0.22
    if abs(reach) > 0.05:
        spread = 0.07 + 0.08 * (1 - abs(math.sin(ang)))
        for k in range(5):  # overlapping wedges: bright at the lantern, fading with distance
            r = reach * (0.25 + 0.75 * (k + 1) / 5)
            pen.poly(
                [
                    (lx, ly - 0.02),
                    (lx + r, ly - spread * abs(r)),
                    (lx + r, ly + spread * abs(r)),
                    (lx, ly + 0.02),
                ],
                glow((255, 244, 200), strength / 3.2),
            )
    pen.flush()
    flare = max(0.0, math.cos(ang)) ** 6
    pen.halo(lx, ly, 0.25 + 0.6 * flare, (255, 240, 190), 0.5 + 0.5 * flare)
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
    _window(pen, -0.04, -0.55, 0.04, -0.45)
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


# --- sky things --------------------------------------------------------------------------------------


def celestial(pen: Pen, s: Subject, phase: float, prog: float) -> None:
    v, col = s.variant, s.colour
    if v == "comet":
        for k in range(10):
            t = k / 10
            pen.ell(
                -0.5 * t,
                -0.5 * t * 0.5,
                0.07 * (1 - t) + 0.01,
                0.07 * (1 - t) + 0.01,
                glow((220, 236, 255), 0.5 * (1 - t)),
            )
        pen.flush()
        pen.halo(0, 0, 0.3, (200, 230, 255), 0.8)
        pen.ell(0, 0, 0.04, 0.04, glow((255, 255, 255)))
        return
    if v == "rainbow":
        bands = [(230, 60, 60), (240, 150, 50), (240, 220, 70), (80, 190, 90), (60, 120, 220), (130, 80, 200)]
        for k, c in enumerate(bands):
            r = 1.0 - k * 0.05
            pen.ell(0, 0, r, r, glow(c, 0.4))
            pen.flush()
        pen.ell(0, 0, 0.7, 0.7, (0, 0, 0, 0))
        # punch the middle out: draw it again with the sky showing through
        inner = Image.new("L", (pen.w, pen.h), 255)
        x0, y0 = pen.p(-0.7, -0.7)
        x1, y1 = pen.p(0.7, 0.7)
        ImageDraw.Draw(inner).ellipse((x0, y0, x1, y1), fill=0)
        ImageDraw.Draw(inner).rectangle((0, pen.ay, pen.w, pen.h), fill=0)
        a = pen.base.getchannel("A")
        from PIL import ImageChops

        pen.base.putalpha(ImageChops.multiply(a, inner))
        pen.d = ImageDraw.Draw(pen.base)
        return
    R = 0.5
    pen.halo(0, -R, R * 2.6, _mixc(col, (255, 255, 255), 0.5), 0.35)
    if v == "planet":
        pen.ell(0, -R, R, R, pen.tone(col, 1.0) if not pen.light.night else glow(col))
        for k in range(4):
            pen.ell(
                0,
                -R - 0.3 * R + k * 0.2 * R,
                R * 0.97,
                R * 0.05,
                glow(_mixc(col, (255, 255, 255), 0.25 * (k % 2)), 0.5),
            )
        pen.flush()
        pen.ell(0, -R, R * 1.9, R * 0.3, glow((230, 214, 180), 0.55))
        pen.ell(0, -R, R * 1.5, R * 0.2, (0, 0, 0, 0))
        pen.flush()
        pen.poly(
            [
                (-R * 0.98, -R),
                (-R * 0.9, -R - R * 0.45),
                (0, -R * 2),
                (R * 0.9, -R - R * 0.45),
                (R * 0.98, -R),
                (R * 0.9, -R - 0.1 * R),
                (-R * 0.9, -R - 0.1 * R),
            ],
            glow(col),
        )
        return
    if v == "earth":
        pen.ell(0, -R, R, R, glow((40, 90, 200)))
        for x, y, r in ((-0.2, -0.65, 0.18), (0.15, -0.4, 0.2), (0.05, -0.75, 0.12)):
            pen.ell(x, y, r, r * 0.7, glow((60, 150, 80)))
        pen.ell(0.1, -0.62, 0.3, 0.05, glow((245, 245, 250), 0.7))
        pen.flush()
        return
    # moon: a big lit disc with maria
    base = (236, 232, 216)
    pen.ell(0, -R, R, R, glow(base))
    for x, y, r in ((-0.15, -0.62, 0.12), (0.12, -0.45, 0.09), (0.05, -0.7, 0.06), (-0.2, -0.35, 0.07)):
        pen.ell(x, y, r, r, glow(_mixc(base, (150, 150, 160), 0.45)))


def fire(pen: Pen, s: Subject, phase: float, prog: float) -> None:
    k = 0.5 + 0.5 * math.sin(TAU * phase * 2)
    j = 0.5 + 0.5 * math.sin(TAU * phase * 3 + 1.3)
    if s.variant == "candle":
        pen.halo(0, -0.7, 0.8, (255, 170, 70), 0.45 + 0.1 * k)
        pen.rect(-0.08, -0.55, 0.08, 0.0, pen.tone((240, 232, 214)), r=0.02)
        pen.petal(0.0, -0.56, -math.pi / 2 + 0.1 * (k - 0.5), 0.2 + 0.04 * j, 0.08, glow((255, 190, 80)))
        pen.petal(0.0, -0.56, -math.pi / 2 + 0.1 * (k - 0.5), 0.12, 0.045, glow((255, 250, 220)))
        return
    pen.halo(0, -0.3, 1.6, (255, 140, 50), 0.45 + 0.15 * k)
    for a in (-0.4, 0.4):
        pen.line(
            [
                (-0.35 * math.cos(a), -0.03 + 0.1 * math.sin(a)),
                (0.35 * math.cos(a), -0.03 - 0.1 * math.sin(a)),
            ],
            0.08,
            pen.tone((100, 64, 40)),
        )
    for n, (dx, hgt, col) in enumerate(
        (
            (-0.12, 0.5, (240, 90, 30)),
            (0.1, 0.55, (250, 120, 40)),
            (0.0, 0.75, (255, 160, 50)),
            (0.0, 0.45, (255, 230, 150)),
        )
    ):
        wob = 0.1 * math.sin(TAU * phase * 2 + n * 1.7)
        pen.petal(
            dx,
            -0.05,
            -math.pi / 2 + wob,
            hgt * (0.8 + 0.25 * (k if n % 2 else j)),
            0.22 - 0.03 * n,
            glow(col),
        )


def cup(pen: Pen, s: Subject, phase: float, prog: float) -> None:
    for k in range(3):
        t = (phase + k / 3) % 1.0
        x = -0.08 + k * 0.08 + 0.05 * math.sin(TAU * (t + k * 0.3))
        pen.ell(
            x,
            -0.62 - 0.45 * t,
            0.03 + 0.05 * t,
            0.06 + 0.04 * t,
            (240, 240, 245, int(110 * math.sin(math.pi * t))),
        )
    pen.flush()
    pen.ell(0, -0.02, 0.45, 0.06, pen.tone((236, 236, 232), 0.9))
    pen.poly([(-0.28, -0.55), (0.28, -0.55), (0.22, -0.06), (-0.22, -0.06)], pen.tone(s.colour))
    pen.line([(0.27, -0.45), (0.42, -0.4), (0.4, -0.22), (0.24, -0.18)], 0.05, pen.tone(s.colour, 0.9))
    pen.ell(0, -0.55, 0.28, 0.05, pen.tone(s.colour, 1.1))
    pen.ell(0, -0.55, 0.24, 0.035, pen.tone((100, 60, 30)))


def round_thing(pen: Pen, s: Subject, phase: float, prog: float) -> None:
    v, col = s.variant, s.colour
    R = 0.4
    cy = -R
    ang = TAU * phase
    if v == "bubble":
        pen.ell(0, cy, R, R, glow(_mixc((180, 220, 255), col, 0.3), 0.22))
        pen.ell(-0.12, cy - 0.15, 0.08, 0.05, glow((255, 255, 255), 0.8))
        pen.flush()
        return
    if v == "gem":
        pts = [
            (math.cos(ang + k * TAU / 6) * R * 0.8, cy + math.sin(ang + k * TAU / 6) * R * 0.3 - 0.1)
            for k in range(6)
        ]
        pen.poly([(-R * 0.8, cy - 0.1), (R * 0.8, cy - 0.1), (0, cy + R * 1.0)], pen.tone(col))
        pen.poly(
            [(-R * 0.5, cy - 0.35), (R * 0.5, cy - 0.35), (R * 0.8, cy - 0.1), (-R * 0.8, cy - 0.1)],
            pen.tone(col, 1.3),
        )
        pen.poly(pts, glow((255, 255, 255), 0.3))
        pen.flush()
        return
    pen.ell(0, cy, R, R, pen.tone(col))
    if v == "clock":
        pen.ell(0, cy, R * 0.86, R * 0.86, pen.tone((246, 242, 232)))
        for k in range(12):
            a = k * TAU / 12
            pen.ell(math.cos(a) * R * 0.72, cy + math.sin(a) * R * 0.72, 0.015, 0.015, pen.tone(DARK))
        pen.line(
            [(0, cy), (math.cos(ang / 12 - 1.6) * R * 0.45, cy + math.sin(ang / 12 - 1.6) * R * 0.45)],
            0.03,
            pen.tone(DARK),
        )
        pen.line(
            [(0, cy), (math.cos(ang - 1.6) * R * 0.7, cy + math.sin(ang - 1.6) * R * 0.7)],
            0.018,
            pen.tone(DARK),
        )
        return
    if v == "ball":
        for k in range(3):
            a = ang + k * TAU / 3
            pen.ell(math.cos(a) * R * 0.5, cy + math.sin(a) * R * 0.5, R * 0.2, R * 0.2, pen.tone(DARK))
    pen.ell(-R * 0.35, cy - R * 0.35, R * 0.22, R * 0.16, glow((255, 255, 255), 0.35))
    pen.flush()
    if v in ("apple", "orange"):
        pen.line([(0, cy - R * 0.9), (0.03, cy - R * 1.2)], 0.03, pen.tone((90, 60, 30)))
        pen.petal(0.03, cy - R * 1.1, -0.3, 0.18, 0.08, pen.tone((70, 140, 60)))


def cake(pen: Pen, s: Subject, phase: float, prog: float) -> None:
    v, col = s.variant, s.colour
    pen.ell(0, 0.0, 0.55, 0.08, pen.tone((236, 236, 232)))
    if v == "pizza":
        pen.ell(0, -0.08, 0.5, 0.14, pen.tone((220, 160, 80)))
        pen.ell(0, -0.09, 0.44, 0.11, pen.tone((230, 80, 40)))
        for x, y in ((-0.2, -0.1), (0.1, -0.05), (0.25, -0.12), (-0.05, -0.14), (0.0, -0.04)):
            pen.ell(x, y, 0.05, 0.025, pen.tone((150, 30, 30)))
        return
    if v == "donut":
        pen.ell(0, -0.2, 0.4, 0.2, pen.tone((200, 140, 80)))
        pen.ell(0, -0.23, 0.36, 0.16, pen.tone(col))
        pen.ell(0, -0.23, 0.12, 0.05, pen.tone((120, 80, 50)))
        return
    if v == "icecream":
        pen.poly([(-0.15, -0.5), (0.15, -0.5), (0.0, 0.0)], pen.tone((210, 160, 90)))
        pen.ell(0, -0.6, 0.2, 0.18, pen.tone(col))
        pen.ell(0.02, -0.8, 0.15, 0.14, pen.tone((250, 240, 220)))
        return
    if v in ("bread", "burger", "pie"):
        top = (200, 140, 70) if v != "pie" else (220, 170, 90)
        pen.ell(0, -0.2, 0.45, 0.22, pen.tone(top))
        pen.rect(-0.45, -0.2, 0.45, -0.05, pen.tone(top, 0.85))
        if v == "burger":
            pen.rect(-0.46, -0.14, 0.46, -0.08, pen.tone((90, 50, 30)))
            pen.rect(-0.47, -0.17, 0.47, -0.14, pen.tone((80, 170, 60)))
        return
    for k, (w, h) in enumerate(((0.42, 0.22), (0.32, 0.2))):
        y0 = -0.06 - k * 0.22
        pen.rect(-w, y0 - h, w, y0, pen.tone(col, 1.0 - 0.05 * k))
        pen.ell(0, y0 - h, w, 0.05, pen.tone((250, 244, 236)))
    f = 0.5 + 0.5 * math.sin(TAU * phase * 2)
    pen.rect(-0.015, -0.62, 0.015, -0.5, pen.tone((240, 240, 250)))
    pen.petal(0.0, -0.62, -math.pi / 2, 0.08 + 0.02 * f, 0.04, glow((255, 200, 90)))


def emblem(pen: Pen, s: Subject, phase: float, prog: float) -> None:
    """A medallion with the noun on a ribbon: any noun the lexicon does not know."""
    col = s.colour
    pen.halo(0, -0.55, 1.2, _mixc(col, (255, 255, 255), 0.5), 0.25)
    pen.ell(0, -0.55, 0.42, 0.42, glow(_mixc(col, (20, 20, 30), 0.55)))
    pen.ell(0, -0.55, 0.37, 0.37, glow(_mixc(col, (255, 255, 255), 0.25)))
    pen.ell(0, -0.55, 0.31, 0.31, glow(col))
    for k in range(8):
        a = TAU * (k / 8 + phase * 0.125)
        pen.ell(math.cos(a) * 0.34, -0.55 + math.sin(a) * 0.34, 0.015, 0.015, glow((255, 250, 230), 0.9))
    pen.flush()
    word = s.noun[:18]
    size = max(8, int(0.15 * pen.unit))
    font = ImageFont.load_default(size=size)
    left, top, right, bottom = font.getbbox(word)
    tw = right - left
    rx = max(0.5, (tw / pen.unit) / 2 + 0.1)
    pen.rect(-rx, -0.16, rx, 0.08, glow((250, 246, 236)), r=0.05)
    pen.flush()
    x, y = pen.p(0, -0.04)
    ImageDraw.Draw(pen.base).text(
        (x - tw / 2 - left, y - (bottom + top) / 2), word, fill=(40, 36, 44, 255), font=font
    )
