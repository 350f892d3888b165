"""The nav's "Gallery": every take of this account, newest first; a take or a comparison in the
address (an old `/gallery?take=<id>` link, a card just opened) is shown on the take view."""

from __future__ import annotations

import streamlit as st

from components import context, gallery_grid
from components.errors import guard
from components.style import header

TAKE_VIEW = "app_pages/gallery.py"


@guard
def page() -> None:
    params = st.query_params
    if params.get("take") or params.get("compare"):
        st.switch_page(TAKE_VIEW, query_params=params.to_dict())
    studio = context.get_studio()
    header("Gallery", gallery_grid.subtitle(studio))
    gallery_grid.render(studio)


page()
