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


# --- the library on each engine ----------------------------------------------------------------
class StoreFactory:
    """Opens libraries on one fresh store of one engine: SQLite in the test's data folder, or a
    PostgreSQL schema of its own (dropped afterwards). Every library it opened is closed at the end."""

    def __init__(self, engine: str, home: Path, url: str | None) -> None:
        self.engine = engine
        self.home = home
        self.url = url  # None for SQLite
        self.opened: list = []

    def __call__(self, home: Path | None = None):
        from studio.store import open_store

        lib = open_store(self.url, home or self.home)
        self.opened.append(lib)
        return lib


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, studio_home: Path):
    """Each library test runs on SQLite and on PostgreSQL (skipped without STUDIO_TEST_DATABASE_URL)."""
    if request.param == "sqlite":
        factory = StoreFactory("sqlite", studio_home, None)
        yield factory
        for lib in factory.opened:
            lib.close()
        return
    base_url = os.environ.get("STUDIO_TEST_DATABASE_URL", "")
    if not base_url:
        pytest.skip("no PostgreSQL: scripts/test.sh starts one (STUDIO_TEST_DATABASE_URL)")
    psycopg = pytest.importorskip("psycopg")
    import uuid

    schema = "lib_" + uuid.uuid4().hex[:12]
    with psycopg.connect(base_url, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in base_url else "?"
    factory = StoreFactory("postgresql", studio_home, f"{base_url}{sep}options=-csearch_path%3D{schema}")
    try:
        yield factory
    finally:
        for lib in factory.opened:
            lib.close()
        with psycopg.connect(base_url, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def lib(store):
    """A library on the engine under test."""
    return store()


@pytest.fixture
def clock(monkeypatch):
    """The library's clock ticking one second per reading, so 'newest first' is deterministic."""
    import itertools

    from studio.store import base

    ticks = itertools.count(1_700_000_000)
    monkeypatch.setattr(base, "_now", lambda: float(next(ticks)))
