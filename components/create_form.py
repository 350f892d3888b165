"""The shared creation form: model, duration, ratio, variants, prompt, estimate line and Generate.

Widget values are mirrored into a plain per-page store (`<prefix>__store`) so a form survives a
visit to another page and can be pre-filled by the gallery ("reuse settings", "remix this").

Submission ids: `<prefix>-sha256(nonce + form content)`. The nonce is per form and lives in
session state, so a double-click or a rerun re-sends the same id and the core answers with the
existing takes (`created=False`). It is rotated after a success once the content changes, or by
"New take of the same prompt"; so going back to an earlier prompt is a new take, not a duplicate.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import streamlit as st

from components import context, job_tray
from components.errors import Slots, message
from components.style import esc
from studio import catalog
from studio.catalog import Estimate, Model
from studio.errors import InputError, StudioError
from studio.jobs import MAX_PROMPT_CHARS, Prepared, TakeRequest

log = logging.getLogger("varg_studio.ui")

RATIO_LABELS = {
    "16:9": ":material/crop_16_9: 16:9",
    "9:16": ":material/crop_portrait: 9:16",
    "1:1": ":material/crop_square: 1:1",
    "4:3": ":material/crop_landscape: 4:3",
    "3:4": ":material/crop_portrait: 3:4",
    "auto": ":material/crop_free: Auto",
}


# --- the per-page store ------------------------------------------------------------------------
def store(prefix: str) -> dict[str, Any]:
    return st.session_state.setdefault(f"{prefix}__store", {})


def bind(prefix: str, name: str, default: Any, options: list[Any] | tuple[Any, ...] | None = None) -> str:
    """The widget key for a field, seeded from the store (or `default`) if the widget is new."""
    key = f"{prefix}_{name}"
    saved = store(prefix)
    if key not in st.session_state:
        st.session_state[key] = saved.get(name, default)
    if options is not None and st.session_state[key] not in options:
        st.session_state[key] = default
    return key


def remember(prefix: str, name: str, value: Any) -> None:
    store(prefix)[name] = value


def prefill(prefix: str, **values: Any) -> None:
    """Put a recipe into a creation page's form; its widgets pick it up on their next render."""
    saved = store(prefix)
    saved.update(values)
    for name in values:
        st.session_state.pop(f"{prefix}_{name}", None)
    st.session_state.pop(f"{prefix}__last", None)


# --- the fields ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Settings:
    model: Model
    duration: int | None
    aspect_ratio: str | None
    variants: int

    def request(self, mode: str, prompt: str, **inputs: Any) -> TakeRequest:
        """The form as the core's request: these settings, the prompt, and the page's inputs."""
        return TakeRequest(
            mode=mode,
            model=self.model.id,
            prompt=prompt,
            duration=self.duration,
            aspect_ratio=self.aspect_ratio,
            variants=self.variants,
            **inputs,
        )


def _model_option(model_id: str) -> str:
    m = catalog.get_model(model_id)
    tail = " · Pro" if m.is_pro else ""
    return f"{m.label} · {m.credits:,} credits{tail}"


def model_select(prefix: str, mode: str, slots: Slots) -> Model:
    ids = [m.id for m in catalog.models_for(mode)]
    key = bind(prefix, "model", ids[0], ids)
    model_id = st.selectbox(
        "Model",
        ids,
        key=key,
        format_func=_model_option,
        help="Only models that can do this are listed. Prices are estimates per job.",
    )
    remember(prefix, "model", model_id)
    slots.add("model")
    return catalog.get_model(model_id)


def duration_select(prefix: str, model: Model, slots: Slots) -> int | None:
    if model.inherits_source or not model.durations:
        return None
    key = f"{prefix}_duration"
    saved = store(prefix)
    current = st.session_state.get(key, saved.get("duration"))
    if current not in model.durations:
        if current is None:
            value = model.default_duration or model.durations[0]
        else:
            try:
                snap = catalog.snap_duration(model, current)
                value = snap.value
                if snap.snapped:
                    saved["snap_note"] = snap.message
                    saved["snap_value"] = snap.value
            except InputError:
                value = model.default_duration or model.durations[0]
        st.session_state[key] = value
    if len(model.durations) == 1:
        duration = model.durations[0]
        st.caption(f"Duration: {duration} s (the only length {model.label} renders)")
    else:
        duration = st.select_slider(
            "Duration",
            options=list(model.durations),
            key=key,
            format_func=lambda d: f"{d} s",
            help=f"{model.label} renders only these lengths.",
        )
    remember(prefix, "duration", duration)
    note = saved.get("snap_note")
    if note and duration == saved.get("snap_value"):
        st.caption(f":material/straighten: {note}")
    elif note:
        saved.pop("snap_note", None)
        saved.pop("snap_value", None)
    slots.add("duration")
    return int(duration)


