"""Secrets and isolation at page level, in a real Chromium against a real `streamlit run`.

Secrets: a whole session with a canary key (create, live tray, completion, play, download, a
provider failure and a 500 on create) leaves the canary nowhere the browser or the disk can see:
page HTML of every page visited, every URL the browser requested, every websocket frame the server
sent, the server's own output, every file under STUDIO_HOME; and no output download carried the
Authorization header. The same with a key typed into the sidebar of a demo-mode studio.

Isolation: two browser sessions with different typed keys and a demo session on one studio see
only their own takes, job tray and spend.
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from studio.library import account_fingerprint

pytestmark = pytest.mark.browser

CANARY = "varg_CANARY_b7e3c1d9f2a84e6b90c5d1f3a7e2b4c8"
TYPED_CANARY = "varg_TYPED_CANARY_4c8e2a6b1d9f3e7a5c0b8d2f6e1a9c3b"
KEY_A = "varg_isolation_A_0f1e2d3c4b5a6978"
KEY_B = "varg_isolation_B_8796a5b4c3d2e1f0"
LIVE = "Connected to varg"
DEMO = "Demo mode — local previews, not Sora."


def _needles(key: str) -> dict[str, bytes]:
    return {
        "the key": key.encode(),
        "its secret part": key.rsplit("_", 1)[1].encode(),
        "its sha256": hashlib.sha256(key.encode()).hexdigest().encode(),
        "the key in UTF-16": key.encode("utf-16-le"),
    }


def _leaks(blob: str | bytes, key: str) -> list[str]:
    data = blob.encode("utf-8", "replace") if isinstance(blob, str) else blob
    return [name for name, needle in _needles(key).items() if needle in data]


def _unique(text: str) -> str:
    return f"{text} {uuid.uuid4().hex[:6]}"


@dataclass
class Recorder:
    """What one browser page saw: the HTML of each page, URLs requested, websocket frames."""

    pages: list[tuple[str, str]] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    received: list[bytes] = field(default_factory=list)
    sent: list[bytes] = field(default_factory=list)

    def attach(self, page: Page) -> Recorder:
        page.on("request", lambda req: self.urls.append(req.url))

        def on_ws(ws) -> None:
            self.urls.append(ws.url)
            ws.on("framereceived", lambda payload: self.received.append(_bytes(payload)))
            ws.on("framesent", lambda payload: self.sent.append(_bytes(payload)))

        page.on("websocket", on_ws)
        return self

    def snapshot(self, page: Page) -> None:
        self.pages.append((page.url, page.content()))

    def assert_clean(self, key: str) -> None:
        assert self.pages and self.urls and self.received, "the session was recorded"
        for url, html in self.pages:
            assert not _leaks(html, key), f"page {url} shows {_leaks(html, key)}"
        for url in self.urls:
            assert not _leaks(url, key), f"a requested URL holds {_leaks(url, key)}: {url[:120]}"
        for frame in self.received:
            assert not _leaks(frame, key), f"a websocket frame from the server holds {_leaks(frame, key)}"


def _bytes(payload: str | bytes) -> bytes:
    return payload if isinstance(payload, bytes) else payload.encode("utf-8", "replace")


def _assert_disk_and_logs_clean(server, key: str) -> None:
    log = server.log.read_bytes()
    assert log, "the server wrote its output"
    assert not _leaks(log, key), f"the server's output holds {_leaks(log, key)}"
    checked = 0
    for dirpath, _dirs, files in os.walk(server.home):
        for name in files:
            path = Path(dirpath) / name
            assert not _leaks(path.name, key)
            assert not _leaks(path.read_bytes(), key), f"{path} holds {_leaks(path.read_bytes(), key)}"
            checked += 1
    assert checked >= 4, "the library database and media were written"


def _type_key(page: Page, key: str) -> None:
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("API key", exact=True).click()
    field_ = sidebar.get_by_label("varg API key", exact=True)
    field_.fill(key)
    field_.press("Enter")
    expect(sidebar.get_by_text(LIVE)).to_be_visible(timeout=20_000)
    expect(field_).to_have_value("")


def _nav(page: Page, title: str) -> None:
    """Go to a page inside the same session (a reload would start a new one, without the typed key)."""
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title, exact=True).click()
    expect(page.locator("h1", has_text=title)).to_be_visible(timeout=30_000)


def _metric(page: Page, label: str) -> str:
    metric = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    expect(metric).to_be_visible(timeout=15_000)
    return metric.locator('[data-testid="stMetricValue"]').inner_text().strip()


def _play_and_download(page: Page, rec: Recorder, server, take, tmp_path: Path) -> Path:
    page.goto(f"{server.url}/gallery")
    expect(page.locator(f".st-key-gcard_{take.id} img")).to_be_visible(timeout=30_000)
    rec.snapshot(page)
    page.locator(f".st-key-gopen_{take.id} button").click()
    page.wait_for_function(
        "() => document.querySelector('video') && document.querySelector('video').readyState >= 2",
        timeout=20_000,
    )
    page.locator("video").first.evaluate("v => { v.muted = true; return v.play(); }")
    page.wait_for_function("() => document.querySelector('video').currentTime > 0.3", timeout=15_000)
    rec.snapshot(page)
    with page.expect_download(timeout=20_000) as info:
        page.get_by_role("button", name="Download").click()
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    rec.urls.append(info.value.url)
    return saved


# --- secrets ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def canary_server(tmp_path_factory, serve_studio, standalone_gateway):
    env = {"VARG_API_KEY": CANARY, "VARG_BASE_URL": standalone_gateway.v1_url}
    with serve_studio(tmp_path_factory.mktemp("canary_home"), env=env, gateway=standalone_gateway) as server:
        yield server


def test_a_whole_session_with_a_canary_key_leaves_it_nowhere(
    page: Page, canary_server, standalone_gateway, ui, shot, tmp_path
):
    gw, server = standalone_gateway, canary_server
    gw.reset_faults()
    account = account_fingerprint(CANARY)
    rec = Recorder().attach(page)

    ui.open(page, server, label=LIVE)
    rec.snapshot(page)
    prompt = _unique("A lighthouse at dusk, waves rolling in")
    ui.generate(page, prompt)
    take = ui.wait_take(server, account, prompt, status=None)
    expect(page.locator(f".st-key-tray_open_{take.id}, .st-key-tray_done_{take.id}").first).to_be_visible(
        timeout=15_000
    )
    rec.snapshot(page)  # the live tray
    take = ui.wait_take(server, account, prompt)
    expect(page.locator('[data-testid="stToast"]').filter(has_text="Take ready").first).to_be_visible(
        timeout=30_000
    )
    rec.snapshot(page)
    saved = _play_and_download(page, rec, server, take, tmp_path)
    assert saved.read_bytes()[4:8] == b"ftyp", "the download is the MP4"
    shot("secrets_canary_take_playing")

    # Errors: a provider failure, then a 500 on create.
    for faults, prompt_ in (
        ({}, "[fail] " + _unique("A crowded market")),
        ({"server_error": 1, "server_error_on": "create"}, _unique("Dunes at noon")),
    ):
        if faults:
            gw.faults(**faults)
        ui.open(page, server)
        ui.generate(page, prompt_, outcome="This take failed")
        rec.snapshot(page)
    shot("secrets_canary_errors")
    for path in ("image_to_video", "remix", "gallery"):
        ui.open(page, server, path)
        rec.snapshot(page)
    gw.reset_faults()

    rec.assert_clean(CANARY)
    for frame in rec.sent:
        assert not _leaks(frame, CANARY), "the browser never holds the env key, so never sends it"
    _assert_disk_and_logs_clean(server, CANARY)
    assert not _leaks(gw.log.read_bytes(), CANARY), "the gateway does not log keys either"
    assert gw.stats()["output_downloads_with_auth"] == 0, "no output download carried the key"
    assert any("/media/" in u for u in rec.urls), "videos came from the studio's own media endpoint"


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory, serve_studio, standalone_gateway):
    """One studio in demo mode whose typed keys go to the standalone gateway."""
    env = {"VARG_BASE_URL": standalone_gateway.v1_url}
    with serve_studio(tmp_path_factory.mktemp("shared_home"), env=env, gateway=standalone_gateway) as server:
        yield server


def test_a_key_typed_into_the_sidebar_is_never_sent_back_or_stored(
    page: Page, shared_server, standalone_gateway, ui, shot
):
    server = shared_server
    standalone_gateway.reset_faults()
    rec = Recorder().attach(page)
    ui.open(page, server, label=DEMO)
    _type_key(page, TYPED_CANARY)
    rec.snapshot(page)
    prompt = _unique("Snow falling on a pine forest")
    ui.generate(page, prompt)
    ui.wait_take(server, account_fingerprint(TYPED_CANARY), prompt)
    expect(page.locator('[data-testid="stToast"]').filter(has_text="Take ready").first).to_be_visible(
        timeout=30_000
    )
    rec.snapshot(page)
    _nav(page, "Gallery")
    expect(page.locator('[data-testid="stSidebar"]').get_by_text(LIVE)).to_be_visible()
    rec.snapshot(page)
    shot("secrets_typed_key_gallery")
    assert any(_leaks(f, TYPED_CANARY) for f in rec.sent), "the typed key did travel up to the server once"
    rec.assert_clean(TYPED_CANARY)
    _assert_disk_and_logs_clean(server, TYPED_CANARY)
    assert standalone_gateway.stats()["output_downloads_with_auth"] == 0


# --- isolation -------------------------------------------------------------------------------------
def _gallery_ids(page: Page) -> set[str]:
    _nav(page, "Gallery")
    page.wait_for_timeout(800)
    html = page.content()
    return set(re.findall(r"st-key-gcard_([0-9a-zA-Z_-]+)", html))


def test_two_keys_and_demo_on_one_studio_see_only_their_own(
    browser, shared_server, standalone_gateway, ui, shot
):
    server, gw = shared_server, standalone_gateway
    gw.reset_faults()
    sessions = {}
    for name, key in (("A", KEY_A), ("B", KEY_B), ("demo", None)):
        ctx = browser.new_context(viewport={"width": 1440, "height": 900})
        page = ctx.new_page()
        ui.open(page, server, label=DEMO)
        if key:
            _type_key(page, key)
        sessions[name] = (ctx, page, account_fingerprint(key) if key else "demo")

    made: dict[str, list] = {"A": [], "B": [], "demo": []}
    plan = [("A", 1), ("B", 2), ("demo", 1)]  # B makes two takes: its spend differs from A's
    for name, count in plan:
        _ctx, page, account = sessions[name]
        for i in range(count):
            prompt = _unique(f"Isolation {name} take {i}, a kite over dunes")
            _nav(page, "Text to video")
            if i:
                page.get_by_role("button", name="New take of the same prompt").click()
            ui.generate(page, prompt)
            made[name].append(ui.wait_take(server, account, prompt, status=None, timeout=30))
            # While it renders, nobody else's tray or page mentions it.
            for other, (_c, other_page, _a) in sessions.items():
                if other != name:
                    html = other_page.content()
                    assert made[name][-1].id not in html and prompt not in html
    for name, takes in made.items():
        for take in takes:
            ui.wait_take(server, sessions[name][2], take.prompt)

    ids = {name: {t.id for t in takes} for name, takes in made.items()}
    for name, (_ctx, page, _account) in sessions.items():
        seen = _gallery_ids(page)
        assert ids[name] <= seen, f"{name} sees its own takes"
        for other in ids:
            if other != name:
                assert not (ids[other] & seen), f"{name} sees {other}'s takes"
        html = page.content()
        for other, takes in made.items():
            if other != name:
                assert all(t.prompt not in html for t in takes)
        shot(f"isolation_gallery_{name}", on=page)
    spend = {name: _metric(sessions[name][1], "This session") for name in sessions}
    balance = {name: _metric(sessions[name][1], "Balance") for name in ("A", "B")}
    assert spend == {"A": "100", "B": "200", "demo": "105"}, spend  # v1 per job; demo speaks v2: 26.25 × 4 s
    assert balance == {"A": "4,900", "B": "4,800"}, balance
    assert gw.balance(KEY_A) == 4900 and gw.balance(KEY_B) == 4800
    # Each tray lists only its own finished takes.
    for name, (_ctx, page, _account) in sessions.items():
        tray = page.locator('[data-testid="stSidebar"]').inner_html()
        for other, takes in made.items():
            if other != name:
                assert all(t.id not in tray for t in takes), f"{name}'s tray shows {other}'s take"
    for ctx, _page, _account in sessions.values():
        ctx.close()


# --- prompts are plain text in the browser (issue 9, finding 2) -----------------------------------
HOSTILE_PROMPT = (
    "![x](http://127.0.0.1:9/pixel.png) **bold** <img src=x onerror=alert(1)> "
    "[link](javascript:alert(1)) :red[colour]"
)


def _hostile_takes(server) -> tuple[str, str]:
    """A take and its remix, both with a hostile prompt, written straight into the studio's library."""
    import factories
    from studio.library import NewTake

    lib = server.library()
    try:
        video = lib.store_bytes(factories.mp4(1.0), ".mp4", kind="videos")
        poster = lib.store_bytes(factories.photo(320, 180), ".jpg", kind="posters")
        ids = []
        for mode, source in (("text-to-video", None), ("remix", "root")):
            made, _ = lib.add_batch(
                [
                    NewTake(
                        account="demo",
                        batch_id=f"hostile-{mode}",
                        submission_id=f"hostile-{mode}-{uuid.uuid4().hex}",
                        variant_index=0,
                        mode=mode,
                        model="sora-2",
                        prompt=HOSTILE_PROMPT + (" remixed" if source else ""),
                        duration_requested=4,
                        duration=4,
                        aspect_ratio="16:9",
                        estimated_credits=100,
                        source_take_id=ids[0] if source else None,
                    )
                ]
            )
            lib.update(
                made[0].id,
                status="completed",
                video_path=video,
                poster_path=poster,
                job_id=f"job_h{len(ids)}",
            )
            ids.append(made[0].id)
        return ids[0], ids[1]
    finally:
        lib.close()


