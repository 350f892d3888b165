"""The prompt's subjects placed in a scene: their cels, where each stands, and the path it moves along."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image

from demo_gateway.render import figures_animals as animals
from demo_gateway.render import figures_buildings as buildings
from demo_gateway.render import figures_craft as craft
from demo_gateway.render import figures_life as life
from demo_gateway.render import figures_things as things
from demo_gateway.render.beam import Beam
from demo_gateway.render.encode import FPS
from demo_gateway.render.kinds import HABITAT, Habitat, Kind, Motion
from demo_gateway.render.sprites import Cel, Light, Pen, blit, cel_of, mirrored
from demo_gateway.render.subjects import Subject

Drawer = Callable[[Pen, Subject, float, float], None]


@dataclass(frozen=True)
class Figure:
    """How a kind is drawn: its drawer, its box around the anchor (in units of its size), its size as a
    share of the frame height, and how many cels animate it."""

    draw: Drawer
    box: tuple[float, float, float, float]
    size: float
    cels: int


FIGURES: dict[Kind, Figure] = {
    Kind.FLOWER: Figure(life.flower, (-0.5, -1.1, 0.5, 0.02), 0.5, 16),
    Kind.TREE: Figure(life.tree, (-0.55, -1.12, 0.55, 0.02), 0.5, 12),
    Kind.PERSON: Figure(life.person, (-0.5, -1.12, 0.5, 0.04), 0.26, 12),
    Kind.ANIMAL: Figure(animals.animal, (-0.75, -1.2, 0.75, 0.04), 0.24, 12),
    Kind.BIRD: Figure(animals.bird, (-0.85, -0.5, 0.6, 0.4), 0.26, 6),
    Kind.INSECT: Figure(animals.insect, (-0.45, -0.45, 0.45, 0.3), 0.12, 6),
    Kind.FISH: Figure(animals.fish, (-0.75, -0.75, 0.6, 0.3), 0.16, 8),
    Kind.VEHICLE: Figure(craft.vehicle, (-2.3, -1.1, 1.5, 0.04), 0.2, 6),
    Kind.BOAT: Figure(craft.boat, (-1.1, -1.25, 1.15, 0.05), 0.26, 4),
    Kind.AIRCRAFT: Figure(craft.aircraft, (-0.95, -1.0, 0.75, 0.7), 0.2, 8),
    Kind.BALLOON: Figure(craft.balloon, (-0.85, -1.3, 0.85, 1.05), 0.3, 6),
    Kind.BUILDING: Figure(buildings.building, (-1.25, -1.5, 1.25, 0.04), 0.34, 6),
    Kind.LIGHTHOUSE: Figure(buildings.lighthouse, (-0.6, -1.4, 0.6, 0.04), 0.5, 1),
    Kind.WINDMILL: Figure(buildings.windmill, (-0.7, -1.6, 0.7, 0.04), 0.42, 12),
    Kind.CELESTIAL: Figure(things.celestial, (-1.05, -1.4, 1.05, 0.4), 0.3, 1),
    Kind.FIRE: Figure(things.fire, (-0.9, -1.5, 0.9, 0.3), 0.22, 8),
    Kind.CUP: Figure(things.cup, (-0.5, -1.12, 0.5, 0.08), 0.32, 8),
    Kind.ROUND: Figure(things.round_thing, (-0.5, -1.05, 0.5, 0.05), 0.26, 12),
    Kind.CAKE: Figure(things.cake, (-0.6, -0.85, 0.6, 0.1), 0.3, 6),
    Kind.EMBLEM: Figure(things.emblem, (-0.8, -1.2, 0.8, 0.2), 0.34, 8),
}

_SIZES = {  # variants bigger or smaller than their kind
    "elephant": 1.5,
    "giraffe": 1.4,
    "horse": 1.2,
    "dinosaur": 1.5,
    "rabbit": 0.55,
    "cat": 0.7,
    "hummingbird": 1.9,
    "eagle": 1.3,
    "dragon": 2.6,
    "swan": 1.3,
    "penguin": 1.1,
    "train": 0.9,
    "bus": 1.1,
    "truck": 1.05,
    "bike": 1.0,
    "whale": 1.8,
    "dolphin": 1.3,
    "jellyfish": 1.6,
    "castle": 1.2,
    "tower": 1.1,
    "ship": 1.2,
    "galleon": 1.3,
    "rainbow": 2.2,
    "candle": 0.8,
    "helicopter": 1.4,
    "ufo": 1.5,
    "rocket": 1.8,
    "blimp": 1.4,
    "kite": 0.8,
    "lantern": 0.5,
    "moon": 0.9,
    "comet": 1.0,
    "robot": 1.05,
    "cactus": 0.8,
    "mushroom": 0.6,
}
_PROGRESSIVE = {Motion.BLOOM, Motion.GROW}
_RATE = {  # animation cycles per second
    Motion.WALK: 0.9,
    Motion.RUN: 1.7,
    Motion.DANCE: 0.7,
    Motion.FLY: 2.2,
    Motion.HOVER: 1.0,
    Motion.DRIVE: 1.5,
    Motion.SAIL: 0.35,
    Motion.SWIM: 1.2,
    Motion.JUMP: 0.35,
    Motion.SPIN: 0.18,
    Motion.SWEEP: 0.16,
    Motion.FLICKER: 0.9,
    Motion.STEAM: 0.4,
    Motion.FLOAT: 0.3,
    Motion.RISE: 0.4,
    Motion.SWAY: 0.25,
    Motion.STILL: 0.25,
    Motion.FALL: 0.5,
}
_SPEED = {  # travel across the frame, frame widths per second
    Motion.WALK: 0.045,
    Motion.RUN: 0.11,
    Motion.DRIVE: 0.16,
    Motion.FLY: 0.09,
    Motion.SAIL: 0.025,
    Motion.SWIM: 0.05,
    Motion.JUMP: 0.04,
    Motion.FALL: 0.12,
}


def habitat_of(s: Subject, water: bool) -> Habitat:
    if s.kind is Kind.LIGHTHOUSE and water:
        return Habitat.WATER
    if s.kind is Kind.BIRD and s.motion is Motion.SWIM:
        return Habitat.WATER
    if s.kind is Kind.BIRD and s.motion is Motion.WALK:
        return Habitat.GROUND
    if s.kind is Kind.BALLOON and s.motion is Motion.RISE:
        return Habitat.SKY
    return HABITAT[s.kind]


@dataclass
class Actor:
    """One instance of a subject: its cels (both facings), anchor position in stage coordinates, path."""

    subject: Subject
    cels: Cels
    x: float  # frame x at mid-clip (px)
    y: float
    habitat: Habitat
    facing: int  # +1 right, -1 left
    phase0: float
    par: float  # parallax, 0 far .. 1 near


class Cast:
    """Every actor of a scene; `draw(f, t, u, offset)` puts them on a frame."""

    def __init__(
        self,
        subjects: tuple[Subject, ...],
        width: int,
        height: int,
        duration: float,
        light: Light,
        rng: np.random.Generator,
        *,
        horizon: int,
        ground: float,
        water: bool,
    ) -> None:
        self.w, self.h, self.duration = width, height, duration
        self.horizon = horizon
        self.ref = min(float(height), 0.8 * width)  # what subject sizes are relative to (portrait: narrower)
        self.actors: list[Actor] = []
        self.ground = ground
        self._beams: dict[int, Beam] = {}
        used: list[float] = []
        for rank, s in enumerate(subjects):
            hab = habitat_of(s, water)
            fig = FIGURES[s.kind]
            scale = (1.0 if rank == 0 else 0.62) * (0.78 if s.count > 1 else 1.0) * _SIZES.get(s.variant, 1.0)
            size_px = fig.size * self.ref * scale
            cels = Cels(s, fig, size_px, light, hab)
            for k in range(s.count):
                x, y = self._place(s, hab, rank, k, rng, used)
                used.append(x)
                facing = 1 if rng.random() < 0.5 or s.kind is Kind.EMBLEM else -1  # a label never mirrors
                phase0 = float(rng.random())
                if s.motion is Motion.JUMP and s.kind is Kind.FISH and k == 0:
                    phase0 = (0.27 - duration / 2 * _RATE[Motion.JUMP]) % 1.0  # mid-leap at mid-clip
                self.actors.append(Actor(s, cels, x, y, hab, facing, phase0, _PAR[hab]))
        # a hovering bird or insect visits the flower the prompt names ("a hummingbird by a flower")
        flowers = [a for a in self.actors if a.subject.kind is Kind.FLOWER]
        for a in self.actors:
            if flowers and a.subject.motion is Motion.HOVER and a.subject.kind in (Kind.BIRD, Kind.INSECT):
                bloom = flowers[0]
                size = FIGURES[Kind.FLOWER].size * self.ref * (0.62 if bloom is not self.actors[0] else 1.0)
                a.facing = -1 if a.x > bloom.x else 1
                a.x = bloom.x - a.facing * 0.62 * size
                a.y = bloom.y - 0.62 * size
                # far things first, then the sky, the water, the ground; lower (nearer) ones over higher
        self.actors.sort(key=lambda a: (_ORDER[a.habitat], a.y))

    def _place(
        self, s: Subject, hab: Habitat, rank: int, k: int, rng: np.random.Generator, used: list[float]
    ) -> tuple[float, float]:
        w, h = self.w, self.h
        hero = rank == 0 and s.count == 1
        for _ in range(12):
            if hero and s.motion not in _SPEED:
                x = w * float(rng.uniform(0.38, 0.62))
            elif s.count > 1:
                x = w * (0.18 + 0.64 * (k + float(rng.uniform(0.2, 0.8))) / s.count)
            else:
                x = w * float(rng.uniform(0.15, 0.85))
            if all(abs(x - o) > 0.14 * w for o in used) or s.count > 1:
                break
        if hab is Habitat.SKY:
            y = (
                h * float(rng.uniform(0.2, 0.42))
                if s.kind is not Kind.BALLOON
                else h * float(rng.uniform(0.45, 0.62))
            )
            if s.kind is Kind.CELESTIAL:
                y = h * float(rng.uniform(0.3, 0.45))
            if s.kind is Kind.EMBLEM:
                y = h * float(rng.uniform(0.56, 0.64))
            if s.count > 1:
                y += h * float(rng.uniform(-0.08, 0.08))
        elif hab is Habitat.WATER:
            span = h - self.horizon
            y = self.horizon + span * (
                float(rng.uniform(0.3, 0.5)) if rank == 0 else float(rng.uniform(0.12, 0.3))
            )
            if s.kind is Kind.LIGHTHOUSE:
                y = self.horizon + span * 0.18
                x = w * (0.72 if rng.random() < 0.5 else 0.28)
        else:
            y = self.ground + h * (0.05 if rank == 0 else 0.0) + h * float(rng.uniform(-0.015, 0.02))
            if s.kind in (Kind.BUILDING, Kind.WINDMILL, Kind.LIGHTHOUSE, Kind.TREE) and rank > 0:
                y -= 0.03 * h
        return x, y

    def _beam(self, a: Actor) -> Beam:
        beam = self._beams.get(id(a.cels))
        if beam is None:
            beam = self._beams[id(a.cels)] = Beam(a.cels)
        return beam

    def draw(
        self, f, t: float, u: float, offset: Callable[[float], float], drop: Callable[[float], int]
    ) -> None:
        for a in self.actors:
            s = a.subject
            idx, phase = self._pose(a, t, u)
            x, y, opacity = self._path(a, t, u)
            x -= offset(a.par)
            y += drop(a.par)
            if s.kind is Kind.LIGHTHOUSE:  # beam behind the tower, flare in front
                beam = self._beam(a)
                beam.draw_beam(f, phase, x, y)
                blit(f, a.cels.get(0, a.facing), x, y)
                beam.draw_flare(f, phase, x, y)
            elif opacity > 0.0:
                blit(f, a.cels.get(idx, a.facing), x, y, opacity)

    def prewarm(self, frames: int) -> None:
        """Draws every cel the clip's frames will ask for (safe beside `draw`: cels are pure, so a cel
        both threads make comes out the same whichever is kept). Errors are left for `draw` to meet."""
        try:
            for i in range(frames):
                t = i / FPS
                u = i / max(1, frames - 1)
                for a in self.actors:
                    idx, phase = self._pose(a, t, u)
                    if a.subject.kind is Kind.LIGHTHOUSE:
                        a.cels.get(0, a.facing).fixed()
                        self._beam(a).prepare(phase)
                    else:
                        a.cels.get(idx, a.facing).fixed()
        except Exception:  # noqa: S110 - the main thread draws (and reports) what this could not
            pass

    def _pose(self, a: Actor, t: float, u: float) -> tuple[int, float]:
        """(cel index, animation phase) of an actor at time t, clip fraction u."""
        s = a.subject
        phase = (a.phase0 + t * _RATE.get(s.motion, 0.3)) % 1.0
        if s.motion in _PROGRESSIVE:
            return min(a.cels.n - 1, int(u * a.cels.n)), phase
        return int(phase * a.cels.n) % a.cels.n, phase

    def _path(self, a: Actor, t: float, u: float) -> tuple[float, float, float]:
        s, w, h = a.subject, self.w, self.h
        x, y = a.x, a.y
        mid = self.duration / 2
        speed = _SPEED.get(s.motion)
        if speed is not None and s.motion is not Motion.FALL:
            span = w * 1.5
            x = (a.x + a.facing * speed * w * (t - mid) + 0.25 * w) % span - 0.25 * w
        if s.motion in (Motion.FLY,):
            y += 0.02 * h * math.sin(t * 1.3 + a.phase0 * 6)
        elif s.motion is Motion.HOVER:
            x += 0.03 * w * math.sin(t * 0.7 + a.phase0 * 6)
            y += 0.02 * h * math.sin(t * 1.1 + a.phase0 * 4)
        elif s.motion is Motion.RISE:
            y = a.y + h * (0.2 - 0.45 * u) + 0.01 * h * math.sin(t * 0.8)
            x += 0.03 * w * (u - 0.5)
        elif s.motion is Motion.FLOAT:
            y += 0.015 * h * math.sin(t * 1.2 + a.phase0 * 6)
        elif s.motion is Motion.SAIL or (s.kind is Kind.BIRD and s.motion is Motion.SWIM):
            y += 0.006 * h * math.sin(t * 2.0 + a.phase0 * 6)
        elif s.motion is Motion.FALL:
            p = (t * 0.22 + a.phase0) % 1.0
            x = a.x - a.facing * 0.5 * w * (p - 0.5)
            y = h * (0.05 + 0.4 * p)
        elif s.motion is Motion.JUMP and s.kind is Kind.FISH:
            p = (t * _RATE[Motion.JUMP] + a.phase0) % 1.0
            arc = math.sin(math.pi * min(1.0, p / 0.55))
            y = a.y - 0.22 * h * arc
            return x, y, 1.0 if p < 0.55 else 0.0
        elif s.motion is Motion.JUMP:
            pass
        if s.kind is Kind.FISH and s.motion is Motion.SWIM:
            return x, y, 0.75
        return x, y, 1.0


_PAR = {Habitat.SKY: 0.3, Habitat.WATER: 0.5, Habitat.GROUND: 1.0}
_ORDER = {Habitat.SKY: 0, Habitat.WATER: 1, Habitat.GROUND: 2}


class Cels:
    """A subject's poses, drawn the first time a frame needs each (so drawing overlaps the encoder,
    and poses a short clip never reaches are never drawn); `get(k, facing)` returns one."""

    def __init__(self, s: Subject, fig: Figure, size_px: float, light: Light, hab: Habitat) -> None:
        n = fig.cels
        if s.motion is Motion.STILL and s.kind not in (Kind.FIRE, Kind.BUILDING):
            n = 1
        if s.kind is Kind.FISH and s.motion is Motion.JUMP:
            n = 8  # rotation through the leap
        self.n = n
        self.s, self.fig, self.size_px, self.light = s, fig, size_px, light
        grounded = hab is Habitat.GROUND and s.kind not in (Kind.CELESTIAL, Kind.EMBLEM)
        self.shadow = 0.32 if grounded else 0.0
        swims = s.kind is Kind.FISH and s.motion in (Motion.SWIM, Motion.JUMP)
        self.reflect = 0.45 if hab is Habitat.WATER and not swims else 0.0
        self._cels: dict[tuple[int, int], Cel] = {}

    def get(self, k: int, facing: int) -> Cel:
        cel = self._cels.get((k, facing))
        if cel is None:
            cel = mirrored(self.get(k, 1)) if facing < 0 else self._draw(k)
            self._cels[(k, facing)] = cel
        return cel

    def _draw(self, k: int) -> Cel:
        s, n = self.s, self.n
        if s.motion in _PROGRESSIVE:
            phase, prog = 0.0, (k + 0.5) / n
        else:
            phase, prog = k / n, 1.0
        pen = Pen(self.fig.box, self.size_px, self.light)
        self.fig.draw(pen, s, phase, prog)
        im = pen.image()
        anchor = (pen.ax / pen.ss, pen.ay / pen.ss)
        if s.kind is Kind.FISH and s.motion is Motion.JUMP:
            angle = 40.0 - 80.0 * (k + 0.5) / n  # nose up, then down
            im, anchor = _rotate(im, anchor, angle)
        return cel_of(im, anchor, shadow=self.shadow, reflect=self.reflect)


def _rotate(
    im: Image.Image, anchor: tuple[float, float], angle: float
) -> tuple[Image.Image, tuple[float, float]]:
    w, h = im.size
    out = im.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
    ax, ay = anchor[0] - w / 2, anchor[1] - h / 2
    r = math.radians(angle)
    nx = ax * math.cos(r) + ay * math.sin(r)
    ny = -ax * math.sin(r) + ay * math.cos(r)
    return out, (nx + out.width / 2, ny + out.height / 2)
