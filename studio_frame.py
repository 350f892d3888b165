"""The frame every page runs in: page config, sidebar (connection, balance, job tray), navigation.

`studio_app.py` serves it (through `st.App`); AppTest runs it directly.
"""

from __future__ import annotations

import logging

import streamlit as st

from components import form_store, job_tray, live, sidebar, style

st.set_page_config(
    page_title="Varg Studio",
    page_icon=":material/movie_filter:",
    layout="wide",
    initial_sidebar_state="expanded",
)
logging.getLogger("varg_studio.ui").setLevel(logging.INFO)
style.inject_css()
# Before any page: a form value that arrived with a page switch is kept in its form's store.
form_store.keep_all()

nav = st.navigation(
    {
        "Create": [
            st.Page(
                "app_pages/text_to_video.py", title="Text to video", icon=":material/edit_note:", default=True
            ),
            st.Page("app_pages/image_to_video.py", title="Image to video", icon=":material/imagesmode:"),
            st.Page("app_pages/remix.py", title="Remix", icon=":material/auto_fix_high:"),
        ],
        "Library": [
            st.Page(
                "app_pages/library.py", title="Gallery", icon=":material/video_library:", url_path="gallery"
            ),
            # The take view (and the grid without a take): hidden, so the Gallery link above leaves it.
            st.Page(
                "app_pages/gallery.py",
                title="Take",
                icon=":material/movie:",
                url_path="take",
                visibility="hidden",
            ),
            st.Page("app_pages/board.py", title="Board", icon=":material/account_tree:"),
            st.Page("app_pages/storyboards.py", title="Storyboards", icon=":material/view_carousel:"),
            # A storyboard (`/present?board=<id>`) or the gallery's picked takes (`?takes=a,b`) played full screen.
            st.Page(
                "app_pages/present.py",
                title="Present",
                icon=":material/slideshow:",
                url_path="present",
                visibility="hidden",
            ),
        ],
    }
)

studio = sidebar.connection()
account_slot = st.sidebar.container()
tray_slot = st.sidebar.container()
if studio is None:
    st.stop()
live.mark()
nav.run()
# Drawn after the page so a take submitted in this run is already in the tray (and ticking).
sidebar.account(studio, account_slot)
job_tray.render(tray_slot)
# A shared (team) library: what other replicas change shows up here without a reload.
live.follow(st.sidebar.container())
