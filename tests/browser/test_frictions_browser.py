"""The frictions a new user met, walked through in Chromium: kept fields, Ctrl+Enter, the Gallery link, remix."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

NAV = '[data-testid="stSidebarNav"]'


def _go(page, name: str) -> None:
    """Click a nav link; once more if a rerun of the old page (the tray finishing a take) won the race."""
    title = {"Gallery": "Gallery", "Board": "Board"}.get(name, name)
    for _ in range(3):
        page.locator(NAV).get_by_text(name, exact=True).click()
        try:
            expect(page.locator("h1").first).to_have_text(title, timeout=8_000)
            return
        except AssertionError:
            continue


def _settled(page) -> None:
    """The form has drawn its price (so no rerun is pending that would redraw Generate)."""
    expect(page.locator(".vs-estimate").first).to_contain_text("credits", timeout=20_000)
    expect(page.locator(".st-key-t2v_generate button, .st-key-remix_generate button, .st-key-i2v_generate button").first).to_be_visible(timeout=20_000)
    page.wait_for_timeout(500)


def _tabs_to(page, prompt, prefix: str) -> int:
    """Tabs from the prompt to this form's Generate (the prompt committed first, so nothing reruns)."""
    prompt.click()
    tabs = 0
    while tabs < 8:
        page.keyboard.press("Tab")
        tabs += 1
        if page.evaluate(f"() => !!document.activeElement.closest('.st-key-{prefix}_generate')"):
            break
    return tabs


def _ready(page, ui, server, path: str = "") -> None:
    ui.open(page, server, path)
    expect(page.locator(".st-key-t2v_generate, .st-key-remix_generate, h1").first).to_be_visible(
        timeout=30_000
    )


def test_twenty_seconds_stay_twenty_after_visiting_other_pages(page, studio_server, ui, shot):
    _ready(page, ui, studio_server)
    duration = page.locator(".st-key-t2v_duration")
    duration.get_by_text("20 s", exact=True).click()
    page.locator(".st-key-t2v_variants").get_by_text("2", exact=True).click()
    expect(page.get_by_text("2 × 525 = 1,050 credits").first).to_be_visible(timeout=20_000)
    _go(page, "Remix")
    expect(page.locator("h1").first).to_have_text("Remix", timeout=20_000)
    _go(page, "Gallery")
    expect(page.locator("h1").first).to_have_text("Gallery", timeout=20_000)
    _go(page, "Text to video")
    expect(page.locator("h1").first).to_have_text("Text to video", timeout=20_000)
    expect(page.get_by_text("2 × 525 = 1,050 credits").first).to_be_visible(timeout=20_000)
    active = duration.locator(
        'button[kind="pillsActive"], button[aria-pressed="true"], button[aria-checked="true"]'
    )
    expect(active).to_have_text("20 s")
    ui.assert_no_traceback(page)
    shot("frictions-duration-kept")


def test_ctrl_enter_in_the_prompt_submits_and_generate_is_one_tab_away(page, studio_server, ui, shot):
    _ready(page, ui, studio_server)
    prompt = page.get_by_label("Prompt")
    prompt.click()
    prompt.fill("a paper lantern drifting over a dark lake")
    prompt.blur()
    _settled(page)
    tabs = _tabs_to(page, prompt, "t2v")
    assert tabs <= 3, f"Generate is {tabs} Tabs from the prompt"
    prompt.click()
    prompt.press("Control+Enter")
    expect(page.get_by_text("Submitted: 1 take rendering").first).to_be_visible(timeout=30_000)
    take = ui.wait_take(studio_server, "demo", "paper lantern drifting", status=None)
    assert take.prompt == "a paper lantern drifting over a dark lake"
    expect(page.get_by_text("Enter").first).to_be_visible()
    shot("frictions-ctrl-enter")


def test_ctrl_enter_still_asks_before_a_multi_variant_spend(page, studio_server, ui):
    _ready(page, ui, studio_server)
    page.locator(".st-key-t2v_variants").get_by_text("2", exact=True).click()
    prompt = page.get_by_label("Prompt")
    prompt.fill("two foxes in the snow, asked first")
    prompt.press("Control+Enter")
    expect(page.get_by_role("dialog").get_by_text("Confirm before spending")).to_be_visible(timeout=20_000)
    assert not ui.takes(studio_server, "demo", "two foxes in the snow")


def test_the_sidebar_gallery_link_leaves_a_take_page(page, studio_server, ui, shot):
    _ready(page, ui, studio_server)
    ui.generate(page, "a gallery link test take")
    take = ui.wait_take(studio_server, "demo", "gallery link test take")
    ui.open(page, studio_server, f"gallery?take={take.id}")  # an old deep link still opens the take
    expect(page.get_by_role("button", name="Reuse settings")).to_be_visible(timeout=20_000)
    shot("frictions-take-page")
    _go(page, "Gallery")
    expect(page.locator("h1").first).to_have_text("Gallery", timeout=20_000)
    expect(page.get_by_role("button", name="Reuse settings")).to_have_count(0)
    assert "take=" not in page.url


def test_remix_picks_a_poster_and_warns_only_for_sora(page, studio_server, ui, shot):
    _ready(page, ui, studio_server)
    ui.generate(page, "a remix source made by Sora")
    ui.wait_take(studio_server, "demo", "remix source made by Sora")
    _go(page, "Remix")
    expect(page.locator("h1").first).to_have_text("Remix", timeout=20_000)
    chosen = page.locator('[class*="st-key-remix_src_on_"]')
    expect(chosen).to_have_count(1, timeout=20_000)
    expect(chosen.get_by_text("Sora", exact=True)).to_be_visible()
    expect(page.get_by_text("not made by Sora")).to_have_count(0)
    expect(page.locator(".st-key-remix_duration")).to_have_count(0)
    ui.assert_no_traceback(page)
    shot("frictions-remix-posters")


@pytest.fixture(autouse=True)
def _no_dialog_left(page):
    yield
    page.keyboard.press("Escape")


@pytest.mark.parametrize(
    ("nav", "prefix", "label"),
    [("Image to video", "i2v", "Prompt"), ("Remix", "remix", "New prompt")],
)
def test_generate_is_a_few_tabs_from_the_prompt_on_every_form(page, studio_server, ui, nav, prefix, label):
    _ready(page, ui, studio_server)
    _go(page, nav)
    prompt = page.get_by_label(label, exact=True)
    expect(prompt).to_be_visible(timeout=20_000)
    _settled(page)
    tabs = _tabs_to(page, prompt, prefix)
    assert tabs <= 3, f"Generate is {tabs} Tabs from the prompt on {nav}"
