"""A new user's storyboard in a real Chromium against a real `streamlit run` (demo mode): three gallery
takes become a 3-shot storyboard, a shot is continued from its last frame (price on the button, the
new take joins the next shot), the film is stitched and downloaded as a real MP4, presented (it plays),
and shared: the read-only link plays in a fresh browser context with no key, and refuses once tampered."""

from __future__ import annotations

import re
import time
import uuid

import pytest
from playwright.sync_api import Page, expect

from studio import media

pytestmark = pytest.mark.browser

SIDEBAR = '[data-testid="stSidebar"]'
PLAYING = (
    "sel => { const r = document.querySelector(sel); if (!r) return false;"
    " const v = r.querySelector('.vp-stage video.on'); return v && !v.paused && v.currentTime > 0.3; }"
)


def _library(server):
    return server.library()


def _board(server):
    lib = _library(server)
    try:
        (summary,) = lib.storyboards("demo")
        return summary.board, lib.shots("demo", summary.board.id)
    finally:
        lib.close()


def _wait_for(check, timeout: float = 90.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"{what} not met within {timeout}s")


def _add_from_card(page: Page, take_id: str, n: int, *, new_name: str | None = None, snap=None) -> None:
    """Add a gallery card's take to the storyboard as shot `n` (through the card's small button)."""
    card = page.locator(f".st-key-gcard_{take_id}")
    card.locator(f".st-key-gsb_{take_id} button").first.click()
    pop = page.locator('[data-testid="stPopoverBody"]').last
    expect(pop.get_by_text("Storyboard", exact=True)).to_be_visible(timeout=15_000)
    if new_name is not None:
        pop.get_by_label("Name").fill(new_name)
        pop.get_by_label("Name").press("Enter")
    if snap is not None:
        snap("storyboard_add_from_gallery_card")
    pop.get_by_role("button", name="Add to storyboard").click()
    expect(page.get_by_text(f"as Shot {n}.").first).to_be_visible(timeout=15_000)
    page.keyboard.press("Escape")


