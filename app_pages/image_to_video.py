"""Image to video: an upload (or a gallery take's last frame), cropped or fitted with a preview."""

from __future__ import annotations

import streamlit as st

from components import context, uploader
from components import create_form as form
from components.errors import Slots, guard
from components.style import esc, header, model_label, panel_title, snippet
from studio.submission import TakeRequest

MODE = "image-to-video"
P = "i2v"
FITS = {"crop": "Crop to fill", "fit": "Fit (letterbox)"}


def _use_upload() -> None:
    saved = form.store(P)
    for name in ("source_take_id", "source_file", "source_name"):
        saved.pop(name, None)


@guard
def page() -> None:
    header(
        "Image to video",
        "Bring a still to life: upload a photo or animate the last frame of a take.",
    )
    studio = context.get_studio()
    saved = form.store(P)
    slots = Slots()
    main, side = st.columns([7, 5], gap="large")

    source_take = None
    source_file = None
    upload = None
    with main:
        take_id = saved.get("source_take_id")
        if take_id:
            source_take = studio.library.get(take_id, account=studio.connection.account)
            if source_take is None or not source_take.video_path:
                _use_upload()
                source_take = None
        rel = saved.get("source_file")
        if source_take is None and rel:
            source_file = studio.media_path(rel)
            if source_file is None:
                _use_upload()

        if source_take is not None:
            uploader.reused_source(
                f"{P}_source_take",
                "Animating the last frame of a take",
                detail=f'<div class="vs-meta"><b>{esc(model_label(source_take.model))}</b></div>'
                f'<div class="vs-snip">{esc(snippet(source_take.prompt, 140))}</div>',
                button="Use an upload instead",
                on_drop=_use_upload,
            )
        elif source_file is not None:
            uploader.reused_source(
                f"{P}_source_file",
                "Reusing the image of an earlier take",
                detail=f'<div class="vs-snip">{esc(saved.get("source_name") or "")}</div>',
                button="Use an upload instead",
                on_drop=_use_upload,
            )
        else:
            upload = uploader.file_input(
                "Image",
                uploader.IMAGE_TYPES,
                key=f"{P}_upload",
                help="PNG, JPEG or WebP up to 50 MB. Checked by content, EXIF orientation applied.",
            )
        slots.add("image")

        fit = form.choice(
            P, "fit", "Framing", FITS, "crop", help="Crop fills the frame; fit keeps the whole image with bars."
        )
        prompt = form.prompt_area(P, slots, mode=MODE, placeholder="Slow push-in, leaves drifting, soft morning haze…")
        settings = form.settings_row(P, MODE, slots)

    # The image exactly as it will be sent, at the chosen ratio.
    raw: bytes | None = None
    digest = ""
    image_name = None
    if source_take is not None:
        path = studio.media_path(source_take.video_path)
        if path is not None:
            raw, err = uploader.safe(uploader.last_frame, path)
            digest = f"take:{source_take.id}"
        else:
            err = "That take's video is missing from the library."
    elif source_file is not None:
        raw, err = uploader.safe(source_file.read_bytes)
        digest = f"file:{saved.get('source_file')}"
        image_name = saved.get("source_name")
    elif upload is not None:
        raw, err, digest, image_name = upload.data, None, upload.digest, upload.name
    else:
        err = None
    prep = None
    if raw is not None:
        prep, err = uploader.safe(
            uploader.image_preview,
            raw,
            digest,
            settings.aspect_ratio,
            fit,
            uploader.long_side_for(settings.model),
        )
    if err:
        slots.error("image", err)

    with side, st.container(border=True, key=f"{P}_panel"):
        panel_title("Preview")
        if prep is not None:
            uploader.show_preview(prep, FITS[fit].lower())
        else:
            st.html('<div class="vs-ph still">Your image, framed at the chosen ratio, shows here.</div>')

        def build() -> TakeRequest:
            return settings.request(
                MODE,
                prompt,
                image=None if source_take is not None else raw,
                image_name=image_name,
                fit=fit,
                source_take_id=source_take.id if source_take is not None else None,
            )

        def precheck() -> str | None:
            if raw is None and not err:
                msg = "Upload an image to animate (or pick a take in the gallery)."
                slots.error("image", msg)
                return msg
            return None

        form.generate_area(
            P,
            mode=MODE,
            prompt=prompt,
            inputs={"fit": fit, "image": digest},
            build=build,
            settings=settings,
            slots=slots,
            precheck=precheck,
        )


page()
