"""A new user's board in a real Chromium against a real `streamlit run` (demo mode): make a take,
re-roll it from the board with one click, keep the re-roll, see the tree with its edge, hover to play."""

from __future__ import annotations

import re
import time
import uuid

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

SIDEBAR = '[data-testid="stSidebar"]'


def _takes(server, prompt: str) -> list:
    lib = server.library()
    try:
        return lib.list("demo", search=prompt, limit=10)
    finally:
        lib.close()


def _wait(server, prompt: str, n: int, timeout: float = 90.0) -> list:
    """The `n` takes of `prompt` once all are completed, oldest first."""
    deadline = time.monotonic() + timeout
    found: list = []
    while time.monotonic() < deadline:
        found = _takes(server, prompt)
        bad = [t for t in found if t.status in ("failed", "cancelled", "unknown")]
        assert not bad, [(t.status, t.error) for t in bad]
        if len(found) >= n and all(t.status == "completed" for t in found):
            return sorted(found, key=lambda t: t.created_at)
        time.sleep(0.25)
    raise AssertionError(f"{n} completed takes of {prompt!r} not there in {timeout}s: {found}")


def test_a_new_user_re_rolls_from_the_board_keeps_it_and_sees_the_tree(page: Page, fresh_server, shot, ui):
    page.set_viewport_size({"width": 1440, "height": 1300})
    ui.open(page, fresh_server, label="Demo mode — local previews, not Sora.")
    # Kling v3 Standard takes seeds (Sora 2 does not): its takes can be re-rolled.
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Model").first.click()
    page.get_by_role("option", name=re.compile(r"^Kling v3 Standard ·")).click()
    prompt = f"A red fox trots across a snowy field at dusk, slow dolly {uuid.uuid4().hex[:6]}"
    ui.generate(page, prompt)
    (root,) = _wait(fresh_server, prompt, 1)
    creates = fresh_server.stats()["creates"]

    page.locator(SIDEBAR).get_by_role("link", name="Board", exact=True).click()
    expect(page.locator("h1").first).to_have_text("Board", timeout=20_000)
    idea = page.locator(f".st-key-bidea_{root.idea_id}")
    expect(idea).to_contain_text(prompt[:30], timeout=20_000)
    expect(idea).to_contain_text("1 take")
    reroll = page.locator(f".st-key-breroll_{root.id} button").first
    expect(reroll).to_have_text(re.compile(r"Re-roll · \d[\d,]* credits"), timeout=20_000)
    price = int(re.search(r"· ([\d,]+) credits", reroll.inner_text()).group(1).replace(",", ""))
    reroll.click()
    expect(page.get_by_text("Re-rolled: rendering now").first).to_be_visible(timeout=20_000)

    first, child = _wait(fresh_server, prompt, 2)
    assert first.id == root.id
    assert (child.parent_id, child.relation, child.idea_id) == (root.id, "reroll", root.idea_id)
    assert child.seed is not None and child.seed != root.seed
    assert fresh_server.stats()["creates"] == creates + 1, "one click, one job"
    assert child.estimated_credits == price, "the price on the button is what the re-roll cost"

    # The tray reruns the page when the take is done: the re-roll hangs under its root, edge labelled.
    node = page.locator(f".st-key-bkids_{root.id} .st-key-bnode_{child.id}")
    expect(node).to_be_visible(timeout=30_000)
    expect(node).to_contain_text("Re-roll")
    expect(node).to_contain_text(f"Seed {root.seed} → {child.seed}")
    expect(node).to_contain_text("same prompt")
    expect(idea).to_contain_text("2 takes")

    page.locator(f".st-key-bkeep_{child.id} button").first.click()
    expect(node).to_contain_text("✓ Kept", timeout=15_000)
    expect(idea).to_contain_text("1 kept")
    lib = fresh_server.library()
    try:
        assert lib.get(child.id).verdict == "keep"
    finally:
        lib.close()

    # A poster plays while hovered (muted, looping, served by the studio) and stops when left.
    video = node.locator("video.vs-hover")
    expect(video).to_have_count(1)
    playing = f".st-key-bnode_{child.id} video.vs-hover"
    video.hover()
    page.wait_for_function(
        "sel => { const v = document.querySelector(sel); return v && !v.paused && v.currentTime > 0.2; }",
        arg=playing,
        timeout=15_000,
    )
    shot("board_tree_hover_plays")
    page.mouse.move(5, 5)
    page.wait_for_function("sel => document.querySelector(sel).paused", arg=playing, timeout=5_000)

    ui.assert_no_traceback(page)
    path = shot("board_tree_after_reroll_and_keep")
    assert path.stat().st_size > 20_000
