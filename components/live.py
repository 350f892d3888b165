"""Live pages for a team library: rerun when another replica (or process) changed this account's takes."""

from __future__ import annotations

import streamlit as st

from components import context, wiring

TICK_SECONDS = 0.15  # reads a number in memory: no query, nothing drawn
SEEN_VERSION = "live_seen_version"


def mark() -> None:
    """Before the page reads the library: this run draws every change up to the version now."""
    feed = wiring.hub().changes
    if feed is not None:
        st.session_state[SEEN_VERSION] = feed.version(context.get_studio().connection.account)


def follow(container) -> None:
    """Mount the watcher when the library is shared (PostgreSQL's change feed); a no-op otherwise."""
    if wiring.hub().changes is None:
        return
    with container:
        st.fragment(_watch, run_every=TICK_SECONDS)()


def _watch() -> None:
    feed = wiring.hub().changes
    if feed is None:
        return
    account = context.get_studio().connection.account
    if feed.version(account) != st.session_state.get(SEEN_VERSION):
        st.rerun(scope="app")  # a take appeared, finished or changed elsewhere: draw it now
