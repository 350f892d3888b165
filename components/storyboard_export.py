"""The storyboard's export panel: a stitched MP4 (with a progress bar), editor timelines (OTIO, FCP 7
XML, CMX 3600 EDL) and a zip with a manifest, each made by the core and offered as a download.

Every export is written to its own file under `<data folder>/exports/` (the session keeps its path,
never its bytes); the download button reads the file only when clicked. A newer export of the same
kind replaces the older file, and exports older than a day are swept when a new one is made.
"""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path

import streamlit as st

from components.errors import message
from components.style import md_escape
from studio.errors import StudioError
from studio.storyboard import Reel

FOLDER = "exports"
KEEP = 24 * 3600  # seconds an export file stays in the data folder
STATE = "sb_export_{board}_{kind}"  # the path of this session's latest export of a kind
KINDS = {
    "mp4": ("Stitched MP4", "video/mp4"),
    "otio": ("OpenTimelineIO", "application/json"),
    "xml": ("FCP 7 XML", "application/xml"),
    "edl": ("CMX 3600 EDL", "text/plain"),
    "zip": ("Zip with manifest", "application/zip"),
}


def _folder(studio) -> Path:
    folder = Path(studio.settings.studio_home) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _sweep(folder: Path) -> None:
    cutoff = time.time() - KEEP
    for old in folder.glob("*"):
        try:
            if old.is_file() and old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:
            pass


def _new_path(studio, board_id: str, kind: str) -> Path:
    folder = _folder(studio)
    _sweep(folder)
    previous = st.session_state.get(STATE.format(board=board_id, kind=kind))
    if previous:
        Path(previous).unlink(missing_ok=True)
    return folder / f"{uuid.uuid4().hex}.{kind}"


def file_name(reel: Reel, kind: str) -> str:
    """`The lighthouse.mp4`: the storyboard's name, tamed (never a path)."""
    tame = " ".join(re.sub(r"[^A-Za-z0-9 _-]+", " ", reel.board.name).split())[:60].strip() or "storyboard"
    return f"{tame}.{kind}"


def _reader(path: Path):
    return lambda: path.read_bytes()  # read on click, not while the page runs


def _offer(reel: Reel, kind: str) -> None:
    """The download button of this session's latest export of `kind`, when its file is still there."""
    rel = st.session_state.get(STATE.format(board=reel.board.id, kind=kind))
    path = Path(rel) if rel else None
    if path is None or not path.is_file():
        return
    label, mime = KINDS[kind]
    size = path.stat().st_size / 1e6
    st.download_button(
        f"Download {label} · {size:.1f} MB" if size >= 0.1 else f"Download {label}",
        data=_reader(path),
        file_name=file_name(reel, kind),
        mime=mime,
        key=f"sb_dl_{kind}_{reel.board.id}",
        icon=":material/download:",
        on_click="ignore",
    )


def _stitch(studio, reel: Reel) -> None:
    from studio import board_export

    out = _new_path(studio, reel.board.id, "mp4")
    bar = st.progress(0.0, text="Stitching…")
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - last[0] < 0.2:
            return
        last[0] = now
        share = min(1.0, done / total) if total else 1.0
        bar.progress(share, text=f"Stitching… frame {done:,} of {total:,}")

    try:
        result = board_export.stitch_reel(reel, studio.library, out, progress=progress)
    except StudioError as exc:
        bar.empty()
        st.error(md_escape(message(exc)), icon=":material/error:")
        return
    bar.empty()
    st.session_state[STATE.format(board=reel.board.id, kind="mp4")] = str(out)
    how = (
        "stream copy (no re-encode)"
        if result.mode.value == "copy"
        else "re-encoded, letterboxed to one format"
    )
    st.toast(
        f"Stitched: {result.duration:.1f} s at {result.width}×{result.height}, {how}.",
        icon=":material/movie:",
    )


def _timelines(studio, reel: Reel) -> None:
    from studio import timeline

    for kind in ("otio", "xml", "edl"):
        out = _new_path(studio, reel.board.id, kind)
        timeline.export(reel, studio.library, out, kind)
        st.session_state[STATE.format(board=reel.board.id, kind=kind)] = str(out)


def _zip(studio, reel: Reel) -> None:
    from studio import board_export

    out = _new_path(studio, reel.board.id, "zip")
    board_export.export_zip(reel, studio.library, out)
    st.session_state[STATE.format(board=reel.board.id, kind="zip")] = str(out)


def panel(studio, reel: Reel) -> None:
    """Stitch, timelines and zip for one storyboard, with what stops them said plainly."""
    board_id = reel.board.id
    waiting = reel.not_ready()
    if not reel.shots:
        st.caption("Add shots first: exports are made from the shots' chosen takes.")
        return
    if waiting:
        st.caption(
            md_escape(
                f"Waiting for a finished take in: {', '.join(waiting)}. Exports start when every shot has one."
            )
        )
    w, h = reel.size
    st.caption(f"Made here, with no network · {reel.ratio} · {w}×{h} · {reel.length:.1f} s")
    cols = st.columns(3, gap="medium")
    with cols[0]:
        st.markdown("**Stitched MP4**")
        st.caption("The chosen takes in order with their trims; mixed formats are letterboxed.")
        if st.button(
            "Stitch the film", key=f"sb_stitch_{board_id}", icon=":material/movie:", disabled=bool(waiting)
        ):
            _stitch(studio, reel)
        _offer(reel, "mp4")
    with cols[1]:
        st.markdown("**Editor timeline**")
        st.caption("OpenTimelineIO, FCP 7 XML (Premiere, Resolve, Final Cut) and CMX 3600 EDL.")
        if st.button(
            "Make timelines",
            key=f"sb_timeline_{board_id}",
            icon=":material/view_timeline:",
            disabled=bool(waiting),
        ):
            _run(_timelines, studio, reel)
        for kind in ("otio", "xml", "edl"):
            _offer(reel, kind)
    with cols[2]:
        st.markdown("**Zip with manifest**")
        st.caption("Each shot's file, its recipe (prompt, model, seed, price) and the timelines.")
        if st.button(
            "Make the zip", key=f"sb_zip_{board_id}", icon=":material/folder_zip:", disabled=bool(waiting)
        ):
            _run(_zip, studio, reel)
        _offer(reel, "zip")


def _run(action, studio, reel: Reel) -> None:
    with st.spinner("Writing…"):
        try:
            action(studio, reel)
        except StudioError as exc:
            st.error(md_escape(message(exc)), icon=":material/error:")
