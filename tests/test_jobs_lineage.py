"""Submissions record where they come from (idea, parent, relation), keep originals and end frames,
and a sweep is paid as one: over real HTTP against the demo gateway."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from studio.api.follow import PollPolicy
from studio.api.v2 import V2Backend
from studio.errors import InputError
from studio.jobs import JobManager, TakeRequest
from studio.library import Library, account_fingerprint
from studio.media import Framing
from tests.factories import photo

KEY = "varg_v2_lineage_key_0000001"
ACCOUNT = account_fingerprint(KEY)
FAST = PollPolicy(first=0.1, fastest=0.05, slowest=0.3, overdue=0.05, error_backoff=0.05)
T2V = TakeRequest(mode="text-to-video", model="kling_v3", prompt="a red kite over dunes", duration=5)


@pytest.fixture
def mgr(gateway, studio_home: Path):
    backend = V2Backend(gateway.v2_url, KEY, timeout=(2.0, 5.0), backoff=0.05, poll_policy=FAST)
    m = JobManager(backend, Library(studio_home), ACCOUNT, retry_backoff=0.05)
    yield m
    m.shutdown()


def _done(m: JobManager, take_id: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        take = m.library.get(take_id)
        if take is not None and not take.is_open:
            return take
        time.sleep(0.03)
    raise AssertionError(m.library.get(take_id))


def test_a_reroll_joins_its_parents_idea_and_records_how(mgr):
    root = mgr.submit(T2V, "root").takes[0]
    kid = mgr.submit(replace(T2V, parent_id=root.id, relation="reroll", camera="dolly_in"), "kid").takes[0]
    assert (kid.parent_id, kid.relation, kid.idea_id, kid.camera) == (root.id, "reroll", root.idea_id, "dolly_in")
    grandkid = mgr.submit(replace(T2V, prompt="a blue kite", parent_id=kid.id, relation="lock_seed"), "gk").takes[0]
    assert grandkid.idea_id == root.idea_id
    stranger = mgr.submit(replace(T2V, parent_id="not-a-take", relation="reroll"), "stranger").takes[0]
    assert stranger.parent_id is None and stranger.relation is None and stranger.idea_id == stranger.batch_id


def test_an_upload_keeps_its_original_and_its_framing_and_sends_the_end_frame(mgr, gateway):
    original = photo(1200, 800)
    req = TakeRequest(
        mode="image-to-video",
        model="kling_v3",
        prompt="the harbour wakes up",
        duration=5,
        aspect_ratio="9:16",
        image=original,
        image_name="harbour.jpg",
        crop=str(Framing(0.0, 0.0, 2.0)),
        end_image=photo(1200, 800, seed=7),
    )
    take = mgr.submit(req, "i2v").takes[0]
    assert take.crop == "0,0,2" and take.original_file and take.end_file
    assert mgr.library.path(take.original_file).read_bytes() == original
    with Image.open(mgr.library.path(take.source_file)) as framed:
        assert framed.width < framed.height, "framed at 9:16"
    done = _done(mgr, take.id)
    assert done.status == "completed", done.error
    body = json.loads(gateway.store.job(done.job_id).input_json)
    assert body.get("end_image_url") and body["files"], body


def test_an_end_frame_is_refused_for_a_model_without_one(mgr):
    req = TakeRequest(
        mode="image-to-video", model="sora_2", prompt="p", duration=4, image=photo(), end_image=photo(seed=3)
    )
    with pytest.raises(InputError) as err:
        mgr.prepare(req)
    assert err.value.field == "end_image" and "end frame" in str(err.value)


def test_a_frame_at_any_time_is_what_gets_animated(mgr):
    src = _done(mgr, mgr.submit(replace(T2V, duration=5), "src").takes[0].id)
    early = mgr.prepare(TakeRequest(mode="image-to-video", model="kling_v3", prompt="p", source_take_id=src.id, frame_time=0.2))
    late = mgr.prepare(TakeRequest(mode="image-to-video", model="kling_v3", prompt="p", source_take_id=src.id))
    assert early.image.data != late.image.data
    take = mgr.submit(
        TakeRequest(mode="image-to-video", model="kling_v3", prompt="p", source_take_id=src.id, frame_time=0.2), "frame"
    ).takes[0]
    assert (take.frame_time, take.parent_id, take.relation) == (0.2, src.id, "animate")
    assert take.source_file.endswith(".jpg") and take.source_file != src.video_path, "the frame is sent"


def test_a_sweep_is_paid_as_one_or_not_at_all(mgr, gateway):
    parts = [mgr.prepare(replace(T2V, prompt=f"a kite, {style}", sweep_id="sw1", relation="sweep")) for style in ("noir", "neon", "pastel")]
    one = parts[0].estimate.total
    with pytest.raises(InputError):
        mgr.submit_sweep([(p, None) for p in parts], "sweep", budget_left=one * 3 - 1)
    assert mgr.library.count(ACCOUNT) == 0, "nothing written when the whole sweep does not fit"
    creates = gateway.stats()["creates"]
    result = mgr.submit_sweep([(p, None) for p in parts], "sweep", budget_left=one * 3)
    assert result.created and len(result.takes) == 3
    again = mgr.submit_sweep([(p, None) for p in parts], "sweep", budget_left=0)
    assert not again.created and [t.id for t in again.takes] == [t.id for t in result.takes]
    for take in result.takes:
        assert _done(mgr, take.id).status == "completed"
    assert gateway.stats()["creates"] - creates == 3
    swept = mgr.library.sweep_takes(ACCOUNT, "sw1")
    assert [t.prompt for t in swept] == [p.prompt for p in parts]
    assert {t.idea_id for t in swept} == {"sw1"} and {t.relation for t in swept} == {"sweep"}


def test_a_continued_take_joins_the_next_shot_as_it_is_written_once_whatever_the_page_does(mgr):
    from studio import storyboard
    from studio.catalog import offline

    root = _done(mgr, mgr.submit(T2V, "cont-root").takes[0].id)
    assert root.status == "completed", root.error
    lib = mgr.library
    board = lib.create_storyboard(ACCOUNT, "Chain")
    first = lib.add_shot(ACCOUNT, board.id, root.id)
    second = lib.add_shot(ACCOUNT, board.id, root.id)
    req = storyboard.continue_request(lib.reel(ACCOUNT, board.id).shots[0], offline())
    assert req.continues_shot == first.id
    made = mgr.submit(req, "cont-1")
    again = mgr.submit(req, "cont-1")  # a double-click or a rerun: nothing sent, nothing placed twice
    assert made.created and not again.created
    shots = lib.reel(ACCOUNT, board.id).shots
    assert [s.shot.id for s in shots] == [first.id, second.id]  # it joined the next shot, no new shot
    assert [t.id for t in shots[1].candidates].count(made.takes[0].id) == 1
    assert made.takes[0].id not in [t.id for t in shots[0].candidates]
    # continuing the last shot makes a new shot after it
    last = storyboard.continue_request(lib.reel(ACCOUNT, board.id).shots[1], offline())
    tail = mgr.submit(last, "cont-2").takes[0]
    shots = lib.reel(ACCOUNT, board.id).shots
    assert len(shots) == 3 and shots[2].shot.take_id == tail.id
    # the shot was deleted meanwhile: the take is still made and kept, just not placed
    lib.remove_shot(ACCOUNT, shots[1].shot.id)
    orphan = mgr.submit(last, "cont-3").takes[0]
    assert lib.get(orphan.id) is not None and len(lib.reel(ACCOUNT, board.id).shots) == 2
