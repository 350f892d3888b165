"""Image to video with AppTest: framing (anchor, zoom, fit), the ratio that follows the source, end frames,
frames at any time of a take, re-framing a kept original, and the frame scrubber."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest
from test_framing import BLUE, GREEN, RED, YELLOW, colours, quadrants
from test_pages import _app_env, _studio  # noqa: F401  (_app_env: autouse fixture)

import factories

APP = str(Path(__file__).resolve().parents[1] / "studio_frame.py")
PAGE = "app_pages/image_to_video.py"


def _app(store: dict | None = None) -> AppTest:
    _studio().catalog.wait()
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    if store is not None:
        at.session_state["i2v__store"] = store  # what a take page's prefill leaves for this form
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _captions(at: AppTest) -> str:
    return " | ".join(c.value for c in at.caption)


def _preview_url(at: AppTest) -> str:
    """The URL of the (last) picture on the page: the preview; media URLs change with their bytes."""
    images = at.main.image
    assert images, "a preview image"
    return images[-1].value[0]


def _upload(at: AppTest, data: bytes, name: str = "photo.png") -> None:
    at.file_uploader(key="i2v_upload").upload(name, data, "image/png").run()
    assert not at.exception, [e.value for e in at.exception]


def _generate(at: AppTest, prompt: str):
    at.text_area(key="i2v_prompt").input(prompt).run()
    at.button(key="i2v_generate").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    made = [t for t in _studio().library.list("demo", mode="image-to-video", limit=20) if t.prompt == prompt]
    assert len(made) == 1, "one take for one Generate"
    return made[0]


def _png(width: int, height: int, colour=(90, 140, 200)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buf, "PNG")
    return buf.getvalue()


def _seed_take(seconds: float = 2.0, width: int = 180, height: int = 320):
    """A completed 9:16 take (a real MP4) written straight to the library."""
    from studio.library import NewTake

    lib = _studio().library
    video = lib.store_bytes(factories.mp4(seconds, width, height), ".mp4", kind="videos")
    made, _ = lib.add_batch(
        [
            NewTake(
                account="demo",
                batch_id="seedbatch",
                submission_id="seed-frame",
                variant_index=0,
                mode="text-to-video",
                model="sora-2",
                prompt="a tall lantern in the rain",
                duration_requested=4,
                duration=4,
                aspect_ratio="9:16",
                estimated_credits=100,
            )
        ]
    )
    return lib.update(made[0].id, status="completed", video_path=video, job_id="job_seed")


def _wait(predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


# --- the ratio follows the source ---------------------------------------------------------------------
def test_a_portrait_upload_defaults_the_ratio_to_9_16_until_the_user_picks_one():
    at = _app()
    ratio = at.segmented_control(key="i2v_aspect_ratio")
    assert ratio.value == "16:9"
    _upload(at, _png(720, 1280), "tall.png")
    assert at.segmented_control(key="i2v_aspect_ratio").value == "9:16"
    assert "Sent as 720×1280" in _captions(at)

    at.segmented_control(key="i2v_aspect_ratio").set_value("16:9").run()
    at.run()
    assert at.segmented_control(key="i2v_aspect_ratio").value == "16:9", (
        "the user's pick for this image stays"
    )
    assert "Sent as 720×405" in _captions(at), "cropped to 16:9 (never scaled up)"

    _upload(at, _png(1600, 900), "wide.png")
    assert at.segmented_control(key="i2v_aspect_ratio").value == "16:9"
    _upload(at, _png(900, 1600, (200, 80, 40)), "another-tall.png")
    assert at.segmented_control(key="i2v_aspect_ratio").value == "9:16", "a new image gets its own default"


# --- framing --------------------------------------------------------------------------------------
def test_anchor_top_right_and_zoom_2_frame_the_preview_and_the_take_records_them():
    at = _app()
    data = quadrants()
    _upload(at, data, "quadrants.png")
    before = _preview_url(at)
    assert at.button(key="i2v_anchor_c").proto.type == "primary", "centred until the user moves it"

    at.button(key="i2v_anchor_tr").click().run()
    assert at.button(key="i2v_anchor_tr").proto.type == "primary"
    assert at.button(key="i2v_anchor_c").proto.type == "secondary"
    at.slider(key="i2v_zoom").set_value(2.0).run()
    assert "top right · 2.0× zoom" in _captions(at)
    assert _preview_url(at) != before, "the preview follows the framing"

    take = _generate(at, "the green corner breathes")
    assert take.crop == "1,0,2"
    lib = _studio().library
    assert take.original_file and lib.path(take.original_file).read_bytes() == data, "the original is kept"
    assert colours(lib.path(take.source_file).read_bytes()) == {GREEN}, "the framed image is what is sent"


def test_a_changed_framing_is_a_new_submission_not_a_duplicate():
    at = _app()
    _upload(at, quadrants(), "quadrants.png")
    at.text_area(key="i2v_prompt").input("four colours").run()
    at.button(key="i2v_generate").click().run()
    at.button(key="i2v_anchor_bl").click().run()
    at.button(key="i2v_generate").click().run()
    assert not at.error, [e.value for e in at.error]
    takes = _studio().library.list("demo", mode="image-to-video")
    assert sorted(t.crop or "" for t in takes) == ["", "0,1,1"]


def test_fit_hides_the_anchor_grid_and_sends_no_crop():
    at = _app()
    _upload(at, quadrants(), "quadrants.png")
    at.button(key="i2v_anchor_tr").click().run()
    at.segmented_control(key="i2v_fit").set_value("fit").run()
    keys = {b.key for b in at.button}
    assert not any(str(k).startswith("i2v_anchor_") for k in keys)
    assert not [s for s in at.slider if s.key == "i2v_zoom"]
    take = _generate(at, "letterboxed colours")
    assert take.crop is None
    assert colours(_studio().library.path(take.source_file).read_bytes()) == {RED, GREEN, BLUE, YELLOW}


def test_the_framing_survives_a_visit_to_another_page():
    at = _app()
    at.button(key="i2v_anchor_bl").click().run()
    at.slider(key="i2v_zoom").set_value(1.5).run()
    at.switch_page("app_pages/text_to_video.py").run()
    at.switch_page(PAGE).run()
    assert at.button(key="i2v_anchor_bl").proto.type == "primary"
    assert at.slider(key="i2v_zoom").value == pytest.approx(1.5)


def test_re_framing_a_kept_original_restores_its_framing_and_keeps_the_same_original():
    lib = _studio().library
    data = quadrants()
    original = lib.store_bytes(data, ".png", kind="inputs")
    at = _app({"original_file": original, "crop": "0,1,2", "aspect_ratio": "16:9", "source_name": "q.png"})
    assert any("original image" in m.value for m in at.markdown)
    assert at.button(key="i2v_anchor_bl").proto.type == "primary"
    assert at.slider(key="i2v_zoom").value == pytest.approx(2.0)
    at.button(key="i2v_anchor_br").click().run()
    take = _generate(at, "the yellow corner")
    assert take.original_file == original and take.crop == "1,1,2"
    assert colours(lib.path(take.source_file).read_bytes()) == {YELLOW}


def test_a_missing_kept_original_is_explained_at_the_image():
    at = _app({"original_file": "inputs/" + "0" * 32 + ".png", "crop": "0,0,2"})
    assert any("original image is missing" in e.value for e in at.error)
    at.text_area(key="i2v_prompt").input("nothing to send").run()
    at.button(key="i2v_generate").click().run()
    assert _studio().library.count("demo") == 0


# --- end frame ------------------------------------------------------------------------------------
def _pick_model(at: AppTest, wanted: str) -> None:
    box = at.selectbox(key="i2v_model")
    option = next(o for o in box.options if wanted in o)
    box.select(option).run()


def test_an_end_frame_is_offered_only_by_models_that_take_one_and_is_sent():
    at = _app()
    assert not [u for u in at.get("file_uploader") if u.proto.label.startswith("End frame")], (
        "Sora: no end frame"
    )
    _upload(at, quadrants(), "start.png")
    _pick_model(at, "Kling v3 Standard")
    ends = [u for u in at.get("file_uploader") if u.proto.label == "End frame (optional)"]
    assert ends, "a model with end frames offers one"
    at.file_uploader(key="i2v_end_upload").upload("end.png", _png(900, 1600, YELLOW), "image/png").run()
    assert "End frame" in _captions(at)
    take = _generate(at, "from corners to yellow")
    assert take.end_file
    end = Image.open(io.BytesIO(_studio().library.path(take.end_file).read_bytes()))
    assert end.size == (900, 506), "the tall end frame is cropped to the same 16:9"

    _pick_model(at, "Sora 2 ·")
    assert not [u for u in at.get("file_uploader") if u.proto.label.startswith("End frame")]
    take = _generate(at, "no end frame now")
    assert take.end_file is None, "the end frame is dropped with a model that takes none"


# --- a frame at any time of a take ------------------------------------------------------------------
def test_a_take_is_animated_from_the_frame_chosen_on_the_mini_scrubber():
    source = _seed_take(2.0)
    at = _app(
        {
            "source_take_id": source.id,
            "frame_time": 0.5,
            "aspect_ratio": "9:16",
            "parent_id": source.id,
            "relation": "animate",
        }
    )
    assert any("Animating the frame at 0:00.5 of a take" in m.value for m in at.markdown)
    assert at.slider(key="i2v_frame_time").value == pytest.approx(0.5)
    assert at.segmented_control(key="i2v_aspect_ratio").value == "9:16"
    at.slider(key="i2v_frame_time").set_value(1.2).run()
    assert any("Animating the frame at 0:01.2" in m.value for m in at.markdown)
    take = _generate(at, "the lantern sways")
    assert take.source_take_id == source.id and take.frame_time == pytest.approx(1.2)
    assert take.parent_id == source.id and take.relation == "animate"


def test_animating_a_take_sends_the_framed_frame_not_the_video():
    source = _seed_take(2.0)
    at = _app({"source_take_id": source.id, "frame_time": 1.0, "aspect_ratio": "9:16"})
    take = _generate(at, "the lantern glows")
    lib = _studio().library
    sent = lib.path(take.source_file).read_bytes()
    from studio import media

    frame = media.frame_at(lib.path(source.video_path), 1.0)
    assert sent == media.prepare_image(frame, "9:16").data, "the frame at 1.0 s, framed at 9:16"
    assert sent != media.prepare_image(media.last_frame(lib.path(source.video_path)), "9:16").data


def test_the_end_of_the_mini_scrubber_is_the_last_frame():
    source = _seed_take(2.0)
    at = _app({"source_take_id": source.id, "frame_time": None, "aspect_ratio": "9:16"})
    assert any("Animating the last frame" in m.value for m in at.markdown)
    assert at.slider(key="i2v_frame_time").value == pytest.approx(2.0)
    at.button(key="i2v_source_take_drop").click().run()
    assert [u for u in at.get("file_uploader") if u.proto.label == "Image"], "back to uploading"


# --- the frame scrubber of a take's page ---------------------------------------------------------------
def _picker_script():
    import streamlit as st

    from components import context, frame_picker

    studio = context.get_studio()
    take = studio.library.get(st.session_state["take_id"], account=studio.connection.account)
    real = st.switch_page
    st.switch_page = lambda page: st.session_state.update(switched=str(page))  # no pages in this script
    try:
        frame_picker.render(studio, take)
    finally:
        st.switch_page = real


def test_the_frame_picker_previews_the_chosen_time_and_animates_from_it():
    source = _seed_take(2.0)
    _studio().catalog.wait()
    at = AppTest.from_function(_picker_script, default_timeout=60)
    at.session_state["take_id"] = source.id
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    key = f"frame_pick_{source.id}_time"
    assert at.slider(key=key).value == pytest.approx(2.0)
    first = _preview_url(at)
    at.slider(key=key).set_value(0.4).run()
    assert _preview_url(at) != first, "the preview follows the slider"
    assert at.main.image[-1].captions == ["Frame at 0:00.4 of 0:02.0"]
    go = at.button(key=f"frame_pick_{source.id}_go")
    assert go.label == "Animate from 0:00.4"
    go.click().run()
    assert at.session_state["switched"] == "app_pages/image_to_video.py"
    store = at.session_state["i2v__store"]
    assert store["source_take_id"] == source.id and store["frame_time"] == pytest.approx(0.4)
    assert (
        store["aspect_ratio"] == "9:16" and store["relation"] == "animate" and store["parent_id"] == source.id
    )


def test_clock_shows_minutes_seconds_and_a_tenth():
    from components.frame_picker import clock

    assert clock(3.4) == "0:03.4"
    assert clock(0) == "0:00.0"
    assert clock(61.25) == "1:01.2" or clock(61.25) == "1:01.3"
    assert clock(None) == "0:00.0"
