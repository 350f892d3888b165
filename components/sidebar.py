"""The sidebar frame: connection (demo or varg), the key field, balance, session spend and budget."""

from __future__ import annotations

import logging

import streamlit as st

from components import context
from studio.errors import StudioError, describe

log = logging.getLogger("varg_studio.ui")

DEMO_LABEL = "Demo mode — local previews, not Sora"


def _take_key() -> None:
    """Move a typed key out of the widget into plain session state (memory only)."""
    typed = (st.session_state.get(context.KEY_INPUT) or "").strip()
    st.session_state[context.KEY_INPUT] = ""
    if typed:
        st.session_state[context.KEY_STATE] = typed


def _forget_key() -> None:
    st.session_state.pop(context.KEY_STATE, None)


def connection():
    """Draw the connection block; returns the Studio (None if the core could not start)."""
    source = context.key_source()
    with st.sidebar:
        if source is None:
            st.html(
                '<div class="vs-demo"><b>Demo mode — local previews, not Sora.</b><br>'
                "Videos are rendered on this machine, offline and free.</div>"
            )
        else:
            where = {"session": "your key", "env": "VARG_API_KEY", "secrets": "Streamlit secrets"}[source]
            st.html(f'<div class="vs-live"><b>Connected to varg</b> · key from {where}</div>')
        with st.expander("API key", icon=":material/key:", expanded=False):
            st.text_input(
                "varg API key",
                key=context.KEY_INPUT,
                type="password",
                placeholder="varg_…",
                on_change=_take_key,
                help="Kept in this browser session's memory only; never saved or shown.",
            )
            if source == "session":
                st.button("Forget my key", on_click=_forget_key, icon=":material/logout:", type="tertiary")
            else:
                st.caption("Without a key the studio runs its own local gateway (demo mode).")
    try:
        return context.get_studio()
    except StudioError as exc:
        st.error(describe(exc), icon=":material/error:")
        if getattr(exc, "field", None) == "studio_home":
            st.caption(
                "Nothing in the data folder was changed. Make it writable or free some space "
                "(or point STUDIO_HOME at another folder), then reload this page."
            )
    except Exception:
        log.exception("the studio could not start")
        st.error("The studio could not start its services. Check the data folder and reload.")
    return None


def account(studio, container) -> None:
    """Balance, session spend and the optional session budget."""
    with container:
        balance, refused = context.balance_or_refused(studio)
        # The lookup above just read the balance (cached in the studio): its reserved part comes free.
        funds = None
        if balance is not None:
            try:
                funds = studio.funds(max_age=60.0)
            except StudioError:
                funds = None
        spent = context.session_spent(studio)
        total = funds.available + funds.reserved if funds is not None else balance
        left, right = st.columns(2)
        left.metric(
            "Balance",
            f"{total:,}" if total is not None else "—",
            help="Credits (1 credit = 1 cent): what you can spend now, plus what running jobs hold.",
        )
        right.metric("This session", f"{spent:,}", help="Credits of takes started in this session (billed where known)")
        if funds is not None:
            st.html(
                f'<div class="vs-credits">Available <b>{funds.available:,}</b> · reserved <b>{funds.reserved:,}</b>'
                "</div>"
            )
        if refused:
            st.error(
                "The API key was refused. Check it above; nothing else was changed.",
                icon=":material/key_off:",
            )
        elif balance is None:
            st.caption("Balance unavailable: the gateway cannot be reached right now.")
        default = studio.settings.session_budget or 0
        if context.BUDGET_INPUT not in st.session_state:
            st.session_state[context.BUDGET_INPUT] = int(default)
        st.number_input(
            "Session budget (credits, 0 = none)",
            min_value=0,
            step=100,
            key=context.BUDGET_INPUT,
            help="Submissions that would take this session past its budget are stopped before any call.",
        )
