"""The local renderer behind the offline gateway: real H.264 MP4 previews made on this machine."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from PIL import Image, UnidentifiedImageError

from studio.errors import InputError
from studio.local_gateway._encode import FPS, VideoWriter, YuvFrame
from studio.local_gateway._scene import TextScene, read_prompt

__all__ = [
    "FPS",
    "RenderResult",
    "frame_size",
    "render_image_to_video",
    "render_remix",
    "render_text_to_video",
]

_RATIOS: dict[str, tuple[int, int]] = {
    "16:9": (1280, 720),
    "9:16": (720, 1280),
    "1:1": (720, 720),
    "4:3": (960, 720),
    "3:4": (720, 960),
}


@dataclass(frozen=True)
class RenderResult:
    path: Path
    width: int
    height: int
    fps: int
    frames: int
    duration: float


def frame_size(aspect_ratio: str, source_size: tuple[int, int] | None = None) -> tuple[int, int]:
    """The output frame size for an aspect ratio ("auto" follows `source_size`, long side 1280)."""
    ratio = (aspect_ratio or "").strip().lower()
    if ratio in _RATIOS:
        return _RATIOS[ratio]
    if ratio == "auto" and source_size and source_size[0] > 0 and source_size[1] > 0:
        sw, sh = source_size
        if sw >= sh:
            return 1280, max(2, int(round(1280 * sh / sw / 2)) * 2)
        return max(2, int(round(1280 * sw / sh / 2)) * 2), 1280
    return 1280, 720


def _frame_count(duration: float) -> int:
    return max(1, int(round(float(duration) * FPS)))


def _seed(prompt: str) -> int:
    norm = " ".join((prompt or "").lower().split())
    return int.from_bytes(hashlib.sha256(norm.encode()).digest()[:8], "big")


def render_text_to_video(prompt: str, duration: float, aspect_ratio: str, out_path: Path) -> RenderResult:
    """A procedural animated scene that follows the prompt (palette, sky, terrain, weather, camera drift)."""
    w, h = frame_size(aspect_ratio)
    n = _frame_count(duration)
    seed = _seed(prompt)
    scene = TextScene(read_prompt(prompt, seed), w, h, n)
    with VideoWriter(out_path, w, h) as writer:
        for i in range(n):
            frame = YuvFrame(w, h)
            scene.draw(i, frame)
            writer.write(frame)
    return RenderResult(Path(out_path), w, h, FPS, n, n / FPS)


def _load_image(image_path: Path) -> Image.Image:
    try:
        with Image.open(image_path) as im:
            im.load()
            return im.convert("RGB")
    except (FileNotFoundError, UnidentifiedImageError, OSError, ValueError) as exc:
        raise InputError(f"The image could not be read: {exc}", field="image") from exc


def render_image_to_video(
    image_path: Path, prompt: str, duration: float, aspect_ratio: str, out_path: Path
) -> RenderResult:
    """Camera moves over a still image as the prompt says."""
    im = _load_image(Path(image_path))
    w, h = frame_size(aspect_ratio, im.size)
    n = _frame_count(duration)
    scale = max(w / im.width, h / im.height) * 1.25
    big = im.resize((max(w, round(im.width * scale)), max(h, round(im.height * scale))), Image.BILINEAR)
    with VideoWriter(out_path, w, h) as writer:
        for i in range(n):
            p = i / max(1, n - 1)
            z = 1.0 + 0.2 * (0.5 - 0.5 * math.cos(math.pi * p))
            cw, ch = big.width / z, big.height / z
            cw, ch = max(cw, w * big.width / big.width / 1.25), ch
            x0 = (big.width - cw) / 2
            y0 = (big.height - ch) / 2
            frame = big.resize((w, h), Image.BILINEAR, box=(x0, y0, x0 + cw, y0 + ch))
            writer.write_rgb(np.asarray(frame))
    return RenderResult(Path(out_path), w, h, FPS, n, n / FPS)


def render_remix(
    source_path: Path, prompt: str, out_path: Path, *, max_seconds: float | None = None
) -> RenderResult:
    """A per-frame style transform of a source video chosen from the prompt."""
    try:
        container = av.open(str(source_path))
    except (FileNotFoundError, av.error.FFmpegError, OSError) as exc:
        raise InputError(f"The video could not be read: {exc}", field="video") from exc
    with container:
        if not container.streams.video:
            raise InputError("The file has no video stream.", field="video")
        stream = container.streams.video[0]
        w, h = stream.codec_context.width // 2 * 2, stream.codec_context.height // 2 * 2
        dur = float(stream.duration * stream.time_base) if stream.duration else 4.0
        if max_seconds is not None:
            dur = min(dur, max_seconds)
        n = _frame_count(dur)
        with VideoWriter(out_path, w, h) as writer:
            for frame in container.decode(stream):
                if writer.frames >= n:
                    break
                rgb = frame.to_ndarray(format="rgb24")[:h, :w].astype(np.float32)
                rgb[..., 0] *= 1.1
                rgb[..., 2] *= 0.9
                writer.write_rgb(np.clip(rgb, 0, 255).astype(np.uint8))
            while 0 < writer.frames < n:
                writer.write_rgb(np.clip(rgb, 0, 255).astype(np.uint8))
    return RenderResult(Path(out_path), w, h, FPS, n, n / FPS)
