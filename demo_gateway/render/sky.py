"""The sky of a scene, drawn once per clip: gradient, sun or moon and its glow, stars, aurora, lit clouds."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

from demo_gateway.render.noise import fbm1d, fbm2d, mix, smoothstep
from demo_gateway.render.scene_spec import SceneSpec
from demo_gateway.render.terrain import _planes_of


class Sky:
    """Builds a TextScene's sky panorama; mixed into TextScene, which sets the attributes below."""

    spec: SceneSpec
    pal: dict[str, np.ndarray]
    rng: np.random.Generator
    dither: np.random.Generator
    w: int
    h: int
    horizon: int
    sky_shift: float
    sky_pw: int
    sun: tuple[float, float, float] | None
    stars: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None
    sky_y: np.ndarray
    sky_u: np.ndarray
    sky_v: np.ndarray

    def _sky_rows(self) -> int:
        """The sky rows a frame can show: over water (or a wet street) those above the horizon (even)."""
        if self.spec.water or self.spec.wet:
            return min(self.h, self.horizon + self.horizon % 2)
        return self.h

    def _place_sun(self, rng: np.random.Generator) -> None:
        """Where the sun (or moon) stands in the sky's panorama: `self.sun` (None when hidden), which the
        land's lighting needs before the sky itself is built."""
        spec = self.spec
        pw = self.w + 2 * (int(math.ceil(abs(self.sky_shift))) // 2 + 2)
        self.sky_pw = pw
        hz = float(self.horizon)
        unit = float(max(self.w, self.h))
        hidden = "storm" in spec.moods and spec.clouds > 0.6
        # a moon the prompt asks for is drawn as a subject: the sky does not draw a second one
        hidden = hidden or (spec.time == "night" and any(s.variant == "moon" for s in spec.subjects))
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
        self.sun = None if hidden else (sx, sy, radius)

    def _build_sky(self, rng: np.random.Generator, dither: np.random.Generator) -> None:
        """The sky's panorama as planes (`sky_y`, `sky_u`, `sky_v`) and its stars, from `_place_sun`'s
        sun and its own random streams (it is built on a thread of its own, beside the land)."""
        spec, pal = self.spec, self.pal
        h = self.h
        pw = self.sky_pw
        hz = float(self.horizon)
        v = np.clip(np.arange(h, dtype=np.float32) / hz, 0.0, 1.4)[:, None, None]
        t1 = smoothstep(0.0, 0.62, v)
        t2 = smoothstep(0.45, 1.0, v) ** 1.3
        col = mix(mix(pal["zenith"], pal["mid"], t1), pal["horizon"], t2)
        # over water (or a wet street) every row from the horizon down is drawn over each frame: only the
        # rows above it are worked on (the random draws stay the same, so the look does too)
        cut = self._sky_rows()
        sky = np.broadcast_to(col[:cut], (cut, pw, 3)).astype(np.float32)
        xs = np.arange(pw, dtype=np.float32)[None, :]
        ys = np.arange(cut, dtype=np.float32)[:, None]
        unit = float(max(self.w, self.h))

        # the glow about the sun or moon
        if self.sun is not None:
            sx, sy, radius = self.sun
            d = np.sqrt((xs - sx) ** 2 + (ys - sy) ** 2) / unit
            glow_amt = {"day": 0.55, "sunset": 1.0, "dawn": 0.85, "night": 0.35}[spec.time]
            if "neon" in spec.moods:
                glow_amt *= 0.5
            glow = glow_amt * (0.55 * np.exp(-d / 0.035) + 0.45 * np.exp(-d / 0.2))
            sky += (pal["glow"] * np.float32(0.6)) * glow[..., None]
        if spec.time in ("sunset", "dawn") or "neon" in spec.moods:
            band = np.exp(-(((ys - hz) / (0.09 * self.h)) ** 2))
            sidefall = np.exp(-np.abs(xs - self.sun[0]) / (0.7 * self.w)) if self.sun else 0.6
            sky += pal["glow"] * (band * sidefall * 0.35)[..., None]

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
                yy = np.clip(iy[big] + dy, 0, cut - 1)
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
                )[:cut]
                cy = hz * 0.35 + (xs - pw / 2) * 0.35
                band = np.exp(-(((ys - cy) / (0.14 * self.h)) ** 2)) * np.clip(mw_im + 0.4, 0, 1)
                sky += np.array((30, 32, 46), np.float32) * band[..., None]

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
                sky += colour * a * 0.7

        # the sun/moon disc, after the glow
        if self.sun is not None:
            sx, sy, radius = self.sun
            # only the disc's own box is touched (the disc is zero outside it)
            y0, y1 = max(0, int(sy - radius) - 3), min(cut, int(sy + radius) + 4)
            x0, x1 = max(0, int(sx - radius) - 3), min(pw, int(sx + radius) + 4)
            bys, bxs = ys[y0:y1], xs[:, x0:x1]
            d = np.sqrt((bxs - sx) ** 2 + (bys - sy) ** 2)
            disc = np.clip((radius - d) / 1.6 + 0.5, 0.0, 1.0)
            region = sky[y0:y1, x0:x1]
            if spec.time == "night":
                mare = fbm2d(rng, h // 2, pw // 2, radius / 2, radius / 2, 3)
                mare = np.asarray(
                    Image.fromarray(mare, "F").resize(
                        (x1 - x0, y1 - y0), Image.Resampling.BILINEAR, box=(x0 / 2, y0 / 2, x1 / 2, y1 / 2)
                    ),
                    np.float32,
                )
                moon = pal["sun"] * (0.9 + 0.1 * np.clip(mare * 2.5, -1, 1))[..., None]
                if rng.random() < 0.45:  # a crescent
                    d2 = np.sqrt((bxs - sx - radius * 0.55) ** 2 + (bys - sy + radius * 0.25) ** 2)
                    disc = disc * np.clip((d2 - radius * 0.95) / 1.6 + 0.5, 0.0, 1.0)
                region[:] = mix(region, moon, disc[..., None])
            else:
                limb = np.clip(1.0 - 0.12 * (d / radius) ** 2, 0.8, 1.0)
                region[:] = mix(region, pal["sun"] * limb[..., None] * 1.04, disc[..., None])

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
            dens = np.asarray(
                Image.fromarray(dens.astype(np.float32), "F").resize(
                    (pw, cut), Image.Resampling.BICUBIC, box=(0, 0, cw, cut * ch / h)
                ),
                np.float32,
            )
            # the rows below the last cloud stay as they are: the rest is worked on those above it only
            filled = np.nonzero(dens.max(axis=1) > 0.0)[0]
            r1 = min(cut, int(filled[-1]) + 1) if filled.size else 0
            lit = np.array(
                Image.fromarray(lit.astype(np.float32), "F").resize(
                    (pw, r1), Image.Resampling.BICUBIC, box=(0, 0, cw, r1 * ch / h)
                ),
                np.float32,
            )
            top = dens[:r1]
            if self.sun is not None:
                sx, sy, _ = self.sun
                near = np.exp(-np.sqrt((xs - sx) ** 2 + (ys[:r1] - sy) ** 2) / (0.22 * unit))
                lit += 0.45 * near * (1.0 - np.clip(top, 0, 1))  # silver linings near the sun
            np.clip(lit, 0.0, 1.0, out=lit)
            ccol = mix(pal["cloud_dark"], pal["cloud_lit"], lit[..., None])
            opacity = 0.95 if spec.clouds > 0.6 else (0.7 if spec.time == "night" else 0.88)
            alpha = np.clip(top * opacity, 0, 1)[..., None]
            ccol -= sky[:r1]
            ccol *= alpha
            sky[:r1] += ccol
            if self.stars is not None:
                iy, ix, b, ph = self.stars
                keep = dens[iy, ix] < 0.25
                self.stars = (iy[keep], ix[keep], b[keep], ph[keep])

        self.sky_y, self.sky_u, self.sky_v = _planes_of(sky, dither, h)
