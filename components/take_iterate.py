"""The take page's "next try" panel: verdict, re-roll, edit with the seed kept, make final."""

from __future__ import annotations

import streamlit as st

from components import context, quick_submit
from components import create_form as form
from components.style import esc
from studio import recipe
from studio.errors import StudioError
from studio.take import VERDICT_REASONS, Mode, Take, TakeStatus, Verdict

PAGES = {
    Mode.TEXT: ("t2v", "app_pages/text_to_video.py"),
    Mode.IMAGE: ("i2v", "app_pages/image_to_video.py"),
    Mode.REMIX: ("remix", "app_pages/remix.py"),
}
VERDICTS = {"none": "Undecided", Verdict.KEEP.value: "✓ Keep", Verdict.REJECT.value: "✕ Reject"}


def go_to_form(take: Take, values: dict) -> None:
    """Put a recipe in the creation page this take came from, then open that page."""
    prefix, page = PAGES.get(take.mode, PAGES[Mode.TEXT])
    form.prefill(prefix, **values)
    st.switch_page(page)


def _save_verdict(take_id: str) -> None:
    studio = context.get_studio()
    value = st.session_state.get(f"verdict_{take_id}") or "none"
    reasons = st.session_state.get(f"verdict_reasons_{take_id}") or []
    note = st.session_state.get(f"verdict_note_{take_id}") or ""
    try:
        if value == "none":
            studio.library.set_verdict(take_id, None)
        else:
            studio.library.set_verdict(take_id, value, reasons if value == Verdict.REJECT.value else (), note)
    except StudioError as exc:
        st.toast(str(exc), icon=":material/error:")


def verdict(take: Take) -> None:
    """Keep or reject, with reason tags and a note; saved as soon as it changes."""
    key = f"verdict_{take.id}"
    st.session_state.setdefault(key, take.verdict.value if take.verdict else "none")
    st.segmented_control(
        "Verdict",
        list(VERDICTS),
        key=key,
        format_func=VERDICTS.get,
        required=True,
        on_change=_save_verdict,
        args=(take.id,),
        help="Mark what worked. Rejected takes' reasons come back as hints when you write the next try.",
    )
    value = st.session_state.get(key)
    if value == Verdict.REJECT.value:
        rkey = f"verdict_reasons_{take.id}"
        st.session_state.setdefault(rkey, [t for t in (take.verdict_reasons or "").split(",") if t])
        st.pills(
            "What went wrong",
            list(VERDICT_REASONS),
            key=rkey,
            selection_mode="multi",
            format_func=lambda t: VERDICT_REASONS[t].split(":")[0],
            on_change=_save_verdict,
            args=(take.id,),
        )
    if value in (Verdict.REJECT.value, Verdict.KEEP.value):
        nkey = f"verdict_note_{take.id}"
        st.session_state.setdefault(nkey, take.verdict_note or "")
        st.text_input(
            "Note",
            key=nkey,
            placeholder="What to keep or change next time…",
            on_change=_save_verdict,
            args=(take.id,),
            max_chars=500,
        )


def _draft_cost(take: Take) -> int:
    return take.billed_credits if take.billed_credits is not None else take.estimated_credits


def panel(studio, take: Take) -> None:
    """Re-roll, edit keeping the seed, make final (on a kept take), each with its exact price."""
    cat = studio.catalog.current()
    model = cat.find(take.model)
    with st.container(border=True, key="detail_iterate"):
        st.html('<div class="vs-panel-title">Next try</div>')
        verdict(take)
        with st.container(horizontal=True, gap="small"):
            quick_submit.button(
                "detail_reroll",
                "Re-roll",
                lambda: recipe.reroll(take, studio.library),
                icon=":material/casino:",
                help="The same recipe with a new seed: one click, a fresh take of the idea.",
                disabled_reason=recipe.can_reroll(take, model),
                done="Re-rolled",
                source_seconds=float(take.duration) if take.mode == Mode.REMIX and take.duration else None,
            )
            if take.seed is not None and st.button(
                "Edit prompt, keep seed",
                key="detail_lock_seed",
                icon=":material/lock:",
                help=f"Opens the form with seed {take.seed} locked: change the words, keep the luck.",
            ):
                go_to_form(take, recipe.lock_seed_values(take))
            if st.button(
                "Reuse settings",
                key="detail_reuse",
                icon=":material/tune:",
                help="Fills the creation page with this whole recipe"
                + (" (same seed)." if take.seed is not None else "."),
            ):
                go_to_form(take, recipe.reuse_values(take))
        _final(studio, take, cat)


def _final(studio, take: Take, cat) -> None:
    if take.status != TakeStatus.COMPLETED:
        return
    plans = recipe.final_plans(take, cat)
    if not plans:
        st.caption(":material/workspace_premium: This is already the top tier and length for this model.")
        return
    if take.verdict != Verdict.KEEP.value:
        st.caption(
            f":material/workspace_premium: Keep this take to make its final "
            f"({esc(plans[0].label)}), the same prompt, inputs and seed."
        )
        return
    best, others = plans[0], plans[1:]
    with st.container(horizontal=True, gap="small"):
        quick_submit.button(
            "detail_final",
            f"Make final: {best.label}",
            lambda: recipe.final_request(take, best, studio.library),
            icon=":material/workspace_premium:",
            type="primary",
            help="Re-runs this recipe (prompt, inputs, seed) at a higher tier or length. "
            "The difference against this draft's cost is in brackets.",
            done="Final submitted",
            compare_to=_draft_cost(take),
            note=f"From the draft: {take.model} · {take.duration or '—'} s → {best.label}.",
        )
        if others:
            with st.popover("Other finals", icon=":material/expand_more:"):
                for i, plan in enumerate(others[:6]):
                    quick_submit.button(
                        f"detail_final_{i}",
                        plan.label,
                        lambda plan=plan: recipe.final_request(take, plan, studio.library),
                        done="Final submitted",
                        compare_to=_draft_cost(take),
                    )
