"""The studio's look: one stylesheet, status chips, and safe text helpers for user content."""

from __future__ import annotations

import html
import re
import time

import streamlit as st

from studio import catalog
from studio.take import TakeStatus
from studio.wording import snippet  # noqa: F401  (re-exported: components shorten prompts with it)

# Status → (label, chip class, st.badge colour, material icon)
STATUS = {
    TakeStatus.PENDING: ("Starting", "wait", "gray", ":material/hourglass_empty:"),
    TakeStatus.SUBMITTING: ("Starting", "wait", "gray", ":material/hourglass_empty:"),
    TakeStatus.QUEUED: ("Queued", "wait", "blue", ":material/schedule:"),
    TakeStatus.PROCESSING: ("Rendering", "run", "violet", ":material/motion_photos_on:"),
    TakeStatus.DOWNLOADING: ("Saving", "run", "violet", ":material/download:"),
    TakeStatus.COMPLETED: ("Done", "done", "green", ":material/check_circle:"),
    TakeStatus.FAILED: ("Failed", "fail", "red", ":material/error:"),
    TakeStatus.CANCELLED: ("Cancelled", "off", "gray", ":material/block:"),
    TakeStatus.UNKNOWN: ("Unknown", "warn", "orange", ":material/help:"),
}

CSS = """
<style>
.block-container { padding-top: 2.4rem; padding-bottom: 4rem; max-width: 1440px; }
section[data-testid="stSidebar"] .block-container { padding-top: 1rem; }
h1 { letter-spacing: -0.02em; font-weight: 700 !important; }
.vs-sub { color: #A7A39C; margin: -0.6rem 0 1.2rem 0; font-size: 0.98rem; }
.vs-snip { color: #B9B5AE; font-size: 0.86rem; line-height: 1.4; display: -webkit-box;
  -webkit-line-clamp: 2; -webkit-box-orient: vertical; overflow: hidden; min-height: 2.4em;
  word-break: break-word; }
.vs-snip.one { -webkit-line-clamp: 1; min-height: 1.2em; }
.vs-meta { color: #9C988F; font-size: 0.8rem; display: flex; gap: 0.45rem; align-items: center;
  flex-wrap: wrap; font-variant-numeric: tabular-nums; }
.vs-meta b { color: #ECE9E4; font-weight: 600; }
.vs-chip { display: inline-block; padding: 1px 9px; border-radius: 999px; font-size: 0.72rem;
  font-weight: 600; letter-spacing: 0.02em; line-height: 1.5; white-space: nowrap; }
.vs-chip.done { background: rgba(52, 199, 123, 0.16); color: #6BE3A4; }
.vs-chip.run  { background: rgba(155, 135, 255, 0.18); color: #B9A9FF; }
.vs-chip.wait { background: rgba(120, 160, 255, 0.14); color: #9DB8FF; }
.vs-chip.fail { background: rgba(255, 92, 92, 0.16); color: #FF8C8C; }
.vs-chip.warn { background: rgba(255, 170, 60, 0.16); color: #FFC27A; }
.vs-chip.off  { background: rgba(160, 160, 160, 0.14); color: #B5B5B5; }
.vs-chip.sora { background: rgba(255, 122, 89, 0.16); color: #FFA587; }
.vs-chip.fav  { background: rgba(255, 204, 77, 0.16); color: #FFD873; }
.vs-chip.keep { background: rgba(52, 199, 123, 0.22); color: #7FF0B4; font-weight: 600; }
.vs-chip.reject { background: rgba(255, 92, 92, 0.20); color: #FF9C9C; font-weight: 600; }
.vs-ph { aspect-ratio: 16 / 9; width: 100%; border-radius: 8px; display: flex; align-items: center;
  justify-content: center; flex-direction: column; gap: 0.3rem; color: #8E8A83; font-size: 0.85rem;
  background: linear-gradient(120deg, #1A1D25 0%, #232734 50%, #1A1D25 100%);
  background-size: 200% 100%; animation: vs-shimmer 2.4s ease-in-out infinite; }
.vs-ph.still { animation: none; background: #1A1D25; }
@keyframes vs-shimmer { 0% { background-position: 100% 0; } 100% { background-position: -100% 0; } }
[class*="st-key-gcard_"] [data-testid="stImage"] img,
[class*="st-key-pick_"] [data-testid="stImage"] img {
  aspect-ratio: 16 / 9; object-fit: contain; background: #07080A; border-radius: 8px; width: 100%; }
[class*="st-key-tray_open_"] { padding: 0.55rem 0.7rem !important; gap: 0.35rem !important; }
[class*="st-key-tray_open_"] [data-testid="stProgress"] { flex: 1 1 auto; }
[class*="st-key-tray_done_"] { gap: 0.1rem !important; }
[class*="st-key-gcard_"] { transition: border-color 0.15s ease; }
[class*="st-key-gcard_"]:hover { border-color: #FF7A59 !important; }
.vs-panel-title { font-size: 1.15rem; font-weight: 650; margin-bottom: 0.1rem; letter-spacing: -0.01em; }
.vs-estimate { font-size: 1rem; font-variant-numeric: tabular-nums; line-height: 1.5; }
.vs-estimate .lbl { color: #9C988F; font-size: 0.74rem; text-transform: uppercase;
  letter-spacing: 0.08em; display: block; margin-bottom: 0.1rem; }
.vs-estimate .over { color: #FF8C8C; }
.vs-demo { border: 1px solid rgba(255, 170, 60, 0.35); background: rgba(255, 170, 60, 0.08);
  color: #FFC27A; padding: 0.45rem 0.7rem; border-radius: 8px; font-size: 0.84rem; line-height: 1.35; }
.vs-live { border: 1px solid rgba(52, 199, 123, 0.35); background: rgba(52, 199, 123, 0.08);
  color: #6BE3A4; padding: 0.45rem 0.7rem; border-radius: 8px; font-size: 0.84rem; }
.vs-refused { border: 1px solid rgba(255, 92, 92, 0.4); background: rgba(255, 92, 92, 0.08);
  color: #FF8C8C; padding: 0.45rem 0.7rem; border-radius: 8px; font-size: 0.84rem; }
.vs-checking { border: 1px solid rgba(120, 160, 255, 0.35); background: rgba(120, 160, 255, 0.08);
  color: #9DB8FF; padding: 0.45rem 0.7rem; border-radius: 8px; font-size: 0.84rem; }
.vs-empty { text-align: center; padding: 3rem 1rem 1.2rem 1rem; color: #A7A39C; }
.vs-empty .big { font-size: 1.25rem; color: #ECE9E4; font-weight: 600; margin-bottom: 0.3rem; }
.vs-kv { margin: 0.4rem 0 0 0; display: grid; grid-template-columns: max-content 1fr; gap: 0.3rem 1rem; font-size: 0.9rem;
  font-variant-numeric: tabular-nums; }
.vs-credits { color: #9C988F; font-size: 0.78rem; font-variant-numeric: tabular-nums; }
.vs-credits b { color: #ECE9E4; font-weight: 600; }
.vs-kv dt { color: #9C988F; } .vs-kv dd { margin: 0; color: #ECE9E4; word-break: break-all; }
.vs-cmp { display: flex; align-items: center; gap: 0.8rem; padding: 0.6rem 0.9rem; border-radius: 10px;
  background: #181B22; border: 1px solid #2A2E38; }
.vs-cmp button { background: #FF7A59; color: #111; border: 0; border-radius: 8px; padding: 0.4rem 1rem;
  font-weight: 700; cursor: pointer; min-width: 6.5rem; }
.vs-cmp input[type=range] { flex: 1; accent-color: #FF7A59; }
.vs-cmp span { font-variant-numeric: tabular-nums; color: #B9B5AE; min-width: 6.5rem; text-align: right; }
/* --- board --- */
.vs-count { color: #9C988F; font-size: 0.875rem; margin: -0.2rem 0 0.2rem 0; }
.vs-idea-title { font-size: 1.12rem; font-weight: 650; color: #ECE9E4; letter-spacing: -0.01em;
  line-height: 1.3; margin-bottom: 0.15rem; word-break: break-word; }
[class*="st-key-bidea_"] { background: #111318; border-radius: 14px !important; padding: 0.9rem 1rem !important; }
[class*="st-key-bhead_"] > div:first-child { flex: 1 1 auto; min-width: 0; }
[class*="st-key-bnode_"], [class*="st-key-bcell_"] { background: #171A21; border-color: #272B35 !important;
  transition: border-color 0.15s ease; padding: 0.6rem 0.75rem !important; }
[class*="st-key-bnode_"]:hover, [class*="st-key-bcell_"]:hover { border-color: #FF7A59 !important; }
.vs-hov { position: relative; aspect-ratio: 16 / 9; width: 100%; border-radius: 8px; overflow: hidden;
  background: #07080A; }
.vs-hov video, .vs-hov img { width: 100%; height: 100%; object-fit: contain; display: block; cursor: pointer; }
.vs-hov::after { content: "▶ hover"; position: absolute; left: 7px; bottom: 6px; font-size: 0.66rem;
  color: #ECE9E4; background: rgba(7, 8, 10, 0.62); border-radius: 999px; padding: 1px 7px;
  pointer-events: none; transition: opacity 0.15s ease; letter-spacing: 0.03em; }
.vs-hov.on::after { opacity: 0; } .vs-hov.still::after { content: none; }
[class*="st-key-bposter_"] { flex: 0 0 auto; }
[class*="st-key-bkids_"] { margin-left: 1.5rem; padding-left: 1.1rem; border-left: 2px solid #2F3441;
  width: auto !important; }
[class*="st-key-bkids_"] > div { position: relative; }
[class*="st-key-bkids_"] > div::before { content: ""; position: absolute; left: -1.1rem; top: 2.2rem;
  width: 0.9rem; border-top: 2px solid #2F3441; }
.vs-edge { display: flex; flex-wrap: wrap; gap: 0.35rem; align-items: center; margin-bottom: 0.3rem; }
.vs-rel { display: inline-block; padding: 1px 9px; border-radius: 999px; font-size: 0.74rem; font-weight: 650;
  background: rgba(160, 160, 160, 0.14); color: #CFCBC4; white-space: nowrap; }
.vs-rel.reroll { background: rgba(155, 135, 255, 0.18); color: #C3B6FF; }
.vs-rel.remix { background: rgba(255, 122, 89, 0.18); color: #FFA587; }
.vs-rel.animate { background: rgba(120, 160, 255, 0.16); color: #A9C2FF; }
.vs-rel.final { background: rgba(255, 204, 77, 0.18); color: #FFD873; }
.vs-rel.reuse, .vs-rel.lock_seed { background: rgba(64, 200, 200, 0.15); color: #86E3E3; }
.vs-change { display: inline-block; padding: 0 7px; border-radius: 6px; font-size: 0.72rem; color: #CFCBC4;
  background: #1F232C; border: 1px solid #2E3340; font-variant-numeric: tabular-nums; white-space: nowrap; }
.vs-branch { margin-left: auto; color: #9C988F; font-size: 0.76rem; font-variant-numeric: tabular-nums; }
.vs-diff { color: #B9B5AE; font-size: 0.9rem; line-height: 1.5; word-break: break-word; margin-bottom: 0.3rem; }
.vs-diff ins { text-decoration: none; background: rgba(52, 199, 123, 0.18); color: #8FF0BE;
  border-radius: 4px; padding: 0 3px; }
.vs-diff del { background: rgba(255, 92, 92, 0.15); color: #FF9C9C; border-radius: 4px; padding: 0 3px; }
.vs-diff.same { color: #7E7A73; font-style: italic; font-size: 0.84rem; }
.vs-bprompt { color: #ECE9E4; font-size: 0.93rem; line-height: 1.45; margin-bottom: 0.35rem; display: -webkit-box;
  -webkit-line-clamp: 3; -webkit-box-orient: vertical; overflow: hidden; word-break: break-word; }
.vs-cost { color: #9C988F; } .vs-cost b { color: #ECE9E4; }
.vs-note { font-style: italic; margin-top: 0.2rem; }
.vs-sweep-head { display: flex; gap: 0.6rem; align-items: center; color: #9C988F; font-size: 0.8rem; }
.vs-sweep-head b { color: #ECE9E4; }
.vs-swept { font-weight: 650; font-size: 0.86rem; color: #ECE9E4; margin: 0.1rem 0; word-break: break-word; }
[class*="st-key-bkeep_"] button[kind="primary"] { background: #2FA36B; border-color: #2FA36B; color: #0B1510; }
[class*="st-key-breject_"] button[kind="primary"] { background: #D9534F; border-color: #D9534F; color: #1A0B0B; }
/* --- end board --- */
</style>
"""


