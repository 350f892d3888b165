"""One take on the board: its poster (plays on hover), the edge from its parent, chips and quick actions."""

from __future__ import annotations

import streamlit as st

from components import context, quick_submit, storyboard_add
from components.errors import message
from components.media_route import link
from components.style import chip, esc, snippet, status_label, take_meta, verdict_chip
from studio import recipe
from studio.errors import StudioError
from studio.prompt_diff import Op, Segment
from studio.take import Mode, Relation, Take, TakeStatus, Verdict

CONTEXT_WORDS = 4  # unchanged words kept on each side of a change in an edge's prompt diff
POSTER_WIDTH = 232  # px: the same poster size at every depth of the tree
REROLL_WAIT = 0.3  # the longest one button waits for varg's exact price (lookups run in parallel)

RELATION_ICONS = {
    Relation.REUSE.value: "↺",
    Relation.REROLL.value: "⚄",
    Relation.LOCK_SEED.value: "🔒",
    Relation.REMIX.value: "✦",
    Relation.ANIMATE.value: "▶",
    Relation.FINAL.value: "★",
    Relation.SWEEP.value: "⋯",
    Relation.CONTINUE.value: "⏭",
}


# --- HTML pieces (every user text escaped) ---------------------------------------------------------
def _words(text: str) -> list[str]:
    return text.split(" ")


def diff_html(segments: list[Segment], context_words: int = CONTEXT_WORDS) -> str:
    """The prompt diff as `<ins>`/`<del>` marks, long unchanged runs shortened around the changes."""
    if not segments:
        return ""
    out: list[str] = []
    last = len(segments) - 1
    for i, seg in enumerate(segments):
        if seg.op is Op.ADD:
            out.append(f"<ins>{esc(seg.text)}</ins>")
        elif seg.op is Op.DEL:
            out.append(f"<del>{esc(seg.text)}</del>")
        else:
            words = _words(seg.text)
            head = words[:context_words] if i > 0 else []
            tail = words[-context_words:] if i < last else []
            if len(words) <= 2 * context_words + 1 or (i == 0 and i == last):
                out.append(esc(seg.text))
            elif i == 0:
                out.append("… " + esc(" ".join(tail)))
            elif i == last:
                out.append(esc(" ".join(head)) + " …")
            else:
                out.append(esc(" ".join(head)) + " … " + esc(" ".join(tail)))
    return " ".join(out)


def edge_html(node) -> str:
    """`⚄ Re-roll · seed 12 → 77 · branch 420 credits` and the prompt's word diff, for a derived take."""
    edge = node.edge
    if edge is None:
        return f'<div class="vs-bprompt">{esc(snippet(node.take.prompt, 220))}</div>'
    kind = edge.relation.value if edge.relation else "derived"
    icon = RELATION_ICONS.get(kind, "→")
    label = edge.label[:1].upper() + edge.label[1:]
    rel = f'<span class="vs-rel {esc(kind)}">{icon} {esc(label)}</span>'
    changes = "".join(f'<span class="vs-change">{esc(c.text)}</span>' for c in edge.changes)
    words = any(s.op is not Op.SAME for s in edge.prompt)
    prompt = (
        f'<div class="vs-diff">{diff_html(edge.prompt)}</div>'
        if words
        else '<div class="vs-diff same">same prompt</div>'
    )
    branch = ""
    if node.children:
        branch = f'<span class="vs-branch">branch {node.branch_cost:,} credits</span>'
    return f'<div class="vs-edge">{rel}{changes}{branch}</div>{prompt}'


def meta_html(node) -> str:
    """Status (while not done), verdict, `Sora 2 · 8 s · 16:9`, seed and this take's cost."""
    take = node.take
    parts = []
    if take.status != TakeStatus.COMPLETED:
        parts.append(chip(take.status))
    parts.append(verdict_chip(take))
    parts.append(f"<span>{take_meta(take)}</span>")
    if take.seed is not None:
        parts.append(f"<span>seed {take.seed}</span>")
    parts.append(f'<span class="vs-cost"><b>{node.cost:,}</b> credits</span>')
    html = f'<div class="vs-meta">{"".join(parts)}</div>'
    note = take.verdict_note
    if note:
        html += f'<div class="vs-snip one vs-note">“{esc(snippet(note, 120))}”</div>'
    return html


# --- events ------------------------------------------------------------------------------------------
def _set_verdict(take: Take, value: str) -> None:
    studio = context.get_studio()
    try:
        if take.verdict == value:
            studio.library.set_verdict(take.id, None)
        else:
            reasons = (take.verdict_reasons or "").split(",") if value == Verdict.REJECT.value else []
            studio.library.set_verdict(take.id, value, [r for r in reasons if r], take.verdict_note)
    except StudioError as exc:
        st.toast(message(exc), icon=":material/error:")


def open_take(take_id: str) -> None:
    st.switch_page("app_pages/gallery.py", query_params={"take": take_id})


# --- drawing ---------------------------------------------------------------------------------------
# One listener for the whole page: a board poster plays (muted, looping) while the pointer is on it,
# and a click or tap plays or pauses it. Nothing is fetched until a poster is hovered.
HOVER_JS = """<script>
(() => {
  if (window.__vsHoverPlay) return;
  window.__vsHoverPlay = true;
  const find = (e) => (e.target && e.target.closest) ? e.target.closest("video.vs-hover") : null;
  const play = (v) => { v.muted = true; v.closest(".vs-hov")?.classList.add("on"); v.play().catch(() => {}); };
  const stop = (v) => { v.pause(); v.closest(".vs-hov")?.classList.remove("on"); };
  document.addEventListener("mouseover", (e) => { const v = find(e); if (v && v.paused) play(v); }, true);
  document.addEventListener("mouseout", (e) => {
    const v = find(e);
    if (v && !(e.relatedTarget && v.contains(e.relatedTarget))) stop(v);
  }, true);
  document.addEventListener("click", (e) => { const v = find(e); if (v) { v.paused ? play(v) : stop(v); } }, true);
})();
</script>"""


