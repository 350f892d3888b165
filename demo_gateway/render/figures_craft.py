"""Vehicles, boats, aircraft and balloons as vector shapes."""

from __future__ import annotations

import math

from demo_gateway.render.parts import DARK, GLASS, TAU, WARM, mix_colour, wheel, window
from demo_gateway.render.sprites import Pen, glow
from demo_gateway.render.subjects import Subject

# --- vehicles ---------------------------------------------------------------------------------------


def vehicle(pen: Pen, s: Subject, phase: float, prog: float) -> None:
    v, col = s.variant, s.colour
    spin = phase * 3
    if v == "bike":
        for x in (-0.32, 0.32):
            pen.ell(x, -0.2, 0.2, 0.2, pen.tone(DARK))
            pen.ell(x, -0.2, 0.17, 0.17, (0, 0, 0, 0) if False else pen.tone((200, 204, 210), 0.4))
            wheel(pen, x, -0.2, 0.17, spin)
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
            c = col if k == 2 else mix_colour(col, (200, 200, 200), 0.3)
            pen.rect(x0, -0.7, x0 + 1.05, -0.15, pen.tone(c), r=0.06)
            for wx in range(4):
                window(pen, x0 + 0.1 + wx * 0.24, -0.6, x0 + 0.26 + wx * 0.24, -0.42, r=0.02)
            wheel(pen, x0 + 0.2, -0.12, 0.1, spin)
            wheel(pen, x0 + 0.85, -0.12, 0.1, spin)
        pen.poly([(1.15, -0.7), (1.4, -0.45), (1.4, -0.15), (1.15, -0.15)], pen.tone(col, 0.8))
        pen.ell(1.36, -0.3, 0.04, 0.04, glow((255, 240, 200)))
        return
    if v == "bus":
        pen.rect(-1.0, -0.85, 1.0, -0.12, pen.tone(col), r=0.08)
        for wx in range(6):
            window(pen, -0.9 + wx * 0.3, -0.75, -0.68 + wx * 0.3, -0.48, r=0.03)
        pen.rect(-1.0, -0.3, 1.0, -0.24, pen.tone(col, 0.7))
        wheel(pen, -0.6, -0.12, 0.13, spin)
        wheel(pen, 0.65, -0.12, 0.13, spin)
        pen.ell(0.97, -0.25, 0.035, 0.035, glow((255, 246, 210)))
        return
    if v == "truck":
        pen.rect(-0.85, -0.75, 0.25, -0.16, pen.tone(mix_colour(col, (230, 230, 230), 0.4)), r=0.03)
        pen.poly([(0.28, -0.16), (0.28, -0.62), (0.55, -0.62), (0.72, -0.4), (0.78, -0.16)], pen.tone(col))
        window(pen, 0.36, -0.56, 0.56, -0.4, r=0.02)
        for x in (-0.6, -0.3, 0.5):
            wheel(pen, x, -0.13, 0.13, spin)
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
    wheel(pen, -0.48, -0.14, 0.15, spin)
    wheel(pen, 0.5, -0.14, 0.15, spin)
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
            window(pen, -0.55 + wx * 0.13, -0.48, -0.47 + wx * 0.13, -0.4)
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
    accent = (200, 40, 50) if max(col) - min(col) < 40 else col  # a white plane gets a coloured tail
    pen.poly([(-0.45, -0.02), (-0.65, -0.3), (-0.55, -0.3), (-0.3, -0.04)], pen.tone(accent, 0.9))
    pen.ell(0, 0, 0.62, 0.07, pen.tone(col))
    pen.ell(0.02, 0.03, 0.56, 0.035, pen.tone(col, 0.62))  # the shaded belly
    pen.line([(-0.5, -0.005), (0.5, -0.005)], 0.012, pen.tone(accent))
    pen.poly([(-0.1, 0.0), (-0.35, 0.28), (-0.22, 0.28), (0.15, 0.0)], pen.tone(col, 0.75))
    for k in range(8):
        pen.ell(-0.35 + k * 0.09, -0.03, 0.015, 0.015, glow(WARM) if pen.light.night else pen.tone(DARK, 1.6))
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
    alt = mix_colour(col, (250, 240, 220), 0.65)
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
