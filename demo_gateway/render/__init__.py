"""The demo gateway's renderer: real H.264 MP4 previews made on this machine."""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from demo_gateway.errors import InputError
from demo_gateway.render.audio import ambience_of, ambient_bed
from demo_gateway.render.camera import CameraMove, CameraPath, camera_of, ease
from demo_gateway.render.encode import (
    FPS,
    Finisher,
    RenderCancelled,
    VideoWriter,
    YuvFrame,
    cancel_scope,
    lift_watermark,
    rgb_to_planes,
)
from demo_gateway.render.particles import ParticleField
from demo_gateway.render.scene import TextScene
from demo_gateway.render.scene_spec import read_prompt
from demo_gateway.render.styles import SCENE_STYLES, make_style, pick_style

__all__ = [
    "FPS",
    "CameraMove",
    "RenderCancelled",
    "RenderResult",
    "camera_move",
    "camera_of",
    "cancel_scope",
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
_LONG_SIDE = 1280
_MAX_IMAGE_PIXELS = 80_000_000
MAX_REMIX_SIDE = 4096  # a remix source above 4K is refused: its frames alone would take GBs
MAX_REMIX_PIXELS = 4096 * 2160
MAX_REMIX_SECONDS = 60.0  # never render more than this from a source, whatever it declares


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
            return _LONG_SIDE, max(2, round(_LONG_SIDE * sh / sw / 2) * 2)
        return max(2, round(_LONG_SIDE * sw / sh / 2) * 2), _LONG_SIDE
    return 1280, 720


def _frame_count(duration: float) -> int:
    try:
        d = float(duration)
    except (TypeError, ValueError):
        d = 0.0
    if not math.isfinite(d):
        d = 0.0
    return max(1, round(d * FPS))


def _seed(*parts: str) -> int:
    norm = "\x00".join(" ".join((p or "").lower().split()) for p in parts)
    return int.from_bytes(hashlib.sha256(norm.encode()).digest()[:8], "big")


def _seed_parts(seed: int | None) -> tuple[str, ...]:
    return () if seed is None else (f"seed={int(seed)}",)


def _result(out_path: Path, w: int, h: int, n: int) -> RenderResult:
    return RenderResult(Path(out_path), w, h, FPS, n, n / FPS)


# --- text to video ------------------------------------------------------------------------------------


def render_text_to_video(
    prompt: str,
    duration: float,
    aspect_ratio: str,
    out_path: Path,
    *,
    seed: int | None = None,
    resolution: str | None = None,
    audio: bool = False,
    subjects: bool = True,
) -> RenderResult:
    """A procedural animated scene that follows the prompt (palette, sky, terrain, weather, camera drift)
    with the prompt's subjects drawn in it, moving as its verbs say.

    A `seed` changes everything the prompt leaves open (terrain, light, camera path, where the subjects
    stand and their colours). `audio` adds a quiet ambient AAC track that follows the scene (models with
    native audio); `subjects=False` renders the bare landscape (for comparisons)."""
    w, h = frame_size(aspect_ratio, resolution=resolution)
    n = _frame_count(duration)
    key = _seed(prompt, *_seed_parts(seed))
    spec = read_prompt(prompt, key, subjects=subjects)
    scene = TextScene(spec, w, h, n)
    look = pick_style(prompt)
    if look in SCENE_STYLES:  # "comic", "watercolour"...: the whole picture, subjects too, takes the look
        scene.style = make_style(look, w, h, key)
    bed = None
    if audio:
        bed = ambient_bed(ambience_of(spec.terrain, spec.water, spec.particles, spec.moods), n / FPS, key)
    with VideoWriter(out_path, w, h, audio=bed) as writer:
        for i in range(n):
            frame = YuvFrame(w, h)
            scene.draw(i, frame)
            writer.write(frame)
    return _result(out_path, w, h, n)


# --- image to video -----------------------------------------------------------------------------------

_IMAGE_PARTICLES = {
    "snow": r"snow|snowy|snowing|snowfall|snowflakes?|blizzard",
    "rain": r"rain|rainy|raining|rainfall|downpour|drizzle",
    "sparkles": r"sparkles?|sparkling|sparkly|glitter\w*|twinkl\w*|magic\w*|stardust|shimmer\w*",
}


_LEGACY_MOVES = {
    CameraMove.ZOOM_IN: "in",
    CameraMove.DOLLY_IN: "in",
    CameraMove.ZOOM_OUT: "out",
    CameraMove.DOLLY_OUT: "out",
    CameraMove.PAN_LEFT: "left",
    CameraMove.PAN_RIGHT: "right",
    CameraMove.TILT_UP: "up",
    CameraMove.CRANE_UP: "up",
    CameraMove.TILT_DOWN: "down",
    CameraMove.CRANE_DOWN: "down",
    CameraMove.DRIFT: "kenburns",
}


# moves that travel across the picture need room to travel in
_TRAVEL_ZOOM = {
    CameraMove.PAN_LEFT: 1.18,
    CameraMove.PAN_RIGHT: 1.18,
    CameraMove.TRACKING: 1.18,
    CameraMove.ORBIT: 1.16,
}


def camera_move(prompt: str) -> str:
    """The older, coarser name of the prompt's move (in, out, left, right, up, down, kenburns, or the
    CameraMove value for the moves that have no older name)."""
    move = camera_of(prompt)
    return _LEGACY_MOVES.get(move, move.value)


def _load_image(image_path: Path) -> Image.Image:
    path = Path(image_path)
    try:
        with Image.open(path) as im:
            if im.width * im.height > _MAX_IMAGE_PIXELS:
                raise InputError(f"The image is too large ({im.width}×{im.height} pixels).", field="image")
            if im.format == "JPEG":
                im.draft("RGB", (_LONG_SIDE * 4 // 3, _LONG_SIDE * 4 // 3))  # decode big photos at 1/2..1/8
            im.load()
            im = ImageOps.exif_transpose(im)
            if im.mode in ("RGBA", "LA", "P", "PA"):
                rgba = im.convert("RGBA")
                bg = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
                im = Image.alpha_composite(bg, rgba)
            return im.convert("RGB")
    except InputError:
        raise
    except FileNotFoundError as exc:
        raise InputError(f"The image file was not found: {path.name}", field="image") from exc
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise InputError(
            f"The image could not be read ({path.name}): it is not a supported picture or it is damaged.",
            field="image",
        ) from exc


def render_image_to_video(
    image_path: Path,
    prompt: str,
    duration: float,
    aspect_ratio: str,
    out_path: Path,
    *,
    seed: int | None = None,
    resolution: str | None = None,
    audio: bool = False,
) -> RenderResult:
    """Camera moves over a still image as the prompt says (zoom, pan, or a gentle Ken Burns).

    A source that already carries the "local preview" mark (a frame of an earlier demo take) has it
    lifted out first, so the new take shows one mark, not two. `audio` adds an ambient track."""
    im = _load_image(image_path)
    clean, marked = lift_watermark(np.asarray(im))
    if marked:  # a frame of an earlier demo take: one mark on the new take, not two
        im = Image.fromarray(clean)
    w, h = frame_size(aspect_ratio, im.size, resolution)
    n = _frame_count(duration)
    move = camera_of(prompt)
    seed = _seed(prompt, str(im.size), *_seed_parts(seed))
    rng = np.random.default_rng(seed)
    path = CameraPath(move, seed, n / FPS)
    look = np.random.default_rng(seed ^ 0xF0C05)  # what a seed varies besides the path: framing and light
    focus = look.uniform(-0.5, 0.5, 2)  # where the view leans, as a fraction of its free travel
    gain, warmth = float(look.uniform(0.93, 1.07)), float(look.uniform(-6.0, 6.0))

    # The camera travels inside a "cover" crop of the image at the frame's ratio, held at enough
    # resolution that the tightest view still maps at least 1:1 onto the frame.
    locked = 1.0 + float(look.uniform(0.02, 0.14))  # a seed also picks the locked-off framing
    base = locked if move is CameraMove.STATIC else _TRAVEL_ZOOM.get(move, 1.0)
    zmax = 1.14 if move is CameraMove.DRIFT else base * path.max_zoom
    scale = max(w / im.width, h / im.height)
    cw, ch = w / scale, h / scale  # the cover crop in image pixels
    box = (
        max(0.0, (im.width - cw) / 2),  # clamped: float rounding can put an exact fit a hair outside
        max(0.0, (im.height - ch) / 2),
        min(float(im.width), (im.width + cw) / 2),
        min(float(im.height), (im.height + ch) / 2),
    )
    sw = max(2, round(w * zmax / 2) * 2)
    sh = max(2, round(h * zmax / 2) * 2)
    src = im.resize((sw, sh), Image.Resampling.LANCZOS, box=box, reducing_gap=3.0)
    sy, su, sv = rgb_to_planes(np.asarray(src))
    sy = np.clip(sy * np.float32(gain) + 0.5, 0, 255).astype(np.uint8)
    su = np.clip(su.astype(np.int16) - round(warmth * 0.7), 0, 255).astype(np.uint8)
    sv = np.clip(sv.astype(np.int16) + round(warmth), 0, 255).astype(np.uint8)
    py, pu, pv = (Image.fromarray(p, "L") for p in (sy, su, sv))

    kb_dir = rng.uniform(-1, 1, 2)
    kb_dir /= max(1e-6, float(np.hypot(*kb_dir)))

    def view(u: float, t: float) -> tuple[float, float, float]:
        """The view centre (cx, cy in 0..1 of the source) and zoom at clip fraction u, time t."""
        if move is CameraMove.DRIFT:  # a gentle Ken Burns
            e = ease(u)
            z = 1.02 * (zmax / 1.02) ** e
            free = (1.0 - 1.0 / z) * 0.5
            return 0.5 + kb_dir[0] * free * 0.6 * e, 0.5 + kb_dir[1] * free * 0.6 * e, z
        p = path.pose(u, t)
        z = base * p.zoom
        free = (1.0 - 1.0 / z) * 0.5  # how far the centre may travel either side
        cx = 0.5 + free * float(np.clip(0.9 * p.x + focus[0], -1.0, 1.0)) + p.shake_x / z
        cy = 0.5 + free * float(np.clip(0.9 * p.y + focus[1], -1.0, 1.0)) + p.shake_y / z
        return cx, cy, z

    text = " ".join((prompt or "").lower().split())
    kinds = {k for k, pattern in _IMAGE_PARTICLES.items() if re.search(rf"\b(?:{pattern})\b", text)}
    particles = ParticleField(kinds, w, h, rng) if kinds else None
    finisher = Finisher(w, h, watermark=True, seed=seed)
    bed = None
    if audio:
        spec = read_prompt(prompt, seed, subjects=False)
        bed = ambient_bed(ambience_of(spec.terrain, spec.water, spec.particles, spec.moods), n / FPS, seed)

    with VideoWriter(out_path, w, h, audio=bed) as writer:
        for i in range(n):
            cx, cy, z = view(i / max(1, n - 1), i / FPS)
            vw, vh = sw / z, sh / z
            x0 = min(max(0.0, cx * sw - vw / 2), sw - vw)
            y0 = min(max(0.0, cy * sh - vh / 2), sh - vh)
            frame = YuvFrame(w, h)
            frame.y[:] = np.asarray(
                py.resize((w, h), Image.Resampling.BILINEAR, box=(x0, y0, x0 + vw, y0 + vh))
            )
            cbox = (x0 / 2, y0 / 2, (x0 + vw) / 2, (y0 + vh) / 2)
            frame.u[:] = np.asarray(pu.resize((w // 2, h // 2), Image.Resampling.BILINEAR, box=cbox))
            frame.v[:] = np.asarray(pv.resize((w // 2, h // 2), Image.Resampling.BILINEAR, box=cbox))
            if particles is not None:
                particles.draw(frame, i / FPS)
            finisher.apply(frame)
            writer.write(frame)
    return _result(out_path, w, h, n)


# --- remix ----------------------------------------------------------------------------------------------


def _open_video(source_path: Path) -> av.container.InputContainer:
    path = Path(source_path)
    if not path.is_file():
        raise InputError(f"The video file was not found: {path.name}", field="video")
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise InputError(
            f"The video could not be read ({path.name}): it is not a supported video or it is damaged.",
            field="video",
        ) from exc
    if not container.streams.video:
        container.close()
        raise InputError(f"The file has no video track ({path.name}).", field="video")
    return container


def _source_duration(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream
) -> float | None:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / 1_000_000
    if stream.frames and stream.average_rate:
        return stream.frames / float(stream.average_rate)
    return None


def _to_planes(frame: av.VideoFrame, w: int, h: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if frame.format.name != "yuv420p" or frame.width != w or frame.height != h:
        frame = frame.reformat(width=w, height=h, format="yuv420p")
    buf = frame.to_ndarray(format="yuv420p")
    flat = buf.reshape(-1)
    n, q = w * h, w * h // 4
    return (
        flat[:n].reshape(h, w),
        flat[n : n + q].reshape(h // 2, w // 2),
        flat[n + q : n + 2 * q].reshape(h // 2, w // 2),
    )


def render_remix(
    source_path: Path,
    prompt: str,
    out_path: Path,
    *,
    max_seconds: float | None = None,
    seed: int | None = None,
) -> RenderResult:
    """A per-frame style transform of a source video, the style chosen from the prompt."""
    container = _open_video(source_path)
    with container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        cc = stream.codec_context
        w, h = (cc.width // 2) * 2, (cc.height // 2) * 2
        if w < 2 or h < 2:
            raise InputError("The video has no usable picture size.", field="video")
        if max(w, h) > MAX_REMIX_SIDE or w * h > MAX_REMIX_PIXELS:
            raise InputError(f"The video is {w}x{h}; sources above 4K are refused.", field="video")
        duration = _source_duration(container, stream)
        if duration is None or duration <= 0:
            raise InputError("The video's length could not be determined.", field="video")
        duration = min(duration, MAX_REMIX_SECONDS)
        if max_seconds is not None and max_seconds > 0:
            duration = min(duration, float(max_seconds))
        n = _frame_count(duration)
        style = make_style(pick_style(prompt), w, h, _seed(prompt, *_seed_parts(seed)))
        finisher = Finisher(w, h, watermark=True, seed=1)
        start = float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0
        step = 1.0 / float(stream.average_rate) if stream.average_rate else 1.0 / FPS

        out_i = 0
        current: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        with VideoWriter(out_path, w, h) as writer:

            def emit_until(limit: float) -> None:
                nonlocal out_i
                while current is not None and out_i < n and out_i / FPS < limit - 1e-6:
                    t = out_i / FPS
                    frame = YuvFrame(w, h)
                    style.apply(*current, t, frame)
                    finisher.apply(frame)
                    writer.write(frame)
                    out_i += 1

            try:
                for k, frame in enumerate(container.decode(stream)):
                    ft = (frame.time - start) if frame.time is not None else k * step
                    emit_until(ft)
                    if out_i >= n:
                        break
                    current = _to_planes(frame, w, h)
            except av.error.FFmpegError as exc:
                if current is None:
                    raise InputError("The video could not be decoded.", field="video") from exc
            if current is None:
                raise InputError("The video has no frames that could be decoded.", field="video")
            emit_until(float("inf"))
    return _result(out_path, w, h, n)