def test_a_markdown_prompt_is_plain_text_in_the_browser_and_fetches_nothing(page: Page, fresh_server, ui):
    root, child = _hostile_takes(fresh_server)
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))

    def no_prompt_elements(where: str) -> None:
        # The prompt is on the page, as text (its link text included) ...
        expect(page.get_by_text("pixel.png", exact=False).first).to_be_visible(timeout=15_000)
        ui.assert_no_traceback(page)
        # ... and nothing it names became an image or a link.
        assert page.locator('img[src*="pixel.png"], img[src="x"]').count() == 0, where
        assert page.locator('a[href^="javascript"]').count() == 0, where

    ui.open(page, fresh_server, "gallery")
    expect(page.get_by_text("pixel.png", exact=False).first).to_be_visible(timeout=15_000)
    no_prompt_elements("gallery")
    for take in (root, child):  # the take page with its lineage buttons (both directions)
        ui.open(page, fresh_server, f"gallery?take={take}")
        expect(page.get_by_text("Lineage").first).to_be_visible(timeout=15_000)
        no_prompt_elements(f"take {take}")
    ui.open(page, fresh_server, f"gallery?compare={root},{child}")
    expect(page.locator("video")).to_have_count(2, timeout=15_000)
    no_prompt_elements("compare")
    ui.open(page, fresh_server, "remix")  # its source posters show the prompts
    expect(page.locator('[class*="st-key-remix_src"]').first).to_be_visible(timeout=15_000)
    no_prompt_elements("remix")
    ui.open(page, fresh_server, "board")  # every branch with its prompt diff
    expect(page.locator("h1", has_text="Board")).to_be_visible(timeout=15_000)
    no_prompt_elements("board")
    page.wait_for_timeout(1000)
    leaked = [u for u in asked if "127.0.0.1:9/" in u or u.startswith("javascript:")]
    assert not leaked, f"the page fetched what a prompt named: {leaked}"
