"""What every render shares: output frame sizes, frame counts, seeds and the result record."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

from demo_gateway.render.encode import FPS

_RATIOS: dict[str, tuple[int, int]] = {
    "16:9": (1280, 720),
    "9:16": (720, 1280),
    "1:1": (720, 720),
    "4:3": (960, 720),
    "3:4": (720, 960),
}
LONG_SIDE = 1280


@dataclass(frozen=True)
class RenderResult:
    path: Path
    width: int
    height: int
    fps: int
    frames: int
    duration: float


def frame_size(
    aspect_ratio: str, source_size: tuple[int, int] | None = None, resolution: str | None = None
) -> tuple[int, int]:
    """The output frame size for an aspect ratio ("auto" follows `source_size`, long side 1280).

    `resolution="1080p"` scales every size by 1.5 (16:9 becomes 1920x1080)."""
    w, h = _frame_size_720(aspect_ratio, source_size)
    if (resolution or "").lower() == "1080p":
        return max(2, round(w * 1.5 / 2) * 2), max(2, round(h * 1.5 / 2) * 2)
    return w, h


def _frame_size_720(aspect_ratio: str, source_size: tuple[int, int] | None) -> tuple[int, int]:
    ratio = (aspect_ratio or "").strip().lower()
    if ratio in _RATIOS:
        return _RATIOS[ratio]
    if ratio == "auto" and source_size and source_size[0] > 0 and source_size[1] > 0:
        sw, sh = source_size
        if sw >= sh:
            return LONG_SIDE, max(2, round(LONG_SIDE * sh / sw / 2) * 2)
        return max(2, round(LONG_SIDE * sw / sh / 2) * 2), LONG_SIDE
    return 1280, 720


def frame_count(duration: float) -> int:
    try:
        d = float(duration)
    except (TypeError, ValueError):
        d = 0.0
    if not math.isfinite(d):
        d = 0.0
    return max(1, round(d * FPS))


def seed_of(*parts: str) -> int:
    norm = "\x00".join(" ".join((p or "").lower().split()) for p in parts)
    return int.from_bytes(hashlib.sha256(norm.encode()).digest()[:8], "big")


def seed_parts(seed: int | None) -> tuple[str, ...]:
    return () if seed is None else (f"seed={int(seed)}",)


def result_of(out_path: Path, w: int, h: int, n: int) -> RenderResult:
    return RenderResult(Path(out_path), w, h, FPS, n, n / FPS)
