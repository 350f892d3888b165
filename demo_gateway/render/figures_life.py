"""Living subjects as vector shapes: flowers, trees, people, animals, birds, insects and fish."""

from __future__ import annotations

import math

from demo_gateway.render.sprites import Pen, glow
from demo_gateway.render.subjects import Motion, Subject

TAU = 2 * math.pi


def _ease(x: float) -> float:
    x = min(1.0, max(0.0, x))
    return x * x * (3 - 2 * x)


def _mul(c, k: float) -> tuple[float, float, float]:
    return (c[0] * k, c[1] * k, c[2] * k)


def _mixc(a, b, t: float) -> tuple[float, float, float]:
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t)


LEAF = (58, 128, 56)
STEM = (70, 120, 50)
BARK = (92, 64, 44)
SKIN = (224, 176, 140)
DARK = (30, 30, 36)


# --- plants -------------------------------------------------------------------------------------------


def flower(pen: Pen, s: Subject, phase: float, prog: float) -> None:
    grow = _ease(prog * 1.6) if s.motion is Motion.GROW else 1.0
    open_ = _ease(prog * 1.25 - 0.1) if s.motion in (Motion.BLOOM, Motion.GROW) else 1.0
    sway = 0.04 * math.sin(TAU * phase)
    if s.variant == "mushroom":
        k = 0.3 + 0.7 * grow
        pen.rect(-0.07 * k, -0.45 * k, 0.07 * k, 0.0, pen.tone((236, 226, 206)), r=0.03)
        pen.poly([(-0.32 * k, -0.42 * k), (0, -0.78 * k), (0.32 * k, -0.42 * k)], pen.tone(s.colour))
        pen.ell(0, -0.44 * k, 0.33 * k, 0.07 * k, pen.tone(s.colour, 0.8))
        for dx, dy in ((-0.12, -0.55), (0.1, -0.6), (0.02, -0.68), (0.2, -0.5)):
            pen.ell(dx * k, dy * k, 0.035 * k, 0.025 * k, pen.tone((250, 246, 236)))
        return
    top = -0.62 * grow
    hx = sway * grow
    pen.line([(0, 0), (hx * 0.3, top * 0.5), (hx, top)], 0.045, pen.tone(STEM))
    pen.petal(hx * 0.2, top * 0.3, math.pi + 0.45, 0.26 * grow, 0.1, pen.tone(LEAF))
    pen.petal(hx * 0.3, top * 0.5, -0.45, 0.22 * grow, 0.09, pen.tone(LEAF, 0.85))
    cx, cy = hx, top
    size = 0.08 + 0.26 * open_
    col = s.colour
    if s.variant == "tulip":
        spread = 0.15 + 0.5 * open_
        for k, a in enumerate((-spread, 0.0, spread)):
            pen.petal(cx, cy + 0.04, -math.pi / 2 + a, size * 1.1, size * 0.75, pen.tone(col, 0.8 + 0.1 * k))
        return
    n = {"sunflower": 18, "daisy": 14, "lotus": 10, "rose": 10}.get(s.variant, 8)
    fan = math.pi * (0.25 + 0.75 * open_)  # the bud's petals point up, the open flower's all round
    for layer in (0, 1) if s.variant in ("rose", "lotus") else (0,):
        for k in range(n):
            t = (k + 0.5 * layer) / n
            ang = -math.pi / 2 + (t - 0.5) * 2 * fan
            length = size * (1.0 - 0.3 * layer) * (1.15 if s.variant == "lotus" else 1.0)
            shade = 0.75 + 0.35 * (0.5 + 0.5 * math.sin(ang * 3 + k)) - 0.15 * layer
            pen.petal(
                cx,
                cy,
                ang,
                length,
                length * (0.32 if s.variant in ("daisy", "sunflower") else 0.55),
                pen.tone(col, shade),
            )
    disc = {"sunflower": 0.5, "daisy": 0.3}.get(s.variant, 0.22) * size
    centre = (96, 60, 24) if s.variant == "sunflower" else (246, 196, 60)
    pen.ell(cx, cy, disc, disc, pen.tone(centre))
    pen.ell(cx - disc * 0.3, cy - disc * 0.3, disc * 0.35, disc * 0.35, pen.tone(centre, 1.25))