def test_a_new_user_builds_continues_exports_presents_and_shares_a_storyboard(
    page: Page, browser, fresh_server, shot, ui, tmp_path
):
    page.set_viewport_size({"width": 1440, "height": 1200})
    ui.open(page, fresh_server, label="Demo mode — local previews, not Sora.")
    tag = uuid.uuid4().hex[:6]
    prompts = [
        f"A lighthouse at dawn, waves below, slow push in {tag}",
        f"A gull gliding past the lighthouse lamp, side tracking {tag}",
        f"Night falls, the lighthouse beam sweeps the sea {tag}",
    ]
    takes = []
    for prompt in prompts:
        ui.generate(page, prompt)
        takes.append(ui.wait_take(fresh_server, "demo", prompt))

    # The gallery: each card's small storyboard button adds its take; the first makes the storyboard.
    page.locator(SIDEBAR).get_by_role("link", name="Gallery").click()
    expect(page.locator(f".st-key-gcard_{takes[0].id}")).to_be_visible(timeout=20_000)
    _add_from_card(page, takes[0].id, 1, new_name="The lighthouse", snap=shot)
    for n, take in enumerate(takes[1:], start=2):
        _add_from_card(page, take.id, n)
    board, shots = _board(fresh_server)
    assert board.name == "The lighthouse"
    assert [s.take_id for s in shots] == [t.id for t in takes]

    page.locator(SIDEBAR).get_by_role("link", name="Storyboards").click()
    card = page.locator(f".st-key-sb_card_{board.id}")
    expect(card).to_contain_text("3 shots", timeout=20_000)
    shot("storyboards_list")
    card.get_by_role("button", name="Open").click()
    expect(page.locator("h1").first).to_have_text("The lighthouse", timeout=20_000)
    totals = page.get_by_test_id("sb-totals")
    expect(totals).to_contain_text("3shots")
    for s in shots:
        expect(page.locator(f".st-key-sb_shot_{s.id}")).to_be_visible()
    shot("storyboard_three_shots")

    # Continue shot 1 from its last frame: the price is on the button, the new take joins shot 2.
    cont = page.locator(f".st-key-sb_cont_last_{shots[0].id} button").first
    expect(cont).to_have_text(
        re.compile(r"Continue from last frame · (approx\. )?\d[\d,]* credits"), timeout=20_000
    )
    price = int(re.search(r"([\d,]+) credits", cont.inner_text()).group(1).replace(",", ""))
    creates = fresh_server.stats()["creates"]
    cont.click()
    expect(page.get_by_text("joins Shot 2 as a candidate").first).to_be_visible(timeout=20_000)

    def continued():
        _, now = _board(fresh_server)
        extra = [c for c in now[1].candidates if c != takes[1].id]
        return extra[0] if extra else None

    new_id = _wait_for(continued, 30, "the continued take in shot 2")
    lib = _library(fresh_server)
    try:
        made = _wait_for(
            lambda: (t := lib.get(new_id)) and t.status == "completed" and t, 90, "the take done"
        )
    finally:
        lib.close()
    assert (made.parent_id, made.relation, made.mode) == (takes[0].id, "continue", "image-to-video")
    assert made.estimated_credits == price, "the price on the button is what the continuation cost"
    assert fresh_server.stats()["creates"] == creates + 1, "one click, one job"
    page.reload()
    shot2 = page.locator(f".st-key-sb_shot_{shots[1].id}")
    expect(shot2.get_by_text("Candidates")).to_be_visible(timeout=30_000)

    # Export: the stitched film downloads, and it is a real MP4 of the three shots.
    page.locator(f".st-key-sb_stitch_{board.id} button").click()
    download_button = page.get_by_role("button", name=re.compile(r"Download Stitched MP4"))
    expect(download_button).to_be_visible(timeout=120_000)
    with page.expect_download(timeout=30_000) as info:
        download_button.click()
    film = tmp_path / "film.mp4"
    info.value.save_as(film)
    assert info.value.suggested_filename == "The lighthouse.mp4"
    probed = media.probe_video(film)
    lengths = [t.duration for t in takes]
    assert abs(probed.duration - sum(lengths)) < 0.5, (probed.duration, lengths)
    shot("storyboard_exported")

    # Present: the player plays the chosen takes, and goes to the next shot.
    page.get_by_role("link", name="Present").click()
    player = page.get_by_test_id("present-player")
    expect(player).to_be_visible(timeout=20_000)
    player.locator(".vp-play").click()
    page.wait_for_function(PLAYING, arg='[data-testid="present-player"]', timeout=20_000)
    player.locator(".vp-next").click()
    expect(player).to_have_attribute("data-shot", "1", timeout=5_000)
    shot("storyboard_present")
    ui.assert_no_traceback(page)

    # Share: a read-only link that plays in a fresh context without a key, and refuses when tampered.
    page.get_by_role("link", name="Back to the storyboard").click()
    expect(page.locator("h1").first).to_have_text("The lighthouse", timeout=20_000)
    page.locator(f".st-key-sb_share_pop_{board.id} button").first.click()
    page.get_by_role("button", name="Make link").click()
    code = page.locator('[data-testid="stPopoverBody"] code').first
    expect(code).to_contain_text("/share/", timeout=15_000)
    url = code.inner_text().strip()
    assert url.startswith(fresh_server.url + "/share/")
    guest = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        viewer = guest.new_page()
        resp = viewer.goto(url)
        assert resp is not None and resp.status == 200
        expect(viewer.locator("h1")).to_have_text("The lighthouse")
        viewer.locator(".vp-play").click()
        viewer.wait_for_function(PLAYING, arg='[data-testid="present-player"]', timeout=20_000)
        shot("storyboard_shared", on=viewer)
        html = viewer.content()
        for take in takes:
            assert take.id not in html and take.prompt not in html
        token = url.rsplit("/", 1)[1]
        forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
        bad = viewer.goto(url.rsplit("/", 1)[0] + "/" + forged)
        assert bad is not None and bad.status == 403
        expect(viewer.get_by_text("This link is not valid")).to_be_visible()
    finally:
        guest.close()
