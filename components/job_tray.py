"""The live job tray: open takes and this session's finished ones, ticking only while any is open."""

from __future__ import annotations

import logging
import time

import streamlit as st

from components import claim, context
from components.style import (
    STATUS,
    chip,
    clock,
    credits_text,
    esc,
    md_escape,
    snippet,
    take_label,
)
from studio.errors import StudioError, describe
from studio.take import TakeStatus

log = logging.getLogger("varg_studio.ui")

TICK_SECONDS = 1.0
SEEN = "tray_seen"  # take ids this session saw open (or submitted), oldest first
OPEN = "tray_open"  # ids open at the last tick
TOASTED = "tray_toasted"  # ids whose finish was announced
TOAST_QUEUE = "tray_toast_queue"  # (take id, status, label, prompt) waiting for the next full run
MAX_OPEN_SHOWN = 8
MAX_RECENT_SHOWN = 5


def watch(take_ids: list[str]) -> None:
    """Track takes a page just submitted so their finish is announced, even if very quick."""
    seen = st.session_state.setdefault(SEEN, [])
    for tid in take_ids:
        if tid not in seen:
            seen.append(tid)


def render(container) -> None:
    """Draw the tray in `container`; it reruns every second only while something is open."""
    try:
        studio = context.get_studio()
        pending = bool(studio.library.open_takes(studio.connection.account))
    except Exception:
        log.exception("job tray could not read the library")
        container.caption("The job tray is unavailable right now.")
        return
    with container:
        # run_every=None when nothing is open: the frontend drops the timer on the next full run.
        st.fragment(_tray, run_every=TICK_SECONDS if pending else None)()


def _progress(take) -> tuple[float, str] | None:
    """The gateway's own progress (0..1) and its message, or None when it has said nothing yet."""
    if take.progress is None or take.status not in (
        TakeStatus.QUEUED,
        TakeStatus.PROCESSING,
        TakeStatus.DOWNLOADING,
    ):
        return None
    value = max(0.0, min(1.0, float(take.progress)))
    text = take.progress_message or f"{value:.0%}"
    if take.progress_message:
        text = f"{take.progress_message} · {value:.0%}"
    return value, text


def _waiting(take, ahead: int | None = None) -> str:
    """What an open take is doing when the gateway has reported no progress (elapsed time is beside it)."""
    if ahead is not None and take.is_open:
        return f"Waiting for a free slot ({ahead} ahead)"
    return {
        TakeStatus.PENDING: "Starting…",
        TakeStatus.SUBMITTING: "Sending to varg…",
        TakeStatus.QUEUED: "Queued at varg…",
        TakeStatus.PROCESSING: "Rendering…",
        TakeStatus.DOWNLOADING: "Saving the video…",
    }.get(take.status, "Working…")


def _announce() -> None:
    queue = st.session_state.get(TOAST_QUEUE) or []
    st.session_state[TOAST_QUEUE] = []
    for _tid, status, label, prompt in queue:
        text = f"{md_escape(label)} · “{md_escape(snippet(prompt, 34))}”"
        if status == TakeStatus.COMPLETED:
            st.toast(f"**Take ready** · {text}", icon=":material/check_circle:")
        elif status == TakeStatus.FAILED:
            st.toast(f"**Take failed** · {text}", icon=":material/error:")
        elif status == TakeStatus.CANCELLED:
            st.toast(f"**Cancelled** · {text}", icon=":material/block:")
        else:
            st.toast(f"**Check this take** · {text}", icon=":material/help:")


CANCEL_SETTLE = 3.0  # how long a cancel click waits to learn whether the job finished first


def cancel_outcome(take) -> tuple[str, str]:
    """The toast for a cancel, from the take's status after it: "refunded" only when cancelled."""
    status = getattr(take, "status", None)
    if status == TakeStatus.CANCELLED:
        return "Cancelled. Credits for a cancelled job are refunded.", ":material/block:"
    if status in (TakeStatus.COMPLETED, TakeStatus.DOWNLOADING):
        return "It finished before the cancel reached varg; the video is kept.", ":material/check_circle:"
    if status in (TakeStatus.FAILED, TakeStatus.UNKNOWN):
        return (
            f"It had already ended ({STATUS.get(status, (status,))[0].lower()}) before the cancel reached varg.",
            ":material/info:",
        )
    return "Cancel sent to varg; the take says “Cancelled” once varg confirms it.", ":material/schedule:"


def _cancel(take_id: str) -> None:
    try:
        studio = context.get_studio()
        take = studio.jobs.cancel(take_id)
        deadline = time.monotonic() + CANCEL_SETTLE
        # varg may answer that the job already ended: the follower then records what really
        # happened, so look again briefly before saying anything about credits.
        while take is not None and take.is_open and time.monotonic() < deadline:
            time.sleep(0.1)
            take = studio.library.get(take_id, account=studio.connection.account) or take
        text, icon = cancel_outcome(take)
        context.note(text, icon=icon)
    except StudioError as exc:
        context.note(describe(exc), icon=":material/error:")
    except Exception:
        log.exception("cancel failed")
        context.note("Could not cancel that take; try again.", icon=":material/error:")


