"""The Present page: a storyboard's chosen takes played in order with their trims, or a set of takes
picked in the gallery played whole (one player, full screen on a click), and an A/B wipe between two
takes: a shot's candidates, or any two of the set (the compare player's).

Media reach the players through `media_route.link` (a presigned URL on S3, else a signed route to
the local file); nothing is read while the page runs except the takes' lengths for the wipe.
"""

from __future__ import annotations

import streamlit as st

from components import compare, media_route, present_player
from components.style import esc
from studio.storyboard import Reel
from studio.take import Take, TakeStatus, ids_of
from studio.wording import count, plural

BOARDS = "app_pages/storyboards.py"
GALLERY = "app_pages/gallery.py"
MAX_TAKES = 24  # a set of takes presented without a storyboard (`?takes=a,b,…`)


def clips(studio, reel: Reel) -> list[present_player.Clip]:
    return present_player.clips(reel, lambda rel: media_route.link(studio, rel))


def _done(takes: list[Take]) -> list[Take]:
    return [t for t in takes if t.status == TakeStatus.COMPLETED]


def _wipe_players(studio, takes: list[Take]) -> None:
    """Up to four finished takes on the compare player (its A/B wipe)."""
    players = []
    for take in _done(takes)[: len(compare.LETTERS)]:
        path = studio.media_path(take.video_path)
        if path is not None:
            players.append(compare.player(studio, take, compare.LETTERS[len(players)], path))
    if len(players) < 2:
        st.caption("The takes' files are not here to compare.")
        return
    st.caption("Pick “A/B wipe” under the players and drag the divider.")
    with st.container(key="present_wipe"):
        st.html(compare.player_html(players), unsafe_allow_javascript=True)


def _wipe(studio, reel: Reel) -> None:
    """Two or more candidates of a shot, side by side or wiped."""
    shots = [s for s in reel.shots if len(_done(list(s.candidates))) >= 2]
    if not shots:
        st.caption("A shot with two or more finished candidates can be compared here with an A/B wipe.")
        return
    names = {s.shot.id: f"{s.shot.position + 1} · {s.shot.label()}" for s in shots}
    picked = st.selectbox(
        "Compare the candidates of", list(names), format_func=names.get, key="present_wipe_shot"
    )
    _wipe_players(studio, list(next(s for s in shots if s.shot.id == picked).candidates))


def _player(items: list[present_player.Clip], ratio: str, note: str, left_out: int, what: str) -> bool:
    """The player with its note; False (and a word why) when nothing can play."""
    st.html(f'<div class="vs-sub">{esc(note)}</div>')
    if left_out:
        st.caption(
            f"{count(left_out, what)} without a finished take {plural(left_out, 'is', 'are')} left out."
        )
    if not items:
        st.info("Nothing here has a finished take to play yet.", icon=":material/hourglass_empty:")
        return False
    with st.container(key="present_player"):
        st.html(present_player.player_html(items, ratio, what), unsafe_allow_javascript=True)
    return True


def _keys_note(items: list[present_player.Clip], noun: str) -> str:
    n = len(items)
    return f"{count(n, noun)} · {sum(c.len for c in items):.1f} s · space plays, ← → change {noun}, F is full screen"


def _render_takes(studio, wanted: str) -> None:
    """A set of takes (the gallery's selection), played whole in the order picked."""
    st.page_link(GALLERY, label="Back to the gallery", icon=":material/arrow_back:")
    account = studio.connection.account
    ids = ids_of(wanted)[:MAX_TAKES]
    takes = [t for t in (studio.library.get(i, account=account) for i in ids) if t is not None]
    if not takes:
        st.warning(
            "These takes are not in this library (they may have been deleted).", icon=":material/search_off:"
        )
        return
    st.title(count(len(takes), "take"), anchor=False)
    items = present_player.take_clips(takes, lambda rel: media_route.link(studio, rel))
    ratios = {t.aspect_ratio for t in _done(takes) if t.aspect_ratio}
    ratio = ratios.pop() if len(ratios) == 1 else "16:9"
    if not _player(items, ratio, _keys_note(items, "take"), len(takes) - len(items), "take"):
        return
    if len(_done(takes)) >= 2:
        st.subheader("A/B wipe", anchor=False)
        _wipe_players(studio, takes)


def render(studio) -> None:
    board_id = st.query_params.get("board") or ""
    if not board_id and st.query_params.get("takes"):
        _render_takes(studio, st.query_params.get("takes") or "")
        return
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
    if not _player(items, reel.ratio, _keys_note(items, "shot"), len(reel.shots) - len(items), "shot"):
        return
    st.subheader("A/B wipe", anchor=False)
    _wipe(studio, reel)
