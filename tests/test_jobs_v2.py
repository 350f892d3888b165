"""Jobs on varg v2 over real HTTP: paid videos are never lost and never paid twice."""

from __future__ import annotations

import http.server
import threading
import time
from pathlib import Path

import pytest

from studio.api import Job, JobStatus, VideoRequest
from studio.api.follow import PollPolicy
from studio.api.v2 import V2Backend
from studio.errors import GatewayUnreachable
from studio.jobs import JobManager, TakeRequest
from studio.library import Library, StorageError, account_fingerprint

KEY = "varg_v2_jobs_key_00000001"
ACCOUNT = account_fingerprint(KEY)
FAST = PollPolicy(first=0.1, fastest=0.05, slowest=0.3, overdue=0.05, error_backoff=0.05)
T2V = TakeRequest(mode="text-to-video", model="sora_2", prompt="a red kite over dunes", duration=4)


def _manager(gateway, home: Path, **kw) -> JobManager:
    backend = V2Backend(gateway.v2_url, KEY, timeout=(2.0, 5.0), backoff=0.05, poll_policy=FAST)
    kw.setdefault("retry_backoff", 0.05)
    return JobManager(backend, Library(home), ACCOUNT, **kw)


def _wait(m: JobManager, take_id: str, *, until=lambda t: not t.is_open, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        take = m.library.get(take_id)
        if take is not None and until(take):
            return take
        time.sleep(0.03)
    raise AssertionError(f"take {take_id}: {m.library.get(take_id)}")


@pytest.fixture
def mgr(gateway, studio_home):
    m = _manager(gateway, studio_home)
    yield m
    m.shutdown()


def test_a_cancel_that_arrives_after_completion_keeps_the_video(mgr, gateway):
    gateway.faults.update({"cancel_conflict": 1})
    take = mgr.submit(T2V, "race").takes[0]
    _wait(mgr, take.id, until=lambda t: t.job_id is not None)
    mgr.cancel(take.id)  # the gateway finishes the job first and answers 409
    done = _wait(mgr, take.id)
    assert done.status == "completed" and done.video_path, "never 'cancelled' with a paid video"
    assert done.billed_credits == 105


def test_a_cancel_in_time_is_refunded_and_says_cancelled(mgr, gateway):
    before = mgr.backend.balance().available
    take = mgr.submit(TakeRequest(**{**T2V.__dict__, "duration": 20}), "cancel").takes[0]
    _wait(mgr, take.id, until=lambda t: t.job_id is not None)
    assert mgr.cancel(take.id).status == "cancelled"
    assert mgr.backend.balance().available == before


def test_a_full_disk_while_the_create_is_in_flight_loses_no_paid_job(mgr, gateway, monkeypatch):
    real_update = mgr.library.update
    failures = {"left": 3}

    def flaky_update(take_id, **fields):
        if "job_id" in fields and failures["left"]:
            failures["left"] -= 1
            raise StorageError("The disk holding the library is full.")
        return real_update(take_id, **fields)

    monkeypatch.setattr(mgr.library, "update", flaky_update)
    done = _wait(mgr, mgr.submit(T2V, "disk-full").takes[0].id)
    assert done.status == "completed" and done.job_id, done.error
    assert gateway.stats()["creates"] == 1


def test_a_take_interrupted_mid_create_is_resent_with_its_key_and_paid_once(gateway, studio_home):
    library = Library(studio_home)
    first = _manager(gateway, studio_home)
    take = first.submit(T2V, "interrupted").takes[0]
    done = _wait(first, take.id)
    first.shutdown()
    assert done.status == "completed"
    # As if the studio died after the create left but before its answer was saved:
    library.update(take.id, status="submitting", job_id=None, video_path=None, completed_at=None)
    second = _manager(gateway, studio_home)
    try:
        second.resume()
        again = _wait(second, take.id)
        assert again.status == "completed" and again.job_id == done.job_id, "the same job, replayed by its key"
        assert gateway.stats()["creates"] == 1, "charged once"
    finally:
        second.shutdown()


class _Portal(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # a captive portal: 200 and an HTML page, whatever was asked
        body = b"<html><body>Sign in to the hotel Wi-Fi</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def test_an_html_page_served_as_the_output_is_never_saved_as_the_video(gateway, studio_home):
    portal = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Portal)
    threading.Thread(target=portal.serve_forever, daemon=True).start()
    m = _manager(gateway, studio_home, lease_ttl=60)
    try:
        take = m.submit(TakeRequest(**{**T2V.__dict__, "duration": 20}), "portal").takes[0]
        take = _wait(m, take.id, until=lambda t: t.job_id is not None)
        url = f"http://127.0.0.1:{portal.server_address[1]}/video.mp4"
        m.deliver(Job(job_id=take.job_id, status=JobStatus.COMPLETED, model="sora_2", created_at="", output_url=url))
        bad = _wait(m, take.id, until=lambda t: t.status == "downloading" and bool(t.error))
        assert "not a playable video" in bad.error and bad.video_path is None
        assert not list((studio_home / "media" / "videos").glob(f"{take.id}*"))
        assert bad.output_url == url, "the output URL is kept for Retry"
    finally:
        m.shutdown()
        portal.shutdown()


def test_a_submission_while_the_gateway_is_down_fails_fast_saying_nothing_was_sent():
    backend = V2Backend("http://127.0.0.1:9/v2", KEY, timeout=(0.5, 2.0), backoff=0.05)
    started = time.monotonic()
    with pytest.raises(GatewayUnreachable):
        backend.create(VideoRequest(model="sora_2", prompt="x", duration=4), idempotency_key="down")
    assert time.monotonic() - started < 3.0


@pytest.mark.parametrize("status", [500, 502])
def test_a_create_answered_5xx_is_resent_with_its_key_and_completes(mgr, gateway, status):
    gateway.faults.update({"server_error": 1, "server_error_on": "create", "error_status": status})
    done = _wait(mgr, mgr.submit(T2V, f"5xx-{status}").takes[0].id)
    assert done.status == "completed", done.error
    stats = gateway.stats()
    assert stats["requests"]["POST /v2/video"] == 2 and stats["creates"] == 1
