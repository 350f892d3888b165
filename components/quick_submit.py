"""One-click submissions from a take (re-roll, make final): the exact price on the button, the
normal confirm rules, one job per click.

A button draws its request's price before anything is sent ("Re-roll · 210 credits"). A click
prepares the request in the core and either submits at once or, for a pro model or several
variants, opens the same kind of confirm dialog as the creation forms.

Double-click safety: the submission id is a digest of the button's key, its request and a nonce.
The nonce is kept for a moment after a submission, so the second click of a double-click is
answered with the takes the first one made; a deliberate later click is new work.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, replace
from typing import Any

import streamlit as st

from components import confirm, context
from components.errors import message
from studio import catalog
from studio.catalog import Estimate
from studio.errors import StudioError
from studio.submission import Prepared, TakeRequest, pricing_sketch

STATE = "quick__{key}"  # {"nonce", "at", "sid"}: the last submission of this button
PENDING = "quick__pending"  # {"key", "sid", "seed", "content"}: the confirm dialog that is open
DOUBLE_CLICK = 2.0  # seconds: a second click sooner than this is the same submission


def price(studio, req: TakeRequest, *, wait: float = 0.0, source_seconds: float | None = None) -> Estimate:
    """The price of `req` before it is sent: exact from varg when known within `wait`, else approx."""
    model = studio.catalog.current().find(req.model)
    if model is None:
        raise StudioError(f"{catalog.label_of(req.model)} is not offered by varg now.", field="model")
    duration = None
    if not model.inherits_source and model.durations:
        duration = catalog.snap_duration(model, req.duration or model.default_duration).value
    sketch = pricing_sketch(req, model, duration, req.aspect_ratio, source_seconds=source_seconds)
    if not model.available:
        return sketch.estimate
    try:
        return studio.quote(sketch, wait=wait)
    except StudioError:
        return sketch.estimate


def credits(est: Estimate) -> str:
    """`210 credits`, `approx. 210 credits` or `free (cached)` for a button label."""
    if est.cached and est.total == 0:
        return "free (cached)"
    return f"{'' if est.exact else 'approx. '}{est.total:,} credits"


def _content(req: TakeRequest) -> str:
    values = asdict(req)
    values.pop("seed", None)  # a re-roll draws its seed at prepare: not part of what was asked
    for name in ("image", "source_video", "end_image"):
        data = values.pop(name, None)
        if data is not None:
            values[name] = hashlib.sha256(data).hexdigest()
    raw = json.dumps(values, sort_keys=True, default=str)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _submission_id(key: str, content: str) -> str:
    state = st.session_state.setdefault(STATE.format(key=key), {})
    recent = state.get("sid") and time.monotonic() - float(state.get("at", 0.0)) < DOUBLE_CLICK
    if not recent or state.get("content") != content:
        state.update(nonce=uuid.uuid4().hex, sid=None, content=content)
    digest = hashlib.sha256(f"{key}:{state['nonce']}:{content}".encode()).hexdigest()[:32]
    return f"q-{digest}"


def _submit(key: str, prepared: Prepared, est: Estimate, sid: str, done: str) -> bool:
    try:
        result = confirm.send(prepared, est, sid)
    except StudioError as exc:
        st.toast(message(exc), icon=":material/error:")
        return False
    st.session_state.setdefault(STATE.format(key=key), {}).update(sid=sid, at=time.monotonic())
    st.session_state.pop(PENDING, None)
    if result.created:
        st.toast(f"{done}: rendering now. Watch the job tray.", icon=":material/rocket_launch:")
    else:
        st.toast("Already submitted: that exact take is rendering (or done). Nothing new was sent.")
    return True


def _dismiss() -> None:
    st.session_state.pop(PENDING, None)


@st.dialog("Confirm before spending", width="medium", on_dismiss=_dismiss)
def _confirm(key: str, prepared: Prepared, est: Estimate, sid: str, done: str, note: str | None) -> None:
    confirm.summary(prepared, est, context.balance(context.get_studio()), note)
    left, right = st.columns(2)
    if left.button("Cancel", key=f"{key}_confirm_cancel", width="stretch"):
        _dismiss()
        st.rerun()
    if right.button(
        f"Generate · {est.total:,} credits", key=f"{key}_confirm_go", type="primary", width="stretch"
    ) and _submit(key, prepared, est, sid, done):
        st.rerun()


def _click(key: str, build: Callable[[], TakeRequest], done: str, note: str | None) -> None:
    studio = context.get_studio()
    try:
        req = build()
        prepared = studio.jobs.prepare(req)
    except StudioError as exc:
        st.toast(message(exc), icon=":material/error:")
        return
    try:
        est = studio.quote(prepared, wait=1.0)
    except StudioError:
        est = prepared.estimate
    content = _content(req)
    sid = _submission_id(key, content)
    if catalog.needs_confirmation(prepared.model, prepared.estimate.count):
        st.session_state[PENDING] = {"key": key, "sid": sid, "seed": prepared.seeds[0], "content": content}
        _confirm(key, prepared, est, sid, done, note)
        return
    _submit(key, prepared, est, sid, done)


def _reopen(key: str, build: Callable[[], TakeRequest], done: str, note: str | None, pending: dict) -> None:
    """Keep an open confirmation open across reruns, with the seed it showed."""
    studio = context.get_studio()
    try:
        req = build()
        if _content(req) != pending.get("content"):
            _dismiss()
            return
        if pending.get("seed") is not None:
            req = replace(req, seed=pending["seed"])
        prepared = studio.jobs.prepare(req)
        est = studio.quote(prepared, wait=1.0)
    except StudioError:
        _dismiss()
        return
    _confirm(key, prepared, est, pending["sid"], done, note)


def button(
    key: str,
    label: str,
    build: Callable[[], TakeRequest],
    *,
    icon: str | None = None,
    help: str | None = None,
    disabled_reason: str | None = None,
    done: str = "Submitted",
    note: str | None = None,
    wait: float = 0.3,
    compare_to: int | None = None,
    source_seconds: float | None = None,
    **kwargs: Any,
) -> None:
    """A button that submits `build()` with its exact price on it (and `(+N)` against `compare_to`)."""
    studio = context.get_studio()
    text = label
    tip = help or ""
    if disabled_reason is None:
        try:
            est = price(studio, build(), wait=wait, source_seconds=source_seconds)
        except StudioError as exc:
            disabled_reason = message(exc)
        else:
            text = f"{label} · {credits(est)}"
            if compare_to is not None and not est.cached:
                diff = est.total - compare_to
                text += f" ({'+' if diff >= 0 else '−'}{abs(diff):,})"
            tip = (tip + "\n\n" if tip else "") + (
                f"Price from varg: {est.text()}." if est.exact else f"Estimate: {est.text()} (varg has not priced it yet)."
            )
    if disabled_reason:
        tip = (tip + "\n\n" if tip else "") + disabled_reason
    clicked = st.button(text, key=key, icon=icon, help=tip or None, disabled=bool(disabled_reason), **kwargs)
    pending = st.session_state.get(PENDING)
    if clicked:
        _click(key, build, done, note)
    elif pending and pending.get("key") == key:
        _reopen(key, build, done, note, pending)