def tree(pen: Pen, s: Subject, phase: float, prog: float) -> None:
    g = 0.25 + 0.75 * _ease(prog * 1.4) if s.motion is Motion.GROW else 1.0
    sway = 0.025 * math.sin(TAU * phase) * g
    leaf = s.colour
    v = s.variant
    if v == "cactus":
        c = pen.tone(leaf, 0.8)
        pen.rect(-0.08 * g, -0.9 * g, 0.08 * g, 0, c, r=0.08 * g)
        pen.line([(-0.07 * g, -0.4 * g), (-0.25 * g, -0.42 * g), (-0.25 * g, -0.65 * g)], 0.1 * g, c)
        pen.line([(0.07 * g, -0.55 * g), (0.22 * g, -0.57 * g), (0.22 * g, -0.75 * g)], 0.09 * g, c)
        return
    if v == "palm":
        pts = [(0, 0), (0.06 * g, -0.45 * g), (0.16 * g + sway, -0.9 * g)]
        pen.line(pts, 0.06 * g, pen.tone(BARK, 1.1))
        cx, cy = pts[-1]
        for k in range(7):
            a = -math.pi / 2 + (k - 3) * 0.48 + sway * 3
            pen.petal(
                cx,
                cy,
                a + (0.5 if abs(k - 3) > 1 else 0) * (1 if k > 3 else -1 if k < 3 else 0),
                0.42 * g,
                0.1 * g,
                pen.tone(leaf, 0.8 + 0.05 * k),
            )
        return
    if v == "pine":
        pen.rect(-0.04 * g, -0.2 * g, 0.04 * g, 0, pen.tone(BARK))
        for k in range(4):
            y0 = -0.15 * g - k * 0.2 * g
            w = (0.36 - 0.07 * k) * g
            pen.poly(
                [(-w + sway * k, y0), (sway * (k + 1), y0 - 0.38 * g), (w + sway * k, y0)],
                pen.tone(leaf, 0.65 + 0.1 * k),
            )
        return
    # broadleaf: oak, cherry, willow
    pen.poly([(-0.06 * g, 0), (-0.03 * g, -0.5 * g), (0.03 * g, -0.5 * g), (0.07 * g, 0)], pen.tone(BARK))
    pen.line([(0, -0.4 * g), (-0.16 * g, -0.6 * g)], 0.035 * g, pen.tone(BARK))
    pen.line([(0, -0.45 * g), (0.18 * g, -0.66 * g)], 0.035 * g, pen.tone(BARK))
    blobs = [
        (-0.2, -0.62, 0.2),
        (0.2, -0.66, 0.21),
        (0.0, -0.8, 0.26),
        (-0.05, -0.6, 0.2),
        (0.12, -0.9, 0.16),
    ]
    bloom = _ease(prog * 1.3) if s.motion is Motion.BLOOM else 1.0
    for k, (x, y, r) in enumerate(blobs):
        pen.ell(
            x * g + sway,
            y * g,
            r * g * (0.6 + 0.4 * bloom),
            r * g * 0.9 * (0.6 + 0.4 * bloom),
            pen.tone(leaf, 0.7 + 0.08 * k),
        )
    pen.ell(-0.06 * g + sway, -0.88 * g, 0.12 * g, 0.08 * g, pen.tone(leaf, 1.15))
    if v == "willow":
        for k in range(9):
            x = (-0.36 + 0.09 * k) * g + sway
            pen.line([(x, -0.7 * g), (x + sway * 2, -0.25 * g)], 0.025 * g, pen.tone(leaf, 0.9))


# --- people ------------------------------------------------------------------------------------------


