"""Sending a form once: its submission id, the submit itself, and the confirm-before-spending dialog.

Submission ids: `<prefix>-sha256(nonce + form content)`. The nonce is per form and lives in
session state, so a double-click or a rerun re-sends the same id and the core answers with the
existing takes (`created=False`). It is rotated after a success once the content changes, or by
"New take of the same prompt"; so going back to an earlier prompt is a new take, not a duplicate.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

import streamlit as st

from components import context, job_tray
from components.errors import Slots, message
from components.style import esc
from studio.catalog import Estimate
from studio.errors import StudioError
from studio.jobs import SubmitResult
from studio.people import BudgetKind
from studio.submission import Prepared
from studio.wording import count


def content_hash(content: dict[str, Any]) -> str:
    raw = json.dumps(content, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _nonce(prefix: str) -> str:
    key = f"{prefix}__nonce"
    if key not in st.session_state:
        st.session_state[key] = uuid.uuid4().hex
    return st.session_state[key]


def rotate(prefix: str) -> None:
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


def send(prepared: Prepared, est: Estimate, sid: str) -> SubmitResult:
    """Submit with this session's balance, budget, id and person; the tray watches the takes.

    The budget sent is the tighter of the session's and the signed-in person's; when the person's
    is the tighter, it is checked here first so the refusal says whose budget it is. Raises StudioError.
    """
    studio = context.get_studio()
    allowed = context.allowance(studio)
    if (
        allowed is not None
        and allowed.kind is BudgetKind.PERSON
        and not studio.library.find_submission(studio.connection.account, sid)  # a rerun sends nothing
    ):
        allowed.check((est if est.count == prepared.estimate.count else prepared.estimate).total)
    result = studio.jobs.submit(
        prepared,
        sid,
        balance=context.balance(studio),
        budget_left=None if allowed is None else allowed.left,
        estimate=est,
        session_id=context.session_id(),
        created_by=context.created_by(),
    )
    studio.forget_balance()  # the next balance read shows the reservation
    job_tray.watch([t.id for t in result.takes])
    return result


def submit(prefix: str, prepared: Prepared, est: Estimate, chash: str, sid: str, slots: Slots | None) -> bool:
    try:
        result = send(prepared, est, sid)
    except StudioError as exc:
        if slots is not None:
            slots.show(exc)
        else:
            st.error(message(exc), icon=":material/error:")
        return False
    take_ids = [t.id for t in result.takes]
    st.session_state.pop(f"{prefix}__confirm", None)
    _record(prefix, chash, sid, take_ids, result.created)
    if result.created:
        n = len(take_ids)
        st.toast(
            f"Submitted: {count(n, 'take')} rendering. Watch the job tray.",
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


def summary(prepared: Prepared, est: Estimate, balance: int | None, note: str | None = None) -> None:
    """Why this asks first, what exactly will be made, its price and any warnings (a dialog's body)."""
    model = prepared.model
    n = est.count
    why = []
    if model.is_pro:
        why.append(f"**{model.label}** is a pro-tier model ({est.per_job:,} credits a job)")
    if n > 1:
        why.append(f"**{n} variants** are {n} separate jobs")
    if why:
        st.markdown(" and ".join(why) + ".")
    facts = [model.label]
    if prepared.duration:
        facts.append(f"{prepared.duration} s")
    if prepared.aspect_ratio:
        facts.append(prepared.aspect_ratio)
    facts.append(count(n, "variant"))
    seeds = [s for s in prepared.seeds if s is not None]
    if seeds:
        facts.append("seed " + ", ".join(str(s) for s in seeds) if len(seeds) > 1 else f"seed {seeds[0]}")
    if prepared.request.audio and model.audio:
        facts.append("native audio")
    st.caption(" · ".join(facts))
    if note:
        st.caption(note)
    label = "Price from varg" if est.exact else "Estimate"
    st.html(f'<div class="vs-estimate"><span class="lbl">{label}</span>{esc(est.text(balance))}</div>')
    mine = context.person_budget_left(context.get_studio())
    if mine is not None and est.total > mine:
        st.warning(f"Over your budget today: {max(mine, 0):,} credits left.", icon=":material/person:")
    elif mine is not None:
        st.caption(f":material/person: Your budget today: {mine:,} credits left → {mine - est.total:,} after")
    if prepared.identical_variants:
        st.warning(identical_warning(prepared), icon=":material/content_copy:")
    for warning in prepared.warnings:
        if prepared.identical_variants and "takes no seed" in warning:
            continue  # said above, more plainly
        st.warning(warning, icon=":material/warning:")


@st.dialog("Confirm before spending", width="medium", on_dismiss=_dismiss_confirmations)
def confirm(
    prefix: str, prepared: Prepared, est: Estimate, chash: str, sid: str, balance: int | None
) -> None:
    summary(prepared, est, balance)
    left, right = st.columns(2)
    if left.button("Cancel", key=f"{prefix}_confirm_cancel", width="stretch"):
        st.session_state.pop(f"{prefix}__confirm", None)
        st.rerun()
    if right.button(
        f"Generate · {est.total:,} credits",
        key=f"{prefix}_confirm_go",
        type="primary",
        width="stretch",
    ) and submit(prefix, prepared, est, chash, sid, None):
        st.rerun()
