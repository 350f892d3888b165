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
from dataclasses import dataclass, replace
from typing import Any

import streamlit as st

from components import context, job_tray
from components.errors import Slots, message
from components.style import esc, md_escape
from studio import catalog
from studio.catalog import Catalog, Estimate, Model
from studio.errors import InputError, StudioError
from studio.submission import MAX_SEED, Prepared, TakeRequest, clean_prompt, pricing_sketch, variant_seeds

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


def choice(prefix: str, name: str, label: str, options: dict[str, str], default: str, *, help: str | None = None) -> str:
    """One of a few named options as a required segmented control, kept across page switches."""
    key = bind(prefix, name, default, list(options))
    value = (
        st.segmented_control(label, list(options), key=key, format_func=options.get, required=True, help=help)
        or default
    )
    remember(prefix, name, value)
    return value


def prefill(prefix: str, **values: Any) -> None:
    """Put a recipe into a creation page's form; its widgets pick it up on their next render."""
    saved = store(prefix)
    saved.update(values)
    saved.pop(GONE, None)
    for name in values:
        st.session_state.pop(f"{prefix}_{name}", None)
    # A deliberate reuse or re-roll is new work, even if this form made the same take before.
    st.session_state.pop(f"{prefix}__last", None)
    st.session_state.pop(f"{prefix}__nonce", None)


# --- the fields ---------------------------------------------------------------------------------
GONE = "model_gone"  # store: the model of a reused take that this gateway does not list now
SEED_MODES = {"random": "New seed each time", "fixed": "Fixed seed"}
QUOTE_WAIT = 1.0  # the longest one run waits for the gateway's exact price


def catalog_now() -> Catalog:
    """The models the gateway offers now (live on v2; the offline list until varg answers)."""
    return context.get_studio().catalog.current()


@dataclass(frozen=True)
class Settings:
    model: Model
    duration: int | None
    aspect_ratio: str | None
    variants: int
    seed: int | None = None  # the first variant's seed; None: a new random one
    audio: bool = False

    def request(self, mode: str, prompt: str, **inputs: Any) -> TakeRequest:
        """The form as the core's request: these settings, the prompt, and the page's inputs."""
        return TakeRequest(
            mode=mode,
            model=self.model.id,
            prompt=prompt,
            duration=self.duration,
            aspect_ratio=self.aspect_ratio,
            variants=self.variants,
            seed=self.seed,
            audio=self.audio,
            **inputs,
        )


def resolve_model(prefix: str, mode: str, cat: Catalog) -> Model:
    """The model this form is on (its widget's value, the store, or the catalogue's default).

    A stored id under either spelling is matched; one this gateway does not list (a reused take of
    a model that is gone) falls back to the default and is remembered so the form can say so.
    """
    models = cat.for_mode(mode)
    if not models:
        raise StudioError(f"varg offers no model for {catalog.mode_label(mode).lower()} right now.")
    key = f"{prefix}_model"
    saved = store(prefix)
    wanted = st.session_state.get(key, saved.get("model"))
    found = cat.find(wanted) if wanted else None
    if found is not None and mode in found.modes:
        value = found.key
    else:
        if wanted and key not in st.session_state:
            saved[GONE] = wanted
        value = (cat.default(mode) or models[0]).key
    st.session_state[key] = value
    saved["model"] = value
    return cat.get(value)


def _use_model(prefix: str, model_key: str) -> None:
    st.session_state[f"{prefix}_model"] = model_key
    saved = store(prefix)
    saved["model"] = model_key
    saved.pop(GONE, None)


def _model_changed(prefix: str) -> None:
    store(prefix).pop(GONE, None)


def _model_option(cat: Catalog) -> Callable[[str], str]:
    def label(model_key: str) -> str:
        m = cat.find(model_key)
        if m is None:
            return model_key
        if not m.available:
            return f"{m.label} (not available on varg now)"
        price = f"{m.price_per_second:g} credits/s" if m.price_per_second else f"{m.credits:,} credits a job"
        return f"{m.label} · {price}" + (" · Pro" if m.is_pro else "")

    return label


