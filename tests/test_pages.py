"""Page tests with AppTest: every page renders, creation pages show their estimate and submit once."""

from __future__ import annotations

import hashlib
import json
import re
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import factories

APP = str(Path(__file__).resolve().parents[1] / "studio_frame.py")
PAGES = [
    "app_pages/text_to_video.py",
    "app_pages/image_to_video.py",
    "app_pages/remix.py",
    "app_pages/gallery.py",
]
CREATE = "POST /v2/video"


@pytest.fixture(autouse=True)
def _app_env(monkeypatch: pytest.MonkeyPatch, studio_home: Path):
    """Fast demo jobs, and a fresh hub (library, demo gateway) per test: STUDIO_HOME is per test."""
    monkeypatch.setenv("STUDIO_DEMO_JOB_SECONDS", "0.5")
    monkeypatch.delenv("STUDIO_GATEWAY_PORT", raising=False)
    monkeypatch.delenv("STUDIO_SESSION_BUDGET", raising=False)
    yield
    from components import wiring

    try:
        wiring.hub().stop()
    finally:
        wiring._fallback_hub.clear()


def _studio():
    from components import wiring

    return wiring.hub().studio(None)


def _gateway():
    """The demo gateway the fallback hub started for this test (a real DemoGateway on loopback)."""
    from components import wiring

    hub = wiring.hub()
    hub.gateway_url()
    return hub._gateway


def _stats() -> dict:
    return _gateway().stats()


