"""Compare in a real Chromium: one clock for takes of different lengths, hold or loop, frame steps, 2 × 2, A/B wipe.

Takes are real demo renders (H.264 MP4s of 3–8 s) written straight into the studio's library; the
page plays them through the studio's signed media route.
"""

from __future__ import annotations

import re
import tempfile
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

import factories

pytestmark = pytest.mark.browser

ROOT = ".vc"
FPS = 24


def _video(letter: str) -> str:
    return f'.vc-cell[data-letter="{letter}"] video'


def _seed_take(server, prompt: str, seconds: float, ratio: str, seed: int | None, variant: int = 0) -> str:
    from demo_gateway.render import render_text_to_video
    from studio.library import NewTake

    with tempfile.TemporaryDirectory() as work:
        out = Path(work) / "take.mp4"
        render_text_to_video(prompt, seconds, ratio, out, seed=seed)
        data = out.read_bytes()
    lib = server.library()
    try:
        video = lib.store_bytes(data, ".mp4", kind="videos")
        poster = lib.store_bytes(factories.photo(320, 180), ".jpg", kind="posters")
        made, _ = lib.add_batch(
            [
                NewTake(
                    account="demo",
                    batch_id=f"cmp-{uuid.uuid4().hex[:8]}",
                    submission_id=f"cmp-{uuid.uuid4().hex}",
                    variant_index=variant,
                    mode="text-to-video",
                    model="sora-2",
                    prompt=prompt,
                    duration_requested=seconds,
                    duration=seconds,
                    aspect_ratio=ratio,
                    estimated_credits=100,
                    seed=seed,
                )
            ]
        )
        lib.update(
            made[0].id, status="completed", video_path=video, poster_path=poster, job_id=f"job-{made[0].id}"
        )
        return made[0].id
    finally:
        lib.close()


@pytest.fixture(scope="module")
def compare_server(serve_studio, tmp_path_factory: pytest.TempPathFactory):
    """A studio of its own, with landscape takes of 4, 8, 6 and 3 s and four portrait ones."""
    with serve_studio(tmp_path_factory.mktemp("compare_home")) as server:
        server.takes = {
            "short": _seed_take(server, "A lighthouse at dusk, waves rolling in", 4.0, "16:9", 11),
            "long": _seed_take(
                server, "Snowy mountains at dawn, slow pan across the ridge", 8.0, "16:9", 22, 1
            ),
            "mid": _seed_take(server, "Desert sunset over the dunes, warm haze", 6.0, "16:9", None),
            "tiny": _seed_take(server, "Rainy neon city at night, reflections", 3.0, "16:9", 44),
        }
        server.portrait = [
            _seed_take(server, f"{p}, vertical", 3.0, "9:16", 50 + i)
            for i, p in enumerate(
                ("Forest with fireflies", "Ocean waves at noon", "Night city rain", "Snowy peaks")
            )
        ]
        yield server


def _open(page: Page, server, ids: list[str]) -> None:
    page.goto(f"{server.url}/gallery?compare={','.join(ids)}")
    expect(page.locator("h1", has_text=f"Compare {len(ids)} takes")).to_be_visible(timeout=30_000)
    expect(page.locator(f"{ROOT} video")).to_have_count(len(ids), timeout=15_000)
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('.vc video')).every(v => v.readyState >= 2)",
        timeout=20_000,
    )


def _state(page: Page) -> dict:
    return page.evaluate(
        """() => {
          const root = document.querySelector('.vc');
          const vids = {};
          root.querySelectorAll('.vc-cell').forEach(c => {
            const v = c.querySelector('video');
            vids[c.dataset.letter] = {t: v.currentTime, d: v.duration, paused: v.paused, ended: v.ended};
          });
          return {t: parseFloat(root.dataset.t), playing: root.dataset.playing === '1', v: vids};
        }"""
    )


def _seek(page: Page, seconds: float) -> None:
    """Drag the seek bar to `seconds` (the value a pointer drag would leave, then its input event)."""
    page.locator(".vc-seek").evaluate(
        "(el, t) => { el.value = t; el.dispatchEvent(new Event('input', {bubbles: true}));"
        " el.dispatchEvent(new Event('change', {bubbles: true})); }",
        seconds,
    )
    page.wait_for_timeout(300)