def ratio_select(prefix: str, model: Model, mode: str, slots: Slots) -> str | None:
    ratios = list(model.ratios_for(mode))
    if not ratios:
        return None
    key = bind(prefix, "aspect_ratio", ratios[0], ratios)
    ratio = st.segmented_control(
        "Aspect ratio",
        ratios,
        key=key,
        format_func=lambda r: RATIO_LABELS.get(r, r),
        required=True,
    )
    ratio = ratio or ratios[0]
    remember(prefix, "aspect_ratio", ratio)
    slots.add("aspect_ratio")
    return ratio


def variants_select(prefix: str, slots: Slots) -> int:
    options = list(range(1, catalog.MAX_VARIANTS + 1))
    key = bind(prefix, "variants", 1, options)
    variants = st.segmented_control(
        "Variants",
        options,
        key=key,
        required=True,
        help="Each variant is its own job (and its own charge).",
    )
    variants = int(variants or 1)
    remember(prefix, "variants", variants)
    slots.add("variants")
    return variants


def prompt_area(prefix: str, slots: Slots, *, label: str = "Prompt", placeholder: str = "") -> str:
    key = bind(prefix, "prompt", "")
    prompt = st.text_area(
        label,
        key=key,
        height=150,
        max_chars=MAX_PROMPT_CHARS,
        placeholder=placeholder,
    )
    remember(prefix, "prompt", prompt)
    st.caption(f"{len(prompt):,} / {MAX_PROMPT_CHARS:,} characters")
    slots.add("prompt")
    return prompt


def settings_row(prefix: str, mode: str, slots: Slots) -> Settings:
    """Model and variants, then duration and aspect ratio, each pair side by side."""
    top = st.columns([3, 2], gap="medium", vertical_alignment="top")
    with top[0]:
        model = model_select(prefix, mode, slots)
    with top[1]:
        variants = variants_select(prefix, slots)
    bottom = st.columns(2, gap="medium", vertical_alignment="top")
    with bottom[0]:
        duration = duration_select(prefix, model, slots)
        if duration is None and model.inherits_source:
            st.caption(":material/straighten: Keeps the source's length and ratio.")
    with bottom[1]:
        ratio = ratio_select(prefix, model, mode, slots)
    return Settings(model=model, duration=duration, aspect_ratio=ratio, variants=variants)


# --- estimate ------------------------------------------------------------------------------------
def refusal(est: Estimate, balance: int | None, budget_left: int | None) -> str | None:
    """Why this would be refused before any call, or None."""
    if balance is not None and est.total > balance:
        return (
            f"Not enough credits: this needs {est.total:,} and the balance is {balance:,}. "
            "Lower the variants or pick a cheaper model."
        )
    if budget_left is not None and est.total > budget_left:
        return (
            f"Over this session's budget: this needs {est.total:,} credits and the budget has "
            f"{max(budget_left, 0):,} left. Raise the budget in the sidebar to go on."
        )
    return None


def estimate_line(est: Estimate, balance: int | None, budget_left: int | None) -> None:
    """`Estimate · 4 × 100 = 400 credits · balance 1,250 → 850 after`, drawn above Generate."""
    line = est.text(balance)
    if balance is None:
        line += " · balance unavailable"
    over = refusal(est, balance, budget_left) is not None
    extra = ""
    if budget_left is not None:
        extra = f'<div class="vs-meta">Session budget left: {max(budget_left, 0):,} credits</div>'
    st.html(
        f'<div class="vs-estimate"><span class="lbl">Estimate</span>'
        f'<span class="{"over" if over else ""}">{esc(line)}</span></div>{extra}'
    )


