"""One take, deep-linkable as `?take=<id>`: the video, its whole recipe, lineage and actions."""

from __future__ import annotations

import logging
from pathlib import Path

import streamlit as st

from components import claim, context, frame_picker, media_route, storyboard_add, take_card, take_iterate
from components import create_form as form
from components.style import (
    badge,
    credits_text,
    esc,
    md_escape,
    seconds,
    snippet,
    take_label,
    take_meta,
    verdict_chip,
    when,
)
from studio import camera, catalog, recipe
from studio.errors import StudioError, describe
from studio.take import Mode, Relation, TakeStatus

log = logging.getLogger("varg_studio.ui")


def back() -> None:
    st.query_params.pop("take", None)
    st.switch_page("app_pages/library.py")


def _reader(path: Path):
    # Read only when the user clicks Download (Streamlit runs this callable on demand).
    return lambda: path.read_bytes()


def missing_folder(studio, rel: str | None) -> str:
    """Where a take's media file should be (its folder), for a message saying it is missing."""
    try:
        return str(studio.library.path(rel).parent) if rel else str(studio.settings.studio_home)
    except Exception:
        return str(studio.settings.studio_home)


def missing_video(studio, take) -> None:
    name = Path(take.video_path or "").name or "its video"
    st.warning(
        md_escape(
            f"The video file of this take is missing from {missing_folder(studio, take.video_path)} "
            f"({name}): it was moved or deleted outside the studio, so it cannot play or download. "
            "Its recipe is kept: put the file back there, or use Reuse settings to make it again."
        ),
        icon=":material/warning:",
    )


def remix_this(take) -> None:
    form.prefill(
        "remix",
        source_kind="gallery",
        source_take_id=take.id,
        source_file=None,
        parent_id=take.id,
        relation=Relation.REMIX,
    )
    st.switch_page("app_pages/remix.py")


def animate_last_frame(take) -> None:
    form.prefill(
        "i2v",
        source_take_id=take.id,
        source_file=None,
        source_name=None,
        original_file=None,
        frame_time=None,
        crop=None,
        aspect_ratio=take.aspect_ratio,
        parent_id=take.id,
        relation="animate",
    )
    st.switch_page("app_pages/image_to_video.py")


def reframe(take) -> None:
    """Open image to video on this take's kept original, at its framing, to frame it again."""
    values = recipe.reuse_values(take)
    values.update(original_file=take.original_file, crop=take.crop, source_take_id=None, source_file=None)
    take_iterate.go_to_form(take, values)


def _retry(take_id: str) -> None:
    from components import context

    try:
        context.get_studio().jobs.retry(take_id)
        st.toast("Following the job again.", icon=":material/refresh:")
    except StudioError as exc:
        st.toast(describe(exc), icon=":material/error:")


DELETE_PENDING = "detail_delete_pending"  # the id whose delete dialog is open


def _dismiss_delete() -> None:
    st.session_state.pop(DELETE_PENDING, None)


@st.dialog("Delete this take?", on_dismiss=_dismiss_delete)
def confirm_delete(take_id: str) -> None:
    from components import context

    studio = context.get_studio()
    take = studio.library.get(take_id, account=studio.connection.account)
    if take is None:
        _dismiss_delete()
        st.rerun()
        return
    st.markdown("The video, its poster and its recipe are removed from this computer. This can't be undone.")
    st.html(f'<div class="vs-snip">{esc(snippet(take.prompt, 160))}</div>')
    left, right = st.columns(2)
    if left.button("Keep it", key="detail_delete_cancel", width="stretch"):
        _dismiss_delete()
        st.rerun()
    if right.button(
        "Delete", key="detail_delete_go", type="primary", icon=":material/delete:", width="stretch"
    ):
        studio.library.delete(take_id)
        _dismiss_delete()
        picked = take_card.selected()
        if take_id in picked:
            picked.remove(take_id)
        back()
        st.toast("Take deleted.", icon=":material/delete:")
        st.rerun()


