"""The fault matrix in a real Chromium against a real `streamlit run`: what a creative sees, and proof
that no take is lost or duplicated (library takes vs the gateway's creates, usage and balance).

Keyed mode runs against a standalone local gateway process (`python -m demo_gateway`),
demo mode against the studio's in-process gateway. Faults come from the gateway's fault switch
over HTTP; the studio itself is killed with SIGKILL, starved of disk (RLIMIT_FSIZE) or denied
writes (CAP_DAC_OVERRIDE dropped, so file modes bind root). Every scenario saves a screenshot.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from studio.library import Library, NewTake, account_fingerprint
from studio.settings import DEMO_API_KEY

pytestmark = pytest.mark.browser

KEY = "varg_browser_faults_key_9f8e7d6c5b4a"
ACCOUNT = account_fingerprint(KEY)
LIVE = "Connected to varg"
DEMO = "Demo mode — local previews, not Sora."


def _unique(text: str) -> str:
    return f"{text} {uuid.uuid4().hex[:6]}"


def _usage(base_url: str, key: str) -> list[dict]:
    req = urllib.request.Request(base_url + "/usage", headers={"Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.load(resp)["usage"]


def _toast(page: Page, text: str):
    return page.locator('[data-testid="stToast"]').filter(has_text=text).first


@pytest.fixture(scope="module")
def keyed(tmp_path_factory, serve_studio, standalone_gateway):
    """A studio with VARG_API_KEY set, against the standalone gateway."""
    env = {"VARG_API_KEY": KEY, "VARG_BASE_URL": standalone_gateway.v1_url}
    with serve_studio(tmp_path_factory.mktemp("keyed_home"), env=env, gateway=standalone_gateway) as server:
        yield server


@pytest.fixture
def gw(standalone_gateway):
    standalone_gateway.reset_faults()
    yield standalone_gateway
    standalone_gateway.reset_faults()


# --- errors at the create -------------------------------------------------------------------------
def test_a_500_on_create_says_so_at_the_form_and_is_never_resent(page: Page, keyed, gw, ui, shot):
    ui.open(page, keyed, label=LIVE)
    posts, creates, balance = gw.create_posts(), gw.creates(), gw.balance(KEY)

    gw.faults(server_error=1, server_error_on="create", error_status=500)
    prompt = _unique("A lighthouse at dusk, waves rolling in")
    ui.generate(page, prompt, outcome="This take failed: The gateway failed to start the job (HTTP 500")
    take = ui.wait_take(keyed, ACCOUNT, prompt, status="failed")
    expect(
        page.get_by_text("Your usage shows no new job since your click, so nothing was charged; it was not sent again.").first
    ).to_be_visible()
    expect(page.get_by_text("To try again, use “New take of the same prompt”.")).to_be_visible()
    expect(page.locator(f".st-key-tray_done_{take.id}")).to_contain_text("HTTP 500", timeout=15_000)
    ui.assert_no_traceback(page)
    shot("fault_500_on_create")
    assert gw.create_posts() == posts + 1, "one POST reached the gateway; nothing was retried"
    assert gw.creates() == creates and gw.balance(KEY) == balance, "no job, nothing charged"

    # Generate again on the same form sends nothing; the failure stays on screen.
    page.get_by_role("button", name="Generate", exact=True).click()
    page.wait_for_timeout(1500)
    assert gw.create_posts() == posts + 1
    assert len(ui.takes(keyed, ACCOUNT, prompt)) == 1

    # A create the gateway committed before answering 500: the studio finds the job in the usage and
    # asks whether it is this take's (never adopted silently); kept on the user's word, charged once.
    gw.faults(create_commit_then_error=1)
    page.get_by_role("button", name="New take of the same prompt").click()
    page.wait_for_timeout(600)
    page.get_by_role("button", name="Generate", exact=True).click()
    deadline = time.monotonic() + 30
    while len(ui.takes(keyed, ACCOUNT, prompt)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    asked = ui.wait_take(keyed, ACCOUNT, prompt, status="unknown")
    assert asked.candidates and asked.job_id is None and "Is it yours?" in asked.error
    keep = page.locator(ui.sidebar).get_by_role("button", name="Keep it — it's mine")
    expect(keep.first).to_be_visible(timeout=20_000)
    keep.first.click()
    deadline = time.monotonic() + 20
    while ui.takes(keyed, ACCOUNT, prompt)[0].status == "unknown" and time.monotonic() < deadline:
        time.sleep(0.1)  # the click reaches the studio
    adopted = ui.wait_take(keyed, ACCOUNT, prompt, status="completed")
    takes = ui.takes(keyed, ACCOUNT, prompt)
    assert len(takes) == 2 and sorted(t.status for t in takes) == ["completed", "failed"]
    assert adopted.job_id == asked.candidates and adopted.video_path
    assert gw.create_posts() == posts + 2
    assert gw.creates() == creates + 1 and gw.balance(KEY) == balance - 100, "charged once, not twice"
    shot("fault_create_committed_then_500")


def test_a_job_failed_by_the_provider_shows_its_message_and_a_toast(page: Page, keyed, gw, ui, shot):
    ui.open(page, keyed, label=LIVE)
    balance, creates = gw.balance(KEY), gw.creates()
    prompt = "[fail] " + _unique("A crowded market at noon")
    ui.generate(page, prompt)
    expect(_toast(page, "Take failed")).to_be_visible(timeout=30_000)
    expect(
        page.get_by_text("This take failed: The provider rejected the request (content policy).")
    ).to_be_visible(timeout=15_000)
    shot("fault_provider_failed_toast")
    take = ui.wait_take(keyed, ACCOUNT, prompt, status="failed")
    assert take.error == "The provider rejected the request (content policy)."
    assert gw.creates() == creates + 1 and gw.balance(KEY) == balance, "one job; refunded by the gateway"
    page.goto(f"{keyed.url}/gallery?take={take.id}")
    expect(page.locator('[data-testid="stAlert"]').filter(has_text="content policy")).to_be_visible(
        timeout=20_000
    )
    ui.assert_no_traceback(page)
    shot("fault_provider_failed_take_page")


def test_429s_a_cut_stream_and_failing_downloads_still_complete_once(page: Page, keyed, gw, ui, shot):
    ui.open(page, keyed, label=LIVE)
    balance, creates, downloads = gw.balance(KEY), gw.creates(), gw.stats()["output_downloads"]
    gw.faults(rate_limit=1, rate_limit_on="create", retry_after=1, drop_stream_after=0.6, download_errors=2)
    prompt = _unique("Rain on a neon street at night, slow pan")
    ui.generate(page, prompt)
    take = ui.wait_take(keyed, ACCOUNT, prompt)
    expect(_toast(page, "Take ready")).to_be_visible(timeout=30_000)
    shot("fault_429_cut_stream_download_errors_completed")
    stats = gw.stats()
    assert stats["creates"] == creates + 1 and gw.balance(KEY) == balance - 100
    assert stats["output_downloads"] >= downloads + 3, "two failed downloads, then the good one"
    assert stats["output_downloads_with_auth"] == 0
    assert len(ui.takes(keyed, ACCOUNT, prompt)) == 1 and take.video_path


# --- the gateway is down when Generate is clicked ----------------------------------------------------
def test_gateway_down_at_submit_keeps_the_take_with_its_error_and_charges_nothing(
    page: Page, launch, gateway_process, tmp_path_factory, ui, shot
):
    gw_dir = tmp_path_factory.mktemp("gw_down")
    with gateway_process(gw_dir) as gw:
        port = int(gw.url.rsplit(":", 1)[1])
        server = launch(
            tmp_path_factory.mktemp("down_home"), env={"VARG_API_KEY": KEY, "VARG_BASE_URL": gw.v1_url}
        )
        ui.open(page, server, label=LIVE)
        expect(page.locator(ui.sidebar).get_by_text("5,000")).to_be_visible(timeout=15_000)
    # The gateway is stopped now (its process ended with the block).
    page.reload()
    expect(page.locator("h1").first).to_be_visible(timeout=30_000)
    prompt = _unique("Snow on a pine forest, still camera")
    ui.generate(page, prompt)
    expect(
        page.get_by_text("This take failed: Could not reach the gateway: nothing was sent or charged.")
    ).to_be_visible(timeout=40_000)
    expect(
        page.locator(ui.sidebar).get_by_text("Balance unavailable: the gateway cannot be reached right now.")
    ).to_be_visible()
    ui.assert_no_traceback(page)
    shot("fault_gateway_down_at_submit")
    take = ui.wait_take(server, ACCOUNT, prompt, status="failed")
    assert take.job_id is None
    assert (
        take.error == "Could not reach the gateway: nothing was sent or charged. Try again when it is back."
    )
    with gateway_process(gw_dir, port=port) as back:  # the same gateway, back up with its saved state
        assert back.creates() == 0 and back.balance(KEY) == 5000 and _usage(back.base_url, KEY) == []


# --- the studio server is killed mid-job and restarted ------------------------------------------------
def test_demo_studio_killed_mid_job_finishes_the_take_after_a_restart(
    page: Page, launch, tmp_path_factory, ui, shot
):
    home = tmp_path_factory.mktemp("kill_demo_home")
    first = launch(home, job_seconds=8)
    ui.open(page, first, label=DEMO)
    prompt = _unique("A quiet harbour at night, lanterns")
    ui.generate(page, prompt)
    take = ui.wait_job_id(first, "demo", prompt)
    assert take.status in ("queued", "processing")
    first.kill()  # SIGKILL: the in-process gateway dies with it, mid-job

    second = launch(home, port=first.port, gateway_port=first.gateway_port, job_seconds=8)
    ui.open(page, second, label=DEMO)  # the first session after the restart resumes the take
    tray = page.locator(ui.sidebar)
    expect(tray.locator(f".st-key-tray_open_{take.id}")).to_be_visible(timeout=20_000)
    shot("fault_killed_demo_resumed_in_tray")
    done = ui.wait_take(second, "demo", prompt, timeout=90)
    assert done.id == take.id and done.job_id == take.job_id
    page.goto(second.url + "/gallery")
    expect(page.locator(f".st-key-gcard_{take.id} img")).to_be_visible(timeout=30_000)
    ui.assert_no_traceback(page)
    shot("fault_killed_demo_completed_in_gallery")
    billed = [u["job_id"] for u in _usage(second.gateway_url + "/v1", DEMO_API_KEY)]
    assert billed == [take.job_id], "one job at the gateway, billed once"
    assert len(ui.takes(second, "demo", prompt)) == 1


def test_keyed_studio_killed_mid_job_finishes_the_take_after_a_restart(
    page: Page, launch, gw, tmp_path_factory, ui, shot
):
    home = tmp_path_factory.mktemp("kill_keyed_home")
    env = {"VARG_API_KEY": KEY, "VARG_BASE_URL": gw.v1_url}
    creates, balance = gw.creates(), gw.balance(KEY)
    first = launch(home, env=env, gateway=gw)
    ui.open(page, first, label=LIVE)
    prompt = _unique("Fog rolling over a mountain lake at dawn")
    duration = page.locator('[data-testid="stButtonGroup"]').filter(has=page.get_by_text("Duration", exact=True))
    duration.get_by_text("8 s", exact=True).click()  # a longer render, so the interruption lands mid-job
    ui.generate(page, prompt)
    take = ui.wait_job_id(first, ACCOUNT, prompt)
    first.kill()
    assert ui.takes(first, ACCOUNT, prompt)[0].status in ("queued", "processing")

    second = launch(home, port=first.port, env=env, gateway=gw)
    ui.open(page, second, label=LIVE)
    done = ui.wait_take(second, ACCOUNT, prompt, timeout=90)
    assert done.id == take.id and done.job_id == take.job_id
    page.goto(second.url + "/gallery")
    expect(page.locator(f".st-key-gcard_{take.id} img")).to_be_visible(timeout=30_000)
    shot("fault_killed_keyed_completed_in_gallery")
    assert gw.creates() == creates + 1 and gw.balance(KEY) == balance - 100, "one job, charged once"
    assert take.job_id in [u["job_id"] for u in _usage(gw.v1_url, KEY)]
    assert len(ui.takes(second, ACCOUNT, prompt)) == 1


# --- the data folder is full or read-only --------------------------------------------------------------
DISK_LIMIT = 1_000_000  # a 4 s preview is ~3 MB; SQLite's few pages fit easily


@pytest.fixture(scope="module")
def disk_full(tmp_path_factory, serve_studio, standalone_gateway, browser, ui):
    """A keyed studio whose files may not grow past 1 MB: one take, completed at the gateway."""
    standalone_gateway.reset_faults()
    home = tmp_path_factory.mktemp("full_home")
    env = {"VARG_API_KEY": KEY, "VARG_BASE_URL": standalone_gateway.v1_url}
    creates, balance = standalone_gateway.creates(), standalone_gateway.balance(KEY)
    with serve_studio(
        home, env=env, gateway=standalone_gateway, preexec_fn=ui.limit_file_size(DISK_LIMIT)
    ) as server:
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        ui.open(page, server, label=LIVE)
        prompt = _unique("Waves crashing on black rocks")
        ui.generate(page, prompt)
        take = ui.wait_take(server, ACCOUNT, prompt, status=None)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            take = ui.takes(server, ACCOUNT, prompt)[0]
            if take.status in ("failed", "unknown", "completed") or (
                take.status == "downloading" and take.error
            ):
                break
            time.sleep(0.25)
        page.wait_for_timeout(2500)  # the tray's next tick shows the outcome
        yield {
            "server": server,
            "page": page,
            "take": take,
            "prompt": prompt,
            "creates": creates,
            "balance": balance,
            "gateway": standalone_gateway,
        }
        page.close()


def test_disk_full_keeps_the_library_sound_and_the_paid_take(disk_full, ui, shot):
    server, page, take = disk_full["server"], disk_full["page"], disk_full["take"]
    gw = disk_full["gateway"]
    shot("fault_disk_full", on=page)
    ui.assert_no_traceback(page)
    assert take.status != "completed" and take.job_id, "the paid job is kept with its id"
    assert gw.creates() == disk_full["creates"] + 1 and gw.balance(KEY) == disk_full["balance"] - 100
    assert len(ui.takes(server, ACCOUNT, disk_full["prompt"])) == 1
    lib = Library(server.home)
    try:
        assert lib.integrity_check() == "ok"
    finally:
        lib.close()
    videos = server.home / "media" / "videos"
    assert not [p.name for p in videos.iterdir()], "no partial video left behind"
    expect(page.locator(ui.sidebar).get_by_text(take.error[:40]).first).to_be_visible()
    # The paid take keeps a way back: Retry on its page (never a new job).
    page.goto(f"{server.url}/gallery?take={take.id}")
    expect(page.get_by_role("button", name="Retry")).to_be_visible(timeout=20_000)
    ui.assert_no_traceback(page)


def test_disk_full_says_the_video_could_not_be_saved_and_keeps_it_fetchable(disk_full):
    take = disk_full["take"]
    assert take.status == "downloading", take.status
    assert any(word in (take.error or "").lower() for word in ("disk", "space", "too large", "save")), (
        take.error
    )


def _freeze(root: Path) -> None:
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            os.chmod(Path(dirpath) / name, 0o444)
        os.chmod(dirpath, 0o555)


def _thaw(root: Path) -> None:
    for dirpath, _dirs, files in os.walk(root):
        os.chmod(dirpath, 0o755)
        for name in files:
            os.chmod(Path(dirpath) / name, stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP | stat.S_IROTH)


def test_a_read_only_data_folder_is_explained_and_left_intact(page: Page, launch, tmp_path_factory, ui, shot):
    try:
        subprocess.run(["true"], preexec_fn=ui.drop_dac_override, check=True)
    except (OSError, subprocess.SubprocessError):
        pytest.skip("cannot drop CAP_DAC_OVERRIDE here, so file modes would not bind the studio")
    home = tmp_path_factory.mktemp("ro_home")
    lib = Library(home)
    made, _ = lib.add_batch(
        [
            NewTake(
                account="demo",
                batch_id="ro",
                submission_id="ro-1",
                variant_index=0,
                mode="text-to-video",
                model="sora-2",
                prompt="a take made before the folder became read-only",
                duration_requested=4,
                duration=4,
                aspect_ratio="16:9",
                estimated_credits=100,
            )
        ]
    )
    lib.update(made[0].id, status="completed", job_id="job_ro")
    lib.close()
    _freeze(home)
    try:
        server = launch(home, preexec_fn=ui.drop_dac_override)
        page.goto(server.url + "/")
        alert = page.locator('[data-testid="stAlert"]').first
        expect(alert).to_be_visible(timeout=30_000)
        text = alert.inner_text()
        assert "read-only" in text or "cannot be opened" in text or "writable" in text, text
        expect(page.get_by_text("Nothing in the data folder was changed.")).to_be_visible()
        ui.assert_no_traceback(page)
        shot("fault_read_only_data_folder")
        page.goto(server.url + "/gallery")
        expect(page.locator('[data-testid="stAlert"]').first).to_be_visible(timeout=30_000)
        ui.assert_no_traceback(page)
    finally:
        _thaw(home)
    lib = Library(home)
    try:
        assert lib.integrity_check() == "ok"
        assert [t.id for t in lib.list("demo")] == [made[0].id], "the take is still there, unchanged"
    finally:
        lib.close()
