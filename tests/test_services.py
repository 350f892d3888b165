"""The per-account service registry: demo gateway, one Studio per account, resume on open."""

from __future__ import annotations

import pytest

from studio import services
from studio.settings import load_settings


@pytest.fixture
def fresh_registry():
    services.shutdown_all()
    yield
    services.shutdown_all()


def test_demo_mode_starts_one_local_gateway_and_shares_the_studio(fresh_registry, monkeypatch):
    monkeypatch.setenv("STUDIO_DEMO_JOB_SECONDS", "0.5")
    a = services.get_studio(None)
    b = services.get_studio("")
    assert a is b and a.connection.demo and a.connection.account == "demo"
    assert a.gateway is not None and a.connection.base_url.startswith("http://127.0.0.1:")
    assert "not Sora" in a.connection.label
    assert a.balance() == services.DEMO_BALANCE


def test_each_key_gets_its_own_scope_and_the_key_is_not_in_the_label(fresh_registry, gateway, monkeypatch):
    monkeypatch.setenv("VARG_BASE_URL", gateway.base_url)
    one = services.get_studio("varg_key_one_secret")
    two = services.get_studio("varg_key_two_secret")
    assert one is not two and one.connection.account != two.connection.account
    assert not one.connection.demo and one.gateway is None
    for s in (one, two):
        assert "secret" not in repr(s) and "secret" not in s.connection.label
        assert s.balance() == 5000


def test_an_unreachable_gateway_gives_no_balance_instead_of_an_error(fresh_registry, monkeypatch):
    monkeypatch.setenv("VARG_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("VARG_CONNECT_TIMEOUT", "0.5")
    studio = services.get_studio("varg_key_offline", settings=load_settings())
    assert studio.balance() is None


def test_media_path_refuses_escapes_and_missing_files(fresh_registry, monkeypatch):
    monkeypatch.setenv("STUDIO_DEMO_JOB_SECONDS", "0.5")
    studio = services.get_studio(None)
    assert studio.media_path(None) is None
    assert studio.media_path("../../etc/passwd") is None
    assert studio.media_path("videos/nope.mp4") is None


def test_the_real_charge_of_a_take_comes_from_usage(fresh_registry, gateway, monkeypatch):
    import time

    from studio.jobs import TakeRequest

    monkeypatch.setenv("VARG_BASE_URL", gateway.base_url)
    studio = services.get_studio("varg_key_usage_check")
    req = TakeRequest(mode="text-to-video", model="sora-2", prompt="usage [fail]", duration=4)
    take = studio.jobs.submit(req, "usage-1").takes[0]
    deadline = time.monotonic() + 20
    while studio.library.get(take.id).is_open and time.monotonic() < deadline:
        time.sleep(0.05)
    done = studio.library.get(take.id)
    assert studio.charged(done.job_id, done.created_at, max_age=0) == 0  # failed jobs are refunded
    ok = studio.jobs.submit(
        TakeRequest(mode="text-to-video", model="sora-2", prompt="usage", duration=4), "usage-2"
    )
    while studio.library.get(ok.takes[0].id).job_id is None and time.monotonic() < deadline:
        time.sleep(0.05)
    t = studio.library.get(ok.takes[0].id)
    assert studio.charged(t.job_id, t.created_at, max_age=0) == 100
    assert studio.charged(None, t.created_at) is None
