"""The shot card and a sweep in a real Chromium: one confirm, one exact total, N real takes, no repeats.

Assumes the Text to video page calls `shot_builder.render("t2v", MODE, settings)` under its settings row.
"""

from __future__ import annotations

import time
import uuid

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

SIDEBAR = '[data-testid="stSidebar"]'
DIALOG = '[role="dialog"]'


def _sweep_takes(server, subject: str) -> list:
    lib = server.library()
    try:
        return [t for t in lib.list("demo", search=subject, limit=20) if t.sweep_id]
    finally:
        lib.close()


def _wait(predicate, timeout: float = 90.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"{what} not met within {timeout}s")


def _card(page: Page, subject: str) -> None:
    page.get_by_text("Shot card", exact=True).first.click()
    page.get_by_label("Subject").fill(subject)
    page.get_by_label("Action").fill("drifts across a still pond")
    page.get_by_label("Lighting").fill("golden-hour")
    page.get_by_label("Lighting").press("Tab")


def test_the_shot_card_writes_the_prompt(page: Page, studio_server, ui, shot):
    ui.open(page, studio_server)
    subject = f"a paper boat {uuid.uuid4().hex[:5]}"
    _card(page, subject)
    page.get_by_label("Style").fill("watercolour")
    page.get_by_label("Style").press("Tab")
    sentence = f"{subject.capitalize()} drifts across a still pond, golden-hour light, watercolour style."
    expect(page.get_by_text(sentence)).to_be_visible(timeout=15_000)
    page.get_by_role("button", name="Use as prompt").click()
    expect(page.get_by_label("Prompt")).to_have_value(sentence, timeout=15_000)
    shot("shot_card_prompt")
    ui.assert_no_traceback(page)


def test_a_sweep_confirms_one_exact_total_then_renders_each_value_once(page: Page, studio_server, ui, shot):
    ui.open(page, studio_server)
    subject = f"a paper boat {uuid.uuid4().hex[:5]}"
    creates_before = studio_server.stats()["creates"]
    _card(page, subject)
    page.get_by_label("Values, one per line (2 to 4)").fill("watercolour\npixel art\nink wash")
    page.get_by_label("Values, one per line (2 to 4)").press("Tab")
    # Sora 2 (the default), 4 s: 105 credits a take, priced by the gateway.
    go = page.get_by_role("button", name="Sweep 3 takes · 315 credits")
    expect(go).to_be_visible(timeout=20_000)
    expect(page.get_by_text("3 × 105 = 315 credits").first).to_be_visible()
    shot("sweep_priced")
    assert _sweep_takes(studio_server, subject) == [], "nothing is sent before the confirm"

    go.click()
    dialog = page.locator(DIALOG)
    expect(dialog.get_by_text("Confirm the sweep")).to_be_visible(timeout=15_000)
    expect(dialog.get_by_text("3 × 105 = 315 credits", exact=False)).to_be_visible()
    for value in ("watercolour", "pixel art", "ink wash"):
        expect(dialog.get_by_text(f"Style: {value}")).to_be_visible()
    shot("sweep_confirm_dialog")
    assert studio_server.stats()["creates"] == creates_before

    dialog.get_by_role("button", name="Generate 3 takes").dblclick()  # an impatient double-click
    expect(page.get_by_text("Sweep submitted: 3 takes rendering").first).to_be_visible(timeout=20_000)

    def done() -> list | None:
        found = _sweep_takes(studio_server, subject)
        return found if len(found) >= 3 and all(t.status == "completed" for t in found) else None

    try:
        takes = _wait(done, timeout=150, what="three completed sweep takes")
    except AssertionError:
        ended = [(t.status, t.error) for t in _sweep_takes(studio_server, subject)]
        raise AssertionError(f"the sweep's takes did not all complete: {ended}") from None
    assert len(_sweep_takes(studio_server, subject)) == 3, "a double-click sends nothing twice"
    assert len({t.sweep_id for t in takes}) == 1 and len({t.idea_id for t in takes}) == 1
    assert sorted(t.prompt.split(", ")[-1] for t in takes) == [
        "ink wash style.",
        "pixel art style.",
        "watercolour style.",
    ]
    assert all(
        t.video_path and studio_server.library().path(t.video_path).stat().st_size > 1000 for t in takes
    )
    assert studio_server.stats()["creates"] - creates_before == 3
    shot("sweep_submitted")
    ui.assert_no_traceback(page)


def test_a_sweep_over_the_session_budget_cannot_be_sent(page: Page, studio_server, ui):
    ui.open(page, studio_server)
    budget = page.locator(SIDEBAR).get_by_role("spinbutton", name="Session budget (credits, 0 = none)")
    budget.fill("200")
    budget.press("Enter")
    _card(page, f"a lantern {uuid.uuid4().hex[:5]}")
    page.get_by_label("Values, one per line (2 to 4)").fill("dawn\ndusk\nnight")
    page.get_by_label("Values, one per line (2 to 4)").press("Tab")
    expect(page.get_by_text("Over this session's budget").first).to_be_visible(timeout=20_000)
    expect(page.get_by_role("button", name="Sweep 3 takes · 315 credits")).to_be_disabled()
    ui.assert_no_traceback(page)
