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


def _get_json(url: str, headers: dict | None = None) -> dict:
    req = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.load(resp)


ADMIN = {"X-Admin-Token": "browser-tests-admin"}  # the demo gateway's admin routes exist only with a token


def _post_json(url: str, body: dict | None = None) -> dict:
    data = json.dumps(body or {}).encode()
    headers = {"Content-Type": "application/json", **ADMIN}
    req = urllib.request.Request(url, data=data, headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=5) as resp:
        raw = resp.read()
    return json.loads(raw) if raw else {}


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start:\n" + log.read_text(errors="replace")[-3000:])
        time.sleep(0.3)


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM our own child's process group, SIGKILL if it lingers."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


@dataclass
class Gateway:
    """A standalone `python -m demo_gateway` process (the studio's "varg" in keyed mode)."""

    url: str
    data_dir: Path
    log: Path
    proc: subprocess.Popen

    @property
    def base_url(self) -> str:
        return self.url + "/v1"

    @property
    def v1_url(self) -> str:
        return self.url + "/v1"

    @property
    def v2_url(self) -> str:
        return self.url + "/v2"

    def stats(self) -> dict:
        return _get_json(self.url + "/_admin/stats", ADMIN)

    def faults(self, **values) -> dict:
        return _post_json(self.url + "/_admin/faults", values)

    def reset_faults(self) -> None:
        _post_json(self.url + "/_admin/faults/reset")

    def balance(self, key: str) -> int:
        return int(_get_json(self.base_url + "/balance", {"Authorization": f"Bearer {key}"})["balance_cents"])

    def creates(self) -> int:
        return int(self.stats()["creates"])

    def create_posts(self) -> int:
        """POST /v1/video requests that reached the gateway (faulted ones included)."""
        return int(self.stats()["requests"].get("POST /v1/video", 0))


@contextlib.contextmanager
def _gateway_process(data_dir: Path, *, job_seconds: float = 2.0, port: int | None = None):
    """`python -m demo_gateway` on a free loopback port, its state in `data_dir`."""
    port = port or _free_port()
    log = data_dir.with_name(data_dir.name + "-gateway.log")
    cmd = [
        sys.executable, "-m", "demo_gateway",
        "--host", "127.0.0.1", "--port", str(port), "--data-dir", str(data_dir),
        "--job-seconds", str(job_seconds), "--keepalive", "1", "--admin-token", ADMIN["X-Admin-Token"],
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k not in ("VARG_API_KEY", "VARG_LOCAL_FAULTS")}
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url + "/v2/pricing", proc, log, "the local gateway", timeout=30)
        yield Gateway(url=url, data_dir=data_dir, log=log, proc=proc)
    finally:
        _stop(proc)


@dataclass
class Server:
    url: str
    gateway_url: str
    home: Path
    log: Path
    proc: subprocess.Popen | None = None
    port: int = 0
    gateway_port: int = 0

    def stats(self) -> dict:
        return _get_json(self.gateway_url + "/_admin/stats", ADMIN)

    def library(self):
        from studio.library import Library

        return Library(self.home)

    def kill(self) -> None:
        """SIGKILL the studio (our own child's process group): no clean shutdown at all."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)


@contextlib.contextmanager
def _serve(
    home: Path,
    *,
    port: int | None = None,
    gateway_port: int | None = None,
    env: dict[str, str] | None = None,
    gateway: Gateway | None = None,
    job_seconds: float = 2.0,
    **popen,
):
    """`streamlit run studio_app.py` on a free loopback port with its own data folder.

    Demo mode by default (its demo gateway mounted at `/demo-gateway`); `env` adds variables such as
    `VARG_API_KEY` / `VARG_BASE_URL` (pass `gateway` so `stats()` reads that gateway); `popen`
    goes to subprocess.Popen (`preexec_fn=`, `user=`...). The server's output is written next to
    `home`, never inside it. The same `home` and ports again is a restart of the same studio.
    """
    port, gw_port = port or _free_port(), gateway_port or _free_port()
    full_env = {
        **os.environ,
        "STUDIO_HOME": str(home),
        "STUDIO_DEMO_JOB_SECONDS": str(job_seconds),
        "STUDIO_DEMO_ADMIN_TOKEN": ADMIN["X-Admin-Token"],
        "PYTHONUNBUFFERED": "1",
    }
    full_env.pop("VARG_API_KEY", None)
    full_env.pop("VARG_BASE_URL", None)
    full_env.update(env or {})
    log = home.with_name(home.name + "-streamlit.log")
    cmd = [
        sys.executable, "-m", "streamlit", "run", "studio_app.py",
        "--server.headless", "true",
        "--server.address", "127.0.0.1",
        "--server.port", str(port),
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, **popen
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url + "/_stcore/health", proc, log, "streamlit")
        yield Server(
            url=url,
            gateway_url=gateway.url if gateway is not None else f"{url}/demo-gateway",
            home=home,
            log=log,
            proc=proc,
            port=port,
            gateway_port=gw_port,
        )
    finally:
        _stop(proc)


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
def launch():
    """Start studios (and keep restarting them) inside one test; all are stopped at its end."""
    with contextlib.ExitStack() as stack:

        def start(home: Path, **kwargs) -> Server:
            return stack.enter_context(_serve(home, **kwargs))

        yield start


@pytest.fixture(scope="session")
def serve_studio():
    """The `_serve` context manager, for module-scoped studios with their own settings."""
    return _serve


@pytest.fixture(scope="session")
def gateway_process():
    """The `_gateway_process` context manager: a standalone gateway a test may stop and restart."""
    return _gateway_process


@pytest.fixture(scope="session")
def standalone_gateway(tmp_path_factory: pytest.TempPathFactory):
    """One standalone local gateway process for keyed-mode studios (reset its faults per test)."""
    with _gateway_process(tmp_path_factory.mktemp("standalone_gateway")) as gw:
        yield gw


@pytest.fixture
def shot(page):
    """Save a full-page screenshot to test-artifacts/screenshots/<name>.png."""
    SHOTS.mkdir(parents=True, exist_ok=True)

    def save(name: str, on=None) -> Path:
        """`on`: another page to capture (a second browser context), else the test's page."""
        target = on or page
        path = SHOTS / f"{name}.png"
        target.wait_for_timeout(400)
        target.screenshot(path=str(path), full_page=True)
        return path

    return save


