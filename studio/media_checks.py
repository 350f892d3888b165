"""Sanity checks against hostile media, made before anything is decoded in full or spent.

Videos: a source's resolution and declared length against the chosen model's limits (read from the
catalogue), and its frame count against the length it declares (a 2 KB file "of 10 hours").
Images: header sizes read without decoding, extreme aspect ratios, a decode-memory budget, and a bounded (banded, reduced) decode.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PIL import Image

from studio.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    import av

    from studio.catalog import Model

# --- videos ------------------------------------------------------------------------------------
DEFAULT_MAX_SOURCE_SECONDS = 300.0  # a source longer than this is refused whatever the model
DEFAULT_MAX_SOURCE_SIDE = 4096  # DCI 4K: no model takes more
DEFAULT_MAX_SOURCE_PIXELS = 4096 * 2160
MIN_FPS = 1.0  # fewer frames per second of declared length: the length is a lie (or a slideshow)
MAX_FPS = 240.0
CHECK_AFTER_SECONDS = 2.0  # frame-rate sanity applies to sources at least this long


@dataclass(frozen=True)
class SourceLimits:
    """What a model accepts as a source video; `label` names the model in messages."""

    max_seconds: float = DEFAULT_MAX_SOURCE_SECONDS
    max_side: int = DEFAULT_MAX_SOURCE_SIDE
    max_pixels: int = DEFAULT_MAX_SOURCE_PIXELS
    label: str = ""

    @property
    def max_packets(self) -> int:
        """More packets than this cannot be a source within the limits (counting stops there)."""
        return int(self.max_seconds * MAX_FPS) + 64


def source_limits(model: Model | None) -> SourceLimits:
    """A model's source limits: its own, else the offline catalogue's for the same id, else defaults."""
    if model is None:
        return SourceLimits()
    from studio import catalog

    known = catalog.offline().find(model.id)

    def pick(name: str) -> int | None:
        value = getattr(model, name, None)
        if value is None and known is not None:
            value = getattr(known, name, None)
        return value if isinstance(value, int) and value > 0 else None

    seconds = pick("max_source_file_seconds")
    side = pick("max_source_side")
    pixels = pick("max_source_pixels")
    return SourceLimits(
        max_seconds=float(
            min(seconds, DEFAULT_MAX_SOURCE_SECONDS) if seconds else DEFAULT_MAX_SOURCE_SECONDS
        ),
        max_side=min(side, DEFAULT_MAX_SOURCE_SIDE) if side else DEFAULT_MAX_SOURCE_SIDE,
        max_pixels=min(pixels, DEFAULT_MAX_SOURCE_PIXELS) if pixels else DEFAULT_MAX_SOURCE_PIXELS,
        label=model.label,
    )


def _whose(limits: SourceLimits) -> str:
    return f"{limits.label} takes" if limits.label else "the studio takes"


def duration_text(seconds: float) -> str:
    """`"10 h 0 min"`, `"3 min 20 s"`, `"12.5 s"`."""
    if seconds >= 3600:
        return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60)} min"
    if seconds >= 60:
        return f"{int(seconds // 60)} min {int(seconds % 60)} s"
    return f"{seconds:.3g} s"


def check_source_header(width: int, height: int, declared: float, limits: SourceLimits) -> None:
    """Resolution and declared length, from the headers alone: before any frame is decoded."""
    if (
        width > 0
        and height > 0
        and (max(width, height) > limits.max_side or width * height > limits.max_pixels)
    ):
        raise InputError(
            f"This video is {width}×{height} pixels; {_whose(limits)} sources up to "
            f"{limits.max_side} pixels on the long side ({limits.max_pixels / 1e6:.1f} megapixels). "
            "Export a smaller copy and try again.",
            field="video",
        )
    if declared > limits.max_seconds:
        raise InputError(
            f"This video says it is {duration_text(declared)} long; {_whose(limits)} sources up to "
            f"{duration_text(limits.max_seconds)}. Trim it and try again.",
            field="video",
        )


def count_packets(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream, cap: int
) -> int:
    """The video stream's non-empty packets (no decoding); stops counting just past `cap`."""
    frames = 0
    container.seek(0)
    for packet in container.demux(stream):
        if packet.size:
            frames += 1
            if frames > cap:
                break
    container.seek(0)
    return frames


def check_source_frames(frames: int, declared: float, limits: SourceLimits) -> None:
    """The frames a file holds must fit the length it declares (else its price and render lie)."""
    if frames > limits.max_packets:
        raise InputError(
            f"This video holds more than {limits.max_packets:,} frames; {_whose(limits)} sources up to "
            f"{duration_text(limits.max_seconds)}. Trim it and try again.",
            field="video",
        )
    if declared < CHECK_AFTER_SECONDS or frames <= 0:
        return
    rate = frames / declared
    if rate < MIN_FPS or rate > MAX_FPS * 1.05:
        raise InputError(
            f"This video says it is {duration_text(declared)} long but holds {frames:,} frames "
            f"({rate:.3g} per second): its timing is broken. Re-export it and try again.",
            field="video",
        )


