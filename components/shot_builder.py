"""The shot card expander: five fields composed into the prompt, and a sweep of one field paid as one.

Nothing is sent until the sweep's confirm dialog says "Generate N takes". The sweep's submission id
is `sweep-sha256(nonce + content)` like the form's, so a double-click or a rerun sends nothing twice.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass, replace
from typing import Any

import streamlit as st

from components import context, job_tray
from components import create_form as form
from components.errors import message
from components.style import esc, md_escape
from studio import camera, shot_card
from studio.catalog import Estimate
from studio.errors import InputError, StudioError
from studio.people import Allowance
from studio.shot_card import FIELDS, LABELS, ShotCard
from studio.submission import MAX_SEED, Prepared, TakeRequest, pricing_sketch
from studio.take import Relation

log = logging.getLogger("varg_studio.ui")

PLACEHOLDERS = {
    "subject": "a red balloon",
    "action": "rises over a harbour",
    "camera": "a preset, or your own words",
    "lighting": "golden-hour",
    "style": "watercolour",
}
SWEEP_EXAMPLES = {
    "subject": "a red balloon\na paper kite\na white gull",
    "action": "rises slowly\ndrifts sideways\nspins in the wind",
    "camera": "Dolly in\nOrbit\nCrane up",
    "lighting": "golden-hour\nblue-hour\nmoonlight",
    "style": "watercolour\n35 mm film\npixel art",
}


@dataclass(frozen=True)
class Part:
    """One value of a sweep: its card, its prompt, its request and its price."""

    value: str
    card: ShotCard
    request: TakeRequest
    estimate: Estimate


# --- the card -----------------------------------------------------------------------------------
def _saved_card(prefix: str) -> ShotCard:
    try:
        return shot_card.from_json(form.store(prefix).get("shot"))
    except InputError:
        return ShotCard()


def _camera_label(value: str | None) -> str:
    if not value:
        return "No camera move"
    preset = camera.find(value)
    return f"{preset.label} · {preset.phrase}" if preset else str(value)


def _fields(prefix: str, saved: ShotCard) -> ShotCard:
    values: dict[str, str] = {}
    top = st.columns(2, gap="small")
    for col, name in zip(top, ("subject", "action"), strict=True):
        key = form.bind(prefix, f"shot_{name}", getattr(saved, name))
        values[name] = col.text_input(LABELS[name], key=key, placeholder=PLACEHOLDERS[name], max_chars=300)
    cam, light, style = st.columns(3, gap="small")
    options = ["", *(p.key for p in camera.presets())]
    preset = camera.find(saved.camera)
    key = form.bind(prefix, "shot_camera", preset.key if preset else saved.camera)
    if st.session_state[key] not in options:
        options.append(st.session_state[key])  # the user's own words, typed earlier
    values["camera"] = (
        cam.selectbox(
            "Camera",
            options,
            key=key,
            format_func=_camera_label,
            accept_new_options=True,
            help="A preset puts a phrase the models know into the prompt; or type your own move.",
        )
        or ""
    )
    for col, name in ((light, "lighting"), (style, "style")):
        key = form.bind(prefix, f"shot_{name}", getattr(saved, name))
        values[name] = col.text_input(LABELS[name], key=key, placeholder=PLACEHOLDERS[name], max_chars=300)
    for name, value in values.items():
        form.remember(prefix, f"shot_{name}", value)
    return ShotCard(**{n: " ".join(str(values.get(n) or "").split()) for n in FIELDS})


def _use(prefix: str, card: ShotCard) -> None:
    """Callback: the composed prompt into the page's prompt field (before the page draws again)."""
    form.prefill(
        prefix,
        prompt=shot_card.compose(card),
        shot=shot_card.to_json(card),
        camera=shot_card.camera_key(card),
    )
    context.note("The shot card is now the prompt.", ":material/edit_note:")


def render(prefix: str, mode: str, settings: form.Settings) -> None:
    """The "Shot card" expander for a creation page, drawn where it is called."""
    saved = _saved_card(prefix)
    with st.expander(
        "Shot card", icon=":material/view_agenda:", expanded=not saved.empty, key=f"{prefix}_shotx"
    ):
        st.caption("Build the prompt from parts, or sweep one part over a few values to compare them.")
        card = _fields(prefix, saved)
        composed = shot_card.compose(card)
        if composed:
            st.html(f'<div class="vs-estimate"><span class="lbl">Prompt preview</span>{esc(composed)}</div>')
        else:
            st.caption("Fill in a part or two: the prompt preview appears here.")
        st.button(
            "Use as prompt",
            key=f"{prefix}_shot_use",
            icon=":material/arrow_upward:",
            disabled=not composed,
            on_click=_use,
            args=(prefix, card),
            help="Writes this sentence into the prompt field above (you can still edit it there).",
        )
        st.divider()
        _sweep(prefix, mode, settings, card)


