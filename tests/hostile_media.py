"""Hostile media made in the tests (PyAV, Pillow, bytes): tiny files that declare huge work."""

from __future__ import annotations

import io
import struct
import zlib
from fractions import Fraction

import av
import numpy as np


def stretched_mp4(
    frames: int = 3, seconds_between: float = 5 * 3600, size: tuple[int, int] = (64, 64)
) -> bytes:
    """A valid H.264 MP4 of a few frames whose timestamps are hours apart: ~1.7 KB "of 10 hours"."""
    fps = 24
    w, h = size
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as c:
        s = c.add_stream("libx264", rate=fps)
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        s.options = {"preset": "ultrafast"}
        s.time_base = Fraction(1, fps)
        for i in range(frames):
            f = av.VideoFrame.from_ndarray(np.full((h, w, 3), i * 40 % 255, np.uint8), format="rgb24")
            f.pts, f.time_base = round(i * seconds_between * fps), Fraction(1, fps)
            for p in s.encode(f):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return buf.getvalue()


def plain_mp4(size: tuple[int, int], frames: int = 2) -> bytes:
    """Normal 24 fps frames at any size (a 4160×64 strip stands in for an 8K clip: same header check)."""
    return stretched_mp4(frames, 1 / 24, size)


def png_16bit(width: int, height: int, channels: int = 4) -> bytes:
    """A flat 16-bit PNG (RGBA by default) written row by row: a few hundred KB for 36 MP."""
    color_type = {1: 0, 3: 2, 4: 6}[channels]
    comp, parts = zlib.compressobj(9), []
    row = b"\x00" + bytes(width * 2 * channels)
    parts = [comp.compress(row) for _ in range(height)]
    parts.append(comp.flush())

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 16, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", b"".join(parts)) + chunk(b"IEND", b"")