# --- submission ----------------------------------------------------------------------------------
def content_hash(content: dict[str, Any]) -> str:
    raw = json.dumps(content, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _nonce(prefix: str) -> str:
    key = f"{prefix}__nonce"
    if key not in st.session_state:
        st.session_state[key] = uuid.uuid4().hex
    return st.session_state[key]


def _rotate(prefix: str) -> None:
    st.session_state[f"{prefix}__nonce"] = uuid.uuid4().hex
    st.session_state.pop(f"{prefix}__last", None)


def submission_id(prefix: str, chash: str) -> str:
    return f"{prefix}-" + hashlib.sha256(f"{_nonce(prefix)}:{chash}".encode()).hexdigest()[:32]


def _record(prefix: str, chash: str, sid: str, take_ids: list[str], created: bool) -> None:
    st.session_state[f"{prefix}__last"] = {
        "content": chash,
        "sid": sid,
        "take_ids": take_ids,
        "created": created,
    }
    job_tray.watch(take_ids)


def _submit(prefix: str, prepared: Prepared, chash: str, sid: str, slots: Slots | None) -> bool:
    studio = context.get_studio()
    try:
        result = studio.jobs.submit(
            prepared,
            sid,
            balance=context.balance(studio),
            budget_left=context.budget_left(studio),
        )
    except StudioError as exc:
        if slots is not None:
            slots.show(exc)
        else:
            st.error(message(exc), icon=":material/error:")
        return False
    forget = getattr(studio, "forget_balance", None)
    if forget is not None:
        forget()  # the next balance read reflects the charge
    take_ids = [t.id for t in result.takes]
    st.session_state.pop(f"{prefix}__confirm", None)
    _record(prefix, chash, sid, take_ids, result.created)
    if result.created:
        n = len(take_ids)
        st.toast(
            f"Submitted: {n} take{'s' if n > 1 else ''} rendering. Watch the job tray.",
            icon=":material/rocket_launch:",
        )
    return True


def _dismiss_confirmations() -> None:
    for key in [k for k in st.session_state if str(k).endswith("__confirm")]:
        del st.session_state[key]


@st.dialog("Confirm before spending", width="medium", on_dismiss=_dismiss_confirmations)
def _confirm(prefix: str, prepared: Prepared, chash: str, sid: str, balance: int | None) -> None:
    model = prepared.model
    n = prepared.estimate.count
    why = []
    if model.is_pro:
        why.append(f"**{model.label}** is a pro-tier model ({model.credits:,} credits a job)")
    if n > 1:
        why.append(f"**{n} variants** are {n} separate jobs")
    st.markdown(" and ".join(why) + ".")
    facts = [model.label]
    if prepared.duration:
        facts.append(f"{prepared.duration} s")
    if prepared.aspect_ratio:
        facts.append(prepared.aspect_ratio)
    facts.append(f"{n} variant{'s' if n > 1 else ''}")
    st.caption(" · ".join(facts))
    st.html(
        f'<div class="vs-estimate"><span class="lbl">Estimate</span>'
        f"{esc(prepared.estimate.text(balance))}</div>"
    )
    for warning in prepared.warnings:
        st.warning(warning, icon=":material/warning:")
    left, right = st.columns(2)
    if left.button("Cancel", key=f"{prefix}_confirm_cancel", width="stretch"):
        st.session_state.pop(f"{prefix}__confirm", None)
        st.rerun()
    if right.button(
        f"Generate · {prepared.estimate.total:,} credits",
        key=f"{prefix}_confirm_go",
        type="primary",
        width="stretch",
    ) and _submit(prefix, prepared, chash, sid, None):
        st.rerun()


def generate_area(
    prefix: str,
    *,
    mode: str,
    prompt: str,
    build: Callable[[], TakeRequest],
    settings: Settings,
    slots: Slots,
    inputs: dict[str, Any] | None = None,
    precheck: Callable[[], str | None] | None = None,
) -> None:
    """Estimate line, Generate button and the outcome, in this order, in the current container.

    The form's content (settings, prompt and a digest of any `inputs`) names the submission: the
    same content again is the same submission, so a double-click or rerun never makes a second job.
    """
    content = {
        "mode": mode,
        "model": settings.model.id,
        "prompt": prompt,
        "duration": settings.duration,
        "ratio": settings.aspect_ratio,
        "variants": settings.variants,
        **(inputs or {}),
    }
    studio = context.get_studio()
    balance = context.balance(studio)
    left = context.budget_left(studio)
    est = catalog.estimate(settings.model, settings.variants)
    chash = content_hash(content)

    last = st.session_state.get(f"{prefix}__last")
    if last and last.get("content") != chash:
        _rotate(prefix)  # the form changed since the last success: the next Generate is new work
        last = None

    estimate_line(est, balance, left)
    reason = refusal(est, balance, left)
    if reason:
        st.warning(reason, icon=":material/account_balance_wallet:")
    clicked = st.button(
        "Generate",
        key=f"{prefix}_generate",
        type="primary",
        icon=":material/movie:",
        width="stretch",
    )
    slots.add("submit")
    pending = st.session_state.get(f"{prefix}__confirm")
    if pending and pending.get("content") != chash:
        st.session_state.pop(f"{prefix}__confirm", None)
        pending = None
    if pending and not clicked:
        _reopen(prefix, build, chash, pending["sid"], balance)
    if clicked:
        _on_generate(
            prefix,
            content=content,
            chash=chash,
            build=build,
            settings=settings,
            slots=slots,
            reason=reason,
            precheck=precheck,
            balance=balance,
        )
        last = st.session_state.get(f"{prefix}__last")
    failed = _outcome(studio, last)
    if last and last.get("content") == chash:
        n = len(last.get("take_ids") or [])
        if failed:
            head = "This take failed" if n == 1 else f"{len(failed)} of {n} takes failed"
            reason = failed[0].error or "no reason was given"
            st.error(f"{head}: {reason}", icon=":material/error:")
            # Never re-sent by itself: a failed create may still have been charged. Trying again
            # is a deliberate new take.
            st.caption("To try again, use “New take of the same prompt”.")
        elif last.get("created"):
            st.success(
                f"Submitted: {n} take{'s' if n > 1 else ''} rendering. Keep going: the next prompt is yours.",
                icon=":material/rocket_launch:",
            )
        else:
            st.info(
                "Already submitted: this exact form is already rendering (or done). No new job was started.",
                icon=":material/content_copy:",
            )
        st.button(
            "New take of the same prompt",
            key=f"{prefix}_again",
            icon=":material/replay:",
            on_click=_rotate,
            args=(prefix,),
            help="Makes the next Generate a fresh take, even with an identical form.",
        )
    st.caption("Figures are estimates; the real charge shows in your varg usage.")


def _outcome(studio, last: dict | None) -> tuple:
    """The last submission's takes that ended failed (or unknown), read from the library."""
    if not last:
        return ()
    account = studio.connection.account
    try:
        takes = [studio.library.get(tid, account=account) for tid in last.get("take_ids") or []]
    except StudioError:
        return ()
    return tuple(t for t in takes if t is not None and t.status in ("failed", "unknown"))


def _on_generate(
    prefix: str,
    *,
    content: dict[str, Any],
    chash: str,
    build: Callable[[], TakeRequest],
    settings: Settings,
    slots: Slots,
    reason: str | None,
    precheck: Callable[[], str | None] | None,
    balance: int | None,
) -> None:
    if reason:
        slots.error("submit", reason)
        return
    if precheck is not None:
        problem = precheck()
        if problem:
            return
    studio = context.get_studio()
    try:
        prepared = studio.jobs.prepare(build())
    except StudioError as exc:
        slots.show(exc)
        return
    sid = submission_id(prefix, chash)
    if catalog.needs_confirmation(prepared.model, prepared.estimate.count):
        # Remembered (ids only) so the dialog stays open across full reruns until confirmed,
        # cancelled or dismissed.
        st.session_state[f"{prefix}__confirm"] = {"content": chash, "sid": sid}
        _confirm(prefix, prepared, chash, sid, balance)
        return
    _submit(prefix, prepared, chash, sid, slots)


def _reopen(prefix: str, build: Callable[[], TakeRequest], chash: str, sid: str, balance: int | None) -> None:
    """Keep an open confirmation open on a full rerun (the form has not changed)."""
    try:
        prepared = context.get_studio().jobs.prepare(build())
    except StudioError:
        st.session_state.pop(f"{prefix}__confirm", None)
        return
    _confirm(prefix, prepared, chash, sid, balance)