def hover_script(html: str = "") -> None:
    """The page's hover-to-play listener (drawn once per run, installed once per browser tab).

    `html`: our own markup to draw with it (no user text), so the script takes no row of its own.
    """
    st.html(html + HOVER_JS, unsafe_allow_javascript=True)


def poster_html(studio, take: Take) -> str:
    """The poster as a `<video>` that plays on hover (signed same-origin URLs), or a placeholder.

    Only URLs are made here: no media file is read while the page runs.
    """
    try:  # presigned URLs from the media store, or signed routes to local files: nothing is copied
        poster_src = link(studio, take.poster_path) if take.poster_path else None
        video_src = (
            link(studio, take.video_path) if take.status == TakeStatus.COMPLETED and take.video_path else None
        )
    except StudioError:
        poster_src = video_src = None
    if video_src:
        cover = f' poster="{esc(poster_src)}"' if poster_src else ""
        return (
            f'<div class="vs-hov"><video class="vs-hover" src="{esc(video_src)}"{cover} muted loop playsinline'
            ' preload="none" title="Hover to play · click to pause"></video></div>'
        )
    if poster_src:
        return f'<div class="vs-hov still"><img src="{esc(poster_src)}" alt=""></div>'
    text = "Rendering…" if take.is_open else status_label(take.status)
    return f'<div class="vs-ph{"" if take.is_open else " still"}">{esc(text)}</div>'


def _verdict_buttons(take: Take, *, compact: bool = False) -> None:
    kept = take.verdict == Verdict.KEEP.value
    rejected = take.verdict == Verdict.REJECT.value
    st.button(
        "" if compact else ("Kept" if kept else "Keep"),
        key=f"bkeep_{take.id}",
        icon=":material/check_circle:" if kept else ":material/thumb_up:",
        help="Undo keep" if kept else "Keep: this one works",
        on_click=_set_verdict,
        args=(take, Verdict.KEEP.value),
        type="primary" if kept else "secondary",
    )
    st.button(
        "" if compact else ("Rejected" if rejected else "Reject"),
        key=f"breject_{take.id}",
        icon=":material/cancel:" if rejected else ":material/thumb_down:",
        help="Undo reject" if rejected else "Reject: add the reasons on its take page",
        on_click=_set_verdict,
        args=(take, Verdict.REJECT.value),
        type="primary" if rejected else "secondary",
    )


def reroll_button(studio, take: Take) -> None:
    """One click: the same recipe with a new seed, its exact price on the button."""
    model = studio.catalog.current().find(take.model)
    quick_submit.button(
        f"breroll_{take.id}",
        "Re-roll",
        lambda: recipe.reroll(take, studio.library),
        icon=":material/casino:",
        help="The same recipe with a new seed: a fresh take of this idea, one click.",
        disabled_reason=recipe.can_reroll(take, model),
        done="Re-rolled",
        wait=REROLL_WAIT,
        source_seconds=float(take.duration) if take.mode == Mode.REMIX and take.duration else None,
    )


def prefetch_price(studio, take: Take) -> None:
    """Start varg's price lookup for this take's re-roll now, so all of a page's lookups run at once."""
    model = studio.catalog.current().find(take.model)
    if recipe.can_reroll(take, model) is not None:
        return
    try:
        quick_submit.price(studio, recipe.reroll(take, studio.library), wait=0.0)
    except StudioError:
        pass


def card(studio, node) -> None:
    """A take as a row of its idea's tree: poster left; edge, chips and actions right."""
    take = node.take
    with st.container(border=True, key=f"bnode_{take.id}"):
        row = st.container(horizontal=True, wrap=False, gap="medium", vertical_alignment="center")
        with row.container(width=POSTER_WIDTH, key=f"bposter_{take.id}"):
            st.html(poster_html(studio, take))
        with row.container():
            st.html(edge_html(node) + meta_html(node))
            with st.container(horizontal=True, gap="small", vertical_alignment="center"):
                if st.button(
                    "Open",
                    key=f"bopen_{take.id}",
                    icon=":material/open_in_new:",
                    help="The take page: its video, whole recipe and every action",
                ):
                    open_take(take.id)
                reroll_button(studio, take)
                _verdict_buttons(take)
                storyboard_add.popover(studio, take, f"bsb_{take.id}", compact=True)


def swept_value(node) -> str:
    """What this sweep cell tried: its first change against the parent, else its seed."""
    if node.edge is not None and node.edge.changes:
        return str(node.edge.changes[0].text)
    return f"seed {node.take.seed}" if node.take.seed is not None else snippet(node.take.prompt, 40)


def sweep_cell(studio, node) -> None:
    """A compact card in a sweep's row: poster, the swept value, verdict and cost."""
    take = node.take
    with st.container(border=True, key=f"bcell_{take.id}", width=250):
        st.html(
            poster_html(studio, take) + f'<div class="vs-swept">{esc(swept_value(node))}</div>'
            f'<div class="vs-meta">{verdict_chip(take)}'
            f'<span class="vs-cost"><b>{node.cost:,}</b> credits</span></div>'
        )
        with st.container(horizontal=True, gap="small", vertical_alignment="center"):
            if st.button(
                "", key=f"bopen_{take.id}", icon=":material/open_in_new:", help="Open the take page"
            ):
                open_take(take.id)
            _verdict_buttons(take, compact=True)