def _play_button(page: Page):
    return page.locator(".vc-play")


def test_a_shorter_take_holds_its_last_frame_or_loops_on_one_clock(page: Page, compare_server, ui, shot):
    takes = compare_server.takes
    _open(page, compare_server, [takes["short"], takes["long"]])
    ui.assert_no_traceback(page)

    # Labels: letter, model, variant, seed (or none), duration.
    expect(page.locator('.vc-cell[data-letter="A"] .vc-label')).to_have_text(
        "ALocal preview · as Sora 2 · variant 1 · seed 11 · 4 s"
    )
    expect(page.locator('.vc-cell[data-letter="B"] .vc-label')).to_have_text(
        "BLocal preview · as Sora 2 · variant 2 · seed 22 · 8 s"
    )
    expect(page.locator(".vc-time")).to_contain_text("/ 0:08.00")

    # Past the short take's end, then Play all: the short take stays on its last frame.
    _seek(page, 6.0)
    before = _state(page)
    assert before["v"]["A"]["t"] > 3.9 and abs(before["v"]["B"]["t"] - 6.0) < 0.05, before
    _play_button(page).click()
    page.wait_for_timeout(1200)
    during = _state(page)
    assert during["playing"] and 6.6 < during["t"] < 8.0, during
    assert during["v"]["A"]["t"] > 3.9 and during["v"]["A"]["paused"], f"the short take restarted: {during}"
    assert not during["v"]["B"]["paused"] and abs(during["v"]["B"]["t"] - during["t"]) < 0.35, during
    expect(page.locator('.vc-cell[data-letter="A"] .vc-state')).to_have_text("Holding last frame")
    shot("compare_2up_holding")
    _play_button(page).click()  # pause
    page.wait_for_timeout(200)
    assert not _state(page)["playing"]

    # Loop each: the short take shows t mod 4, and wraps by itself while the clock runs on.
    page.get_by_role("button", name="Loop each").click()
    _seek(page, 6.0)
    looped = _state(page)
    assert abs(looped["v"]["A"]["t"] - 2.0) < 0.05 and abs(looped["v"]["B"]["t"] - 6.0) < 0.05, looped
    _seek(page, 3.4)
    _play_button(page).click()
    page.wait_for_timeout(1600)
    wrapped = _state(page)
    assert 4.3 < wrapped["t"] < 6.5, wrapped
    assert wrapped["v"]["A"]["t"] < 2.5 and not wrapped["v"]["A"]["paused"], f"no wrap: {wrapped}"
    assert abs(wrapped["v"]["A"]["t"] - (wrapped["t"] % 4.0)) < 0.35, wrapped
    assert abs(wrapped["v"]["B"]["t"] - wrapped["t"]) < 0.35, wrapped
    _play_button(page).click()

    # Frame steps: the buttons and the arrow keys move the clock by one frame (1/24 s).
    page.get_by_role("button", name="Hold last frame").click()
    _seek(page, 2.0)
    start = _state(page)["t"]
    page.get_by_role("button", name="Next frame").click()
    page.wait_for_timeout(300)
    one = _state(page)
    assert abs(one["t"] - start - 1 / FPS) < 0.002, (start, one)
    assert abs(one["v"]["B"]["t"] - one["t"]) < 0.01 and abs(one["v"]["A"]["t"] - one["t"]) < 0.01, one
    page.locator(".vc-stage").click()  # the compare area takes the focus
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.wait_for_timeout(200)
    assert abs(_state(page)["t"] - start - 3 / FPS) < 0.002
    page.keyboard.press("ArrowLeft")
    page.wait_for_timeout(200)
    assert abs(_state(page)["t"] - start - 2 / FPS) < 0.002
    page.get_by_role("button", name="Previous frame").click()
    page.get_by_role("button", name="Previous frame").click()
    page.wait_for_timeout(300)
    assert abs(_state(page)["t"] - start) < 0.002
    expect(page.locator(".vc-frameno")).to_have_text(f"frame {round(start * FPS)}")
    shot("compare_2up")
    ui.assert_no_traceback(page)


