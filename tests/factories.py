"""Real test inputs made on the spot: images, broken images, videos, audio-only files."""

from __future__ import annotations

import io
import struct
import zlib
from fractions import Fraction

import av
import numpy as np
from PIL import Image


def photo(width: int = 800, height: int = 600, *, fmt: str = "JPEG", seed: int = 1) -> bytes:
    """A photo-like image: smooth gradients plus a little noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    r = 120 + 100 * np.sin(x / max(width, 1) * 3.1)
    g = 90 + 80 * np.cos(y / max(height, 1) * 2.7)
    b = 140 + 60 * np.sin((x + y) / max(width + height, 1) * 5.0)
    img = np.stack([r, g, b], axis=-1) + rng.normal(0, 6, (height, width, 3))
    out = io.BytesIO()
    Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(out, fmt, quality=92)
    return out.getvalue()


def exif_rotated_jpeg(width: int = 400, height: int = 300) -> bytes:
    """A landscape-stored JPEG whose EXIF says 'rotate 90° clockwise' (orientation 6)."""
    img = Image.open(io.BytesIO(photo(width, height)))
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def corrupt_png() -> bytes:
    good = photo(64, 64, fmt="PNG")
    return good[:40] + bytes(range(256)) * 4


def truncated_jpeg() -> bytes:
    good = photo(640, 480)
    return good[: len(good) // 2]


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png_bomb(side: int = 20000) -> bytes:
    """A tiny, valid 1-bit PNG that decodes to side×side pixels."""
    row = b"\x00" + b"\x00" * ((side + 7) // 8)
    comp = zlib.compressobj(9)
    body = b"".join(comp.compress(row) for _ in range(side)) + comp.flush()
    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", body) + _chunk(b"IEND", b"")


def pdf_bytes() -> bytes:
    return b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def mp4(seconds: float = 1.0, width: int = 320, height: int = 180, *, fps: int = 24) -> bytes:
    """A real H.264 MP4 with moving content."""
    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as box:
        stream = box.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for i in range(max(1, round(seconds * fps))):
            frame = np.zeros((height, width, 3), np.uint8)
            frame[..., 0] = (i * 9) % 255
            frame[:, : (i * 7) % width, 1] = 200
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                box.mux(packet)
        for packet in stream.encode():
            box.mux(packet)
    return out.getvalue()


def audio_only_mp4(seconds: float = 1.0) -> bytes:
    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as box:
        stream = box.add_stream("aac", rate=44100)
        stream.layout = "mono"
        samples = int(44100 * seconds)
        tone = (np.sin(np.arange(samples) / 44100 * 2 * np.pi * 440) * 0.3).astype(np.float32)
        for start in range(0, samples, 1024):
            chunk = tone[start : start + 1024].reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="mono")
            frame.sample_rate = 44100
            frame.pts = start
            frame.time_base = Fraction(1, 44100)
            for packet in stream.encode(frame):
                box.mux(packet)
        for packet in stream.encode():
            box.mux(packet)
    return out.getvalue()


def oversized_video(megabytes: int = 60) -> bytes:
    """A real MP4 padded past the upload limit (the size check must come before decoding)."""
    base = mp4(0.5)
    return base + b"\x00" * (megabytes * 1024 * 1024 - len(base))


# --- the bad-input corpus (tests/test_bad_input_corpus.py) and the fuzz seeds ------------------
MARKER = (255, 0, 0)  # the colour of the block `oriented_jpeg` puts in the stored top-left corner


def oriented_jpeg(orientation: int, width: int = 480, height: int = 320) -> bytes:
    """A landscape-stored JPEG with a red block in its stored top-left corner and EXIF `orientation`.

    Shown upright, the block is top-left (1), bottom-right (3), top-right (6) or bottom-left (8).
    """
    img = Image.open(io.BytesIO(photo(width, height, fmt="PNG"))).convert("RGB")
    img.paste(MARKER, (0, 0, width // 4, height // 4))
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = io.BytesIO()
    img.save(out, "JPEG", quality=95, exif=exif.tobytes())
    return out.getvalue()


def png_16bit(width: int = 96, height: int = 64) -> bytes:
    """A valid 16-bit-per-channel RGB PNG (as exported by raw developers), written by hand."""
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack(
        [x * 65535 // max(width - 1, 1), y * 65535 // max(height - 1, 1), (x + y) * 300 % 65536], -1
    )
    rows = b"".join(b"\x00" + row.astype(">u2").tobytes() for row in rgb)
    ihdr = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", zlib.compress(rows, 9))
        + _chunk(b"IEND", b"")
    )


def cmyk_jpeg(width: int = 320, height: int = 240) -> bytes:
    """A print-workflow JPEG in CMYK."""
    img = Image.open(io.BytesIO(photo(width, height))).convert("CMYK")
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90)
    return out.getvalue()


def palette_png_with_transparency(width: int = 128, height: int = 96) -> bytes:
    """A palette (P-mode) PNG whose index 0 is transparent: a dark shape on a see-through ground."""
    img = Image.new("P", (width, height), 0)
    img.putpalette([0, 0, 0, 20, 20, 40, 200, 40, 40] + [0] * (256 * 3 - 9))
    img.paste(1, (width // 4, height // 4, 3 * width // 4, 3 * height // 4))
    img.paste(2, (width // 3, height // 3, width // 2, height // 2))
    out = io.BytesIO()
    img.save(out, "PNG", transparency=0)
    return out.getvalue()


def gif_bytes(width: int = 64, height: int = 48) -> bytes:
    """A small animated GIF (two frames)."""
    frames = [Image.new("RGB", (width, height), c).convert("P") for c in ((200, 30, 30), (30, 30, 200))]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return out.getvalue()


def zip_bytes() -> bytes:
    """A real ZIP archive with one text member."""
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("readme.txt", "not a picture\n")
    return out.getvalue()


def truncated_mp4(seconds: float = 1.0) -> bytes:
    """A real MP4 cut in half (its index, written at the end, is lost)."""
    good = mp4(seconds)
    return good[: len(good) // 2]


def faststart_mp4(seconds: float = 0.5, width: int = 64, height: int = 48, *, fps: int = 24) -> bytes:
    """Like `mp4`, but with its index (moov) before the frames, as the gateway's outputs have it."""
    import os
    import tempfile

    fd, name = tempfile.mkstemp(suffix=".mp4")
    os.close(fd)
    try:
        with av.open(name, "w", format="mp4", options={"movflags": "+faststart"}) as box:
            stream = box.add_stream("libx264", rate=fps)
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            for i in range(max(1, round(seconds * fps))):
                frame = np.full((height, width, 3), (i * 11) % 255, np.uint8)
                frame[: (i * 3) % height, :, 2] = 220
                for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                    box.mux(packet)
            for packet in stream.encode():
                box.mux(packet)
        with open(name, "rb") as fh:
            return fh.read()
    finally:
        os.unlink(name)
