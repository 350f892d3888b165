"""Image to video: an upload, a kept original or a take's frame, framed or fitted at the ratio, with a preview."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import streamlit as st

from components import camera_picker, context, frame_picker, uploader
from components import create_form as form
from components import framing as framing_ui
from components.errors import Slots, guard
from components.style import esc, header, panel_title, snippet, take_label
from studio import media
from studio.catalog import Model
from studio.submission import TakeRequest
from studio.take import Mode, Take

MODE = Mode.IMAGE
P = "i2v"
FITS = framing_ui.FITS
SOURCE_FIELDS = ("source_take_id", "frame_time", "source_file", "source_name", "original_file")


class SourceKind(StrEnum):
    TAKE = "take"  # a frame of a gallery take
    ORIGINAL = "original"  # the kept original image of a take, to frame again
    FILE = "file"  # the image an earlier take sent (already framed)
    UPLOAD = "upload"
    NONE = "none"


@dataclass(frozen=True)
class Source:
    """The picture this form animates, as the core will read it."""

    kind: SourceKind
    raw: bytes | None = None
    digest: str = ""  # names this exact picture (caches, the submission's content)
    name: str | None = None
    error: str | None = None
    take: Take | None = None
    frame_time: float | None = None  # TAKE: None is the last frame
    original_file: str | None = None
    ratio_key: str = ""  # the source the default ratio was chosen for (a take's frames share one)

    @property
    def prefilled(self) -> bool:
        """Arrived from a take's page, which brings its own ratio with it."""
        return self.kind in (SourceKind.TAKE, SourceKind.ORIGINAL, SourceKind.FILE)


def _use_upload() -> None:
    saved = form.store(P)
    for name in SOURCE_FIELDS:
        saved.pop(name, None)
    st.session_state.pop(f"{P}_frame_time", None)
    if saved.get("relation") == "animate":  # the branch was "animate that take": gone with its frame
        saved.pop("relation", None)
        saved.pop("parent_id", None)


def _take_source(studio, take: Take) -> Source:
    """A frame of a take, with a mini scrubber to pick the moment right here."""
    saved = form.store(P)
    path = studio.media_path(take.video_path)
    duration, err = (None, "That take's video is missing from the library.")
    if path is not None:
        duration, err = uploader.safe(frame_picker.length, path)
    with st.container(border=True, key=f"{P}_source_take"):
        text, thumb = st.columns([3, 2], gap="medium", vertical_alignment="center")
        frame_time = saved.get("frame_time")
        if isinstance(frame_time, bool) or not isinstance(frame_time, (int, float)):
            frame_time = None
        with text:
            title = st.empty()
            st.html(
                f'<div class="vs-meta"><b>{esc(take_label(take))}</b></div>'
                f'<div class="vs-snip">{esc(snippet(take.prompt, 140))}</div>'
            )
            if path is not None and duration:
                key = f"{P}_frame_time"
                end = frame_picker.end_of(duration)
                if key not in st.session_state:
                    st.session_state[key] = end if frame_time is None else min(float(frame_time), end)
                picked = frame_picker.slider(key, duration, label="Frame at")
                frame_time = None if picked >= round(end, 1) else picked
                form.remember(P, "frame_time", frame_time)
            when = (
                "the last frame" if frame_time is None else f"the frame at {frame_picker.clock(frame_time)}"
            )
            title.markdown(f"**Animating {when} of a take**")
            st.button(
                "Use an upload instead",
                key=f"{P}_source_take_drop",
                on_click=_use_upload,
                icon=":material/upload:",
                type="tertiary",
            )
        raw = None
        if path is not None and not err:
            raw, err = uploader.safe(frame_picker.frame, path, frame_time)
            if raw is not None:
                with thumb:
                    st.image(raw, width="stretch")
    return Source(
        SourceKind.TAKE,
        raw=raw,
        digest=f"take:{take.id}@{frame_time}",
        error=err,
        take=take,
        frame_time=frame_time,
        ratio_key=f"take:{take.id}",
    )


def _library_image(studio, rel: str, missing: str) -> tuple[bytes | None, str | None]:
    path = studio.media_path(rel)
    if path is None:
        return None, missing
    return uploader.safe(path.read_bytes)


def source(studio) -> Source:
    """Draw the source (a take's frame, a kept original, an earlier image, or an uploader) and read it."""
    saved = form.store(P)
    account = studio.connection.account
    take_id = saved.get("source_take_id")
    if take_id:
        take = studio.library.get(take_id, account=account)
        if take is not None and take.video_path:
            return _take_source(studio, take)
        _use_upload()
    original = saved.get("original_file")
    if original:
        uploader.reused_source(
            f"{P}_source_original",
            "Re-framing the original image of a take",
            detail=f'<div class="vs-snip">{esc(saved.get("source_name") or "")}</div>',
            button="Use an upload instead",
            on_drop=_use_upload,
        )
        raw, err = _library_image(
            studio, original, "That take's original image is missing from the library: upload it again."
        )
        digest = f"original:{original}"
        return Source(
            SourceKind.ORIGINAL, raw, digest, saved.get("source_name"), err, None, None, original, digest
        )
    rel = saved.get("source_file")
    if rel:
        uploader.reused_source(
            f"{P}_source_file",
            "Reusing the image of an earlier take",
            detail=f'<div class="vs-snip">{esc(saved.get("source_name") or "")}</div>',
            button="Use an upload instead",
            on_drop=_use_upload,
        )
        raw, err = _library_image(
            studio, rel, "That take's image is missing from the library: upload it again."
        )
        digest = f"file:{rel}"
        return Source(SourceKind.FILE, raw, digest, saved.get("source_name"), err, ratio_key=digest)
    upload = uploader.file_input(
        "Image",
        uploader.IMAGE_TYPES,
        key=f"{P}_upload",
        help="PNG, JPEG or WebP up to 50 MB. Checked by content, EXIF orientation applied.",
    )
    if upload is None:
        return Source(SourceKind.NONE)
    return Source(SourceKind.UPLOAD, upload.data, upload.digest, upload.name, ratio_key=upload.digest)