def test_the_global_loop_restarts_the_clock_and_off_it_stops_at_the_end(page: Page, compare_server):
    takes = compare_server.takes
    _open(page, compare_server, [takes["short"], takes["tiny"]])  # 4 s and 3 s: the clock is 4 s
    expect(page.locator(".vc-time")).to_contain_text("/ 0:04.00")
    _seek(page, 3.5)
    _play_button(page).click()
    page.wait_for_timeout(1200)
    again = _state(page)
    assert again["playing"] and 0.3 < again["t"] < 1.5, f"the loop did not restart the clock: {again}"
    assert abs(again["v"]["A"]["t"] - again["t"]) < 0.35 and abs(again["v"]["B"]["t"] - again["t"]) < 0.35, (
        again
    )
    page.locator(".vc-loop").click()
    expect(page.locator(".vc-loop")).to_have_attribute("aria-pressed", "false")
    _seek(page, 3.5)
    page.wait_for_timeout(1200)
    end = _state(page)
    assert not end["playing"] and abs(end["t"] - 4.0) < 0.01, f"the clock should stop at its end: {end}"
    assert end["v"]["A"]["t"] > 3.9 and end["v"]["B"]["t"] > 2.9, end


def test_media_comes_through_the_signed_route_with_range_and_a_tampered_link_is_refused(
    page: Page, compare_server
):
    takes = compare_server.takes
    _open(page, compare_server, [takes["short"], takes["long"]])
    src = page.locator(_video("A")).get_attribute("src")
    assert src and src.startswith("/studio-media/")
    req = urllib.request.Request(compare_server.url + src, headers={"Range": "bytes=0-99"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 206 and len(resp.read()) == 100
        assert resp.headers["Content-Type"] == "video/mp4"
    body, mac = src.rsplit("/", 1)[1].split(".")
    bad = f"/studio-media/{body}.{mac[::-1]}"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(compare_server.url + bad, timeout=10)
    assert refused.value.code == 403


def _boxes(page: Page) -> list[dict]:
    return page.eval_on_selector_all(
        ".vc-cell .vc-frame",
        "els => els.map(e => { const r = e.getBoundingClientRect(); return {x: r.x, y: r.y, w: r.width, h: r.height}; })",
    )


def test_four_landscape_takes_sit_two_by_two_and_four_portrait_ones_in_a_row(
    page: Page, compare_server, ui, shot
):
    takes = compare_server.takes
    _open(page, compare_server, [takes["short"], takes["long"], takes["mid"], takes["tiny"]])
    expect(page.locator('.vc-cell[data-letter="C"] .vc-label')).to_contain_text("no seed")
    boxes = _boxes(page)
    rows = sorted({round(b["y"]) for b in boxes})
    cols = sorted({round(b["x"]) for b in boxes})
    assert len(rows) == 2 and len(cols) == 2, boxes
    assert all(b["w"] > 420 for b in boxes), f"players should be as large as the page allows: {boxes}"
    assert all(abs(b["w"] / b["h"] - 16 / 9) < 0.03 for b in boxes), boxes
    _play_button(page).click()
    page.wait_for_timeout(900)
    shot("compare_2x2")
    ui.assert_no_traceback(page)

    _open(page, compare_server, compare_server.portrait)
    boxes = _boxes(page)
    assert len({round(b["y"]) for b in boxes}) == 1 and len({round(b["x"]) for b in boxes}) == 4, boxes
    assert all(abs(b["w"] / b["h"] - 9 / 16) < 0.03 for b in boxes), boxes
    shot("compare_portrait")


def test_the_a_b_wipe_stacks_two_takes_under_a_draggable_divider(page: Page, compare_server, ui, shot):
    takes = compare_server.takes
    _open(page, compare_server, [takes["short"], takes["long"], takes["mid"]])
    three = _boxes(page)
    assert len({round(b["y"]) for b in three}) == 1, "three landscape takes sit in a row"
    page.get_by_role("button", name="A/B wipe").click()
    expect(page.locator(".vc")).to_have_attribute("data-view", "wipe")
    page.get_by_label("Right take").select_option(label="C · Local preview · as Sora 2")
    a, c = page.locator('.vc-cell[data-letter="A"]'), page.locator('.vc-cell[data-letter="C"]')
    expect(page.locator('.vc-cell[data-letter="B"]')).to_be_hidden()
    box_a, box_c = a.bounding_box(), c.bounding_box()
    assert box_a and box_c and all(abs(box_a[k] - box_c[k]) < 1 for k in ("x", "y", "width", "height"))
    assert box_a["width"] > 700, box_a
    clip = lambda: a.evaluate("e => getComputedStyle(e).clipPath")  # noqa: E731
    assert clip() == "inset(0px 50% 0px 0px)"
    stage = page.locator(".vc-stage").bounding_box()
    assert stage
    y = stage["y"] + stage["height"] / 2
    page.mouse.move(stage["x"] + stage["width"] * 0.5, y)
    page.mouse.down()
    page.mouse.move(stage["x"] + stage["width"] * 0.3, y, steps=6)
    page.mouse.move(stage["x"] + stage["width"] * 0.25, y, steps=4)
    page.mouse.up()
    moved = clip()
    assert moved != "inset(0px 50% 0px 0px)" and moved.startswith("inset(0px 7"), moved
    divider = page.locator(".vc-divider").bounding_box()
    assert divider and abs(divider["x"] - (stage["x"] + stage["width"] * 0.25)) < 6, divider
    _play_button(page).click()
    page.wait_for_timeout(1000)
    both = _state(page)
    assert not both["v"]["A"]["paused"] and not both["v"]["C"]["paused"] and both["v"]["B"]["paused"], both
    assert abs(both["v"]["A"]["t"] - both["v"]["C"]["t"]) < 0.35, both
    _play_button(page).click()
    page.mouse.click(stage["x"] + stage["width"] * 0.42, y)
    shot("compare_wipe")
    page.get_by_role("button", name="Side by side").click()
    expect(page.locator('.vc-cell[data-letter="B"]')).to_be_visible()
    assert clip() in ("none", "")
    ui.assert_no_traceback(page)


def test_a_rerun_keeps_the_players_and_the_clock_and_open_leads_to_the_take(page: Page, compare_server, ui):
    takes = compare_server.takes
    _open(page, compare_server, [takes["short"], takes["long"]])
    _seek(page, 5.0)
    page.locator(_video("B")).evaluate("v => { v.dataset.marked = '1'; }")
    budget = page.locator(ui.sidebar).get_by_role("spinbutton", name="Session budget", exact=False)
    page.locator(ui.sidebar).get_by_role("button", name="Increment").first.click()  # a widget: a full rerun
    expect(budget).not_to_have_value("0", timeout=10_000)
    page.wait_for_timeout(1500)
    expect(page.locator("h1", has_text="Compare 2 takes")).to_be_visible()
    assert page.locator(_video("B")).evaluate("v => v.dataset.marked") == "1", "the players were rebuilt"
    kept = _state(page)
    assert abs(kept["t"] - 5.0) < 0.01 and abs(kept["v"]["B"]["t"] - 5.0) < 0.05, kept
    page.get_by_role("button", name="Open B").click()
    expect(page).to_have_url(re.compile(rf"take={takes['long']}"), timeout=15_000)
    expect(page.locator(".vc")).to_have_count(0)
    ui.assert_no_traceback(page)


PRESENT_PLAYING = (
    "() => { const v = document.querySelector('[data-testid=\"present-player\"] .vp-stage video.on');"
    " return v && !v.paused && v.currentTime > 0.3; }"
)


def test_picked_takes_are_presented_full_screen_one_after_another(page: Page, compare_server, ui, shot):
    takes = compare_server.takes
    page.goto(f"{compare_server.url}/gallery")
    for key in ("tiny", "short"):  # picked in this order: presented in this order
        page.locator(f".st-key-gcmp_{takes[key]} label").click()
        page.wait_for_timeout(600)
    page.get_by_role("link", name="Present 2").click()
    expect(page.locator("h1", has_text="2 takes")).to_be_visible(timeout=30_000)
    player = page.get_by_test_id("present-player")
    expect(player).to_be_visible(timeout=20_000)
    expect(player).to_contain_text("Rainy neon city", timeout=10_000)  # the first picked comes first
    player.locator(".vp-play").click()
    page.wait_for_function(PRESENT_PLAYING, timeout=20_000)
    player.locator(".vp-next").click()
    expect(player).to_have_attribute("data-shot", "1", timeout=5_000)
    expect(player).to_contain_text("A lighthouse at dusk", timeout=10_000)
    expect(page.locator(".vc video")).to_have_count(2, timeout=20_000)  # and the A/B wipe of the two
    shot("present_picked_takes")
    ui.assert_no_traceback(page)
