"""A new user with no key, in a real Chromium against a real `streamlit run` (demo mode)."""

from __future__ import annotations

import time
import uuid

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

SIDEBAR = '[data-testid="stSidebar"]'


def _unique(text: str) -> str:
    return f"{text} {uuid.uuid4().hex[:6]}"


def _takes(server, prompt: str) -> list:
    lib = server.library()
    try:
        return lib.list("demo", search=prompt, limit=10)
    finally:
        lib.close()


def _wait_take(server, prompt: str, status: str | None = "completed", timeout: float = 90.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = _takes(server, prompt)
        if found and (status is None or found[0].status == status):
            return found[0]
        if found and found[0].status in ("failed", "cancelled", "unknown") and status != found[0].status:
            raise AssertionError(f"take ended {found[0].status}: {found[0].error}")
        time.sleep(0.25)
    raise AssertionError(f"no {status or 'any'} take for {prompt!r} within {timeout}s")


def _open(page: Page, server, path: str = "") -> None:
    page.goto(server.url + "/" + path)
    expect(page.locator("h1").first).to_be_visible(timeout=30_000)
    expect(page.locator(SIDEBAR).get_by_text("Demo mode — local previews, not Sora.")).to_be_visible()


def _generate(page: Page, server, prompt: str, *, wait: bool = True):
    _open(page, server)
    page.get_by_label("Prompt").fill(prompt)
    page.get_by_role("button", name="Generate", exact=True).click()
    expect(page.get_by_text("Submitted: 1 take rendering").first).to_be_visible(timeout=20_000)
    return _wait_take(server, prompt) if wait else _wait_take(server, prompt, status=None)


def _completed(server, n: int) -> list:
    lib = server.library()
    try:
        return lib.list("demo", status="completed", model="sora-2", mode="text-to-video", limit=n)
    finally:
        lib.close()


def _ensure_takes(page: Page, server, n: int) -> list:
    while len(_completed(server, n)) < n:
        _generate(page, server, _unique("A quiet harbour at night, lanterns"))
    return _completed(server, n)


def _playing(page: Page, selector: str = "video") -> list[dict]:
    return page.eval_on_selector_all(
        selector,
        "els => els.map(v => ({t: v.currentTime, ready: v.readyState, paused: v.paused}))",
    )


def test_a_text_to_video_take_shows_in_the_tray_then_plays_in_the_gallery(page: Page, studio_server, shot):
    prompt = _unique("A lighthouse at dusk, waves rolling in, slow dolly forward")
    take = _generate(page, studio_server, prompt, wait=False)
    tray = page.locator(SIDEBAR)
    expect(tray.get_by_text(prompt[:30])).to_be_visible(timeout=15_000)
    shot("t2v_submitted_tray")
    take = _wait_take(studio_server, prompt)
    expect(page.get_by_text("Take ready").first).to_be_visible(timeout=30_000)
    expect(tray.locator(f".st-key-tray_done_{take.id}")).to_be_visible(timeout=15_000)

    page.get_by_role("link", name="Gallery").click()
    card = page.locator(f".st-key-gcard_{take.id}")
    expect(card).to_be_visible(timeout=20_000)
    expect(card.locator("img")).to_be_visible()
    shot("gallery_grid")
    page.locator(f".st-key-gopen_{take.id} button").click()
    video = page.locator("video").first
    expect(video).to_be_visible(timeout=20_000)
    page.wait_for_function(
        "() => document.querySelector('video') && document.querySelector('video').readyState >= 2"
    )
    video.evaluate("v => { v.muted = true; return v.play(); }")
    page.wait_for_function("() => document.querySelector('video').currentTime > 0.5", timeout=15_000)
    expect(page.get_by_text(take.job_id)).to_be_visible()
    shot("take_detail_playing")


def test_upload_a_photo_for_image_to_video(page: Page, studio_server, shot, tmp_path):
    from PIL import Image, ImageDraw

    photo = tmp_path / "holiday.png"
    img = Image.new("RGB", (1200, 900), (40, 90, 140))
    draw = ImageDraw.Draw(img)
    for i in range(0, 900, 60):
        draw.rectangle([0, i, 1200, i + 30], fill=(220, 150 + i // 10, 60))
    draw.ellipse([450, 300, 750, 600], fill=(250, 230, 120))
    img.save(photo)

    _open(page, studio_server, "image_to_video")
    page.locator('input[type="file"]').set_input_files(str(photo))
    preview = page.locator(".st-key-i2v_panel img")
    expect(preview).to_be_visible(timeout=20_000)
    expect(page.locator(".st-key-i2v_panel").get_by_text("Sent as 1200×675")).to_be_visible()
    prompt = _unique("Slow push-in, sun glowing, gentle haze")
    page.get_by_label("Prompt").fill(prompt)
    page.get_by_role("button", name="Generate", exact=True).click()
    expect(page.get_by_text("Submitted: 1 take rendering").first).to_be_visible(timeout=20_000)
    shot("i2v_submitted")
    take = _wait_take(studio_server, prompt)
    assert take.mode == "image-to-video" and take.source_file


def test_remix_a_gallery_take(page: Page, studio_server, shot):
    source = _ensure_takes(page, studio_server, 1)[0]
    page.goto(f"{studio_server.url}/gallery?take={source.id}")
    page.get_by_role("button", name="Remix this").click()
    expect(page.locator("h1", has_text="Remix")).to_be_visible(timeout=20_000)
    # The take it came from is the chosen poster, marked as made by Sora.
    chosen = page.locator(f".st-key-remix_src_on_{source.id}")
    expect(chosen).to_be_visible()
    expect(chosen).to_contain_text("Sora")
    expect(page.locator(f".st-key-remix_pick_{source.id}")).to_contain_text("Chosen")
    expect(page.get_by_text("Source length")).to_be_visible()
    prompt = _unique("Turn it into a watercolour at golden hour")
    page.get_by_label("New prompt").fill(prompt)
    page.get_by_role("button", name="Generate", exact=True).click()
    expect(page.get_by_text("Submitted: 1 take rendering").first).to_be_visible(timeout=20_000)
    shot("remix_submitted")
    take = _wait_take(studio_server, prompt)
    assert take.mode == "remix" and take.source_take_id == source.id


def test_double_click_on_generate_makes_one_job(page: Page, studio_server, shot):
    _open(page, studio_server)
    before = studio_server.stats()["creates"]
    prompt = _unique("Snow falling on a pine forest, still camera")
    page.get_by_label("Prompt").fill(prompt)
    page.get_by_label("Prompt").blur()
    page.wait_for_timeout(800)
    page.get_by_role("button", name="Generate", exact=True).dblclick()
    deadline = time.monotonic() + 30
    while studio_server.stats()["creates"] == before and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(3)
    assert studio_server.stats()["creates"] - before == 1
    assert len(_takes(studio_server, prompt)) == 1
    shot("double_click_one_job")


def test_reload_mid_job_keeps_it_in_the_tray_until_done(page: Page, studio_server, shot):
    _open(page, studio_server)
    prompt = _unique("Rain on a neon street at night, slow pan")
    page.get_by_label("Prompt").fill(prompt)
    duration = page.locator('[data-testid="stButtonGroup"]').filter(has=page.get_by_text("Duration", exact=True))
    duration.get_by_text("12 s", exact=True).click()  # a longer render, so the interruption lands mid-job
    page.get_by_role("button", name="Generate", exact=True).click()
    take = _wait_take(studio_server, prompt, status=None)
    page.reload()
    tray = page.locator(SIDEBAR)
    item = tray.locator(f".st-key-tray_open_{take.id}")
    expect(item).to_be_visible(timeout=20_000)
    assert _takes(studio_server, prompt)[0].status != "completed" or item.is_visible()
    shot("reload_mid_job")
    _wait_take(studio_server, prompt, timeout=120)
    expect(tray.locator(f".st-key-tray_done_{take.id}")).to_be_visible(timeout=30_000)
    expect(tray.locator(f".st-key-tray_open_{take.id}")).to_have_count(0)
    shot("reload_then_done")


def test_compare_two_takes_with_one_control(page: Page, studio_server, shot):
    first, second = _ensure_takes(page, studio_server, 2)[:2]
    _open(page, studio_server, "gallery")
    for take in (first, second):
        page.locator(f".st-key-gcmp_{take.id} label").click()
        page.wait_for_timeout(600)
    page.get_by_role("button", name="Compare 2 takes").click()
    expect(page.locator("h1", has_text="Compare 2 takes")).to_be_visible(timeout=20_000)
    videos = page.locator(".st-key-cmp_videos .vc video")
    expect(videos).to_have_count(2)
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('.st-key-cmp_videos video')).every(v => v.readyState >= 2)",
        timeout=20_000,
    )
    page.get_by_role("button", name="Play all").click()
    page.wait_for_timeout(1500)
    states = _playing(page, ".st-key-cmp_videos video")
    assert len(states) == 2
    assert all(s["t"] > 0.3 and not s["paused"] for s in states), states
    assert abs(states[0]["t"] - states[1]["t"]) < 0.5, states
    shot("compare_playing")
    page.get_by_role("button", name="Pause all").click()
    page.wait_for_timeout(400)
    assert all(s["paused"] for s in _playing(page, ".st-key-cmp_videos video"))
    page.get_by_role("button", name="Gallery").click()
    expect(page.locator(".st-key-gallery_compare_bar")).to_be_visible(timeout=20_000)
    shot("gallery_with_selection")


def test_a_deep_link_is_the_first_request_of_a_fresh_server(page: Page, fresh_server, shot):
    page.goto(fresh_server.url + "/gallery")
    expect(page.locator("h1", has_text="Gallery")).to_be_visible(timeout=30_000)
    expect(page.locator(SIDEBAR).get_by_text("Demo mode — local previews, not Sora.")).to_be_visible()
    expect(page.get_by_text("No takes yet — make your first on Text to video")).to_be_visible()
    expect(page.get_by_role("link", name="Text to video")).to_be_visible()
    shot("gallery_empty_first_request")