def default_ratio(src: Source, model: Model) -> str | None:
    """A new source sets the ratio to the offered one nearest its shape, unless a take's page chose it.

    The user's own pick for this source is kept; a model without the ratio gets the nearest it has.
    Returns an error about the picture, if reading its size failed.
    """
    ratios = [] if model.inherits_source else list(model.ratios_for(MODE))
    if not ratios or src.raw is None or src.error:
        return None
    saved = form.store(P)
    key = f"{P}_aspect_ratio"
    current = st.session_state.get(key, saved.get("aspect_ratio"))
    fresh = saved.get("ratio_for") != src.ratio_key
    if current in ratios and (not fresh or src.prefilled):
        saved["ratio_for"] = src.ratio_key
        return None
    size, err = uploader.safe(uploader.image_size, src.raw, src.digest)
    if size is None:
        return err
    saved["ratio_for"] = src.ratio_key
    pick = media.nearest_ratio(*size, ratios)
    saved["aspect_ratio"] = pick
    st.session_state[key] = pick
    return None


def end_frame(model: Model) -> uploader.Upload | None:
    """The optional last frame, for models that take one (not drawn, so dropped, for the others)."""
    if not model.end_frame:
        return None
    return uploader.file_input(
        "End frame (optional)",
        uploader.IMAGE_TYPES,
        key=f"{P}_end_upload",
        help=f"{model.label} can end the video on this image. Framed at the same ratio, centred.",
    )


def _preview(prep: media.PreparedImage | None, end_prep: media.PreparedImage | None, extra: str) -> None:
    if prep is None:
        st.html('<div class="vs-ph still">Your image, framed at the chosen ratio, shows here.</div>')
        return
    if end_prep is None:
        uploader.show_preview(prep, extra)
        return
    first, last = st.columns(2, gap="small")
    with first:
        st.caption("First frame")
        uploader.show_preview(prep, extra)
    with last:
        st.caption("End frame")
        uploader.show_preview(end_prep, "centred")


@guard
def page() -> None:
    header(
        "Image to video",
        "Bring a still to life: upload a photo, or animate any frame of a take.",
    )
    studio = context.get_studio()
    slots = Slots()
    model = form.resolve_model(P, MODE, form.catalog_now())
    main, side = st.columns([7, 5], gap="large")

    with main:
        src = source(studio)
        slots.add("image")
        end = end_frame(model)
        slots.add("end_image")
        size_err = default_ratio(src, model)
        prompt = form.prompt_area(
            P, slots, mode=MODE, placeholder="Slow push-in, leaves drifting, soft morning haze…"
        )
        # The price and Generate come right after the prompt (one Tab, or Ctrl/⌘+Enter, away);
        # they are filled in below, once the preview has been framed.
        generate_slot = st.container()
        settings = form.settings_row(P, MODE, slots)
        camera_picker.render(P)

    long_side = uploader.long_side_for(settings.model)
    with side, st.container(border=True, key=f"{P}_panel"):
        panel_title("Preview")
        shown = st.container()
        fit, framing = framing_ui.controls(P)
        crop = str(framing) if framing is not None and not framing.centred else None

        # The pictures exactly as they will be sent, at the chosen ratio.
        prep = end_prep = None
        err, end_err = src.error or size_err, None
        if src.raw is not None and not err:
            prep, err = uploader.safe(
                uploader.image_preview, src.raw, src.digest, settings.aspect_ratio, fit, long_side, framing
            )
        if end is not None and settings.model.end_frame:
            end_prep, end_err = uploader.safe(
                uploader.image_preview, end.data, end.digest, settings.aspect_ratio, fit, long_side
            )
        else:
            end = None
        if err:
            slots.error("image", err)
        if end_err:
            slots.error("end_image", end_err)
        with shown:
            _preview(prep, end_prep, framing_ui.describe(framing) if crop and framing else FITS[fit].lower())

        def build() -> TakeRequest:
            from_take = src.kind is SourceKind.TAKE
            return settings.request(
                MODE,
                prompt,
                image=src.raw if src.kind in (SourceKind.UPLOAD, SourceKind.FILE) else None,
                image_name=src.name,
                fit=fit,
                crop=crop,
                source_take_id=src.take.id if from_take and src.take is not None else None,
                frame_time=src.frame_time if from_take else None,
                original_file=src.original_file if src.kind is SourceKind.ORIGINAL else None,
                end_image=end.data if end is not None else None,
                end_image_name=end.name if end is not None else None,
            )

        def precheck() -> str | None:
            if src.raw is None and not err:
                msg = "Upload an image to animate (or pick a take in the gallery)."
                slots.error("image", msg)
                return msg
            if end_err:
                slots.error("end_image", end_err)
                return end_err
            return None

    with generate_slot:
        form.generate_area(
            P,
            mode=MODE,
            prompt=prompt,
            inputs={
                "fit": fit,
                "image": src.digest,
                "crop": crop,
                "frame_time": src.frame_time,
                "original_file": src.original_file,
                "end_image": end.digest if end is not None else None,
            },
            build=build,
            settings=settings,
            slots=slots,
            precheck=precheck,
        )


page()
