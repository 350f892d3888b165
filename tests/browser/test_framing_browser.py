"""A new user frames an upload for image to video in a real Chromium: anchor, zoom, preview, Generate."""

from __future__ import annotations

import io
import time
import uuid
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

SIDEBAR = '[data-testid="stSidebar"]'
RED, GREEN, BLUE, YELLOW = (220, 30, 30), (30, 200, 60), (40, 60, 220), (240, 220, 30)


def _quadrants(path: Path, width: int = 1600, height: int = 900) -> bytes:
    im = Image.new("RGB", (width, height))
    im.paste(RED, (0, 0, width // 2, height // 2))
    im.paste(GREEN, (width // 2, 0, width, height // 2))
    im.paste(BLUE, (0, height // 2, width // 2, height))
    im.paste(YELLOW, (width // 2, height // 2, width, height))
    im.save(path, "PNG")
    return path.read_bytes()


def _colours(data: bytes) -> set[tuple[int, int, int]]:
    """The quadrant colours a picture shows."""
    im = Image.open(io.BytesIO(data)).convert("RGB").resize((64, 36))
    seen = set()
    for pixel in im.getdata():
        dist = {
            c: sum((a - b) ** 2 for a, b in zip(c, pixel, strict=True)) for c in (RED, GREEN, BLUE, YELLOW)
        }
        best = min(dist, key=dist.__getitem__)
        if dist[best] < 60**2:
            seen.add(best)
    return seen


def _take(server, prompt: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lib = server.library()
        try:
            found = lib.list("demo", search=prompt, limit=5)
        finally:
            lib.close()
        if found and (found[0].job_id or found[0].status in ("failed", "cancelled", "unknown")):
            return found[0]
        time.sleep(0.25)
    raise AssertionError(f"no submitted take for {prompt!r}")


def _anchor(page: Page, where: str):
    return page.locator(f".st-key-i2v_anchor_{where} button").first


def _src(page: Page) -> str:
    return page.locator(".st-key-i2v_panel img").first.get_attribute("src") or ""


def test_a_new_user_frames_the_top_right_corner_at_2x_and_that_is_what_is_sent(
    page: Page, studio_server, shot, tmp_path
):
    data = _quadrants(tmp_path / "quadrants.png")
    page.goto(studio_server.url + "/image_to_video")
    expect(page.locator("h1").first).to_be_visible(timeout=30_000)
    expect(page.locator(SIDEBAR).get_by_text("Demo mode — local previews, not Sora.")).to_be_visible()

    page.locator('.st-key-i2v_upload input[type="file"]').set_input_files(str(tmp_path / "quadrants.png"))
    panel = page.locator(".st-key-i2v_panel")
    expect(panel.locator("img").first).to_be_visible(timeout=20_000)
    expect(panel.get_by_text("Sent as 1280×720", exact=False)).to_be_visible()
    centred = _src(page)
    shot("i2v_framing_centred")
    expect(_anchor(page, "c")).to_have_attribute("kind", "primary")

    _anchor(page, "tr").click()
    expect(_anchor(page, "tr")).to_have_attribute("kind", "primary", timeout=10_000)
    expect(_anchor(page, "c")).to_have_attribute("kind", "secondary")
    # At 1.0× a 16:9 picture already fills 16:9: the anchor only shows once zoomed in.

    thumb = page.locator('.st-key-i2v_zoom input[type="range"]')
    thumb.focus()
    for _ in range(10):  # 1.0× → 2.0× in 0.1 steps
        thumb.press("ArrowRight")
    expect(panel.get_by_text("top right · 2.0× zoom").first).to_be_visible(timeout=15_000)
    page.wait_for_function(
        "(before) => { const i = document.querySelector('.st-key-i2v_panel img'); return i && i.src !== before; }",
        arg=centred,
        timeout=15_000,
    )
    panel.scroll_into_view_if_needed()
    shot("i2v_framing_top_right_2x")

    prompt = f"The green corner breathes {uuid.uuid4().hex[:6]}"
    page.get_by_label("Prompt").fill(prompt)
    page.get_by_role("button", name="Generate", exact=True).click()
    expect(page.get_by_text("Submitted: 1 take rendering").first).to_be_visible(timeout=20_000)

    take = _take(studio_server, prompt)
    assert take.crop == "1,0,2"
    lib = studio_server.library()
    try:
        assert take.original_file and lib.path(take.original_file).read_bytes() == data, (
            "the original is kept"
        )
        sent = lib.path(take.source_file).read_bytes()
    finally:
        lib.close()
    assert _colours(sent) == {GREEN}, "only the top-right quadrant, at 2×"
    received = [p.read_bytes() for p in (studio_server.home / "demo_gateway" / "files").glob("*.jpg")]
    assert sent in received, "the gateway received exactly the framed image"


def _seed_tall_take(server, seconds: float = 3.0):
    """A completed 9:16 take (a real MP4) written to the studio's library."""
    import factories
    from studio.library import NewTake

    lib = server.library()
    try:
        video = lib.store_bytes(factories.mp4(seconds, 360, 640), ".mp4", kind="videos")
        tag = uuid.uuid4().hex[:8]
        made, _ = lib.add_batch(
            [
                NewTake(
                    account="demo",
                    batch_id=f"tall{tag}",
                    submission_id=f"tall-{tag}",
                    variant_index=0,
                    mode="text-to-video",
                    model="sora-2",
                    prompt=f"A tall paper lantern swaying in the rain {tag}",
                    duration_requested=4,
                    duration=4,
                    aspect_ratio="9:16",
                    estimated_credits=105,
                )
            ]
        )
        return lib.update(made[0].id, status="completed", video_path=video, job_id=f"job_{tag}")
    finally:
        lib.close()


def test_animating_a_tall_take_starts_at_9_16_and_the_mini_scrubber_picks_the_frame(
    page: Page, studio_server, shot
):
    source = _seed_tall_take(studio_server)
    page.goto(f"{studio_server.url}/gallery?take={source.id}")
    page.get_by_role("button", name="Animate last frame").click()
    expect(page.get_by_text("Animating the last frame of a take")).to_be_visible(timeout=20_000)
    expect(page.locator(".st-key-i2v_panel").get_by_text("Sent as 360×640", exact=False)).to_be_visible()

    scrub = page.locator('.st-key-i2v_frame_time input[type="range"]')
    scrub.focus()
    scrub.press("Home")
    expect(page.get_by_text("Animating the frame at 0:00.0 of a take")).to_be_visible(timeout=15_000)
    for _ in range(12):
        scrub.press("ArrowRight")
    expect(page.get_by_text("Animating the frame at 0:01.2 of a take")).to_be_visible(timeout=15_000)
    shot("i2v_animate_frame_at")

    prompt = f"The lantern turns slowly {uuid.uuid4().hex[:6]}"
    page.get_by_label("Prompt").fill(prompt)
    page.get_by_role("button", name="Generate", exact=True).click()
    expect(page.get_by_text("Submitted: 1 take rendering").first).to_be_visible(timeout=20_000)
    take = _take(studio_server, prompt)
    assert take.status != "failed", take.error
    assert take.source_take_id == source.id and take.frame_time == 1.2
    assert take.aspect_ratio == "9:16" and take.relation == "animate" and take.parent_id == source.id
    lib = studio_server.library()
    try:
        sent = Image.open(lib.path(take.source_file))
        assert (sent.format, sent.size) == ("JPEG", (360, 640)), (
            "the chosen frame is sent, framed, not the video"
        )
    finally:
        lib.close()


def test_an_end_frame_for_a_model_that_takes_one_is_previewed_and_sent(
    page: Page, studio_server, shot, tmp_path
):
    _quadrants(tmp_path / "start.png")
    Image.new("RGB", (1600, 900), YELLOW).save(tmp_path / "end.png")
    page.goto(studio_server.url + "/image_to_video")
    expect(page.locator("h1").first).to_be_visible(timeout=30_000)
    expect(page.get_by_text("End frame (optional)")).to_have_count(0)
    page.locator('.st-key-i2v_upload input[type="file"]').set_input_files(str(tmp_path / "start.png"))
    expect(page.locator(".st-key-i2v_panel img").first).to_be_visible(timeout=20_000)

    page.locator(".st-key-i2v_model").click()
    page.get_by_role("option", name="Kling v3 Standard").click()
    expect(page.get_by_text("End frame (optional)")).to_be_visible(timeout=15_000)
    page.locator('.st-key-i2v_end_upload input[type="file"]').set_input_files(str(tmp_path / "end.png"))
    panel = page.locator(".st-key-i2v_panel")
    expect(panel.get_by_text("End frame", exact=True)).to_be_visible(timeout=15_000)
    expect(panel.locator("img")).to_have_count(2)
    panel.scroll_into_view_if_needed()
    shot("i2v_end_frame")

    prompt = f"From four colours to yellow {uuid.uuid4().hex[:6]}"
    page.get_by_label("Prompt").fill(prompt)
    page.get_by_role("button", name="Generate", exact=True).click()
    expect(page.get_by_text("Submitted: 1 take rendering").first).to_be_visible(timeout=20_000)
    take = _take(studio_server, prompt)
    assert take.status != "failed", take.error
    assert take.end_file and "kling" in take.model
    lib = studio_server.library()
    try:
        assert _colours(lib.path(take.end_file).read_bytes()) == {YELLOW}
    finally:
        lib.close()
