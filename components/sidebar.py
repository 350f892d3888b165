"""The sidebar frame: connection (demo or varg), key field, who is signed in, balance, spend, budgets."""

from __future__ import annotations

import logging

import streamlit as st

from components import context, wiring
from components.style import esc
from studio.errors import InputError, StudioError, describe
from studio.keys import check_key
from studio.services import DEMO_BALANCE

log = logging.getLogger("varg_studio.ui")

DEMO_LABEL = "Demo mode — local previews, not Sora"


def _take_key() -> None:
    """Move a typed key out of the widget into plain session state (memory only), once it is
    well formed; a malformed key is never kept nor sent, and the field says why."""
    raw = st.session_state.get(context.KEY_INPUT) or ""
    st.session_state[context.KEY_INPUT] = ""
    st.session_state.pop(context.KEY_ERROR, None)
    if not raw.strip():
        return
    try:
        st.session_state[context.KEY_STATE] = check_key(raw)
    except InputError as exc:
        st.session_state[context.KEY_ERROR] = exc.message


def _forget_key() -> None:
    st.session_state.pop(context.KEY_STATE, None)
    st.session_state.pop(context.KEY_ERROR, None)


WHERE = {"session": "your key", "env": "VARG_API_KEY", "secrets": "Streamlit secrets"}


def _banner(studio, source: str | None) -> str | None:
    """The connection line, from what the gateway said of the key (never assumed)."""
    if studio.connection.demo:
        typed = (
            f"<br>The key from {esc(WHERE.get(source, 'your key'))} is the public demo key: "
            "videos are rendered on this machine, offline and free."
            if source is not None
            else "<br>Videos are rendered on this machine, offline and free."
        )
        st.html(f'<div class="vs-demo"><b>Demo mode — local previews, not Sora.</b>{typed}</div>')
        return None
    where = WHERE.get(source or "", "your key")
    version = esc(studio.connection.version)
    _, state = context.balance_state(studio)
    if state == context.OK:
        st.html(f'<div class="vs-live"><b>Connected to varg ({version})</b> · key from {esc(where)}</div>')
    elif state == context.REFUSED:
        st.html(
            f'<div class="vs-refused"><b>The key was refused</b> by varg ({version}) · key from {esc(where)}</div>'
        )
    elif state == context.CHECKING:
        st.html(f'<div class="vs-checking"><b>Checking the key…</b> with varg ({version})</div>')
    else:
        st.html(
            f'<div class="vs-checking"><b>varg cannot be reached</b> ({version}): the key is not checked yet</div>'
        )
    return state


@st.fragment(run_every=1.0)
def _await_check(studio, source: str | None) -> None:
    """While the key is being checked, look again each second and redraw the page once known."""
    if _banner(studio, source) != context.CHECKING:
        st.rerun(scope="app")


def connection():
    """Draw the connection block; returns the Studio (None if the core could not start)."""
    source = context.key_source()
    problem = context.key_problem()
    studio = None
    failure: str | None = None
    if problem is None:
        try:
            studio = context.get_studio()
        except StudioError as exc:
            failure = describe(exc)
            if getattr(exc, "field", None) == "studio_home":
                failure += (
                    "\n\nNothing in the data folder was changed. Make it writable or free some space "
                    "(or point STUDIO_HOME at another folder), then reload this page."
                )
        except Exception:
            log.exception("the studio could not start")
            failure = "The studio could not start its services. Check the data folder and reload."
    if studio is not None:
        # Before the page runs: its spend and budget checks need this session's id and budget.
        context.start_session(int(studio.settings.session_budget or 0))
    typed_error = st.session_state.get(context.KEY_ERROR)
    with st.sidebar:
        if problem is not None:
            st.html(
                f'<div class="vs-refused"><b>Not connected</b>: the key from {esc(WHERE[source or "session"])} '
                "is malformed and was not sent.</div>"
            )
        elif studio is not None:
            if not studio.connection.demo and context.balance_state(studio)[1] == context.CHECKING:
                _await_check(studio, source)  # redraws itself until the gateway has answered
            else:
                _banner(studio, source)
        with st.expander("API key", icon=":material/key:", expanded=bool(typed_error or problem is not None)):
            st.text_input(
                "varg API key",
                key=context.KEY_INPUT,
                type="password",
                placeholder="varg_…",
                on_change=_take_key,
                help="Kept in this browser session's memory only; never saved or shown.",
            )
            if typed_error:
                st.error(typed_error, icon=":material/key_off:")
            elif problem is not None:
                st.error(problem.message, icon=":material/key_off:")
            if source == "session":
                st.button("Forget my key", on_click=_forget_key, icon=":material/logout:", type="tertiary")
            elif problem is None:
                st.caption("Without a key the studio runs its own local gateway (demo mode).")
        if failure is not None:
            st.error(failure, icon=":material/error:")
    return studio


