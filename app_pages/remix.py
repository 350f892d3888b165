"""Remix: a new prompt over a source video — best a gallery take made by Sora, or an upload."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from components import camera_picker, context, media_route, uploader
from components import create_form as form
from components.errors import Slots, guard
from components.style import esc, header, panel_title, seconds, snippet, take_label
from studio import catalog
from studio.submission import TakeRequest
from studio.take import Mode, Relation, TakeStatus

MODE = Mode.REMIX
P = "remix"
SOURCES = {"gallery": "From the gallery", "upload": "Upload a video"}
MAX_CHOICES = 60  # gallery takes offered as sources
PAGE = 12  # posters shown before "Show more"
COLUMNS = 4
CSS = """<style>
[class*="st-key-remix_src_"] { gap: 0.35rem; }
[class*="st-key-remix_src_on_"] { border-color: #FF7A59 !important; box-shadow: 0 0 0 1px #FF7A59; }
[class*="st-key-remix_src_"] img { border-radius: 6px; aspect-ratio: 16 / 9; object-fit: cover; }
.vs-src-meta { display: flex; flex-wrap: wrap; gap: 0.3rem; align-items: center; font-size: 0.74rem; color: #9C988F; }
.vs-src-meta .vs-chip { font-size: 0.68rem; }
.vs-src-snip { color: #B9B5AE; font-size: 0.78rem; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
</style>"""


def _choose(take_id: str) -> None:
    """A poster clicked: remix that take (the new take branches from it)."""
    form.new_idea(P)
    form.prefill(P, source_take_id=take_id, parent_id=take_id, relation=Relation.REMIX.value)


def _more() -> None:
    saved = form.store(P)
    saved["source_shown"] = int(saved.get("source_shown") or PAGE) + PAGE


def _drop_file() -> None:
    form.store(P).pop("source_file", None)
    form.store(P).pop("source_name", None)


def _poster_grid(studio, takes: list, chosen: str | None) -> None:
    """Gallery takes as posters (model, Sora, length); click one to remix it, the chosen one is lit."""
    shown = max(PAGE, int(form.store(P).get("source_shown") or PAGE))
    visible = takes[:shown]
    if chosen and all(t.id != chosen for t in visible):
        visible = [t for t in takes if t.id == chosen] + visible[: shown - 1]
    for start in range(0, len(visible), COLUMNS):
        cols = st.columns(COLUMNS, gap="small")
        for col, take in zip(cols, visible[start : start + COLUMNS], strict=False):
            on = take.id == chosen
            key = f"remix_src_on_{take.id}" if on else f"remix_src_{take.id}"
            with col, st.container(border=True, key=key):
                poster = media_route.src(studio, take.poster_path)
                if poster is not None:
                    st.image(poster, width="stretch")
                else:
                    st.html('<div class="vs-ph still">No poster</div>')
                chips = f"<b>{esc(take_label(take))}</b>"
                if catalog.made_by_sora(take.model):
                    chips += '<span class="vs-chip sora">Sora</span>'
                if take.duration:
                    chips += f"<span>{esc(seconds(float(take.duration)))}</span>"
                st.html(
                    f'<div class="vs-src-meta">{chips}</div>'
                    f'<div class="vs-src-snip">{esc(snippet(take.prompt, 60))}</div>'
                )
                st.button(
                    "Chosen" if on else "Remix this",
                    key=f"remix_pick_{take.id}",
                    type="primary" if on else "secondary",
                    width="stretch",
                    disabled=on,
                    on_click=_choose,
                    args=(take.id,),
                )
    if len(takes) > shown:
        st.button(
            f"Show more ({len(takes) - shown} more)",
            key="remix_src_more",
            icon=":material/expand_more:",
            type="tertiary",
            on_click=_more,
        )


@guard
def page() -> None:
    header("Remix", "Restyle a take with a new prompt. The remix keeps the source's length and framing.")
    st.html(CSS)
    studio = context.get_studio()
    library = studio.library
    account = studio.connection.account
    saved = form.store(P)
    slots = Slots()

    takes = library.list(account, status=TakeStatus.COMPLETED, limit=MAX_CHOICES)
    wanted = saved.get("source_take_id")
    if wanted and all(t.id != wanted for t in takes):
        extra = library.get(wanted, account=account)
        if extra is not None and extra.video_path:
            takes.insert(0, extra)
    by_id = {t.id: t for t in takes}

    main, side = st.columns([7, 5], gap="large")
    source_take = None
    upload = None
    reused = None
    info = None
    info_err = None
    with main:
        kind = form.choice(P, "source_kind", "Source", SOURCES, "gallery" if takes else "upload")
        if kind == "gallery":
            if not takes:
                st.info(
                    "No finished takes yet. Make one on Text to video, or upload a video.",
                    icon=":material/video_library:",
                )
            else:
                chosen = wanted if wanted in by_id else takes[0].id
                form.remember(P, "source_take_id", chosen)
                source_take = by_id[chosen]
                _poster_grid(studio, takes, chosen)
        else:
            rel = saved.get("source_file")
            reused = studio.media_path(rel) if rel else None
            if reused is not None:
                uploader.reused_source(
                    f"{P}_source_file",
                    "Reusing the uploaded video of an earlier take",
                    detail=f'<div class="vs-snip">{esc(saved.get("source_name") or "")}</div>',
                    button="Upload another instead",
                    on_drop=_drop_file,
                )
            else:
                upload = uploader.file_input(
                    "Video",
                    uploader.VIDEO_TYPES,
                    key=f"{P}_upload",
                    help="MP4, MOV or WebM up to 50 MB. Probed for a video stream and its length.",
                )
        slots.add("source")

    digest = ""
    if source_take is not None:
        path = studio.media_path(source_take.video_path)
        if path is None:
            info_err = "That take's video is missing from the library."
        else:
            info, info_err = uploader.safe(uploader.probe, path, f"take:{source_take.id}")
        digest = f"take:{source_take.id}"
    elif upload is not None:
        info, info_err = uploader.safe(uploader.probe, upload.data, upload.digest)
        digest = upload.digest
    elif reused is not None:
        digest = f"file:{saved.get('source_file')}"
        info, info_err = uploader.safe(uploader.probe, reused, digest)
    if info_err:
        slots.error("source", info_err)
    elif info is not None and (upload is not None or reused is not None):
        with main:  # the upload, playable, once it is known to be a video
            if upload is not None:
                st.video(upload.data)
            else:
                st.video(media_route.src(studio, saved.get("source_file")) or str(reused))

    with side, st.container(border=True, key=f"{P}_panel"):
        panel_title("Settings")
        settings = form.settings_row(P, MODE, slots, stacked=True)
        camera_picker.render(P)
        st.caption(settings.model.notes)
        if info is not None:
            cut = settings.model.max_source_seconds
            note = f" ({settings.model.label} uses the first {cut} s)" if cut and info.duration > cut else ""
            st.markdown(
                f":material/straighten: Source length **{info.duration:.1f} s** · {info.width}×{info.height} — "
                f"the remix keeps it{note}."
            )

    with main:
        prompt = form.prompt_area(
            P, slots, mode=MODE, label="New prompt", placeholder="Turn it into a watercolour at golden hour…"
        )
        # One rule (the core's) says whether this model may refuse this source.
        has_source = source_take is not None or upload is not None or reused is not None
        warning = (
            catalog.remix_source_warning(
                settings.model,
                source_take.model if source_take is not None else None,
                uploaded=source_take is None,
            )
            if has_source
            else None
        )
        ack = False
        if warning:
            st.warning(warning, icon=":material/warning:")
            ack = st.checkbox("Remix it anyway", key=f"{P}_ack_non_sora")
            slots.add("ack")

        if source_take is not None and not settings.origin.get("parent_id"):
            # A remix of a gallery take is derived from it, however it was chosen.
            settings = replace(
                settings,
                origin={**settings.origin, "parent_id": source_take.id, "relation": Relation.REMIX.value},
            )

        def build() -> TakeRequest:
            return settings.request(
                MODE,
                prompt,
                source_take_id=source_take.id if source_take is not None else None,
                source_video=(
                    upload.data if upload is not None else reused.read_bytes() if reused is not None else None
                ),
                source_name=upload.name if upload is not None else saved.get("source_name"),
            )

        def precheck() -> str | None:
            if not has_source:
                msg = "Choose a gallery take or upload a video to remix."
                slots.error("source", msg)
                return msg
            if warning and not ack:
                msg = "Tick “Remix it anyway” to remix a video this model may refuse."
                slots.error("ack", msg)
                return msg
            return None

        form.generate_area(
            P,
            mode=MODE,
            prompt=prompt,
            inputs={"source": digest},
            build=build,
            settings=settings,
            slots=slots,
            precheck=precheck,
            source_seconds=info.duration if info is not None else None,
        )


page()
