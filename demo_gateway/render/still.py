"""Image to video: camera moves over a still picture (zoom, pan, orbit, Ken Burns), optional particles."""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from demo_gateway.errors import InputError
from demo_gateway.render.audio import ambience_of, ambient_bed
from demo_gateway.render.camera import CameraMove, CameraPath, camera_of, ease
from demo_gateway.render.encode import FPS, PlaneScaler, VideoWriter, YuvFrame, rgb_to_planes
from demo_gateway.render.finisher import Finisher, lift_watermark
from demo_gateway.render.framing import (
    LONG_SIDE,
    RenderResult,
    frame_count,
    frame_size,
    result_of,
    seed_of,
    seed_parts,
)
from demo_gateway.render.particles import ParticleField
from demo_gateway.render.scene_spec import read_prompt

_MAX_IMAGE_PIXELS = 80_000_000


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
                im.draft("RGB", (LONG_SIDE * 4 // 3, LONG_SIDE * 4 // 3))  # decode big photos at 1/2..1/8
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
    n = frame_count(duration)
    move = camera_of(prompt)
    seed = seed_of(prompt, str(im.size), *seed_parts(seed))
    rng = np.random.default_rng(seed)
    path = CameraPath(move, seed, n / FPS)
    look = np.random.default_rng(seed ^ 0xF0C05)  # what a seed varies besides the path: framing and light
    focus = look.uniform(-0.5, 0.5, 2)  # where the view leans, as a fraction of its free travel
    gain, warmth = float(look.uniform(0.93, 1.07)), float(look.uniform(-6.0, 6.0))

    bed = None
    if audio:  # made and encoded on the encoder's thread while the picture below is being prepared
        spec = read_prompt(prompt, seed, subjects=False)
        bed = partial(
            ambient_bed, ambience_of(spec.terrain, spec.water, spec.particles, spec.moods), n / FPS, seed
        )
    with VideoWriter(out_path, w, h, audio=bed) as writer:
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
        # swscale, whole source pixels (3x faster than Pillow's exact sub-pixel resize): the chroma crop
        # snaps to whole chroma pixels, under one luma pixel off the luma's, which no eye can see
        luma = PlaneScaler(w, h)
        chroma_u, chroma_v = PlaneScaler(w // 2, h // 2), PlaneScaler(w // 2, h // 2)

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
        for i in range(n):
            cx, cy, z = view(i / max(1, n - 1), i / FPS)
            vw, vh = sw / z, sh / z
            x0 = min(max(0.0, cx * sw - vw / 2), sw - vw)
            y0 = min(max(0.0, cy * sh - vh / 2), sh - vh)
            frame = YuvFrame(w, h)
            luma.scale(sy, (x0, y0, x0 + vw, y0 + vh), frame.y)
            cbox = (x0 / 2, y0 / 2, (x0 + vw) / 2, (y0 + vh) / 2)
            chroma_u.scale(su, cbox, frame.u)
            chroma_v.scale(sv, cbox, frame.v)
            if particles is not None:
                particles.draw(frame, i / FPS)
            finisher.apply(frame)
            writer.write(frame)
    return result_of(out_path, w, h, n)
