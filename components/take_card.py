"""A take in the gallery grid: poster, status, `model · duration · ratio`, prompt, quick actions.

Shared selection helpers live here too: the gallery keeps ids (never media) in session state.
"""

from __future__ import annotations

import streamlit as st

from components import context, media_route, storyboard_add
from components.style import chip, credits_text, esc, snippet, status_label, take_meta, verdict_chip
from studio.take import TakeStatus

COMPARE = "gallery_compare"  # ids picked for comparison, in the order picked
MAX_COMPARE = 4


def selected() -> list[str]:
    return st.session_state.setdefault(COMPARE, [])


def toggle_compare(take_id: str) -> None:
    picked = selected()
    if take_id in picked:
        picked.remove(take_id)
    elif len(picked) < MAX_COMPARE:
        picked.append(take_id)


def open_take(take_id: str) -> None:
    st.query_params.pop("compare", None)
    st.query_params["take"] = take_id


def set_favourite(take_id: str, value: bool) -> None:
    from components import context

    context.get_studio().library.set_favourite(take_id, value)


def charged(studio, take) -> int | None:
    """v1 only: what usage says a finished job cost (v2 takes carry `billed_credits`)."""
    if take.billed_credits is not None or studio.connection.version != "v1":
        return None
    if not take.job_id or take.is_open:
        return None
    try:
        return studio.charged(take.job_id, take.created_at)
    except Exception:
        return None


def money_line(studio, take) -> str:
    """`est. 210 · billed 210 · seed 1234` (HTML, escaped)."""
    parts = [esc(credits_text(take, charged(studio, take)))]
    if take.seed is not None:
        parts.append(f"seed {take.seed}")
    if take.audio:
        parts.append("audio")
    return f'<div class="vs-credits">{" · ".join(parts)}</div>'


def card(studio, take) -> None:
    picked = selected()
    with st.container(border=True, key=f"gcard_{take.id}"):
        poster = media_route.src(studio, take.poster_path)
        if poster is not None:
            # Posters are JPEGs: saying so spares Streamlit a decode to sniff the format.
            st.image(poster, width="stretch", output_format="JPEG")
        else:
            text = "Rendering…" if take.is_open else status_label(take.status)
            still = "" if take.is_open else " still"
            st.html(f'<div class="vs-ph{still}">{esc(text)}</div>')
        fav = '<span class="vs-chip fav">★</span>' if take.favourite else ""
        st.html(
            f'<div class="vs-meta">{chip(take.status)}{verdict_chip(take)}{fav}<span>{take_meta(take)}</span></div>'
            f'<div class="vs-snip">{esc(snippet(take.prompt, 120))}</div>' + money_line(studio, take)
        )
        if take.created_by:
            st.caption(context.byline(take.created_by))
        with st.container(horizontal=True, gap="small", vertical_alignment="center"):
            st.button(
                "Open",
                key=f"gopen_{take.id}",
                icon=":material/play_arrow:",
                on_click=open_take,
                args=(take.id,),
            )
            cmp_key = f"gcmp_{take.id}"
            st.session_state[cmp_key] = take.id in picked
            st.checkbox(
                "Compare",
                key=cmp_key,
                on_change=toggle_compare,
                args=(take.id,),
                disabled=take.status != TakeStatus.COMPLETED
                or (take.id not in picked and len(picked) >= MAX_COMPARE),
            )
            storyboard_add.popover(studio, take, f"gsb_{take.id}", compact=True)