def _recipe(studio, take) -> None:
    rows: list[tuple[str, str]] = [
        ("Model", take_label(take)),
        ("Mode", catalog.mode_label(take.mode)),
    ]
    if take.mode == Mode.REMIX:
        rows.append(("Duration", f"{seconds(take.duration)} (from the source)"))
    else:
        asked = take.duration_requested
        if asked is not None and take.duration is not None and float(asked) != float(take.duration):
            rows.append(("Duration", f"{seconds(float(asked))} asked → {seconds(float(take.duration))}"))
        else:
            rows.append(("Duration", seconds(float(take.duration)) if take.duration else "—"))
    rows += [
        ("Aspect ratio", take.aspect_ratio or "from the source"),
        ("Seed", str(take.seed) if take.seed is not None else "none (the model takes no seed)"),
        ("Audio", "native" if take.audio else "none"),
    ]
    preset = camera.find(take.camera)
    if preset is not None:
        rows.append(("Camera", preset.label))
    if take.frame_time is not None:
        rows.append(("Start frame", f"at {float(take.frame_time):.1f} s of the source take"))
    if take.crop:
        rows.append(("Framing", _framing(take.crop)))
    if take.end_file:
        rows.append(("End frame", "yes"))
    if take.relation:
        rows.append(("Made by", RELATIONS.get(take.relation, take.relation)))
    rows += [
        ("Credits", _credits(studio, take)),
        ("Status", take.status),
        ("Job id", take.job_id or "not created yet"),
        ("Created", when(take.created_at)),
    ]
    if take.completed_at:
        rows.append(("Finished", when(take.completed_at)))
    if take.source_name:
        rows.append(("Source file", take.source_name))
    html = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in rows)
    st.html(f'<dl class="vs-kv">{html}</dl>')


RELATIONS = {
    "reuse": "reusing a take's settings",
    "reroll": "re-rolling a take (new seed)",
    "lock_seed": "editing a take's prompt, seed kept",
    "remix": "remixing a take",
    "animate": "animating a frame of a take",
    "final": "making a draft final",
    "sweep": "a sweep over a shot card",
    "continue": "continuing a storyboard shot from its last frame",
}


def _framing(text: str) -> str:
    try:
        x, y, zoom = (float(v) for v in text.split(","))
    except ValueError:
        return text
    col = {0.0: "left", 0.5: "centre", 1.0: "right"}.get(x, f"{x:.0%} across")
    row = {0.0: "top", 0.5: "middle", 1.0: "bottom"}.get(y, f"{y:.0%} down")
    return f"{row} {col}, {zoom:g}× zoom"


def _credits(studio, take) -> str:
    """The exact estimate and what varg billed, side by side (`est. 210 · billed 210`)."""
    text = credits_text(take, take_card.charged(studio, take))
    if take.is_open and not take.cache_hit:
        text += " · billed when it finishes"
    return text


def _lineage(studio, take) -> None:
    chain = studio.library.lineage(take.id)
    kids = [k for k in studio.library.children(take.id) if k.account == take.account]
    if len(chain) <= 1 and not kids:
        return
    st.markdown("**Lineage**")
    if len(chain) > 1:
        st.caption("Made from")
        for step in chain[:-1]:
            st.button(
                md_escape(f"{take_label(step)} · {snippet(step.prompt, 40)}"),
                key=f"detail_src_{step.id}",
                icon=":material/subdirectory_arrow_right:",
                type="tertiary",
                on_click=take_card.open_take,
                args=(step.id,),
            )
    if kids:
        st.caption("Made from this take")
        for kid in kids[:8]:
            st.button(
                md_escape(f"{catalog.mode_label(kid.mode)} · {snippet(kid.prompt, 40)}"),
                key=f"detail_kid_{kid.id}",
                icon=":material/call_split:",
                type="tertiary",
                on_click=take_card.open_take,
                args=(kid.id,),
            )


