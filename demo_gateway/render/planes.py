"""uint8 plane resampling and filters for the remix looks: shrink, integer 2x bilinear growth, edges, medians."""

from __future__ import annotations

import numpy as np
from PIL import Image


def image(a: np.ndarray) -> Image.Image:
    return Image.fromarray(np.ascontiguousarray(a), "L")


def size_div(w: int, h: int, div: int) -> tuple[int, int]:
    return max(1, w // div), max(1, h // div)


def shrink(im: Image.Image, size: tuple[int, int]) -> Image.Image:
    """A box-filtered shrink to `size`: Pillow's reduce() (several times faster) when `size` divides the
    picture exactly by a whole factor, else resize(BOX). The two differ by at most one code (rounding)."""
    k = im.width // size[0]
    if k >= 2 and im.width == size[0] * k and im.height == size[1] * k:
        return im.reduce(k)
    return im.resize(size, Image.Resampling.BOX)


def put(plane: np.ndarray, im: Image.Image) -> None:
    plane[:] = np.asarray(im)


def up2(a: np.ndarray, plus: np.ndarray | None = None) -> np.ndarray:
    """A uint8 plane at twice the size, bilinear (weights 3/4 and 1/4, edges repeated, as Pillow's
    BILINEAR within one code) in integer numpy, about twice as fast as Pillow's resize; with `plus`
    (uint8, the output's size) that plane is added to the result, saturating at 255."""
    h, w = a.shape
    s = a.astype(np.uint16)
    p = np.empty((h + 2, w), np.uint16)
    p[1:-1], p[0], p[-1] = s, s[0], s[-1]
    s *= 3
    r = np.empty((2 * h, w + 2), np.uint16)  # rows done, one column of padding each side
    np.add(s, p[:-2], out=r[0::2, 1:-1])
    np.add(s, p[2:], out=r[1::2, 1:-1])
    r[:, 0], r[:, -1] = r[:, 1], r[:, -2]
    c = r[:, 1:-1] * 3
    o = np.empty((2 * h, 2 * w), np.uint16)
    np.add(c, r[:, :-2], out=o[:, 0::2])
    np.add(c, r[:, 2:], out=o[:, 1::2])
    if plus is not None:
        o += plus.astype(np.uint16) << 4  # at most 16 * 255 + 16 * 255: no overflow
    o += 8
    o >>= 4
    if plus is not None:
        np.minimum(o, 255, out=o)
    return o.astype(np.uint8)


def grow(a: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A uint8 plane resized bilinearly to `size` (w, h): by `up2` while that doubles it exactly."""
    while a.shape[1] * 2 <= size[0] and a.shape[0] * 2 <= size[1]:
        a = up2(a)
    if (a.shape[1], a.shape[0]) != size:
        a = np.asarray(image(a).resize(size, Image.Resampling.BILINEAR))
    return a


def edges(a: np.ndarray) -> np.ndarray:
    """Gradient magnitude |dx| + |dy| of a uint8 plane (int16, zero on the border)."""
    s = a.astype(np.int16)
    e = np.zeros_like(s)
    core = e[1:-1, 1:-1]
    np.abs(s[1:-1, 2:] - s[1:-1, :-2], out=core)
    core += np.abs(s[2:, 1:-1] - s[:-2, 1:-1])
    return e


def median5(a: np.ndarray) -> np.ndarray:
    """A 5x5 median, done as a 5-tap median across then down (edges repeated): the same cleaning of
    small specks as a full 2-D median at a small fraction of its cost."""
    return median5_rows(median5_rows(a.T).T)


def median5_rows(a: np.ndarray) -> np.ndarray:
    p = np.pad(a, ((0, 0), (2, 2)), mode="edge")
    w = a.shape[1]
    v0, v1, v2, v3, v4 = (p[:, k : k + w] for k in range(5))
    # drop the lowest and the highest of four (neither can be the median of five), then take the
    # median of the three that are left
    lo = np.maximum(np.minimum(v0, v1), np.minimum(v3, v4))
    hi = np.minimum(np.maximum(v0, v1), np.maximum(v3, v4))
    return np.maximum(np.minimum(lo, hi), np.minimum(np.maximum(lo, hi), v2))
