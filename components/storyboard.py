"""The Storyboards page: every storyboard with its length and spend, and one storyboard's shots in order.

`?board=<id>` opens one storyboard: its totals, Present, Share, its shots (`storyboard_shot`), a
picker to add finished takes as shots, and the export panel (`storyboard_export`). Session state
keeps ids only; every figure comes from the core (`Reel.length`, `Reel.spend`).
"""

from __future__ import annotations

import streamlit as st

from components import board_node, context, present_share, storyboard_export, storyboard_shot
from components.errors import message
from components.style import esc, md_escape, snippet, take_label
from studio import share
from studio.errors import StudioError
from studio.storyboard import Reel
from studio.take import TakeStatus
from studio.wording import count, plural

PRESENT = "app_pages/present.py"
PICK_LIMIT = 60  # recent finished takes offered by "Add takes"
SHARE = "sb_share_{board}"  # this session's latest share link for a storyboard (a URL path)

CSS = """<style>
.sb-title { font-size: 1.08rem; font-weight: 650; display: flex; align-items: center; gap: 0.55rem;
  margin-bottom: 0.2rem; letter-spacing: -0.01em; }
.sb-num { display: inline-flex; align-items: center; justify-content: center; min-width: 1.6rem; height: 1.6rem;
  border-radius: 7px; background: #FF7A59; color: #16110F; font-weight: 800; font-size: 0.9rem; }
.sb-totals { display: flex; gap: 1.6rem; flex-wrap: wrap; margin: 0.1rem 0 1rem 0; }
.sb-totals div { display: flex; flex-direction: column; }
.sb-totals b { font-size: 1.45rem; font-weight: 700; color: #ECE9E4; font-variant-numeric: tabular-nums; }
.sb-totals span { color: #9C988F; font-size: 0.74rem; text-transform: uppercase; letter-spacing: 0.08em; }
[class*="st-key-sb_shot_"] { background: #171A21; border-color: #272B35 !important; }
[class*="st-key-sb_shot_"]:hover { border-color: #FF7A59 !important; }
[class*="st-key-sb_card_"] { background: #171A21; border-color: #272B35 !important; }
</style>"""


# --- events ------------------------------------------------------------------------------------------
def open_board(board_id: str) -> None:
    st.query_params["board"] = board_id


def _close() -> None:
    st.query_params.pop("board", None)


def _create() -> None:
    studio = context.get_studio()
    try:
        board = studio.library.create_storyboard(
            studio.connection.account, st.session_state.get("sb_new_name") or ""
        )
    except StudioError as exc:
        st.toast(md_escape(message(exc)), icon=":material/error:")
        return
    st.session_state["sb_new_name"] = ""
    open_board(board.id)


def _rename(board_id: str) -> None:
    studio = context.get_studio()
    try:
        studio.library.rename_storyboard(
            studio.connection.account, board_id, st.session_state.get(f"sb_rename_{board_id}") or ""
        )
    except StudioError as exc:
        st.toast(md_escape(message(exc)), icon=":material/error:")


def _delete(board_id: str) -> None:
    studio = context.get_studio()
    studio.library.delete_storyboard(studio.connection.account, board_id)
    _close()
    st.toast("Storyboard deleted. Its takes stay in the library.", icon=":material/delete:")


def _add_takes(board_id: str) -> None:
    studio = context.get_studio()
    picked = st.session_state.get(f"sb_pick_takes_{board_id}") or []
    try:
        for take_id in picked:
            studio.library.add_shot(studio.connection.account, board_id, take_id)
    except StudioError as exc:
        st.toast(md_escape(message(exc)), icon=":material/error:")
    st.session_state[f"sb_pick_takes_{board_id}"] = []
    if picked:
        st.toast(f"{count(len(picked), 'shot')} added.", icon=":material/movie_edit:")


def _share(board_id: str) -> None:
    studio = context.get_studio()
    ttl = int(st.session_state.get(f"sb_share_ttl_{board_id}") or share.DEFAULT_TTL)
    try:
        st.session_state[SHARE.format(board=board_id)] = present_share.link(
            studio.connection.account, board_id, ttl
        )
    except StudioError as exc:
        st.toast(md_escape(message(exc)), icon=":material/error:")


# --- pieces ------------------------------------------------------------------------------------------
def totals_html(reel: Reel) -> str:
    n = len(reel.shots)
    w, h = reel.size
    spend = reel.spend
    items = [
        (f"{n}", plural(n, "shot")),
        (f"{reel.length:.1f} s", "length"),
        (f"{spend.credits:,}", "credits spent"),
        (esc(reel.ratio), f"{w}×{h}"),
    ]
    if spend.estimated_takes:
        items.append((f"{spend.estimated:,}", f"estimated ({spend.estimated_takes} takes)"))
    cells = "".join(f"<div><b>{v}</b><span>{esc(k)}</span></div>" for v, k in items)
    return f'<div class="sb-totals" data-testid="sb-totals">{cells}</div>'


