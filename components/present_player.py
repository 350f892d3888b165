"""The storyboard player: its shots as clips (URL, trim, label) and the one HTML block that plays them.

Used by the Present page (inside Streamlit, `st.html` with its script) and by the read-only share
page (a whole document served by the studio). The shots go to the script as JSON in a
`<script type="application/json">` block (with `<`, `>` and `&` escaped), and the script only ever
sets them as text: a shot's name can never become markup. No Streamlit here.
"""

from __future__ import annotations

import html
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from studio.catalog import take_label
from studio.storyboard import Reel
from studio.take import Take, TakeStatus
from studio.wording import snippet

TEMPLATE = Path(__file__).with_name("present_player.html").read_text(encoding="utf-8")

UrlOf = Callable[[str | None], str | None]  # a media file's relative path → a URL the browser may load


@dataclass(frozen=True)
class Clip:
    """One shot as the player plays it: `a`..`b` seconds of `src` (`b` None: to its end)."""

    label: str
    src: str
    poster: str | None
    a: float
    b: float | None
    len: float


def clips(reel: Reel, url_of: UrlOf) -> list[Clip]:
    """The reel's ready shots in order (shots without a finished take, or whose file is gone, are left out)."""
    out: list[Clip] = []
    for s in reel.shots:
        if not s.ready or s.take is None:
            continue
        src = url_of(s.take.video_path)
        if not src:
            continue
        poster = url_of(s.take.poster_path) if s.take.poster_path else None
        out.append(Clip(s.shot.label(), src, poster, s.shot.trim_in, s.shot.trim_out, s.length or 0.0))
    return out


def take_clips(takes: Sequence[Take], url_of: UrlOf) -> list[Clip]:
    """A set of takes played whole, in the order given (unfinished takes, or gone files, are left out)."""
    out: list[Clip] = []
    for take in takes:
        if take.status != TakeStatus.COMPLETED or not take.video_path:
            continue
        src = url_of(take.video_path)
        if not src:
            continue
        poster = url_of(take.poster_path) if take.poster_path else None
        label = f"{len(out) + 1} · {snippet(take.prompt, 48)} · {take_label(take)}"
        out.append(Clip(label, src, poster, 0.0, None, float(take.duration or 0.0)))
    return out


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _json(items: list[Clip]) -> str:
    raw = json.dumps([asdict(c) for c in items], ensure_ascii=False)
    return raw.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _aspect(ratio: str) -> str:
    w, _, h = ratio.partition(":")
    return f"{int(w)} / {int(h)}" if w.isdigit() and h.isdigit() and int(h) else "16 / 9"


def player_html(items: list[Clip], ratio: str = "16:9", noun: str = "shot") -> str:
    """The player block (style, markup, script) for these clips (at least one): `noun` names them."""
    root = "vp-" + uuid.uuid5(uuid.NAMESPACE_URL, "|".join(c.src for c in items)).hex[:12]
    return (
        TEMPLATE.replace("__ID__", root)
        .replace("__AR__", _aspect(ratio))
        .replace("__NOUN__", noun.capitalize())
        .replace("__noun__", noun)
        .replace("__DATA__", _json(items))
    )


def page_html(title: str, note: str, items: list[Clip], ratio: str = "16:9") -> str:
    """A whole page around the player (the share link's): the title, a note, the player."""
    body = (
        player_html(items, ratio)
        if items
        else '<p class="sp-empty">This storyboard has no finished shots to play yet.</p>'
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex, nofollow">'
        f"<title>{esc(title)} · Varg Studio</title><style>"
        "html, body { margin: 0; background: #0F1115; color: #ECE9E4;"
        " font-family: 'Source Sans 3', system-ui, -apple-system, 'Segoe UI', sans-serif; }"
        ".sp { max-width: 1280px; margin: 0 auto; padding: 28px 24px 48px 24px; }"
        ".sp h1 { font-size: 1.8rem; letter-spacing: -0.02em; margin: 0 0 0.2rem 0; }"
        ".sp-note { color: #A7A39C; margin: 0 0 1.1rem 0; font-size: 0.95rem; }"
        ".sp-empty { color: #A7A39C; padding: 3rem 0; text-align: center; }"
        ".sp-foot { color: #6F6B64; font-size: 0.8rem; margin-top: 1.2rem; }"
        '</style></head><body><main class="sp">'
        f'<h1>{esc(title)}</h1><p class="sp-note">{esc(note)}</p>{body}'
        '<p class="sp-foot">Shared read-only from Varg Studio.</p></main></body></html>'
    )
