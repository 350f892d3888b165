"""One shot of a storyboard: its chosen take's poster (plays on hover), trim, candidates, order, and
"Continue from here" (the next shot through image to video, its exact price on the button).

Trims go to the core's rule (`Library.set_trim` → `check_trim`); a bad value is answered under the
trim fields of that shot, and the stored trim stays as it was. Continuing submits through
`quick_submit` (one code path for priced one-click submissions: the price on the button, the shared
confirm rules); the request names the shot it continues, and the core places the new take as a
candidate of the next shot as it writes the take (`JobManager.submit` → `Library.continue_shot`, a new
shot when this is the last), so a reload cannot leave it out; the lineage (`continue`) is the core's too.
"""

from __future__ import annotations

import streamlit as st

from components import board_node, context, frame_picker, quick_submit
from components.errors import message
from components.style import esc, md_escape, snippet, take_label
from studio import storyboard as rules
from studio.errors import StudioError
from studio.storyboard import ReelShot
from studio.take import TakeStatus

POSTER_WIDTH = 300  # px
TRIM_ERROR = "sb_trim_error_{shot}"  # the message under a shot's trim fields
CONTINUE_WAIT = 0.3  # seconds a Continue button waits for varg's exact price


def _account(studio) -> str:
    return studio.connection.account


# --- events ------------------------------------------------------------------------------------------
def _call(action, *args, ok: str | None = None) -> bool:
    studio = context.get_studio()
    try:
        action(_account(studio), *args)
    except StudioError as exc:
        st.toast(md_escape(message(exc)), icon=":material/error:")
        return False
    if ok:
        st.toast(ok)
    return True


def _trim_keys(rs: ReelShot) -> tuple[str, str]:
    tid = rs.shot.take_id or "none"
    return f"sb_in_{rs.shot.id}_{tid}", f"sb_out_{rs.shot.id}_{tid}"


def _save_trim(shot_id: str, in_key: str, out_key: str) -> None:
    studio = context.get_studio()
    err = TRIM_ERROR.format(shot=shot_id)
    try:
        studio.library.set_trim(
            _account(studio), shot_id, st.session_state.get(in_key), st.session_state.get(out_key)
        )
    except StudioError as exc:
        st.session_state[err] = message(exc)
        return
    st.session_state.pop(err, None)


def _choose(shot_id: str, key: str) -> None:
    take_id = st.session_state.get(key)
    if take_id:
        _call(context.get_studio().library.choose, shot_id, take_id)
        st.session_state.pop(TRIM_ERROR.format(shot=shot_id), None)
        for name in (f"sb_in_{shot_id}_{take_id}", f"sb_out_{shot_id}_{take_id}"):
            st.session_state.pop(name, None)  # a chosen take starts whole: its fields show that


def _rename(shot_id: str) -> None:
    _call(context.get_studio().library.rename_shot, shot_id, st.session_state.get(f"sb_name_{shot_id}") or "")


# --- continue from here ------------------------------------------------------------------------------
def _cont_key(shot_id: str, what: str) -> str:
    return f"sb_cont_{what}_{shot_id}"


def continue_button(
    studio, rs: ReelShot, *, at: float | None = None, what: str = "last", into: str = "joins the next shot"
) -> None:
    """The priced Continue button; `into` says where the new take goes ("joins Shot 2 as a candidate")."""
    cat = studio.catalog.current()
    key = _cont_key(rs.shot.id, what)
    label = "Continue from last frame" if at is None else f"Continue from {frame_picker.clock(at)}"
    quick_submit.button(
        key,
        label,
        lambda: rules.continue_request(rs, cat, at=at),
        icon=":material/double_arrow:",
        help="Image to video from this frame of the chosen take, same prompt and model family. "
        "The new take joins the next shot as a candidate.",
        disabled_reason=None if rs.ready else "This shot has no finished take to continue from yet.",
        done=f"The new take {into}",
        wait=CONTINUE_WAIT,
    )


def prefetch_price(studio, rs: ReelShot) -> None:
    """Start varg's price lookup for this shot's continuation now, so a page's lookups run at once."""
    if not rs.ready:
        return
    try:
        quick_submit.price(studio, rules.continue_request(rs, studio.catalog.current()), wait=0.0)
    except StudioError:
        pass


def _from_frame(studio, rs: ReelShot, into: str) -> None:
    take = rs.take
    path = studio.media_path(take.video_path) if take is not None and rs.ready else None
    with st.popover("From a frame…", icon=":material/frame_inspect:", key=f"sb_frame_pop_{rs.shot.id}"):
        if path is None:
            st.caption("The chosen take's video is not here, so no frame can be taken from it.")
            return
        end = rs.trim_out or frame_picker.length(path)
        at = frame_picker.slider(f"sb_frame_{rs.shot.id}", end, label="Continue from the frame at")
        frame_picker.preview(path, at, caption=f"Frame at {frame_picker.clock(at)}", width=360)
        continue_button(studio, rs, at=at, what="frame", into=into)


# --- drawing -----------------------------------------------------------------------------------------
def _info(rs: ReelShot, index: int) -> str:
    take = rs.take
    title = f'<div class="sb-title"><b class="sb-num">{index + 1}</b>{esc(rs.shot.label())}</div>'
    if take is None:
        return title + '<div class="vs-meta">No take chosen: pick a candidate.</div>'
    end = rs.trim_out
    trim = (
        f"{rs.shot.trim_in:g}–{end:g} s of {rules.take_duration(take) or 0:g} s"
        if end is not None
        else "length unknown"
    )
    parts = [
        esc(take_label(take)),
        f"<b>{rs.length:.1f} s</b> in the film",
        esc(trim),
        f"<b>{rules.charged(take):,}</b> credits",
    ]
    if not rs.ready:
        parts.insert(0, '<span class="vs-chip wait">rendering</span>' if take.is_open else esc(take.status))
    return (
        title
        + f'<div class="vs-meta">{" · ".join(parts)}</div>'
        + f'<div class="vs-snip one">{esc(snippet(take.prompt, 160))}</div>'
    )


