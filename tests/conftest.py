"""Shared fixtures: a temporary STUDIO_HOME for every test, a real local gateway, a real client."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def studio_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("studio_home")
    monkeypatch.setenv("STUDIO_HOME", str(home))
    monkeypatch.delenv("VARG_API_KEY", raising=False)
    monkeypatch.delenv("VARG_BASE_URL", raising=False)
    return home


@pytest.fixture
def gateway(tmp_path_factory: pytest.TempPathFactory):
    """A real demo gateway (/v1 and /v2) on a free loopback port, fast jobs, no faults, admin hooks on."""
    from demo_gateway import DemoGateway

    gw = DemoGateway(
        tmp_path_factory.mktemp("gateway"),
        job_seconds=float(os.environ.get("TEST_JOB_SECONDS", "0.6")),
        keepalive_seconds=0.5,
        admin_token="test-admin",
    ).start()
    yield gw
    gw.stop()


@pytest.fixture
def api_key() -> str:
    return "varg_test_key_0123456789"


@pytest.fixture
def client(gateway, api_key):
    """The real varg client over real HTTP to the local gateway."""
    from studio.api.v1 import V1Backend

    c = V1Backend(gateway.v1_url, api_key, timeout=(2.0, 10.0), backoff=0.05)
    yield c
    c.close()


@pytest.fixture(autouse=True)
def _keep_main_module():
    """AppTest runs a script as `__main__` and leaves it there; a process spawned later (the
    multiprocessing tests) would re-run that script, or a temp file already gone. Put it back."""
    import sys

    main = sys.modules.get("__main__")
    yield
    if main is not None and sys.modules.get("__main__") is not main:
        sys.modules["__main__"] = main
