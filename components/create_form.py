"""The shared creation form: its fields, the estimate line, Generate (Ctrl/⌘+Enter) and the outcome.

The parts live in their own modules (the store, the fields, the estimate, sending and confirming);
their public names are re-exported here, so a page needs only `create_form`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import streamlit as st

from components import context
from components.confirm import confirm, content_hash, identical_warning, rotate, submission_id, submit
from components.errors import Slots
from components.estimate import QUOTE_WAIT, budget_left_text, estimate_line, price_of, quote, refusal
from components.form_fields import (
    RATIO_LABELS,
    SEED_MODES,
    Settings,
    audio_toggle,
    catalog_now,
    duration_select,
    model_select,
    ratio_select,
    resolve_model,
    seed_select,
    settings_row,
    variants_select,
)
from components.form_store import GONE, bind, choice, keep_all, lineage, new_idea, prefill, remember, store
from components.prompt_field import branch_chip, prompt_area
from components.style import md_escape
from studio import catalog
from studio.errors import StudioError
from studio.submission import TakeRequest
from studio.take import TakeStatus
from studio.wording import count

__all__ = [
    "GONE",
    "QUOTE_WAIT",
    "RATIO_LABELS",
    "SEED_MODES",
    "Settings",
    "audio_toggle",
    "bind",
    "branch_chip",
    "catalog_now",
    "choice",
    "content_hash",
    "duration_select",
    "budget_left_text",
    "estimate_line",
    "generate_area",
    "identical_warning",
    "keep_all",
    "lineage",
    "model_select",
    "new_idea",
    "prefill",
    "price_of",
    "prompt_area",
    "quote",
    "ratio_select",
    "refusal",
    "remember",
    "resolve_model",
    "seed_select",
    "settings_row",
    "store",
    "submission_id",
    "variants_select",
]

log = logging.getLogger("varg_studio.ui")

# Ctrl/⌘+Enter in a form's prompt: blur it (so Streamlit commits the text), then press that form's
# Generate, so the usual rules (refusals, the confirm dialog) apply. Only the prefix is put in.
SHORTCUT_JS = """
<script>
(() => {
  const doc = window.parent.document;
  const flag = "vsShortcut_%(prefix)s";
  if (doc.body.dataset[flag]) return;
  doc.body.dataset[flag] = "1";
  doc.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    const area = event.target;
    if (!area || area.tagName !== "TEXTAREA" || !area.closest(".st-key-%(prefix)s_prompt")) return;
    event.preventDefault();
    area.blur();
    setTimeout(() => {
      const button = doc.querySelector(".st-key-%(prefix)s_generate button");
      if (button && !button.disabled) button.click();
    }, 150);
  }, true);
})();
</script>
"""


def shortcut(prefix: str) -> None:
    """Install the Ctrl/⌘+Enter listener for this form's prompt (once per browser tab)."""
    st.html(SHORTCUT_JS % {"prefix": prefix}, unsafe_allow_javascript=True)


def _shortcut_hint() -> None:
    st.caption(":material/keyboard: **Ctrl+Enter** in the prompt generates (**⌘+Enter** on a Mac).")


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

    The form's content (settings, prompt, origin and a digest of any `inputs`) names the
    submission: the same content again is the same submission, so a double-click or rerun never
    makes a second job.
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
        **{k: v for k, v in settings.origin.items() if v},
        **(inputs or {}),
    }
    studio = context.get_studio()
    balance = context.balance(studio)
    left = context.allowance(studio)
    est = quote(studio, settings, mode, prompt, source_seconds=source_seconds)
    chash = content_hash(content)

    last = st.session_state.get(f"{prefix}__last")
    if last and last.get("content") != chash:
        rotate(prefix)  # the form changed since the last success: the next Generate is new work
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
        help=f"{settings.model.label} is not available on varg now: pick another model."
        if unavailable
        else None,
    )
    shortcut(prefix)
    _shortcut_hint()
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
            why = md_escape(failed[0].error or "no reason was given")
            st.error(f"{head}: {why}", icon=":material/error:")
            # Never re-sent by itself: a failed create may still have been charged. Trying again
            # is a deliberate new take.
            st.caption("To try again, use “New take of the same prompt”.")
        elif last.get("created"):
            st.success(
                f"Submitted: {count(n, 'take')} rendering. Keep going: the next prompt is yours.",
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
            on_click=rotate,
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
    return tuple(t for t in takes if t is not None and t.status in (TakeStatus.FAILED, TakeStatus.UNKNOWN))


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
        confirm(prefix, prepared, est, chash, sid, balance)
        return
    submit(prefix, prepared, est, chash, sid, slots)


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
    confirm(prefix, prepared, price_of(studio, prepared), chash, sid, balance)
