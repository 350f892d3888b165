"""Camera presets under a prompt: one click puts a move's phrase into the prompt and records it."""

from __future__ import annotations

import streamlit as st

from components import create_form as form
from studio import camera


def _apply(prefix: str) -> None:
    key = st.session_state.get(f"{prefix}_camera_pick")
    prompt_key = f"{prefix}_prompt"
    text = st.session_state.get(prompt_key, form.store(prefix).get("prompt", ""))
    new = camera.apply(text or "", key)
    st.session_state[prompt_key] = new
    form.remember(prefix, "prompt", new)
    form.remember(prefix, "camera", key)


def render(prefix: str) -> str | None:
    """Pills of camera moves; the chosen one follows the prompt's text (edited by hand or not)."""
    prompt = st.session_state.get(f"{prefix}_prompt", form.store(prefix).get("prompt", ""))
    found = camera.detect(prompt or "")
    pick_key = f"{prefix}_camera_pick"
    if st.session_state.get(pick_key) != found:
        st.session_state[pick_key] = found
    options = [p.key for p in camera.presets()]
    st.pills(
        "Camera",
        options,
        key=pick_key,
        format_func=lambda k: camera.get(k).label,
        on_change=_apply,
        args=(prefix,),
        help="Adds the move's phrase to the prompt (click again to take it out). It is kept with the take, "
        "and the demo renderer moves its camera to match.",
    )
    form.remember(prefix, "camera", found)
    return found