def inject_css() -> None:
    st.html(CSS)


def header(title: str, subtitle: str) -> None:
    st.title(title, anchor=False)
    st.html(f'<div class="vs-sub">{esc(subtitle)}</div>')


def esc(text: object) -> str:
    """HTML-escape anything shown inside our own markup (prompts are text, never HTML)."""
    return html.escape(str(text), quote=True)


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$])")


def md_escape(text: object) -> str:
    """Escape Markdown so user text in st.toast / st.markdown reads literally."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def chip(status: str) -> str:
    label, cls, _, _ = STATUS.get(status, (status.title(), "off", "gray", ""))
    return f'<span class="vs-chip {cls}">{esc(label)}</span>'


def verdict_chip(take) -> str:
    """`✓ Kept` / `✕ Rejected · motion, framing` (HTML, escaped), or "" while undecided."""
    if take.verdict == "keep":
        return '<span class="vs-chip keep">✓ Kept</span>'
    if take.verdict == "reject":
        from studio.take import VERDICT_REASONS

        tags = [VERDICT_REASONS.get(t, t).split(":")[0] for t in (take.verdict_reasons or "").split(",") if t]
        tail = f" · {', '.join(tags)}" if tags else ""
        return f'<span class="vs-chip reject">✕ Rejected{esc(tail)}</span>'
    return ""


def status_label(status: str) -> str:
    return STATUS.get(status, (status.title(),))[0]


def badge(status: str) -> None:
    label, _, color, icon = STATUS.get(status, (status.title(), "off", "gray", None))
    st.badge(label, icon=icon, color=color)


def take_label(take) -> str:
    """`Sora 2`, or `Local preview · as Sora 2` for a demo-mode take (the rule is the catalogue's)."""
    return catalog.take_label(take)


def credits_text(take, charged: int | None = None) -> str:
    """`est. 210 · billed 210`, `free (cached)`, or `est. 210` while the charge is unknown.

    `charged` is v1's figure from usage, for a take that carries no billed amount.
    """
    if take.cache_hit:
        return "free (cached)"
    est = f"est. {take.estimated_credits:,}"
    billed = take.billed_credits if take.billed_credits is not None else charged
    if billed is None:
        return est
    if billed == 0 and take.status in (TakeStatus.FAILED, TakeStatus.CANCELLED, TakeStatus.UNKNOWN):
        return f"{est} · billed 0 (refunded)"
    return f"{est} · billed {billed:,}"


def seconds(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:g} s"


def clock(elapsed: float) -> str:
    elapsed = max(0, int(elapsed))
    return f"{elapsed // 60}:{elapsed % 60:02d}"


def when(ts: float | None) -> str:
    if not ts:
        return "—"
    return time.strftime("%d %b %Y · %H:%M", time.localtime(ts))


def take_meta(take) -> str:
    """`Sora 2 · 8 s · 16:9` for a take (HTML, escaped)."""
    parts = [take_label(take)]
    if take.duration:
        parts.append(seconds(float(take.duration)))
    if take.aspect_ratio:
        parts.append(take.aspect_ratio)
    return " · ".join(esc(p) for p in parts)


def panel_title(text: str) -> None:
    st.html(f'<div class="vs-panel-title">{esc(text)}</div>')


def empty_state(title: str, body: str) -> None:
    st.html(f'<div class="vs-empty"><div class="big">{esc(title)}</div>{esc(body)}</div>')
