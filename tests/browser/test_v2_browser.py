"""A new user in demo mode, in Chromium, against `streamlit run studio_app.py` speaking varg v2.

The studio's own `st.App` serves the pages, the demo gateway (mounted at /demo-gateway) and the
webhook route the demo gateway calls back.
"""

from __future__ import annotations

import hashlib
import re
import time
import urllib.request
import uuid

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

SIDEBAR = '[data-testid="stSidebar"]'


def _open(page: Page, server) -> None:
    page.goto(server.url + "/")
    expect(page.locator("h1").first).to_be_visible(timeout=30_000)


def _pill(page: Page, group: str, text: str) -> None:
    """Click a pill of a labelled pills group (Variants, Duration)."""
    box = page.locator('[data-testid="stButtonGroup"]').filter(has=page.get_by_text(group, exact=True))
    box.get_by_text(text, exact=True).first.click()


def _estimate(page: Page):
    return page.locator(".vs-estimate").first


def _takes(server, prompt: str) -> list:
    lib = server.library()
    try:
        return lib.list("demo", search=prompt, limit=10)
    finally:
        lib.close()


def test_the_exact_price_follows_duration_and_variants_and_two_seeded_variants_differ(
    page: Page, fresh_server
):
    _open(page, fresh_server)
    assert urllib.request.urlopen(fresh_server.url + "/healthz", timeout=5).status == 200
    expect(_estimate(page)).to_contain_text("1 × 105 = 105 credits", timeout=20_000)  # Sora 2, 4 s
    _pill(page, "Duration", "8 s")
    expect(_estimate(page)).to_contain_text("1 × 210 = 210 credits", timeout=20_000)
    expect(_estimate(page)).not_to_contain_text("approx.")

    # Kling v3 takes seeds: two variants get two seeds and come back as two different videos.
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Model").first.click()
    page.get_by_role("option", name=re.compile(r"^Kling v3 ·")).click()
    _pill(page, "Variants", "2")
    expect(_estimate(page)).to_contain_text("2 ×", timeout=20_000)
    prompt = f"a hummingbird over a flower {uuid.uuid4().hex[:6]}"
    page.get_by_label("Prompt").fill(prompt)
    page.get_by_role("button", name="Generate", exact=True).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible(timeout=15_000)
    dialog.get_by_role("button", name=re.compile("Generate|Confirm|Spend", re.I)).last.click()

    # The tray shows the gateway's real progress while the takes render.
    expect(page.locator(SIDEBAR).locator('[data-testid="stProgress"]').first).to_be_visible(timeout=20_000)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        takes = _takes(fresh_server, prompt)
        if len(takes) == 2 and all(t.status == "completed" for t in takes):
            break
        assert not any(t.status in ("failed", "unknown") for t in takes), [t.error for t in takes]
        time.sleep(0.3)
    else:
        raise AssertionError("the two variants did not complete")
    seeds = {t.seed for t in takes}
    digests = {
        hashlib.sha256((fresh_server.home / "media" / t.video_path).read_bytes()).hexdigest() for t in takes
    }
    assert len(seeds) == 2 and None not in seeds
    assert len(digests) == 2, "two seeds, two different videos"
    assert all(t.billed_credits == t.estimated_credits for t in takes)
    # The demo gateway called the studio back: signed webhooks through the app's own route.
    assert fresh_server.stats()["webhooks"]["sent"] >= 2


def test_sora_gone_is_unavailable_with_an_alternative_and_nothing_is_charged(page: Page, launch, tmp_path):
    server = launch(tmp_path / "gone-home", env={"VARG_LOCAL_FAULTS": "sora_gone=true"})
    _open(page, server)
    main = page.locator('[data-testid="stMain"]')
    expect(main.get_by_text(re.compile("not available on varg"))).to_be_visible(timeout=30_000)
    alternative = main.get_by_role("button", name=re.compile(r"^Use .+ instead$"))
    expect(alternative.first).to_be_visible()
    expect(main.get_by_role("button", name="Generate", exact=True)).to_be_disabled()
    alternative.first.click()
    expect(main.get_by_role("button", name="Generate", exact=True)).to_be_enabled(timeout=20_000)
    expect(_estimate(page)).not_to_contain_text("Sora")
    stats = server.stats()
    assert stats["creates"] == 0
    expect(page.locator(SIDEBAR)).to_contain_text("5,000")
