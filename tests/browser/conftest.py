"""Browser fixtures: Debian's Chromium through Playwright, and a real `streamlit run` of the studio."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--autoplay-policy=no-user-gesture-required",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1440, "height": 900}}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    gateway_url: str
    home: Path
    log: Path

    def stats(self) -> dict:
        with urllib.request.urlopen(self.gateway_url + "/_admin/stats", timeout=5) as resp:
            return json.load(resp)

    def library(self):
        from studio.library import Library

        return Library(self.home)


@contextlib.contextmanager
def _serve(home: Path):
    """`streamlit run studio_app.py` on a free loopback port with its own data folder."""
    port, gw_port = _free_port(), _free_port()
    env = {
        **os.environ,
        "STUDIO_HOME": str(home),
        "STUDIO_DEMO_JOB_SECONDS": "2",
        "STUDIO_GATEWAY_PORT": str(gw_port),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("VARG_API_KEY", None)
    env.pop("VARG_BASE_URL", None)
    log = home / "streamlit.log"
    cmd = [
        sys.executable, "-m", "streamlit", "run", "studio_app.py",
        "--server.headless", "true",
        "--server.address", "127.0.0.1",
        "--server.port", str(port),
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("streamlit did not start:\n" + log.read_text(errors="replace")[-3000:])
            time.sleep(0.3)
        yield Server(url=url, gateway_url=f"http://127.0.0.1:{gw_port}", home=home, log=log)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # our own child's process group only
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)


@pytest.fixture(scope="session")
def studio_server(tmp_path_factory: pytest.TempPathFactory):
    """One studio for the session's scenarios (takes accumulate like a real user's)."""
    with _serve(tmp_path_factory.mktemp("browser_home")) as server:
        yield server


@pytest.fixture
def fresh_server(tmp_path_factory: pytest.TempPathFactory):
    """A studio process that has served nothing yet."""
    with _serve(tmp_path_factory.mktemp("fresh_home")) as server:
        yield server


@pytest.fixture
def shot(page):
    """Save a full-page screenshot to test-artifacts/screenshots/<name>.png."""
    SHOTS.mkdir(parents=True, exist_ok=True)

    def save(name: str) -> Path:
        path = SHOTS / f"{name}.png"
        page.wait_for_timeout(400)
        page.screenshot(path=str(path), full_page=True)
        return path

    return save