def person(pen: Pen, s: Subject, phase: float, prog: float) -> None:
    v = s.variant
    cloth = s.colour
    if v == "snowman":
        for r, y in ((0.2, -0.2), (0.15, -0.52), (0.11, -0.76)):
            pen.ell(0, y, r, r, pen.tone((240, 242, 248)))
        pen.poly([(0.0, -0.77), (0.16, -0.75), (0.0, -0.73)], pen.tone((240, 120, 30)))
        pen.rect(-0.1, -0.92, 0.1, -0.86, pen.tone(DARK))
        pen.rect(-0.06, -1.05, 0.06, -0.9, pen.tone(DARK))
        return
    if v == "ghost":
        bob = 0.04 * math.sin(TAU * phase)
        pts = [(-0.2, -0.2 + bob)]
        for k in range(7):
            pts.append((-0.2 + k * 0.4 / 6, -0.1 + bob + (0.05 if k % 2 else 0)))
        pts += [(0.2, -0.2 + bob), (0.2, -0.7 + bob), (0.0, -0.92 + bob), (-0.2, -0.7 + bob)]
        pen.poly(pts, glow((240, 244, 255), 0.85))
        pen.ell(-0.07, -0.7 + bob, 0.03, 0.045, pen.tone(DARK))
        pen.ell(0.07, -0.7 + bob, 0.03, 0.045, pen.tone(DARK))
        return
    run = s.motion is Motion.RUN
    walking = s.motion in (Motion.WALK, Motion.RUN)
    swing = (0.75 if run else 0.45) * math.sin(TAU * phase) if walking else 0.0
    bob = (0.03 if run else 0.015) * abs(math.cos(TAU * phase)) if walking else 0.0
    if s.motion is Motion.DANCE:
        swing = 0.35 * math.sin(TAU * phase)
        bob = 0.03 * abs(math.sin(TAU * phase * 2))
    if s.motion is Motion.FLOAT:
        bob = 0.05 * math.sin(TAU * phase) + 0.08
    hip = (0.0, -0.46 - bob)
    robot = v == "robot"
    suit = (236, 238, 242) if v == "astronaut" else cloth
    lw = 0.085 if v == "astronaut" else 0.07
    for side, sgn in ((0.6, 1), (1.0, -1)):  # far leg first
        a = sgn * swing
        knee = (hip[0] + 0.23 * math.sin(a), hip[1] + 0.23 * math.cos(a))
        bend = max(0.0, -sgn * math.sin(TAU * phase)) * (0.6 if run else 0.3) if walking else 0.0
        foot = (knee[0] + 0.23 * math.sin(a - bend), knee[1] + 0.23 * math.cos(a - bend))
        col = pen.tone(suit if (robot or v == "astronaut") else DARK, side * (0.8 if robot else 1.4))
        pen.line([hip, knee, foot], lw, col)
        pen.ell(foot[0] + 0.03, foot[1], 0.055, 0.03, pen.tone(DARK, side))
    sh = (0.0, -0.82 - bob)
    if robot:
        pen.rect(-0.15, sh[1] - 0.02, 0.15, hip[1] + 0.04, pen.tone(cloth), r=0.03)
        pen.rect(-0.06, sh[1] + 0.08, 0.06, sh[1] + 0.16, glow((120, 220, 255)), r=0.02)
    else:
        pen.poly(
            [(-0.13, sh[1]), (0.13, sh[1]), (0.11, hip[1] + 0.03), (-0.11, hip[1] + 0.03)], pen.tone(suit)
        )
    arm_a = -swing * 0.9
    for side, sgn in ((0.7, -1), (1.0, 1)):
        a = sgn * arm_a
        if s.motion is Motion.DANCE:
            a = sgn * (2.4 + 0.4 * math.sin(TAU * phase))
        elbow = (sh[0] + 0.2 * math.sin(a), sh[1] + 0.04 + 0.2 * math.cos(a))
        hand = (elbow[0] + 0.18 * math.sin(a + 0.4 * sgn), elbow[1] + 0.18 * math.cos(a + 0.4 * sgn))
        pen.line([(sh[0], sh[1] + 0.04), elbow, hand], 0.06, pen.tone(suit, side * 0.95))
        if side == 0.7:
            pass
    head = (0.02, sh[1] - 0.12)
    if robot:
        pen.rect(head[0] - 0.1, head[1] - 0.09, head[0] + 0.1, head[1] + 0.08, pen.tone(cloth, 1.1), r=0.03)
        pen.rect(head[0] - 0.02, head[1] - 0.05, head[0] + 0.09, head[1] + 0.0, glow((120, 220, 255)))
        pen.line([(head[0], head[1] - 0.09), (head[0], head[1] - 0.17)], 0.015, pen.tone(cloth))
        pen.ell(head[0], head[1] - 0.18, 0.025, 0.025, glow((255, 80, 80)))
    elif v == "astronaut":
        pen.ell(*head, 0.13, 0.13, pen.tone(suit))
        pen.ell(head[0] + 0.04, head[1], 0.08, 0.07, pen.tone((40, 60, 110)))
        pen.ell(head[0] + 0.06, head[1] - 0.03, 0.025, 0.02, glow((220, 236, 255), 0.8))
    else:
        pen.ell(*head, 0.095, 0.1, pen.tone(SKIN))
        pen.poly(
            [
                (head[0] - 0.1, head[1]),
                (head[0] - 0.08, head[1] - 0.09),
                (head[0] + 0.06, head[1] - 0.11),
                (head[0] + 0.1, head[1] - 0.04),
                (head[0] - 0.02, head[1] - 0.05),
            ],
            pen.tone((60, 40, 30)),
        )


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
                glow(_mixc(col, (255, 255, 255), 0.3), 0.6),
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
    pen.ell(0.02 * L, L * 0.06, L * 0.42, L * 0.08, pen.tone(_mixc(col, (240, 240, 240), 0.6)))
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
