"""Animals as vector shapes: four-legged animals, birds, insects and fish."""

from __future__ import annotations

import math

from demo_gateway.render.kinds import Motion
from demo_gateway.render.parts import DARK, TAU, mix_colour
from demo_gateway.render.sprites import Pen, glow
from demo_gateway.render.subjects import Subject

# --- animals -----------------------------------------------------------------------------------------

# body length, body height, leg length, neck length, neck angle (0 = level, 1 = upright), head size,
# ear (0 none, 1 pointed, 2 round, 3 long), tail (0 none, 1 thin, 2 bushy, 3 long)
_ANIMALS: dict[str, tuple[float, float, float, float, float, float, int, int]] = {
    "dog": (0.55, 0.22, 0.24, 0.14, 0.6, 0.11, 1, 1),
    "cat": (0.5, 0.18, 0.2, 0.08, 0.5, 0.1, 1, 3),
    "horse": (0.62, 0.26, 0.42, 0.3, 0.75, 0.1, 1, 2),
    "deer": (0.55, 0.22, 0.44, 0.28, 0.85, 0.09, 1, 1),
    "fox": (0.55, 0.18, 0.22, 0.1, 0.5, 0.1, 1, 2),
    "wolf": (0.6, 0.22, 0.3, 0.12, 0.5, 0.11, 1, 2),
    "lion": (0.65, 0.26, 0.3, 0.1, 0.5, 0.14, 2, 1),
    "tiger": (0.7, 0.24, 0.28, 0.08, 0.4, 0.13, 2, 3),
    "cow": (0.7, 0.32, 0.3, 0.1, 0.3, 0.13, 2, 1),
    "sheep": (0.55, 0.3, 0.22, 0.06, 0.4, 0.1, 2, 0),
    "elephant": (0.8, 0.45, 0.35, 0.05, 0.2, 0.22, 2, 1),
    "bear": (0.7, 0.36, 0.24, 0.08, 0.3, 0.14, 2, 0),
    "rabbit": (0.35, 0.2, 0.1, 0.05, 0.6, 0.1, 3, 0),
    "giraffe": (0.55, 0.24, 0.55, 0.7, 0.92, 0.08, 1, 1),
    "dinosaur": (0.7, 0.3, 0.35, 0.3, 0.65, 0.16, 0, 3),
    "pig": (0.55, 0.28, 0.16, 0.04, 0.3, 0.12, 1, 1),
}


