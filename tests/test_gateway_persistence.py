"""The demo gateway keeps jobs, balances, usage and uploads in its data_dir across a restart."""

from __future__ import annotations

import hashlib
import hmac
import io
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from demo_gateway import DemoGateway
from demo_gateway.jobs import FAIL_MESSAGE
from demo_gateway.store import STORE_NAME

KEY = "varg_test_key_0123456789"
OTHER_KEY = "varg_other_key_9876543210"
AUTH = {"Authorization": f"Bearer {KEY}"}
OTHER = {"Authorization": f"Bearer {OTHER_KEY}"}
WAIT = 60.0
ROOT = Path(__file__).resolve().parents[1]


# --- helpers -----------------------------------------------------------------------------------
def start(data_dir: Path, **kwargs: Any) -> DemoGateway:
    kwargs.setdefault("job_seconds", 1.5)
    kwargs.setdefault("keepalive_seconds", 0.5)
    return DemoGateway(data_dir, **kwargs).start()


def ok(resp: requests.Response, status: int = 200) -> Any:
    assert resp.status_code == status, (resp.status_code, resp.text[:500])
    return resp.json()


def create(base_url: str, headers: dict[str, str] = AUTH, **body: Any) -> dict[str, Any]:
    body.setdefault("model", "minimax")
    body.setdefault("prompt", "a quiet lake at dawn")
    body.setdefault("duration", 1)
    body.setdefault("aspect_ratio", "1:1")
    return ok(requests.post(f"{base_url}/video", json=body, headers=headers, timeout=10), 202)


def get_job(gw: DemoGateway, job_id: str, headers: dict[str, str] = AUTH) -> requests.Response:
    return requests.get(f"{gw.v1_url}/jobs/{job_id}", headers=headers, timeout=10)