# --- the sweep ----------------------------------------------------------------------------------
def _nonce(prefix: str) -> str:
    return st.session_state.setdefault(f"{prefix}__sweepnonce", uuid.uuid4().hex)


def _rotate(prefix: str) -> None:
    st.session_state[f"{prefix}__sweepnonce"] = uuid.uuid4().hex
    st.session_state.pop(f"{prefix}__sweeplast", None)


def _seed(prefix: str, settings: form.Settings) -> int | None:
    """One seed for every value (so only the swept part changes): the form's, else one per sweep."""
    if not settings.model.seed:
        return None
    if settings.seed is not None:
        return settings.seed
    digest = hashlib.sha256(f"seed:{_nonce(prefix)}".encode()).hexdigest()
    return int(digest[:12], 16) % MAX_SEED


def _parts(
    studio, prefix: str, mode: str, settings: form.Settings, cards: list[ShotCard], field: str, sid: str
) -> list[Part]:
    one = replace(settings, variants=1, seed=_seed(prefix, settings))
    parts = []
    for card in cards:
        prompt = shot_card.compose(card)
        req = replace(
            one.request(mode, prompt),
            camera=shot_card.camera_key(card) or camera.detect(prompt),
            shot=shot_card.to_json(card),
            sweep_id=sid,
            relation=Relation.SWEEP.value,
        )
        sketch = pricing_sketch(req, settings.model, settings.duration, settings.aspect_ratio)
        est = form.price_of(studio, sketch) if settings.model.available else sketch.estimate
        parts.append(Part(getattr(card, field), card, req, est))
    return parts


def total(parts: list[Part]) -> Estimate:
    result = parts[0].estimate
    for part in parts[1:]:
        result = result.plus(part.estimate)
    return result


def _rows(parts: list[Part], field: str) -> str:
    rows = "".join(
        f'<div style="display:flex;gap:1rem;align-items:baseline;padding:0.35rem 0;'
        f'border-bottom:1px solid #272B35"><div style="flex:1;min-width:0">'
        f'<div class="vs-swept">{i}. {esc(LABELS[field])}: {esc(p.value)}</div>'
        f'<div class="vs-snip">{esc(p.request.prompt)}</div></div>'
        f'<div class="vs-meta"><b>{p.estimate.total:,}</b> credits</div></div>'
        for i, p in enumerate(parts, 1)
    )
    return f'<div class="vs-sweep-rows">{rows}</div>'


def _sweep(prefix: str, mode: str, settings: form.Settings, card: ShotCard) -> None:
    st.markdown("**Sweep** · one take per value, everything else the same")
    field = form.choice(
        prefix, "sweep_field", "Sweep over", {f: LABELS[f] for f in FIELDS}, "style",
        help="The part of the shot card that changes from take to take.",
    )  # fmt: skip
    key = form.bind(prefix, "sweep_values", "")
    values = st.text_area(
        "Values, one per line (2 to 4)",
        key=key,
        height=110,
        placeholder=SWEEP_EXAMPLES[field],
    )
    form.remember(prefix, "sweep_values", values)
    if not values.strip():
        st.caption("Each value makes its own take of this card; you confirm the total price first.")
        return
    try:
        cards = shot_card.sweep(card, field, values)
    except InputError as exc:
        st.warning(message(exc), icon=":material/info:")
        return
    studio = context.get_studio()
    balance, left_budget = context.balance(studio), context.allowance(studio)
    content = {
        "mode": mode, "model": settings.model.key, "duration": settings.duration, "ratio": settings.aspect_ratio,
        "seed": settings.seed, "audio": settings.audio, "field": field,
        "cards": [shot_card.to_json(c) for c in cards],
    }  # fmt: skip
    chash = form.content_hash(content)
    last = st.session_state.get(f"{prefix}__sweeplast")
    if last and last.get("content") != chash:
        _rotate(prefix)  # changed since the last sweep: the next one is new work
        last = None
    sid = "sweep-" + hashlib.sha256(f"{_nonce(prefix)}:{chash}".encode()).hexdigest()[:32]
    parts = _parts(studio, prefix, mode, settings, cards, field, sid)
    price = total(parts)
    st.html(_rows(parts, field))
    form.estimate_line(price, balance, left_budget)
    seed = parts[0].request.seed
    if seed is not None:
        st.caption(f"Every take uses seed {seed}, so only the {LABELS[field].lower()} changes.")
    reason = form.refusal(price, balance, left_budget)
    if reason:
        st.warning(reason, icon=":material/account_balance_wallet:")
    n = len(parts)
    ask = f"{prefix}__sweepask"
    clicked = st.button(
        f"Sweep {n} takes · {price.total:,} credits",
        key=f"{prefix}_sweep_go",
        icon=":material/view_week:",
        disabled=bool(reason) or not settings.model.available,
    )
    pending = st.session_state.get(ask)
    if pending and pending.get("content") != chash:
        st.session_state.pop(ask, None)
        pending = None
    if clicked:
        st.session_state[ask] = {"content": chash, "sid": sid}
    if clicked or pending:
        _confirm(prefix, parts, field, price, sid, chash, balance, left_budget)
    _outcome(prefix, chash, last)