def _wait(predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def _app(page: str | None = None) -> AppTest:
    _studio().catalog.wait()  # the live catalogue, as a user who has had the page open a moment
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    if page:
        at.switch_page(page).run()
    return at


def _problems(at: AppTest) -> list[str]:
    return [e.value for e in at.exception]


def _estimate(at: AppTest, *, exact: bool = True) -> str:
    """The estimate line above Generate; with `exact`, once the gateway's price has arrived."""
    for _ in range(30):
        bodies = [h.proto.body for h in at.main.html if 'class="vs-estimate"' in h.proto.body]
        if bodies and (not exact or "approx." not in bodies[0]):
            return bodies[0]
        time.sleep(0.2)
        at.run()
    assert bodies, "no estimate line on the page"
    raise AssertionError(f"the estimate stayed approximate: {bodies[0]}")


def _seed(
    n: int = 1,
    *,
    prompt: str = "seeded take",
    model: str = "sora-2",
    duration_requested=None,
    **fields,
) -> list:
    """Completed takes written straight to the library (poster + a real short video)."""
    studio = _studio()
    lib = studio.library
    video = lib.store_bytes(factories.mp4(1.0), ".mp4", kind="videos")
    poster = lib.store_bytes(factories.photo(320, 180), ".jpg", kind="posters")
    from studio.library import NewTake

    takes = []
    for i in range(n):
        made, _ = lib.add_batch(
            [
                NewTake(
                    account="demo",
                    batch_id=f"seed{i}",
                    submission_id=f"seed-{i}-{prompt}",
                    variant_index=0,
                    mode="text-to-video",
                    model=model,
                    prompt=f"{prompt} {i}",
                    duration_requested=duration_requested,
                    duration=4,
                    aspect_ratio="16:9",
                    estimated_credits=100,
                )
            ]
        )
        takes.append(
            lib.update(
                made[0].id,
                status="completed",
                video_path=video,
                poster_path=poster,
                job_id=f"job_{i}",
                **fields,
            )
        )
    return takes


# --- every page renders ---------------------------------------------------------------------------
@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_without_exception(page: str):
    at = _app(page)
    assert not _problems(at)
    assert not at.error
    assert at.title, "each page has a title"
    sidebar_html = " ".join(h.proto.body for h in at.sidebar.html)
    assert "Demo mode — local previews, not Sora" in sidebar_html


def test_gallery_detail_and_compare_views_render_with_takes():
    takes = _seed(3)
    at = _app("app_pages/gallery.py")
    assert not _problems(at)
    assert len([c for c in at.checkbox if c.key and c.key.startswith("gcmp_")]) == 3
    at.button(key=f"gopen_{takes[0].id}").click().run()
    assert not _problems(at)
    assert at.query_params.get("take") in (takes[0].id, [takes[0].id])
    assert at.get("video"), "the take plays"
    assert any(c.value == takes[0].prompt for c in at.code), "the prompt is shown as text"
    at.switch_page("app_pages/gallery.py")
    at.query_params.clear()
    at.run()
    at.checkbox(key=f"gcmp_{takes[0].id}").check().run()
    at.checkbox(key=f"gcmp_{takes[1].id}").check().run()
    at.button(key="gallery_compare_go").click().run()
    assert not _problems(at)
    player = [h.proto.body for h in at.html if 'class="vc"' in h.proto.body]
    assert len(player) == 1, "one block with one clock for all players"
    assert player[0].count("<video ") == 2 and player[0].count('src="/studio-media/') == 2
    assert "Local preview · as Sora 2 · variant 1 · no seed" in player[0], "each player is labelled, honestly"


def test_empty_gallery_invites_a_first_take():
    at = _app("app_pages/gallery.py")
    assert any("No takes yet — make your first on Text to video" in h.proto.body for h in at.html)


def test_gallery_reads_one_page_of_a_large_library():
    from components.gallery_grid import PAGE_SIZE

    _seed(40)
    at = _app("app_pages/gallery.py")
    cards = [c for c in at.checkbox if c.key and c.key.startswith("gcmp_")]
    assert len(cards) == PAGE_SIZE
    assert any(b.key == "gallery_more" for b in at.button)
    at.button(key="gallery_more").click().run()
    assert len([c for c in at.checkbox if c.key and c.key.startswith("gcmp_")]) == 2 * PAGE_SIZE
    at.text_input(key="gallery_search").input("seeded take 7").run()
    shown = [c.key for c in at.checkbox if c.key and c.key.startswith("gcmp_")]
    assert 1 <= len(shown) < PAGE_SIZE


# --- creation pages: estimate first, then exactly one job ---------------------------------------
def test_text_to_video_shows_estimate_then_submits_one_job():
    at = _app()
    assert "1 × 105 = 105 credits · available 5,000 → 4,895 after" in _estimate(at)
    at.text_area(key="t2v_prompt").input("a lighthouse at dusk, waves rolling in").run()
    assert _studio().library.count("demo") == 0
    at.button(key="t2v_generate").click().run()
    assert not _problems(at)
    assert at.success and "Submitted" in at.success[0].value
    assert _studio().library.count("demo") == 1
    _wait(lambda: _stats()["creates"] == 1)
    # The form is usable at once, and the same form again is not a second job.
    at.button(key="t2v_generate").click().run()
    assert at.info and "Already submitted" in at.info[0].value
    assert _studio().library.count("demo") == 1
    time.sleep(0.3)
    assert _stats()["creates"] == 1


def test_new_take_of_the_same_prompt_is_a_second_job():
    at = _app()
    at.text_area(key="t2v_prompt").input("a red kite over dunes").run()
    at.button(key="t2v_generate").click().run()
    at.button(key="t2v_again").click().run()
    at.button(key="t2v_generate").click().run()
    assert at.success
    assert _studio().library.count("demo") == 2


def test_image_to_video_upload_previews_and_submits_one_job():
    at = _app("app_pages/image_to_video.py")
    at.file_uploader(key="i2v_upload").upload("photo.jpg", factories.photo(900, 600), "image/jpeg").run()
    assert not _problems(at)
    assert at.get("imgs") or at.image, "a preview of the framed image"
    assert "1 × 105 = 105 credits" in _estimate(at)
    at.text_area(key="i2v_prompt").input("slow push-in, leaves drifting").run()
    at.button(key="i2v_generate").click().run()
    assert not at.error, [e.value for e in at.error]
    assert _studio().library.count("demo", mode="image-to-video") == 1
    _wait(lambda: _stats()["creates"] == 1)


def test_image_to_video_bad_upload_is_refused_at_the_uploader():
    at = _app("app_pages/image_to_video.py")
    at.file_uploader(key="i2v_upload").upload("photo.png", factories.pdf_bytes(), "image/png").run()
    assert at.error, "the bad file is explained"
    at.text_area(key="i2v_prompt").input("zoom").run()
    at.button(key="i2v_generate").click().run()
    assert _studio().library.count("demo") == 0
    assert _stats()["requests"].get(CREATE, 0) == 0


def test_remix_prefers_a_gallery_take_and_submits_one_job():
    source = _seed(1, prompt="harbour at night")[0]
    at = _app("app_pages/remix.py")
    assert at.button(key=f"remix_pick_{source.id}").label == "Chosen", "the newest take is chosen"
    assert not at.warning, "a Sora-made source needs no warning"
    assert any("Source length" in m.value for m in at.markdown)
    assert "approx. 1 × 27 = 27 credits" in _estimate(at, exact=False), "a remix costs its source's 1 s"
    at.text_area(key="remix_prompt").input("watercolour, golden hour").run()
    at.button(key="remix_generate").click().run()
    assert not at.error, [e.value for e in at.error]
    assert _studio().library.count("demo", mode="remix") == 1
    _wait(lambda: _stats()["creates"] == 1)


def test_remixing_a_non_sora_take_needs_an_explicit_go_ahead():
    _seed(1, prompt="kling shot", model="kling-v3-standard")
    at = _app("app_pages/remix.py")
    assert at.warning and "not made by Sora" in at.warning[0].value
    at.text_area(key="remix_prompt").input("noir").run()
    at.button(key="remix_generate").click().run()
    assert any("Remix it anyway" in e.value for e in at.error)
    assert _studio().library.count("demo", mode="remix") == 0
    at.checkbox(key="remix_ack_non_sora").check().run()
    at.button(key="remix_generate").click().run()
    assert _studio().library.count("demo", mode="remix") == 1


# --- refusals make no API call -------------------------------------------------------------------
def test_over_balance_is_refused_without_an_api_call(monkeypatch: pytest.MonkeyPatch):
    from studio import services

    monkeypatch.setattr(services.Studio, "balance", lambda self, **kw: 150)
    at = _app()
    at.segmented_control(key="t2v_variants").set_value(2).run()
    assert "2 × 105 = 210 credits · available 150 → -60 after" in _estimate(at)
    at.text_area(key="t2v_prompt").input("too expensive").run()
    at.button(key="t2v_generate").click().run()
    assert any("Not enough credits" in e.value for e in at.error)
    assert _studio().library.count("demo") == 0
    assert _stats()["requests"].get(CREATE, 0) == 0


def test_over_session_budget_is_refused_without_an_api_call():
    at = _app()
    at.number_input(key="conn_budget").set_value(50).run()
    at.text_area(key="t2v_prompt").input("over budget").run()
    at.button(key="t2v_generate").click().run()
    assert any("budget" in e.value for e in at.error)
    assert _studio().library.count("demo") == 0
    assert _stats()["creates"] == 0


def test_empty_prompt_shows_a_message_and_makes_no_call():
    at = _app()
    at.button(key="t2v_generate").click().run()
    assert any("Write a prompt first" in e.value for e in at.error)
    assert not _problems(at)
    assert _studio().library.count("demo") == 0
    assert _stats()["requests"].get(CREATE, 0) == 0


def test_pro_model_asks_for_confirmation_before_spending():
    at = _app()
    at.selectbox(key="t2v_model").set_value("sora_2_pro").run()
    at.text_area(key="t2v_prompt").input("a glacier calving, 1080p").run()
    at.button(key="t2v_generate").click().run()
    assert any(b.key == "t2v_confirm_go" for b in at.button), "a confirmation dialog"
    assert _studio().library.count("demo") == 0
    at.button(key="t2v_confirm_go").click().run()
    assert _studio().library.count("demo") == 1


# --- reuse, text safety, the key -----------------------------------------------------------------
def test_reuse_settings_prefills_the_form_and_says_when_the_duration_snapped():
    take = _seed(1, prompt="reuse me", duration_requested=5)[0]
    at = _app("app_pages/gallery.py")
    at.button(key=f"gopen_{take.id}").click().run()
    at.button(key="detail_reuse").click().run()
    at.switch_page("app_pages/text_to_video.py").run()
    assert at.text_area(key="t2v_prompt").value == take.prompt
    assert at.pills(key="t2v_duration").value == 4
    assert any("5 s became 4 s" in c.value for c in at.caption)


def test_prompts_are_shown_as_text_never_as_html():
    take = _seed(1, prompt='<img src=x onerror="alert(1)"><b>bold</b>')[0]
    at = _app("app_pages/gallery.py")
    for h in at.html:
        assert "<img src=x" not in h.proto.body
        assert "<b>bold</b>" not in h.proto.body
    at.button(key=f"gopen_{take.id}").click().run()
    assert any(c.value == take.prompt for c in at.code)
    for h in at.html:
        assert "<img src=x" not in h.proto.body


def test_a_typed_key_never_appears_in_the_page(monkeypatch: pytest.MonkeyPatch):
    import dataclasses

    from components import wiring

    hub = wiring.hub()
    hub.settings = dataclasses.replace(hub.settings, base_url=_gateway().v2_url)  # a "real" varg here
    secret = "varg_live_SECRET_1234567890abcdef"
    at = _app()
    at.text_input(key="conn_key_input").input(secret).run()
    assert not _problems(at)
    assert any("Connected to varg" in h.proto.body for h in at.sidebar.html)
    assert at.text_input(key="conn_key_input").value == ""
    at.run()
    assert secret not in _everything(at._tree)
    assert secret not in json.dumps(at.query_params)


def _everything(node) -> str:
    """Every proto in the element tree, as text."""
    parts = [str(getattr(node, "proto", "") or "")]
    for child in getattr(node, "children", {}).values():
        parts.append(_everything(child))
    return "\n".join(parts)


# --- tray, favourite, delete -----------------------------------------------------------------------
def _pending(prompt: str = "waiting take"):
    from studio.library import NewTake

    made, _ = _studio().library.add_batch(
        [
            NewTake(
                account="demo",
                batch_id="pending",
                submission_id=f"pending-{prompt}",
                variant_index=0,
                mode="text-to-video",
                model="sora-2",
                prompt=prompt,
                duration_requested=4,
                duration=4,
                aspect_ratio="16:9",
                estimated_credits=100,
            )
        ]
    )
    return made[0]


def test_tray_ticks_only_while_something_is_open_and_cancels(monkeypatch: pytest.MonkeyPatch):
    import streamlit as st

    from components import job_tray

    intervals: list = []
    real = st.fragment

    def spy(func=None, *, run_every=None, **kw):
        intervals.append(run_every)
        return real(func, run_every=run_every, **kw)

    monkeypatch.setattr(job_tray.st, "fragment", spy)
    at = _app()
    assert intervals[-1] is None, "idle tray: no timer"
    take = _pending()  # written after the studio started, so nothing follows it
    at.run()
    assert intervals[-1] == job_tray.TICK_SECONDS
    assert any(b.key == f"tray_cancel_{take.id}" for b in at.sidebar.button)
    at.sidebar.button(key=f"tray_cancel_{take.id}").click().run()
    assert _studio().library.get(take.id).status == "cancelled"
    assert any("Cancelled" in t.value for t in at.toast), "the finish is announced"
    assert intervals[-1] is None, "the timer stops once nothing is open"
    at.run()
    assert not any("Cancelled" in t.value for t in at.toast), "announced once"


def test_favourite_and_delete_from_the_take_page():
    take = _seed(1, prompt="keep or drop")[0]
    at = _app("app_pages/gallery.py")
    at.button(key=f"gopen_{take.id}").click().run()
    at.button(key="detail_fav").click().run()
    assert _studio().library.get(take.id).favourite
    at.button(key="detail_delete").click().run()
    assert _studio().library.get(take.id) is not None, "nothing is deleted before confirming"
    at.button(key="detail_delete_go").click().run()
    assert _studio().library.get(take.id) is None
    assert not _problems(at)


def test_animate_last_frame_fills_image_to_video_with_the_take():
    take = _seed(1, prompt="a frame to animate")[0]
    at = _app("app_pages/gallery.py")
    at.button(key=f"gopen_{take.id}").click().run()
    at.button(key="detail_animate").click().run()
    at.switch_page("app_pages/image_to_video.py").run()
    assert not _problems(at)
    assert any("Animating the last frame" in m.value for m in at.markdown)
    assert at.image, "a preview of the last frame at the chosen ratio"
    at.text_area(key="i2v_prompt").input("the camera drifts on").run()
    at.button(key="i2v_generate").click().run()
    assert not at.error, [e.value for e in at.error]
    made = _studio().library.list("demo", mode="image-to-video")
    assert len(made) == 1 and made[0].source_take_id == take.id


def test_remixing_an_upload_warns_and_submits_after_the_go_ahead():
    at = _app("app_pages/remix.py")
    at.segmented_control(key="remix_source_kind").set_value("upload").run()
    at.file_uploader(key="remix_upload").upload("clip.mp4", factories.mp4(1.0), "video/mp4").run()
    assert not _problems(at)
    assert at.warning and "not made by Sora" in at.warning[0].value
    assert any("Source length" in m.value for m in at.markdown)
    at.text_area(key="remix_prompt").input("sepia, vintage").run()
    at.checkbox(key="remix_ack_non_sora").check().run()
    at.button(key="remix_generate").click().run()
    assert not at.error, [e.value for e in at.error]
    assert _studio().library.count("demo", mode="remix") == 1


def test_reuse_settings_of_an_image_take_brings_its_image_back():
    at = _app("app_pages/image_to_video.py")
    at.file_uploader(key="i2v_upload").upload("photo.jpg", factories.photo(900, 600), "image/jpeg").run()
    at.segmented_control(key="i2v_aspect_ratio").set_value("9:16").run()
    at.text_area(key="i2v_prompt").input("portrait push-in").run()
    at.button(key="i2v_generate").click().run()
    take = _studio().library.list("demo", mode="image-to-video")[0]
    assert take.source_file
    take = _wait(lambda: (t := _studio().library.get(take.id, account="demo")) and t.is_done and t)
    at.switch_page("app_pages/gallery.py")
    at.query_params["take"] = take.id
    at.run()
    at.button(key="detail_reuse").click().run()
    at.switch_page("app_pages/image_to_video.py")
    at.query_params.clear()
    at.run()
    assert not _problems(at)
    assert any("image of a take" in m.value or "image of an earlier take" in m.value for m in at.markdown)
    assert at.segmented_control(key="i2v_aspect_ratio").value == "9:16"
    assert at.text_area(key="i2v_prompt").value == "portrait push-in"
    assert at.image, "the stored image is previewed"


# --- varg v2: exact prices, seeds, real progress, a model gone ---------------------------------------
def test_the_exact_price_follows_duration_and_variants():
    at = _app()
    assert at.selectbox(key="t2v_model").value == "sora_2", "the catalogue's default"
    first = _estimate(at)
    assert "1 × 105 = 105 credits · available 5,000 → 4,895 after" in first
    assert "approx." not in first
    at.pills(key="t2v_duration").set_value(8).run()
    assert "1 × 210 = 210 credits · available 5,000 → 4,790 after" in _estimate(at)
    at.segmented_control(key="t2v_variants").set_value(2).run()
    assert "2 × 210 = 420 credits · available 5,000 → 4,580 after" in _estimate(at)
    assert any(r.startswith("POST /v2/estimate") for r in _stats()["requests"]), "priced by the gateway"
    assert _stats()["creates"] == 0


def test_a_range_model_gets_a_slider_a_seed_and_native_audio():
    at = _app()
    at.selectbox(key="t2v_model").set_value("kling_v3").run()
    assert not _problems(at)
    assert at.slider(key="t2v_duration").value == 4, "Sora's 4 s carries over: Kling renders 3 to 15 s"
    assert at.segmented_control(key="t2v_seed_mode").value == "random"
    assert any(t.label == "Native audio" for t in at.toggle)
    at.slider(key="t2v_duration").set_value(10).run()
    assert "1 × 442 = 442 credits" in _estimate(at)
    at.selectbox(key="t2v_model").set_value("sora_2").run()
    assert not [w for w in at.segmented_control if w.key == "t2v_seed_mode"], "Sora takes no seed"
    assert at.pills(key="t2v_duration").value == 8, "10 s is not a Sora length: the nearest one"


def test_two_variants_of_a_seeded_model_are_two_different_videos():
    at = _app()
    at.selectbox(key="t2v_model").set_value("kling_v3").run()
    at.slider(key="t2v_duration").set_value(3).run()
    at.segmented_control(key="t2v_seed_mode").set_value("fixed").run()
    at.number_input(key="t2v_seed").set_value(1234).run()
    at.segmented_control(key="t2v_variants").set_value(2).run()
    assert any("1234, 1235" in c.value for c in at.caption), "variants get distinct seeds"
    at.text_area(key="t2v_prompt").input("a paper boat on a rain puddle").run()
    at.button(key="t2v_generate").click().run()
    assert any(b.key == "t2v_confirm_go" for b in at.button), "multi-variant asks first"
    assert not any("cached video" in w.value for w in at.warning), "seeded variants are not identical"
    at.button(key="t2v_confirm_go").click().run()
    studio = _studio()

    def done():
        takes = studio.library.list("demo")
        return takes if len(takes) == 2 and all(t.status == "completed" for t in takes) else None

    takes = _wait(done, timeout=90)
    assert sorted(t.seed for t in takes) == [1234, 1235]
    digests = {hashlib.sha256(studio.library.path(t.video_path).read_bytes()).hexdigest() for t in takes}
    assert len(digests) == 2, "two different videos"
    assert all(t.billed_credits == t.estimated_credits == 133 for t in takes)


def test_identical_variants_are_announced_before_anything_is_spent():
    at = _app()
    at.segmented_control(key="t2v_variants").set_value(2).run()
    at.text_area(key="t2v_prompt").input("a fox in snow").run()
    at.button(key="t2v_generate").click().run()
    assert any(b.key == "t2v_confirm_go" for b in at.button)
    assert any("ONE cached video" in w.value for w in at.warning)
    assert _studio().library.count("demo") == 0
    assert _stats()["creates"] == 0


def test_a_too_long_prompt_is_kept_and_explained_at_the_field():
    at = _app()
    long_prompt = "a very long shot description " * 80  # 2,400 characters; Sora takes 2,000
    at.text_area(key="t2v_prompt").input(long_prompt).run()
    assert at.text_area(key="t2v_prompt").value == long_prompt, "never cut"
    assert any("at most 2,000" in e.value for e in at.error)
    at.button(key="t2v_generate").click().run()
    assert any("Shorten it by" in e.value for e in at.error)
    assert _studio().library.count("demo") == 0
    assert _stats()["creates"] == 0


def test_the_tray_shows_real_progress_and_never_a_made_up_one():
    moving = _pending("half way")
    _studio().library.update(moving.id, status="processing", progress=0.4, progress_message="rendering")
    waiting = _pending("no news yet")
    _studio().library.update(waiting.id, status="queued")
    at = _app()
    bars = at.sidebar.get("progress")
    assert len(bars) == 1, "only the take with real progress has a bar"
    assert bars[0].proto.value == 40
    assert "rendering" in bars[0].proto.text
    assert any("Queued at varg" in c.value for c in at.sidebar.caption)


def test_the_sidebar_shows_available_and_reserved():
    at = _app()
    assert any("Available <b>5,000</b> · reserved <b>0</b>" in h.proto.body for h in at.sidebar.html)


def test_take_card_and_page_show_estimated_and_billed_credits_and_the_seed():
    billed, cached = _seed(2, prompt="money", model="kling_v3", duration_requested=5)
    studio = _studio()
    studio.library.update(billed.id, billed_credits=221, estimated_credits=221, seed=42)
    studio.library.update(cached.id, cache_hit=True, billed_credits=0)
    at = _app("app_pages/gallery.py")
    cards = " ".join(h.proto.body for h in at.main.html)
    assert "est. 221 · billed 221 · seed 42" in cards
    assert "free (cached)" in cards
    at.button(key=f"gopen_{billed.id}").click().run()
    page = " ".join(h.proto.body for h in at.main.html)
    assert "est. 221 · billed 221" in page
    assert "Kling" in at.title[0].value, "an old dashed id shows its label"


def test_reuse_keeps_the_seed_and_lock_seed_keeps_it_for_a_new_prompt():
    take = _seed(1, prompt="same seed please", model="kling_v3", duration_requested=5)[0]
    _studio().library.update(take.id, seed=777)
    at = _app("app_pages/gallery.py")
    at.button(key=f"gopen_{take.id}").click().run()
    at.button(key="detail_reuse").click().run()
    at.switch_page("app_pages/text_to_video.py").run()
    assert at.selectbox(key="t2v_model").value == "kling_v3"
    assert at.segmented_control(key="t2v_seed_mode").value == "fixed"
    assert at.number_input(key="t2v_seed").value == 777
    at.switch_page("app_pages/gallery.py")
    at.query_params["take"] = take.id
    at.run()
    at.button(key="detail_lock_seed").click().run()
    at.switch_page("app_pages/text_to_video.py")
    at.query_params.clear()
    at.run()
    assert at.text_area(key="t2v_prompt").value == take.prompt
    assert at.number_input(key="t2v_seed").value == 777
    assert any("seed 777 locked" in h.proto.body for h in at.main.html), "the branch chip says so"


def test_reusing_a_take_of_a_model_varg_no_longer_offers_proposes_another():
    take = _seed(1, prompt="an old model", model="veo-2")[0]
    at = _app("app_pages/gallery.py")
    at.button(key=f"gopen_{take.id}").click().run()
    at.button(key="detail_reuse").click().run()
    at.switch_page("app_pages/text_to_video.py").run()
    assert not _problems(at)
    assert any("does not offer now" in w.value for w in at.warning)
    alt = at.button(key="t2v_use_alt_gone")
    assert alt.label.startswith("Use ") and alt.label.endswith(" instead")
    alt.click().run()
    assert not any("does not offer now" in w.value for w in at.warning)
    assert at.text_area(key="t2v_prompt").value == take.prompt


def test_when_sora_is_gone_it_is_shown_unavailable_and_nothing_is_charged():
    gateway = _gateway()
    at = _app()
    before = _studio().funds(max_age=0).available
    gateway.faults.update({"sora_gone": True})
    at.text_area(key="t2v_prompt").input("a lighthouse, if Sora were here").run()
    # varg lists Sora but refuses it: the studio learns it at the estimate (or a create), and says so.
    studio = _studio()

    def learnt():
        model = studio.catalog.current().find("sora_2")
        return model is not None and not model.available

    _wait(learnt, timeout=30)
    at.run()
    assert not _problems(at)
    assert "(not available on varg now)" in at.selectbox(key="t2v_model").format_func("sora_2")
    assert any("not available on varg now" in w.value for w in at.warning)
    assert at.button(key="t2v_generate").disabled, "never submitted"
    alt = at.button(key="t2v_use_alt")
    assert alt.label.startswith("Use ") and alt.label != "Use Sora 2 instead"
    assert studio.library.list("demo") == [], "nothing was sent"
    assert studio.funds(max_age=0).available == before, "balance unchanged"
    alt.click().run()
    assert at.selectbox(key="t2v_model").value != "sora_2"
    assert not at.button(key="t2v_generate").disabled


# --- adversarial findings (issue 9) ---------------------------------------------------------------
def _live_hub():
    """Point the app's hub at the demo gateway's v2 URL as if it were varg (any typed key works)."""
    import dataclasses

    from components import wiring

    hub = wiring.hub()
    hub.settings = dataclasses.replace(hub.settings, base_url=_gateway().v2_url)
    return hub


def _sidebar_text(at: AppTest) -> str:
    return " ".join([h.proto.body for h in at.sidebar.html] + [e.value for e in at.sidebar.error])


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("varg_live_ab\u200bcdef0123456789", "invisible character"),
        ("varg_live_\u00e9t\u00e90123456789", "a character a key never has"),
        ("varg_live_abcd\nef0123456789", "line break or space"),
        ("varg_live_\u043a\u043b\u044e\u04470123456789", "a character a key never has"),
    ],
)
def test_a_malformed_key_is_refused_at_the_key_field_and_nothing_is_sent(typed: str, said: str):
    hub = _live_hub()
    at = _app()
    before = len(hub._studios)
    at.text_input(key="conn_key_input").input(typed).run()
    assert not _problems(at)
    errors = [e.value for e in at.sidebar.error]
    assert any(said in e and "was not sent" in e for e in errors), errors
    text = _sidebar_text(at)
    assert "Connected to varg" not in text
    assert "cannot reach" not in text.lower() and "charged" not in text
    assert len(hub._studios) == before, "no connection was made for the malformed key"
    assert at.text_input(key="conn_key_input").value == "", "the bad key is not kept in the field"


