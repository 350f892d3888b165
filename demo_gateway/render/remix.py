"""Remix: a source video restyled frame by frame, the style chosen from the prompt."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from demo_gateway.errors import InputError
from demo_gateway.render.encode import FPS, SWS, VideoWriter, YuvFrame
from demo_gateway.render.finisher import Finisher
from demo_gateway.render.framing import RenderResult, frame_count, result_of, seed_of, seed_parts
from demo_gateway.render.styles import make_style, pick_style

MAX_REMIX_SIDE = 4096  # a remix source above 4K is refused: its frames alone would take GBs
MAX_REMIX_PIXELS = 4096 * 2160
MAX_REMIX_SECONDS = 60.0  # never render more than this from a source, whatever it declares


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
        frame = frame.reformat(width=w, height=h, format="yuv420p", **SWS)
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
        n = frame_count(duration)
        style = make_style(pick_style(prompt), w, h, seed_of(prompt, *seed_parts(seed)))
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
    return result_of(out_path, w, h, n)
