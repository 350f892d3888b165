"""A new user picks camera presets on Text to video in Chromium: the phrase goes into the prompt
(one at a time), the take records the preset, and its page names it."""

from __future__ import annotations

import time
import uuid

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def _camera(page: Page, label: str) -> None:
    page.locator(".st-key-t2v_camera_pick").get_by_text(label, exact=True).click()


def test_a_camera_preset_goes_into_the_prompt_and_is_kept_with_the_take(page: Page, fresh_server, shot):
    page.goto(fresh_server.url + "/")
    prompt = page.get_by_label("Prompt")
    expect(prompt).to_be_visible(timeout=30_000)
    words = f"a red balloon over a harbour {uuid.uuid4().hex[:6]}"
    prompt.fill(words)
    prompt.blur()
    _camera(page, "Dolly in")
    expect(prompt).to_have_value(f"{words}, slow dolly in", timeout=15_000)
    _camera(page, "Pan left")  # another preset replaces the first, never both
    expect(prompt).to_have_value(f"{words}, camera pans left", timeout=15_000)
    shot("camera-preset-picked")
    page.get_by_role("button", name="Generate", exact=True).click()
    expect(page.get_by_text("Submitted: 1 take rendering").first).to_be_visible(timeout=30_000)

    deadline = time.monotonic() + 60
    take = None
    while time.monotonic() < deadline:
        lib = fresh_server.library()
        try:
            found = lib.list("demo", search=words, limit=5)
        finally:
            lib.close()
        if found and found[0].status == "completed":
            take = found[0]
            break
        time.sleep(0.3)
    assert take is not None, "the take did not complete"
    assert take.camera == "pan_left" and take.prompt.count("camera pans left") == 1
    assert "slow dolly in" not in take.prompt

    page.goto(f"{fresh_server.url}/gallery?take={take.id}")
    expect(page.locator("dl.vs-kv")).to_contain_text("Pan left", timeout=20_000)
