"""Jobs over real HTTP to the local gateway and a real SQLite library: submit, follow, resume."""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path

import pytest

import factories
from studio.api.v1 import V1Backend
from studio.errors import InputError
from studio.jobs import JobManager, TakeRequest
from studio.library import Library, NewTake, account_fingerprint

ACCOUNT = account_fingerprint("varg_test_key_0123456789")


def _manager(gateway, home: Path, key: str = "varg_test_key_0123456789", **kw) -> JobManager:
    client = V1Backend(gateway.v1_url, key, timeout=(2.0, 10.0), backoff=0.05)
    kw.setdefault("retry_backoff", 0.05)
    return JobManager(client, Library(home), account_fingerprint(key), poll_interval=0.3, **kw)


def _wait_done(mgr: JobManager, take_id: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        take = mgr.library.get(take_id)
        if take and not take.is_open:
            return take
        time.sleep(0.05)
    raise AssertionError(f"take {take_id} still open: {mgr.library.get(take_id)}")


def _creates(gateway) -> int:
    return gateway.stats()["creates"]


T2V = TakeRequest(mode="text-to-video", model="sora-2", prompt="a lighthouse at dusk, rain", duration=4)


@pytest.fixture
def mgr(gateway, studio_home):
    m = _manager(gateway, studio_home)
    yield m
    m.shutdown()


def test_a_submitted_take_completes_with_video_and_poster(mgr, gateway):
    result = mgr.submit(T2V, "sub-1")
    assert result.created and len(result.takes) == 1
    take = _wait_done(mgr, result.takes[0].id)
    assert take.status == "completed", take.error
    assert take.job_id and take.video_path and take.poster_path
    assert mgr.library.path(take.video_path).read_bytes()[4:8] == b"ftyp"
    assert mgr.library.path(take.poster_path).stat().st_size > 1000
    assert _creates(gateway) == 1


def test_the_same_submission_twice_creates_one_job(mgr, gateway):
    first = mgr.submit(T2V, "double-click")
    second = mgr.submit(T2V, "double-click")
    assert not second.created
    assert [t.id for t in second.takes] == [t.id for t in first.takes]
    _wait_done(mgr, first.takes[0].id)
    assert _creates(gateway) == 1


def test_variants_are_separate_takes_sharing_a_batch(mgr, gateway):
    result = mgr.submit(TakeRequest(**{**T2V.__dict__, "variants": 3}), "batch-3")
    assert len({t.batch_id for t in result.takes}) == 1
    assert sorted(t.variant_index for t in result.takes) == [0, 1, 2]
    for t in result.takes:
        assert _wait_done(mgr, t.id).status == "completed"
    assert _creates(gateway) == 3


def test_a_duration_is_snapped_and_said(mgr):
    prepared = mgr.prepare(TakeRequest(**{**T2V.__dict__, "duration": 10}))
    assert prepared.duration == 8
    assert any("10 s became 8 s" in w for w in prepared.warnings)


def test_over_balance_or_budget_is_refused_before_any_call(mgr, gateway):
    with pytest.raises(InputError) as exc:
        mgr.submit(TakeRequest(**{**T2V.__dict__, "variants": 4}), "too-much", balance=250)
    assert exc.value.field == "submit" and "400" in exc.value.message
    with pytest.raises(InputError):
        mgr.submit(T2V, "budget", budget_left=50)
    assert _creates(gateway) == 0
    assert mgr.library.list(mgr.account) == []


def test_a_failed_job_records_the_gateways_message(mgr):
    take = mgr.submit(TakeRequest(**{**T2V.__dict__, "prompt": "a storm [fail]"}), "fail").takes[0]
    done = _wait_done(mgr, take.id)
    assert done.status == "failed"
    assert done.error and "provider" in done.error.lower()


def test_cancel_stops_a_running_take(tmp_path_factory, studio_home):
    from demo_gateway import DemoGateway

    gw = DemoGateway(tmp_path_factory.mktemp("gw"), job_seconds=5.0, keepalive_seconds=0.5).start()
    m = _manager(gw, studio_home)
    try:
        take = m.submit(T2V, "cancel-me").takes[0]
        deadline = time.monotonic() + 10
        while not m.library.get(take.id).job_id and time.monotonic() < deadline:
            time.sleep(0.01)
        balance_during = m.client.balance().credits
        m.cancel(take.id)
        done = _wait_done(m, take.id)
        assert done.status == "cancelled"
        assert m.client.get_job(take.job_id if take.job_id else done.job_id).status == "cancelled"
        assert m.client.balance().credits == balance_during + 100  # refunded
    finally:
        m.shutdown()
        gw.stop()


def test_cancel_before_create_never_starts_a_job(gateway, studio_home):
    library = Library(studio_home)
    m = _manager(gateway, studio_home)
    try:
        takes, _ = library.add_batch([_new_take("never")])
        m.cancel(takes[0].id)
        assert library.get(takes[0].id).status == "cancelled"
        m.resume()
        time.sleep(0.3)
        assert _creates(gateway) == 0
    finally:
        m.shutdown()


def test_a_stream_cut_mid_job_reconnects_and_completes(gateway, studio_home):
    gateway.faults.update({"drop_stream_after": 0.15})
    m = _manager(gateway, studio_home)
    try:
        take = _wait_done(m, m.submit(T2V, "cut").takes[0].id)
        assert take.status == "completed"
        assert gateway.stats()["requests"].get("GET /v1/jobs/{id}/stream", 0) >= 2
    finally:
        m.shutdown()


def test_rate_limits_and_server_errors_on_reads_are_retried(gateway, studio_home):
    m = _manager(gateway, studio_home)
    try:
        take = m.submit(T2V, "flaky").takes[0]
        while not m.library.get(take.id).job_id:
            time.sleep(0.01)
        gateway.faults.update({"rate_limit": 2, "rate_limit_on": "read", "retry_after": 0.1})
        gateway.faults.update({"server_error": 2, "server_error_on": "read", "error_status": 502})
        assert _wait_done(m, take.id).status == "completed"
        assert _creates(gateway) == 1
    finally:
        m.shutdown()


def test_a_500_on_create_that_made_no_job_says_nothing_was_charged(mgr, gateway):
    gateway.faults.update({"server_error": 1, "server_error_on": "create", "error_status": 500})
    take = _wait_done(mgr, mgr.submit(T2V, "boom").takes[0].id)
    assert take.status == "failed" and not take.job_id
    assert "nothing was charged" in take.error and "not sent again" in take.error
    assert gateway.stats()["requests"]["POST /v1/video"] == 1
    assert _creates(gateway) == 0


def test_a_job_created_behind_a_500_is_shown_to_the_user_and_kept_on_their_word(mgr, gateway):
    gateway.faults.update({"create_commit_then_error": 1})
    take = _wait_done(mgr, mgr.submit(T2V, "committed").takes[0].id)
    # Never adopted silently: varg's job is shown, and the user says whether it is theirs.
    assert take.status == "unknown" and take.job_id is None and take.candidates
    assert "Is it yours?" in take.error and "sora-2 job started" in take.error
    mgr.adopt(take.id, take.candidates)
    take = _wait_done(mgr, take.id)
    assert take.status == "completed" and take.video_path, take.error
    assert gateway.stats()["requests"]["POST /v1/video"] == 1
    assert _creates(gateway) == 1
    assert mgr.client.balance().credits == 5000 - 100


def test_a_create_whose_answer_timed_out_is_offered_not_sent_again(gateway, studio_home):
    gateway.faults.update({"create_hang": 1, "hang_seconds": 3})
    client = V1Backend(gateway.v1_url, "varg_test_key_0123456789", timeout=(2.0, 1.0), backoff=0.05)
    m = JobManager(client, Library(studio_home), ACCOUNT, poll_interval=0.3, retry_backoff=0.05)
    try:
        take = _wait_done(m, m.submit(T2V, "hung").takes[0].id)
        assert take.status == "unknown" and take.candidates, take.error
        take = _wait_done(m, m.adopt(take.id, take.candidates).id)
        assert take.status == "completed", take.error
        assert gateway.stats()["requests"]["POST /v1/video"] == 1
    finally:
        m.shutdown()


def test_two_ambiguous_creates_never_share_a_job_and_are_never_resent(mgr, gateway):
    gateway.faults.update({"create_commit_then_error": 2})
    takes = mgr.submit(TakeRequest(**{**T2V.__dict__, "variants": 2}), "twins").takes
    done = [_wait_done(mgr, t.id) for t in takes]
    # Nothing is adopted without the user's word; each take lists what could be its job.
    assert all(t.status == "unknown" and t.job_id is None for t in done), [t.status for t in done]
    assert all("charged once" in t.error or "Is it yours?" in t.error for t in done)
    assert gateway.stats()["requests"]["POST /v1/video"] == 2 and _creates(gateway) == 2
    assert mgr.library.spend(mgr.account, 0) == 200


def test_an_ambiguous_create_with_two_candidate_jobs_is_unknown_not_guessed(mgr, gateway):
    # Two jobs of the same model that no take holds (made elsewhere with this key, just now)...
    for prompt in ("elsewhere one", "elsewhere two"):
        mgr.client.create_video(model="sora-2", prompt=prompt + " [fail]", duration=4)
    # ...then a create whose answer is a 500: the usage cannot say which job (if any) is ours.
    gateway.faults.update({"server_error": 1, "server_error_on": "create", "error_status": 500})
    take = _wait_done(mgr, mgr.submit(T2V, "which-one").takes[0].id)
    assert take.status == "unknown" and take.job_id is None
    assert "may have started and been charged once" in take.error
    assert len(take.candidates.split(", ")) == 2, "the candidates are listed"
    assert gateway.stats()["requests"]["POST /v1/video"] == 3


def test_another_clients_job_is_never_taken_for_ours(mgr, gateway):
    # A script with the same key makes a job; our create then answers 500 and made nothing.
    mgr.client.create_video(model="sora-2", prompt="someone else's video", duration=4)
    gateway.faults.update({"server_error": 1, "server_error_on": "create", "error_status": 500})
    take = _wait_done(mgr, mgr.submit(T2V, "not-mine").takes[0].id)
    assert take.status == "unknown" and take.job_id is None, "shown, never adopted silently"
    assert take.video_path is None
    mgr.disown(take.id)
    take = mgr.library.get(take.id)
    assert take.status == "unknown" and not take.candidates and "not this take's" in take.error


def test_a_gateway_clock_behind_ours_does_not_hide_a_paid_job(mgr, gateway):
    gateway.faults.update({"clock_skew": -3, "create_commit_then_error": 1})
    take = _wait_done(mgr, mgr.submit(T2V, "skewed").takes[0].id)
    assert take.status == "unknown" and take.candidates, take.error  # found, not "nothing was charged"
    assert "nothing was charged" not in take.error


def test_a_download_that_fails_then_recovers_completes(gateway, studio_home):
    gateway.faults.update({"download_errors": 2})
    m = _manager(gateway, studio_home)
    try:
        assert _wait_done(m, m.submit(T2V, "dl").takes[0].id).status == "completed"
        assert gateway.stats()["output_downloads_with_auth"] == 0
    finally:
        m.shutdown()


def test_a_crash_between_create_and_job_id_is_reconciled_not_resent(gateway, studio_home):
    library = Library(studio_home)
    takes, _ = library.add_batch([_new_take("crashed")])
    library.update(takes[0].id, status="submitting")
    m = _manager(gateway, studio_home)
    try:
        m.resume()
        take = _wait_done(m, takes[0].id)
        assert take.status == "failed" and "nothing was charged" in take.error  # usage shows no job
        time.sleep(0.2)
        assert _creates(gateway) == 0
    finally:
        m.shutdown()


def _child_submit_then_die(base_url: str, home: str, ready) -> None:
    client = V1Backend(base_url, "varg_test_key_0123456789", timeout=(2.0, 10.0))
    m = JobManager(client, Library(Path(home)), ACCOUNT, poll_interval=0.3, lease_ttl=1.5)
    take = m.submit(T2V, "killed").takes[0]
    while not m.library.get(take.id).job_id:
        time.sleep(0.01)
    ready.set()
    time.sleep(0.05)
    os._exit(0)  # the process dies mid-job, with the follower running


def test_a_follower_killed_mid_job_finishes_after_restart(tmp_path_factory, studio_home):
    from demo_gateway import DemoGateway

    gw = DemoGateway(tmp_path_factory.mktemp("gw"), job_seconds=2.0, keepalive_seconds=0.5).start()
    try:
        ctx = multiprocessing.get_context("spawn")
        ready = ctx.Event()
        child = ctx.Process(target=_child_submit_then_die, args=(gw.v1_url, str(studio_home), ready))
        child.start()
        assert ready.wait(30)
        child.join(30)
        library = Library(studio_home)
        [take] = library.list(ACCOUNT)
        assert take.is_open and take.job_id
        m = _manager(gw, studio_home, lease_ttl=1.5)
        try:
            # The dead process's lease is still live at first: nobody else touches the take...
            assert m.resume() == 0 or library.get(take.id).lease_owner != take.lease_owner
            # ...then it lapses, and this process takes the take over and finishes it.
            done = _wait_done(m, take.id)
            assert done.status == "completed" and done.video_path
            assert gw.stats()["creates"] == 1
        finally:
            m.shutdown()
    finally:
        gw.stop()


def test_two_accounts_never_see_each_others_takes(gateway, studio_home):
    a = _manager(gateway, studio_home, key="varg_key_alice_000000")
    b = _manager(gateway, studio_home, key="varg_key_bob_00000000")
    try:
        ta = a.submit(T2V, "alice").takes[0]
        assert b.library.list(b.account) == []
        assert b.library.get(ta.id, account=b.account) is None
        with pytest.raises(InputError):
            b.cancel(ta.id)
        _wait_done(a, ta.id)
    finally:
        a.shutdown()
        b.shutdown()


def test_image_to_video_uploads_the_prepared_image(mgr, gateway):
    req = TakeRequest(
        mode="image-to-video",
        model="sora-2",
        prompt="slow zoom in",
        duration=4,
        aspect_ratio="16:9",
        image=factories.photo(3000, 2000),
        image_name="holiday.jpg",
    )
    prepared = mgr.prepare(req)
    assert (prepared.image.width, prepared.image.height) == (1280, 720)
    take = _wait_done(mgr, mgr.submit(prepared, "i2v").takes[0].id)
    assert take.status == "completed", take.error
    assert gateway.stats()["requests"].get("POST /v1/files", 0) == 1


def test_remix_of_a_gallery_take_and_animate_its_last_frame(mgr, gateway):
    source = _wait_done(mgr, mgr.submit(T2V, "src").takes[0].id)
    remix = mgr.prepare(
        TakeRequest(mode="remix", model="sora-2-remix", prompt="noir", source_take_id=source.id)
    )
    assert remix.warnings == () and remix.source_video.duration == pytest.approx(4, abs=0.1)
    rt = _wait_done(mgr, mgr.submit(remix, "remix").takes[0].id)
    assert rt.status == "completed" and rt.source_take_id == source.id
    assert [t.id for t in mgr.library.lineage(rt.id)] == [source.id, rt.id]
    last = mgr.prepare(
        TakeRequest(mode="image-to-video", model="sora-2", prompt="push in", source_take_id=rt.id)
    )
    assert last.image is not None and last.source_take.id == rt.id


def test_remixing_an_upload_warns_that_sora_may_reject_it(mgr):
    prepared = mgr.prepare(
        TakeRequest(mode="remix", model="sora-2-remix", prompt="winter", source_video=factories.mp4(1.0))
    )
    assert any("may reject it" in w for w in prepared.warnings)


BAD_INPUTS = [
    ("image", factories.corrupt_png, "damaged"),
    ("image", factories.truncated_jpeg, ""),
    ("image", factories.png_bomb, ""),
    ("image", factories.pdf_bytes, "PDF"),
    ("image", lambda: b"", "empty"),
    ("video", factories.oversized_video, "50 MB"),
    ("video", factories.audio_only_mp4, "audio"),
    ("video", lambda: b"", "empty"),
    ("video", factories.pdf_bytes, ""),
]


@pytest.mark.parametrize(("kind", "make", "words"), BAD_INPUTS)
def test_every_bad_input_gets_its_own_message_and_makes_no_call(mgr, gateway, kind, make, words):
    data = make()
    if kind == "image":
        req = TakeRequest(mode="image-to-video", model="sora-2", prompt="zoom", image=data)
    else:
        req = TakeRequest(mode="remix", model="sora-2-remix", prompt="noir", source_video=data)
    with pytest.raises(InputError) as exc:
        mgr.submit(req, f"bad-{kind}-{len(data)}")
    assert exc.value.field in (kind, "image", "video", "source")
    assert words.lower() in exc.value.message.lower()
    assert "Traceback" not in exc.value.message
    assert gateway.stats()["creates"] == 0
    assert sum(gateway.stats()["requests"].values()) == 0
    assert mgr.library.list(mgr.account) == []


@pytest.mark.parametrize(
    ("prompt", "field"),
    [("", "prompt"), ("   \n\t ", "prompt"), ("x" * 4001, "prompt")],
)
def test_bad_prompts_are_refused_at_the_prompt(mgr, gateway, prompt, field):
    with pytest.raises(InputError) as exc:
        mgr.prepare(TakeRequest(mode="text-to-video", model="sora-2", prompt=prompt))
    assert exc.value.field == field
    assert _creates(gateway) == 0


def test_unknown_models_and_modes_are_refused(mgr):
    with pytest.raises(InputError) as exc:
        mgr.prepare(TakeRequest(mode="text-to-video", model="sora-9", prompt="x"))
    assert exc.value.field == "model"
    with pytest.raises(InputError) as exc:
        mgr.prepare(TakeRequest(mode="text-to-video", model="sora-2-remix", prompt="x"))
    assert exc.value.field == "model"


def test_exif_rotated_photos_come_out_upright(mgr):
    prepared = mgr.prepare(
        TakeRequest(
            mode="image-to-video",
            model="sora-2",
            prompt="zoom",
            aspect_ratio="auto",
            image=factories.exif_rotated_jpeg(400, 300),
        )
    )
    assert prepared.image.height > prepared.image.width


def _new_take(submission: str) -> NewTake:
    return NewTake(
        account=ACCOUNT,
        batch_id=submission,
        submission_id=submission,
        variant_index=0,
        mode="text-to-video",
        model="sora-2",
        prompt="a quiet harbour",
        duration_requested=4,
        duration=4,
        aspect_ratio="16:9",
        estimated_credits=100,
    )
