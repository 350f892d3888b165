"""“Is it yours?”: a take whose create answer was lost (v1) lists the varg jobs that may be its own.

The user decides: keep one (the studio follows and downloads it) or say none is theirs.
"""

from __future__ import annotations

import logging

import streamlit as st

from components.style import md_escape
from studio.errors import StudioError, describe
from studio.take import TakeStatus

log = logging.getLogger("varg_studio.ui")


def candidates(take) -> list[str]:
    """The job ids listed on an `unknown` take, awaiting the user's word (empty when none)."""
    if getattr(take, "status", None) != TakeStatus.UNKNOWN:
        return []
    return [c.strip() for c in (getattr(take, "candidates", None) or "").split(",") if c.strip()]


def _keep(take_id: str, job_id: str) -> None:
    from components import context

    try:
        context.get_studio().jobs.adopt(take_id, job_id)
        context.note("Kept: the studio follows that job and saves its video.", icon=":material/check_circle:")
    except StudioError as exc:
        context.note(describe(exc), icon=":material/error:")
    except Exception:
        log.exception("adopt failed")
        context.note("Could not keep that job; try again.", icon=":material/error:")


def _not_mine(take_id: str) -> None:
    from components import context

    try:
        context.get_studio().jobs.disown(take_id)
        context.note("Noted: that job is not this take's.", icon=":material/block:")
    except StudioError as exc:
        context.note(describe(exc), icon=":material/error:")
    except Exception:
        log.exception("disown failed")
        context.note("Could not record that; try again.", icon=":material/error:")


def ask(take, prefix: str, *, compact: bool = False) -> bool:
    """Draw the question with the candidate job id(s) and the Keep / Not mine buttons.

    Returns True when a button was clicked (the caller reruns so every view shows the answer).
    """
    jobs = candidates(take)
    if not jobs:
        return False
    question = (
        take.error or "The gateway's answer was lost. varg shows a job that may be this take's. Is it yours?"
    )
    if "is it yours" not in question.lower():
        question += " Is it yours?"
    listed = ", ".join(f"`{md_escape(j)}`" if not compact else md_escape(j) for j in jobs)
    noun = "Job" if len(jobs) == 1 else "Jobs"
    text = md_escape(question) + f"\n\n{noun} at varg: {listed}"
    if compact:
        st.caption(text)
    else:
        st.warning(text, icon=":material/help:")
    clicked = False
    with st.container(horizontal=True, gap="small", key=f"{prefix}_claim_{take.id}"):
        for i, job_id in enumerate(jobs):
            label = "Keep it — it's mine" if len(jobs) == 1 else f"Keep {md_escape(job_id)} — it's mine"
            if st.button(label, key=f"{prefix}_adopt_{take.id}_{i}", icon=":material/check:", type="primary"):
                _keep(take.id, job_id)
                clicked = True
        if st.button("Not mine", key=f"{prefix}_disown_{take.id}", icon=":material/close:"):
            _not_mine(take.id)
            clicked = True
    return clicked