def animal(pen: Pen, s: Subject, phase: float, prog: float) -> None:
    bl, bh, leg, neck, nang, hs, ear, tail = _ANIMALS.get(s.variant, _ANIMALS["dog"])
    col = s.colour
    moving = s.motion in (Motion.WALK, Motion.RUN, Motion.JUMP)
    run = s.motion in (Motion.RUN, Motion.JUMP)
    lift = 0.0
    if s.motion is Motion.JUMP:
        lift = 0.25 * max(0.0, math.sin(TAU * phase))
    body_y = -leg - bh / 2 - lift
    swing = (0.55 if run else 0.3) * math.sin(TAU * phase) if moving else 0.0
    thick = min(0.09, bl * 0.13) * (1.5 if s.variant == "elephant" else 1.0)
    for k, (x, sgn, shade) in enumerate(
        ((bl * 0.32, 1, 0.7), (-bl * 0.32, -1, 0.7), (bl * 0.36, -1, 1.0), (-bl * 0.28, 1, 1.0))
    ):
        a = sgn * swing
        lift_k = max(0.0, math.sin(TAU * phase + (0 if sgn > 0 else math.pi))) if moving else 0.0
        top = (x, body_y + bh * 0.15)
        knee = (x + 0.5 * leg * math.sin(a), top[1] + 0.5 * leg * math.cos(a))
        bend = (0.9 if run else 0.5) * lift_k * (1 if k % 2 else -1) * (1 if x > 0 else -1)
        foot = (knee[0] + 0.5 * leg * math.sin(a - bend), knee[1] + 0.5 * leg * math.cos(a - bend) * 0.98)
        col = pen.tone(s.colour, shade * 0.85)
        pen.line([top, knee], thick * 1.15, col)
        pen.line([knee, foot], thick * 0.8, col)
        pen.ell(
            foot[0] + thick * 0.2,
            foot[1] - thick * 0.2,
            thick * 0.55,
            thick * 0.4,
            pen.tone(DARK, 1.2 * shade),
        )
    # tail
    tx = -bl / 2
    wag = 0.08 * math.sin(TAU * phase * 2)
    if tail == 1:
        pen.line([(tx, body_y - bh * 0.2), (tx - 0.08, body_y + 0.05 + wag)], 0.025, pen.tone(col, 0.8))
    elif tail == 2:
        pen.petal(tx + 0.02, body_y - bh * 0.1, math.pi + 0.5 + wag, 0.25, 0.1, pen.tone(col, 0.95))
    elif tail == 3:
        pen.line(
            [(tx, body_y - bh * 0.1), (tx - 0.15, body_y - 0.05 + wag), (tx - 0.3, body_y - 0.14 + wag)],
            0.04 if s.variant != "dinosaur" else 0.1,
            pen.tone(col, 0.9),
        )
    # body
    pen.ell(0, body_y, bl / 2, bh / 2, pen.tone(col, 0.9))
    pen.ell(-bl * 0.02, body_y - bh * 0.08, bl * 0.46, bh * 0.38, pen.tone(col))
    pen.ell(bl * 0.3, body_y - bh * 0.05, bl * 0.2, bh * 0.42, pen.tone(col))  # chest
    if s.variant == "sheep":
        for k in range(7):
            pen.ell(
                -bl * 0.38 + k * bl * 0.13,
                body_y - bh * 0.3 + (k % 2) * 0.05,
                bh * 0.3,
                bh * 0.3,
                pen.tone((244, 242, 236), 0.92 + 0.03 * (k % 3)),
            )
    if s.variant in ("tiger", "zebra") or s.colour == (236, 236, 232) and s.variant == "horse":
        for k in range(6):
            x = -bl * 0.35 + k * bl * 0.13
            pen.poly(
                [
                    (x, body_y - bh / 2 + 0.01),
                    (x + 0.03, body_y - bh / 2 + 0.01),
                    (x + 0.01, body_y + bh * 0.2),
                ],
                pen.tone(DARK),
            )
    if s.colour == (236, 236, 232) and s.variant == "bear":  # a panda's patches
        pen.ell(bl * 0.2, body_y, bl * 0.14, bh * 0.5, pen.tone(DARK))
    # neck and head
    nx = bl / 2 - 0.04
    ny = body_y - bh * 0.2
    hx = nx + neck * math.cos(nang * math.pi / 2)
    hy = ny - neck * math.sin(nang * math.pi / 2) - (0.02 * math.sin(TAU * phase) if moving else 0.0)
    if neck > 0.05:
        pen.line([(nx, ny), (hx, hy)], min(0.12, bh * 0.45), pen.tone(col))
        if s.variant == "giraffe":
            for k in range(5):
                t = 0.15 + k * 0.17
                pen.ell(nx + (hx - nx) * t, ny + (hy - ny) * t, 0.02, 0.02, pen.tone((120, 70, 30)))
    if s.variant == "lion":
        pen.ell(hx - 0.02, hy, hs * 1.5, hs * 1.5, pen.tone((150, 90, 40)))
    pen.ell(hx, hy, hs, hs * 0.85, pen.tone(col, 1.05))
    snout = hs * (
        1.1 if s.variant in ("horse", "deer", "giraffe", "cow", "dinosaur", "dog", "wolf", "fox") else 0.6
    )
    pen.ell(hx + snout * 0.8, hy + hs * 0.25, snout * 0.6, hs * 0.5, pen.tone(col, 0.95))
    pen.ell(hx + snout * 1.3, hy + hs * 0.15, hs * 0.13, hs * 0.12, pen.tone(DARK))
    pen.ell(hx + hs * 0.25, hy - hs * 0.2, hs * 0.12, hs * 0.12, pen.tone(DARK))
    if s.variant == "elephant":
        pen.line(
            [(hx + hs * 0.7, hy + hs * 0.1), (hx + hs * 1.1, hy + hs * 0.9), (hx + hs * 1.0, hy + hs * 1.6)],
            0.06,
            pen.tone(col, 0.95),
        )
        pen.ell(hx - hs * 0.3, hy, hs * 0.6, hs * 0.8, pen.tone(col, 0.85))
    if ear == 1:
        pen.poly(
            [(hx - hs * 0.4, hy - hs * 0.5), (hx - hs * 0.2, hy - hs * 1.5), (hx + hs * 0.1, hy - hs * 0.6)],
            pen.tone(col, 0.9),
        )
    elif ear == 2:
        pen.ell(hx - hs * 0.3, hy - hs * 0.75, hs * 0.3, hs * 0.3, pen.tone(col, 0.85))
    elif ear == 3:
        pen.petal(hx - hs * 0.2, hy - hs * 0.5, -math.pi / 2 - 0.25, hs * 2.2, hs * 0.5, pen.tone(col, 0.95))
        pen.petal(hx, hy - hs * 0.5, -math.pi / 2 + 0.1, hs * 2.0, hs * 0.5, pen.tone(col, 0.85))
    if s.variant == "deer":
        for sgn in (-1, 1):
            pen.line(
                [(hx, hy - hs * 0.7), (hx + 0.05 * sgn, hy - hs * 2.2), (hx + 0.12 * sgn, hy - hs * 2.8)],
                0.018,
                pen.tone((150, 120, 90)),
            )
    if s.colour == (236, 236, 232) and s.variant == "horse" and s.noun == "unicorn":
        pen.poly(
            [(hx, hy - hs * 0.7), (hx + hs * 0.5, hy - hs * 2.4), (hx + hs * 0.3, hy - hs * 0.6)],
            glow((255, 220, 120)),
        )