def test_a_typed_key_is_checked_before_the_sidebar_says_connected(monkeypatch: pytest.MonkeyPatch):
    from studio import services

    _live_hub()
    real = services.Studio.balance

    def slow(self, **kw):
        if not self.connection.demo:
            time.sleep(3.0)
        return real(self, **kw)

    monkeypatch.setattr(services.Studio, "balance", slow)
    at = _app()
    at.text_input(key="conn_key_input").input("varg_live_slow_0123456789abcdef").run()
    text = _sidebar_text(at)
    assert "Checking the key…" in text
    assert "Connected to varg" not in text
    for _ in range(40):
        time.sleep(0.2)
        at.run()
        if "Connected to varg (v2)" in _sidebar_text(at):
            break
    assert "Connected to varg (v2)" in _sidebar_text(at)


def test_a_refused_key_says_so_instead_of_connected(monkeypatch: pytest.MonkeyPatch):
    from studio import services
    from studio.errors import AuthError

    _live_hub()
    real = services.Studio.balance

    def refuse(self, **kw):
        if not self.connection.demo:
            raise AuthError("Invalid API key", status=401)
        return real(self, **kw)

    monkeypatch.setattr(services.Studio, "balance", refuse)
    at = _app()
    at.text_input(key="conn_key_input").input("varg_live_refused_0123456789ab").run()
    text = _sidebar_text(at)
    assert "The key was refused" in text
    assert "Connected to varg" not in text