# --- driving the studio: shared by the fault, secrets and isolation scenarios -----------------------
SIDEBAR = '[data-testid="stSidebar"]'
TERMINAL = ("completed", "failed", "cancelled", "unknown")


def drop_dac_override() -> None:
    """preexec_fn: the child (root here) loses CAP_DAC_OVERRIDE, so file modes bind it like a user."""
    import ctypes

    if os.geteuid() != 0:
        return  # a normal user is bound by file modes already
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(24, 1, 0, 0, 0) != 0:  # PR_CAPBSET_DROP, CAP_DAC_OVERRIDE; exec drops it for root
        raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def limit_file_size(limit: int):
    """preexec_fn: no file the child writes may grow past `limit` bytes (EFBIG; SIGXFSZ is ignored)."""

    def apply() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


class StudioUI:
    """Page-level steps a creative takes, and the checks every scenario repeats."""

    sidebar = SIDEBAR
    drop_dac_override = staticmethod(drop_dac_override)
    limit_file_size = staticmethod(limit_file_size)

    @staticmethod
    def open(page, server: Server, path: str = "", *, label: str | None = None) -> None:
        page.goto(server.url + "/" + path)
        from playwright.sync_api import expect

        expect(page.locator("h1").first).to_be_visible(timeout=30_000)
        if label:
            expect(page.locator(SIDEBAR).get_by_text(label).first).to_be_visible(timeout=15_000)

    @staticmethod
    def generate(page, prompt: str, *, outcome: str = "Submitted: 1 take rendering") -> None:
        from playwright.sync_api import expect

        page.get_by_label("Prompt").fill(prompt)
        page.get_by_role("button", name="Generate", exact=True).click()
        expect(page.get_by_text(outcome).first).to_be_visible(timeout=30_000)

    @staticmethod
    def takes(server: Server, account: str, prompt: str) -> list:
        lib = server.library()
        try:
            return lib.list(account, search=prompt, limit=10)
        finally:
            lib.close()

    @classmethod
    def wait_take(
        cls, server: Server, account: str, prompt: str, status: str | None = "completed", timeout=90.0
    ):
        """The newest take for `prompt` once it has `status` (None: any; "terminal": any finish)."""
        deadline = time.monotonic() + timeout
        found: list = []
        while time.monotonic() < deadline:
            found = cls.takes(server, account, prompt)
            if found:
                take = found[0]
                if (
                    status is None
                    or take.status == status
                    or (status == "terminal" and take.status in TERMINAL)
                ):
                    return take
                if take.status in TERMINAL and status not in (take.status, "terminal"):
                    raise AssertionError(f"take ended {take.status}: {take.error}")
            time.sleep(0.25)
        raise AssertionError(f"no {status or 'any'} take for {prompt!r} within {timeout}s: {found}")

    @staticmethod
    def wait_job_id(server: Server, account: str, prompt: str, timeout: float = 30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = StudioUI.takes(server, account, prompt)
            if found and found[0].job_id:
                return found[0]
            time.sleep(0.1)
        raise AssertionError(f"no job id for {prompt!r} within {timeout}s")

    @staticmethod
    def assert_no_traceback(page) -> None:
        html = page.content()
        assert "Traceback" not in html and 'File "' not in html, "a traceback reached the page"
        assert not page.locator('[data-testid="stException"]').count(), "an exception box on the page"


@pytest.fixture(scope="session")
def ui() -> type[StudioUI]:
    return StudioUI
