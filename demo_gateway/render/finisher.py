"""Finishing touches on frames: vignette, film grain and the "local preview" mark (and lifting it off)."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from demo_gateway.render.encode import YuvFrame, rgb_to_yuv, to_u8, yuv_to_rgb


def vignette_map(width: int, height: int, strength: float) -> np.ndarray:
    """Per-pixel gain in 0..256 (uint16) darkening the corners by up to `strength`."""
    yy = (np.arange(height, dtype=np.float32) - (height - 1) / 2) / (height / 2)
    xx = (np.arange(width, dtype=np.float32) - (width - 1) / 2) / (width / 2)
    d2 = xx[None, :] ** 2 * 0.75 + yy[:, None] ** 2 * 0.85
    gain = 1.0 - strength * np.clip(d2 - 0.25, 0.0, None) ** 1.2
    return np.clip(np.rint(gain * 256.0), 0, 256).astype(np.uint16)


class Vignette:
    """Darkens the corners of a uint8 luma plane in place: Y' = 16 + (Y - 16) * gain."""

    def __init__(self, width: int, height: int, strength: float) -> None:
        gain = vignette_map(width, height, strength)
        self._gain = gain
        # (Y * g + 16 * (256 - g)) >> 8 never leaves uint16
        self._offset = (16 * (256 - gain.astype(np.int32))).astype(np.uint16)
        self._tmp = np.empty((height, width), np.uint16)

    def apply(self, y: np.ndarray) -> None:
        t = self._tmp
        np.multiply(y, self._gain, out=t)
        t += self._offset
        t >>= 8
        y[:] = t


class Grain:
    """Film grain for a uint8 luma plane, added in place from a pre-drawn tile at a random offset.

    With `midtones=(lo, hi)` the grain is full strength only for luma codes between lo and hi and
    `edge_gain` of it in the shadows and highlights, as film grain shows most in the midtones. Fresh
    grain every frame is what costs the encoder most, so this also makes grainy looks cheaper to encode.
    """

    def __init__(
        self,
        width: int,
        height: int,
        sigma: float,
        rng: np.random.Generator,
        *,
        midtones: tuple[int, int] | None = None,
        edge_gain: float = 0.45,
    ) -> None:
        self.width, self.height, self._rng = width, height, rng
        g = np.clip(np.rint(rng.normal(0.0, sigma, (height + 32, width + 32))), -12, 12)
        # -12..12 stored modulo 256: one wrapping uint8 add applies it, up or down, in a single pass
        self._add = (g.astype(np.int16) % 256).astype(np.uint8)
        self._mid: list[int] | None = None
        if midtones is not None:
            low = np.rint(g * edge_gain).astype(np.int16)
            self._add = (low % 256).astype(np.uint8)  # everywhere
            self._extra = ((g.astype(np.int16) - low) % 256).astype(np.uint8)  # midtones only
            lo, hi = midtones
            self._mid = [255 if lo <= c <= hi else 0 for c in range(256)]  # a bit mask per code
            self._tmp = np.empty((height, width), np.uint8)

    def apply(self, y: np.ndarray) -> None:
        oy, ox = (int(v) for v in self._rng.integers(0, 32, 2))
        np.clip(y, 12, 243, out=y)  # so the true sum stays in 0..255 and the wrapping adds are exact
        window = (slice(oy, oy + self.height), slice(ox, ox + self.width))
        if self._mid is not None:
            mask = np.asarray(Image.fromarray(y, "L").point(self._mid))
            y += np.bitwise_and(self._extra[window], mask, out=self._tmp)
        y += self._add[window]