def test_the_public_demo_key_typed_in_is_demo_mode_and_labelled_so():
    _live_hub()
    at = _app()
    at.text_input(key="conn_key_input").input("  varg_demo_local  ").run()
    text = _sidebar_text(at)
    assert "Demo mode — local previews, not Sora" in text and "public demo key" in text
    assert "Connected to varg" not in text


def test_a_missing_video_file_is_explained_instead_of_a_dead_download():
    take = _seed(1, prompt="file gone")[0]
    path = _studio().library.path(take.video_path)
    path.unlink()
    at = _app("app_pages/gallery.py")
    at.button(key=f"gopen_{take.id}").click().run()
    assert not _problems(at)
    warned = [w.value for w in at.warning]
    assert any("The video file of this take is missing from" in w for w in warned), warned
    assert any(str(path.parent) in re.sub(r"\\(.)", r"\1", w) for w in warned), "it names the folder"
    assert not at.get("download_button"), "no Download that does nothing"
    assert not at.get("video")


def test_session_spend_and_budget_survive_a_reload_and_a_clock_step(monkeypatch: pytest.MonkeyPatch):
    at = _app()
    sid = at.query_params.get("s")
    sid = sid[0] if isinstance(sid, list) else sid
    assert sid and len(sid) >= 8, "each browser session gets an id in the URL"
    at.number_input(key="conn_budget").set_value(5000).run()
    budget = at.query_params.get("b")
    assert (budget[0] if isinstance(budget, list) else budget) == "5000"
    at.text_area(key="t2v_prompt").input("spend survives a reload").run()
    at.button(key="t2v_generate").click().run()
    take = _studio().library.list("demo")[0]
    assert take.session_id == sid

    def spent(app: AppTest) -> str:
        return next(m.value for m in app.metric if m.label == "This session")

    assert spent(at) == "105"
    # A reload: a new script run with the same URL (a new Streamlit session, same browser session).
    again = AppTest.from_file(APP, default_timeout=60)
    again.query_params["s"] = sid
    again.query_params["b"] = "5000"
    again.run()
    assert spent(again) == "105", "the spend survives a reload"
    assert again.number_input(key="conn_budget").value == 5000, "so does the budget"
    # The wall clock steps back a day: the session's spend does not depend on it.
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() - 86400)
    again.run()
    monkeypatch.setattr(time, "time", real)
    assert spent(again) == "105"
    # Another browser session (no id in its URL) has spent nothing.
    other = AppTest.from_file(APP, default_timeout=60)
    other.run()
    assert spent(other) == "0"


