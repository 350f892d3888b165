"""The client's retry rules under the local gateway's injected faults: safe reads, no double charge."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest

from studio.api.v1 import Job, V1Backend
from studio.errors import (
    CreateOutcomeUnknown,
    GatewayTimeout,
    GatewayUnreachable,
    ProviderError,
    RateLimitError,
    ServerError,
)

T2V = {"model": "sora-2", "prompt": "rain over mountains", "duration": 4, "aspect_ratio": "16:9"}
# "[fail]" makes the gateway fail the job after job_seconds without rendering: cheap on the CPU
# for tests that only need a job to exist.
NO_RENDER = {**T2V, "prompt": "a job that needs no rendering [fail]"}


def requests_to(gateway, route: str) -> int:
    return gateway.stats()["requests"].get(route, 0)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def follow(client: V1Backend, job: Job, timeout: float = 60.0, **kwargs) -> list[Job]:
    stop = threading.Event()
    timer = threading.Timer(timeout, stop.set)
    timer.start()
    try:
        seen = list(client.stream_job(job.job_id, stop=stop, **kwargs))
    finally:
        timer.cancel()
    assert seen and seen[-1].terminal, f"not finished within {timeout}s: {seen}"
    return seen


# --- reads -----------------------------------------------------------------------------------
def test_a_read_is_retried_after_429_honouring_retry_after(client, gateway):
    gateway.faults.update({"rate_limit": 1, "rate_limit_on": "read", "retry_after": 0.2})
    t0 = time.monotonic()
    assert client.balance().credits == 5000
    # the gateway rounds Retry-After up to whole seconds: "1"; the client's own backoff is 0.05 s
    assert time.monotonic() - t0 >= 0.9
    assert requests_to(gateway, "GET /v1/balance") == 2


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_read_is_retried_after_server_errors_then_succeeds(client, gateway, status):
    gateway.faults.update({"server_error": 3, "server_error_on": "read", "error_status": status})
    job = client.create_video(**NO_RENDER)
    assert client.get_job(job.job_id).job_id == job.job_id
    assert requests_to(gateway, "GET /v1/jobs/{id}") == 4


def test_cancel_and_upload_are_retried_too(client, gateway):
    job = client.create_video(**NO_RENDER)
    gateway.faults.update({"server_error": 2, "server_error_on": "read"})
    client.cancel_job(job.job_id)
    assert requests_to(gateway, "DELETE /v1/jobs/{id}") == 3
    gateway.faults.update({"server_error": 2, "server_error_on": "all"})
    up = client.upload_file(b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "image/png")
    assert up.size == 72
    assert requests_to(gateway, "POST /v1/files") == 3


def test_reads_give_up_after_too_many_server_errors(client, gateway):
    gateway.faults.update({"server_error": 100, "server_error_on": "read", "error_status": 502})
    t0 = time.monotonic()
    with pytest.raises(ProviderError) as info:
        client.balance()
    assert info.value.status == 502 and info.value.message
    assert requests_to(gateway, "GET /v1/balance") == 1 + client.read_retries
    assert time.monotonic() - t0 < 5


def test_reads_give_up_after_too_many_429s_with_the_wait_asked(gateway, api_key):
    gateway.faults.update({"rate_limit": 100, "rate_limit_on": "read", "retry_after": 0.2})
    c = V1Backend(gateway.v1_url, api_key, timeout=(2.0, 5.0), read_retries=1, backoff=0.05)
    with pytest.raises(RateLimitError) as info:
        c.balance()
    assert info.value.status == 429 and info.value.retry_after == 1.0
    assert "Retry after" in info.value.message
    assert requests_to(gateway, "GET /v1/balance") == 2
    c.close()


def test_a_read_against_a_closed_port_is_gateway_unreachable(api_key):
    c = V1Backend(f"http://127.0.0.1:{free_port()}/v1", api_key, timeout=(1.0, 2.0), backoff=0.01)
    with pytest.raises(GatewayUnreachable) as info:
        c.get_job("job_0123456789abcdef")
    assert "Could not connect" in info.value.message
    c.close()


def test_a_slow_read_is_a_gateway_timeout(gateway, api_key):
    gateway.faults.update({"latency": 1.0})
    c = V1Backend(gateway.v1_url, api_key, timeout=(2.0, 0.3), backoff=0.01)
    with pytest.raises(GatewayTimeout) as info:
        c.balance()
    assert "did not answer GET /balance within 0.3 s" in info.value.message
    gateway.faults.update({"latency": 0})
    c.close()


# --- creates: never charged twice ------------------------------------------------------------
@pytest.mark.parametrize(("status", "exc"), [(500, ServerError), (502, ProviderError)])
def test_a_create_is_not_retried_on_500_or_502(client, gateway, status, exc):
    gateway.faults.update({"server_error": 1, "server_error_on": "create", "error_status": status})
    with pytest.raises(exc):
        client.create_video(**T2V)
    assert requests_to(gateway, "POST /v1/video") == 1
    assert gateway.stats()["creates"] == 0  # this fault answers before making a job


def test_create_committed_then_500_is_a_server_error_and_only_one_job(client, gateway):
    gateway.faults.update({"create_commit_then_error": 1})
    with pytest.raises(ServerError) as info:
        client.create_video(**T2V)
    assert info.value.status == 500
    stats = gateway.stats()
    assert stats["creates"] == 1 and stats["requests"]["POST /v1/video"] == 1
    assert client.balance().credits == 4900  # charged once, for the job the gateway made


def test_a_create_whose_answer_never_comes_is_outcome_unknown_not_retried(gateway, api_key):
    gateway.faults.update({"create_hang": 1, "hang_seconds": 2.0})
    c = V1Backend(gateway.v1_url, api_key, timeout=(2.0, 0.4), backoff=0.01)
    with pytest.raises(CreateOutcomeUnknown) as info:
        c.create_video(**NO_RENDER)
    assert "may have started and been charged" in info.value.message
    stats = gateway.stats()
    assert stats["creates"] == 1 and stats["requests"]["POST /v1/video"] == 1
    # ... and indeed it was: the usage shows the one job
    assert len(c.usage().records) == 1
    c.close()


def test_a_create_against_a_closed_port_is_gateway_unreachable(api_key):
    c = V1Backend(f"http://127.0.0.1:{free_port()}/v1", api_key, timeout=(1.0, 2.0), backoff=0.01)
    t0 = time.monotonic()
    with pytest.raises(GatewayUnreachable) as info:
        c.create_video(**NO_RENDER)
    assert "Could not connect" in info.value.message
    assert time.monotonic() - t0 < 3
    c.close()


def test_a_create_refused_at_first_is_sent_once_the_gateway_is_up(tmp_path_factory, api_key):
    from demo_gateway import DemoGateway

    port = free_port()
    gw = DemoGateway(tmp_path_factory.mktemp("late"), port=port, job_seconds=0.3)
    threading.Timer(0.3, gw.start).start()
    c = V1Backend(gw.v1_url, api_key, timeout=(1.0, 5.0), read_retries=6, backoff=0.1)
    try:
        job = c.create_video(**NO_RENDER)  # refused, refused, ... then sent once
        assert job.status in ("queued", "processing")
        assert gw.stats()["creates"] == 1 and gw.stats()["requests"]["POST /v1/video"] == 1
    finally:
        c.close()
        time.sleep(0.05)
        gw.stop()


def test_a_create_rate_limited_is_retried_after_retry_after_and_makes_one_job(client, gateway):
    gateway.faults.update({"rate_limit": 1, "rate_limit_on": "create", "retry_after": 0.2})
    t0 = time.monotonic()
    job = client.create_video(**NO_RENDER)
    assert time.monotonic() - t0 >= 0.9  # waited the (rounded up) 1 s Retry-After
    stats = gateway.stats()
    assert stats["creates"] == 1 and stats["jobs"] == 1 and stats["requests"]["POST /v1/video"] == 2
    assert client.get_job(job.job_id).job_id == job.job_id


def test_a_create_rate_limited_beyond_max_retry_after_raises_at_once(gateway, api_key):
    gateway.faults.update({"rate_limit": 1, "rate_limit_on": "create", "retry_after": 30})
    c = V1Backend(gateway.v1_url, api_key, timeout=(2.0, 5.0), max_retry_after=2.0)
    t0 = time.monotonic()
    with pytest.raises(RateLimitError) as info:
        c.create_video(**NO_RENDER)
    assert info.value.retry_after == 30 and time.monotonic() - t0 < 5
    assert gateway.stats()["creates"] == 0
    c.close()


# --- following a job -------------------------------------------------------------------------
def test_a_cut_stream_is_reopened_and_still_reaches_completed(client, gateway):
    gateway.faults.update({"drop_stream_after": 0.1})
    job = client.create_video(**T2V)
    seen = follow(client, job, poll_interval=60.0, max_reconnects=1000)
    assert seen[-1].status == "completed" and seen[-1].output_url
    assert requests_to(gateway, "GET /v1/jobs/{id}/stream") > 1
    assert requests_to(gateway, "GET /v1/jobs/{id}") == 0  # never fell back to polling


def test_a_silent_stream_times_out_and_is_reopened(tmp_path_factory, api_key):
    from demo_gateway import DemoGateway

    # keep-alives every 30 s, a stream read timeout of 0.3 s: every connection goes quiet and
    # times out; the client reopens it until the end arrives on a stream.
    with DemoGateway(tmp_path_factory.mktemp("quiet"), job_seconds=1.0, keepalive_seconds=30.0) as gw:
        c = V1Backend(gw.v1_url, api_key, timeout=(2.0, 5.0), stream_read_timeout=0.3, backoff=0.05)
        job = c.create_video(**NO_RENDER)
        seen = follow(c, job, poll_interval=60.0, max_reconnects=1000)
        assert seen[-1].status == "failed"
        assert requests_to(gw, "GET /v1/jobs/{id}/stream") > 1
        assert requests_to(gw, "GET /v1/jobs/{id}") == 0
        c.close()


def test_a_stream_that_keeps_being_cut_falls_back_to_polling(client, gateway):
    gateway.faults.update({"drop_stream_after": 0.0})
    job = client.create_video(**T2V)
    seen = follow(client, job, poll_interval=0.2, max_reconnects=2)
    assert seen[-1].status == "completed"
    assert len({j.status for j in seen}) == len(seen)  # each status once
    assert requests_to(gateway, "GET /v1/jobs/{id}/stream") >= 3
    assert requests_to(gateway, "GET /v1/jobs/{id}") >= 1


def test_a_failing_stream_endpoint_falls_back_to_polling(client, gateway):
    job = client.create_video(**T2V)
    # The stream request (with its retries) gets every 500; the polls after it are served.
    gateway.faults.update({"server_error": 1 + client.read_retries, "server_error_on": "read"})
    seen = follow(client, job, poll_interval=0.2)
    assert seen[-1].status == "completed"
    assert requests_to(gateway, "GET /v1/jobs/{id}/stream") == 1 + client.read_retries
    assert requests_to(gateway, "GET /v1/jobs/{id}") >= 1


def test_polling_gives_up_after_repeated_failures(client, gateway):
    job = client.create_video(**NO_RENDER)
    gateway.faults.update({"server_error": 10_000, "server_error_on": "read"})
    with pytest.raises(ServerError):
        list(client.stream_job(job.job_id, poll_interval=0.05, max_reconnects=1))


def test_a_failed_job_through_the_stream(client, gateway):
    gateway.faults.update({"fail_jobs": 1})
    job = client.create_video(**T2V)
    seen = follow(client, job)
    assert seen[-1].status == "failed" and seen[-1].error


# --- downloads -------------------------------------------------------------------------------
def completed(client: V1Backend) -> Job:
    job = client.create_video(**T2V)
    return follow(client, job)[-1]


def test_a_download_recovers_from_a_server_error(client, gateway, tmp_path):
    job = completed(client)
    gateway.faults.update({"download_errors": 1})
    out = client.download(job.output_url, tmp_path / "out.mp4")
    assert out.read_bytes()[4:8] == b"ftyp"
    stats = gateway.stats()
    assert stats["output_downloads"] == 2
    assert stats["output_downloads_with_auth"] == 0


def test_a_download_that_keeps_failing_raises_and_leaves_nothing(client, gateway, tmp_path):
    job = completed(client)
    gateway.faults.update({"download_errors": 100})
    dest = tmp_path / "sub" / "out.mp4"
    with pytest.raises(ServerError) as info:
        client.download(job.output_url, dest)
    assert "Downloading the output" in info.value.message
    assert list(dest.parent.iterdir()) == []
    assert gateway.stats()["output_downloads"] == 3


def test_downloads_never_send_the_authorization_header(client, gateway, tmp_path):
    job = completed(client)
    for i in range(3):
        client.download(job.output_url, tmp_path / f"{i}.mp4")
    stats = gateway.stats()
    assert stats["output_downloads"] == 3 and stats["output_downloads_with_auth"] == 0


def test_a_download_replaces_the_destination_atomically(client, tmp_path):
    job = completed(client)
    dest = tmp_path / "out.mp4"
    dest.write_bytes(b"old")
    client.download(job.output_url, dest)
    assert dest.stat().st_size > 1000 and sorted(p.name for p in tmp_path.iterdir()) == ["out.mp4"]


def test_a_download_from_a_closed_port_is_unreachable(client, tmp_path):
    with pytest.raises(GatewayUnreachable):
        client.download(f"http://127.0.0.1:{free_port()}/o/job_0123456789abcdef.mp4", tmp_path / "x.mp4")
    assert not Path(tmp_path / "x.mp4").exists()