# --- birds, insects, fish ----------------------------------------------------------------------------


def bird(pen: Pen, s: Subject, phase: float, prog: float) -> None:
    v, col = s.variant, s.colour
    if v == "swan":
        pen.ell(0, -0.12, 0.34, 0.12, pen.tone(col))
        pen.petal(-0.05, -0.14, math.pi + 0.3, 0.32, 0.16, pen.tone(col, 0.9))
        pen.line([(0.24, -0.16), (0.3, -0.38), (0.24, -0.55), (0.32, -0.62)], 0.06, pen.tone(col))
        pen.poly([(0.33, -0.64), (0.45, -0.6), (0.34, -0.58)], pen.tone((240, 130, 40)))
        return
    if v == "penguin":
        w = 0.04 * math.sin(TAU * phase)
        pen.ell(w, -0.35, 0.17, 0.35, pen.tone(DARK))
        pen.ell(w + 0.05, -0.32, 0.11, 0.27, pen.tone((240, 240, 236)))
        pen.ell(w + 0.02, -0.68, 0.1, 0.1, pen.tone(DARK))
        pen.poly([(w + 0.1, -0.7), (w + 0.2, -0.67), (w + 0.1, -0.65)], pen.tone((240, 150, 40)))
        pen.ell(-0.04, 0.0, 0.07, 0.025, pen.tone((240, 150, 40)))
        pen.ell(0.08, 0.0, 0.07, 0.025, pen.tone((240, 150, 40)))
        return
    big = v in ("eagle", "dragon")
    rate = 1.0
    flap = math.sin(TAU * phase * rate)
    span = 0.9 if big else 0.6
    if v == "hummingbird":
        span = 0.5
    body = pen.tone(col)
    wing_col = pen.tone(col, 0.8)
    if v == "gull":
        wing_col = pen.tone((180, 186, 196))
    if v == "dragon":
        tailpts = [(-0.2, 0.0), (-0.45, 0.05), (-0.7, -0.02 + 0.05 * flap)]
        pen.line(tailpts, 0.06, body)
        pen.poly([(-0.72, -0.02 + 0.05 * flap), (-0.8, -0.08), (-0.8, 0.05)], body)
    # far wing
    tip_y = -0.35 * flap * span
    if v == "hummingbird":  # a blur of wings
        for k, a in enumerate((-2.0, -1.75, -1.5)):
            pen.petal(0.0, -0.04, a + 0.15 * flap, 0.36, 0.12, (226, 238, 244, 70 + 20 * k))
        pen.flush()
    else:
        pen.poly([(-0.05, -0.02), (0.08, -0.02), (0.02 - span * 0.3, tip_y * 0.9 - 0.05)], pen.tone(col, 0.6))
    pen.ell(0, 0, 0.22 if big else 0.16, 0.07 if big else 0.06, body)
    pen.ell(0.17 if big else 0.14, -0.04, 0.06, 0.055, body)
    beak = 0.22 if v == "hummingbird" else 0.07
    pen.poly(
        [(0.21, -0.05), (0.21 + beak, -0.035), (0.21, -0.02)],
        pen.tone((230, 170, 60) if v != "hummingbird" else DARK),
    )
    pen.ell(0.17, -0.055, 0.012, 0.012, pen.tone(DARK))
    pen.poly([(-0.14, -0.01), (-0.3, -0.06), (-0.28, 0.04)], pen.tone(col, 0.85))
    if v == "hummingbird":
        pen.ell(0.12, 0.0, 0.05, 0.035, pen.tone((220, 40, 80)))
        return
    # near wing
    pts = [(-0.08, -0.02), (0.1, -0.02), (0.0 + span * 0.2, tip_y - 0.05), (-span * 0.4, tip_y * 1.1 - 0.02)]
    if v == "dragon":
        pts = [
            (-0.12, -0.02),
            (0.12, -0.02),
            (0.3, tip_y * 1.4 - 0.1),
            (0.0, tip_y * 1.2),
            (-0.3, tip_y * 1.3 - 0.05),
        ]
    pen.poly(pts, wing_col)
    if v == "owl":
        pen.ell(0.17, -0.05, 0.07, 0.07, pen.tone(col, 1.1))
        pen.ell(0.19, -0.06, 0.02, 0.02, glow((255, 210, 60)))
    if v == "dragon" and s.noun == "phoenix":
        pen.halo(0, 0, 0.8, (255, 150, 40), 0.5)