def test_a_take_waiting_for_a_free_follower_says_how_many_are_ahead(monkeypatch: pytest.MonkeyPatch):
    from studio.jobs import JobManager

    take = _pending("in the queue")
    monkeypatch.setattr(JobManager, "waiting", lambda self, take_id: 2 if take_id == take.id else None)
    at = _app()
    assert any("Waiting for a free slot (2 ahead)" in c.value for c in at.sidebar.caption)


def _ambiguous(prompt: str, candidates: str):
    take = _pending(prompt)
    return _studio().library.update(
        take.id,
        status="unknown",
        candidates=candidates,
        error="The gateway's answer was lost (timeout). varg shows one sora-2 job started 1 s after "
        "your click. Is it yours? Keep it to follow and download it; it was not sent again.",
    )


def test_an_ambiguous_create_asks_is_it_yours_on_the_take_page_and_keeps_it(monkeypatch: pytest.MonkeyPatch):
    from studio.jobs import JobManager

    take = _ambiguous("whose job is it", "job_cand_1")
    kept: list = []
    monkeypatch.setattr(JobManager, "adopt", lambda self, tid, jid: kept.append((tid, jid)))
    at = _app("app_pages/gallery.py")
    at.query_params["take"] = take.id
    at.run()
    assert not _problems(at)
    assert any("Is it yours?" in w.value and "job\\_cand\\_1" in w.value for w in at.main.warning)
    keep = at.main.button(key=f"detail_adopt_{take.id}_0")
    assert keep.label == "Keep it — it's mine"
    assert at.main.button(key=f"detail_disown_{take.id}").label == "Not mine"
    keep.click().run()
    assert kept == [(take.id, "job_cand_1")]


