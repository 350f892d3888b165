"""Plants and people as vector shapes: flowers, trees and people (and the colours living things share)."""

from __future__ import annotations

import math

from demo_gateway.render.kinds import Motion
from demo_gateway.render.parts import DARK, TAU
from demo_gateway.render.sprites import Pen, glow
from demo_gateway.render.subjects import Subject


def _ease(x: float) -> float:
    x = min(1.0, max(0.0, x))
    return x * x * (3 - 2 * x)


def _mul(c, k: float) -> tuple[float, float, float]:
    return (c[0] * k, c[1] * k, c[2] * k)


LEAF = (58, 128, 56)
STEM = (70, 120, 50)
BARK = (92, 64, 44)
SKIN = (224, 176, 140)


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
