"""Smooth fractal noise and small blending helpers for the procedural scenes."""

from __future__ import annotations

import numpy as np
from PIL import Image

# --- noise ------------------------------------------------------------------------------------------


def fbm1d(rng: np.random.Generator, n: int, period: float, octaves: int = 5, gain: float = 0.5) -> np.ndarray:
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


def fbm2d(
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


def box(a: np.ndarray, k: int) -> np.ndarray:
    pad = np.pad(a, k // 2, mode="edge")
    return np.convolve(pad, np.ones(k, np.float32) / k, mode="valid")[: a.shape[0]]


def smoothstep(e0: float, e1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - e0) / (e1 - e0), 0.0, 1.0)
    return t * t * (3 - 2 * t)


def mix(a: np.ndarray, b: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    return a + (b - a) * t
