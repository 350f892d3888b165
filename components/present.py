"""The Present page: the storyboard's chosen takes played in order with their trims (one player, full
screen on a click), and an A/B wipe between two candidates of a shot (the compare player's).

Media reach the players through `media_route.link` (a presigned URL on S3, else a signed route to
the local file); nothing is read while the page runs except the candidates' lengths for the wipe.
"""

from __future__ import annotations

import streamlit as st

from components import compare, media_route, present_player
from components.style import esc
from studio.storyboard import Reel
from studio.take import TakeStatus

BOARDS = "app_pages/storyboards.py"


def clips(studio, reel: Reel) -> list[present_player.Clip]:
    return present_player.clips(reel, lambda rel: media_route.link(studio, rel))


def _wipe(studio, reel: Reel) -> None:
    """Two or more candidates of a shot on the compare player (its A/B wipe)."""
    shots = [s for s in reel.shots if len([t for t in s.candidates if t.status == TakeStatus.COMPLETED]) >= 2]
    if not shots:
        st.caption("A shot with two or more finished candidates can be compared here with an A/B wipe.")
        return
    names = {s.shot.id: f"{s.shot.position + 1} · {s.shot.label()}" for s in shots}
    picked = st.selectbox(
        "Compare the candidates of", list(names), format_func=names.get, key="present_wipe_shot"
    )
    rs = next(s for s in shots if s.shot.id == picked)
    players = []
    for take in [t for t in rs.candidates if t.status == TakeStatus.COMPLETED][: len(compare.LETTERS)]:
        path = studio.media_path(take.video_path)
        if path is not None:
            players.append(compare.player(studio, take, compare.LETTERS[len(players)], path))
    if len(players) < 2:
        st.caption("The candidates' files are not here to compare.")
        return
    st.caption("Pick “A/B wipe” under the players and drag the divider.")
    with st.container(key="present_wipe"):
        st.html(compare.player_html(players), unsafe_allow_javascript=True)


def render(studio) -> None:
    board_id = st.query_params.get("board") or ""
    reel = studio.library.reel(studio.connection.account, board_id) if board_id else None
    st.page_link(
        BOARDS,
        label="Back to the storyboard",
        icon=":material/arrow_back:",
        query_params={"board": board_id} if reel else None,
    )
    if reel is None:
        st.warning(
            "This storyboard no longer exists (it may have been deleted).", icon=":material/search_off:"
        )
        return
    st.title(reel.board.name, anchor=False)
    items = clips(studio, reel)
    skipped = len(reel.shots) - len(items)
    note = f"{len(items)} shots · {sum(c.len for c in items):.1f} s · space plays, ← → change shot, F is full screen"
    st.html(f'<div class="vs-sub">{esc(note)}</div>')
    if skipped:
        st.caption(
            f"{skipped} shot{'s' if skipped != 1 else ''} without a finished take {'are' if skipped != 1 else 'is'} left out."
        )
    if not items:
        st.info("No shot has a finished take to play yet.", icon=":material/hourglass_empty:")
        return
    with st.container(key="present_player"):
        st.html(present_player.player_html(items, reel.ratio), unsafe_allow_javascript=True)
    st.subheader("A/B wipe", anchor=False)
    _wipe(studio, reel)
