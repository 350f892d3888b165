"""The take view (`?take=<id>`, `?compare=a,b`), and without either the gallery grid.

A page of its own, hidden from the nav (the nav's "Gallery" is `app_pages/library.py`): that is
what makes the sidebar's Gallery link work from a take, as a link to another page drops this
page's query string. Cards, the job tray and the board open takes here.
"""

from __future__ import annotations

import streamlit as st

from components import compare, context, gallery_grid, take_detail
from components.errors import guard
from components.style import header


@guard
def page() -> None:
    studio = context.get_studio()
    params = st.query_params
    if params.get("take"):
        take_detail.render(studio, params["take"])
        return
    if params.get("compare"):
        compare.render(studio, params["compare"])
        return
    header("Gallery", gallery_grid.subtitle(studio))
    gallery_grid.render(studio)


page()