def test_the_tray_asks_too_and_lists_each_candidate_with_its_own_keep(monkeypatch: pytest.MonkeyPatch):
    from studio.jobs import JobManager

    take = _ambiguous("two candidates", "job_a1, job_b2")
    kept: list = []
    monkeypatch.setattr(JobManager, "adopt", lambda self, tid, jid: kept.append(jid))
    at = _app()
    assert any("Is it yours?" in c.value and "job\\_a1" in c.value for c in at.sidebar.caption)
    labels = [b.label for b in at.sidebar.button if b.key and b.key.startswith(f"tray_adopt_{take.id}")]
    assert labels == ["Keep job\\_a1 — it's mine", "Keep job\\_b2 — it's mine"]
    at.sidebar.button(key=f"tray_adopt_{take.id}_1").click().run()
    assert kept == ["job_b2"]
    at.sidebar.button(key=f"tray_disown_{take.id}").click().run()
    after = _studio().library.get(take.id)
    assert after.status == "unknown" and not after.candidates, "Not mine leaves it unknown, honestly"


def test_cancel_says_refunded_only_when_the_take_is_cancelled(monkeypatch: pytest.MonkeyPatch):
    from studio.jobs import JobManager

    take = _pending("finished first")
    real_cancel = JobManager.cancel

    def finished_first(self, take_id):
        return self.library.update(take_id, status="completed")

    monkeypatch.setattr(JobManager, "cancel", finished_first)
    at = _app()
    at.sidebar.button(key=f"tray_cancel_{take.id}").click().run()
    toasts = [t.value for t in at.toast]
    assert any("It finished before the cancel reached varg; the video is kept." in t for t in toasts), toasts
    assert not any("refunded" in t for t in toasts)
    # A real cancel that varg confirms: now, and only now, the toast says refunded.
    monkeypatch.setattr(JobManager, "cancel", real_cancel)
    other = _pending("really cancelled")
    at.run()
    at.sidebar.button(key=f"tray_cancel_{other.id}").click().run()
    assert _studio().library.get(other.id).status == "cancelled"
    assert any("Credits for a cancelled job are refunded." in t.value for t in at.toast)


