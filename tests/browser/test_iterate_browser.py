"""A new user iterates on a take in Chromium: keep it, make its final, re-roll it, reject one with
reasons, edit the prompt keeping the seed. Every step shows its price first; clicks are counted."""

from __future__ import annotations

import re
import time
import uuid

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def _takes(server, **filters) -> list:
    lib = server.library()
    try:
        return lib.list("demo", limit=50, **filters)
    finally:
        lib.close()


def _wait_for(server, check, what: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check(_takes(server))
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"{what}: {[(t.prompt, t.status, t.relation) for t in _takes(server)]}")


def _make_take(page: Page, server, prompt: str):
    page.goto(server.url + "/")
    expect(page.locator("h1").first).to_be_visible(timeout=30_000)
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Model").first.click()
    page.get_by_role("option", name=re.compile(r"^Kling v3 Standard ·")).click()
    page.get_by_label("Prompt").fill(prompt)
    expect(page.locator(".vs-estimate").first).to_contain_text("credits", timeout=20_000)
    page.get_by_role("button", name="Generate", exact=True).click()
    return _wait_for(
        server,
        lambda takes: next((t for t in takes if t.prompt == prompt and t.status == "completed"), None),
        "the first take did not complete",
    )


def _open_take(page: Page, server, take) -> None:
    page.goto(f"{server.url}/gallery?take={take.id}")
    expect(page.get_by_text("Next try")).to_be_visible(timeout=30_000)


def _verdict(page: Page, label: str) -> None:
    box = page.locator('[data-testid="stButtonGroup"]').filter(has=page.get_by_text("Verdict", exact=True))
    box.get_by_text(label, exact=True).click()


def test_keep_make_final_reroll_reject_and_lock_seed(page: Page, fresh_server, shot):
    server = fresh_server
    prompt = f"a paper boat on a rainy street {uuid.uuid4().hex[:6]}"
    draft = _make_take(page, server, prompt)
    assert draft.seed is not None and draft.model.replace("-", "_") == "kling_v3_standard"

    # From "a take I like" to its final submitted: Keep, Make final, confirm = 3 clicks.
    _open_take(page, server, draft)
    clicks = 0
    _verdict(page, "✓ Keep")
    clicks += 1
    final_button = page.get_by_role("button", name=re.compile(r"^Make final: Kling v3 · \d+ s · [\d,]+ credits \(\+"))
    expect(final_button).to_be_visible(timeout=20_000)
    shot("iterate-take-page-kept")
    final_button.click()
    clicks += 1
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible(timeout=15_000)
    expect(dialog).to_contain_text("Kling v3")
    dialog.get_by_role("button", name=re.compile(r"^Generate · [\d,]+ credits$")).click()
    clicks += 1
    final = _wait_for(
        server, lambda ts: next((t for t in ts if t.relation == "final"), None), "no final take"
    )
    assert clicks <= 3
    assert final.parent_id == draft.id and final.idea_id == draft.idea_id
    assert final.model.replace("-", "_") == "kling_v3" and final.seed == draft.seed
    assert final.prompt == draft.prompt and float(final.duration) > float(draft.duration)
    assert _takes(server, verdict="keep")[0].id == draft.id

    # Same recipe, new seed: one click (a standard model needs no confirm).
    reroll = page.get_by_role("button", name=re.compile(r"^Re-roll · [\d,]+ credits"))
    expect(reroll).to_be_visible()
    reroll.click()
    rerolled = _wait_for(
        server, lambda ts: next((t for t in ts if t.relation == "reroll"), None), "no re-roll"
    )
    assert rerolled.parent_id == draft.id and rerolled.seed != draft.seed and rerolled.prompt == draft.prompt
    expect(page.get_by_role("dialog")).to_have_count(0)
    time.sleep(1.0)
    assert len([t for t in _takes(server) if t.relation == "reroll"]) == 1, "one click, one take"

    # Reject with a reason; the verdict and its tags are kept in the library.
    _verdict(page, "✕ Reject")
    page.get_by_role("button", name="Motion", exact=True).click()
    expect(page.locator(".vs-chip.reject").first).to_be_visible(timeout=10_000)
    _wait_for(
        server,
        lambda ts: next((t for t in ts if t.id == draft.id and t.verdict_reasons == "motion"), None),
        "the reasons were not saved",
    )

    # Edit the prompt, keep the seed: the form opens with this seed locked and the take as parent.
    page.get_by_role("button", name="Edit prompt, keep seed").click()
    expect(page.get_by_label("Prompt")).to_have_value(prompt, timeout=20_000)
    expect(page.get_by_label("Seed number")).to_have_value(str(draft.seed))
    page.get_by_label("Prompt").fill(prompt + ", at dawn")
    page.get_by_role("button", name="Generate", exact=True).click()
    locked = _wait_for(
        server, lambda ts: next((t for t in ts if t.relation == "lock_seed"), None), "no lock-seed take"
    )
    assert locked.seed == draft.seed and locked.parent_id == draft.id and locked.prompt.endswith("at dawn")
    shot("iterate-after-lock-seed")
