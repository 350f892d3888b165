"""Benchmark: preparing a 6000×4000 photo for upload, against a full-size decode + re-encode.

Run: python bench/bench_media.py [--repeat 5]
Prints timings (best of N) and ratios; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, JpegImagePlugin

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from studio.media import prepare_image  # noqa: E402


def photo_jpeg(width: int = 6000, height: int = 4000, quality: int = 92) -> bytes:
    """A photo-like JPEG: gradients, soft shapes and sensor noise (compresses like a real photo)."""
    rng = np.random.default_rng(42)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    r = 255 * x / (width - 1)
    g = 200 * y / (height - 1) + 30 * np.sin(x / 150.0)
    b = 128 + 90 * np.sin(x / 370.0) * np.cos(y / 530.0)
    arr = np.stack([r, g, b], axis=-1)
    arr += rng.normal(0, 7, arr.shape).astype(np.float32)
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def best_of(repeat: int, fn) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def full_size_reencode(data: bytes) -> bytes:
    """Baseline: decode at full size and re-encode, no resizing (what a naive upload path costs)."""
    img = Image.open(io.BytesIO(data))
    img.load()
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90, optimize=True, progressive=True)
    return buf.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    t0 = time.perf_counter()
    original = photo_jpeg()
    print(
        f"source: 6000×4000 JPEG q92, {len(original) / 1e6:.2f} MB (made in {time.perf_counter() - t0:.1f} s)"
    )

    t_base, base = best_of(args.repeat, lambda: full_size_reencode(original))
    t_fast, prepared = best_of(args.repeat, lambda: prepare_image(original, "16:9"))
    t_fit, fitted = best_of(args.repeat, lambda: prepare_image(original, "9:16", fit="fit"))

    real_draft = JpegImagePlugin.JpegImageFile.draft
    JpegImagePlugin.JpegImageFile.draft = lambda self, mode, size: None  # type: ignore[method-assign]
    try:
        t_nodraft, _ = best_of(args.repeat, lambda: prepare_image(original, "16:9"))
    finally:
        JpegImagePlugin.JpegImageFile.draft = real_draft  # type: ignore[method-assign]

    print(f"best of {args.repeat}:")
    print(f"  baseline: full-size decode + re-encode   {t_base * 1000:8.1f} ms  -> {len(base) / 1e6:6.2f} MB")
    print(
        f"  prepare_image 16:9 crop, with draft()    {t_fast * 1000:8.1f} ms  -> {len(prepared.data) / 1e6:6.3f} MB"
    )
    print(f"  prepare_image 16:9 crop, without draft() {t_nodraft * 1000:8.1f} ms")
    print(
        f"  prepare_image 9:16 fit, with draft()     {t_fit * 1000:8.1f} ms  -> {len(fitted.data) / 1e6:6.3f} MB"
    )
    print("ratios:")
    print(f"  draft speed-up (without / with)          {t_nodraft / t_fast:6.1f}×")
    print(f"  vs baseline (baseline / prepare)         {t_base / t_fast:6.1f}×")
    print(f"  bytes uploaded / original                {len(prepared.data) / len(original):8.3f}")
    print(f"  bytes uploaded / baseline re-encode      {len(prepared.data) / len(base):8.3f}")
    print(f"  note: {prepared.note}")


if __name__ == "__main__":
    main()
