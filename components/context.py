"""Per-session plumbing: where the API key comes from, the account's Studio, who is signed in,
spend and budgets.

The key lives only in `st.session_state` (memory) or comes from `VARG_API_KEY` / Streamlit
secrets; it is never cached with `st.cache_*`, logged, put in a URL or drawn on the page.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import threading
import time
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import streamlit as st

from components import form_store, wiring
from components.style import md_escape
from studio import people, services
from studio.errors import AuthError, InputError
from studio.keys import check_key

log = logging.getLogger("varg_studio.ui")

KEY_STATE = "conn_key"  # the key a user typed (plain session state, never a widget value)
KEY_INPUT = "conn_key_input"  # the password field; emptied as soon as its value moved to KEY_STATE
KEY_ERROR = "conn_key_error"  # why the last typed key was refused before anything was sent
BUDGET_INPUT = "conn_budget"
SESSION_ID = "conn_session_id"
SESSION_PARAM = "s"  # the browser session's id in the URL: survives reloads; not a secret
BUDGET_PARAM = "b"  # the session budget in the URL, so a reload keeps it
_SESSION_ID_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


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


def key_problem() -> InputError | None:
    """Why the key in use (typed, env or secrets) cannot be sent, or None when it is well formed."""
    key = api_key()
    if key is None:
        return None
    try:
        check_key(key)
    except InputError as exc:
        return exc
    return None


def get_studio() -> services.Studio:
    """The Studio for this session's key, from the app's hub."""
    return wiring.hub().studio(api_key())


def session_id() -> str:
    """This browser session's id: from the URL (`?s=`), else made once; kept in the URL so a
    reload keeps the session's spend and budget. Not a secret: it only groups takes."""
    state = st.session_state
    sid = state.get(SESSION_ID)
    if not sid:
        given = st.query_params.get(SESSION_PARAM) or ""
        sid = given if _SESSION_ID_RE.match(given) else secrets.token_urlsafe(12)
        state[SESSION_ID] = sid
    if st.query_params.get(SESSION_PARAM) != sid:
        st.query_params[SESSION_PARAM] = sid  # page changes drop the query string: put it back
    return str(sid)


def initial_budget(default: int) -> int:
    """The budget a new browser session starts with: the URL's `?b=` (a reload), else the default."""
    raw = st.query_params.get(BUDGET_PARAM) or ""
    return int(raw) if raw.isdigit() and len(raw) <= 9 else int(default)


def start_session(default_budget: int) -> None:
    """This browser session's id in the URL, and its budget (from the URL after a reload)."""
    session_id()
    if BUDGET_INPUT not in st.session_state:
        st.session_state[BUDGET_INPUT] = initial_budget(default_budget)


def keep_budget_in_url(default: int) -> None:
    value = st.session_state.get(BUDGET_INPUT)
    wanted = str(int(value)) if isinstance(value, int | float) and int(value) != int(default) else None
    current = st.query_params.get(BUDGET_PARAM)
    if wanted is None and current is not None:
        del st.query_params[BUDGET_PARAM]
    elif wanted is not None and current != wanted:
        st.query_params[BUDGET_PARAM] = wanted


OK, REFUSED, CHECKING, UNREACHABLE = "ok", "refused", "checking", "unreachable"
BALANCE_WAIT = 1.5  # the longest one page run waits for the balance
UNREACHABLE_FOR = 10.0  # after a lookup found the gateway unreachable, answer "unknown" this long

# The balance is read on a small shared pool so that a gateway that is down (whose reads are
# retried for several seconds) never holds a page run: the page waits at most BALANCE_WAIT, a
# lookup still in flight is shared by every run of that account, and an unreachable gateway is
# not asked again for UNREACHABLE_FOR. The threads only call the core; never `st.*`.
_lookup_lock = threading.Lock()
_lookups: dict[tuple[str, str], tuple[float, Future]] = {}
_unreachable: dict[tuple[str, str], float] = {}
_known: dict[
    tuple[str, str], tuple[str, int | None]
] = {}  # what the gateway last said: (ok / refused, credits)


def _harvest(key: tuple[str, str], future: Future) -> None:
    """Remember what a finished lookup said (called with the lock held)."""
    try:
        value = future.result(timeout=0)
    except AuthError:
        _known[key] = (REFUSED, None)
    except Exception:
        return
    else:
        if value is not None:
            _known[key] = (OK, value)


_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="ui-balance")


def _ask(studio: services.Studio, key: tuple[str, str]) -> int | None:
    value = studio.balance()  # AuthError propagates to the caller through the future
    with _lookup_lock:
        if value is None:
            _unreachable[key] = time.monotonic() + UNREACHABLE_FOR
        else:
            _unreachable.pop(key, None)
    return value


def balance_state(studio: services.Studio) -> tuple[int | None, str]:
    """(credits or None, what the gateway said of the key: ok, refused, checking or unreachable),
    without holding the page longer than BALANCE_WAIT."""
    key = (studio.connection.account, studio.connection.base_url)
    now = time.monotonic()
    with _lookup_lock:
        if _unreachable.get(key, 0.0) > now:
            return None, UNREACHABLE
        started, future = _lookups.get(key, (0.0, None))
        if future is None or future.done():
            if future is not None:
                _harvest(key, future)
            started, future = now, _pool.submit(_ask, studio, key)
            _lookups[key] = (started, future)
    try:
        value = future.result(timeout=max(0.0, BALANCE_WAIT - (now - started)))
    except TimeoutError:
        # A slow re-read of a key already checked keeps its verdict; a new key is "checking".
        state, last = _known.get(key, (CHECKING, None))
        return last, state
    except AuthError:
        with _lookup_lock:
            _known[key] = (REFUSED, None)
        return None, REFUSED
    except Exception:
        log.exception("balance lookup failed")
        return None, UNREACHABLE
    if value is None:
        return None, UNREACHABLE
    with _lookup_lock:
        _known[key] = (OK, value)
    return value, OK