def test_a_seed_error_shows_at_the_seed_field():
    from components.errors import FIELD_SLOTS

    assert FIELD_SLOTS["seed"] == "seed"


# --- frictions a new user met (issue: "fix first") ------------------------------------------------
def test_every_field_survives_a_page_switch_even_one_that_arrives_with_the_switch():
    at = _app()
    at.text_area(key="t2v_prompt").input("a lighthouse, twenty seconds")
    at.pills(key="t2v_duration").set_value(20)
    at.segmented_control(key="t2v_aspect_ratio").set_value("9:16")
    at.segmented_control(key="t2v_variants").set_value(3)
    at.toggle(key="t2v_audio").set_value(True)
    # The values are sent with the page switch itself: the form's page never runs with them.
    at.switch_page("app_pages/remix.py").run()
    at.switch_page("app_pages/text_to_video.py").run()
    assert not _problems(at)
    assert at.text_area(key="t2v_prompt").value == "a lighthouse, twenty seconds"
    assert at.pills(key="t2v_duration").value == 20
    assert at.segmented_control(key="t2v_aspect_ratio").value == "9:16"
    assert at.segmented_control(key="t2v_variants").value == 3
    assert at.toggle(key="t2v_audio").value is True
    at.selectbox(key="t2v_model").set_value("kling_v3").run()
    at.slider(key="t2v_duration").set_value(13)
    at.segmented_control(key="t2v_seed_mode").set_value("fixed").run()
    at.number_input(key="t2v_seed").set_value(4321)
    at.switch_page("app_pages/gallery.py").run()
    at.switch_page("app_pages/text_to_video.py").run()
    assert at.selectbox(key="t2v_model").value == "kling_v3"
    assert at.slider(key="t2v_duration").value == 13
    assert at.segmented_control(key="t2v_seed_mode").value == "fixed"
    assert at.number_input(key="t2v_seed").value == 4321


@pytest.mark.parametrize(
    ("model", "seconds", "widget"), [("sora_2", 20, "pills"), ("kling_v3", 13, "slider")]
)
def test_reuse_settings_brings_back_every_field(model: str, seconds: int, widget: str):
    take = _seed(1, prompt="reuse all of me", model=model, duration_requested=seconds)[0]
    _studio().library.update(take.id, aspect_ratio="9:16", audio=True, seed=4321 if model == "kling_v3" else None)
    at = _app()
    at.pills(key="t2v_duration").set_value(8).run()  # the form had other values before
    at.switch_page("app_pages/gallery.py")
    at.query_params["take"] = take.id
    at.run()
    at.button(key="detail_reuse").click().run()
    at.switch_page("app_pages/text_to_video.py")
    at.query_params.clear()
    at.run()
    assert not _problems(at)
    assert at.selectbox(key="t2v_model").value == model
    assert getattr(at, widget)(key="t2v_duration").value == seconds
    assert at.segmented_control(key="t2v_aspect_ratio").value == "9:16"
    assert at.segmented_control(key="t2v_variants").value == 1
    assert at.toggle(key="t2v_audio").value is True
    assert at.text_area(key="t2v_prompt").value == take.prompt
    if model == "kling_v3":
        assert at.number_input(key="t2v_seed").value == 4321