def _list(studio) -> None:
    account = studio.connection.account
    with st.container(horizontal=True, gap="small", vertical_alignment="bottom", key="sb_new"):
        st.text_input(
            "New storyboard",
            key="sb_new_name",
            max_chars=80,
            placeholder="Name it: The lighthouse",
            width=360,
        )
        st.button(
            "Create storyboard", key="sb_create", type="primary", icon=":material/add:", on_click=_create
        )
    boards = studio.library.storyboards(account)
    if not boards:
        st.html(
            '<div class="vs-empty"><div class="big">Put your takes in order</div>'
            "A storyboard is a film in shots: each shot holds candidate takes, one chosen and trimmed. "
            "Create one here, or use “Add to storyboard” on any take in the gallery, the board or a take page."
            "</div>"
        )
        return
    cols = st.columns(3, gap="medium")
    for i, summary in enumerate(boards):
        reel = studio.library.reel(account, summary.board.id)
        if reel is None:
            continue
        with cols[i % 3], st.container(border=True, key=f"sb_card_{summary.board.id}"):
            first = next((s.take for s in reel.shots if s.take is not None), None)
            if first is not None:
                st.html(board_node.poster_html(studio, first))
            else:
                st.html('<div class="vs-ph still">No shots yet</div>')
            st.html(
                f'<div class="sb-title">{esc(summary.board.name)}</div>'
                f'<div class="vs-meta"><span><b>{summary.shots}</b> {plural(summary.shots, "shot")}</span>·'
                f"<span><b>{reel.length:.1f} s</b></span>·<span><b>{reel.spend.credits:,}</b> credits</span></div>"
            )
            st.button(
                "Open",
                key=f"sb_open_board_{summary.board.id}",
                icon=":material/arrow_forward:",
                on_click=open_board,
                args=(summary.board.id,),
            )


def _header(studio, reel: Reel) -> None:
    board = reel.board
    st.button(
        "All storyboards", key="sb_back", icon=":material/arrow_back:", type="tertiary", on_click=_close
    )
    st.title(board.name, anchor=False)
    st.html(CSS + totals_html(reel))
    with st.container(horizontal=True, gap="small", key="sb_actions"):
        st.page_link(
            PRESENT,
            label="Present",
            icon=":material/slideshow:",
            query_params={"board": board.id},
            disabled=not any(s.ready for s in reel.shots),
        )
        with st.popover("Share read-only link", icon=":material/share:", key=f"sb_share_pop_{board.id}"):
            st.caption(
                "Anyone with the link can watch this storyboard's chosen takes, and nothing else. No key needed."
            )
            st.selectbox(
                "Expires after",
                list(share.CHOICES),
                index=1,
                key=f"sb_share_ttl_{board.id}",
                format_func=share.CHOICES.get,
            )
            st.button(
                "Make link", key=f"sb_share_go_{board.id}", type="primary", on_click=_share, args=(board.id,)
            )
            path = st.session_state.get(SHARE.format(board=board.id))
            if path:
                st.code(_absolute(path), language=None)
                st.caption("Copy it with the button at its right. A restart of the studio ends the link.")
        with st.popover("Rename", icon=":material/edit:", key=f"sb_rename_pop_{board.id}"):
            key = f"sb_rename_{board.id}"
            st.session_state.setdefault(key, board.name)
            st.text_input("Storyboard name", key=key, max_chars=80)
            st.button("Save name", key=f"sb_rename_go_{board.id}", on_click=_rename, args=(board.id,))
        with st.popover("Delete", icon=":material/delete:", key=f"sb_delete_pop_{board.id}"):
            st.markdown("Delete this storyboard? Its shots go; its takes stay in the library.")
            st.button(
                "Delete storyboard",
                key=f"sb_delete_go_{board.id}",
                type="primary",
                on_click=_delete,
                args=(board.id,),
            )


def _absolute(path: str) -> str:
    """The share link with this page's own address in front (as the browser reached the studio)."""
    try:
        origin = st.context.url.split("/", 3)
        return f"{origin[0]}//{origin[2]}{path}" if len(origin) >= 3 else path
    except Exception:
        return path


def _picker(studio, reel: Reel) -> None:
    """Add finished takes of the library as shots at the end, several at once."""
    takes = studio.library.list(studio.connection.account, status=TakeStatus.COMPLETED, limit=PICK_LIMIT)
    if not takes:
        return
    labels = {t.id: f"{take_label(t)} · {snippet(t.prompt, 60)}" for t in takes}
    with st.container(horizontal=True, gap="small", vertical_alignment="bottom", key="sb_picker"):
        st.multiselect(
            "Add takes as shots",
            list(labels),
            key=f"sb_pick_takes_{reel.board.id}",
            format_func=labels.get,
            placeholder="Pick finished takes, newest first…",
            width=560,
        )
        st.button(
            "Add shots",
            key=f"sb_add_shots_{reel.board.id}",
            icon=":material/add:",
            on_click=_add_takes,
            args=(reel.board.id,),
        )


def _board(studio, board_id: str) -> None:
    reel = studio.library.reel(studio.connection.account, board_id)
    if reel is None:
        st.button(
            "All storyboards", key="sb_back", icon=":material/arrow_back:", type="tertiary", on_click=_close
        )
        st.warning(
            "This storyboard no longer exists (it may have been deleted).", icon=":material/search_off:"
        )
        return
    _header(studio, reel)
    board_node.hover_script()
    if not reel.shots:
        st.html(
            '<div class="vs-empty"><div class="big">No shots yet</div>'
            "Add finished takes below, or use “Add to storyboard” on a take in the gallery or the board.</div>"
        )
    for rs in reel.shots:
        storyboard_shot.prefetch_price(studio, rs)
    for i, rs in enumerate(reel.shots):
        following = reel.shots[i + 1].shot if i + 1 < len(reel.shots) else None
        into = f"joins {following.label()} as a candidate" if following else f"starts a new Shot {i + 2}"
        storyboard_shot.row(studio, rs, i, len(reel.shots), into=into)
    _picker(studio, reel)
    with st.expander("Export", icon=":material/ios_share:", expanded=True):
        storyboard_export.panel(studio, reel)


def render(studio) -> None:
    board_id = st.query_params.get("board")
    if board_id:
        _board(studio, board_id)
        return
    st.html(CSS)
    _list(studio)
