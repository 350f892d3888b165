"""The demo gateway's renderer: real H.264 MP4 previews made on this machine."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from demo_gateway.render.audio import ambience_of, ambient_bed
from demo_gateway.render.camera import CameraMove, camera_of
from demo_gateway.render.encode import FPS, RenderCancelled, VideoWriter, YuvFrame, cancel_scope
from demo_gateway.render.framing import RenderResult, frame_count, frame_size, result_of, seed_of, seed_parts
from demo_gateway.render.remix import render_remix
from demo_gateway.render.scene import TextScene
from demo_gateway.render.scene_spec import read_prompt
from demo_gateway.render.still import camera_move, render_image_to_video
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
    n = frame_count(duration)
    key = seed_of(prompt, *seed_parts(seed))
    spec = read_prompt(prompt, key, subjects=subjects)
    bed = None
    if audio:  # made and encoded on the encoder's thread while the scene below is being built
        bed = partial(
            ambient_bed, ambience_of(spec.terrain, spec.water, spec.particles, spec.moods), n / FPS, key
        )
    with VideoWriter(out_path, w, h, audio=bed) as writer:
        scene = TextScene(spec, w, h, n)
        look = pick_style(prompt)
        if look in SCENE_STYLES:  # "comic", "watercolour"...: the whole picture, subjects too, takes the look
            scene.style = make_style(look, w, h, key)
        for i in range(n):
            frame = YuvFrame(w, h)
            scene.draw(i, frame)
            writer.write(frame)
    return result_of(out_path, w, h, n)
