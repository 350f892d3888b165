"""Open water and wet streets: sky and land mirrored below the horizon, rippling, with the sun's glitter."""

from __future__ import annotations

import numpy as np

from demo_gateway.render.encode import FPS, YuvFrame, rgb_to_yuv
from demo_gateway.render.noise import fbm2d
from demo_gateway.render.scene_spec import SceneSpec


class Water:
    """Builds and draws a TextScene's water; mixed into TextScene, which sets the attributes below."""

    spec: SceneSpec
    pal: dict[str, np.ndarray]
    rng: np.random.Generator
    w: int
    h: int
    horizon: int
    sky_pw: int
    sun: tuple[float, float, float] | None

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
        # rows are mirrored with a sideways shift each: copied into padded buffers (edges repeated) and
        # sliced per row, far cheaper than gathering every pixel through an index array
        jitter = 0.15 if wet else 0.75
        self.w_jitter = jitter
        self.w_pad = pad = int(np.ceil(float(self.w_amp.max()) * (0.55 + jitter))) + 2
        self.w_rows = np.empty((rows, w + 2 * pad), np.uint8)
        self.w_shifted = np.empty((rows, w), np.uint8)
        self.w_y = np.empty((rows, w), np.float32)
        crows = h // 2 - hz // 2
        self.w_crows = np.empty((2, crows, w // 2 + 2 * pad), np.uint8)
        self.w_cshifted = np.empty((2, crows, w // 2), np.uint8)
        # chroma is mixed with the water's colour in 8-bit fixed point: c * R + base * (256 - R) is a
        # weighted mean of two codes times 256, so it never leaves uint16
        gain = np.rint(self.w_refl[0 : 2 * crows : 2, 0] * 256.0).astype(np.uint16)[:, None]
        self.w_cgain = gain
        self.w_cbase = [
            np.rint(base * (256 - gain.astype(np.float32)) + 128.0).astype(np.uint16) for base in (wu, wv)
        ]
        self.w_ctmp = np.empty((crows, w // 2), np.uint16)
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
            # most of a pattern is exactly 0 (the clip): each is kept as its lit points, sorted by column,
            # so a frame adds only those (adding 0 would change nothing)
            self.glint = [
                _lit_points(
                    (
                        near * np.clip(dash * (0.5 + 0.5 * np.sin(phase + k * 0.785)) - 0.6, 0, None) * 420.0
                    ).astype(np.float32),
                    w,
                )
                for k in range(8)
            ]
            self.glint_x = (x0, x1)

    def _draw_water(self, f: YuvFrame, t: float, sky_off: int) -> None:
        h, w, hz = self.h, self.w, self.horizon
        dx = self.w_amp * (
            0.55 * np.sin(self.w_swell * 0.35 - t * 1.7)
            + self.w_jitter * np.sin(self.w_rowfreq * t + self.w_rowphase)
        )
        shifts = np.rint(dx).astype(np.int64)
        pad, buf, out = self.w_pad, self.w_rows, self.w_shifted
        buf[:, pad : pad + w] = f.y[self.w_src]
        _shift_rows(buf, out, pad, shifts)
        swell = 1.0 + 0.025 * np.sin(self.w_swell - t * 2.2)
        wy = self.w_col[0]
        refl = self.w_refl[:, 0]
        y = self.w_y
        np.multiply(out, (refl * swell)[:, None], out=y)
        y += (wy * (1.0 - refl) * swell + 0.5)[:, None]
        off = int(t * 14) % 64
        y += self.w_streak[:, off : off + w]
        if self.glint is not None:
            g0, g1 = self.glint_x
            a, b = max(0, g0 - sky_off), min(w, g1 - sky_off)
            if b > a:
                cols, flat, vals = self.glint[int(round(t * FPS)) % len(self.glint)]
                # the points in columns a..b of the frame (a - (g0 - sky_off) on in the pattern)
                lo, hi = np.searchsorted(cols, (a - (g0 - sky_off), b - (g0 - sky_off)))
                if hi > lo:
                    at = flat[lo:hi] + (g0 - sky_off)
                    y.reshape(-1)[at] += vals[lo:hi]
        np.clip(y, 0, 255, out=y)
        f.y[hz:] = y
        hc = hz // 2
        crows = (h // 2) - hc
        sel = slice(0, 2 * crows, 2)
        csrc = np.clip(self.w_src[sel] // 2, 0, h // 2 - 1)
        cshifts = shifts[sel] // 2
        cbuf, cout, tmp = self.w_crows, self.w_cshifted, self.w_ctmp
        for k, plane in enumerate((f.u, f.v)):
            cbuf[k, :, pad : pad + w // 2] = plane[csrc]
            _shift_rows(cbuf[k], cout[k], pad, cshifts)
            np.multiply(cout[k], self.w_cgain, out=tmp)  # base + (c - base) * reflectance, rounded
            tmp += self.w_cbase[k]
            tmp >>= 8
            plane[hc:] = tmp


def _lit_points(pattern: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The non-zero points of a glint pattern, ordered by column: (columns, row * width + column, values),
    the second an index into a frame-wide buffer `width` wide once the pattern's offset is added."""
    cols_first = np.ascontiguousarray(pattern.T)
    c, r = np.nonzero(cols_first)
    return c.astype(np.intp), (r * width + c).astype(np.intp), cols_first[c, r]


def _shift_rows(buf: np.ndarray, out: np.ndarray, pad: int, shifts: np.ndarray) -> None:
    """out[j] = row j of `buf` (its middle filled, `pad` columns either side free) moved `shifts[j]` px
    to the left, the edge pixels repeated where it runs out (as a clipped gather would)."""
    rows, w = out.shape
    buf[:, :pad] = buf[:, pad : pad + 1]
    buf[:, pad + w :] = buf[:, pad + w - 1 : pad + w]
    # every row's w-wide windows, as a view (no copy): one gather picks row j's window at pad + shifts[j]
    windows = np.lib.stride_tricks.sliding_window_view(buf, w, axis=1)
    out[:] = windows[np.arange(rows), pad + shifts]
