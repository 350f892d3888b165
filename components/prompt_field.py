"""The prompt field: never cut, with the take the form branches from and a rejected parent's hints."""

from __future__ import annotations

import streamlit as st

from components import context
from components.errors import Slots
from components.form_fields import catalog_now, resolve_model
from components.form_store import bind, new_idea, remember, store
from components.style import esc, snippet
from studio.errors import InputError, StudioError
from studio.submission import clean_prompt


def _parent(prefix: str):
    """The take this form branches from (None: a new idea, or the take is gone)."""
    parent_id = store(prefix).get("parent_id")
    if not parent_id:
        return None
    studio = context.get_studio()
    try:
        return studio.library.get(parent_id, account=studio.connection.account)
    except StudioError:
        return None


def branch_chip(prefix: str) -> None:
    """The "Branching from: <prompt> · seed 1234 locked" line, and a button to start a new idea instead."""
    parent = _parent(prefix)
    if parent is None:
        return
    saved = store(prefix)
    bits = [f"<b>Branching from</b> “{esc(snippet(parent.prompt, 60))}”"]
    if (
        saved.get("seed_mode") == "fixed"
        and saved.get("seed") is not None
        and saved.get("seed") == parent.seed
    ):
        bits.append(f"seed {int(saved['seed'])} locked")
    with st.container(horizontal=True, vertical_alignment="center", gap="small", key=f"{prefix}_branch"):
        st.html(f'<div class="vs-meta vs-branching">{" · ".join(bits)}</div>')
        st.button(
            "✕ Start a new idea",
            key=f"{prefix}_new_idea",
            type="tertiary",
            on_click=new_idea,
            args=(prefix,),
            help="The next take starts its own idea instead of branching from this one.",
        )


def _hints(prefix: str) -> None:
    """A rejected parent's reasons, as hints for this try."""
    parent = _parent(prefix)
    if parent is None or parent.verdict != "reject":
        return
    from studio import verdicts  # written alongside this form; kept local so a page never breaks on it

    tips = verdicts.hints(parent)
    if tips:
        items = "".join(f"<li>{esc(t)}</li>" for t in tips)
        st.html(f'<div class="vs-hints"><b>The take you branch from was rejected</b><ul>{items}</ul></div>')


def prompt_area(prefix: str, slots: Slots, *, mode: str, label: str = "Prompt", placeholder: str = "") -> str:
    """The prompt, never cut: a prompt over the model's limit is kept and the field says so.

    Above it, the take this form branches from; under it, that take's rejection reasons as hints.
    """
    cat = catalog_now()
    model = cat.find(store(prefix).get("model"))  # settings may be drawn already: never re-set the widget
    if model is None or mode not in model.modes:
        model = resolve_model(prefix, mode, cat)
    branch_chip(prefix)
    key = bind(prefix, "prompt", "")
    prompt = st.text_area(label, key=key, height=150, placeholder=placeholder)
    remember(prefix, "prompt", prompt)
    limit = model.max_prompt_chars
    over = len(prompt) > limit
    st.caption(
        f"{len(prompt):,} / {limit:,} characters"
        + (f" · {model.label} takes at most {limit:,}" if over else "")
    )
    slots.add("prompt")
    if prompt.strip():
        try:
            clean_prompt(prompt, limit)
        except InputError as exc:
            slots.show(exc)
    _hints(prefix)
    return prompt
