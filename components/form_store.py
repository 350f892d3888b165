"""The per-page form store: every field of a form, kept across page switches, reruns and reuse.

Streamlit forgets a widget's value once a run does not draw it (another page is open), so each
form field lives twice: in its widget key (`<prefix>_<name>`) while the page is drawn, and in a
plain dict (`<prefix>__store`) that nothing deletes. `bind` seeds a widget from the store and
registers it; `keep_all` (called by the frame before any page runs) copies every registered
widget's latest value into its store, so a change that arrives together with a page switch (a
pill clicked, then the sidebar link at once) is kept even though the form's page never ran with it.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

GONE = "model_gone"  # store: the model of a reused take that this gateway does not list now
BOUND = "__form_bound"  # session state: widget key -> (prefix, field name), for `keep_all`
LINEAGE = ("parent_id", "relation", "shot")  # where a branching form comes from (cleared together)


def store(prefix: str) -> dict[str, Any]:
    return st.session_state.setdefault(f"{prefix}__store", {})


def track(prefix: str, name: str) -> str:
    """Register the widget key of a field so `keep_all` keeps its value; returns the key."""
    key = f"{prefix}_{name}"
    st.session_state.setdefault(BOUND, {})[key] = (prefix, name)
    return key


def bind(prefix: str, name: str, default: Any, options: list[Any] | tuple[Any, ...] | None = None) -> str:
    """The widget key for a field, seeded from the store (or `default`) if the widget is new."""
    key = track(prefix, name)
    saved = store(prefix)
    if key not in st.session_state:
        st.session_state[key] = saved.get(name, default)
    if options is not None and st.session_state[key] not in options:
        st.session_state[key] = default
    return key


def remember(prefix: str, name: str, value: Any) -> None:
    store(prefix)[name] = value


def keep_all() -> None:
    """Copy the latest value of every registered widget still in session state into its store."""
    for key, (prefix, name) in list(st.session_state.get(BOUND, {}).items()):
        if key in st.session_state:
            value = st.session_state[key]
            if value is not None:
                store(prefix)[name] = value


def choice(
    prefix: str, name: str, label: str, options: dict[str, str], default: str, *, help: str | None = None
) -> str:
    """One of a few named options as a required segmented control, kept across page switches."""
    key = bind(prefix, name, default, list(options))
    value = (
        st.segmented_control(label, list(options), key=key, format_func=options.get, required=True, help=help)
        or default
    )
    remember(prefix, name, value)
    return value


def prefill(prefix: str, **values: Any) -> None:
    """Put a recipe into a creation page's form; its widgets pick every value up on their next render."""
    saved = store(prefix)
    saved.update(values)
    saved.pop(GONE, None)
    saved.pop("snap_note", None)
    saved.pop("snap_value", None)
    for name in values:
        st.session_state.pop(f"{prefix}_{name}", None)
    # A deliberate reuse or re-roll is new work, even if this form made the same take before.
    st.session_state.pop(f"{prefix}__last", None)
    st.session_state.pop(f"{prefix}__nonce", None)


def lineage(prefix: str) -> dict[str, Any]:
    """The request fields that record where this form's next take comes from (and its camera)."""
    saved = store(prefix)
    values = {name: saved.get(name) or None for name in (*LINEAGE, "camera")}
    if not values["parent_id"]:
        values["relation"] = None
    return values


def new_idea(prefix: str) -> None:
    """Stop branching: the next take founds its own idea (the prompt and settings stay)."""
    saved = store(prefix)
    for name in LINEAGE:
        saved.pop(name, None)
