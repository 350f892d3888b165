"""H.264 MP4 writing and YUV 4:2:0 frame helpers for the local renderer (BT.709, limited range)."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from types import TracebackType

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FPS = 24
_KR, _KB = 0.2126, 0.0722
_KG = 1.0 - _KR - _KB


# --- colour -------------------------------------------------------------------------------------
def rgb_to_yuv(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Float RGB in 0..255 (shape (..., 3)) to float Y, Cb, Cr code values (BT.709, limited range)."""
    rgb = np.asarray(rgb, dtype=np.float32)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    luma = _KR * r + _KG * g + _KB * b
    y = 16.0 + luma * (219.0 / 255.0)
    cb = 128.0 + (b - luma) * (224.0 / 255.0 / (2.0 * (1.0 - _KB)))
    cr = 128.0 + (r - luma) * (224.0 / 255.0 / (2.0 * (1.0 - _KR)))
    return y, cb, cr


def yuv_to_rgb(y: np.ndarray, cb: np.ndarray, cr: np.ndarray) -> np.ndarray:
    """The inverse of `rgb_to_yuv` (float in, float RGB 0..255 out, unclipped)."""
    luma = (np.asarray(y, np.float32) - 16.0) * (255.0 / 219.0)
    pb = (np.asarray(cb, np.float32) - 128.0) * (255.0 / 224.0)
    pr = (np.asarray(cr, np.float32) - 128.0) * (255.0 / 224.0)
    r = luma + 2.0 * (1.0 - _KR) * pr
    b = luma + 2.0 * (1.0 - _KB) * pb
    g = (luma - _KR * r - _KB * b) / _KG
    return np.stack([r, g, b], axis=-1)


def half(plane: np.ndarray) -> np.ndarray:
    """2x2 mean of a float plane with even dimensions (for 4:2:0 chroma)."""
    p = np.asarray(plane, np.float32)
    return 0.25 * (p[0::2, 0::2] + p[1::2, 0::2] + p[0::2, 1::2] + p[1::2, 1::2])


def to_u8(a: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(a), 0, 255).astype(np.uint8)


