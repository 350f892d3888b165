"""The framing controls of image to video: crop or fit, a 3×3 anchor grid and a zoom, kept in the form store.

The store holds the framing as `media.Framing` text ("x,y,zoom", the `crop` field a take records),
so a prefill from a take ("Re-frame") restores it; the widgets are seeded from it on every run.
"""

from __future__ import annotations

import streamlit as st

from components import create_form as form
from studio.errors import InputError
from studio.media import Framing

FITS = {"crop": "Crop to fill", "fit": "Fit (letterbox)"}
ZOOM_MIN, ZOOM_MAX = 1.0, 3.0

# The nine anchors, row by row: (key, label, icon, x, y).
ANCHORS = (
    ("tl", "top left", "north_west", 0.0, 0.0),
    ("t", "top", "north", 0.5, 0.0),
    ("tr", "top right", "north_east", 1.0, 0.0),
    ("l", "left", "west", 0.0, 0.5),
    ("c", "centre", "filter_center_focus", 0.5, 0.5),
    ("r", "right", "east", 1.0, 0.5),
    ("bl", "bottom left", "south_west", 0.0, 1.0),
    ("b", "bottom", "south", 0.5, 1.0),
    ("br", "bottom right", "south_east", 1.0, 1.0),
)


def current(prefix: str) -> Framing:
    """The framing in the form store (centred and widest if there is none or it is unreadable)."""
    try:
        return Framing.parse(form.store(prefix).get("crop"))
    except InputError:
        return Framing()


def anchor_name(frame: Framing) -> str:
    """The anchor's name on the grid ("top right", "centre"…), or "custom" for one between its points."""
    for _key, label, _icon, x, y in ANCHORS:
        if (frame.x, frame.y) == (x, y):
            return label
    return "custom"


def describe(frame: Framing) -> str:
    """A short caption for a crop: "top right · 2.0× zoom"."""
    return f"{anchor_name(frame)} · {frame.zoom:.1f}× zoom"


def _save(prefix: str, frame: Framing) -> None:
    form.remember(prefix, "crop", None if frame.centred else str(frame))


def _pick_anchor(prefix: str, x: float, y: float) -> None:
    frame = current(prefix)
    _save(prefix, Framing(x, y, frame.zoom))


def _zoom_changed(prefix: str) -> None:
    frame = current(prefix)
    zoom = st.session_state.get(f"{prefix}_zoom", frame.zoom)
    try:
        _save(prefix, Framing(frame.x, frame.y, float(zoom)))
    except (InputError, TypeError, ValueError):
        _save(prefix, Framing(frame.x, frame.y, 1.0))


def fit_choice(prefix: str) -> str:
    """Crop to fill or fit with bars, kept across page switches."""
    return form.choice(
        prefix,
        "fit",
        "Framing",
        FITS,
        "crop",
        help="Crop fills the frame (place it with the grid and zoom); fit keeps the whole image with bars.",
    )


def anchor_grid(prefix: str) -> Framing:
    """Nine buttons, three by three, the chosen anchor highlighted; then a zoom slider. Returns the framing."""
    frame = current(prefix)
    if frame.zoom > ZOOM_MAX:  # a framing made elsewhere, closer than this slider goes
        frame = Framing(frame.x, frame.y, ZOOM_MAX)
        _save(prefix, frame)
    grid, zoom_col = st.columns([1, 1], gap="medium", vertical_alignment="center")
    with grid, st.container(key=f"{prefix}_anchor", gap="xsmall"):
        st.caption("Anchor")
        for row in range(3):
            with st.container(horizontal=True, gap="xsmall", wrap=False):
                for key, label, icon, x, y in ANCHORS[row * 3 : row * 3 + 3]:
                    chosen = (frame.x, frame.y) == (x, y)
                    st.button(
                        f":material/{icon}:",
                        key=f"{prefix}_anchor_{key}",
                        help=f"Keep the {label} of the image",
                        type="primary" if chosen else "secondary",
                        on_click=_pick_anchor,
                        args=(prefix, x, y),
                    )
    with zoom_col:
        key = f"{prefix}_zoom"
        if st.session_state.get(key) != frame.zoom:  # new, or set elsewhere (a prefill): follow the store
            st.session_state[key] = frame.zoom
        st.slider(
            "Zoom",
            min_value=ZOOM_MIN,
            max_value=ZOOM_MAX,
            step=0.1,
            format="%.1f×",
            key=key,
            on_change=_zoom_changed,
            args=(prefix,),
            help="1.0× uses as much of the image as the ratio allows; 2.0× shows half of it, closer.",
        )
    return frame


def controls(prefix: str) -> tuple[str, Framing | None]:
    """Fit, then (for a crop) the anchor grid and zoom: the fit and the framing to send (None for fit)."""
    fit = fit_choice(prefix)
    if fit != "crop":
        return fit, None
    return fit, anchor_grid(prefix)
