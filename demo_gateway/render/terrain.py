"""The land of a scene: silhouette layers (mountains, hills, islands, forest, dunes, city) and their fills."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

from demo_gateway.render.encode import luma_of, rgb_to_yuv, to_u8
from demo_gateway.render.noise import box, fbm1d, fbm2d, mix, smoothstep
from demo_gateway.render.scene_spec import SceneSpec
from demo_gateway.render.skyline import city_layers


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


def _planes_of(
    rgb: np.ndarray, dither: np.random.Generator, height: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Static RGB artwork to uint8 planes, with a little triangular dither against banding.

    With a `height` beyond the artwork's (even) rows, the planes are that tall, the rows below the artwork
    repeating its last (rows never seen), and the dither is drawn as for the whole height."""
    rows, width = rgb.shape[:2]
    height = rows if height is None else height
    y = luma_of(rgb)
    a = dither.random((height, width), np.float32)
    b = dither.random((height, width), np.float32)
    noise = a[:rows] - b[:rows]
    _, cb, cr = rgb_to_yuv(half_rgb(rgb))  # chroma is linear in RGB: convert the 2x2 means
    planes = to_u8(y + noise * 0.9), to_u8(cb), to_u8(cr)
    if height == rows:
        return planes
    return tuple(  # type: ignore[return-value]
        np.concatenate([p, np.repeat(p[-1:], p.shape[0] * height // rows - p.shape[0], axis=0)])
        for p in planes
    )


def half_rgb(rgb: np.ndarray) -> np.ndarray:
    """2x2 means of an (H, W, 3) float picture with even H (an odd last column is dropped)."""
    w = rgb.shape[1] // 2 * 2
    out = rgb[0::2, 0:w:2] + rgb[1::2, 0:w:2]
    out += rgb[0::2, 1:w:2]
    out += rgb[1::2, 1:w:2]
    out *= np.float32(0.25)
    return out


def _snow_rows(edge: np.ndarray) -> int:
    """How many leading rows of a snow edge field (rows, cols) have snow: below them every edge is -4 or
    less, where smoothstep(-4, 4, edge) is exactly 0."""
    live = np.nonzero((edge > -4.0).any(axis=1))[0]
    return int(live[-1]) + 1 if live.size else 0


class Terrain:
    """Builds a TextScene's land layers; mixed into TextScene, which sets the attributes below."""

    spec: SceneSpec
    pal: dict[str, np.ndarray]
    rng: np.random.Generator
    dither: np.random.Generator
    w: int
    h: int
    horizon: int
    travel: float
    _law: tuple[float, float]
    sun: tuple[float, float, float] | None
    sky_pw: int
    beacons: list[tuple[int, float, int]]

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
        return mix(self.pal["haze"], self.pal["land"], t)

    def _finish_layer(
        self, ridge: np.ndarray, fill_rgb: np.ndarray, top: int, shift: float, stepped=False
    ) -> _Layer:
        # a fill made for fewer rows (those above open water) still gets planes, and dither, as tall
        fy, fu, fv = _planes_of(fill_rgb, self.dither, self.h - top)
        return _Layer(
            ridge=ridge.astype(np.float32), top=top, fy=fy, fu=fu, fv=fv, shift=shift, stepped=stepped
        )

    def _land_bottom(self) -> int:
        """The row (even) land fills are worked on down to: over water or a wet street the horizon, the
        rows below being the water's in every frame; elsewhere the frame's foot."""
        if self.spec.water or self.spec.wet:
            return min(self.h, self.horizon + self.horizon % 2)
        return self.h

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
        bottom: int | None = None,
    ) -> tuple[np.ndarray, int]:
        """Common shading under a ridge: rim light, texture, mist towards the bottom.

        The fill covers rows `top` to `bottom` (even; the frame's foot unless given: rows a frame never
        shows are not worked on), the texture's random draws being those of a fill down to the foot."""
        h = self.h
        if top is None:
            top = max(0, int(np.floor(ridge.min())) - 2)
        top -= top % 2
        bottom = h if bottom is None else max(top + 2, min(h, bottom))
        pw = ridge.shape[0]
        ys = np.arange(top, bottom, dtype=np.float32)[:, None]
        d = ys - ridge[None, :]
        fill = np.broadcast_to(colour, (bottom - top, pw, 3)).astype(np.float32)
        if tex > 0:
            gh = (h - top) // 2 + 1
            noise = fbm2d(self.rng, gh, pw // 2 + 1, 24, 40, 4)
            noise = np.asarray(
                Image.fromarray(noise, "F").resize(
                    (pw, bottom - top),
                    Image.Resampling.BILINEAR,
                    box=(0, 0, pw // 2 + 1, (bottom - top) * gh / (h - top)),
                ),
                np.float32,
            )
            fill *= (1.0 + tex * noise)[..., None]
        if rim > 0:
            rim_col = self.pal["glow"] if self.spec.time != "day" else self.pal["horizon"]
            near = np.nonzero(np.min(d, axis=1) < 60.0)[0]  # the rim light is nil 60 px under the ridge
            if near.size:
                r0, r1 = int(near[0]), int(near[-1]) + 1
                fill[r0:r1] += rim_col * (rim * np.exp(-np.clip(d[r0:r1], 0, None) / 3.0))[..., None]
        if mist > 0:
            base = float(np.median(ridge))
            m = smoothstep(base - 0.02 * h, base + 0.25 * h, ys) * mist
            fill += (self.pal["haze"] - fill) * m[..., None]
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
            ridged = 1.0 - np.abs(fbm1d(rng, pw, 0.55 * h * scale, 6, 0.5)) * 2.2
            smooth = fbm1d(rng, pw, 0.9 * h * scale, 3)
            f = 0.6 * ridged + 0.8 * smooth
            f = (f - f.mean()) / (np.abs(f - f.mean()).max() + 1e-6)
            ridge = mean - amp * f
            colour = self._layer_colour(k, n)
            fill, top = self._fill(ridge, colour, mist=mist, rim=0.18, tex=0.07)
            # faces lit by the sun or moon, their edges running diagonally down from the peaks
            sun_x = self.sun[0] if self.sun else self.sky_pw / 2
            side = 1.0 if sun_x > self.sky_pw / 2 else -1.0
            slope = np.gradient(box(ridge, 17))
            ys = np.arange(top, h, dtype=np.float32)[:, None]
            depth = np.clip(ys - ridge[None, :], 0, None)
            skew = float(rng.uniform(0.45, 0.9)) * (1 if rng.random() < 0.5 else -1)
            xi = np.clip(np.arange(pw)[None, :] - depth * skew, 0, pw - 1).astype(np.int64)
            facing = (np.tanh(slope * 2.5) * side)[xi]
            gully = fbm2d(rng, h - top, pw, 0.1 * h, 12.0, 3)
            facing = np.clip(facing + 0.25 * gully, -1, 1)
            fill *= (1.0 + 0.2 * facing * np.exp(-depth / (0.3 * h)))[..., None]
            if spec.snowcaps:
                line = mean - 0.15 * amp + 0.3 * amp * fbm1d(rng, pw, 0.3 * h, 3)[None, :]
                edge = line - ys + gully * 0.05 * h
                # the snow is nil (smoothstep(-4, 4, edge) is 0) from the last row with an edge above -4
                # down: only the rows above are worked on, the rest of the fill is left as it is
                r = _snow_rows(edge)
                snow = smoothstep(-4.0, 4.0, edge[:r]) * smoothstep(-2.0, 0.0, ys[:r] - ridge[None, :])
                bright = np.array((238, 242, 252), np.float32) * np.maximum(self.pal["light"], 0.32)
                warm = mix(bright, self.pal["glow"] * np.maximum(self.pal["light"], 0.32) * 1.2, 0.35)
                cool = bright * np.array((0.6, 0.68, 0.86), np.float32)
                snow_col = mix(cool, warm, (0.5 + 0.5 * facing[:r])[..., None])
                # mix(a, b, t) = a + (b - a) * t, worked in place (the same sums, fewer big temporaries)
                haze = np.subtract(self.pal["haze"], snow_col, dtype=np.float32)
                haze *= np.float32(0.85 * (1.0 - ((k + 1) / n) ** 0.7))
                snow_col += haze
                snow_col -= fill[:r]
                snow_col *= (snow * 0.95)[..., None]
                fill[:r] += snow_col
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
            f = fbm1d(rng, pw, 0.8 * h, 4)
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
            f = fbm1d(rng, pw, 0.6 * h, 5)
            th = float(np.quantile(f, 1 - cover))
            land = np.clip((f - th) / (f.max() - th + 1e-6), 0, 1) ** 0.7
            ridge = hz + 1.5 - amp * land
            fill, top = self._fill(
                ridge,
                mix(self.pal["haze"], self.pal["land"], 0.75 + 0.25 * k),
                mist=0.2,
                rim=0.15,
                tex=0.05,
                top=int(hz - amp - 4),
                bottom=self._land_bottom(),
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
            ground_line = ground - 0.03 * h * fbm1d(rng, pw, 0.7 * h, 3)
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
            phase = xs / period * 2 * np.pi + 1.2 * fbm1d(rng, pw, period, 2)
            f = np.sin(phase) + 0.35 * np.sin(2 * phase + 1.0)
            f = f + 0.5 * fbm1d(rng, pw, 0.5 * period, 3)
            ridge = mean - amp * f / (np.abs(f).max() + 1e-6)
            depth_t = ((k + 1) / n) ** 1.15
            base_col = mix(self.pal["haze"], mix(shadow, lit, 0.45), depth_t)
            fill, top = self._fill(ridge, base_col, mist=0.25, rim=0.1, tex=0.02)
            # lit and shadowed faces, their boundary running diagonally down from each crest
            ys = np.arange(top, h, dtype=np.float32)[:, None]
            depth = np.clip(ys - ridge[None, :], 0, None)
            slope = np.gradient(box(ridge, 9))
            skew = 0.9 * side
            xi = np.clip(np.arange(pw)[None, :] + depth * skew, 0, pw - 1).astype(np.int64)
            face = np.tanh(-slope * side * 3.0)[xi]  # +1 facing the light
            face = face * np.exp(-depth / (0.35 * h))
            lit_k = mix(self.pal["haze"], lit, depth_t)
            dark_k = mix(self.pal["haze"], shadow, depth_t)
            t_face = (0.5 + 0.5 * face)[..., None]
            fill = mix(fill, mix(dark_k, lit_k, t_face), 0.7)
            ripples = 1.0 + 0.02 * np.sin(depth * 0.45 + 4.0 * fbm2d(rng, h - top, pw, 40, 80, 2))
            fill = fill * ripples[..., None]
            layers.append(self._finish_layer(ridge, fill, top, shift))
        return layers

    def _city(self, water: bool) -> list[_Layer]:
        return city_layers(self, water)
