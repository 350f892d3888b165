"""A lighthouse's sweeping beam and the flare of its lantern, drawn once and squeezed as it turns."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from demo_gateway.render import figures_buildings as buildings
from demo_gateway.render.sprites import Cel, Pen, blit, cel_of, mirrored, stretch

if TYPE_CHECKING:
    from demo_gateway.render.actors import Cels, Drawer


class Beam:
    """A lighthouse's sweeping beam: one drawn beam squeezed and mirrored as it turns (cached per
    step), and the flare of the lantern when it faces the viewer."""

    STEPS = 24

    def __init__(self, tower: Cels) -> None:
        self.tower = tower
        self._beam: Cel | None = None
        self._flare: Cel | None = None
        self._squeezed: dict[int, Cel] = {}

    def _make(self, drawer: Drawer, box: tuple[float, float, float, float]) -> Cel:
        t = self.tower
        pen = Pen(box, t.size_px, t.light, ss=1)  # soft light: no supersampling needed
        drawer(pen, t.s, 0.0, 1.0)
        return cel_of(pen.image(), (pen.ax / pen.ss, pen.ay / pen.ss), reflect=t.reflect * 0.6)

    def draw_beam(self, f, phase: float, x: float, y: float) -> None:
        cel = self._squeeze(phase)
        if cel is not None:
            blit(f, cel, x, y)

    def draw_flare(self, f, phase: float, x: float, y: float) -> None:
        flare = self._flare_strength(phase)
        if flare > 0.0:
            blit(f, self._flare_cel(), x, y, flare)

    def prepare(self, phase: float) -> None:
        """Makes (and caches) what `draw_beam` and `draw_flare` will need at this phase."""
        cel = self._squeeze(phase)
        if cel is not None:
            cel.fixed()
        if self._flare_strength(phase) > 0.0:
            self._flare_cel()

    def _squeeze(self, phase: float) -> Cel | None:
        step = int(round(math.sin(2 * math.pi * phase) * self.STEPS))
        if abs(step) < 1:
            return None
        cel = self._squeezed.get(step)
        if cel is None:  # one squeeze per reach; the beam swinging the other way is its mirror image
            same = self._squeezed.get(-step)
            cel = mirrored(same) if same is not None else stretch(self._full_beam(), step / self.STEPS)
            self._squeezed[step] = cel
        return cel

    def _full_beam(self) -> Cel:
        if self._beam is None:
            beam = self._make(buildings.lighthouse_beam, (-0.05, -1.3, 2.65, 0.04))
            w = beam.a.shape[1]
            fade = np.clip((w - np.arange(w, dtype=np.float32)) / (0.45 * max(1, w - beam.ax)), 0, 1) ** 1.5
            beam.a *= fade[None, :]  # the light thins out with distance instead of ending square
            beam.ac *= fade[0::2][None, : beam.ac.shape[1]]
            self._beam = beam
        return self._beam

    @staticmethod
    def _flare_strength(phase: float) -> float:
        flare = max(0.0, math.cos(2 * math.pi * phase)) ** 6
        return flare if flare >= 0.02 else 0.0

    def _flare_cel(self) -> Cel:
        if self._flare is None:
            self._flare = self._make(buildings.lighthouse_flare, (-0.6, -1.62, 0.6, -0.42))
        return self._flare
