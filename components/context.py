"""Per-session plumbing: where the API key comes from, the account's Studio, spend and budget.

The key lives only in `st.session_state` (memory) or comes from `VARG_API_KEY` / Streamlit
secrets; it is never cached with `st.cache_*`, logged, put in a URL or drawn on the page.
"""

from __future__ import annotations

import logging
import os
import time

import streamlit as st

from studio import services
from studio.errors import AuthError

log = logging.getLogger("varg_studio.ui")

KEY_STATE = "conn_key"  # the key a user typed (plain session state, never a widget value)
KEY_INPUT = "conn_key_input"  # the password field; emptied as soon as its value moved to KEY_STATE
BUDGET_INPUT = "conn_budget"
SESSION_START = "conn_session_start"


def _secret_key() -> str | None:
    try:
        if not st.secrets.load_if_toml_exists():
            return None
        value = st.secrets.get("VARG_API_KEY")
    except Exception:  # no secrets file, unreadable file: demo mode is fine
        return None
    return str(value).strip() or None if value else None


def key_source() -> str | None:
    """Where the key in use comes from: "session", "env", "secrets" or None (demo mode)."""
    if st.session_state.get(KEY_STATE):
        return "session"
    if os.environ.get("VARG_API_KEY", "").strip():
        return "env"
    if _secret_key():
        return "secrets"
    return None


def api_key() -> str | None:
    typed = st.session_state.get(KEY_STATE)
    if typed:
        return str(typed)
    return os.environ.get("VARG_API_KEY", "").strip() or _secret_key()


def get_studio() -> services.Studio:
    """The process-wide Studio for this session's key (a registry in the core, not st.cache)."""
    return services.get_studio(api_key())


def session_start() -> float:
    if SESSION_START not in st.session_state:
        st.session_state[SESSION_START] = time.time()
    return float(st.session_state[SESSION_START])


def balance(studio: services.Studio) -> int | None:
    """Credits left, or None when unknown (gateway unreachable or the key refused)."""
    try:
        return studio.balance()
    except AuthError:
        return None
    except Exception:
        log.exception("balance lookup failed")
        return None


def session_spent(studio: services.Studio) -> int:
    try:
        return studio.library.spend(studio.connection.account, session_start())
    except Exception:
        log.exception("spend lookup failed")
        return 0


def budget() -> int | None:
    value = st.session_state.get(BUDGET_INPUT)
    if value is None:
        return None
    try:
        value = int(value)
    except (TypeError, ValueError):
        return None
    return value if value > 0 else None


def budget_left(studio: services.Studio) -> int | None:
    cap = budget()
    if cap is None:
        return None
    return cap - session_spent(studio)
