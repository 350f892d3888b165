"""The gallery grid: filters and prompt search over the library, newest first, one page at a time.

Only one page of takes is read per run (`limit`), so a library of thousands stays quick; the
session keeps the filters, the page size and the compare selection (ids), never media.
"""

from __future__ import annotations

import streamlit as st

from components import context, take_card
from components import create_form as form
from studio import catalog
from studio.library import OPEN_STATUSES, UNDECIDED
from studio.take import TakeStatus, ids_param
from studio.wording import plural

P = "gallery"
PRESENT = "app_pages/present.py"
PAGE_SIZE = 12
COLUMNS = 4
COUNT_CAP = 10_000  # past this the caption says "10,000+": counting further would scan the library
LIMIT = "gallery_limit"

VERDICT_FILTERS = {"all": "Any verdict", "keep": "Kept", "reject": "Rejected", UNDECIDED: "Undecided"}
STATUS_FILTERS = {
    "all": ("All statuses", None),
    "completed": ("Done", TakeStatus.COMPLETED),
    "open": ("Rendering", OPEN_STATUSES),
    "failed": ("Failed", (TakeStatus.FAILED, TakeStatus.UNKNOWN)),
    "cancelled": ("Cancelled", TakeStatus.CANCELLED),
}


def _more() -> None:
    st.session_state[LIMIT] = st.session_state.get(LIMIT, PAGE_SIZE) + PAGE_SIZE


def _reset_limit() -> None:
    st.session_state[LIMIT] = PAGE_SIZE


def _clear_compare() -> None:
    take_card.selected().clear()


def _start_compare() -> None:
    st.query_params.pop("take", None)
    st.query_params["compare"] = ids_param(take_card.selected())


def filters() -> dict:
    modes = ["all", *catalog.MODES]
    models = ["all", *[m.id for m in context.get_studio().catalog.current().all()]]
    c_search, c_mode, c_model, c_status, c_verdict, c_fav = st.columns(
        [3.4, 1.8, 1.8, 1.8, 1.8, 1.4], vertical_alignment="bottom"
    )
    with c_search:
        key = form.bind(P, "search", "")
        search = st.text_input(
            "Search prompts",
            key=key,
            placeholder="Search prompts…",
            icon=":material/search:",
            on_change=_reset_limit,
        )
        form.remember(P, "search", search)
    with c_mode:
        key = form.bind(P, "mode", "all", modes)
        mode = st.selectbox(
            "Mode",
            modes,
            key=key,
            format_func=lambda m: "All modes" if m == "all" else catalog.mode_label(m),
            on_change=_reset_limit,
        )
        form.remember(P, "mode", mode)
    with c_model:
        key = form.bind(P, "model", "all", models)
        model = st.selectbox(
            "Model",
            models,
            key=key,
            format_func=lambda m: "All models" if m == "all" else catalog.label_of(m),
            on_change=_reset_limit,
        )
        form.remember(P, "model", model)
    with c_status:
        key = form.bind(P, "status", "all", list(STATUS_FILTERS))
        status = st.selectbox(
            "Status",
            list(STATUS_FILTERS),
            key=key,
            format_func=lambda s: STATUS_FILTERS[s][0],
            on_change=_reset_limit,
        )
        form.remember(P, "status", status)
    with c_verdict:
        key = form.bind(P, "verdict", "all", list(VERDICT_FILTERS))
        verdict = st.selectbox(
            "Verdict", list(VERDICT_FILTERS), key=key, format_func=VERDICT_FILTERS.get, on_change=_reset_limit
        )
        form.remember(P, "verdict", verdict)
    with c_fav:
        key = form.bind(P, "fav", False)
        fav = st.toggle("Favourites", key=key, on_change=_reset_limit)
        form.remember(P, "fav", fav)
    return {
        "mode": None if mode == "all" else mode,
        "model": None if model == "all" else model,
        "status": STATUS_FILTERS[status][1],
        "favourite": True if fav else None,
        "search": search.strip() or None,
        "verdict": None if verdict == "all" else verdict,
    }


def compare_bar() -> None:
    picked = take_card.selected()
    if not picked:
        return
    with st.container(border=True, key="gallery_compare_bar"):
        with st.container(horizontal=True, vertical_alignment="center", gap="small"):
            st.markdown(
                f":material/compare: **{len(picked)} selected** to compare or present"
                + (" · pick at least 2 to compare" if len(picked) < 2 else "")
            )
            st.button(
                f"Compare {len(picked)} takes",
                key="gallery_compare_go",
                type="primary",
                icon=":material/view_column:",
                disabled=len(picked) < 2,
                on_click=_start_compare,
            )
            st.page_link(
                PRESENT,
                label=f"Present {len(picked)}",
                icon=":material/slideshow:",
                query_params={"takes": ids_param(picked)},
                help="Play the picked takes full screen, one after another, in the order picked.",
            )
            st.button("Clear", key="gallery_compare_clear", on_click=_clear_compare, type="tertiary")


def render(studio) -> None:
    library = studio.library
    account = studio.connection.account
    everything = library.count(account, cap=COUNT_CAP + 1)
    if everything == 0:
        st.html(
            '<div class="vs-empty"><div class="big">No takes yet — make your first on Text to video</div>'
            "Everything you generate lands here, with its recipe, ready to play, remix and compare.</div>"
        )
        _, mid, _ = st.columns([2, 1, 2])
        with mid:
            st.page_link(
                "app_pages/text_to_video.py", label="Make your first take", icon=":material/arrow_forward:"
            )
        return

    mine = context.scope_filter(P, on_change=_reset_limit)  # only when someone is signed in
    chosen = {**filters(), "created_by": mine}
    compare_bar()
    limit = int(st.session_state.get(LIMIT, PAGE_SIZE))
    takes = library.list(account, limit=limit, **chosen)
    filtered = any(v is not None for v in chosen.values())
    total = library.count(account, cap=COUNT_CAP + 1, **chosen) if filtered else everything
    st.caption(
        f"Showing {len(takes):,} of {count_text(total)} {plural(total, 'take')} · newest first"
    )
    if not takes:
        hint = "pick “Everyone” to see the takes others made" if mine else "pick “All” to see every take"
        st.html(
            '<div class="vs-empty"><div class="big">Nothing matches these filters</div>'
            f"Clear the search or {hint}.</div>"
        )
        return
    for start in range(0, len(takes), COLUMNS):
        row = st.columns(COLUMNS, gap="medium")
        for col, take in zip(row, takes[start : start + COLUMNS], strict=False):
            with col:
                take_card.card(studio, take)
    if total > len(takes):
        _, mid, _ = st.columns([2, 1, 2])
        left = "many" if total > COUNT_CAP else f"{total - len(takes):,}"
        mid.button(
            f"Show more ({left} left)",
            key="gallery_more",
            on_click=_more,
            icon=":material/expand_more:",
            width="stretch",
        )


def count_text(total: int) -> str:
    """`1,234`, or `10,000+` once the library holds more than the page counts."""
    return f"{COUNT_CAP:,}+" if total > COUNT_CAP else f"{total:,}"


def subtitle(studio) -> str:
    """The Gallery's line under its title: where the takes are kept."""
    where = "in the team's shared library" if studio.library.SHARED else "on this computer"
    return f"Every take you made, kept {where}. Play, reuse, remix or compare them."
