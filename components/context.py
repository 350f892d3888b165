"""Per-session plumbing: where the API key comes from, the account's Studio, spend and budget.

The key lives only in `st.session_state` (memory) or comes from `VARG_API_KEY` / Streamlit
secrets; it is never cached with `st.cache_*`, logged, put in a URL or drawn on the page.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

import streamlit as st

from components import wiring
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
    """The Studio for this session's key, from the app's hub."""
    return wiring.hub().studio(api_key())


def session_start() -> float:
    if SESSION_START not in st.session_state:
        st.session_state[SESSION_START] = time.time()
    return float(st.session_state[SESSION_START])


BALANCE_WAIT = 1.5  # the longest one page run waits for the balance
UNREACHABLE_FOR = 10.0  # after a lookup found the gateway unreachable, answer "unknown" this long

# The balance is read on a small shared pool so that a gateway that is down (whose reads are
# retried for several seconds) never holds a page run: the page waits at most BALANCE_WAIT, a
# lookup still in flight is shared by every run of that account, and an unreachable gateway is
# not asked again for UNREACHABLE_FOR. The threads only call the core; never `st.*`.
_lookup_lock = threading.Lock()
_lookups: dict[tuple[str, str], tuple[float, Future]] = {}
_unreachable: dict[tuple[str, str], float] = {}
_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="ui-balance")


def _ask(studio: services.Studio, key: tuple[str, str]) -> int | None:
    value = studio.balance()  # AuthError propagates to the caller through the future
    with _lookup_lock:
        if value is None:
            _unreachable[key] = time.monotonic() + UNREACHABLE_FOR
        else:
            _unreachable.pop(key, None)
    return value


def balance_or_refused(studio: services.Studio) -> tuple[int | None, bool]:
    """(credits or None when unknown, whether the key was refused), without holding the page."""
    key = (studio.connection.account, studio.connection.base_url)
    now = time.monotonic()
    with _lookup_lock:
        if _unreachable.get(key, 0.0) > now:
            return None, False
        started, future = _lookups.get(key, (0.0, None))
        if future is None or future.done():
            started, future = now, _pool.submit(_ask, studio, key)
            _lookups[key] = (started, future)
    try:
        return future.result(timeout=max(0.0, BALANCE_WAIT - (now - started))), False
    except TimeoutError:
        return None, False
    except AuthError:
        return None, True
    except Exception:
        log.exception("balance lookup failed")
        return None, False


def balance(studio: services.Studio) -> int | None:
    """Credits left, or None when unknown (gateway unreachable or slow, or the key refused)."""
    return balance_or_refused(studio)[0]


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
