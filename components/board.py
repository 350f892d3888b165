"""The board: a page of ideas, each a tree of takes with what changed (and cost) on every edge.

One page of ideas is read per run (`Library.ideas` with a limit, then their takes in one query),
so the board of a library with hundreds of ideas costs about what a board of ten does. The session
keeps the filter, the page size and the take playing (ids), never media.
"""

from __future__ import annotations

import time

import streamlit as st

from components import board_node, context
from components import create_form as form
from components.errors import message
from components.style import esc, snippet
from studio import ideas as idea_tree
from studio.errors import StudioError
from studio.take import Verdict
from studio.wording import count, plural

P = "board"
PAGE_SIZE = 10
LIMIT = "board_limit"
SEEN_FILTER = "board_filter_seen"
MAX_INDENT = 6  # deeper generations stay at this indent (their edge still says what they came from)
ALL = "all"
FILTERS = {ALL: "All ideas", Verdict.KEEP.value: "Has keeps", Verdict.REJECT.value: "Has rejects"}


# --- events ------------------------------------------------------------------------------------------
def _more() -> None:
    st.session_state[LIMIT] = int(st.session_state.get(LIMIT, PAGE_SIZE)) + PAGE_SIZE


def _rename(idea_id: str) -> None:
    studio = context.get_studio()
    name = st.session_state.get(f"bname_{idea_id}") or ""
    try:
        studio.library.name_idea(studio.connection.account, idea_id, name)
    except StudioError as exc:
        st.toast(message(exc), icon=":material/error:")
        return
    st.toast("Idea renamed." if name.strip() else "Name cleared: the idea goes by its first prompt again.")


def _collapse(idea_id: str, collapsed: bool) -> None:
    studio = context.get_studio()
    try:
        studio.library.collapse_idea(studio.connection.account, idea_id, collapsed)
    except StudioError as exc:
        st.toast(message(exc), icon=":material/error:")


# --- pieces ------------------------------------------------------------------------------------------
def _count(value) -> int:
    return value if isinstance(value, int) else len(value)


def stats_html(idea) -> str:
    """`3 takes · 630 credits · 1 kept · 1 rejected · last 2 Dec 20:10` (HTML, escaped)."""
    n = _count(idea.takes)
    parts = [
        f"<span><b>{n:,}</b> {plural(n, 'take')}</span>",
        f"<span><b>{idea.cost:,}</b> credits</span>",
    ]
    if idea.kept:
        parts.append(f'<span class="vs-chip keep">✓ {idea.kept:,} kept</span>')
    if idea.rejected:
        parts.append(f'<span class="vs-chip reject">✕ {idea.rejected:,} rejected</span>')
    if idea.last:
        parts.append(f"<span>last {esc(time.strftime('%d %b %H:%M', time.localtime(idea.last)))}</span>")
    return f'<div class="vs-meta">{"<span>·</span>".join(parts)}</div>'


def _header(idea) -> None:
    with st.container(
        horizontal=True, vertical_alignment="center", gap="small", wrap=False, key=f"bhead_{idea.id}"
    ):
        title = idea.name or snippet(idea.roots[0].take.prompt if idea.roots else "", 80) or "Untitled idea"
        st.html(f'<div class="vs-idea-title">{esc(snippet(title, 90))}</div>{stats_html(idea)}')
        with st.popover("Rename", icon=":material/edit:", type="tertiary", key=f"bpop_{idea.id}"):
            key = f"bname_{idea.id}"
            st.session_state.setdefault(key, idea.name or "")
            st.text_input(
                "Idea name",
                key=key,
                max_chars=80,
                placeholder=snippet(idea.roots[0].take.prompt, 60) if idea.roots else "Name this idea",
                help="Leave empty to name it after its first prompt.",
            )
            st.button(
                "Save name", key=f"bname_go_{idea.id}", type="primary", on_click=_rename, args=(idea.id,)
            )
        hidden = _count(idea.takes) - len(idea.roots)
        if hidden <= 0 and not idea.collapsed:
            return  # nothing to fold
        st.button(
            f"Expand · {hidden:,} more" if idea.collapsed else "Collapse",
            key=f"bfold_{idea.id}",
            icon=":material/unfold_more:" if idea.collapsed else ":material/unfold_less:",
            type="tertiary",
            help="Show the whole tree" if idea.collapsed else "Show just where it started",
            on_click=_collapse,
            args=(idea.id, not idea.collapsed),
        )


def _groups(nodes: list) -> list:
    """Siblings in order, a sweep's nodes gathered into one list where its first one stands."""
    out: list = []
    sweeps: dict[str, list] = {}
    for node in nodes:
        sid = node.take.sweep_id
        if not sid:
            out.append(node)
        elif sid in sweeps:
            sweeps[sid].append(node)
        else:
            sweeps[sid] = [node]
            out.append(sweeps[sid])
    return out