def _reset_demo_credits() -> None:
    try:
        available = wiring.hub().reset_demo_credits()
    except StudioError as exc:
        st.toast(str(exc), icon=":material/error:")
        return
    st.toast(f"Demo credits reset: {available:,} available.", icon=":material/restart_alt:")


SIGN_IN_ERROR = "people_sign_in_error"  # why the last Sign in could not start (shown once)


def _sign_in() -> None:
    try:
        st.login()
    except Exception as exc:  # Authlib missing, an incomplete [auth]: say so, never a traceback
        log.warning("sign-in could not start: %s", type(exc).__name__)
        st.session_state[SIGN_IN_ERROR] = (
            "Sign-in is not set up correctly on this studio (the [auth] settings or the Authlib "
            "package). Ask whoever runs it; meanwhile the studio works signed out."
        )


def person_block(studio) -> None:
    """Who is signed in (with Sign out and their budget today), or Sign in. Nothing without [auth]."""
    if not context.auth_configured():
        return
    who = context.person()
    if who is None:
        st.button(
            "Sign in",
            key="people_sign_in",
            icon=":material/login:",
            on_click=_sign_in,
            help="Sign in so your takes say they are yours and your own budget applies.",
        )
        st.caption("Signed out: takes made now are shared by everyone using this key.")
        problem = st.session_state.pop(SIGN_IN_ERROR, None)
        if problem:
            st.error(problem, icon=":material/no_accounts:")
        return
    with st.container(horizontal=True, vertical_alignment="center", gap="small", key="people_me"):
        st.html(f'<div class="vs-credits">Signed in as <b>{esc(who.name)}</b> · {esc(who.email)}</div>')
        st.button(
            "Sign out", key="people_sign_out", icon=":material/logout:", type="tertiary", on_click=st.logout
        )
    cap = context.person_budget(studio).cap(who)
    if cap is not None:
        left = max(cap - context.person_spent(studio, who), 0)
        st.caption(f"Your budget today: {left:,} of {cap:,} credits left (resets at midnight UTC).")


def account(studio, container) -> None:
    """Who is signed in, balance, session spend and the optional session budget."""
    with container:
        person_block(studio)
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
        right.metric(
            "This session", f"{spent:,}", help="Credits of takes started in this session (billed where known)"
        )
        if funds is not None:
            st.html(
                f'<div class="vs-credits">Available <b>{funds.available:,}</b> · reserved <b>{funds.reserved:,}</b>'
                "</div>"
            )
        if studio.connection.demo:
            st.button(
                "Reset demo credits",
                key="demo_reset_credits",
                icon=":material/restart_alt:",
                type="tertiary",
                on_click=_reset_demo_credits,
                help="Demo mode only: the local gateway's balance goes back to "
                f"{DEMO_BALANCE:,} credits. Takes rendering now stay paid for.",
            )
        if refused:
            st.error(
                "The API key was refused. Check it above; nothing else was changed.",
                icon=":material/key_off:",
            )
        elif balance is None:
            st.caption("Balance unavailable: the gateway cannot be reached right now.")
        default = int(studio.settings.session_budget or 0)
        context.start_session(default)
        st.number_input(
            "Session budget (credits, 0 = none)",
            min_value=0,
            step=100,
            key=context.BUDGET_INPUT,
            help="Submissions that would take this session past its budget are stopped before any call. "
            "Kept in this page's address, so a reload keeps it.",
        )
        context.keep_budget_in_url(default)
