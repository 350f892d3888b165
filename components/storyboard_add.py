"""Add to storyboard: one popover, the same on a take page, a gallery card and a board node.

Pick a storyboard (or "New storyboard…"), then add the take as a new shot at the end or as a
candidate of one of its shots. The popover reads the library only while it is open, so a page of
cards costs nothing extra. The session remembers the last storyboard used (an id).
"""

from __future__ import annotations

import streamlit as st

from components import context
from components.errors import message
from components.style import md_escape
from studio.errors import StudioError
from studio.take import Take, TakeStatus
from studio.wording import count

NEW = "__new__"
LAST = "sb_last_board"  # the storyboard this session added to last (an id)
AS_SHOT = "shot"
AS_CANDIDATE = "candidate"
MODES = {AS_SHOT: "A new shot at the end", AS_CANDIDATE: "A candidate of a shot"}
PAGE = "app_pages/storyboards.py"


def can_add(take: Take) -> bool:
    """A take that has (or will have) a video: finished or still rendering."""
    return take.status == TakeStatus.COMPLETED or take.is_open


def _add(take_id: str, key: str) -> None:
    studio = context.get_studio()
    library, account = studio.library, studio.connection.account
    state = st.session_state
    target = state.get(f"{key}_board") or NEW
    try:
        if target == NEW:
            board = library.create_storyboard(account, state.get(f"{key}_name") or "")
            target = board.id
        else:
            board = library.storyboard(account, target)
            if board is None:
                raise StudioError("That storyboard no longer exists.", field="storyboard")
        if state.get(f"{key}_mode") == AS_CANDIDATE and target == state.get(f"{key}_board"):
            shot_id = state.get(f"{key}_shot")
            if not shot_id:
                raise StudioError("Pick the shot this take is a candidate for.", field="shot")
            shot = library.add_candidate(account, shot_id, take_id)
            done = f"Added to “{board.name}” as a candidate of {shot.label()}."
        else:
            shot = library.add_shot(account, target, take_id)
            done = f"Added to “{board.name}” as {shot.label()}."
    except StudioError as exc:
        st.toast(md_escape(message(exc)), icon=":material/error:")
        return
    state[LAST] = target
    state[f"{key}_board"] = target
    state.pop(f"{key}_name", None)
    st.toast(md_escape(done), icon=":material/movie_edit:")


def form(studio, take: Take, key: str) -> None:
    """The popover's body: storyboard, how the take joins it, Add."""
    library, account = studio.library, studio.connection.account
    boards = {b.board.id: b for b in library.storyboards(account)}
    options = [NEW, *boards]
    bkey = f"{key}_board"
    if st.session_state.get(bkey) not in options:
        last = st.session_state.get(LAST)
        st.session_state[bkey] = last if last in boards else (options[1] if len(options) > 1 else NEW)

    def label(board_id: str) -> str:
        if board_id == NEW:
            return "New storyboard…"
        b = boards[board_id]
        return f"{b.board.name} · {count(b.shots, 'shot')}"

    target = st.selectbox("Storyboard", options, key=bkey, format_func=label)
    if target == NEW:
        st.text_input("Name", key=f"{key}_name", max_chars=80, placeholder="Untitled storyboard")
    else:
        shots = library.shots(account, target) if boards[target].shots else []
        mode = AS_SHOT
        if shots:
            mkey = f"{key}_mode"
            st.session_state.setdefault(mkey, AS_SHOT)
            mode = st.radio("Add as", list(MODES), key=mkey, format_func=MODES.get)
        if mode == AS_CANDIDATE:
            names = {s.id: f"{s.position + 1} · {s.label()}" for s in shots}
            skey = f"{key}_shot"
            if st.session_state.get(skey) not in names:
                st.session_state[skey] = shots[-1].id
            st.selectbox("Shot", list(names), key=skey, format_func=names.get)
    st.button(
        "Add to storyboard",
        key=f"{key}_go",
        type="primary",
        icon=":material/add:",
        on_click=_add,
        args=(take.id, key),
        width="stretch",
    )
    if target != NEW:
        st.page_link(
            PAGE, label="Open the storyboard", icon=":material/arrow_forward:", query_params={"board": target}
        )


def popover(studio, take: Take, key: str, *, compact: bool = False) -> None:
    """The "Add to storyboard" popover (`compact`: an icon only, for a card)."""
    if not can_add(take):
        return
    pop = st.popover(
        "" if compact else "Add to storyboard",
        icon=":material/movie_edit:",
        help="Add to storyboard: as a new shot, or a candidate of a shot",
        key=key,
        on_change="rerun",
    )
    if pop.open is False:
        return  # closed: nothing is read
    with pop:
        form(studio, take, key)