def _sweep_row(studio, nodes: list) -> None:
    cost = sum(n.cost for n in nodes)
    field = ""
    first = nodes[0].edge
    if first is not None and first.changes:
        field = f" over {first.changes[0].label}"
    with st.container(key=f"bsweep_{nodes[0].take.sweep_id}"):
        st.html(
            f'<div class="vs-sweep-head"><span class="vs-rel sweep">⋯ Sweep{esc(field)}</span>'
            f"<span>{len(nodes)} takes · <b>{cost:,}</b> credits</span></div>"
        )
        with st.container(horizontal=True, gap="small"):
            for node in nodes:
                board_node.sweep_cell(studio, node)


def _children(studio, node, depth: int) -> None:
    if not node.children:
        return
    if depth >= MAX_INDENT:
        tree(studio, node.children, depth + 1)
        return
    with st.container(key=f"bkids_{node.take.id}", gap="small"):
        tree(studio, node.children, depth + 1)


def tree(studio, nodes: list, depth: int = 0, *, folded: bool = False) -> None:
    """Nodes top-down: each take, then its children indented under a rule; sweeps as one row.

    `folded` draws these nodes only (a collapsed idea shows where it started).
    """
    for item in _groups(nodes):
        if isinstance(item, list):
            _sweep_row(studio, item)
            for node in [] if folded else item:
                _children(studio, node, depth)
        else:
            board_node.card(studio, item)
            if not folded:
                _children(studio, item, depth)


def _visible(idea) -> list:
    return list(idea.roots) if idea.collapsed else list(idea.nodes())


def idea_card(studio, idea) -> None:
    with st.container(border=True, key=f"bidea_{idea.id}", gap="small"):
        _header(idea)
        tree(studio, list(idea.roots), folded=idea.collapsed)


def _filter() -> str:
    value = form.choice(P, "filter", "Show", FILTERS, ALL)
    if st.session_state.get(SEEN_FILTER) != value:
        st.session_state[SEEN_FILTER] = value
        st.session_state[LIMIT] = PAGE_SIZE
    return value


def _empty() -> None:
    st.html(
        '<div class="vs-empty"><div class="big">Your ideas grow here</div>'
        "Every take starts an idea. Re-roll it, edit the prompt, remix it or animate a frame, and the "
        "board draws the family as a tree: what changed on each branch, word by word, and what it cost."
        "</div>"
    )
    _, mid, _ = st.columns([2, 1, 2])
    with mid:
        st.page_link("app_pages/text_to_video.py", label="Start an idea", icon=":material/arrow_forward:")


def _first_page() -> None:
    st.session_state[LIMIT] = PAGE_SIZE


def render(studio) -> None:
    library = studio.library
    account = studio.connection.account
    if library.count(account, cap=1) == 0:
        _empty()
        return
    mine = context.scope_filter(P, on_change=_first_page)  # only when someone is signed in
    chosen = _filter()
    verdict = None if chosen == ALL else Verdict(chosen)
    limit = int(st.session_state.get(LIMIT, PAGE_SIZE))
    rows = library.ideas(account, verdict=verdict, created_by=mine, limit=limit)
    total = library.count_ideas(account, verdict=verdict, created_by=mine)
    ids = [row[0] for row in rows]
    built = idea_tree.build(library.idea_takes(account, ids), library.idea_names(account, ids))
    order = {idea_id: i for i, idea_id in enumerate(ids)}
    shown = sorted((i for i in built if i.id in order), key=lambda i: order[i.id])
    line = f"Showing {len(shown):,} of {count(total, 'idea')} · most recent first"
    if not shown:
        st.caption(line)
        if verdict is None:  # only "Mine" can leave nothing here
            why = "None of these ideas has a take of yours yet. Pick “Everyone” to see the team's ideas."
        else:
            why = (
                f"No idea{' of yours' if mine else ''} has a take marked "
                f"{'kept' if verdict is Verdict.KEEP else 'rejected'} yet. "
                "Keep or reject takes here or on their take page, or pick “All ideas”."
            )
        st.html(f'<div class="vs-empty"><div class="big">No idea matches</div>{esc(why)}</div>')
        return
    for idea in shown:
        for node in _visible(idea):
            board_node.prefetch_price(studio, node.take)
    board_node.hover_script(f'<div class="vs-count">{esc(line)}</div>')
    for idea in shown:
        idea_card(studio, idea)
    if total > len(shown):
        _, mid, _ = st.columns([2, 1, 2])
        mid.button(
            f"Show more ({total - len(shown):,} left)",
            key="board_more",
            on_click=_more,
            icon=":material/expand_more:",
            width="stretch",
        )