def model_select(prefix: str, mode: str, slots: Slots, cat: Catalog) -> Model:
    model = resolve_model(prefix, mode, cat)
    ids = [m.key for m in cat.for_mode(mode)]
    source = "live from varg" if cat.live else "offline list (varg not reached yet)"
    st.selectbox(
        "Model",
        ids,
        key=f"{prefix}_model",
        format_func=_model_option(cat),
        on_change=_model_changed,
        args=(prefix,),
        help=f"Models that can do this, {source}. Prices are per second of video.",
    )
    slots.add("model")
    gone = store(prefix).get(GONE)
    if gone:
        _offer_alternative(
            prefix,
            cat.alternative(gone, mode),
            f"The take you are reusing was made with {catalog.label_of(gone)}, which varg does not offer now.",
            "use_alt_gone",
        )
    if not model.available:
        reason = f" ({model.unavailable_reason})" if model.unavailable_reason else ""
        _offer_alternative(
            prefix,
            cat.alternative(model.id, mode),
            f"{model.label} is not available on varg now{reason}. Nothing can be submitted with it.",
            "use_alt",
        )
    return model


def _whole(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def duration_select(prefix: str, model: Model, slots: Slots) -> int | None:
    """A slider for a range of seconds, pills for a list; nothing for a model that keeps the source's length."""
    if model.inherits_source or not model.durations:
        return None
    key = f"{prefix}_duration"
    saved = store(prefix)
    current = _whole(st.session_state.get(key, saved.get("duration")))
    rng = model.duration_range
    valid = (
        isinstance(current, int) and not isinstance(current, bool) and rng[0] <= current <= rng[1]
        if rng
        else current in model.durations
    )
    if not valid:
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
        st.session_state[key] = int(value)
    elif current is not None:
        st.session_state[key] = int(current)
    if rng:
        duration = st.slider(
            "Duration",
            min_value=rng[0],
            max_value=rng[1],
            step=1,
            key=key,
            format="%d s",
            help=f"{model.label} renders any whole number of seconds from {rng[0]} to {rng[1]}.",
        )
    elif len(model.durations) == 1:
        duration = model.durations[0]
        st.caption(f"Duration: {duration} s (the only length {model.label} renders)")
    else:
        duration = st.pills(
            "Duration",
            list(model.durations),
            key=key,
            format_func=lambda d: f"{d} s",
            required=True,
            help=f"{model.label} renders only these lengths.",
        )
    duration = int(duration if duration is not None else (model.default_duration or model.durations[0]))
    remember(prefix, "duration", duration)
    note = saved.get("snap_note")
    if note and duration == saved.get("snap_value"):
        st.caption(f":material/straighten: {note}")
    elif note:
        saved.pop("snap_note", None)
        saved.pop("snap_value", None)
    slots.add("duration")
    return duration


def ratio_select(prefix: str, model: Model, mode: str, slots: Slots) -> str | None:
    ratios = [] if model.inherits_source else list(model.ratios_for(mode))
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


def seed_select(prefix: str, model: Model, variants: int, slots: Slots) -> int | None:
    """"New seed each time" or a fixed seed, for models that take one; None means a random seed."""
    if not model.seed:
        if variants > 1:
            st.caption(
                f":material/content_copy: {model.label} takes no seed: its variants may come back identical."
            )
        return None
    seed_mode = choice(
        prefix,
        "seed_mode",
        "Seed",
        SEED_MODES,
        "random",
        help="The same seed, prompt and settings give the same video again.",
    )
    seed: int | None = None
    if seed_mode == "fixed":
        key = bind(prefix, "seed", 0)
        value = st.session_state.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEED:
            st.session_state[key] = 0
        seed = int(
            st.number_input("Seed number", min_value=0, max_value=MAX_SEED, step=1, key=key) or 0
        )
        remember(prefix, "seed", seed)
        if variants > 1:
            seeds = variant_seeds(model, variants, seed)
            st.caption(f"Each variant gets its own seed: {', '.join(str(s) for s in seeds)}.")
        else:
            st.caption(f"Seed {seed}: the same recipe renders the same video.")
    elif variants > 1:
        st.caption(f"A new random seed, and {variants} distinct seeds for the variants (seed, seed + 1, …).")
    else:
        st.caption("A new random seed each time; it is kept with the take.")
    slots.add("seed")
    return seed


def audio_toggle(prefix: str, model: Model) -> bool:
    if not model.audio:
        return False
    key = bind(prefix, "audio", False, [True, False])
    audio = st.toggle(
        "Native audio",
        key=key,
        help=f"{model.label} can render its own sound with the picture.",
    )
    remember(prefix, "audio", bool(audio))
    return bool(audio)


def _offer_alternative(prefix: str, alt: Model | None, warning: str, key: str) -> None:
    """Say why a model cannot be used, and offer the nearest one that can."""
    st.warning(warning, icon=":material/block:")
    if alt is not None:
        st.button(
            f"Use {alt.label} instead",
            key=f"{prefix}_{key}",
            icon=":material/swap_horiz:",
            on_click=_use_model,
            args=(prefix, alt.key),
        )


def prompt_area(
    prefix: str, slots: Slots, *, mode: str, label: str = "Prompt", placeholder: str = ""
) -> str:
    """The prompt, never cut: a prompt over the model's limit is kept and the field says so."""
    model = resolve_model(prefix, mode, catalog_now())
    key = bind(prefix, "prompt", "")
    prompt = st.text_area(label, key=key, height=150, placeholder=placeholder)
    remember(prefix, "prompt", prompt)
    limit = model.max_prompt_chars
    over = len(prompt) > limit
    st.caption(
        f"{len(prompt):,} / {limit:,} characters" + (f" · {model.label} takes at most {limit:,}" if over else "")
    )
    slots.add("prompt")
    if prompt.strip():
        try:
            clean_prompt(prompt, limit)
        except InputError as exc:
            slots.show(exc)
    return prompt


def settings_row(prefix: str, mode: str, slots: Slots) -> Settings:
    """Model and variants, then duration and aspect ratio, then seed and audio when the model has them."""
    cat = catalog_now()
    top = st.columns([3, 2], gap="medium", vertical_alignment="top")
    with top[0]:
        model = model_select(prefix, mode, slots, cat)
    with top[1]:
        variants = variants_select(prefix, slots)
    duration = ratio = None
    if model.inherits_source:
        st.caption(":material/straighten: Keeps the source's length and ratio.")
    else:
        bottom = st.columns(2, gap="medium", vertical_alignment="top")
        with bottom[0]:
            duration = duration_select(prefix, model, slots)
        with bottom[1]:
            ratio = ratio_select(prefix, model, mode, slots)
    seed: int | None = None
    audio = False
    has_seed_row = model.seed or variants > 1
    if has_seed_row or model.audio:
        extra = iter(st.columns(2, gap="medium", vertical_alignment="center" if not model.seed else "top"))
        if has_seed_row:
            with next(extra):
                seed = seed_select(prefix, model, variants, slots)
        with next(extra):
            audio = audio_toggle(prefix, model)
    return Settings(
        model=model, duration=duration, aspect_ratio=ratio, variants=variants, seed=seed, audio=audio
    )


# --- estimate ------------------------------------------------------------------------------------
def refusal(est: Estimate, balance: int | None, budget_left: int | None) -> str | None:
    """Why this would be refused before any call, or None."""
    if balance is not None and est.total > balance:
        return (
            f"Not enough credits: this needs {est.total:,} and {balance:,} are available. "
            "Lower the variants or pick a cheaper model."
        )
    if budget_left is not None and est.total > budget_left:
        return (
            f"Over this session's budget: this needs {est.total:,} credits and the budget has "
            f"{max(budget_left, 0):,} left. Raise the budget in the sidebar to go on."
        )
    return None


def quote(
    studio, settings: Settings, mode: str, prompt: str, *, source_seconds: float | None = None
) -> Estimate:
    """The exact price of this form's request from the gateway (or the catalogue's, "approx.").

    The create body is priced without the input file (the price does not depend on it), so no
    upload or image work happens for an estimate.
    """
    sketch = pricing_sketch(
        settings.request(mode, prompt),
        settings.model,
        settings.duration,
        settings.aspect_ratio,
        source_seconds=source_seconds,
    )
    if not settings.model.available:
        return sketch.estimate
    return price_of(studio, sketch)


def price_of(studio, prepared: Prepared) -> Estimate:
    try:
        est = studio.quote(prepared, wait=QUOTE_WAIT)
    except StudioError:
        return prepared.estimate
    now = studio.catalog.current().find(prepared.model.id)
    if prepared.model.available and now is not None and not now.available:
        st.rerun()  # pricing just found the model gone: draw the form again without it
    return est


def estimate_line(est: Estimate, balance: int | None, budget_left: int | None) -> None:
    """`Estimate · 2 × 210 = 420 credits · available 5,000 → 4,580 after`, drawn above Generate."""
    line = est.text(balance)
    if balance is None:
        line += " · balance unavailable"
    over = refusal(est, balance, budget_left) is not None
    extra = ""
    if budget_left is not None:
        extra = f'<div class="vs-meta">Session budget left: {max(budget_left, 0):,} credits</div>'
    label = "Price from varg" if est.exact else "Estimate"
    st.html(
        f'<div class="vs-estimate"><span class="lbl">{label}</span>'
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


def _submit(prefix: str, prepared: Prepared, est: Estimate, chash: str, sid: str, slots: Slots | None) -> bool:
    studio = context.get_studio()
    try:
        result = studio.jobs.submit(
            prepared,
            sid,
            balance=context.balance(studio),
            budget_left=context.budget_left(studio),
            estimate=est,
            session_id=context.session_id(),
        )
    except StudioError as exc:
        if slots is not None:
            slots.show(exc)
        else:
            st.error(message(exc), icon=":material/error:")
        return False
    studio.forget_balance()  # the next balance read shows the reservation
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


def identical_warning(prepared: Prepared) -> str:
    n = prepared.estimate.count
    return (
        f"{prepared.model.label} takes no seed, so these {n} variants are the same request: varg may "
        "answer them with ONE cached video (the copies are then free). Pick a model with seeds for "
        "different takes."
    )


@st.dialog("Confirm before spending", width="medium", on_dismiss=_dismiss_confirmations)
def _confirm(prefix: str, prepared: Prepared, est: Estimate, chash: str, sid: str, balance: int | None) -> None:
    model = prepared.model
    n = est.count
    why = []
    if model.is_pro:
        why.append(f"**{model.label}** is a pro-tier model ({est.per_job:,} credits a job)")
    if n > 1:
        why.append(f"**{n} variants** are {n} separate jobs")
    st.markdown(" and ".join(why) + ".")
    facts = [model.label]
    if prepared.duration:
        facts.append(f"{prepared.duration} s")
    if prepared.aspect_ratio:
        facts.append(prepared.aspect_ratio)
    facts.append(f"{n} variant{'s' if n > 1 else ''}")
    seeds = [s for s in prepared.seeds if s is not None]
    if seeds:
        facts.append("seed " + ", ".join(str(s) for s in seeds) if len(seeds) > 1 else f"seed {seeds[0]}")
    if prepared.request.audio and model.audio:
        facts.append("native audio")
    st.caption(" · ".join(facts))
    label = "Price from varg" if est.exact else "Estimate"
    st.html(f'<div class="vs-estimate"><span class="lbl">{label}</span>{esc(est.text(balance))}</div>')
    if prepared.identical_variants:
        st.warning(identical_warning(prepared), icon=":material/content_copy:")
    for warning in prepared.warnings:
        if prepared.identical_variants and "takes no seed" in warning:
            continue  # said above, more plainly
        st.warning(warning, icon=":material/warning:")
    left, right = st.columns(2)
    if left.button("Cancel", key=f"{prefix}_confirm_cancel", width="stretch"):
        st.session_state.pop(f"{prefix}__confirm", None)
        st.rerun()
    if right.button(
        f"Generate · {est.total:,} credits",
        key=f"{prefix}_confirm_go",
        type="primary",
        width="stretch",
    ) and _submit(prefix, prepared, est, chash, sid, None):
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
    source_seconds: float | None = None,
) -> None:
    """Estimate line, Generate button and the outcome, in this order, in the current container.

    The form's content (settings, prompt and a digest of any `inputs`) names the submission: the
    same content again is the same submission, so a double-click or rerun never makes a second job.
    """
    content = {
        "mode": mode,
        "model": settings.model.key,
        "prompt": prompt,
        "duration": settings.duration,
        "ratio": settings.aspect_ratio,
        "variants": settings.variants,
        "seed": settings.seed,
        "audio": settings.audio,
        **(inputs or {}),
    }
    studio = context.get_studio()
    balance = context.balance(studio)
    left = context.budget_left(studio)
    est = quote(studio, settings, mode, prompt, source_seconds=source_seconds)
    chash = content_hash(content)

    last = st.session_state.get(f"{prefix}__last")
    if last and last.get("content") != chash:
        _rotate(prefix)  # the form changed since the last success: the next Generate is new work
        last = None

    estimate_line(est, balance, left)
    reason = refusal(est, balance, left)
    if reason:
        st.warning(reason, icon=":material/account_balance_wallet:")
    unavailable = not settings.model.available
    clicked = st.button(
        "Generate",
        key=f"{prefix}_generate",
        type="primary",
        icon=":material/movie:",
        width="stretch",
        disabled=unavailable,
        help=f"{settings.model.label} is not available on varg now: pick another model." if unavailable else None,
    )
    slots.add("submit")
    pending = st.session_state.get(f"{prefix}__confirm")
    if pending and pending.get("content") != chash:
        st.session_state.pop(f"{prefix}__confirm", None)
        pending = None
    if pending and not clicked:
        _reopen(prefix, build, chash, pending, balance)
    if clicked:
        _on_generate(
            prefix,
            chash=chash,
            build=build,
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
            reason = md_escape(failed[0].error or "no reason was given")
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
    if est.exact:
        st.caption("The price varg quotes for exactly this request; each take shows what was billed.")
    else:
        st.caption("Approximate: varg has not priced this request yet. Each take shows what was billed.")


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
    chash: str,
    build: Callable[[], TakeRequest],
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
    est = price_of(studio, prepared)
    sid = submission_id(prefix, chash)
    if catalog.needs_confirmation(prepared.model, prepared.estimate.count):
        # Remembered (ids only) so the dialog stays open across full reruns until confirmed,
        # cancelled or dismissed.
        # The seeds shown are the seeds sent: the first one is kept for the reruns that follow.
        st.session_state[f"{prefix}__confirm"] = {"content": chash, "sid": sid, "seed": prepared.seeds[0]}
        _confirm(prefix, prepared, est, chash, sid, balance)
        return
    _submit(prefix, prepared, est, chash, sid, slots)


def _reopen(
    prefix: str, build: Callable[[], TakeRequest], chash: str, pending: dict[str, Any], balance: int | None
) -> None:
    """Keep an open confirmation open on a full rerun (the form has not changed)."""
    studio = context.get_studio()
    sid = pending["sid"]
    try:
        req = build()
        if pending.get("seed") is not None and req.seed is None:
            req = replace(req, seed=pending["seed"])
        prepared = studio.jobs.prepare(req)
    except StudioError:
        st.session_state.pop(f"{prefix}__confirm", None)
        return
    _confirm(prefix, prepared, price_of(studio, prepared), chash, sid, balance)