def render(studio, take_id: str) -> None:
    take = studio.library.get(take_id, account=studio.connection.account)
    st.page_link("app_pages/library.py", label="Gallery", icon=":material/arrow_back:")
    if take is None:
        st.warning(
            "This take is not in your library (it may have been deleted).", icon=":material/search_off:"
        )
        return
    st.title(f"{take_label(take)} · {catalog.mode_label(take.mode)}", anchor=False)
    st.html(f'<div class="vs-sub">{take_meta(take)} · {esc(when(take.created_at))}</div>')
    if take.created_by:
        st.caption(context.byline(take.created_by))

    left, right = st.columns([3, 2], gap="large")
    video = studio.media_path(take.video_path) if take.video_path else None
    with left:
        if take.status == TakeStatus.COMPLETED and video is not None:
            st.video(media_route.src(studio, take.video_path) or str(video))
        elif take.is_open:
            st.html('<div class="vs-ph">Rendering… it plays here when it is done.</div>')
        else:
            st.html(f'<div class="vs-ph still">{esc(take.status.title())}</div>')
            if claim.candidates(take):
                if claim.ask(take, "detail"):
                    st.rerun()
            elif take.status == TakeStatus.COMPLETED:
                missing_video(studio, take)
            elif take.error:
                st.error(md_escape(take.error), icon=":material/error:")

        with st.container(horizontal=True, gap="small", key="detail_actions"):
            if video is not None:
                st.download_button(
                    "Download",
                    data=_reader(video),
                    file_name=catalog.download_name(take),
                    mime="video/mp4",
                    key="detail_download",
                    icon=":material/download:",
                    # A rerun after the click: should the file vanish meanwhile, the page says so.
                    on_click="rerun",
                )
            if take.job_id and video is None and take.status in (TakeStatus.FAILED, TakeStatus.DOWNLOADING):
                st.button(
                    "Retry",
                    key="detail_retry",
                    icon=":material/refresh:",
                    on_click=_retry,
                    args=(take.id,),
                    help="Asks the gateway about this job again and fetches its video if it is ready. "
                    "It never starts a new job, so nothing more is charged.",
                )
            if video is not None:
                if st.button("Remix this", key="detail_remix", icon=":material/auto_fix_high:"):
                    remix_this(take)
                if st.button("Animate last frame", key="detail_animate", icon=":material/animated_images:"):
                    animate_last_frame(take)
            if (
                take.original_file
                and take.mode == Mode.IMAGE
                and st.button(
                    "Re-frame",
                    key="detail_reframe",
                    icon=":material/crop:",
                    help="Open the original image again to move or zoom the crop.",
                )
            ):
                reframe(take)
            st.button(
                "Unfavourite" if take.favourite else "Favourite",
                key="detail_fav",
                icon=":material/star:" if take.favourite else ":material/star_outline:",
                on_click=take_card.set_favourite,
                args=(take.id, not take.favourite),
            )
            if video is not None:
                picked = take_card.selected()
                inside = take.id in picked
                st.button(
                    "Remove from compare" if inside else "Add to compare",
                    key="detail_compare",
                    icon=":material/compare:",
                    on_click=take_card.toggle_compare,
                    args=(take.id,),
                    disabled=not inside and len(picked) >= take_card.MAX_COMPARE,
                )
            storyboard_add.popover(studio, take, "detail_storyboard")
            if st.button(
                "Delete",
                key="detail_delete",
                icon=":material/delete:",
                disabled=take.is_open,
                help="Cancel it in the job tray first" if take.is_open else None,
            ):
                st.session_state[DELETE_PENDING] = take.id
            if st.session_state.get(DELETE_PENDING) == take.id:
                confirm_delete(take.id)  # stays open across full reruns until answered

        if take.status == TakeStatus.COMPLETED and video is not None:
            with st.expander("Animate any frame", icon=":material/animated_images:"):
                frame_picker.render(studio, take)

    with right:
        with st.container(horizontal=True, gap="small", vertical_alignment="center"):
            badge(take.status)
            if take.verdict:
                st.html(verdict_chip(take))
        if take.is_done:
            take_iterate.panel(studio, take)
        st.markdown("**Prompt**")
        st.code(take.prompt, language=None, wrap_lines=True)
        _recipe(studio, take)
        if take.error and take.status != TakeStatus.FAILED and not claim.candidates(take):
            st.caption(md_escape(take.error))
        _lineage(studio, take)
