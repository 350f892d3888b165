"""A storyboard's read-only share link over real HTTP: it plays its chosen takes with their trims, and
refuses when expired or tampered with; its page names nothing else of the library."""

from __future__ import annotations

import base64
import contextlib
import json
import re
import time
import uuid
from types import SimpleNamespace

import pytest
import requests
from starlette.routing import Mount, Router
from test_media_route import _serve

import factories
from components import media_route, present_share
from studio import share
from studio.library import NewTake

SECRET = b"s" * 32


def _take(lib, prompt: str, account: str = "demo"):
    sub = uuid.uuid4().hex
    made, _ = lib.add_batch(
        [
            NewTake(
                account=account,
                batch_id="b" + sub[:8],
                submission_id=sub,
                variant_index=0,
                mode="text-to-video",
                model="kling-v3-standard",
                prompt=prompt,
                duration_requested=1,
                duration=1.0,
                aspect_ratio="16:9",
                estimated_credits=100,
            )
        ]
    )
    video = lib.store_bytes(factories.mp4(1.0), ".mp4", kind="videos")
    poster = lib.store_bytes(factories.photo(320, 180), ".jpg", kind="posters")
    return lib.update(
        made[0].id, status="completed", video_path=video, poster_path=poster, job_id="j" + sub[:6]
    )


@pytest.fixture
def world(lib):
    """Two storyboards of one account, and a take of another account: only the first board is shared."""
    shown = [_take(lib, f"shared secret prompt {i}") for i in range(2)]
    candidate = _take(lib, "a candidate, not chosen")
    other = _take(lib, "in another storyboard")
    stranger = _take(lib, "another account's take", account="someone-else")
    board = lib.create_storyboard("demo", "Lighthouse <cut>")
    first = lib.add_shot("demo", board.id, shown[0].id, name="Dawn")
    lib.add_candidate("demo", first.id, candidate.id)
    second = lib.add_shot("demo", board.id, shown[1].id)
    lib.set_trim("demo", second.id, 0.25, 0.75)
    hidden = lib.create_storyboard("demo", "Not shared")
    lib.add_shot("demo", hidden.id, other.id)
    hub = SimpleNamespace(library=lib)
    return SimpleNamespace(
        lib=lib, hub=hub, board=board, shown=shown, hidden=[candidate, other, stranger], hidden_board=hidden
    )


@contextlib.contextmanager
def _served(world):
    """The share route and the media route in one app on a real server, as in studio_app."""
    router = Router(routes=[present_share.route(lambda: world.hub), media_route.route(world.lib.path)])
    with _serve(Mount("", app=router)) as url:
        yield url


def _data(html: str) -> list[dict]:
    found = re.search(r'<script type="application/json" class="vp-data">(.*?)</script>', html, re.S)
    assert found, "the page carries its shots"
    return json.loads(found.group(1))


def test_a_share_link_serves_the_storyboard_in_order_with_trims_and_its_media_plays(world):
    path = present_share.link("demo", world.board.id)
    with _served(world) as url:
        resp = requests.get(url + path, timeout=10)
        assert resp.status_code == 200
        assert resp.headers["Cache-Control"] == "no-store"
        assert resp.headers["Referrer-Policy"] == "no-referrer"
        assert "script-src 'unsafe-inline'" in resp.headers["Content-Security-Policy"]
        page = resp.text
        assert "Lighthouse &lt;cut&gt;" in page and "<cut>" not in page
        assert "read-only link, expires in 7 days" in page
        shots = _data(page)
        assert [s["label"] for s in shots] == ["Dawn", "Shot 2"]
        assert (shots[0]["a"], shots[0]["b"]) == (0.0, None)
        assert (shots[1]["a"], shots[1]["b"], shots[1]["len"]) == (0.25, 0.75, 0.5)
        video = requests.get(url + shots[1]["src"], timeout=10)
        assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
        assert video.content[4:8] == b"ftyp"
        assert requests.get(url + shots[0]["poster"], timeout=10).headers["content-type"] == "image/jpeg"


def _rels_in(page: str) -> set[str]:
    """Every media path the page's signed URLs name."""
    rels = set()
    for token in re.findall(r"/studio-media/([A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+)", page):
        rel = media_route.verify(token)
        assert rel is not None
        rels.add(rel)
    return rels