def _ahead(studio, take_id: str) -> int | None:
    try:
        return studio.jobs.waiting(take_id)
    except Exception:
        log.exception("waiting lookup failed")
        return None


def _questions(studio) -> list:
    """This account's takes whose job may be one varg shows: the user is asked whether it is theirs."""
    try:
        unknown = studio.library.list(studio.connection.account, status=TakeStatus.UNKNOWN, limit=20)
    except Exception:
        log.exception("could not list takes awaiting an answer")
        return []
    return [t for t in unknown if claim.candidates(t)]


def _tray() -> None:
    state = st.session_state
    studio = context.get_studio()
    library = studio.library
    account = studio.connection.account
    _announce()

    open_takes = library.open_takes(account)
    open_ids = [t.id for t in open_takes]
    watch(open_ids)
    before = set(state.get(OPEN) or [])
    state[OPEN] = open_ids
    toasted = state.setdefault(TOASTED, [])

    seen = state.get(SEEN) or []
    finished = []
    for tid in reversed(seen):
        if tid in open_ids:
            continue
        take = library.get(tid, account=account)
        if take is not None and take.is_done:
            finished.append(take)
        if len(finished) >= 12:
            break

    newly = [t for t in finished if t.id not in toasted]
    if newly:
        queue = state.setdefault(TOAST_QUEUE, [])
        for t in newly:
            toasted.append(t.id)
            queue.append((t.id, t.status, take_label(t), t.prompt))
    if newly or (before and not open_ids):
        # A take finished (or nothing is pending any more): rerun the whole app so the gallery
        # shows it and the tray is re-mounted without its timer.
        st.rerun(scope="app")
    context.show_notes()  # after any rerun above, which would drop them

    now = time.time()
    st.markdown("**Jobs**" + (f" · {len(open_takes)} running" if open_takes else ""))
    asking = _questions(studio)
    for take in asking[:MAX_RECENT_SHOWN]:
        with st.container(border=True, key=f"tray_ask_{take.id}"):
            st.html(
                f'<div class="vs-meta">{chip(take.status)}<b>{esc(take_label(take))}</b></div>'
                f'<div class="vs-snip one">{esc(snippet(take.prompt, 60))}</div>'
            )
            if claim.ask(take, "tray", compact=True):
                st.rerun(scope="app")
    asked = {t.id for t in asking}
    finished = [t for t in finished if t.id not in asked]
    if not open_takes and not finished and not asking:
        st.caption("Nothing rendering. Submitted takes show up here with their progress.")
        return
    for take in open_takes[:MAX_OPEN_SHOWN]:
        with st.container(border=True, key=f"tray_open_{take.id}"):
            st.html(
                f'<div class="vs-meta">{chip(take.status)}<b>{esc(take_label(take))}</b>'
                f'<span style="margin-left:auto">{clock(now - take.created_at)}</span></div>'
                f'<div class="vs-snip one">{esc(snippet(take.prompt, 60))}</div>'
            )
            with st.container(horizontal=True, vertical_alignment="center", gap="small"):
                shown = _progress(take)
                if shown is not None:
                    st.progress(shown[0], text=md_escape(shown[1]))
                else:
                    st.caption(_waiting(take, _ahead(studio, take.id)))
                cancel = st.button(
                    ":material/close:",
                    key=f"tray_cancel_{take.id}",
                    type="tertiary",
                    help="Cancel this take (a cancelled job is refunded)",
                )
            if take.error:
                st.caption(md_escape(snippet(take.error, 90)))
            if cancel:
                _cancel(take.id)
                st.rerun(scope="app")  # the tray and the page both show the new status
    if len(open_takes) > MAX_OPEN_SHOWN:
        st.caption(f"…and {len(open_takes) - MAX_OPEN_SHOWN} more running.")
    if finished:
        st.caption("Finished in this session")
        for take in finished[:MAX_RECENT_SHOWN]:
            with st.container(key=f"tray_done_{take.id}"):
                line = (
                    f'<div class="vs-meta">{chip(take.status)}<b>{esc(take_label(take))}</b>'
                    f'<span style="margin-left:auto">{esc(credits_text(take))}</span></div>'
                    f'<div class="vs-snip one">{esc(snippet(take.prompt, 60))}</div>'
                )
                if take.status in (TakeStatus.FAILED, TakeStatus.UNKNOWN) and take.error:
                    line += (
                        f'<div class="vs-snip" style="color:#FF8C8C">{esc(snippet(take.error, 120))}</div>'
                    )
                st.html(line)
                if take.status == TakeStatus.COMPLETED and st.button(
                    "Open", key=f"tray_view_{take.id}", icon=":material/play_circle:", type="tertiary"
                ):
                    st.switch_page("app_pages/gallery.py", query_params={"take": take.id})


__all__ = ["STATUS", "render", "watch"]
