"""Compare 2–4 takes on one clock: shorter takes hold or loop, frame steps, labels, 2 × 2, an A/B wipe.

All players are drawn in one HTML block (`compare_player.html`, its script enabled; no user text in
the script, prompts only HTML-escaped in the markup) so one script owns them: a master clock `t`
that is no video's own time, played, paused, sought, looped and stepped frame by frame. Each take
shows min(t, its length) ("Hold last frame") or t mod its length ("Loop each"). The files come from
the studio's own server through signed same-origin URLs (`components.media_route`, HTTP Range).
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from components import take_card
from components.media_route import media_url
from components.style import esc, seconds, snippet, take_label, verdict_chip
from studio import media
from studio.take import Take, ids_of, ids_param

CONTAINER = "cmp_videos"
LETTERS = "ABCD"
DEFAULT_FPS = 24.0  # the demo renders at 24 fps; used when a file does not say
TEMPLATE = Path(__file__).with_name("compare_player.html").read_text(encoding="utf-8")


@dataclass(frozen=True)
class Player:
    """One take as the player draws it."""

    take: Take
    letter: str
    url: str
    duration: float  # seconds, 0 when unknown (the browser's own reading then wins)
    ratio: float  # width / height
    fps: float


@functools.lru_cache(maxsize=256)
def _probe(path: str, mtime: float, size: int) -> tuple[float, int, int, float] | None:
    """(duration, width, height, fps) of a file, cached per version of it; None if it cannot be read."""
    try:
        info = media.probe_video(Path(path))
    except Exception:  # a file the probe refuses still plays; the browser reads its length
        return None
    return info.duration, info.width, info.height, info.fps


def _ratio(text: str | None) -> float:
    try:
        w, h = (float(x) for x in (text or "").split(":"))
        return w / h if w > 0 and h > 0 else 16 / 9
    except ValueError:
        return 16 / 9


def player(studio, take: Take, letter: str, path: Path) -> Player:
    stat = path.stat()
    found = _probe(str(path), stat.st_mtime, stat.st_size)
    duration = float(take.duration or 0)
    ratio = _ratio(take.aspect_ratio)
    fps = DEFAULT_FPS
    if found is not None:
        duration, width, height, rate = found
        ratio = width / height if width and height else ratio
        fps = rate if 1 <= rate <= 120 else DEFAULT_FPS
    return Player(take, letter, media_url(studio, take.video_path), duration, ratio, fps)


def label(p: Player) -> str:
    """`Sora 2 · variant 2 · seed 1234 · 4 s` (plain text; escape it for HTML)."""
    take = p.take
    seed = f"seed {take.seed}" if take.seed is not None else "no seed"
    length = seconds(round(p.duration, 1)) if p.duration else seconds(take.duration)
    return f"{take_label(take)} · variant {take.variant_index + 1} · {seed} · {length}"


def _cell(p: Player, index: int) -> str:
    take = p.take
    verdict = verdict_chip(take)
    return (
        f'<figure class="vc-cell" data-letter="{p.letter}" data-index="{index}" '
        f'data-duration="{p.duration:.3f}" data-ar="{p.ratio:.5f}" data-take="{esc(take.id)}">'
        f'<div class="vc-frame" style="aspect-ratio: {p.ratio:.5f}">'
        f'<video src="{esc(p.url)}" muted playsinline preload="auto"></video>'
        f'<div class="vc-label"><b class="vc-letter">{p.letter}</b><span>{esc(label(p))}</span></div>'
        '<div class="vc-state"></div><div class="vc-progress"><i></i></div></div>'
        f'<figcaption class="vc-cap"><span class="vc-prompt" title="{esc(take.prompt)}">'
        f"{esc(snippet(take.prompt, 200))}</span>{verdict}</figcaption></figure>"
    )


def player_html(players: list[Player]) -> str:
    """The whole compare block for 2–4 players (markup, style and script)."""
    ids = ids_param([str(p.take.id) for p in players])
    root = "vc-" + uuid.uuid5(uuid.NAMESPACE_URL, ids).hex[:12]
    options = "".join(
        f'<option value="{i}">{p.letter} · {esc(take_label(p.take))}</option>'
        for i, p in enumerate(players)
    )
    fps = max(p.fps for p in players)
    return (
        TEMPLATE.replace("__ID__", root)
        .replace("__FPS__", f"{fps:g}")
        .replace("__OPTIONS__", options)
        .replace("__CELLS__", "".join(_cell(p, i) for i, p in enumerate(players)))
    )


def _back() -> None:
    st.query_params.pop("compare", None)


def render(studio, picked: str) -> None:
    """The compare view of the takes a `?compare=a,b` parameter names (`ids_param`)."""
    st.button("Gallery", key="cmp_back", icon=":material/arrow_back:", on_click=_back, type="tertiary")
    account = studio.connection.account
    wanted = ids_of(picked)
    players: list[Player] = []
    for take_id in wanted[: take_card.MAX_COMPARE]:
        take = studio.library.get(take_id, account=account)
        path = studio.media_path(take.video_path) if take is not None and take.video_path else None
        if take is not None and path is not None:
            players.append(player(studio, take, LETTERS[len(players)], path))
    if len(players) < 2:
        st.warning("Pick at least two finished takes in the gallery to compare.", icon=":material/compare:")
        return
    st.title(f"Compare {len(players)} takes", anchor=False)
    st.html(
        '<div class="vs-sub">One clock plays, pauses, seeks and steps them all. Shorter takes hold their '
        "last frame or loop; the A/B wipe lays one take over another.</div>"
    )
    missing = min(len(wanted), take_card.MAX_COMPARE) - len(players)
    if missing > 0:
        st.caption(f"{missing} of the picked takes could not be shown: deleted, or not finished.")
    if len(wanted) > take_card.MAX_COMPARE:
        st.caption(f"Showing the first {take_card.MAX_COMPARE} of {len(wanted)} picked takes.")
    with st.container(key=CONTAINER):
        st.html(player_html(players), unsafe_allow_javascript=True)
    cols = st.columns(len(players), gap="small")
    for col, p in zip(cols, players, strict=True):
        with col:
            st.button(
                f"Open {p.letter}",
                key=f"cmp_open_{p.take.id}",
                icon=":material/open_in_full:",
                type="tertiary",
                on_click=take_card.open_take,
                args=(p.take.id,),
            )
