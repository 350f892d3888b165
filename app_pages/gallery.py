"""Gallery: every take of this account, newest first; `?take=<id>` opens one, `?compare=a,b` compares."""

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
        compare.render(studio, [i for i in params["compare"].split(",") if i])
        return
    header("Gallery", "Every take you made, kept on this computer. Play, reuse, remix or compare them.")
    gallery_grid.render(studio)


page()
