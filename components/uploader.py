"""Uploaders with checks: images (framed or fitted preview at the chosen ratio) and videos (probed length).

The bytes stay in Streamlit's upload manager and the core's caches; session state only keeps
their digests. Each bad file gets its message right under its uploader and nothing is spent.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from studio import media
from studio.errors import StudioError, describe

log = logging.getLogger("varg_studio.ui")

IMAGE_TYPES = ["png", "jpg", "jpeg", "webp"]
VIDEO_TYPES = ["mp4", "mov", "webm"]
SIZE_PROBE_SIDE = 64  # a tiny preparation is enough to learn an image's upright size


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes
    digest: str


def _digest(file) -> str:
    """sha256 of an upload, remembered per upload id (a string in session state, never bytes)."""
    memo = st.session_state.setdefault("upload_digests", {})
    key = f"{file.file_id}:{file.size}"
    if key not in memo:
        memo[key] = hashlib.sha256(file.getvalue()).hexdigest()
        if len(memo) > 32:
            memo.pop(next(iter(memo)))
    return memo[key]


def file_input(label: str, types: list[str], key: str, help: str | None = None) -> Upload | None:
    file = st.file_uploader(label, type=types, key=key, help=help)
    if file is None:
        return None
    return Upload(name=file.name, data=file.getvalue(), digest=_digest(file))


@st.cache_data(max_entries=24, show_spinner=False)
def _prepared(
    digest: str, ratio: str, fit: str, long_side: int, crop: str | None, _data: bytes
) -> media.PreparedImage:
    return media.prepare_image(_data, ratio, fit=fit, long_side=long_side, framing=media.Framing.parse(crop))


@st.cache_data(max_entries=12, show_spinner=False)
def _last_frame(path: str, mtime: float) -> bytes:
    return media.last_frame(Path(path))


@st.cache_data(max_entries=12, show_spinner=False)
def _probe(digest: str, _source: bytes | str) -> media.VideoInfo:
    return media.probe_video(Path(_source) if isinstance(_source, str) else _source)


def last_frame(path: Path) -> bytes:
    return _last_frame(str(path), path.stat().st_mtime)


def long_side_for(model) -> int:
    """The long side the core sends for this model (1080p models get more pixels)."""
    return 1920 if model.resolution == "1080p" else 1280


def image_preview(
    data: bytes,
    digest: str,
    ratio: str | None,
    fit: str,
    long_side: int = 1280,
    framing: media.Framing | None = None,
) -> media.PreparedImage:
    """The image as it will be sent: cropped (at `framing`) or fitted to `ratio` (InputError if unusable)."""
    crop = str(framing) if framing is not None and fit == "crop" and not framing.centred else None
    return _prepared(digest, ratio or "auto", fit, long_side, crop, data)


def image_size(data: bytes, digest: str) -> tuple[int, int]:
    """The picture's upright width and height (EXIF orientation applied), checked like any upload."""
    small = _prepared(digest, "auto", "fit", SIZE_PROBE_SIDE, None, data)
    return small.original_width, small.original_height


PREVIEW_MAX_HEIGHT = 440  # px: a tall picture is shown narrower so the controls under it stay in view


def show_preview(prep: media.PreparedImage, caption_extra: str = "") -> None:
    tall = prep.height > prep.width
    st.image(prep.data, width=round(PREVIEW_MAX_HEIGHT * prep.width / prep.height) if tall else "stretch")
    bits = [f"Sent as {prep.width}×{prep.height}"]
    if prep.original_width:
        bits.append(f"from {prep.original_width}×{prep.original_height} {prep.original_format.upper()}")
    if caption_extra:
        bits.append(caption_extra)
    st.caption(" · ".join(bits), help=prep.note or None)


def probe(data_or_path: bytes | Path, digest: str) -> media.VideoInfo:
    source = str(data_or_path) if isinstance(data_or_path, Path) else data_or_path
    return _probe(digest, source)


def safe(fn, *args, **kwargs):
    """(value, error message) for a core call whose failure belongs next to a field."""
    try:
        return fn(*args, **kwargs), None
    except StudioError as exc:
        return None, describe(exc)
    except Exception:
        log.exception("could not read an upload")
        return None, "That file could not be read. Try another one."


def reused_source(key: str, title: str, *, detail: str, button: str, on_drop) -> None:
    """A box saying which earlier source is reused (a take, or its upload), with a way back to uploading."""
    with st.container(border=True, key=key):
        st.markdown(f"**{title}**")
        if detail:
            st.html(detail)
        st.button(button, key=f"{key}_drop", on_click=on_drop, icon=":material/upload:", type="tertiary")
