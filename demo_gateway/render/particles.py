"""Rain, snow, fireflies, embers, dust and sparkles: particles stamped cheaply onto YUV frames."""

from __future__ import annotations

import math

import numpy as np

from demo_gateway.render.encode import YuvFrame, rgb_to_yuv, to_u8


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
