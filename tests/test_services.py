"""The services hub: one Studio per account, the demo gateway started once, webhooks, health."""

from __future__ import annotations

import json
import time

import pytest

from demo_gateway import DemoGateway
from studio import services, webhooks
from studio.api import ApiVersion
from studio.errors import StudioError
from studio.settings import Settings, load_settings
from studio.submission import TakeRequest


def _demo_factory(settings, secret):
    return DemoGateway(settings.studio_home / "demo_gateway", job_seconds=0.5, webhook_secret=secret).start()


@pytest.fixture
def hub(studio_home):
    h = services.Hub(load_settings(), gateway_factory=_demo_factory, webhook_secret="whsec-test")
    yield h
    h.stop()


def test_demo_mode_starts_one_local_gateway_and_shares_the_studio(hub):
    a = hub.studio(None)
    b = hub.studio("")
    assert a is b and a.connection.demo and a.connection.account == "demo"
    assert a.connection.base_url.startswith("http://127.0.0.1:") and a.connection.base_url.endswith("/v2")
    assert a.connection.version is ApiVersion.V2
    assert hub.studio("varg_demo_local") is a  # the demo placeholder typed as a key is demo mode
    assert hub.health()["ok"] is True


def test_each_key_gets_its_own_scope_and_the_key_is_not_in_the_label(hub, gateway, monkeypatch):
    hub.settings = Settings(studio_home=hub.settings.studio_home, base_url=gateway.v1_url)
    one = hub.studio("varg_key_one_secret")
    two = hub.studio("varg_key_two_secret")
    assert one is not two and one.connection.account != two.connection.account
    assert not one.connection.demo and one.connection.version is ApiVersion.V1
    assert "secret" not in one.connection.label and "secret" not in repr(one.backend)


def test_an_unreachable_gateway_gives_no_balance_instead_of_an_error(hub):
    hub.settings = Settings(
        studio_home=hub.settings.studio_home, base_url="http://127.0.0.1:9/v2", connect_timeout=0.5
    )
    studio = hub.studio("varg_key_offline")
    assert studio.balance() is None


def test_media_path_refuses_escapes_and_missing_files(hub):
    studio = hub.studio(None)
    assert studio.media_path(None) is None
    assert studio.media_path("../../etc/passwd") is None
    assert studio.media_path("videos/nope.mp4") is None


def _wait(studio, take_id, *, timeout=30.0):
    deadline = time.monotonic() + timeout
    while studio.library.get(take_id).is_open and time.monotonic() < deadline:
        time.sleep(0.05)
    return studio.library.get(take_id)


def test_the_real_charge_of_a_v1_take_comes_from_usage(hub, gateway):
    hub.settings = Settings(studio_home=hub.settings.studio_home, base_url=gateway.v1_url)
    studio = hub.studio("varg_key_usage_check")
    req = TakeRequest(mode="text-to-video", model="sora-2", prompt="usage [fail]", duration=4)
    done = _wait(studio, studio.jobs.submit(req, "usage-1").takes[0].id)
    assert studio.charged(done.job_id, done.created_at, max_age=0) == 0  # failed jobs are refunded
    ok = studio.jobs.submit(
        TakeRequest(mode="text-to-video", model="sora-2", prompt="usage", duration=4), "usage-2"
    )
    t = _wait(studio, ok.takes[0].id)
    assert studio.charged(t.job_id, t.created_at, max_age=0) == 100
    assert studio.charged(None, t.created_at) is None


def test_a_v2_take_records_its_exact_estimate_and_what_was_billed(hub):
    studio = hub.studio(None)
    studio.catalog.wait()
    prepared = studio.jobs.prepare(
        TakeRequest(mode="text-to-video", model="sora_2", prompt="a red kite", duration=8)
    )
    exact = studio.quote(prepared, wait=10)
    assert exact.exact and exact.per_job == 210  # 26.25 credits a second × 8 s
    take = studio.jobs.submit(prepared, "v2-money", estimate=exact).takes[0]
    assert take.estimated_credits == 210 and take.idempotency_key
    done = _wait(studio, take.id)
    assert done.status == "completed", done.error
    assert done.billed_credits == 210 and not done.cache_hit
    assert studio.funds().reserved == 0


def test_a_signed_webhook_completes_the_take_once_and_a_bad_signature_changes_nothing(hub):
    studio = hub.studio(None)
    take = studio.jobs.submit(
        TakeRequest(mode="text-to-video", model="sora_2", prompt="a webhook test", duration=4), "hook"
    ).takes[0]
    deadline = time.monotonic() + 10
    while studio.library.get(take.id).job_id is None and time.monotonic() < deadline:
        time.sleep(0.02)
    job_id = studio.library.get(take.id).job_id
    snapshot = json.dumps(
        {
            "id": job_id,
            "status": "completed",
            "model": "sora_2",
            "output": {"outputs": [{"url": "http://127.0.0.1:9/nowhere.mp4"}]},
        }
    ).encode()
    assert hub.deliver_webhook(snapshot, "v1=" + "0" * 64) == (401, "bad signature")
    assert studio.library.get(take.id).video_path is None
    done = _wait(studio, take.id)
    assert done.status == "completed"
    signed = json.dumps(
        studio.backend.get_job(job_id).__dict__ | {"id": job_id, "status": "completed"}, default=str
    )
    # The take is already complete: a late (duplicate) delivery is accepted and changes nothing.
    status, _ = hub.deliver_webhook(signed.encode(), webhooks.sign("whsec-test", signed.encode()))
    assert status in (200, 202)
    assert studio.library.get(take.id).video_path == done.video_path


def test_a_create_refused_because_the_model_is_gone_charges_nothing_and_offers_another(hub):
    studio = hub.studio(None)
    studio.catalog.wait()
    before = studio.funds(max_age=0).available
    gateway = hub._gateway
    assert gateway is not None
    gateway.faults.update({"sora_gone": True})
    take = studio.jobs.submit(
        TakeRequest(mode="text-to-video", model="sora_2", prompt="sora, if it were here", duration=4), "gone"
    ).takes[0]
    done = _wait(studio, take.id)
    assert done.status == "failed" and done.job_id is None
    assert "Nothing was charged" in done.error and "Try " in done.error and "Sora 2 Pro" not in done.error
    assert studio.funds(max_age=0).available == before
    now = studio.catalog.current()
    assert not now.get("sora_2").available and now.default("text-to-video").family != "sora"


def test_a_damaged_demo_gateway_store_gets_a_clear_message_and_is_left_alone(studio_home):
    from demo_gateway.gateway import STORE_NAME

    folder = studio_home / "demo_gateway"
    folder.mkdir(parents=True)
    damaged = b"not a database at all" * 100
    (folder / STORE_NAME).write_bytes(damaged)
    hub = services.Hub(load_settings(), gateway_factory=_demo_factory)
    try:
        with pytest.raises(StudioError) as info:
            hub.studio(None)
        assert "damaged" in info.value.message and "move that folder away" in info.value.message
        assert (folder / STORE_NAME).read_bytes() == damaged
    finally:
        hub.stop()