def _dismiss(prefix: str) -> None:
    st.session_state.pop(f"{prefix}__sweepask", None)


def _dismiss_all() -> None:
    for key in [k for k in st.session_state if str(k).endswith("__sweepask")]:
        del st.session_state[key]


@st.dialog("Confirm the sweep", width="medium", on_dismiss=_dismiss_all)
def _confirm(
    prefix: str,
    parts: list[Part],
    field: str,
    price: Estimate,
    sid: str,
    chash: str,
    balance: int | None,
    budget_left: Allowance | None,
) -> None:
    first = parts[0].request
    model = form.catalog_now().find(first.model)
    facts = [model.label if model else first.model]
    if first.duration:
        facts.append(f"{first.duration:g} s")
    if first.aspect_ratio:
        facts.append(first.aspect_ratio)
    if first.seed is not None:
        facts.append(f"seed {first.seed}")
    st.markdown(
        f"**{len(parts)} takes**, one per {md_escape(LABELS[field].lower())} value: {len(parts)} separate jobs."
    )
    st.caption(" · ".join(facts))
    st.html(_rows(parts, field))
    label = "Price from varg" if price.exact else "Estimate"
    st.html(
        f'<div class="vs-estimate"><span class="lbl">{label} · total</span>{esc(price.text(balance))}</div>'
    )
    if budget_left is not None:
        st.caption(form.budget_left_text(budget_left, price.total))
    reason = form.refusal(price, balance, budget_left)
    if reason:
        st.error(reason, icon=":material/account_balance_wallet:")
    cancel, go = st.columns(2)
    if cancel.button("Cancel", key=f"{prefix}_sweep_cancel", width="stretch"):
        _dismiss(prefix)
        st.rerun()
    if go.button(
        f"Generate {len(parts)} takes",
        key=f"{prefix}_sweep_confirm",
        type="primary",
        icon=":material/movie:",
        width="stretch",
        disabled=bool(reason),
    ) and _submit(prefix, parts, sid, chash):
        st.rerun()


def _submit(prefix: str, parts: list[Part], sid: str, chash: str) -> bool:
    studio = context.get_studio()
    try:
        prepared: list[tuple[Prepared, Estimate | None]] = [
            (studio.jobs.prepare(p.request), p.estimate) for p in parts
        ]
        result = studio.jobs.submit_sweep(
            prepared,
            sid,
            balance=context.balance(studio),
            budget_left=context.budget_left(studio),
            session_id=context.session_id(),
            created_by=context.created_by(),
        )
    except StudioError as exc:
        st.error(message(exc), icon=":material/error:")
        return False
    studio.forget_balance()
    take_ids = [t.id for t in result.takes]
    job_tray.watch(take_ids)
    _dismiss(prefix)
    st.session_state[f"{prefix}__sweeplast"] = {
        "content": chash, "sid": sid, "take_ids": take_ids, "created": result.created,
    }  # fmt: skip
    if result.created:
        context.note(f"Sweep submitted: {len(take_ids)} takes rendering.", ":material/view_week:")
    return True


def _outcome(prefix: str, chash: str, last: dict[str, Any] | None) -> None:
    last = st.session_state.get(f"{prefix}__sweeplast") or last
    if not last or last.get("content") != chash:
        return
    n = len(last.get("take_ids") or [])
    if last.get("created"):
        st.success(
            f"Sweep submitted: {n} takes rendering. The board shows them side by side as one row.",
            icon=":material/view_week:",
        )
    else:
        st.info("Already submitted: this exact sweep is rendering (or done). No new job was started.",
                icon=":material/content_copy:")  # fmt: skip
    st.button(
        "New sweep of the same values",
        key=f"{prefix}_sweep_again",
        icon=":material/replay:",
        on_click=_rotate,
        args=(prefix,),
        help="Makes the next sweep fresh takes (a new seed), even with identical values.",
    )
