"""Sky things, fire, food, objects and the labelled emblem as vector shapes."""

from __future__ import annotations

import math

from PIL import Image, ImageDraw, ImageFont

from demo_gateway.render.parts import DARK, TAU, mix_colour
from demo_gateway.render.sprites import Pen, glow
from demo_gateway.render.subjects import Subject

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
    pen.halo(0, -R, R * 2.6, mix_colour(col, (255, 255, 255), 0.5), 0.35)
    if v == "planet":
        pen.ell(0, -R, R, R, pen.tone(col, 1.0) if not pen.light.night else glow(col))
        for k in range(4):
            pen.ell(
                0,
                -R - 0.3 * R + k * 0.2 * R,
                R * 0.97,
                R * 0.05,
                glow(mix_colour(col, (255, 255, 255), 0.25 * (k % 2)), 0.5),
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
        pen.ell(x, y, r, r, glow(mix_colour(base, (150, 150, 160), 0.45)))


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
        pen.ell(0, cy, R, R, glow(mix_colour((180, 220, 255), col, 0.3), 0.22))
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
    pen.halo(0, -0.55, 1.2, mix_colour(col, (255, 255, 255), 0.5), 0.25)
    pen.ell(0, -0.55, 0.42, 0.42, glow(mix_colour(col, (20, 20, 30), 0.55)))
    pen.ell(0, -0.55, 0.37, 0.37, glow(mix_colour(col, (255, 255, 255), 0.25)))
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
