"""Procedural text-to-video scenes: a prompt read into a SceneSpec, drawn frame by frame in YUV 4:2:0."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from demo_gateway.render.actors import Cast, habitat_of
from demo_gateway.render.camera import CameraMove, CameraPath, Pose, camera_of
from demo_gateway.render.encode import FPS, Finisher, YuvFrame, half, rgb_to_yuv, scale_crop, to_u8
from demo_gateway.render.sprites import Light

if TYPE_CHECKING:
    from demo_gateway.render.styles import Style
from demo_gateway.render.subjects import Habitat, Kind, Subject, find_subjects

# --- reading the prompt ---------------------------------------------------------------------------

_TIME_EXPLICIT = {
    "night": r"night|nights|nighttime|midnight|nocturnal",
    "sunset": r"sunset|sunsets|sundown|dusk|golden hour|evening|twilight",
    "dawn": r"dawn|sunrise|daybreak|morning|first light",
    "day": r"day|daytime|noon|midday|afternoon|sunny|sunshine|bright|summer",
}
_TIME_IMPLIED = {
    "night": r"stars?|starry|starlit|moon|moonlit|moonlight|galaxy|milky way|aurora|northern lights"
    r"|fireflies|firefly|neon|cyberpunk|synthwave|vaporwave|retrowave|dark",
}
_TERRAIN = {
    "city": r"city|cities|skyline|urban|streets?|downtown|skyscrapers?|metropolis|buildings?|rooftops?"
    r"|tokyo|new york|manhattan|town",
    "forest": r"forests?|woods|woodland|trees?|jungle|pines?|grove|rainforest|taiga",
    "desert": r"deserts?|dunes?|sand|sandy|sahara|canyon|mesa",
    "mountains": r"mountains?|alps|alpine|peaks?|summit|ridges?|valley|volcano|cliffs?|glacier|himalaya",
    "hills": r"hills?|meadows?|fields?|countryside|prairie|grassland|farmland|vineyard|gardens?|parks?|lawns?"
    r"|backyard|orchard|savann?ah?|plains",
}
_TERRAIN_IMPLIED = {
    "city": r"neon|cyberpunk|synthwave|vaporwave|retrowave|blade runner",
    "forest": r"fireflies|firefly|autumn|fall foliage|elves|fairy",
    "mountains": r"snowy|winter|arctic",
    "desert": r"dust|dusty|sandstorm",
}
_WATER = r"oceans?|seas?|beach|coast|coastline|shore|seaside|waves?|lakes?|rivers?|bay|harbou?r|lagoon|water|pond|reflections?|islands?|sail(?:ing|boat)?"
_MOODS = {
    "neon": r"neon|cyberpunk|synthwave|vaporwave|retrowave|blade runner",
    "autumn": r"autumn|autumnal|fall foliage|fall|october|maple|foliage",
    "winter": r"winter|wintry|snow|snowy|snowfall|ice|icy|frozen|arctic|glacier|blizzard|frost|frosty",
    "storm": r"storm|stormy|thunder|thunderstorm|lightning|overcast|rain|rainy|raining|downpour|drizzle|cloudy|grey|gray|gloomy|monsoon",
    "misty": r"fog|foggy|mist|misty|haze|hazy|ethereal|dreamy",
}
_PARTICLES = {
    "rain": r"rain|rainy|raining|downpour|drizzle|storm|stormy|thunderstorm|monsoon|rainfall",
    "snow": r"snow|snowing|snowfall|snowflakes?|blizzard|winter|snowy|flurr(?:y|ies)",
    "fireflies": r"fireflies|firefly|glow ?worms?|fairy|fairies|magical|magic|enchanted",
    "dust": r"dust|dusty|sandstorm|pollen|motes|windy|desert|dunes?",
    "embers": r"embers?|sparks|fire|campfire|bonfire|ash|volcano|lava",
    "sparkles": r"sparkles?|sparkling|glitter|glittering|twinkl\w*|stardust|shimmer\w*",
}


def _find(text: str, pattern: str) -> int | None:
    m = re.search(rf"\b(?:{pattern})\b", text)
    return m.start() if m else None


def _earliest(text: str, table: dict[str, str]) -> str | None:
    best: tuple[int, str] | None = None
    for key, pattern in table.items():
        pos = _find(text, pattern)
        if pos is not None and (best is None or pos < best[0]):
            best = (pos, key)
    return best[1] if best else None


@dataclass(frozen=True)
class SceneSpec:
    """What the prompt asks for, read by keywords; anything unsaid is chosen from the seed."""

    time: str  # day | sunset | dawn | night
    terrain: str  # mountains | forest | desert | city | hills | islands
    water: bool  # open water with reflections
    wet: bool  # a wet street reflecting the city
    moods: frozenset[str]
    particles: frozenset[str]
    clouds: float  # 0..1 cover
    snowcaps: bool
    aurora: bool
    lightning: bool
    seed: int
    camera: CameraMove = CameraMove.DRIFT
    subjects: tuple[Subject, ...] = ()


def read_prompt(prompt: str, seed: int, *, subjects: bool = True) -> SceneSpec:
    """The scene a prompt describes; `subjects=False` leaves its subjects out (the bare landscape)."""
    text = " ".join((prompt or "").lower().split())
    pick = np.random.default_rng(seed ^ 0xC0FFEE)
    cast = find_subjects(text, seed)  # read either way: a boat still implies water
    named_terrain = _earliest(text, _TERRAIN) is not None
    moods = frozenset(k for k, p in _MOODS.items() if _find(text, p) is not None)
    particles = {k for k, p in _PARTICLES.items() if _find(text, p) is not None}
    time = _earliest(text, _TIME_EXPLICIT) or _earliest(text, _TIME_IMPLIED)
    if time is None:
        time = str(pick.choice(["day", "sunset", "dawn", "day", "sunset", "night"]))
    water = _find(text, _WATER) is not None
    # a boat, a swimming swan or a leaping whale needs water; a lighthouse stands by the sea
    needs_water = any(habitat_of(s, True) is Habitat.WATER and s.kind is not Kind.LIGHTHOUSE for s in cast)
    if needs_water or (any(s.kind is Kind.LIGHTHOUSE for s in cast) and not named_terrain):
        water = True
    terrain = _earliest(text, _TERRAIN) or _earliest(text, _TERRAIN_IMPLIED)
    if terrain is None:
        terrain = "islands" if water else str(pick.choice(["mountains", "hills", "forest", "mountains"]))
    if "snow" in particles and "rain" in particles:
        particles.discard("rain" if _find(text, _PARTICLES["snow"]) is not None else "snow")
    if (
        "dust" in particles
        and terrain != "desert"
        and _find(text, r"dust|dusty|sandstorm|pollen|motes") is None
    ):
        particles.discard("dust")
    if _find(text, r"snowy|snow-capped|snowcapped|winter|alpine|alps|himalaya|glacier") is not None:
        snowcaps = terrain == "mountains"
    else:
        snowcaps = terrain == "mountains" and "winter" in moods
    if _find(text, r"clear|cloudless|starry|stars") is not None:
        clouds = 0.12
    elif "storm" in moods:
        clouds = 0.82 if "rain" in particles else 0.7
    else:
        clouds = float(pick.uniform(0.25, 0.45))
    wet = terrain == "city" and ("rain" in particles or _find(text, r"wet|puddles?|reflections?") is not None)
    return SceneSpec(
        time=time,
        terrain=terrain,
        water=water and not wet,
        wet=wet,
        moods=moods,
        particles=frozenset(particles),
        clouds=clouds,
        snowcaps=snowcaps,
        aurora=_find(text, r"aurora|auroras|northern lights|borealis") is not None,
        lightning=_find(text, r"thunder|thunderstorm|lightning") is not None,
        seed=seed,
        camera=camera_of(text),
        subjects=cast if subjects else (),
    )


# --- palettes ---------------------------------------------------------------------------------------

_SKIES: dict[str, dict[str, tuple[float, float, float]]] = {
    "day": {
        "zenith": (34, 88, 176),
        "mid": (92, 156, 222),
        "horizon": (196, 222, 240),
        "sun": (255, 252, 238),
        "glow": (255, 236, 196),
        "haze": (168, 196, 220),
        "light": (1.0, 1.0, 1.0),
        "cloud_lit": (252, 252, 255),
        "cloud_dark": (168, 180, 200),
        "water": (28, 72, 110),
    },
    "sunset": {
        "zenith": (30, 32, 86),
        "mid": (150, 70, 112),
        "horizon": (255, 158, 78),
        "sun": (255, 232, 170),
        "glow": (255, 142, 60),
        "haze": (196, 112, 110),
        "light": (0.5, 0.36, 0.46),
        "cloud_lit": (255, 176, 120),
        "cloud_dark": (96, 62, 98),
        "water": (40, 30, 60),
    },
    "dawn": {
        "zenith": (48, 70, 140),
        "mid": (180, 140, 180),
        "horizon": (255, 208, 168),
        "sun": (255, 244, 214),
        "glow": (255, 196, 150),
        "haze": (186, 164, 186),
        "light": (0.62, 0.56, 0.68),
        "cloud_lit": (255, 214, 200),
        "cloud_dark": (132, 118, 156),
        "water": (52, 62, 100),
    },
    "night": {
        "zenith": (3, 6, 20),
        "mid": (10, 20, 50),
        "horizon": (32, 50, 92),
        "sun": (236, 240, 255),
        "glow": (110, 140, 210),
        "haze": (28, 42, 78),
        "light": (0.3, 0.36, 0.52),
        "cloud_lit": (72, 84, 116),
        "cloud_dark": (16, 20, 36),
        "water": (6, 14, 30),
    },
}
_NEON = {
    "zenith": (10, 4, 30),
    "mid": (52, 14, 86),
    "horizon": (214, 58, 146),
    "glow": (255, 70, 170),
    "haze": (118, 34, 112),
    "light": (0.3, 0.22, 0.42),
    "cloud_lit": (170, 56, 140),
    "cloud_dark": (30, 12, 46),
    "water": (16, 6, 30),
}
_STORM = {
    "day": {
        "zenith": (60, 68, 82),
        "mid": (104, 112, 126),
        "horizon": (156, 162, 170),
        "haze": (128, 136, 146),
        "light": (0.55, 0.58, 0.62),
        "cloud_lit": (150, 156, 166),
        "cloud_dark": (66, 70, 82),
        "water": (40, 50, 60),
    },
    "night": {
        "zenith": (6, 8, 14),
        "mid": (16, 20, 30),
        "horizon": (40, 46, 60),
        "haze": (30, 36, 50),
        "cloud_lit": (48, 52, 66),
        "cloud_dark": (12, 14, 22),
    },
}
_WINTER_DAY = {
    "zenith": (80, 128, 192),
    "mid": (150, 186, 226),
    "horizon": (226, 236, 248),
    "haze": (196, 212, 232),
    "water": (48, 80, 112),
}
_AUTUMN_DAY = {"horizon": (250, 206, 150), "haze": (210, 170, 134), "glow": (255, 200, 120)}

_TERRAIN_COLOURS: dict[str, tuple[float, float, float]] = {
    "mountains": (44, 56, 82),
    "forest": (14, 42, 34),
    "desert": (214, 150, 92),
    "city": (30, 32, 46),
    "hills": (44, 90, 58),
    "islands": (36, 50, 58),
}


def _palette(spec: SceneSpec) -> dict[str, np.ndarray]:
    pal = dict(_SKIES[spec.time])
    if "neon" in spec.moods:
        pal.update(_NEON)
    elif "storm" in spec.moods:
        pal.update(_STORM["night" if spec.time == "night" else "day"])
        if spec.time in ("sunset", "dawn"):
            pal["horizon"] = tuple(
                0.6 * np.array(pal["horizon"]) + 0.4 * np.array(_SKIES[spec.time]["horizon"])
            )
    elif "winter" in spec.moods and spec.time == "day":
        pal.update(_WINTER_DAY)
    elif "autumn" in spec.moods and spec.time in ("day", "sunset"):
        pal.update(_AUTUMN_DAY)
    land = np.array(_TERRAIN_COLOURS[spec.terrain], np.float32)
    if spec.terrain in ("forest", "hills") and "autumn" in spec.moods:
        land = np.array((120, 56, 30), np.float32)
    if spec.terrain in ("forest", "hills", "mountains") and "winter" in spec.moods:
        land = np.array((70, 86, 110), np.float32)
    out = {k: np.array(v, np.float32) for k, v in pal.items()}
    out["land"] = land * out["light"]
    if spec.terrain == "desert" and spec.time == "day":
        out["haze"] = 0.5 * out["haze"] + 0.5 * np.array((232, 204, 168), np.float32)
    if "misty" in spec.moods:
        out["haze"] = 0.7 * out["haze"] + 0.3 * out["horizon"]
    return out


# --- noise ------------------------------------------------------------------------------------------


def _fbm1d(
    rng: np.random.Generator, n: int, period: float, octaves: int = 5, gain: float = 0.5
) -> np.ndarray:
    """Smooth 1-D fractal noise of length n, roughly in [-1, 1]."""
    out = np.zeros(n, np.float32)
    amp, total = 1.0, 0.0
    xs = np.arange(n, dtype=np.float32)
    for _ in range(octaves):
        m = int(n / period) + 3
        pts = rng.uniform(-1.0, 1.0, m).astype(np.float32)
        u = xs / period
        i = np.floor(u).astype(np.int64)
        f = u - i
        f = f * f * (3 - 2 * f)
        out += amp * (pts[i] * (1 - f) + pts[i + 1] * f)
        total += amp
        amp *= gain
        period = max(2.0, period / 2.0)
    return out / total


def _fbm2d(
    rng: np.random.Generator,
    h: int,
    w: int,
    period_y: float,
    period_x: float,
    octaves: int = 5,
    gain: float = 0.5,
) -> np.ndarray:
    """Smooth 2-D fractal noise (h, w), roughly zero-mean, unit-ish range."""
    out = np.zeros((h, w), np.float32)
    amp, total = 1.0, 0.0
    for _ in range(octaves):
        gh, gw = max(2, int(h / period_y) + 2), max(2, int(w / period_x) + 2)
        grid = rng.uniform(-1.0, 1.0, (gh, gw)).astype(np.float32)
        im = Image.fromarray(grid, mode="F").resize(
            (w, h), Image.Resampling.BICUBIC, box=(0.5, 0.5, 0.5 + w / period_x, 0.5 + h / period_y)
        )
        out += amp * np.asarray(im, np.float32)
        total += amp
        amp *= gain
        period_x, period_y = max(2.0, period_x / 2), max(2.0, period_y / 2)
    return out / total


def _box(a: np.ndarray, k: int) -> np.ndarray:
    pad = np.pad(a, k // 2, mode="edge")
    return np.convolve(pad, np.ones(k, np.float32) / k, mode="valid")[: a.shape[0]]


def _smoothstep(e0: float, e1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - e0) / (e1 - e0), 0.0, 1.0)
    return t * t * (3 - 2 * t)


def _mix(a: np.ndarray, b: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    return a + (b - a) * t


# --- layers -----------------------------------------------------------------------------------------


@dataclass
class _Layer:
    ridge: np.ndarray  # (PW,) float frame rows of the silhouette's top edge
    top: int  # first frame row held in the fill planes (even)
    fy: np.ndarray  # (H - top, PW) uint8
    fu: np.ndarray  # ((H - top) / 2, PW / 2) uint8
    fv: np.ndarray
    shift: float  # horizontal travel over the whole clip, px
    stepped: bool = False  # integer shifts (hard vertical edges, city)
    floor: np.ndarray | None = None  # the ground line under the features (forest), for checks
    feature: float = 0.0  # the features' typical height (px)


def _planes_of(rgb: np.ndarray, dither: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Static RGB artwork to uint8 planes, with a little triangular dither against banding."""
    y, cb, cr = rgb_to_yuv(rgb)
    noise = dither.random(y.shape, np.float32) - dither.random(y.shape, np.float32)
    return to_u8(y + noise * 0.9), to_u8(half(cb)), to_u8(half(cr))