# --- image headers -------------------------------------------------------------------------
def image_header_size(data: bytes, kind: str) -> tuple[int, int] | None:
    """Width and height as the header declares them, read without decoding any pixels."""
    try:
        if kind == "png":
            if data[12:16] == b"IHDR":
                return struct.unpack(">II", data[16:24])
            return None
        if kind == "jpeg":
            return _jpeg_size(data)
        if kind == "webp":
            return _webp_size(data)
    except (struct.error, IndexError):
        return None
    return None


_SOF_MARKERS = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i, n = 2, len(data)
    while i + 4 <= n:
        if data[i] != 0xFF:
            return None
        while i < n and data[i] == 0xFF:  # fill bytes
            i += 1
        if i >= n:
            return None
        marker = data[i]
        i += 1
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            continue
        if marker in (0xD9, 0xDA):
            return None
        (length,) = struct.unpack(">H", data[i : i + 2])
        if marker in _SOF_MARKERS:
            height, width = struct.unpack(">HH", data[i + 3 : i + 7])
            return width, height
        i += length
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X":
        width = 1 + int.from_bytes(data[24:27], "little")
        height = 1 + int.from_bytes(data[27:30], "little")
        return width, height
    if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and data[20] == 0x2F:
        (bits,) = struct.unpack("<I", data[21:25])
        return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    return None


# --- images ------------------------------------------------------------------------------------
MAX_ASPECT = 8  # the long side at most 8 × the short one
DECODE_BUDGET = 140 * 1024 * 1024  # bytes the full-size decode of one upload may take
REDUCED_PIXELS = 8_000_000  # the reduced copy stays under this (8 MP: 2× a 1920 px long side, 16:9)
BAND_PIXELS = 1_000_000  # pixels normalised at a time by `reduce_in_bands`
_MODE_BYTES = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16B": 2, "I;16L": 2, "I;16N": 2}
# Decoders that hold a second full copy while decoding (libwebp returns its own buffer).
_DECODER_COPIES = {"webp": 2}


def check_aspect(width: int, height: int) -> None:
    """Refuse strips and slivers: nothing wider or taller than 8:1 makes a usable video frame."""
    if width <= 0 or height <= 0:
        return
    if max(width, height) > MAX_ASPECT * min(width, height):
        shape = "wide" if width > height else "tall"
        raise InputError(
            f"This image is {width}×{height} pixels: far too {shape} for a video frame (the limit is "
            f"{MAX_ASPECT}:1 either way). Crop it to a usual shape and try again.",
            field="image",
        )


def decode_bytes(width: int, height: int, mode: str, kind: str) -> int:
    """About how many bytes decoding this picture at this size takes."""
    return width * height * _MODE_BYTES.get(mode, 4) * _DECODER_COPIES.get(kind, 1)


def check_decode_budget(width: int, height: int, mode: str, kind: str) -> None:
    needed = decode_bytes(width, height, mode, kind)
    if needed > DECODE_BUDGET:
        mp = width * height / 1e6
        raise InputError(
            f"This {kind.upper()} image is {width}×{height} pixels ({mp:,.0f} megapixels, "
            f"{'16-bit ' if mode.startswith('I;16') else ''}{mode}); decoding it would take "
            f"{needed / 2**20:,.0f} MB, more than the {DECODE_BUDGET // 2**20} MB allowed. "
            "Export a smaller copy (or a JPEG) and try again.",
            field="image",
        )


def reduce_factor(scale: float, width: int, height: int) -> int:
    """The whole-number reduction that keeps at least 2× the pixels the final `scale` needs,
    and at most `REDUCED_PIXELS` pixels in the reduced copy."""
    factor = 1
    if scale and math.isfinite(scale) and scale < 0.5:
        factor = max(1, math.floor(1.0 / (2.0 * scale)))
    while (width // factor) * (height // factor) > REDUCED_PIXELS:
        factor += 1
    return factor


def reduce_in_bands(
    im: Image.Image, factor: int, normalise: Callable[[Image.Image], Image.Image]
) -> Image.Image:
    """`normalise(im).reduce(factor)`, done a band of rows at a time: never a second full-size copy.

    `normalise` must map every band to the same mode (decided by the whole picture, not the band).
    """
    width, height = im.size
    rows = max(factor, (BAND_PIXELS // max(1, width)) // factor * factor)
    out: Image.Image | None = None
    for top in range(0, height, rows):
        band = normalise(im.crop((0, top, width, min(height, top + rows))))
        if factor > 1:
            band = band.reduce(factor)
        if out is None:
            out = Image.new(band.mode, (-(-width // factor), -(-height // factor)))
        out.paste(band, (0, top // factor))
    assert out is not None
    return out