def rgb_to_planes(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Float or uint8 RGB (H, W, 3) with even H, W to uint8 Y (H, W), U and V (H/2, W/2)."""
    y, cb, cr = rgb_to_yuv(rgb)
    return to_u8(y), to_u8(half(cb)), to_u8(half(cr))


class YuvFrame:
    """One yuv420p frame in a single buffer laid out as PyAV expects; `y`, `u`, `v` are views."""

    __slots__ = ("buf", "height", "u", "v", "width", "y")

    def __init__(self, width: int, height: int) -> None:
        self.width = width
        self.height = height
        self.buf = np.empty((height * 3 // 2, width), np.uint8)
        flat = self.buf.reshape(-1)
        n = width * height
        q = n // 4
        self.y = flat[:n].reshape(height, width)
        self.u = flat[n : n + q].reshape(height // 2, width // 2)
        self.v = flat[n + q : n + 2 * q].reshape(height // 2, width // 2)


# --- finishing touches ----------------------------------------------------------------------------
def vignette_map(width: int, height: int, strength: float) -> np.ndarray:
    """Per-pixel gain in 0..256 (uint16) darkening the corners by up to `strength`."""
    yy = (np.arange(height, dtype=np.float32) - (height - 1) / 2) / (height / 2)
    xx = (np.arange(width, dtype=np.float32) - (width - 1) / 2) / (width / 2)
    d2 = xx[None, :] ** 2 * 0.75 + yy[:, None] ** 2 * 0.85
    gain = 1.0 - strength * np.clip(d2 - 0.25, 0.0, None) ** 1.2
    return np.clip(np.rint(gain * 256.0), 0, 256).astype(np.uint16)


class Finisher:
    """Vignette, film grain and the "local preview" mark, applied in place to a YuvFrame."""

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
        self._vig = vignette_map(width, height, vignette) if vignette > 0 else None
        self._vig_c = self._vig[0::2, 0::2] if self._vig is not None else None
        self._grain = None
        self._rng = np.random.default_rng(seed ^ 0x5EED)
        if grain > 0:
            g = self._rng.normal(0.0, grain, (height + 64, width + 64))
            self._grain = np.clip(np.rint(g), -12, 12).astype(np.int16)
        self._mark = _watermark(width, height) if watermark else None

    def apply(self, f: YuvFrame) -> None:
        if self._vig is not None or self._grain is not None:
            y = f.y.astype(np.int16)
            if self._vig is not None:
                y -= 16
                y = (y.astype(np.int32) * self._vig >> 8).astype(np.int16)
                y += 16
                for c in (f.u, f.v):
                    t = c.astype(np.int32) - 128
                    t *= self._vig_c
                    t >>= 8
                    t += 128
                    c[:] = t
            if self._grain is not None:
                oy, ox = self._rng.integers(0, 64, 2)
                y += self._grain[oy : oy + self.height, ox : ox + self.width]
            np.clip(y, 0, 255, out=y)
            f.y[:] = y
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
    size = max(11, round(min(width, height) * 0.022))
    font = ImageFont.load_default(size=size)
    text = "local preview"
    left, top, right, bottom = font.getbbox(text)
    pad = max(4, size // 2)
    w = (right - left) + 2 * pad
    h = (bottom - top) + 2 * pad
    w += w % 2
    h += h % 2
    im = Image.new("L", (w, h), 0)
    ImageDraw.Draw(im).text((pad - left, pad - top), text, fill=255, font=font)
    shadow = np.asarray(im.filter(ImageFilter.GaussianBlur(max(1.5, size / 7))), np.float32) / 255.0
    alpha = np.asarray(im, np.float32) / 255.0 * 0.62
    margin = max(8, round(min(width, height) * 0.03))
    y0 = (height - h - margin + pad // 2) // 2 * 2
    x0 = (width - w - margin + pad // 2) // 2 * 2
    return y0, x0, alpha, np.clip(shadow * 0.45, 0.0, 0.45)


# --- writing --------------------------------------------------------------------------------------
class VideoWriter:
    """Writes frames to a temp file beside `out_path`; `close()` moves it into place atomically."""

    def __init__(
        self,
        out_path: Path,
        width: int,
        height: int,
        *,
        fps: int = FPS,
        preset: str = "veryfast",
        crf: int = 21,
        tune: str | None = None,
    ) -> None:
        if width % 2 or height % 2 or width <= 0 or height <= 0:
            raise ValueError(f"frame size must be positive and even, got {width}x{height}")
        self.out_path = Path(out_path)
        self.width = width
        self.height = height
        self.fps = fps
        self.frames = 0
        self.out_path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = self.out_path.with_name(
            f".{self.out_path.name}.{os.getpid()}.{secrets.token_hex(4)}.part"
        )
        self._closed = False
        self._container = av.open(str(self._tmp), mode="w", format="mp4", options={"movflags": "+faststart"})
        try:
            stream = self._container.add_stream("libx264", rate=fps)
            stream.width = width
            stream.height = height
            stream.pix_fmt = "yuv420p"
            opts = {"preset": preset, "crf": str(crf)}
            if tune:
                opts["tune"] = tune
            stream.options = opts
            cc = stream.codec_context
            cc.thread_count = 2
            cc.colorspace = 1  # BT.709
            cc.color_primaries = 1
            cc.color_trc = 1
            cc.color_range = 1  # limited ("tv")
            self._stream = stream
        except BaseException:
            self.abort()
            raise

    def write(self, frame: YuvFrame) -> None:
        vf = av.VideoFrame.from_ndarray(frame.buf, format="yuv420p")
        vf.pts = self.frames
        self.frames += 1
        for packet in self._stream.encode(vf):
            self._container.mux(packet)

    def write_rgb(self, rgb: np.ndarray) -> None:
        f = YuvFrame(self.width, self.height)
        f.y[:], f.u[:], f.v[:] = rgb_to_planes(rgb)
        self.write(f)

    def close(self) -> Path:
        if self._closed:
            return self.out_path
        try:
            for packet in self._stream.encode():
                self._container.mux(packet)
            self._container.close()
        except BaseException:
            self.abort()
            raise
        self._closed = True
        os.replace(self._tmp, self.out_path)
        return self.out_path

    def abort(self) -> None:
        if not self._closed:
            self._closed = True
            with contextlib.suppress(Exception):
                self._container.close()
        with contextlib.suppress(FileNotFoundError):
            self._tmp.unlink()

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