def balance_or_refused(studio: services.Studio) -> tuple[int | None, bool]:
    """(credits or None when unknown, whether the key was refused), without holding the page."""
    value, state = balance_state(studio)
    return value, state == REFUSED


def balance(studio: services.Studio) -> int | None:
    """Credits left, or None when unknown (gateway unreachable or slow, or the key refused)."""
    return balance_or_refused(studio)[0]


def session_spent(studio: services.Studio) -> int:
    try:
        return studio.library.session_spend(studio.connection.account, session_id())
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


def session_budget_left(studio: services.Studio) -> int | None:
    """What this browser session's own budget still allows, or None without one."""
    cap = budget()
    if cap is None:
        return None
    return cap - session_spent(studio)


def budget_left(studio: services.Studio) -> int | None:
    """What may still be spent: the tighter of the session's and the signed-in person's budget."""
    allowed = allowance(studio)
    return None if allowed is None else allowed.left


def allowance(studio: services.Studio) -> people.Allowance | None:
    """The tighter budget (session or person) and what it leaves, or None when neither applies."""
    return people.tightest(session_budget_left(studio), person_budget_left(studio))


# --- people: only with Streamlit's login configured (`[auth]` in the secrets) ------------------
AUTH_SECTION = "auth"
BUDGETS_SECTION = "budgets"  # `"ana@example.com" = 2000`: per-person daily budgets over the default
SCOPE_LABELS = {people.Scope.MINE.value: "Mine", people.Scope.EVERYONE.value: "Everyone"}
_budgets: dict[tuple[Any, ...], people.PersonBudget] = {}


def _section(name: str) -> Mapping[str, Any] | None:
    try:
        if not st.secrets.load_if_toml_exists():
            return None
        value = st.secrets.get(name)
    except Exception:  # no secrets file, an unreadable one: no login
        return None
    return value if isinstance(value, Mapping) and value else None


def auth_configured() -> bool:
    """Whether the app has a login (an `[auth]` section in the secrets)."""
    return _section(AUTH_SECTION) is not None


def person() -> people.Person | None:
    """Who is signed in, or None (always None without `[auth]`: the workspace is shared per key)."""
    if not auth_configured():
        return None
    try:
        user = st.user.to_dict()
    except Exception:
        log.warning("st.user could not be read; treated as signed out")
        return None
    return people.Person.from_user(user)


def created_by() -> str | None:
    """What a take made in this session records as its maker (the signed-in person's email)."""
    who = person()
    return who.email if who is not None else None


def byline(maker: str | None) -> str:
    """`by Ana` for a take with a maker (Markdown-escaped, for `st.caption`), else ""."""
    return md_escape(people.byline(maker, person()) or "")


def person_budget(studio: services.Studio) -> people.PersonBudget:
    """The daily budgets: `STUDIO_PERSON_BUDGET` for everyone, `[budgets]` in the secrets per email."""
    overrides = _section(BUDGETS_SECTION) or {}
    key = (studio.settings.person_budget, *sorted((str(k), repr(v)) for k, v in overrides.items()))
    if key not in _budgets:  # read once per configuration (a bad entry is logged once, not per run)
        _budgets[key] = people.PersonBudget.from_config(studio.settings.person_budget, overrides)
    return _budgets[key]


def person_spent(studio: services.Studio, who: people.Person) -> int:
    """What this person's takes cost today (UTC), in this account."""
    try:
        return studio.library.spend_by(studio.connection.account, who.email, people.day_start())
    except Exception:
        log.exception("spend lookup failed")
        return 0


def person_budget_left(studio: services.Studio) -> int | None:
    """What the signed-in person may still spend today, or None (nobody signed in, no budget)."""
    who = person()
    rules = person_budget(studio)
    if who is None or rules.cap(who) is None:
        return None
    return rules.budget_left(who, person_spent(studio, who))


def scope_filter(prefix: str, on_change: Any = None) -> str | None:
    """A Mine / Everyone control (Mine first) when someone is signed in; returns the `created_by`
    filter it picks. Nobody signed in: no control, and everyone's takes (None)."""
    who = person()
    if who is None:
        return None
    options = list(SCOPE_LABELS)
    key = form_store.bind(prefix, "scope", people.Scope.MINE.value, options)
    value = st.segmented_control(
        "Whose takes",
        options,
        key=key,
        format_func=lambda v: SCOPE_LABELS.get(v, str(v)),
        required=True,
        on_change=on_change,
        label_visibility="collapsed",
        help=f"Mine: takes made by {who.name}. Everyone: every take on this key.",
    )
    scope = people.Scope(value or people.Scope.MINE.value)
    form_store.remember(prefix, "scope", scope.value)
    return scope.created_by(who)


NOTES = "conn_notes"  # (text, icon) toasts waiting for the next full run (a rerun drops a toast)


def note(text: str, icon: str) -> None:
    """A toast shown on the next full run: survives the `st.rerun` that follows an action."""
    st.session_state.setdefault(NOTES, []).append((text, icon))


def show_notes() -> None:
    for text, icon in st.session_state.pop(NOTES, None) or []:
        st.toast(text, icon=icon)
