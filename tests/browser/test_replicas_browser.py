"""Two studio replicas on one PostgreSQL library, two browsers: a take made on one shows up, playing,
on the other without a reload (LISTEN/NOTIFY wakes the other replica's page)."""

from __future__ import annotations

import os
import time

import pytest
from playwright.sync_api import expect

from studio.library import account_fingerprint
from studio.store import open_store
from tests.replica_cluster import pg_schema, s3_bucket

pytestmark = pytest.mark.browser
KEY = "varg_team_key_browser_001"


@pytest.fixture
def database_url():
    base = os.environ.get("STUDIO_TEST_DATABASE_URL", "")
    if not base:
        pytest.skip("no PostgreSQL: scripts/test.sh starts one (STUDIO_TEST_DATABASE_URL)")
    pytest.importorskip("psycopg")
    with pg_schema(base) as url:
        yield url


def test_a_take_made_on_one_replica_appears_playing_on_the_other(
    browser, launch, gateway_process, database_url, tmp_path, ui, shot
):
    endpoint = os.environ.get("STUDIO_TEST_S3_ENDPOINT")
    with gateway_process(tmp_path / "gateway", job_seconds=3.0) as gw, s3_bucket(endpoint) as bucket:
        env = {
            "VARG_API_KEY": KEY,
            "VARG_BASE_URL": gw.v2_url,
            "STUDIO_DATABASE_URL": database_url,
            "STUDIO_LEASE_SECONDS": "5",
            **bucket,
        }
        # With a bucket the replicas share no disk (the browser gets presigned URLs); without one,
        # they share a data folder for media.
        replica_a = launch(tmp_path / ("home_a" if bucket else "media_home"), env=env, gateway=gw)
        replica_b = launch(tmp_path / ("home_b" if bucket else "media_home"), env=env, gateway=gw)
        ctx_a, ctx_b = browser.new_context(), browser.new_context()
        try:
            page_a, page_b = ctx_a.new_page(), ctx_b.new_page()
            ui.open(page_b, replica_b, "gallery")
            ui.open(page_a, replica_a)
            before = page_b.evaluate("() => performance.getEntriesByType('navigation').length")
            prompt = f"a paper boat sailing down a rainy street {time.time_ns() % 10_000}"
            ui.generate(page_a, prompt)

            library = open_store(database_url, tmp_path / "observer")
            try:
                take = None
                deadline = time.monotonic() + 90
                while time.monotonic() < deadline:
                    found = library.list(account_fingerprint(KEY), search=prompt, limit=1)
                    if found and found[0].status == "completed":
                        take = found[0]
                        break
                    time.sleep(0.1)
                assert take is not None, "the take completed"
                done_at = time.monotonic()
            finally:
                library.close()

            card = page_b.locator(f".st-key-gcard_{take.id}")
            expect(card.locator("img")).to_be_visible(timeout=10_000)
            seen_after = time.monotonic() - done_at
            assert page_b.evaluate("() => performance.getEntriesByType('navigation').length") == before
            assert "/gallery" in page_b.url, "no reload, no navigation: the page redrew itself"
            shot("replicas_b_gallery", on=page_b)

            card.get_by_role("button", name="Open").click()
            video = page_b.locator("video").first
            expect(video).to_be_visible(timeout=20_000)
            if bucket:
                assert video.get_attribute("src").startswith(endpoint), "played from the bucket, presigned"
            video.evaluate("v => { v.muted = true; return v.play(); }")
            page_b.wait_for_function(
                "v => v.readyState >= 2 && v.currentTime > 0.2", arg=video.element_handle(), timeout=20_000
            )
            ui.assert_no_traceback(page_b)
            shot("replicas_b_take_playing", on=page_b)
            print(f"\nshown on the other replica {seen_after:.2f}s after it completed")
        finally:
            ctx_a.close()
            ctx_b.close()
