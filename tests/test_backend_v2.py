"""The v2 backend over real HTTP against the demo gateway: estimates, idempotent creates, following."""

from __future__ import annotations

import threading

import pytest

from studio.api import JobStatus, VideoRequest, open_backend
from studio.api.follow import PollPolicy
from studio.api.v2 import V2Backend
from studio.errors import (
    ConflictError,
    InsufficientBalanceError,
    NotFoundError,
    UnprocessableError,
    model_unavailable,
)
from studio.live_catalog import LiveCatalog, read_catalog

KEY = "varg_v2_backend_key_0001"
FAST = PollPolicy(
    first=0.05, fastest=0.05, slowest=0.3, overdue=0.1, webhook_interval=0.3, error_backoff=0.05
)


@pytest.fixture
def v2(gateway):
    backend = open_backend(gateway.v2_url, KEY, timeout=(2.0, 10.0), backoff=0.05, poll_policy=FAST)
    assert isinstance(backend, V2Backend)
    yield backend
    backend.close()


def _run(v2, req, key):
    job = v2.create(req, idempotency_key=key)
    seen = [job, *v2.follow(job.job_id, stop=threading.Event())]
    return job, seen[-1]


def test_the_estimate_is_per_second_and_matches_the_bill(v2):
    four = v2.estimate(VideoRequest(model="sora_2", prompt="a kite", duration=4))
    twenty = v2.estimate(VideoRequest(model="sora-2", prompt="a kite", duration=20))
    assert (four.cents, twenty.cents) == (105, 525)
    snapped = v2.estimate(VideoRequest(model="sora_2", prompt="a kite", duration=10))
    assert snapped.duration == 8 and snapped.cents == 210
    _, done = _run(v2, VideoRequest(model="sora_2", prompt="a kite over dunes", duration=8), "est-1")
    assert done.status is JobStatus.COMPLETED and done.actual_cents == 210


def test_a_create_whose_answer_is_lost_is_retried_once_charged_once(gateway):
    before = None
    backend = open_backend(gateway.v2_url, KEY, timeout=(2.0, 0.4), backoff=0.05, poll_policy=FAST)
    try:
        before = backend.balance().available
        gateway.faults.update(dict(create_hang=1, hang_seconds=1.5))
        job = backend.create(
            VideoRequest(model="sora_2", prompt="lost answer", duration=4), idempotency_key="lost-1"
        )
        again = backend.create(
            VideoRequest(model="sora_2", prompt="lost answer", duration=4), idempotency_key="lost-1"
        )
        assert again.job_id == job.job_id
        jobs = [j for j in backend.list_jobs(50) if j.job_id == job.job_id]
        assert len(jobs) == 1
        assert backend.balance().total == before - 105 or backend.balance().available == before - 105
    finally:
        gateway.faults.reset()
        backend.close()


def test_progress_is_reported_and_the_follow_ends_with_the_full_job(v2):
    job = v2.create(
        VideoRequest(model="kling_v3", prompt="a lighthouse beam sweeps", duration=3, seed=7),
        idempotency_key="prog-1",
    )
    seen = list(v2.follow(job.job_id, stop=threading.Event()))
    assert seen[-1].terminal and seen[-1].output_url
    assert any(j.progress is not None and 0 < j.progress < 1 for j in seen[:-1]) or len(seen) == 1


def test_cancel_refunds_and_a_late_cancel_is_a_conflict(v2):
    before = v2.balance().available
    job = v2.create(VideoRequest(model="sora_2", prompt="cancel me", duration=4), idempotency_key="cancel-1")
    cancelled = v2.cancel(job.job_id)
    assert cancelled.status is JobStatus.CANCELLED
    assert v2.balance().available == before
    with pytest.raises(ConflictError):
        v2.cancel(job.job_id)


def test_errors_come_through_the_one_choke_point(v2, gateway):
    with pytest.raises(UnprocessableError) as bad:
        v2.create(
            VideoRequest(model="sora_2", prompt="x", duration=4, aspect_ratio="7:3"), idempotency_key="e1"
        )
    assert bad.value.field == "aspect_ratio"
    with pytest.raises(NotFoundError):
        v2.get_job("job_0000000000000000")
    gateway.faults.update(dict(sora_gone=True))
    try:
        with pytest.raises(NotFoundError) as gone:
            v2.estimate(VideoRequest(model="sora_2", prompt="x", duration=4))
        assert model_unavailable(gone.value)
    finally:
        gateway.faults.reset()
    poor = open_backend(gateway.v2_url, "varg_poor_key_0000", timeout=(2.0, 5.0))
    try:
        spend = poor.balance().available
        with pytest.raises(InsufficientBalanceError) as short:
            poor.create(VideoRequest(model="sora_2_pro", prompt="x", duration=20), idempotency_key="p1")
            poor.create(VideoRequest(model="sora_2_pro", prompt="y", duration=20), idempotency_key="p2")
            for i in range(10):
                poor.create(
                    VideoRequest(model="sora_2_pro", prompt=f"z{i}", duration=20), idempotency_key=f"p{i + 3}"
                )
        assert short.value.details.get("available", spend) <= spend
    finally:
        poor.close()


def test_the_live_catalogue_reads_schemas_and_prices(v2, gateway):
    cat = read_catalog(v2)
    sora, kling = cat.get("sora-2"), cat.get("kling_v3")
    assert sora.durations == (4, 8, 12, 16, 20) and not sora.seed and sora.price_per_second == 26.25
    assert kling.duration_range == (3, 15) and kling.seed and kling.end_frame
    assert cat.get("sora_2_remix").modes == ("remix",)
    assert cat.default("text-to-video").id == "sora_2"
    gateway.faults.update(dict(no_pricing="sora_2,sora_2_pro"))
    try:
        live = LiveCatalog(v2)
        now = live.wait()
        assert not now.get("sora_2").available and now.default("text-to-video").family != "sora"
        live.close()
    finally:
        gateway.faults.reset()
