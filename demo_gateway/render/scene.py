"""Text-to-video scenes: a SceneSpec drawn frame by frame in YUV 4:2:0 (sky, land, water, subjects)."""

from __future__ import annotations

import math
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np

from demo_gateway.render.actors import Cast, habitat_of
from demo_gateway.render.camera import CameraMove, CameraPath, Pose
from demo_gateway.render.encode import FPS, YuvFrame, scale_crop, to_u8
from demo_gateway.render.finisher import Finisher
from demo_gateway.render.kinds import Habitat, Kind
from demo_gateway.render.noise import fbm1d, mix
from demo_gateway.render.palette import palette_of
from demo_gateway.render.particles import ParticleField
from demo_gateway.render.scene_spec import SceneSpec, read_prompt
from demo_gateway.render.sky import Sky
from demo_gateway.render.sprites import Light
from demo_gateway.render.subjects import Subject
from demo_gateway.render.terrain import Terrain, _Layer
from demo_gateway.render.water import Water

if TYPE_CHECKING:
    from demo_gateway.render.styles import Style

__all__ = ["ParticleField", "SceneSpec", "TextScene", "frame_camera", "read_prompt"]

# --- layers -----------------------------------------------------------------------------------------


class TextScene(Terrain, Sky, Water):
    """Precomputes the static layers of a scene once; `draw(i, frame)` fills frame i."""

    def __init__(self, spec: SceneSpec, width: int, height: int, frames: int) -> None:
        self.spec = spec
        self.w, self.h, self.n = width, height, frames
        self.rng = np.random.default_rng(spec.seed)
        self.dither = np.random.default_rng(spec.seed ^ 0xD17E)
        self.pal = palette_of(spec)
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
        self.stage: _Layer | None = None
        self.cast: Cast | None = None
        self.style: Style | None = None  # a whole-picture look (comic, watercolour...) applied last
        if spec.subjects:  # first: its cels are drawn on a helper thread while the land is built
            self._build_cast()
        # the sky has random streams of its own and is built on a helper thread while the land is
        # built here (both are mostly numpy and Pillow work on whole panoramas, which let go of the GIL)
        self._place_sun(np.random.default_rng(spec.seed ^ 0x5C1E5))
        with ThreadPoolExecutor(1, thread_name_prefix="render-sky") as pool:
            sky = pool.submit(
                self._build_sky,
                np.random.default_rng(spec.seed ^ 0x5C1E6),
                np.random.default_rng(spec.seed ^ 0x5C1E7),
            )
            self.layers: list[_Layer] = self._build_layers()
            sky.result()
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
        self._irows = np.arange(height, dtype=np.int16)[:, None]  # int16: twice the SIMD lanes of int32
        if spec.water or spec.wet:
            self._build_water()
        self._flashes = self._lightning_times() if spec.lightning else []
        grounded = [s for s in spec.subjects if habitat_of(s, spec.water) is Habitat.GROUND]
        if grounded and self.cast is not None:
            self.stage = self._build_stage(self.cast.ground - 0.035 * height, grounded)

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
        ground = h * (0.86 if not (spec.water or spec.wet) else 0.9)
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
        # every pose the clip shows, drawn ahead on a helper thread (the other core idles while the
        # sky and land are built); a pose the main thread needs first it simply draws itself
        threading.Thread(target=self.cast.prewarm, args=(self.n,), name="render-cels", daemon=True).start()

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
            ridge = ridge - 0.02 * h * fbm1d(rng, pw, 0.9 * h, 3)
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
        fill = mix(fill, pal["haze"], (0.18 * (1 - depth))[..., None])
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
            self._draw_layer(f, self.stage, self._offset(self.stage.shift, s), self._stage_drop(pose))
        if self.cast is None:
            return

        def offset(par: float) -> float:
            shift = self._lateral(par)
            return self._offset(shift, s) - self._offset(shift, 0.5)

        def drop_of(par: float) -> int:
            return int(round(pose.depth * self.lift * par * par / 2)) * 2 if self.lift else 0

        self.cast.draw(f, t, u, offset, drop_of)

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
        drops = [0] * n_layers
        if self.lift:
            drops = [
                int(round(pose.depth * self.lift * ((k + 1) / n_layers) ** 2 / 2)) * 2
                for k in range(n_layers)
            ]
        # rows a nearer layer (or the water, or the stage) will cover whole are not drawn from farther ones
        limit = h
        if self.spec.water or self.spec.wet:
            limit = self.horizon
        if self.stage is not None:
            limit = min(limit, _solid_from(self.stage, self._stage_drop(pose)))
        limits = [h] * n_layers
        for k in range(n_layers - 1, -1, -1):
            limits[k] = limit
            limit = min(limit, _solid_from(self.layers[k], drops[k]))
        for k, layer in enumerate(self.layers):
            self._draw_layer(f, layer, self._offset(layer.shift, s), drops[k], limits[k])
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

    def _stage_drop(self, pose: Pose) -> int:
        return int(round(pose.depth * self.lift / 2)) * 2 if self.lift else 0

    def _draw_layer(
        self, f: YuvFrame, layer: _Layer, off: float, drop: int = 0, limit: int | None = None
    ) -> None:
        """One silhouette layer at panorama offset `off` (px), moved down by `drop` (even) rows; rows
        from `limit` down are left out (something nearer covers them whole)."""
        w = self.w
        h = self.h if limit is None else limit
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
        hc = h // 2
        if drop:
            r = r + drop
        y0 = max(top, int(math.floor(float(r.min()))))
        y1 = min(h, int(math.ceil(float(r.max()))) + 1)
        if y1 > y0:
            _cover((f.y[y0:y1],), (layer.fy[y0 - top : y1 - top, xo : xo + w],), r, y0, self._irows)
        if y1 < h:
            f.y[y1:h] = layer.fy[y1 - top : h - top, xo : xo + w]
        # chroma
        ct = top // 2
        rc = 0.25 * (r[0::2] + r[1::2]) - 0.25
        c0 = max(ct, int(math.floor(float(rc.min()))))
        c1 = min(hc, int(math.ceil(float(rc.max()))) + 1)
        cx = xo // 2
        if c1 > c0:
            fills = tuple(src[c0 - ct : c1 - ct, cx : cx + w // 2] for src in (layer.fu, layer.fv))
            _cover((f.u[c0:c1], f.v[c0:c1]), fills, rc, c0, self._irows)
        if c1 < hc:
            f.u[c1:hc] = layer.fu[c1 - ct : hc - ct, cx : cx + w // 2]
            f.v[c1:hc] = layer.fv[c1 - ct : hc - ct, cx : cx + w // 2]


def _solid_from(layer: _Layer, drop: int) -> int:
    """An even row from which a layer covers the whole frame width in luma and chroma, wherever it is
    panned (a few rows below its lowest ridge point: chroma edges reach a little further)."""
    return (int(math.ceil(float(layer.ridge.max()))) + drop + 5) // 2 * 2


def _cover(
    dsts: tuple[np.ndarray, ...],
    fills: tuple[np.ndarray, ...],
    ridge: np.ndarray,
    row0: int,
    rows: np.ndarray,
) -> None:
    """Lays each fill over its dst (the same rows, from `row0`, of planes of one size) below a
    silhouette's edge, `ridge` (the edge's row in each column), anti-aliased: each column has at most
    one partly covered row. The coverage is worked out once for all the planes (u and v share it).

    `rows` is a column of row numbers (int16). The cover is a byte mask (0 or 255) and a bitwise
    blend, dst ^ ((dst ^ fill) & mask): several times faster than a boolean `copyto(where=)`."""
    n = dsts[0].shape[0]
    edge = np.floor(ridge + 0.5).astype(np.int32) - row0
    mask = np.greater(rows[:n], np.clip(edge, -1, n).astype(np.int16)).view(np.uint8)
    np.negative(mask, out=mask)  # True (1) -> 255
    cols = np.nonzero((edge >= 0) & (edge < n))[0]
    er = edge[cols]
    a = np.clip((er + row0).astype(np.float32) - ridge[cols] + 0.5, 0.0, 1.0)
    for dst, fill in zip(dsts, fills, strict=True):
        diff = np.bitwise_xor(dst, fill)
        diff &= mask
        dst ^= diff
        cur = dst[er, cols].astype(np.float32)
        dst[er, cols] = (cur + (fill[er, cols] - cur) * a + 0.5).astype(np.uint8)


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