def _trim(studio, rs: ReelShot) -> None:
    if rs.take is None:
        return
    in_key, out_key = _trim_keys(rs)
    st.session_state.setdefault(in_key, float(rs.shot.trim_in))
    if out_key not in st.session_state:
        end = rs.trim_out
        st.session_state[out_key] = float(end) if end is not None else None
    with st.container(horizontal=True, gap="small", key=f"sb_trim_{rs.shot.id}"):
        for key, what in ((in_key, "In"), (out_key, "Out")):
            st.number_input(
                f"Trim {what.lower()} (s)",
                key=key,
                min_value=None,
                step=0.1,
                format="%.2f",
                on_change=_save_trim,
                args=(rs.shot.id, in_key, out_key),
                width=150,
                help="Where the shot starts in its take"
                if what == "In"
                else "Where it ends (empty: the take's end)",
            )
    err = st.session_state.get(TRIM_ERROR.format(shot=rs.shot.id))
    if err:
        st.error(md_escape(err), icon=":material/content_cut:")


def candidate_label(take, index: int) -> str:
    """`A · Kling v3 · 5 s · seed 12` (seed only when the model takes one; demo takes say `Local preview · as …`)."""
    parts = [chr(65 + index), take_label(take)]
    length = rules.take_duration(take)
    if length:
        parts.append(f"{length:g} s")
    if take.seed is not None:
        parts.append(f"seed {take.seed}")
    if take.status != TakeStatus.COMPLETED:
        parts.append("rendering" if take.is_open else take.status)
    return " · ".join(parts)


def _candidates(rs: ReelShot) -> None:
    if len(rs.candidates) < 2:
        return
    letters = {t.id: candidate_label(t, i) for i, t in enumerate(rs.candidates)}
    key = f"sb_pick_{rs.shot.id}"
    st.session_state[key] = rs.shot.take_id
    st.segmented_control(
        "Candidates",
        list(letters),
        key=key,
        format_func=letters.get,
        on_change=_choose,
        args=(rs.shot.id, key),
        help="Choose which take plays in this shot (its trim starts over).",
    )


def _menu(rs: ReelShot, index: int, count: int) -> None:
    shot = rs.shot
    lib = context.get_studio().library
    st.button(
        "",
        key=f"sb_up_{shot.id}",
        icon=":material/arrow_upward:",
        help="Move up",
        disabled=index == 0,
        on_click=_call,
        args=(lib.move_shot, shot.id, index - 1),
    )
    st.button(
        "",
        key=f"sb_down_{shot.id}",
        icon=":material/arrow_downward:",
        help="Move down",
        disabled=index >= count - 1,
        on_click=_call,
        args=(lib.move_shot, shot.id, index + 1),
    )
    with st.popover(
        "", icon=":material/more_horiz:", help="Rename, drop a candidate, remove", key=f"sb_more_{shot.id}"
    ):
        nkey = f"sb_name_{shot.id}"
        st.session_state.setdefault(nkey, shot.name or "")
        st.text_input("Shot name", key=nkey, max_chars=80, placeholder=f"Shot {shot.position + 1}")
        st.button("Save name", key=f"sb_name_go_{shot.id}", on_click=_rename, args=(shot.id,))
        for i, take in enumerate(rs.candidates if len(rs.candidates) > 1 else ()):
            st.button(
                f"Drop candidate {chr(65 + i)}",
                key=f"sb_drop_{shot.id}_{take.id}",
                icon=":material/remove_circle_outline:",
                type="tertiary",
                on_click=_call,
                args=(lib.remove_candidate, shot.id, take.id),
            )
        if rs.take is not None and st.button(
            "Open the take", key=f"sb_open_{shot.id}", icon=":material/open_in_new:", type="tertiary"
        ):
            board_node.open_take(rs.take.id)
        st.button(
            "Remove this shot",
            key=f"sb_remove_{shot.id}",
            icon=":material/delete:",
            on_click=_call,
            args=(lib.remove_shot, shot.id),
            kwargs={"ok": f"{shot.label()} removed (its takes stay in the library)."},
        )


def row(studio, rs: ReelShot, index: int, count: int, *, into: str = "joins the next shot") -> None:
    """A shot as a row of the storyboard (`into`: where a take continued from it goes)."""
    with st.container(border=True, key=f"sb_shot_{rs.shot.id}"):
        line = st.container(horizontal=True, wrap=False, gap="medium", vertical_alignment="top")
        with line.container(width=POSTER_WIDTH, key=f"sb_poster_{rs.shot.id}"):
            if rs.take is not None:
                st.html(board_node.poster_html(studio, rs.take))
            else:
                st.html('<div class="vs-ph still">No take</div>')
        with line.container():
            with st.container(horizontal=True, gap="small", vertical_alignment="top", wrap=False):
                st.html(_info(rs, index), width="stretch")
                _menu(rs, index, count)
            _candidates(rs)
            _trim(studio, rs)
            with st.container(horizontal=True, gap="small", vertical_alignment="center"):
                continue_button(studio, rs, into=into)
                _from_frame(studio, rs, into)