class Finisher:
    """Vignette, light film grain and the "local preview" mark, applied in place to a YuvFrame."""

    def __init__(
        self,
        width: int,
        height: int,
        *,
        vignette: float = 0.0,
        grain: float = 0.0,
        watermark: bool = True,
        seed: int = 0,
    ) -> None:
        self.width, self.height = width, height
        self._vig = Vignette(width, height, vignette) if vignette > 0 else None
        self._grain = Grain(width, height, grain, np.random.default_rng(seed ^ 0x5EED)) if grain > 0 else None
        self._mark = _watermark(width, height) if watermark else None
        if self._mark is not None and (self._mark[0] < 0 or self._mark[1] < 0):
            self._mark = None  # a frame too small to carry the mark legibly

    def apply(self, f: YuvFrame) -> None:
        if self._vig is not None:
            self._vig.apply(f.y)
        if self._grain is not None:
            self._grain.apply(f.y)
        if self._mark is not None:
            (y0, x0, alpha, shadow) = self._mark
            h, w = alpha.shape
            reg = f.y[y0 : y0 + h, x0 : x0 + w].astype(np.float32)
            reg = reg * (1.0 - shadow) + 16.0 * shadow
            reg = reg + (235.0 - reg) * alpha
            f.y[y0 : y0 + h, x0 : x0 + w] = to_u8(reg)
            ca = alpha[0::2, 0::2]
            for c in (f.u, f.v):
                sub = c[y0 // 2 : y0 // 2 + ca.shape[0], x0 // 2 : x0 // 2 + ca.shape[1]].astype(np.float32)
                c[y0 // 2 : y0 // 2 + ca.shape[0], x0 // 2 : x0 // 2 + ca.shape[1]] = to_u8(
                    sub + (128.0 - sub) * ca
                )


def _watermark(width: int, height: int) -> tuple[int, int, np.ndarray, np.ndarray]:
    """Light text on a faint dark pill: legible on any background, small enough not to intrude."""
    size = max(10, round(min(width, height) * 0.02))
    font = ImageFont.load_default(size=size)
    text = "local preview"
    left, top, right, bottom = font.getbbox(text)
    pad_x, pad_y = max(6, round(size * 0.7)), max(3, round(size * 0.35))
    w = (right - left) + 2 * pad_x
    h = (bottom - top) + 2 * pad_y
    w += w % 2
    h += h % 2
    glyphs = Image.new("L", (w, h), 0)
    ImageDraw.Draw(glyphs).text((pad_x - left, pad_y - top), text, fill=255, font=font)
    pill = Image.new("L", (w * 4, h * 4), 0)
    ImageDraw.Draw(pill).rounded_rectangle((0, 0, w * 4 - 1, h * 4 - 1), radius=h * 2, fill=255)
    pill = pill.resize((w, h), Image.Resampling.LANCZOS)
    alpha = np.asarray(glyphs, np.float32) / 255.0 * 0.8
    shade = np.asarray(pill, np.float32) / 255.0 * 0.3
    margin = max(8, round(min(width, height) * 0.028))
    y0 = (height - h - margin) // 2 * 2
    x0 = (width - w - margin) // 2 * 2
    return y0, x0, alpha, shade


def lift_watermark(rgb: np.ndarray) -> tuple[np.ndarray, bool]:
    """Undo the "local preview" mark on a picture that carries it (a frame grabbed from a demo take, at
    the take's size); returns (picture, whether a mark was found). Pictures without it come back as is."""
    h, w = rgb.shape[:2]
    if w % 2 or h % 2 or w < 64 or h < 64:
        return rgb, False
    y0, x0, alpha, shade = _watermark(w, h)
    mh, mw = alpha.shape
    if y0 < 0 or x0 < 0:
        return rgb, False
    reg = np.asarray(rgb[y0 : y0 + mh, x0 : x0 + mw], np.float32)
    yy, cb, cr = rgb_to_yuv(reg)
    glyph, clear = alpha > 0.5, (alpha < 0.02) & (shade > 0.2)
    if not glyph.any() or not clear.any():
        return rgb, False
    contrast = float(yy[glyph].mean() - yy[clear].mean())
    if contrast < 35.0:  # also a flat picture, where a correlation means nothing
        return rgb, False
    corr = float(np.corrcoef(yy.reshape(-1), alpha.reshape(-1))[0, 1])
    if contrast < 35.0 or corr < 0.6:
        return rgb, False
    keep = 1.0 - alpha
    yy = ((yy - 235.0 * alpha) / keep - 16.0 * shade) / (1.0 - shade)
    cb = (cb - 128.0 * alpha) / keep
    cr = (cr - 128.0 * alpha) / keep
    fixed = np.clip(yuv_to_rgb(yy, cb, cr), 0, 255)
    # the glyphs' cores were mostly mark: fill them from a median of their surroundings
    smooth = np.asarray(
        Image.fromarray(fixed.astype(np.uint8)).filter(ImageFilter.MedianFilter(5)), np.float32
    )
    t = np.clip((alpha - 0.2) / 0.4, 0, 1)[..., None]
    fixed = fixed * (1 - t) + smooth * t
    out = np.array(rgb, copy=True)
    out[y0 : y0 + mh, x0 : x0 + mw] = np.clip(np.rint(fixed), 0, 255).astype(out.dtype)
    return out, True
