"""Signed media URLs over real HTTP: a valid link serves (with Range), an expired, tampered or escaping one does not."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests

import factories
from components import media_route
from studio.errors import InputError
from studio.library import Library


@pytest.fixture
def library(tmp_path: Path):
    lib = Library(tmp_path / "home")
    yield lib
    lib.close()


@contextlib.contextmanager
def _serve(route):
    """`route` alone in a Starlette app on a real uvicorn, on a free loopback port."""
    import uvicorn
    from starlette.applications import Starlette

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(Starlette(routes=[route]), lifespan="off", log_config=None, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def served(library: Library):
    """The route resolving through `library`."""
    with _serve(media_route.route(library.path)) as url:
        yield url


def _studio(library: Library):
    return SimpleNamespace(library=library)


def test_a_signed_url_serves_the_file_as_video_with_range_requests(library: Library, served: str):
    data = factories.mp4(1.0)
    rel = library.store_bytes(data, ".mp4", kind="videos")
    url = media_route.media_url(_studio(library), rel)
    assert url.startswith("/studio-media/") and rel not in url and "videos" not in url
    whole = requests.get(served + url, timeout=10)
    assert whole.status_code == 200 and whole.content == data
    assert whole.headers["content-type"] == "video/mp4"
    assert whole.headers["x-content-type-options"] == "nosniff"
    part = requests.get(served + url, headers={"Range": "bytes=100-199"}, timeout=10)
    assert part.status_code == 206 and part.content == data[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(data)}"
    head = requests.head(served + url, timeout=10)
    assert head.status_code == 200 and int(head.headers["content-length"]) == len(data)


def test_the_same_file_gets_the_same_url_within_a_window_so_players_are_not_reloaded(library: Library):
    rel = library.store_bytes(factories.mp4(0.5), ".mp4", kind="videos")
    assert media_route.media_url(_studio(library), rel) == media_route.media_url(_studio(library), rel)
    other = library.store_bytes(factories.mp4(0.5), ".mp4", kind="videos")
    assert media_route.media_url(_studio(library), other) != media_route.media_url(_studio(library), rel)


def test_an_expired_url_is_refused(library: Library, served: str):
    rel = library.store_bytes(factories.mp4(0.5), ".mp4", kind="videos")
    token = media_route.sign(rel, int(time.time()) - 1)
    resp = requests.get(f"{served}/studio-media/{token}", timeout=10)
    assert resp.status_code == 403 and "expired" in resp.text
    assert media_route.verify(token) is None
    assert media_route.verify(media_route.sign(rel, int(time.time()) + 60)) == rel


def test_a_tampered_url_is_refused(library: Library, served: str):
    rel = library.store_bytes(factories.mp4(0.5), ".mp4", kind="videos")
    other = library.store_bytes(factories.mp4(0.5), ".mp4", kind="videos")
    good = media_route.media_url(_studio(library), rel).rsplit("/", 1)[1]
    body, mac = good.split(".")
    forged_body = media_route.sign(other, int(time.time()) + 3600).split(".")[0]  # another file, old MAC
    flipped = mac[:-1] + ("A" if mac[-1] != "A" else "B")
    for token in (f"{forged_body}.{mac}", f"{body}.{flipped}", body, f".{mac}", "not-a-token", "%2e%2e"):
        resp = requests.get(f"{served}/studio-media/{token}", timeout=10)
        assert resp.status_code in (403, 404), token
        assert resp.content != (library.path(rel)).read_bytes()
    assert requests.get(f"{served}/studio-media/{good}", timeout=10).status_code == 200


def test_a_signed_path_outside_the_media_folder_is_refused(library: Library, served: str, tmp_path: Path):
    secret = tmp_path / "home" / "secret.txt"
    secret.write_text("not media")
    later = int(time.time()) + 3600
    for rel in (
        "../secret.txt",
        "/etc/passwd",
        "videos/../../secret.txt",
        "..",
        "videos\\..\\..\\secret.txt",
    ):
        resp = requests.get(f"{served}/studio-media/{media_route.sign(rel, later)}", timeout=10)
        assert resp.status_code == 404, rel
        assert "not media" not in resp.text and "root:" not in resp.text
        with pytest.raises(InputError):
            media_route.media_url(_studio(library), rel)
    missing = media_route.sign("videos/nothing-here.mp4", later)
    assert requests.get(f"{served}/studio-media/{missing}", timeout=10).status_code == 404


def test_the_app_route_without_a_running_app_says_it_is_starting(library: Library):
    rel = library.store_bytes(factories.mp4(0.5), ".mp4", kind="videos")
    token = media_route.sign(rel, int(time.time()) + 60)
    with _serve(media_route.route()) as url:  # resolves through the app's hub, absent here
        assert requests.get(f"{url}/studio-media/{token}", timeout=10).status_code == 503