def test_a_share_page_names_no_other_take_its_prompts_or_ids(world):
    path = present_share.link("demo", world.board.id)
    with _served(world) as url:
        page = requests.get(url + path, timeout=10).text
    assert _rels_in(page) == {t.video_path for t in world.shown} | {t.poster_path for t in world.shown}
    for take in [*world.shown, *world.hidden]:
        assert take.id not in page
        assert take.prompt not in page
    for take in world.hidden:
        assert take.video_path not in page and take.poster_path not in page
    assert world.hidden_board.id not in page and "Not shared" not in page


def test_an_expired_link_is_refused_with_410_and_a_tampered_one_with_403(world, monkeypatch):
    good = present_share.link("demo", world.board.id)
    token = good.rsplit("/", 1)[1]
    body, mac = token.split(".")
    payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    other = payload.replace(world.board.id, world.hidden_board.id)
    forged = base64.urlsafe_b64encode(other.encode()).rstrip(b"=").decode() + "." + mac
    longer = str(int(payload.split(":")[0]) + 10**6) + payload[payload.index(":") :]
    extended = base64.urlsafe_b64encode(longer.encode()).rstrip(b"=").decode() + "." + mac
    with _served(world) as url:
        assert requests.get(url + good, timeout=10).status_code == 200
        for bad in (forged, extended, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), "nonsense", "a.b"):
            resp = requests.get(f"{url}/share/{bad}", timeout=10)
            assert resp.status_code == 403, bad
            assert "This link is not valid" in resp.text
            assert "Traceback" not in resp.text and world.board.name not in resp.text
        real = time.time
        monkeypatch.setattr(share.time, "time", lambda: real() + share.DEFAULT_TTL + 5)
        resp = requests.get(url + good, timeout=10)
        assert resp.status_code == 410 and "This link has expired" in resp.text
        assert world.board.name not in resp.text


def test_a_link_to_a_deleted_storyboard_says_not_found(world):
    path = present_share.link("demo", world.board.id)
    world.lib.delete_storyboard("demo", world.board.id)
    with _served(world) as url:
        resp = requests.get(url + path, timeout=10)
    assert resp.status_code == 404 and "no longer exists" in resp.text


def test_share_tokens_carry_one_board_of_one_account_until_they_expire():
    token = share.sign(SECRET, "acct", "board1", ttl=3600, now=1000.0)
    ok = share.check(SECRET, token, now=1000.0)
    assert ok.grant == share.Grant("acct", "board1", 4600) and ok.refusal is None
    assert share.check(SECRET, token, now=4600.0).refusal is share.Refusal.EXPIRED
    assert share.check(b"x" * 32, token, now=1000.0).refusal is share.Refusal.INVALID
    assert share.check(SECRET, token + "x", now=1000.0).refusal is share.Refusal.INVALID
    with pytest.raises(Exception, match="between a minute and 30 days"):
        share.sign(SECRET, "acct", "board1", ttl=share.MAX_TTL + 1)
    assert share.expires_text(4600, now=1000.0) == "in 60 minutes"


def test_share_links_outlive_a_restart_and_a_team_shares_one_key(tmp_path):
    import stat

    from studio import share
    from studio.settings import load_settings

    home = tmp_path / "home"
    first = share.signing_key(load_settings({"STUDIO_HOME": str(home)}))
    token = share.sign(first, "demo", "board1", 3600)
    again = share.signing_key(load_settings({"STUDIO_HOME": str(home)}))  # the studio restarted
    assert again == first and share.check(again, token).grant is not None
    assert stat.S_IMODE((home / "share.secret").stat().st_mode) == 0o600
    other = share.signing_key(load_settings({"STUDIO_HOME": str(tmp_path / "elsewhere")}))
    assert share.check(other, token).grant is None, "another data folder's key does not verify it"
    team = {"STUDIO_SHARE_SECRET": "one secret for every replica of the team"}
    a = share.signing_key(load_settings({**team, "STUDIO_HOME": str(tmp_path / "a")}))
    b = share.signing_key(load_settings({**team, "STUDIO_HOME": str(tmp_path / "b")}))
    assert share.check(b, share.sign(a, "demo", "board1", 3600)).grant is not None
    assert "one secret" not in repr(load_settings(team))
