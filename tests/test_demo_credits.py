"""Resetting a demo account's credits: in-process (what the studio calls) and the admin route, over real HTTP."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import requests

from demo_gateway import DemoGateway

KEY = "varg_demo_credits_key_0123"
OTHER_KEY = "varg_demo_credits_other_9876"
AUTH = {"Authorization": f"Bearer {KEY}"}
OTHER = {"Authorization": f"Bearer {OTHER_KEY}"}
ADMIN = {"X-Admin-Token": "credits-admin"}
BODY = {"model": "minimax", "prompt": "a quiet lake at dawn", "duration": 1, "aspect_ratio": "1:1"}


def start(tmp_path: Path, **kwargs: Any) -> DemoGateway:
    kwargs.setdefault("job_seconds", 0.3)
    kwargs.setdefault("admin_token", "credits-admin")
    return DemoGateway(tmp_path / "gw", **kwargs).start()


def balance(gw: DemoGateway, headers: dict[str, str] = AUTH) -> dict[str, int]:
    resp = requests.get(f"{gw.v2_url}/billing/balance", headers=headers, timeout=10)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["available"] == body["total_balance"] - body["reserved"]
    return {k: body[k] for k in ("available", "reserved", "total_balance")}


def create(gw: DemoGateway, headers: dict[str, str] = AUTH, **changes: Any) -> requests.Response:
    return requests.post(f"{gw.v2_url}/video", json={**BODY, **changes}, headers=headers, timeout=10)


def wait_terminal(gw: DemoGateway, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = requests.get(f"{gw.v2_url}/jobs/{job_id}", headers=AUTH, timeout=10).json()
        if job["status"] in ("completed", "failed", "cancelled"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish")


def price(gw: DemoGateway) -> int:
    resp = requests.post(f"{gw.v2_url}/estimate", json=BODY, headers=AUTH, timeout=10)
    assert resp.status_code == 200, resp.text
    return int(resp.json()["estimated_cost_cents"])


@pytest.fixture
def gw(tmp_path: Path):
    gateway = start(tmp_path)
    yield gateway
    gateway.stop()


def test_out_of_credits_then_reset_in_process_lets_the_account_work_again(tmp_path: Path) -> None:
    probe = start(tmp_path / "probe")
    cost = price(probe)
    probe.stop()
    gw = start(tmp_path, initial_balance=cost + cost // 2)
    try:
        first = create(gw)
        assert first.status_code == 202, first.text
        assert wait_terminal(gw, first.json()["id"])["status"] == "completed"
        assert balance(gw)["available"] == cost // 2
        refused = create(gw, prompt="another lake")
        assert refused.status_code == 402, refused.text

        assert gw.reset_credits(KEY) == cost + cost // 2
        assert balance(gw) == {
            "available": cost + cost // 2,
            "reserved": 0,
            "total_balance": cost + cost // 2,
        }
        again = create(gw, prompt="another lake")
        assert again.status_code == 202, again.text
        # another account is untouched by the reset
        create(gw, OTHER)
        assert balance(gw, OTHER)["total_balance"] == cost + cost // 2
    finally:
        gw.stop()


def test_reset_keeps_open_reservations_covered(tmp_path: Path) -> None:
    gw = start(tmp_path, job_seconds=3.0)
    try:
        done = create(gw).json()["id"]
        assert wait_terminal(gw, done)["status"] == "completed"
        held = create(gw, prompt="a held job").json()  # reserved, not yet paid
        cancelled = create(gw, prompt="a job to cancel").json()
        before = balance(gw)
        assert before["reserved"] == held["estimated_cost_cents"] + cancelled["estimated_cost_cents"]
        assert before["available"] < 5000

        assert gw.reset_credits(KEY) == 5000
        after = balance(gw)
        assert after == {
            "available": 5000,
            "reserved": before["reserved"],
            "total_balance": 5000 + before["reserved"],
        }
        # one cancelled after the reset hands its reservation back on top of the start
        resp = requests.post(f"{gw.v2_url}/jobs/{cancelled['id']}/cancel", headers=AUTH, timeout=10)
        assert resp.status_code == 200, resp.text
        assert wait_terminal(gw, cancelled["id"])["status"] == "cancelled"
        extra = cancelled["estimated_cost_cents"]
        # a reserved job that completes is paid from its own reservation: available stays at the start
        assert wait_terminal(gw, held["id"])["status"] == "completed"
        assert balance(gw) == {"available": 5000 + extra, "reserved": 0, "total_balance": 5000 + extra}
    finally:
        gw.stop()


def test_reset_takes_an_account_id_and_refuses_nonsense(gw: DemoGateway) -> None:
    create(gw)
    account = gw.account_id(KEY)
    assert gw.reset_credits(account) == 5000
    assert balance(gw)["available"] == 5000
    with pytest.raises(ValueError, match="API key or account id"):
        gw.reset_credits("   ")


def test_a_gateway_with_accepted_keys_refuses_a_reset_for_an_unknown_key(tmp_path: Path) -> None:
    gw = start(tmp_path, accepted_keys=[KEY])
    try:
        assert gw.reset_credits(KEY) == 5000
        with pytest.raises(ValueError, match="not one this gateway accepts"):
            gw.reset_credits("some-stranger")
    finally:
        gw.stop()


def test_admin_route_resets_credits_behind_the_admin_token(gw: DemoGateway) -> None:
    job = create(gw).json()
    assert wait_terminal(gw, job["id"])["status"] == "completed"
    spent = balance(gw)["available"]
    assert spent < 5000
    url = f"{gw.url}/_admin/credits/reset"
    assert requests.post(url, json={"api_key": KEY}, timeout=10).status_code == 401
    bad_token = requests.post(url, json={"api_key": KEY}, headers={"X-Admin-Token": "nope"}, timeout=10)
    assert bad_token.status_code == 401
    assert balance(gw)["available"] == spent  # nothing changed without the token

    resp = requests.post(url, json={"api_key": KEY}, headers=ADMIN, timeout=10)
    assert resp.status_code == 200, resp.text
    assert resp.json() == {
        "account": gw.account_id(KEY),
        "available": 5000,
        "reserved": 0,
        "total_balance": 5000,
    }
    assert balance(gw)["available"] == 5000

    by_account = requests.post(url, json={"account": gw.account_id(KEY)}, headers=ADMIN, timeout=10)
    assert by_account.status_code == 200 and by_account.json()["available"] == 5000
    for body in ({}, {"api_key": ""}, {"api_key": 7}):
        resp = requests.post(url, json=body, headers=ADMIN, timeout=10)
        assert resp.status_code == 400, (body, resp.text)
        assert "api_key" in resp.text
    cross = requests.post(
        url, json={"api_key": KEY}, headers={**ADMIN, "Origin": "http://evil.example"}, timeout=10
    )
    assert cross.status_code == 403


def test_admin_route_does_not_exist_without_a_token(tmp_path: Path) -> None:
    gw = DemoGateway(tmp_path / "plain", job_seconds=0.3).start()
    try:
        resp = requests.post(
            f"{gw.url}/_admin/credits/reset", json={"api_key": KEY}, headers=ADMIN, timeout=10
        )
        assert resp.status_code == 404
    finally:
        gw.stop()