def wait_terminal(gw: DemoGateway, job_id: str, headers: dict[str, str] = AUTH) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        job = ok(get_job(gw, job_id, headers))
        if job["status"] in ("completed", "failed", "cancelled"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish")


def balance(base_url: str, headers: dict[str, str] = AUTH) -> int:
    return ok(requests.get(f"{base_url}/balance", headers=headers, timeout=10))["balance_cents"]


def usage(base_url: str, headers: dict[str, str] = AUTH) -> list[dict[str, Any]]:
    return ok(requests.get(f"{base_url}/usage", headers=headers, timeout=10))["usage"]


def upload(base_url: str, data: bytes, headers: dict[str, str] = AUTH) -> dict[str, Any]:
    headers = dict(headers, **{"Content-Type": "image/png"})
    headers["X-Content-Hash"] = "sha256:" + hashlib.sha256(data).hexdigest()
    return ok(requests.post(f"{base_url}/files", data=data, headers=headers, timeout=30))


def png_bytes(color: tuple[int, int, int] = (40, 120, 200)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (320, 240), color).save(buf, format="PNG")
    return buf.getvalue()


def on_port(url: str, gw: DemoGateway) -> str:
    """The same URL on the gateway's current port (what the studio does after a restart)."""
    parts = urlsplit(url)
    return parts._replace(netloc=f"{parts.hostname}:{gw.port}").geturl()


def assert_mp4_served(gw: DemoGateway, job: dict[str, Any]) -> bytes:
    assert job["status"] == "completed", job
    url = job["output"]["url"]
    assert url == f"{gw.url}/o/{job['job_id']}.mp4"
    resp = requests.get(url, timeout=10)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "video/mp4"
    assert resp.content[4:8] == b"ftyp"
    return resp.content


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- restart mid-job ---------------------------------------------------------------------------
def test_a_job_stopped_mid_render_completes_after_a_restart_charged_once(tmp_path: Path) -> None:
    data = tmp_path / "gw"
    image = png_bytes()
    gw = start(data)
    try:
        up = upload(gw.v1_url, image)
        done_before = wait_terminal(gw, create(gw.v1_url, prompt="a finished take")["job_id"])
        assert_mp4_served(gw, done_before)
        job = create(gw.v1_url, prompt="a paid take in flight", files=[{"url": up["url"]}])
        assert job["status"] == "queued"
        time.sleep(0.3)
        assert ok(get_job(gw, job["job_id"]))["status"] in ("queued", "processing")
        balance_before = balance(gw.v1_url)
        usage_before = usage(gw.v1_url)
    finally:
        gw.stop()
    assert balance_before == 5000 - 2 * 80
    assert [r["job_id"] for r in usage_before] == [done_before["job_id"], job["job_id"]]

    gw2 = DemoGateway(data, job_seconds=1.5, keepalive_seconds=0.5, initial_balance=9999)
    t0 = time.monotonic()
    gw2.start()
    assert time.monotonic() - t0 < 0.5
    try:
        # the take in flight: known by id, finishes on its own, its output on the new port
        resumed = ok(get_job(gw2, job["job_id"]))
        assert resumed["job_id"] == job["job_id"] and resumed["created_at"] == job["created_at"]
        assert resumed["status"] in ("queued", "processing", "completed")
        done = wait_terminal(gw2, job["job_id"])
        assert_mp4_served(gw2, done)
        assert "error" not in done
        # charged once: the balance is what it was (not initial_balance), usage still lists both
        assert balance(gw2.v1_url) == balance_before
        assert usage(gw2.v1_url) == usage_before
        # a take completed before the restart still answers, with a working URL on the new port
        again = ok(get_job(gw2, done_before["job_id"]))
        assert again["completed_at"] == done_before["completed_at"]
        assert_mp4_served(gw2, again)
        # the upload from before serves on the new port and makes a new image-to-video take
        moved = on_port(up["url"], gw2)
        assert moved.startswith(gw2.url + "/u/")
        served = requests.get(moved, timeout=10)
        assert served.status_code == 200 and served.content == image
        assert served.headers["Content-Type"] == "image/png"
        third = create(gw2.v1_url, prompt="slow zoom", files=[{"url": moved}], aspect_ratio="9:16")
        assert_mp4_served(gw2, wait_terminal(gw2, third["job_id"]))
        assert balance(gw2.v1_url) == balance_before - 80
        # the same bytes are still known to this key (deduplicated, same file)
        again_up = upload(gw2.v1_url, image)
        assert again_up["deduplicated"] is True and again_up["file_id"] == up["file_id"]
    finally:
        gw2.stop()


def test_a_job_killed_with_the_process_resumes_in_a_new_gateway(tmp_path: Path) -> None:
    data = tmp_path / "gw"
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "demo_gateway",
            "--port",
            str(port),
            "--data-dir",
            str(data),
            "--job-seconds",
            "1.5",
            "--log-level",
            "WARNING",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                balance(base_url)
                break
            except requests.ConnectionError:
                assert proc.poll() is None and time.monotonic() < deadline, "the gateway did not start"
                time.sleep(0.1)
        job = create(base_url, prompt="killed mid-render")
        time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

    gw = start(data)
    try:
        leftovers = [p.name for p in (data / "outputs").glob(".*.part") if f".{proc.pid}." in p.name]
        assert leftovers == []  # a killed render's partial file is swept
        done = wait_terminal(gw, job["job_id"])
        assert_mp4_served(gw, done)
        assert balance(gw.v1_url) == 5000 - 80
        assert [(r["job_id"], r["cost_cents"]) for r in usage(gw.v1_url)] == [(job["job_id"], 80)]
    finally:
        gw.stop()


def test_a_failing_job_resumed_after_a_restart_is_refunded_once(tmp_path: Path) -> None:
    data = tmp_path / "gw"
    gw = start(data)
    try:
        job = create(gw.v1_url, prompt="this one [fail]s")
        assert balance(gw.v1_url) == 4920
    finally:
        gw.stop()
    gw = start(data)
    try:
        done = wait_terminal(gw, job["job_id"])
        assert done["status"] == "failed" and done["error"] == FAIL_MESSAGE
        assert balance(gw.v1_url) == 5000
        assert [r["cost_cents"] for r in usage(gw.v1_url)] == [0]
    finally:
        gw.stop()
    gw = start(data)  # and it stays refunded (once) after another restart
    try:
        assert ok(get_job(gw, job["job_id"]))["status"] == "failed"
        assert balance(gw.v1_url) == 5000
    finally:
        gw.stop()


def test_a_cancelled_job_stays_cancelled_and_refunded(tmp_path: Path) -> None:
    data = tmp_path / "gw"
    gw = start(data, job_seconds=10.0)
    try:
        job = create(gw.v1_url)
        resp = requests.delete(f"{gw.v1_url}/jobs/{job['job_id']}", headers=AUTH, timeout=10)
        assert resp.status_code == 204
    finally:
        gw.stop()
    gw = start(data, job_seconds=10.0)
    try:
        found = ok(get_job(gw, job["job_id"]))
        assert found["status"] == "cancelled" and "output" not in found
        assert balance(gw.v1_url) == 5000
    finally:
        gw.stop()


def test_the_same_gateway_object_can_stop_and_start_again(tmp_path: Path) -> None:
    gw = start(tmp_path / "gw")
    try:
        job = create(gw.v1_url)
        time.sleep(0.2)
        gw.stop()
        gw.start()
        assert_mp4_served(gw, wait_terminal(gw, job["job_id"]))
        assert balance(gw.v1_url) == 4920
        assert gw.stats()["jobs"] == 1
    finally:
        gw.stop()


# --- accounts ----------------------------------------------------------------------------------
def test_two_keys_stay_separate_after_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "gw"
    image = png_bytes((200, 30, 30))
    gw = start(data, job_seconds=0.3)
    try:
        mine = create(gw.v1_url, prompt="mine")
        theirs = create(gw.v1_url, OTHER, model="sora-2", prompt="theirs", duration=4, aspect_ratio="16:9")
        up = upload(gw.v1_url, image, OTHER)
        wait_terminal(gw, mine["job_id"])
        wait_terminal(gw, theirs["job_id"], OTHER)
        assert balance(gw.v1_url, OTHER) == 5000 - 100  # the studio pays sora-2 100 here
    finally:
        gw.stop()
    gw = start(data, job_seconds=0.3, initial_balance=123)
    try:
        assert balance(gw.v1_url) == 4920
        assert balance(gw.v1_url, OTHER) == 4900
        assert [r["job_id"] for r in usage(gw.v1_url)] == [mine["job_id"]]
        assert [r["job_id"] for r in usage(gw.v1_url, OTHER)] == [theirs["job_id"]]
        assert get_job(gw, theirs["job_id"]).status_code == 404
        assert get_job(gw, mine["job_id"], OTHER).status_code == 404
        assert ok(get_job(gw, theirs["job_id"], OTHER))["status"] == "completed"
        # uploads are deduplicated per key: the other key's file is not mine
        assert upload(gw.v1_url, image, OTHER)["file_id"] == up["file_id"]
        mine_up = upload(gw.v1_url, image)
        assert mine_up["deduplicated"] is False and mine_up["file_id"] != up["file_id"]
        # a key never seen before starts at this run's initial balance
        assert balance(gw.v1_url, {"Authorization": "Bearer a-new-key"}) == 123
    finally:
        gw.stop()


def test_the_store_keeps_salted_key_hashes_never_keys(tmp_path: Path) -> None:
    data = tmp_path / "gw"
    gw = start(data, job_seconds=0.2)
    try:
        wait_terminal(gw, create(gw.v1_url)["job_id"])
        upload(gw.v1_url, png_bytes())
    finally:
        gw.stop()
    stored = b"".join(p.read_bytes() for p in data.glob(STORE_NAME + "*"))
    assert stored
    assert KEY.encode() not in stored
    assert hashlib.sha256(KEY.encode()).hexdigest().encode() not in stored  # salted, not a plain hash
    salt = (data / "account_salt").read_bytes()
    assert hmac.new(salt, KEY.encode(), hashlib.sha256).hexdigest().encode() in stored


def test_start_stays_fast_with_an_empty_dir_and_with_state(tmp_path: Path) -> None:
    data = tmp_path / "gw"
    gw = DemoGateway(data, job_seconds=0.0)
    t0 = time.monotonic()
    gw.start()
    took = time.monotonic() - t0
    try:
        assert took < 0.1
        for i in range(20):
            create(gw.v1_url, prompt=f"take {i} [fail]")
    finally:
        gw.stop()
    gw = DemoGateway(data, job_seconds=0.0)
    t0 = time.monotonic()
    gw.start()
    took = time.monotonic() - t0
    try:
        assert took < 0.1
        assert len(usage(gw.v1_url)) == 20
    finally:
        gw.stop()


def test_a_store_that_cannot_be_read_refuses_to_start_rather_than_forget(tmp_path: Path) -> None:
    data = tmp_path / "gw"
    data.mkdir()
    corrupt = b"not a database at all" * 100
    (data / STORE_NAME).write_bytes(corrupt)
    gw = DemoGateway(data)
    with pytest.raises(sqlite3.DatabaseError):
        gw.start()
    assert (data / STORE_NAME).read_bytes() == corrupt  # left alone for a human to look at


def test_a_create_on_a_kept_alive_connection_after_stop_is_refused_not_lost(tmp_path: Path) -> None:
    data = tmp_path / "gw"
    gw = start(data)
    session = requests.Session()
    try:
        assert session.get(f"{gw.v1_url}/balance", headers=AUTH, timeout=10).status_code == 200
        gw.stop()
        body = {"model": "minimax", "prompt": "late", "duration": 1, "aspect_ratio": "1:1"}
        try:
            resp = session.post(f"{gw.v1_url}/video", json=body, headers=AUTH, timeout=10)
        except requests.ConnectionError:
            pass  # refused outright is fine too
        else:
            assert resp.status_code == 503, resp.text
    finally:
        session.close()
        gw.stop()
    gw = start(data)
    try:
        assert balance(gw.v1_url) == 5000 and usage(gw.v1_url) == []
    finally:
        gw.stop()
