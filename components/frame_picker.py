"""The frame scrubber: a slider over a take's video, the frame at that time, and "Animate from 0:03.4"."""

from __future__ import annotations

import math
from pathlib import Path

import streamlit as st

from components import create_form as form
from components.uploader import safe
from studio import media
from studio.errors import InputError

STEP = 0.1  # seconds between two positions of the slider
MAX_HEIGHT = 440  # px of a tall frame's preview


def clock(seconds: float | None) -> str:
    """`3.4` → "0:03.4" (minutes, seconds and a tenth)."""
    tenths = round(max(0.0, float(seconds or 0.0)) * 10)
    minutes, rest = divmod(tenths, 600)
    return f"{minutes}:{rest // 10:02d}.{rest % 10}"


@st.cache_data(max_entries=24, show_spinner=False)
def _frame(path: str, mtime: float, seconds: float | None) -> bytes:
    video = Path(path)
    return media.last_frame(video) if seconds is None else media.frame_at(video, seconds)


@st.cache_data(max_entries=32, show_spinner=False)
def _length(path: str, mtime: float) -> float:
    return media.probe_video(Path(path)).duration


def frame(path: Path, seconds: float | None) -> bytes:
    """The frame at `seconds` (None: the last frame) as PNG bytes, decoded once per file version and time."""
    return _frame(str(path), path.stat().st_mtime, None if seconds is None else round(float(seconds), 1))


def length(path: Path) -> float:
    """The video's duration in seconds."""
    return _length(str(path), path.stat().st_mtime)


def end_of(duration: float) -> float:
    """The slider's last position: the duration, down to a whole step."""
    return max(0.0, math.floor(duration / STEP + 1e-6) * STEP)


def slider(key: str, duration: float, *, label: str = "Frame at", help: str | None = None) -> float:
    """A 0.1 s slider over `duration`; seed `st.session_state[key]` first to place it. Returns the time."""
    end = round(end_of(duration), 1)
    if end <= 0:
        return 0.0
    value = st.session_state.get(key)
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= end:
        st.session_state[key] = end
    return round(
        float(
            st.slider(
                label,
                min_value=0.0,
                max_value=end,
                step=STEP,
                format="%.1f s",
                key=key,
                help=help or "Drag to any moment of the take; the frame below follows.",
            )
        ),
        1,
    )


def preview(
    path: Path, seconds: float | None, *, caption: str | None = None, width: int | str = "stretch"
) -> bool:
    """The frame at `seconds`, or a warning where it would be. True when it could be shown."""
    data, err = safe(frame, path, seconds)
    if err or data is None:
        st.warning(err or "That frame could not be read.", icon=":material/broken_image:")
        return False
    st.image(data, caption=caption, width=width)
    return True


def _width(take) -> int | str:
    """A tall take's frame is shown narrower, so the button under it stays in view."""
    try:
        ratio = media.parse_ratio(take.aspect_ratio or "auto")
    except InputError:
        ratio = None
    return round(MAX_HEIGHT * float(ratio)) if ratio is not None and ratio < 1 else "stretch"


def animate_from(take, seconds: float) -> None:
    """Open image to video on this take's frame at `seconds`, at the take's ratio, as an "animate" branch."""
    form.prefill(
        "i2v",
        source_take_id=take.id,
        frame_time=seconds,
        source_file=None,
        source_name=None,
        original_file=None,
        crop=None,
        aspect_ratio=take.aspect_ratio,
        parent_id=take.id,
        relation="animate",
    )
    st.switch_page("app_pages/image_to_video.py")


def render(studio, take) -> None:
    """Scrub through a take, see the frame at that time, and animate from it."""
    path = studio.media_path(take.video_path)
    if path is None:
        st.caption("The video file is missing, so no frame can be taken from it.")
        return
    duration, err = safe(length, path)
    if err or duration is None:
        st.warning(err or "This video could not be read.", icon=":material/broken_image:")
        return
    with st.container(key=f"frame_pick_box_{take.id}"):
        seconds = slider(f"frame_pick_{take.id}_time", duration)
        shown = preview(
            path, seconds, caption=f"Frame at {clock(seconds)} of {clock(duration)}", width=_width(take)
        )
        if st.button(
            f"Animate from {clock(seconds)}",
            key=f"frame_pick_{take.id}_go",
            icon=":material/animated_images:",
            disabled=not shown,
            help="Opens Image to video with this frame as the first frame.",
        ):
            animate_from(take, seconds)