class TextScene:
    """Precomputes the static layers of a scene once; `draw(i, frame)` fills frame i."""

    def __init__(self, spec: SceneSpec, width: int, height: int, frames: int) -> None:
        self.spec = spec
        self.w, self.h, self.n = width, height, frames
        self.rng = np.random.default_rng(spec.seed)
        self.dither = np.random.default_rng(spec.seed ^ 0xD17E)
        self.pal = _palette(spec)
        self.dir = 1 if self.rng.random() < 0.5 else -1
        duration = frames / FPS
        unit = max(width, height)
        self.cam = CameraPath(spec.camera, spec.seed, duration)
        # sideways travel of the nearest layer over the clip (px), and how each depth follows it
        move, span = spec.camera, unit * max(duration, 2.0)
        self._law: tuple[float, float] = (0.0, 1.0)  # shift = travel * (a + b * parallax)
        if move is CameraMove.DRIFT:
            self.travel = 0.024 * span
        elif move in (CameraMove.PAN_LEFT, CameraMove.PAN_RIGHT):
            self.travel, self._law = min(0.05 * span, 0.35 * width), (0.75, 0.25)  # a turn: little parallax
        elif move is CameraMove.TRACKING:
            self.travel = min(0.07 * span, 0.6 * width)  # a truck: strong parallax
        elif move is CameraMove.ORBIT:
            self.travel, self._law = min(0.06 * span, 0.45 * width), (-0.3, 1.0)  # far and near part ways
        else:
            self.travel = 0.0
        if spec.water:
            self.horizon = int(height * (0.6 if width >= height else 0.62))
        elif spec.wet:
            self.horizon = int(height * (0.8 if width >= height else 0.78))
        else:
            self.horizon = int(height * 0.72)
        self.sky_shift = self._lateral(0.07 if move is CameraMove.DRIFT else 0.0)
        # dolly and crane: layers slide down with their nearness (not over open water: its rows are fixed)
        lift = {CameraMove.CRANE_UP: 0.24, CameraMove.CRANE_DOWN: 0.24}.get(move, 0.0)
        if move in (CameraMove.DOLLY_IN, CameraMove.DOLLY_OUT):
            lift = 0.1
        self.lift = 0.0 if (spec.water or spec.wet) else lift * height
        self._zoomed = self.cam.max_zoom > 1.0
        self.beacons: list[tuple[int, float, int]] = []  # blinking aviation lights (layer, y, x)
        self._build_sky()
        self.layers: list[_Layer] = self._build_layers()
        self.particles = ParticleField(
            spec.particles,
            width,
            height,
            self.rng,
            low=self.horizon - 0.25 * height,
            heavy="storm" in spec.moods,
        )
        night = spec.time == "night"
        self.finisher = Finisher(
            width, height, vignette=0.42 if night else 0.34, watermark=True, seed=spec.seed
        )
        self._xs = np.arange(width, dtype=np.float32)
        self._rows = np.arange(height, dtype=np.float32)[:, None]
        self._crows = np.arange(height // 2, dtype=np.float32)[:, None]
        if spec.water or spec.wet:
            self._build_water()
        self._flashes = self._lightning_times() if spec.lightning else []
        self.stage: _Layer | None = None
        self.cast: Cast | None = None
        self.style: Style | None = None  # a whole-picture look (comic, watercolour...) applied last
        if spec.subjects:
            self._build_cast()

    # ---- subjects ----
    def _build_cast(self) -> None:
        spec, pal, h = self.spec, self.pal, self.h
        rng = np.random.default_rng(spec.seed ^ 0xCA57)
        night = spec.time == "night" or "neon" in spec.moods
        gain = 0.55 + 0.45 * pal["light"]
        light = Light(
            gain=(float(gain[0]), float(gain[1]), float(gain[2])),
            haze=tuple(float(c) for c in pal["haze"]),  # type: ignore[arg-type]
            haze_amt=0.12 if "misty" in spec.moods else 0.06,
            night=night,
            rim=tuple(float(c) for c in pal["glow"]),  # type: ignore[arg-type]
        )
        grounded = [s for s in spec.subjects if habitat_of(s, spec.water) is Habitat.GROUND]
        ground = h * (0.86 if not (spec.water or spec.wet) else 0.9)
        if grounded:
            self.stage = self._build_stage(ground - 0.035 * h, grounded)
        self.cast = Cast(
            spec.subjects,
            self.w,
            h,
            self.n / FPS,
            light,
            rng,
            horizon=self.horizon,
            ground=ground,
            water=spec.water,
        )

    def _build_stage(self, top_y: float, grounded: list[Subject]) -> _Layer:
        """The near ground the subjects stand on: grass, sand, snow, a street, a road or a table top."""
        spec, pal, h, rng = self.spec, self.pal, self.h, self.rng
        shift = self._lateral(1.0)
        pw = self._pano_width(shift)
        table = all(s.kind in (Kind.CUP, Kind.CAKE, Kind.ROUND) for s in grounded)
        road = any(s.kind is Kind.VEHICLE for s in grounded)
        flat = table or road or spec.terrain == "city"
        ridge = np.full(pw, top_y, np.float32)
        if not flat:
            ridge = ridge - 0.02 * h * _fbm1d(rng, pw, 0.9 * h, 3)
        light = pal["light"]
        if table:
            base = np.array((120, 80, 52), np.float32) * (0.5 + 0.5 * light)
        elif spec.terrain == "city" or road:
            base = np.array((62, 64, 72), np.float32) * (0.55 + 0.45 * light)
        elif "winter" in spec.moods or spec.snowcaps:
            base = np.array((226, 232, 244), np.float32) * (0.45 + 0.55 * light)
        elif spec.terrain == "desert" or spec.water:
            base = np.array((214, 184, 136), np.float32) * (0.5 + 0.5 * light)
        elif "autumn" in spec.moods:
            base = np.array((150, 96, 46), np.float32) * (0.5 + 0.5 * light)
        else:
            base = np.array((70, 118, 58), np.float32) * (0.5 + 0.5 * light)
        fill, top = self._fill(ridge, base, mist=0.0, rim=0.25, tex=0.05 if table else 0.1)
        ys = np.arange(top, h, dtype=np.float32)[:, None]
        depth = np.clip((ys - ridge[None, :]) / max(1.0, h - top_y), 0, 1)
        fill = fill * (1.0 - 0.35 * depth)[..., None]  # darker towards the camera
        fill = _mix(fill, pal["haze"], (0.18 * (1 - depth))[..., None])
        if road and not table:
            # a lane line along the road: dashes at the subjects' feet
            y0 = int(top_y + 0.075 * h) - top
            dash = ((np.arange(pw) // int(0.04 * h)) % 2 == 0)[None, :]
            lw = max(2, int(0.006 * h))
            fill[y0 : y0 + lw] = np.where(
                dash[..., None], np.array((230, 220, 170), np.float32) * light, fill[y0 : y0 + lw]
            )
        if table:
            fill[: max(2, int(0.006 * h))] *= 1.25  # the table's lit front edge
        return self._finish_layer(ridge, fill, top, shift)

    def _draw_cast(self, f: YuvFrame, s: float, pose: Pose, t: float, u: float) -> None:
        if self.stage is not None:
            drop = int(round(pose.depth * self.lift / 2)) * 2 if self.lift else 0
            self._draw_layer(f, self.stage, self._offset(self.stage.shift, s), drop)
        if self.cast is None:
            return

        def offset(par: float) -> float:
            shift = self._lateral(par)
            return self._offset(shift, s) - self._offset(shift, 0.5)

        def drop_of(par: float) -> int:
            return int(round(pose.depth * self.lift * par * par / 2)) * 2 if self.lift else 0

        self.cast.draw(f, t, u, offset, drop_of)

    # ---- sky ----
    def _build_sky(self) -> None:
        spec, pal, rng = self.spec, self.pal, self.rng
        h = self.h
        pw = self.w + 2 * (int(math.ceil(abs(self.sky_shift))) // 2 + 2)
        self.sky_pw = pw
        hz = float(self.horizon)
        v = np.clip(np.arange(h, dtype=np.float32) / hz, 0.0, 1.4)[:, None, None]
        t1 = _smoothstep(0.0, 0.62, v)
        t2 = _smoothstep(0.45, 1.0, v) ** 1.3
        col = _mix(_mix(pal["zenith"], pal["mid"], t1), pal["horizon"], t2)
        sky = np.broadcast_to(col, (h, pw, 3)).astype(np.float32)
        xs = np.arange(pw, dtype=np.float32)[None, :]
        ys = np.arange(h, dtype=np.float32)[:, None]
        unit = float(max(self.w, self.h))

        # sun or moon
        hidden = "storm" in spec.moods and spec.clouds > 0.6
        self.sun = None
        sx = pw * float(rng.uniform(0.28, 0.72))
        if spec.time == "night":
            sy = hz * float(rng.uniform(0.22, 0.42))
            radius = 0.028 * unit
        elif spec.time == "day":
            sy = hz * float(rng.uniform(0.18, 0.34))
            radius = 0.03 * unit
        else:
            sy = hz - 0.07 * self.h * float(rng.uniform(0.6, 1.3))
            radius = 0.042 * unit
        if not hidden:
            self.sun = (sx, sy, radius)
            d = np.sqrt((xs - sx) ** 2 + (ys - sy) ** 2) / unit
            glow_amt = {"day": 0.55, "sunset": 1.0, "dawn": 0.85, "night": 0.35}[spec.time]
            if "neon" in spec.moods:
                glow_amt *= 0.5
            glow = glow_amt * (0.55 * np.exp(-d / 0.035) + 0.45 * np.exp(-d / 0.2))
            sky = sky + pal["glow"] * glow[..., None] * 0.6
        if spec.time in ("sunset", "dawn") or "neon" in spec.moods:
            band = np.exp(-(((ys - hz) / (0.09 * self.h)) ** 2))
            sidefall = np.exp(-np.abs(xs - sx) / (0.7 * self.w)) if self.sun else 0.6
            sky = sky + pal["glow"] * (band * sidefall * 0.35)[..., None]

        # stars
        self.stars = None
        if spec.time == "night" and spec.clouds < 0.7:
            count = int(pw * hz / 650)
            sy_ = rng.uniform(0, hz * 0.95, count)
            sx_ = rng.uniform(0, pw - 1, count)
            b = 30 + 225 * rng.random(count) ** 5
            b *= np.clip(1.15 - sy_ / hz, 0.0, 1.0) ** 0.7
            iy, ix = sy_.astype(np.int64), sx_.astype(np.int64)
            tint = np.array((0.92, 0.95, 1.0), np.float32) + rng.uniform(-0.08, 0.08, (count, 1)).astype(
                np.float32
            )
            np.add.at(sky, (iy, ix), b[:, None].astype(np.float32) * tint)
            big = b > 150
            for dy, dx in ((0, 1), (1, 0), (0, -1), (-1, 0)):
                yy = np.clip(iy[big] + dy, 0, h - 1)
                xx = np.clip(ix[big] + dx, 0, pw - 1)
                np.add.at(sky, (yy, xx), (0.3 * b[big])[:, None].astype(np.float32) * tint[big])
            tw = b > 70
            self.stars = (
                iy[tw],
                ix[tw],
                (0.45 * b[tw] * 219 / 255).astype(np.float32),
                rng.uniform(0, 6.28, tw.sum()),
            )
            if spec.terrain != "city" and not spec.water and "storm" not in spec.moods:
                # a faint milky band across the sky
                mw = _fbm2d(rng, h // 4, pw // 4, 20, 30, 4)
                mw_im = np.asarray(
                    Image.fromarray(mw, "F").resize((pw, h), Image.Resampling.BILINEAR), np.float32
                )
                cy = hz * 0.35 + (xs - pw / 2) * 0.35
                band = np.exp(-(((ys - cy) / (0.14 * self.h)) ** 2)) * np.clip(mw_im + 0.4, 0, 1)
                sky = sky + np.array((30, 32, 46), np.float32) * band[..., None]

        if spec.aurora and spec.time == "night":
            # two or three soft curtains: a bright lower hem, rays fading upwards, slow folds
            for c in range(int(rng.integers(2, 4))):
                base = (
                    hz * float(rng.uniform(0.3, 0.6))
                    + 0.12 * self.h * _fbm1d(rng, pw, 0.6 * self.w, 3)[None, :]
                )
                inten = np.clip(_fbm1d(rng, pw, 0.35 * self.w, 3) * 1.8 + 0.35, 0, 1)[None, :] ** 1.3
                height = 0.25 * self.h * float(rng.uniform(0.7, 1.2))
                up = np.clip((base - ys) / height, 0, 1)
                below = np.clip((ys - base) / (0.02 * self.h), 0, None)
                curtain = np.where(ys < base, (1.0 - up) ** 1.6, np.exp(-(below**2)))
                rays = 0.75 + 0.25 * _fbm1d(rng, pw, 14.0, 2)[None, :]
                a = (curtain * inten * rays)[..., None] * (0.8 if c == 0 else 0.5)
                colour = _mix(
                    np.array((60, 240, 140), np.float32),
                    np.array((140, 60, 230), np.float32),
                    up[..., None] ** 0.8,
                )
                sky = sky + colour * a * 0.7

        # the sun/moon disc, after the glow
        if self.sun is not None:
            sx, sy, radius = self.sun
            d = np.sqrt((xs - sx) ** 2 + (ys - sy) ** 2)
            disc = np.clip((radius - d) / 1.6 + 0.5, 0.0, 1.0)
            if spec.time == "night":
                mare = _fbm2d(rng, h // 2, pw // 2, radius / 2, radius / 2, 3)
                mare = np.asarray(
                    Image.fromarray(mare, "F").resize((pw, h), Image.Resampling.BILINEAR), np.float32
                )
                moon = pal["sun"] * (0.9 + 0.1 * np.clip(mare * 2.5, -1, 1))[..., None]
                if rng.random() < 0.45:  # a crescent
                    d2 = np.sqrt((xs - sx - radius * 0.55) ** 2 + (ys - sy + radius * 0.25) ** 2)
                    disc = disc * np.clip((d2 - radius * 0.95) / 1.6 + 0.5, 0.0, 1.0)
                sky = _mix(sky, moon, disc[..., None])
            else:
                limb = np.clip(1.0 - 0.12 * (d / radius) ** 2, 0.8, 1.0)
                sky = _mix(sky, pal["sun"] * limb[..., None] * 1.04, disc[..., None])

        # clouds: a domain-warped fractal density, lit on the side facing the light
        if spec.clouds > 0.05:
            cw, ch = pw // 3, h // 3
            big = _fbm2d(rng, ch, cw, 0.3 * self.h / 3, 0.55 * self.w / 3, 2)
            n = _fbm2d(rng, ch, cw, 0.18 * self.h / 3, 0.32 * self.w / 3, 6, 0.52)
            warp = _fbm2d(rng, ch, cw, 0.2 * self.h / 3, 0.3 * self.w / 3, 3)
            shift = np.clip(np.arange(cw)[None, :] + (warp * 0.08 * self.w).astype(np.int64), 0, cw - 1)
            n = np.take_along_axis(n, shift, axis=1) + 0.7 * big
            v_lo = np.arange(ch, dtype=np.float32)[:, None] * 3 / hz
            env = _smoothstep(0.0, 0.15, v_lo) * (1.0 - _smoothstep(0.55, 1.0, v_lo))
            if spec.clouds > 0.6:
                env = 0.4 + 0.6 * _smoothstep(-0.1, 0.3, v_lo) * (1.0 - 0.5 * _smoothstep(0.7, 1.05, v_lo))
            th = float(np.quantile(n[env[:, 0] > 0.5] if np.any(env > 0.5) else n, 1.0 - spec.clouds))
            dens = _smoothstep(th - 0.02, th + 0.22, n) * env
            # light: compare the density a little towards the light with the density here
            k = max(2, ch // 40)
            toward = np.empty_like(dens)
            if spec.time in ("sunset", "dawn"):  # lit from below, near the horizon
                toward[:-k] = dens[k:]
                toward[-k:] = dens[-1:]
            else:  # lit from above
                toward[k:] = dens[:-k]
                toward[:k] = dens[:1]
            lit = np.clip(
                0.62 + 1.4 * (dens - toward) - 0.25 * dens + 0.12 * _fbm2d(rng, ch, cw, 8, 14, 3), 0, 1
            )
            up = (pw, h)
            dens = np.asarray(
                Image.fromarray(dens.astype(np.float32), "F").resize(up, Image.Resampling.BICUBIC), np.float32
            )
            lit = np.asarray(
                Image.fromarray(lit.astype(np.float32), "F").resize(up, Image.Resampling.BICUBIC), np.float32
            )
            if self.sun is not None:
                sx, sy, _ = self.sun
                near = np.exp(-np.sqrt((xs - sx) ** 2 + (ys - sy) ** 2) / (0.22 * unit))
                lit = lit + 0.45 * near * (1.0 - np.clip(dens, 0, 1))  # silver linings near the sun
            lit = np.clip(lit, 0.0, 1.0)
            ccol = _mix(pal["cloud_dark"], pal["cloud_lit"], lit[..., None])
            opacity = 0.95 if spec.clouds > 0.6 else (0.7 if spec.time == "night" else 0.88)
            alpha = np.clip(dens * opacity, 0, 1)[..., None]
            sky = _mix(sky, ccol, alpha)
            if self.stars is not None:
                iy, ix, b, ph = self.stars
                keep = dens[iy, ix] < 0.25
                self.stars = (iy[keep], ix[keep], b[keep], ph[keep])

        self.sky_y, self.sky_u, self.sky_v = _planes_of(sky, self.dither)

    # ---- silhouettes ----
    def _build_layers(self) -> list[_Layer]:
        spec = self.spec
        water = spec.water
        builders = {
            "mountains": self._mountains,
            "forest": self._forest,
            "desert": self._dunes,
            "city": self._city,
            "hills": self._hills,
            "islands": self._islands,
        }
        return builders[spec.terrain](water)

    def _layer_colour(self, k: int, n: int) -> np.ndarray:
        t = ((k + 1) / n) ** 1.15
        return _mix(self.pal["haze"], self.pal["land"], t)

    def _finish_layer(
        self, ridge: np.ndarray, fill_rgb: np.ndarray, top: int, shift: float, stepped=False
    ) -> _Layer:
        fy, fu, fv = _planes_of(fill_rgb, self.dither)
        return _Layer(
            ridge=ridge.astype(np.float32), top=top, fy=fy, fu=fu, fv=fv, shift=shift, stepped=stepped
        )

    def _lateral(self, par: float) -> float:
        """The signed sideways travel over the clip (px) of a layer at this parallax (1 = nearest)."""
        a, b = self._law
        return self.travel * (a + b * par)

    @staticmethod
    def _offset(shift: float, s: float) -> float:
        """A layer's panorama offset at travel fraction s (its panorama covers 0..|shift|)."""
        return s * shift if shift >= 0 else (1.0 - s) * -shift

    def _pano_width(self, shift: float) -> int:
        return self.w + 2 * (int(math.ceil(abs(shift))) // 2 + 3)

    def _fill(
        self,
        ridge: np.ndarray,
        colour: np.ndarray,
        *,
        mist: float,
        rim: float,
        tex: float,
        top: int | None = None,
    ) -> tuple[np.ndarray, int]:
        """Common shading under a ridge: rim light, texture, mist towards the bottom."""
        h = self.h
        if top is None:
            top = max(0, int(np.floor(ridge.min())) - 2)
        top -= top % 2
        pw = ridge.shape[0]
        ys = np.arange(top, h, dtype=np.float32)[:, None]
        d = ys - ridge[None, :]
        fill = np.broadcast_to(colour, (h - top, pw, 3)).astype(np.float32)
        if tex > 0:
            noise = _fbm2d(self.rng, (h - top) // 2 + 1, pw // 2 + 1, 24, 40, 4)
            noise = np.asarray(
                Image.fromarray(noise, "F").resize((pw, h - top), Image.Resampling.BILINEAR), np.float32
            )
            fill = fill * (1.0 + tex * noise)[..., None]
        if rim > 0:
            rim_col = self.pal["glow"] if self.spec.time != "day" else self.pal["horizon"]
            fill = fill + rim_col * (rim * np.exp(-np.clip(d, 0, None) / 3.0))[..., None]
        if mist > 0:
            base = float(np.median(ridge))
            m = _smoothstep(base - 0.02 * h, base + 0.25 * h, ys) * mist
            fill = _mix(fill, self.pal["haze"], np.broadcast_to(m, d.shape)[..., None])
        return fill, top

    def _mountains(self, water: bool) -> list[_Layer]:
        h, rng, spec = self.h, self.rng, self.spec
        hz = self.horizon
        if water:
            specs = [(0.12, hz - 0.1 * h, 0.1 * h, 0.9), (0.3, hz - 0.03 * h, 0.05 * h, 0.6)]
        else:
            specs = [
                (0.12, hz - 0.3 * h, 0.16 * h, 1.0),
                (0.28, hz - 0.19 * h, 0.13 * h, 0.8),
                (0.55, hz - 0.06 * h, 0.1 * h, 0.6),
                (1.0, hz + 0.1 * h, 0.08 * h, 0.5),
            ]
        layers = []
        n = len(specs)
        mist = 0.75 if "misty" in spec.moods else 0.45
        for k, (par, mean, amp, scale) in enumerate(specs):
            shift = self._lateral(par)
            pw = self._pano_width(shift)
            ridged = 1.0 - np.abs(_fbm1d(rng, pw, 0.55 * h * scale, 6, 0.5)) * 2.2
            smooth = _fbm1d(rng, pw, 0.9 * h * scale, 3)
            f = 0.6 * ridged + 0.8 * smooth
            f = (f - f.mean()) / (np.abs(f - f.mean()).max() + 1e-6)
            ridge = mean - amp * f
            colour = self._layer_colour(k, n)
            fill, top = self._fill(ridge, colour, mist=mist, rim=0.18, tex=0.07)
            # faces lit by the sun or moon, their edges running diagonally down from the peaks
            sun_x = self.sun[0] if self.sun else self.sky_pw / 2
            side = 1.0 if sun_x > self.sky_pw / 2 else -1.0
            slope = np.gradient(_box(ridge, 17))
            ys = np.arange(top, h, dtype=np.float32)[:, None]
            depth = np.clip(ys - ridge[None, :], 0, None)
            skew = float(rng.uniform(0.45, 0.9)) * (1 if rng.random() < 0.5 else -1)
            xi = np.clip(np.arange(pw)[None, :] - depth * skew, 0, pw - 1).astype(np.int64)
            facing = (np.tanh(slope * 2.5) * side)[xi]
            gully = _fbm2d(rng, h - top, pw, 0.1 * h, 12.0, 3)
            facing = np.clip(facing + 0.25 * gully, -1, 1)
            fill = fill * (1.0 + 0.2 * facing * np.exp(-depth / (0.3 * h)))[..., None]
            if spec.snowcaps:
                line = mean - 0.15 * amp + 0.3 * amp * _fbm1d(rng, pw, 0.3 * h, 3)[None, :]
                edge = line - ys + gully * 0.05 * h
                snow = _smoothstep(-4.0, 4.0, edge) * _smoothstep(-2.0, 0.0, ys - ridge[None, :])
                bright = np.array((238, 242, 252), np.float32) * np.maximum(self.pal["light"], 0.32)
                warm = _mix(bright, self.pal["glow"] * np.maximum(self.pal["light"], 0.32) * 1.2, 0.35)
                cool = bright * np.array((0.6, 0.68, 0.86), np.float32)
                snow_col = _mix(cool, warm, (0.5 + 0.5 * facing)[..., None])
                snow_col = _mix(snow_col, self.pal["haze"], 0.85 * (1.0 - ((k + 1) / n) ** 0.7))
                fill = _mix(fill, snow_col, (snow * 0.95)[..., None])
            layers.append(self._finish_layer(ridge, fill, top, shift))
        return layers

    def _hills(self, water: bool) -> list[_Layer]:
        h, rng = self.h, self.rng
        hz = self.horizon
        layers = self._mountains(water)[:1] if not water else []
        specs = [
            (0.3, hz - 0.08 * h, 0.05 * h),
            (0.6, hz + 0.02 * h, 0.06 * h),
            (1.0, hz + 0.14 * h, 0.07 * h),
        ]
        if water:
            specs = [(0.3, hz - 0.025 * h, 0.025 * h)]
        n = len(specs) + 1
        for k, (par, mean, amp) in enumerate(specs, start=1):
            shift = self._lateral(par)
            pw = self._pano_width(shift)
            f = _fbm1d(rng, pw, 0.8 * h, 4)
            ridge = mean - amp * f / (np.abs(f).max() + 1e-6)
            fill, top = self._fill(ridge, self._layer_colour(k, n), mist=0.35, rim=0.12, tex=0.1)
            layers.append(self._finish_layer(ridge, fill, top, shift))
        return layers

    def _islands(self, water: bool) -> list[_Layer]:
        h, rng = self.h, self.rng
        hz = self.horizon
        layers = []
        for k, (par, amp, cover) in enumerate([(0.1, 0.07 * h, 0.45), (0.2, 0.04 * h, 0.3)]):
            shift = self._lateral(par)
            pw = self._pano_width(shift)
            f = _fbm1d(rng, pw, 0.6 * h, 5)
            th = float(np.quantile(f, 1 - cover))
            land = np.clip((f - th) / (f.max() - th + 1e-6), 0, 1) ** 0.7
            ridge = hz + 1.5 - amp * land
            fill, top = self._fill(
                ridge,
                _mix(self.pal["haze"], self.pal["land"], 0.75 + 0.25 * k),
                mist=0.2,
                rim=0.15,
                tex=0.05,
                top=int(hz - amp - 4),
            )
            layers.append(self._finish_layer(ridge, fill, top, shift))
        return layers

    def _forest(self, water: bool) -> list[_Layer]:
        h, rng = self.h, self.rng
        hz = self.horizon
        if water:
            specs = [(0.15, hz - 0.005 * h, 0.06 * h), (0.3, hz + 0.004 * h, 0.09 * h)]
        else:
            specs = [
                (0.15, hz - 0.12 * h, 0.1 * h),
                (0.32, hz - 0.04 * h, 0.14 * h),
                (0.6, hz + 0.06 * h, 0.2 * h),
                (1.0, hz + 0.2 * h, 0.3 * h),
            ]
        layers = []
        n = len(specs)
        mist = 0.8 if "misty" in self.spec.moods else 0.6
        for k, (par, ground, tree_h) in enumerate(specs):
            shift = self._lateral(par)
            pw = self._pano_width(shift)
            xs = np.arange(pw, dtype=np.float32)
            ground_line = ground - 0.03 * h * _fbm1d(rng, pw, 0.7 * h, 3)
            ridge = ground_line.copy()
            x = float(rng.uniform(-20, 0))
            while x < pw + 40:
                th = tree_h * float(rng.uniform(0.55, 1.15))
                hw = th * float(rng.uniform(0.17, 0.24))
                # the flanks run on down to the ground: cut at the half-width they would end in a
                # vertical wall a quarter of the tree's height tall (a rectangular notch between trees)
                reach = hw * 1.5
                lo, hi = int(max(0, x - reach)), int(min(pw, x + reach + 1))
                if hi > lo:
                    dx = np.abs(xs[lo:hi] - x)
                    tier = hw / float(rng.integers(3, 6))
                    saw = (dx % tier) / tier
                    top = ground_line[int(min(pw - 1, max(0, x)))] - th
                    # the tiers' serrations fade out towards the foot, so no notch cuts to the ground
                    base = dx / hw
                    prof = top + base * th * (0.75 + 0.35 * saw * np.clip(1.2 - base, 0.0, 1.0))
                    ridge[lo:hi] = np.minimum(ridge[lo:hi], prof)
                x += (
                    hw * float(rng.uniform(0.8, 1.6))
                    if rng.random() < 0.85
                    else hw * float(rng.uniform(2.0, 4.0))
                )
            fill, top = self._fill(ridge, self._layer_colour(k, n), mist=mist, rim=0.1, tex=0.08)
            layer = self._finish_layer(ridge, fill, top, shift)
            layer.floor, layer.feature = ground_line.astype(np.float32), tree_h
            layers.append(layer)
        return layers

    def _dunes(self, water: bool) -> list[_Layer]:
        h, rng = self.h, self.rng
        hz = self.horizon
        if water:
            specs = [(0.15, hz - 0.02 * h, 0.03 * h)]
        else:
            specs = [
                (0.12, hz - 0.09 * h, 0.05 * h),
                (0.4, hz + 0.0 * h, 0.07 * h),
                (1.0, hz + 0.13 * h, 0.1 * h),
            ]
        layers = []
        n = len(specs)
        lit = np.array(
            {
                "day": (250, 214, 160),
                "sunset": (255, 160, 100),
                "dawn": (240, 186, 160),
                "night": (104, 116, 150),
            }[self.spec.time],
            np.float32,
        )
        shadow = self.pal["land"] * (
            np.array((0.55, 0.6, 0.8), np.float32) if self.spec.time == "night" else 0.62
        )
        sun_x = self.sun[0] if self.sun else self.sky_pw * 0.3
        side = 1.0 if sun_x > self.sky_pw / 2 else -1.0
        for k, (par, mean, amp) in enumerate(specs):
            shift = self._lateral(par)
            pw = self._pano_width(shift)
            xs = np.arange(pw, dtype=np.float32)
            period = 0.9 * h * float(rng.uniform(0.8, 1.2)) * (0.7 + 0.3 * k)
            phase = xs / period * 2 * np.pi + 1.2 * _fbm1d(rng, pw, period, 2)
            f = np.sin(phase) + 0.35 * np.sin(2 * phase + 1.0)
            f = f + 0.5 * _fbm1d(rng, pw, 0.5 * period, 3)
            ridge = mean - amp * f / (np.abs(f).max() + 1e-6)
            depth_t = ((k + 1) / n) ** 1.15
            base_col = _mix(self.pal["haze"], _mix(shadow, lit, 0.45), depth_t)
            fill, top = self._fill(ridge, base_col, mist=0.25, rim=0.1, tex=0.02)
            # lit and shadowed faces, their boundary running diagonally down from each crest
            ys = np.arange(top, h, dtype=np.float32)[:, None]
            depth = np.clip(ys - ridge[None, :], 0, None)
            slope = np.gradient(_box(ridge, 9))
            skew = 0.9 * side
            xi = np.clip(np.arange(pw)[None, :] + depth * skew, 0, pw - 1).astype(np.int64)
            face = np.tanh(-slope * side * 3.0)[xi]  # +1 facing the light
            face = face * np.exp(-depth / (0.35 * h))
            lit_k = _mix(self.pal["haze"], lit, depth_t)
            dark_k = _mix(self.pal["haze"], shadow, depth_t)
            t_face = (0.5 + 0.5 * face)[..., None]
            fill = _mix(fill, _mix(dark_k, lit_k, t_face), 0.7)
            ripples = 1.0 + 0.02 * np.sin(depth * 0.45 + 4.0 * _fbm2d(rng, h - top, pw, 40, 80, 2))
            fill = fill * ripples[..., None]
            layers.append(self._finish_layer(ridge, fill, top, shift))
        return layers

    def _city(self, water: bool) -> list[_Layer]:
        h, rng, spec = self.h, self.rng, self.spec
        hz = self.horizon
        neon = "neon" in spec.moods
        night = spec.time == "night" or neon
        if water or spec.wet:
            specs = (
                [(0.18, 0.34, 0.7), (0.45, 0.24, 0.85), (1.0, 0.16, 1.0)]
                if spec.wet
                else [(0.15, 0.22, 0.6), (0.35, 0.14, 0.75)]
            )
            ground = [hz + 1] * len(specs)
        else:
            specs = [(0.15, 0.4, 0.7), (0.4, 0.3, 0.85), (1.0, 0.22, 1.0)]
            ground = [hz - 0.02 * h, hz + 0.06 * h, h + 2]
        n = len(specs)
        if neon:
            window_cols = np.array(
                [(255, 70, 190), (70, 220, 255), (255, 196, 90), (160, 110, 255)], np.float32
            )
        else:
            window_cols = np.array([(255, 206, 130), (255, 226, 170), (200, 224, 255)], np.float32)
        lit_p = 0.32 if night else (0.12 if spec.time in ("sunset", "dawn") else 0.0)
        layers = []
        for k, (par, tall, size) in enumerate(specs):
            shift = self._lateral(par)
            pw = self._pano_width(shift)
            base = ground[k]
            ridge = np.full(pw, float(base), np.float32)
            col = self._layer_colour(k, n) * (1.35 if night else 1.0)
            top = max(0, int(base - tall * h * 1.6) - 8)
            top -= top % 2
            fill = np.broadcast_to(col, (h - top, pw, 3)).astype(np.float32).copy()
            ys = np.arange(top, h, dtype=np.float32)[:, None]
            x = int(rng.integers(-30, 0))
            win = max(2, int(round(0.0042 * h * size * 1.6)))
            while x < pw:
                bw = int(h * float(rng.uniform(0.05, 0.12)) * size)
                bh = h * tall * float(rng.uniform(0.35, 1.0)) * (1.5 if rng.random() < 0.12 else 1.0)
                x0, x1 = max(0, x), min(pw, x + bw)
                if x1 - x0 > 3:
                    btop = base - bh
                    ridge[x0:x1] = np.minimum(ridge[x0:x1], btop)
                    tone = float(rng.uniform(0.85, 1.12))
                    r0 = int(max(top, btop)) - top
                    fill[r0:, x0:x1] *= tone
                    if rng.random() < 0.35 and x1 - x0 > 12:  # a setback crown
                        cw = (x1 - x0) // 3
                        c0 = x0 + (x1 - x0 - cw) // 2
                        ridge[c0 : c0 + cw] = np.minimum(ridge[c0 : c0 + cw], btop - bh * 0.08)
                        if rng.random() < 0.5:  # an antenna
                            ax = c0 + cw // 2
                            ridge[ax : ax + 2] = np.minimum(ridge[ax : ax + 2], btop - bh * 0.2)
                            if night:
                                self.beacons.append((k, btop - bh * 0.2 + 1, ax))
                    # windows
                    if lit_p > 0 or spec.time == "day":
                        sx, sy = win * 2 + 1, int(win * 2.6)
                        wy0 = int(btop + sy) - top
                        rows_n = max(0, (h - top - wy0) // sy)
                        cols_n = max(0, (x1 - x0 - win) // sx)
                        if rows_n and cols_n:
                            on = rng.random((rows_n, cols_n)) < (lit_p if lit_p > 0 else 0.5)
                            pick = rng.integers(0, len(window_cols), (rows_n, cols_n))
                            bright = rng.uniform(0.55, 1.0, (rows_n, cols_n))
                            haze = 1.0 - ((k + 1) / n) ** 0.8
                            for rr, cc in zip(*np.nonzero(on), strict=True):
                                yy = wy0 + rr * sy
                                xx = x0 + win // 2 + 1 + cc * sx
                                if lit_p > 0:
                                    c = window_cols[pick[rr, cc]] * bright[rr, cc]
                                    c = _mix(c, self.pal["haze"], haze * 0.6)
                                else:
                                    c = fill[yy, xx] * 1.25 + self.pal["zenith"] * 0.1
                                fill[yy : yy + int(win * 1.4), xx : xx + win] = c
                    if neon and k == n - 1 and rng.random() < 0.3 and x1 - x0 > 20:  # a vertical neon sign
                        sc = window_cols[int(rng.integers(0, 2))]
                        sx0 = x0 + int((x1 - x0) * 0.2)
                        sy0 = int(btop + bh * 0.15) - top
                        sy1 = sy0 + int(bh * float(rng.uniform(0.2, 0.4)))
                        sw = max(3, win + 2)
                        fill[sy0 - 3 : sy1 + 3, sx0 - 3 : sx0 + sw + 3] = _mix(
                            fill[sy0 - 3 : sy1 + 3, sx0 - 3 : sx0 + sw + 3], sc, 0.45
                        )
                        fill[sy0:sy1, sx0 : sx0 + sw] = sc * 1.05
                x += bw + int(rng.integers(0, max(2, int(6 * size))))
            # atmosphere: glow at the base, haze
            glow_col = self.pal["glow"] if night else self.pal["haze"]
            g = _smoothstep(base - tall * h * 0.9, base, ys) * (0.5 if night else 0.35) * (1.0 - 0.4 * k / n)
            fill = (
                fill + (glow_col * 0.45 - fill * 0.25) * g[..., None]
                if night
                else _mix(fill, glow_col, g[..., None])
            )
            # rooftop rim light from the sky behind
            depth = np.clip(ys - ridge[None, :], 0, None)
            rim_col = self.pal["glow"] if night or spec.time != "day" else self.pal["horizon"]
            fill = fill + rim_col * (0.22 * np.exp(-depth / 2.0))[..., None]
            layers.append(self._finish_layer(ridge, fill, top, shift, stepped=True))
        return layers

    # ---- water ----
    def _build_water(self) -> None:
        h, w, hz = self.h, self.w, self.horizon
        rng = self.rng
        rows = h - hz
        j = np.arange(rows, dtype=np.float32)
        depth = (j + 1.0) / rows  # 0 at the horizon, 1 at the bottom
        wet = self.spec.wet
        self.w_depth = depth
        self.w_src = (hz - 1 - np.floor(j * (0.3 if wet else 0.75))).astype(np.int64)
        self.w_amp = ((1.0 + 2.5 * depth) if wet else (2.5 + 12.0 * depth**1.3)).astype(np.float32)
        self.w_rowfreq = rng.uniform(1.5, 4.0, rows).astype(np.float32)
        self.w_rowphase = rng.uniform(0, 6.28, rows).astype(np.float32)
        self.w_swell = (22.0 / (0.08 + depth)).astype(np.float32)  # perspective: waves bunch up far away
        refl = (0.8 - 0.38 * depth) if not wet else (0.62 - 0.25 * depth)
        self.w_refl = refl.astype(np.float32)[:, None]
        wy, wu, wv = rgb_to_yuv(self.pal["water"])
        self.w_col = (float(wy), float(wu), float(wv))
        streak = _fbm2d(rng, rows, w + 64, 1.5, 60, 3)
        self.w_streak = (streak * (4.0 + 9.0 * depth[:, None])).astype(np.float32)
        self.w_cidx = np.arange(w // 2, dtype=np.int64)[None, :]
        self.w_xidx = np.arange(w, dtype=np.int64)[None, :]
        self.glint = None
        if self.sun is not None and not wet:
            # glitter on the sun's path: 8 precomputed twinkle phases over a window of columns
            # (in sky-panorama coordinates, so the path follows the sun as the camera drifts)
            widths = (0.015 + 0.14 * depth[:, None]) * w * (1.5 if self.spec.time == "day" else 1.0)
            half_w = int(2.2 * float(widths.max()))
            cx = int(self.sun[0])
            x0, x1 = max(0, cx - half_w), min(self.sky_pw, cx + half_w)
            cols = np.arange(x0, x1, dtype=np.float32)[None, :]
            near = np.exp(-(((cols - self.sun[0]) / widths) ** 2))
            n4 = (x1 - x0) // 4 + 1
            dash = np.repeat(rng.random((rows, n4), np.float32), 4, axis=1)[:, : x1 - x0]
            phase = np.repeat(rng.uniform(0, 6.28, (rows, n4)).astype(np.float32), 4, axis=1)[:, : x1 - x0]
            self.glint = [
                (
                    near * np.clip(dash * (0.5 + 0.5 * np.sin(phase + k * 0.785)) - 0.6, 0, None) * 420.0
                ).astype(np.float32)
                for k in range(8)
            ]
            self.glint_x = (x0, x1)

    def _draw_water(self, f: YuvFrame, t: float, sky_off: int) -> None:
        h, w, hz = self.h, self.w, self.horizon
        jitter = 0.15 if self.spec.wet else 0.75  # a wet street shimmers; open water breaks up
        dx = self.w_amp * (
            0.55 * np.sin(self.w_swell * 0.35 - t * 1.7)
            + jitter * np.sin(self.w_rowfreq * t + self.w_rowphase)
        )
        dxi = np.rint(dx).astype(np.int64)
        cols = np.clip(self.w_xidx + dxi[:, None], 0, w - 1)
        y = f.y[self.w_src[:, None], cols].astype(np.float32)
        swell = 1.0 + 0.025 * np.sin(self.w_swell - t * 2.2)
        wy, wu, wv = self.w_col
        refl = self.w_refl[:, 0]
        y *= (refl * swell)[:, None]
        y += (wy * (1.0 - refl) * swell + 0.5)[:, None]
        off = int(t * 14) % 64
        y += self.w_streak[:, off : off + w]
        if self.glint is not None:
            g0, g1 = self.glint_x
            a, b = max(0, g0 - sky_off), min(w, g1 - sky_off)
            if b > a:
                pattern = self.glint[int(round(t * FPS)) % len(self.glint)]
                y[:, a:b] += pattern[:, a - (g0 - sky_off) : b - (g0 - sky_off)]
        np.clip(y, 0, 255, out=y)
        f.y[hz:] = y
        hc = hz // 2
        crows = (h // 2) - hc
        sel = slice(0, 2 * crows, 2)
        csrc = np.clip(self.w_src[sel] // 2, 0, h // 2 - 1)
        ccols = np.clip(self.w_cidx + (dxi[sel] // 2)[:, None], 0, w // 2 - 1)
        refl_c = self.w_refl[sel]
        for plane, base in ((f.u, wu), (f.v, wv)):
            ref = plane[csrc[:, None], ccols].astype(np.float32)
            plane[hc:] = to_u8(base + (ref - base) * refl_c)

    def _lightning_times(self) -> list[float]:
        dur = self.n / FPS
        k = 1 if dur < 6 else int(dur / 5)
        return sorted(float(self.rng.uniform(0.15, 0.85) * dur) for _ in range(k))

    # ---- per frame ----
    def draw(self, i: int, f: YuvFrame) -> None:
        w, h = self.w, self.h
        t = i / FPS
        u = i / max(1, self.n - 1)
        pose = self.cam.pose(u, t)
        if self.spec.camera is CameraMove.DRIFT:
            s = 0.65 * u + 0.35 * (0.5 - 0.5 * math.cos(math.pi * u))
            if self.dir < 0:
                s = 1.0 - s
        else:
            s = 0.5 + 0.5 * pose.x
        so = int(round(self._offset(self.sky_shift, s))) // 2 * 2
        f.y[:] = self.sky_y[:, so : so + w]
        f.u[:] = self.sky_u[:, so // 2 : so // 2 + w // 2]
        f.v[:] = self.sky_v[:, so // 2 : so // 2 + w // 2]
        if self.stars is not None:
            iy, ix, b, ph = self.stars
            fx = ix - so
            ok = (fx >= 0) & (fx < w)
            tw = b[ok] * np.sin(t * 3.3 + ph[ok])
            cur = f.y[iy[ok], fx[ok]].astype(np.float32)
            f.y[iy[ok], fx[ok]] = to_u8(cur + tw)
        if self._flashes:
            flash = sum(
                max(0.0, 1.0 - abs(t - ft) * 8.0) * (1.0 + 0.6 * math.sin(t * 90)) for ft in self._flashes
            )
            if flash > 0:
                top = int(self.horizon)
                y = f.y[:top].astype(np.int16)
                y += int(70 * min(flash, 1.4))
                f.y[:top] = np.clip(y, 0, 235).astype(np.uint8)
        n_layers = len(self.layers)
        for k, layer in enumerate(self.layers):
            drop = 0
            if self.lift:
                near = (k + 1) / n_layers
                drop = int(round(pose.depth * self.lift * near * near / 2)) * 2
            self._draw_layer(f, layer, self._offset(layer.shift, s), drop)
        if self.beacons:
            on = (t % 1.6) < 0.5
            if on:
                for k, by, bx in self.beacons:
                    layer = self.layers[k]
                    xo = int(round(self._offset(layer.shift, s)))
                    fx = bx - xo
                    if 2 <= fx < w - 2 and 2 <= by < h - 2:
                        yy = int(by)
                        f.y[yy - 1 : yy + 2, fx - 1 : fx + 2] = 120
                        f.v[yy // 2, fx // 2] = 230
                        f.u[yy // 2, fx // 2] = 100
        if self.spec.water or self.spec.wet:
            self._draw_water(f, t, so)
        if self.stage is not None or self.cast is not None:
            self._draw_cast(f, s, pose, t, u)
        if self._zoomed:
            frame_camera(f, pose)
        self.particles.draw(f, t)
        if self.style is not None:
            out = YuvFrame(w, h)
            self.style.apply(f.y, f.u, f.v, t, out)
            f.buf[:] = out.buf
        self.finisher.apply(f)

    def _draw_layer(self, f: YuvFrame, layer: _Layer, off: float, drop: int = 0) -> None:
        """One silhouette layer at panorama offset `off` (px), moved down by `drop` (even) rows."""
        w, h = self.w, self.h
        xo = int(math.floor(off))
        if layer.stepped:
            xo = int(round(off))
            r = layer.ridge[xo : xo + w]
        else:
            r = np.interp(
                self._xs + off, np.arange(layer.ridge.shape[0], dtype=np.float32), layer.ridge
            ).astype(np.float32)
        top = layer.top + drop
        if top >= h:
            return
        if drop:
            r = r + drop
        y0 = max(top, int(math.floor(float(r.min()))))
        y1 = min(h, int(math.ceil(float(r.max()))) + 1)
        if y1 > y0:
            a = np.clip(self._rows[y0:y1] - r[None, :] + 0.5, 0.0, 1.0)
            cur = f.y[y0:y1].astype(np.float32)
            fill = layer.fy[y0 - top : y1 - top, xo : xo + w]
            f.y[y0:y1] = (cur + (fill - cur) * a + 0.5).astype(np.uint8)
        if y1 < h:
            f.y[y1:] = layer.fy[y1 - top : h - top, xo : xo + w]
        # chroma
        hc = h // 2
        ct = top // 2
        rc = 0.25 * (r[0::2] + r[1::2]) - 0.25
        c0 = max(ct, int(math.floor(float(rc.min()))))
        c1 = min(hc, int(math.ceil(float(rc.max()))) + 1)
        cx = xo // 2
        if c1 > c0:
            a = np.clip(self._crows[c0:c1] - rc[None, :] + 0.5, 0.0, 1.0)
            for plane, src in ((f.u, layer.fu), (f.v, layer.fv)):
                cur = plane[c0:c1].astype(np.float32)
                fill = src[c0 - ct : c1 - ct, cx : cx + w // 2]
                plane[c0:c1] = (cur + (fill - cur) * a + 0.5).astype(np.uint8)
        if c1 < hc:
            f.u[c1:] = layer.fu[c1 - ct : hc - ct, cx : cx + w // 2]
            f.v[c1:] = layer.fv[c1 - ct : hc - ct, cx : cx + w // 2]


def frame_camera(f: YuvFrame, pose: Pose) -> None:
    """Zoom a drawn frame in place about the view centre the pose says (with any handheld wobble).

    The view never leaves the frame: its centre is held inside the margin the zoom leaves. Crops
    snap to even pixels (4:2:0 chroma stays aligned), fine at 24 fps for a slow move."""
    w, h = f.width, f.height
    z = max(1.0, pose.zoom)
    cw = min(w, max(2, round(w / z / 2) * 2))
    ch = min(h, max(2, round(h / z / 2) * 2))
    mx, my = (w - cw) / 2, (h - ch) / 2
    x0 = min(max(0, round((mx + pose.shake_x * w) / 2) * 2), w - cw)
    y0 = min(max(0, round((my + pose.y * my + pose.shake_y * h) / 2) * 2), h - ch)
    if cw == w and ch == h:
        return
    scale_crop(f, x0, y0, cw, ch)


class ParticleField:
    """Rain, snow, fireflies, embers, dust and sparkles, drawn cheaply onto a YuvFrame at time t."""

    def __init__(
        self,
        kinds: frozenset[str] | set[str],
        width: int,
        height: int,
        rng: np.random.Generator,
        *,
        low: float | None = None,
        heavy: bool = False,
    ) -> None:
        w, h = width, height
        self.w, self.h = w, h
        low = 0.45 * h if low is None else low
        area = w * h / (1280 * 720)
        self.parts = []
        if "rain" in kinds:
            heavy_rain = 1.3 if heavy else 1.0
            for count, length, speed, alpha in (
                (int(260 * area * heavy_rain), 14, 900, 0.16),
                (int(150 * area * heavy_rain), 30, 1500, 0.26),
            ):
                length = int(length * h / 720)
                self.parts.append(
                    (
                        "rain",
                        {
                            "x": rng.uniform(0, w + 200, count),
                            "y": rng.uniform(0, h + length, count),
                            "len": length,
                            "vy": speed * rng.uniform(0.85, 1.15, count) * h / 720,
                            "vx": -0.18 * speed * h / 720,
                            "a": alpha,
                        },
                    )
                )
        if "snow" in kinds:
            heavy_snow = 1.8 if heavy else 1.0
            for count, radius, speed, alpha in (
                (int(300 * area * heavy_snow), 0.9, 34, 0.55),
                (int(150 * area * heavy_snow), 1.5, 60, 0.75),
                (int(50 * area * heavy_snow), 2.6, 100, 0.9),
            ):
                self.parts.append(
                    (
                        "snow",
                        {
                            "x": rng.uniform(0, w, count),
                            "y": rng.uniform(0, h, count),
                            "vy": speed * rng.uniform(0.7, 1.3, count) * h / 720,
                            "sway": rng.uniform(4, 18, count) * radius,
                            "fq": rng.uniform(0.3, 0.9, count),
                            "ph": rng.uniform(0, 6.28, count),
                            "kernel": _disc_kernel(radius * h / 720),
                            "a": alpha,
                        },
                    )
                )
        if "fireflies" in kinds:
            count = int(46 * area)
            self.parts.append(
                (
                    "glow",
                    {
                        "x": rng.uniform(0, w, count),
                        "y": rng.uniform(low, h * 0.97, count),
                        "ax": rng.uniform(10, 40, count),
                        "ay": rng.uniform(6, 24, count),
                        "fx": rng.uniform(0.2, 0.6, count),
                        "fy": rng.uniform(0.25, 0.7, count),
                        "ph": rng.uniform(0, 6.28, (4, count)),
                        "blink": rng.uniform(0.6, 1.6, count),
                        "vy": 0.0,
                        "kernel": _glow_kernel(4.5 * h / 720),
                        "colour": (200, 255, 90),
                        "gain": 1.4,
                    },
                )
            )
        if "embers" in kinds:
            count = int(60 * area)
            self.parts.append(
                (
                    "glow",
                    {
                        "x": rng.uniform(0, w, count),
                        "y": rng.uniform(0, h, count),
                        "ax": rng.uniform(8, 30, count),
                        "ay": rng.uniform(4, 10, count),
                        "fx": rng.uniform(0.3, 0.9, count),
                        "fy": rng.uniform(0.3, 0.9, count),
                        "ph": rng.uniform(0, 6.28, (4, count)),
                        "blink": rng.uniform(1.5, 3.0, count),
                        "vy": -rng.uniform(40, 120, count) * h / 720,
                        "kernel": _glow_kernel(1.8 * h / 720),
                        "colour": (255, 140, 50),
                        "gain": 1.0,
                    },
                )
            )
        if "dust" in kinds or "sparkles" in kinds:
            count = int((90 if "dust" in kinds else 70) * area)
            sparkle = "sparkles" in kinds
            self.parts.append(
                (
                    "glow",
                    {
                        "x": rng.uniform(0, w, count),
                        "y": rng.uniform(0.1 * h, h, count),
                        "ax": rng.uniform(20, 60, count),
                        "ay": rng.uniform(4, 16, count),
                        "fx": rng.uniform(0.05, 0.2, count),
                        "fy": rng.uniform(0.1, 0.4, count),
                        "ph": rng.uniform(0, 6.28, (4, count)),
                        "blink": rng.uniform(0.8, 3.0, count),
                        "vy": 0.0,
                        "drift": 18.0 * h / 720,
                        "kernel": _glow_kernel((1.4 if sparkle else 1.0) * h / 720),
                        "colour": (255, 250, 230) if sparkle else (255, 226, 180),
                        "gain": 0.9 if sparkle else 0.45,
                    },
                )
            )

    def draw(self, f: YuvFrame, t: float) -> None:
        w, h = self.w, self.h
        yflat = f.y.reshape(-1)
        for kind, p in self.parts:
            if kind == "rain":
                length = p["len"]
                y = (p["y"] + p["vy"] * t) % (h + length) - length
                x = (p["x"] + p["vx"] * t * (p["vy"] / p["vy"].mean())) % (w + 200) - 100
                s = np.linspace(0.0, 1.0, length, dtype=np.float32)[None, :]
                px = np.rint(x[:, None] + s * length * (p["vx"] / p["vy"].mean())).astype(np.int64)
                py = np.rint(y[:, None] + s * length).astype(np.int64)
                ok = (px >= 0) & (px < w) & (py >= 0) & (py < h)
                idx = (py * w + px)[ok]
                fade = np.broadcast_to(s * 0.7 + 0.3, px.shape)[ok]
                cur = yflat[idx].astype(np.float32)
                yflat[idx] = to_u8(cur + (235.0 - cur) * p["a"] * fade)
            elif kind == "snow":
                x = (p["x"] + p["sway"] * np.sin(p["fq"] * t * 6.28 + p["ph"])) % w
                y = (p["y"] + p["vy"] * t) % h
                _stamp(f, x, y, p["kernel"], p["a"], (235.0, 128.0, 128.0), mode="mix")
            else:
                ph = p["ph"]
                x = p["x"] + p["ax"] * np.sin(p["fx"] * t * 6.28 + ph[0]) + p.get("drift", 0.0) * t
                y = p["y"] + p["ay"] * np.sin(p["fy"] * t * 6.28 + ph[1]) + p["vy"] * t
                x %= w
                y %= h
                b = np.clip(np.sin(p["blink"] * t * 3.14 + ph[2]), 0, 1) ** 2 * p["gain"]
                _stamp(f, x, y, p["kernel"], b, p["colour"], mode="add")


# --- stamping -------------------------------------------------------------------------------------


def _disc_kernel(radius: float) -> np.ndarray:
    r = max(1, int(math.ceil(radius + 1)))
    yy, xx = np.mgrid[-r : r + 1, -r : r + 1].astype(np.float32)
    d = np.sqrt(xx**2 + yy**2)
    return np.clip(radius + 0.5 - d, 0.0, 1.0).astype(np.float32)


def _glow_kernel(sigma: float) -> np.ndarray:
    r = max(2, int(math.ceil(sigma * 3)))
    yy, xx = np.mgrid[-r : r + 1, -r : r + 1].astype(np.float32)
    d2 = xx**2 + yy**2
    k = 0.55 * np.exp(-d2 / (2 * sigma**2)) + 0.45 * np.exp(-d2 / (2 * (sigma * 0.3) ** 2))
    return (k / k.max()).astype(np.float32)


def _stamp(
    f: YuvFrame,
    x: np.ndarray,
    y: np.ndarray,
    kernel: np.ndarray,
    strength: np.ndarray | float,
    colour: tuple[float, float, float],
    *,
    mode: str,
) -> None:
    """Draws a small kernel at each (x, y): `mix` blends towards a YUV colour, `add` adds RGB light."""
    w, h = f.width, f.height
    r = kernel.shape[0] // 2
    ky, kx = np.nonzero(kernel > 0.02)
    kv = kernel[ky, kx]
    ky = ky - r
    kx = kx - r
    cx = np.rint(x).astype(np.int64)
    cy = np.rint(y).astype(np.int64)
    strength = np.broadcast_to(np.asarray(strength, np.float32), cx.shape)
    live = strength > 0.01
    cx, cy, strength = cx[live], cy[live], strength[live]
    if cx.size == 0:
        return
    py = cy[:, None] + ky[None, :]
    px = cx[:, None] + kx[None, :]
    a = strength[:, None] * kv[None, :]
    ok = (px >= 0) & (px < w) & (py >= 0) & (py < h)
    idx = (py * w + px)[ok]
    a = a[ok]
    yflat = f.y.reshape(-1)
    cur = yflat[idx].astype(np.float32)
    if mode == "mix":
        yflat[idx] = to_u8(cur + (colour[0] - cur) * a)
        targets = (colour[1], colour[2])
    else:
        cy_, cu_, cv_ = rgb_to_yuv(np.array(colour, np.float32))
        yflat[idx] = to_u8(cur + (float(cy_) - 16.0) * a)
        targets = (float(cu_) - 128.0, float(cv_) - 128.0)
    # chroma at half resolution, from the kernel's strongest taps only
    strong = a > 0.25
    if not np.any(strong):
        return
    cidx = ((py[ok][strong] // 2) * (w // 2) + (px[ok][strong] // 2)).astype(np.int64)
    ca = a[strong]
    for plane, target in zip((f.u, f.v), targets, strict=True):
        flat = plane.reshape(-1)
        cur = flat[cidx].astype(np.float32)
        if mode == "mix":
            flat[cidx] = to_u8(cur + (target - cur) * ca)
        else:
            flat[cidx] = to_u8(cur + target * ca * 0.8)
