"""The camera move a prompt asks for (`camera_of`) and where the camera is at each moment of the clip (`Path`)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum

import numpy as np


class CameraMove(StrEnum):
    """One camera move. DRIFT is what a prompt that names none gets (a slow sideways drift / Ken Burns)."""

    DRIFT = "drift"
    STATIC = "static"
    DOLLY_IN = "dolly_in"
    DOLLY_OUT = "dolly_out"
    ZOOM_IN = "zoom_in"
    ZOOM_OUT = "zoom_out"
    PAN_LEFT = "pan_left"
    PAN_RIGHT = "pan_right"
    ORBIT = "orbit"
    CRANE_UP = "crane_up"
    CRANE_DOWN = "crane_down"
    TILT_UP = "tilt_up"
    TILT_DOWN = "tilt_down"
    HANDHELD = "handheld"
    TRACKING = "tracking"


# The studio's camera presets insert exactly one of these phrases; they win over any other wording.
_PRESETS: tuple[tuple[CameraMove, str], ...] = (
    (CameraMove.STATIC, r"static locked[- ]off camera"),
    (CameraMove.DOLLY_IN, r"slow dolly in"),
    (CameraMove.DOLLY_OUT, r"slow dolly out"),
    (CameraMove.PAN_LEFT, r"camera pans left"),
    (CameraMove.PAN_RIGHT, r"camera pans right"),
    (CameraMove.ORBIT, r"camera orbits around the subject"),
    (CameraMove.CRANE_UP, r"crane up, rising above the scene"),
    (CameraMove.CRANE_DOWN, r"crane down"),
    (CameraMove.TILT_UP, r"tilt up"),
    (CameraMove.HANDHELD, r"handheld camera, slight shake"),
    (CameraMove.TRACKING, r"tracking shot following the subject"),
    (CameraMove.ZOOM_IN, r"slow zoom in"),
)

# Free wording, earliest mention wins.
_WORDS: tuple[tuple[CameraMove, str], ...] = (
    (CameraMove.STATIC, r"static (?:camera|shot)|locked[- ]off|tripod shot|still camera|fixed camera"),
    (CameraMove.ZOOM_IN, r"zoom(?:s|ing)? in(?:to)?|close[- ]?up"),
    (CameraMove.DOLLY_IN, r"push(?:es|ing)? in|dolly(?:ing)? in|move(?:s)? closer"),
    (CameraMove.ZOOM_OUT, r"zoom(?:s|ing)? out"),
    (
        CameraMove.DOLLY_OUT,
        r"pull(?:s|ing)? (?:back|out)|dolly(?:ing)? out|reveal(?:s|ing)?|widen(?:s|ing)?",
    ),
    (CameraMove.PAN_LEFT, r"pan(?:s|ning)? (?:to the )?left|truck(?:s|ing)? left|move(?:s)? left"),
    (CameraMove.PAN_RIGHT, r"pan(?:s|ning)? (?:to the )?right|truck(?:s|ing)? right|move(?:s)? right"),
    (CameraMove.ORBIT, r"orbit(?:s|ing)?|arc(?:s|ing)? around|circl(?:es|ing) around|360"),
    (CameraMove.TILT_UP, r"pan(?:s|ning)? up|tilt(?:s|ing)? up"),
    (CameraMove.CRANE_UP, r"crane(?:s|ing)? up|pedestal up|rise(?:s)?|rising|aerial ascent"),
    (CameraMove.TILT_DOWN, r"pan(?:s|ning)? down|tilt(?:s|ing)? down"),
    (CameraMove.CRANE_DOWN, r"crane(?:s|ing)? down|pedestal down|descend(?:s|ing)?"),
    (CameraMove.HANDHELD, r"hand[- ]?held|shaky(?: cam(?:era)?)?|camera shake|found footage"),
    (CameraMove.TRACKING, r"tracking(?: shot)?|follow(?:s|ing)? (?:the|her|him|them)|side[- ]scroll\w*"),
)


def _earliest(text: str, table: tuple[tuple[CameraMove, str], ...]) -> CameraMove | None:
    best: tuple[int, CameraMove] | None = None
    for move, pattern in table:
        m = re.search(rf"\b(?:{pattern})\b", text)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), move)
    return best[1] if best else None


def camera_of(prompt: str) -> CameraMove:
    """The camera move a prompt asks for: a preset phrase first, else the earliest camera wording, else DRIFT."""
    text = " ".join((prompt or "").lower().split())
    return _earliest(text, _PRESETS) or _earliest(text, _WORDS) or CameraMove.DRIFT


def ease(u: float) -> float:
    """Smooth start and stop over 0..1."""
    return 0.5 - 0.5 * math.cos(math.pi * min(1.0, max(0.0, u)))


@dataclass(frozen=True)
class Pose:
    """Where the camera is, renderer-neutral.

    `x`, `y`: the view centre's travel, -1..1 of what the renderer allows (+x looks further right,
    so the picture slides left; +y looks further down). `zoom` >= 1 magnifies about the view centre.
    `depth` 0..1 is how far a dolly or crane has gone, for renderers that add parallax.
    `shake_x`, `shake_y`: a handheld wobble, as fractions of the frame's width and height."""

    x: float = 0.0
    y: float = 0.0
    zoom: float = 1.0
    depth: float = 0.0
    shake_x: float = 0.0
    shake_y: float = 0.0


