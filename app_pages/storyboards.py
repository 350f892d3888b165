"""Storyboards: takes put in order as shots, each chosen and trimmed; continue a shot, export, present."""

from __future__ import annotations

import streamlit as st

from components import context, storyboard
from components.errors import guard
from components.style import header


@guard
def page() -> None:
    studio = context.get_studio()
    if not st.query_params.get("board"):
        header(
            "Storyboards",
            "Put takes in order as shots, choose and trim each one, continue a shot from its last frame, "
            "then stitch the film or open it in your editor.",
        )
    storyboard.render(studio)


page()