def test_a_reused_take_is_the_parent_of_the_next_one_until_a_new_idea():
    take = _seed(1, prompt="the parent shot", model="kling_v3_standard", duration_requested=5)[0]
    at = _app("app_pages/gallery.py")
    at.query_params["take"] = take.id
    at.run()
    at.button(key="detail_reuse").click().run()
    at.switch_page("app_pages/text_to_video.py")
    at.query_params.clear()
    at.run()
    chip = " ".join(h.proto.body for h in at.main.html if "Branching from" in h.proto.body)
    assert "the parent shot 0" in chip
    at.text_area(key="t2v_prompt").input("the parent shot, at night").run()
    at.button(key="t2v_generate").click().run()
    child = next(t for t in _studio().library.list("demo") if t.id != take.id)
    assert (child.parent_id, child.relation) == (take.id, "reuse")
    assert child.idea_id == take.idea_id, "the child belongs to its parent's idea"
    at.button(key="t2v_new_idea").click().run()
    assert not any("Branching from" in h.proto.body for h in at.main.html)
    at.text_area(key="t2v_prompt").input("something else entirely").run()
    at.button(key="t2v_generate").click().run()
    fresh = _studio().library.list("demo", search="something else entirely")[0]
    assert fresh.parent_id is None and fresh.relation is None


def test_a_rejected_parent_gives_its_reasons_as_hints_under_the_prompt():
    take = _seed(1, prompt="jittery shot", model="kling_v3", duration_requested=5)[0]
    _studio().library.set_verdict(take.id, "reject", ["motion", "framing"], "too shaky")
    at = _app("app_pages/gallery.py")
    at.query_params["take"] = take.id
    at.run()
    at.button(key="detail_reuse").click().run()
    at.switch_page("app_pages/text_to_video.py")
    at.query_params.clear()
    at.run()
    hints = " ".join(h.proto.body for h in at.main.html if "vs-hints" in h.proto.body)
    assert "Motion" in hints and "Framing" in hints and "too shaky" in hints


def test_ctrl_enter_is_wired_to_this_forms_prompt_and_generate_and_said_next_to_it():
    at = _app()
    scripts = [h.proto.body for h in at.main.html if "keydown" in h.proto.body]
    assert scripts and "st-key-t2v_prompt" in scripts[0] and "st-key-t2v_generate" in scripts[0]
    assert any("Ctrl+Enter" in c.value for c in at.main.caption)


def test_the_gallery_link_leaves_a_take_and_old_take_links_still_open_it():
    take = _seed(1, prompt="deep link")[0]
    at = _app("app_pages/library.py")
    assert any(b.key == f"gopen_{take.id}" for b in at.button), "the nav's Gallery is the grid"
    at.query_params["take"] = take.id  # an old /gallery?take=<id> link
    at.run()
    assert not _problems(at)
    assert any(b.key == "detail_reuse" for b in at.button), "the take view opened"
    at.switch_page("app_pages/library.py")  # the sidebar link: another page, so no ?take=
    at.query_params.clear()
    at.run()
    assert any(b.key == f"gopen_{take.id}" for b in at.button)
    assert not any(b.key == "detail_reuse" for b in at.button)


def test_remix_sources_are_posters_and_only_a_sora_remix_warns_about_non_sora_sources():
    kling = _seed(1, prompt="kling shot", model="kling-v3-standard")[0]
    sora = _seed(1, prompt="sora shot")[0]
    at = _app("app_pages/remix.py")
    assert at.button(key=f"remix_pick_{sora.id}").label == "Chosen"
    assert at.button(key=f"remix_pick_{kling.id}").label == "Remix this"
    assert at.get("imgs") or at.image, "posters"
    assert any("vs-chip sora" in h.proto.body for h in at.main.html)
    assert not at.warning
    at.button(key=f"remix_pick_{kling.id}").click().run()
    assert at.button(key=f"remix_pick_{kling.id}").label == "Chosen"
    assert at.selectbox(key="remix_model").value == "sora_2_remix"
    assert any("not made by Sora" in w.value for w in at.warning)
    assert at.checkbox(key="remix_ack_non_sora")
    at.selectbox(key="remix_model").set_value("grok_imagine_edit").run()
    assert not _problems(at)
    assert not any("Sora" in w.value for w in at.warning), "Grok's edit model takes any video"
    assert not [c for c in at.checkbox if c.key == "remix_ack_non_sora"]
    keys = {w.key for w in [*at.pills, *at.slider, *at.segmented_control]}
    assert "remix_duration" not in keys and "remix_aspect_ratio" not in keys, "it keeps the source's"
    at.text_area(key="remix_prompt").input("noir").run()
    at.button(key="remix_generate").click().run()
    made = _studio().library.list("demo", mode="remix")
    assert len(made) == 1 and (made[0].parent_id, made[0].relation) == (kling.id, "remix")


def test_remix_shows_more_posters_on_request_and_previews_an_upload():
    _seed(14, prompt="many")
    at = _app("app_pages/remix.py")
    assert len([b for b in at.button if b.key and b.key.startswith("remix_pick_")]) == 12
    at.button(key="remix_src_more").click().run()
    assert len([b for b in at.button if b.key and b.key.startswith("remix_pick_")]) == 14
    at.segmented_control(key="remix_source_kind").set_value("upload").run()
    at.file_uploader(key="remix_upload").upload("clip.mp4", factories.mp4(1.0), "video/mp4").run()
    assert not _problems(at)
    assert at.get("video"), "the uploaded video plays before it is sent"


def test_reset_demo_credits_tops_the_demo_balance_up_again():
    studio = _studio()
    from studio.api.request import VideoRequest

    studio.backend.create(VideoRequest(model="sora_2", prompt="spend some", duration=20), idempotency_key="spend-1")
    studio.forget_balance()
    assert studio.balance() < 5000
    at = _app()
    button = at.button(key="demo_reset_credits")
    assert "Demo mode only" in (button.proto.help or "")
    button.click().run()
    assert not _problems(at)
    assert _studio().balance() == 5000, "5,000 available again; the open job keeps its reservation"
    assert any("Demo credits reset: 5,000 available" in t.value for t in at.toast)