_ZOOM = {
    CameraMove.ZOOM_IN: 1.3,
    CameraMove.ZOOM_OUT: 1.3,
    CameraMove.DOLLY_IN: 1.22,
    CameraMove.DOLLY_OUT: 1.22,
    CameraMove.TILT_UP: 1.16,
    CameraMove.TILT_DOWN: 1.16,
    CameraMove.CRANE_UP: 1.1,
    CameraMove.CRANE_DOWN: 1.1,
    CameraMove.HANDHELD: 1.05,
    CameraMove.ORBIT: 1.04,
}
SHAKE = 0.006  # handheld wobble amplitude, a fraction of the frame side


class CameraPath:
    """The pose at each moment of a clip for one move; a seed varies the wobble and the direction."""

    def __init__(self, move: CameraMove, seed: int, duration: float) -> None:
        self.move = move
        self.duration = max(1e-6, float(duration))
        rng = np.random.default_rng(seed ^ 0xCA3E7A)
        self.sign = 1.0 if rng.random() < 0.5 else -1.0  # tracking and orbit: which way round
        # handheld: three smooth sines per axis, incommensurate frequencies, seeded phases
        self._freq = rng.uniform(0.35, 2.2, (2, 3))
        self._phase = rng.uniform(0.0, 2 * math.pi, (2, 3))
        self._amp = np.array([0.55, 0.3, 0.15])

    @property
    def max_zoom(self) -> float:
        """The tightest view the move reaches (renderers hold enough margin for it)."""
        return _ZOOM.get(self.move, 1.0)

    def pose(self, u: float, t: float) -> Pose:
        """The pose at clip fraction `u` (0..1) and time `t` seconds."""
        move, e = self.move, ease(u)
        z = self.max_zoom
        if move in (CameraMove.ZOOM_IN, CameraMove.DOLLY_IN):
            return Pose(zoom=z**e, depth=e)
        if move in (CameraMove.ZOOM_OUT, CameraMove.DOLLY_OUT):
            return Pose(zoom=z ** (1.0 - e), depth=1.0 - e)
        if move in (CameraMove.PAN_LEFT, CameraMove.PAN_RIGHT):
            sgn = -1.0 if move is CameraMove.PAN_LEFT else 1.0
            return Pose(x=sgn * (2.0 * e - 1.0))
        if move is CameraMove.TRACKING:
            return Pose(x=self.sign * (2.0 * min(1.0, max(0.0, u)) - 1.0))  # steady: no easing
        if move is CameraMove.ORBIT:
            return Pose(x=self.sign * (2.0 * e - 1.0), zoom=1.0 + (z - 1.0) * math.sin(math.pi * e))
        if move in (CameraMove.TILT_UP, CameraMove.CRANE_UP):
            return Pose(y=1.0 - 2.0 * e, zoom=z, depth=e)
        if move in (CameraMove.TILT_DOWN, CameraMove.CRANE_DOWN):
            return Pose(y=2.0 * e - 1.0, zoom=z, depth=1.0 - e)
        if move is CameraMove.HANDHELD:
            w = np.sin(self._freq * (2 * math.pi * t) + self._phase) @ self._amp
            return Pose(zoom=z, shake_x=SHAKE * float(w[0]), shake_y=SHAKE * float(w[1]))
        return Pose()
