"""Procedural text-to-video scenes: a SceneSpec drawn frame by frame in YUV 4:2:0 (sky, land, water, subjects)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from demo_gateway.render.actors import Cast, habitat_of
from demo_gateway.render.camera import CameraMove, CameraPath, Pose
from demo_gateway.render.encode import FPS, Finisher, YuvFrame, rgb_to_yuv, scale_crop, to_u8
from demo_gateway.render.noise import fbm1d, fbm2d, mix, smoothstep
from demo_gateway.render.palette import palette_of
from demo_gateway.render.particles import ParticleField
from demo_gateway.render.scene_spec import SceneSpec, read_prompt
from demo_gateway.render.sprites import Light
from demo_gateway.render.subjects import Habitat, Kind, Subject
from demo_gateway.render.terrain import Terrain, _Layer, _planes_of

if TYPE_CHECKING:
    from demo_gateway.render.styles import Style

__all__ = ["ParticleField", "SceneSpec", "TextScene", "frame_camera", "read_prompt"]

# --- layers -----------------------------------------------------------------------------------------


class TextScene(Terrain):
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
        t1 = smoothstep(0.0, 0.62, v)
        t2 = smoothstep(0.45, 1.0, v) ** 1.3
        col = mix(mix(pal["zenith"], pal["mid"], t1), pal["horizon"], t2)
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
                mw = fbm2d(rng, h // 4, pw // 4, 20, 30, 4)
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
                    + 0.12 * self.h * fbm1d(rng, pw, 0.6 * self.w, 3)[None, :]
                )
                inten = np.clip(fbm1d(rng, pw, 0.35 * self.w, 3) * 1.8 + 0.35, 0, 1)[None, :] ** 1.3
                height = 0.25 * self.h * float(rng.uniform(0.7, 1.2))
                up = np.clip((base - ys) / height, 0, 1)
                below = np.clip((ys - base) / (0.02 * self.h), 0, None)
                curtain = np.where(ys < base, (1.0 - up) ** 1.6, np.exp(-(below**2)))
                rays = 0.75 + 0.25 * fbm1d(rng, pw, 14.0, 2)[None, :]
                a = (curtain * inten * rays)[..., None] * (0.8 if c == 0 else 0.5)
                colour = mix(
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
                mare = fbm2d(rng, h // 2, pw // 2, radius / 2, radius / 2, 3)
                mare = np.asarray(
                    Image.fromarray(mare, "F").resize((pw, h), Image.Resampling.BILINEAR), np.float32
                )
                moon = pal["sun"] * (0.9 + 0.1 * np.clip(mare * 2.5, -1, 1))[..., None]
                if rng.random() < 0.45:  # a crescent
                    d2 = np.sqrt((xs - sx - radius * 0.55) ** 2 + (ys - sy + radius * 0.25) ** 2)
                    disc = disc * np.clip((d2 - radius * 0.95) / 1.6 + 0.5, 0.0, 1.0)
                sky = mix(sky, moon, disc[..., None])
            else:
                limb = np.clip(1.0 - 0.12 * (d / radius) ** 2, 0.8, 1.0)
                sky = mix(sky, pal["sun"] * limb[..., None] * 1.04, disc[..., None])

        # clouds: a domain-warped fractal density, lit on the side facing the light
        if spec.clouds > 0.05:
            cw, ch = pw // 3, h // 3
            big = fbm2d(rng, ch, cw, 0.3 * self.h / 3, 0.55 * self.w / 3, 2)
            n = fbm2d(rng, ch, cw, 0.18 * self.h / 3, 0.32 * self.w / 3, 6, 0.52)
            warp = fbm2d(rng, ch, cw, 0.2 * self.h / 3, 0.3 * self.w / 3, 3)
            shift = np.clip(np.arange(cw)[None, :] + (warp * 0.08 * self.w).astype(np.int64), 0, cw - 1)
            n = np.take_along_axis(n, shift, axis=1) + 0.7 * big
            v_lo = np.arange(ch, dtype=np.float32)[:, None] * 3 / hz
            env = smoothstep(0.0, 0.15, v_lo) * (1.0 - smoothstep(0.55, 1.0, v_lo))
            if spec.clouds > 0.6:
                env = 0.4 + 0.6 * smoothstep(-0.1, 0.3, v_lo) * (1.0 - 0.5 * smoothstep(0.7, 1.05, v_lo))
            th = float(np.quantile(n[env[:, 0] > 0.5] if np.any(env > 0.5) else n, 1.0 - spec.clouds))
            dens = smoothstep(th - 0.02, th + 0.22, n) * env
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
                0.62 + 1.4 * (dens - toward) - 0.25 * dens + 0.12 * fbm2d(rng, ch, cw, 8, 14, 3), 0, 1
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
            ccol = mix(pal["cloud_dark"], pal["cloud_lit"], lit[..., None])
            opacity = 0.95 if spec.clouds > 0.6 else (0.7 if spec.time == "night" else 0.88)
            alpha = np.clip(dens * opacity, 0, 1)[..., None]
            sky = mix(sky, ccol, alpha)
            if self.stars is not None:
                iy, ix, b, ph = self.stars
                keep = dens[iy, ix] < 0.25
                self.stars = (iy[keep], ix[keep], b[keep], ph[keep])

        self.sky_y, self.sky_u, self.sky_v = _planes_of(sky, self.dither)

    # ---- silhouettes ----
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
        streak = fbm2d(rng, rows, w + 64, 1.5, 60, 3)
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