def insect(pen: Pen, s: Subject, phase: float, prog: float) -> None:
    flap = abs(math.cos(TAU * phase))
    if s.variant == "bee":
        pen.ell(-0.05, -0.22, 0.12 * (0.3 + 0.7 * flap), 0.16, (230, 240, 255, 120))
        pen.flush()
        pen.ell(0, 0, 0.18, 0.11, pen.tone((240, 190, 40)))
        for x in (-0.08, 0.0, 0.08):
            pen.rect(x - 0.02, -0.1, x + 0.02, 0.1, pen.tone(DARK))
        pen.ell(0.17, -0.02, 0.06, 0.06, pen.tone(DARK))
        return
    col = s.colour
    w = 0.2 + 0.8 * flap
    for dy, r, shade in ((-0.16, 0.22, 1.0), (0.06, 0.15, 0.85)):
        pen.ell(-0.02 - r * 0.5 * w, dy, r * w * 0.55, r * 0.8, pen.tone(col, shade))
        pen.ell(0.02 + r * 0.5 * w, dy, r * w * 0.55, r * 0.8, pen.tone(col, shade * 0.9))
        pen.ell(0.02 + r * 0.5 * w, dy - 0.02, r * w * 0.2, r * 0.25, pen.tone((250, 250, 250), shade))
    pen.ell(0, -0.04, 0.03, 0.2, pen.tone(DARK))


def fish(pen: Pen, s: Subject, phase: float, prog: float) -> None:
    v, col = s.variant, s.colour
    wag = 0.12 * math.sin(TAU * phase)
    if v == "jellyfish":
        pulse = 0.85 + 0.15 * math.sin(TAU * phase)
        for k in range(6):
            x = -0.2 + k * 0.08
            pen.line(
                [(x, -0.4), (x + wag * 0.5, -0.2), (x - wag * 0.3, 0.0)],
                0.02,
                glow(mix_colour(col, (255, 255, 255), 0.3), 0.6),
            )
        pen.flush()
        pen.ell(0, -0.5, 0.28 * pulse, 0.2, glow(col, 0.8))
        pen.flush()
        pen.halo(0, -0.5, 0.5, col, 0.35)
        return
    if v == "turtle":
        pen.ell(0, -0.15, 0.3, 0.14, pen.tone(col, 0.8))
        pen.ell(0.32, -0.14, 0.08, 0.06, pen.tone(col))
        for x in (-0.18, 0.18):
            pen.petal(x, -0.1, math.pi / 2 + wag + (0.5 if x > 0 else -0.5), 0.16, 0.07, pen.tone(col, 1.1))
        return
    big = v in ("whale", "shark", "dolphin")
    L = 1.0 if big else 0.5
    body = pen.tone(col)
    tail = [
        (-L * 0.45, 0),
        (-L * 0.65, -L * 0.12 + wag * L * 0.4),
        (-L * 0.6, 0),
        (-L * 0.65, L * 0.12 + wag * L * 0.4),
    ]
    pen.poly(tail, pen.tone(col, 0.85))
    pen.ell(0, 0, L * 0.5, L * (0.16 if v != "whale" else 0.2), body)
    pen.ell(0.02 * L, L * 0.06, L * 0.42, L * 0.08, pen.tone(mix_colour(col, (240, 240, 240), 0.6)))
    if big:
        pen.poly(
            [
                (-L * 0.05, -L * 0.14),
                (L * 0.08, -L * 0.32 if v == "shark" else -L * 0.25),
                (L * 0.12, -L * 0.13),
            ],
            pen.tone(col, 0.85),
        )
    else:
        pen.poly([(-L * 0.05, -L * 0.14), (L * 0.05, -L * 0.25), (L * 0.15, -L * 0.13)], pen.tone(col, 0.85))
    pen.ell(L * 0.36, -L * 0.03, L * 0.025, L * 0.025, pen.tone(DARK))
