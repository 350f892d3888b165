"""Remix: a new prompt over a source video — best a gallery take made by Sora, or an upload."""

from __future__ import annotations

import streamlit as st

from components import context, uploader
from components import create_form as form
from components.errors import Slots, guard
from components.style import esc, header, model_label, panel_title, seconds, snippet
from studio.catalog import made_by_sora
from studio.submission import TakeRequest

MODE = "remix"
P = "remix"
SOURCES = {"gallery": "From the gallery", "upload": "Upload a video"}
MAX_CHOICES = 60


def _source_label(take) -> str:
    mark = "★ Sora · " if _sora_made(take) else ""
    length = f" · {seconds(float(take.duration))}" if take.duration else ""
    return f"{mark}{model_label(take.model)}{length} · {snippet(take.prompt, 48)}"


def _sora_made(take) -> bool:
    return made_by_sora(take.model)


def _drop_file() -> None:
    form.store(P).pop("source_file", None)
    form.store(P).pop("source_name", None)


@guard
def page() -> None:
    header("Remix", "Restyle a take with a new prompt. The remix keeps the source's length and framing.")
    studio = context.get_studio()
    library = studio.library
    account = studio.connection.account
    saved = form.store(P)
    slots = Slots()

    takes = library.list(account, status="completed", limit=MAX_CHOICES)
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
                ids = list(by_id)
                key = form.bind(P, "source_take_id", ids[0], ids)
                chosen = st.selectbox(
                    "Gallery take (newest first, ★ = made by Sora)",
                    ids,
                    key=key,
                    format_func=lambda i: _source_label(by_id[i]),
                )
                form.remember(P, "source_take_id", chosen)
                source_take = by_id.get(chosen)
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

        # Sora remixes what Sora made; anything else needs an explicit go-ahead.
        non_sora = (
            upload is not None
            or reused is not None
            or (source_take is not None and not _sora_made(source_take))
        )
        ack = False
        if non_sora:
            st.warning(
                "This video was not made by Sora. The remix provider works on Sora's own videos and may "
                "reject it (a rejected job is refunded).",
                icon=":material/warning:",
            )
            ack = st.checkbox("Remix it anyway", key=f"{P}_ack_non_sora")
            slots.add("ack")

        prompt = form.prompt_area(
            P, slots, mode=MODE, label="New prompt", placeholder="Turn it into a watercolour at golden hour…"
        )
        settings = form.settings_row(P, MODE, slots)

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

    with side, st.container(border=True, key=f"{P}_panel"):
        panel_title("Source")
        if source_take is not None and source_take.poster_path:
            poster = studio.media_path(source_take.poster_path)
            if poster is not None:
                with st.container(key=f"pick_{source_take.id}"):
                    st.image(str(poster), width="stretch")
            mark = '<span class="vs-chip sora">Sora</span>' if _sora_made(source_take) else ""
            st.html(
                f'<div class="vs-meta"><b>{esc(model_label(source_take.model))}</b>{mark}</div>'
                f'<div class="vs-snip">{esc(snippet(source_take.prompt, 140))}</div>'
            )
        elif upload is not None or reused is not None:
            name = upload.name if upload is not None else saved.get("source_name") or "earlier upload"
            st.html(f'<div class="vs-meta">Uploaded video · <b>{esc(name)}</b></div>')
        else:
            st.html('<div class="vs-ph still">Pick a take or upload a video.</div>')
        if info is not None:
            length = f"{info.duration:.1f} s"
            cut = settings.model.max_source_seconds
            note = f" ({settings.model.label} uses the first {cut} s)" if cut and info.duration > cut else ""
            st.markdown(
                f":material/straighten: Source length **{length}** · {info.width}×{info.height} — "
                f"the remix keeps it{note}."
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
            if source_take is None and upload is None and reused is None:
                msg = "Choose a gallery take or upload a video to remix."
                slots.error("source", msg)
                return msg
            if non_sora and not ack:
                msg = "Tick “Remix it anyway” to remix a video that Sora did not make."
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
