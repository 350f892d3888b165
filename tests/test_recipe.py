"""Recipes between takes: edge changes, re-roll, make final and the form's reuse values."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest

import factories
from studio import catalog, recipe
from studio.api.follow import PollPolicy
from studio.api.v2 import V2Backend
from studio.catalog import Catalog
from studio.errors import InputError
from studio.jobs import JobManager
from studio.library import Library, NewTake, account_fingerprint
from studio.submission import prepare
from studio.take import Relation, Take

ACCOUNT = "demo"


@pytest.fixture
def lib(studio_home: Path):
    library = Library(studio_home)
    yield library
    library.close()


def add(lib: Library, **fields) -> Take:
    """A take written to a real library (pending, no job yet)."""
    values = dict(
        account=ACCOUNT,
        batch_id=fields.pop("batch_id", f"b{time.monotonic_ns()}"),
        submission_id=f"s{time.monotonic_ns()}",
        variant_index=0,
        mode="text-to-video",
        model="sora_2",
        prompt="a lighthouse at dusk",
        duration_requested=4,
        duration=4,
        aspect_ratio="16:9",
        estimated_credits=105,
    )
    values.update(fields)
    made, _ = lib.add_batch([NewTake(**values)])
    return made[0]


def test_changes_lists_every_recipe_field_that_moved_and_nothing_else(lib):
    parent = add(lib, model="kling_v3_standard", duration_requested=5, duration=5, seed=7)
    child = replace(
        parent,
        model="kling_v3",
        duration_requested=12,
        duration=12,
        seed=8,
        aspect_ratio="9:16",
        camera="dolly_in",
        audio=True,
        prompt="something else entirely",
    )
    texts = [c.text for c in recipe.changes(parent, child)]
    assert texts == [
        "Model Kling v3 Standard → Kling v3",
        "Duration 5 s → 12 s",
        "Ratio 16:9 → 9:16",
        "Seed 7 → 8",
        "Camera none → Dolly in",
        "Audio off → on",
    ], "the prompt is prompt_diff's business"
    assert recipe.changes(parent, replace(parent, prompt="new words")) == []


def test_changes_read_the_asked_duration_and_either_spelling_of_a_model(lib):
    parent = add(lib, model="sora-2", duration_requested=4.5, duration=4)
    assert recipe.changes(parent, replace(parent, model="sora_2", duration=4)) == []
    [change] = recipe.changes(parent, replace(parent, duration_requested=None, duration=8))
    assert change.text == "Duration 4.5 s → 8 s"


def test_changes_name_source_frame_framing_and_end_frame(lib):
    src = add(lib)
    parent = add(lib, mode="image-to-video", source_take_id=src.id, frame_time=1.5, crop=None)
    child = replace(parent, frame_time=0.5, crop="0.2,0.5,1.5", end_file="inputs/end.jpg")
    texts = [c.text for c in recipe.changes(parent, child)]
    assert texts == [
        f"Source take {src.id[:8]} at 1.5 s → take {src.id[:8]} at 0.5 s",
        "Framing centred → 0.2,0.5,1.5",
        "End frame none → yes",
    ]


def test_reroll_is_the_same_recipe_with_a_new_seed_recorded_as_a_reroll(lib):
    take = add(lib, model="kling_v3", duration_requested=7, duration=7, seed=1234, audio=True, camera="orbit")
    req = recipe.reroll(take)
    assert (req.mode, req.model, req.prompt, req.duration, req.aspect_ratio) == (
        "text-to-video",
        "kling_v3",
        take.prompt,
        7,
        "16:9",
    )
    assert req.seed is None and req.variants == 1 and req.audio and req.camera == "orbit"
    assert (req.parent_id, req.relation) == (take.id, Relation.REROLL.value)
    assert prepare(req, catalog.offline(), lib, ACCOUNT).seeds[0] is not None, "a new random seed at prepare"


def test_reroll_of_an_uploaded_image_reframes_the_kept_original(lib):
    original = lib.store_bytes(factories.photo(900, 900), ".jpg", kind="inputs")
    framed = lib.store_bytes(factories.photo(640, 360), ".jpg", kind="inputs")
    take = add(
        lib,
        mode="image-to-video",
        model="kling_v3",
        source_file=framed,
        original_file=original,
        crop="0.1,0.9,2",
        source_name="me.jpg",
    )
    req = recipe.reroll(take)
    assert (req.original_file, req.crop, req.image) == (original, "0.1,0.9,2", None)
    prepared = prepare(req, catalog.offline(), lib, ACCOUNT)
    assert prepared.image is not None and (prepared.image.original_width, prepared.image.original_height) == (
        900,
        900,
    ), "the kept original, not the framed copy"
    assert "2× zoom" in prepared.image.note and (prepared.image.width, prepared.image.height) == (900, 506)


def test_reroll_of_an_older_upload_uses_its_framed_image_without_framing_it_twice(lib):
    framed = lib.store_bytes(factories.photo(640, 360), ".jpg", kind="inputs")
    take = add(lib, mode="image-to-video", model="kling_v3", source_file=framed, crop="0.1,0.1,3")
    req = recipe.reroll(take)
    assert req.original_file == framed and req.crop is None
    assert prepare(req, catalog.offline(), lib, ACCOUNT).image is not None


def test_reroll_of_an_animated_frame_takes_the_same_frame_of_the_same_take(lib):
    video = lib.store_bytes(factories.mp4(2.0), ".mp4", kind="videos")
    src = add(lib)
    lib.update(src.id, status="completed", video_path=video)
    take = add(lib, mode="image-to-video", model="kling_v3", source_take_id=src.id, frame_time=1.0)
    req = recipe.reroll(take)
    assert (req.source_take_id, req.frame_time) == (src.id, 1.0)
    assert prepare(req, catalog.offline(), lib, ACCOUNT).source_take.id == src.id


def test_reroll_of_an_uploaded_remix_source_reads_it_from_the_library(lib):
    clip = lib.store_bytes(factories.mp4(1.0), ".mp4", kind="inputs")
    take = add(
        lib,
        mode="remix",
        model="grok_imagine_edit",
        source_file=clip,
        source_name="clip.mp4",
        duration_requested=None,
        aspect_ratio=None,
    )
    with pytest.raises(InputError, match="lives in the library"):
        recipe.reroll(take)
    req = recipe.reroll(take, lib)
    assert req.source_video == lib.path(clip).read_bytes() and req.duration is None
    assert prepare(req, catalog.offline(), lib, ACCOUNT).source_video is not None
    lib.path(clip).unlink()
    with pytest.raises(InputError, match="missing from the library folder"):
        recipe.reroll(take, lib)


def test_can_reroll_says_why_not(lib):
    cat = catalog.offline()
    sora = add(lib, model="sora_2")
    assert recipe.can_reroll(sora, cat.find("sora_2")) == (
        "Sora 2 takes no seed: the same recipe may come back as the very same video."
    )
    kling = add(lib, model="kling_v3")
    assert recipe.can_reroll(kling, cat.find("kling_v3")) is None
    assert "not offered" in (recipe.can_reroll(kling, cat.find("nope")) or "")
    gone = replace(cat.get("kling_v3"), available=False, unavailable_reason="no pricing")
    assert recipe.can_reroll(kling, gone) == "Kling v3 is not available on varg right now (no pricing)."


def test_final_plans_put_the_top_tier_at_the_final_length_first():
    cat = catalog.offline()
    sora = _take(model="sora_2", duration=4)
    plans = recipe.final_plans(sora, cat)
    assert [(p.model, p.duration) for p in plans] == [
        ("sora-2-pro", 12),
        ("sora-2-pro", 4),
        ("sora-2", 12),
    ]
    assert plans[0].label == "Sora 2 Pro · 12 s" and not plans[0].seed
    kling = recipe.final_plans(_take(model="kling_v3_standard", duration=5), cat)
    assert [(p.model, p.duration, p.seed) for p in kling][0] == ("kling-v3", 12, True)


def test_final_plans_never_shorten_and_stop_when_nothing_is_better():
    cat = catalog.offline()
    assert [
        (p.model, p.duration) for p in recipe.final_plans(_take(model="sora_2_pro", duration=16), cat)
    ] == []
    assert [(p.model, p.duration) for p in recipe.final_plans(_take(model="sora_2", duration=16), cat)] == [
        ("sora-2-pro", 16)
    ]
    assert [(p.model, p.duration) for p in recipe.final_plans(_take(model="wan_2.5", duration=5), cat)] == [
        ("wan-2.5", 10)
    ]
    assert recipe.final_plans(_take(model="wan_2.5", duration=10), cat) == []
    remix = _take(mode="remix", model="sora_2_remix", duration=None, aspect_ratio=None)
    assert recipe.final_plans(remix, cat) == []


def test_final_plans_skip_an_unavailable_top_tier_and_targets_that_lose_the_end_frame():
    models = [replace(m, available=False) if m.key == "sora_2_pro" else m for m in catalog.offline().all()]
    cat = Catalog(models, live=True)
    assert [(p.model, p.duration) for p in recipe.final_plans(_take(model="sora_2", duration=4), cat)] == [
        ("sora-2", 12)
    ]
    seedance = _take(mode="image-to-video", model="seedance_2_fast_preview", duration=5)
    assert recipe.final_plans(seedance, catalog.offline())[0].model == "seedance-2-preview"
    with_end = replace(seedance, end_file="inputs/end.jpg")
    assert all(p.model != "seedance-2-fast-preview" for p in recipe.final_plans(with_end, catalog.offline()))


def test_final_request_keeps_prompt_inputs_and_the_seed_when_the_target_takes_one(lib):
    take = add(lib, model="kling_v3_standard", duration_requested=5, duration=5, seed=99, camera="pan_left")
    plan = recipe.final_plans(take, catalog.offline())[0]
    req = recipe.final_request(take, plan)
    assert (req.model, req.duration, req.seed, req.prompt, req.camera) == (
        "kling-v3",
        12,
        99,
        take.prompt,
        "pan_left",
    )
    assert (req.parent_id, req.relation, req.variants) == (take.id, "final", 1)
    sora = add(lib, model="sora_2")
    assert recipe.final_request(sora, recipe.final_plans(sora, catalog.offline())[0]).seed is None


def test_reuse_values_fill_the_form_like_the_gallery_did_plus_lineage(lib):
    take = add(
        lib,
        model="kling_v3",
        duration_requested=6.5,
        duration=7,
        seed=42,
        camera="orbit",
        shot='{"subject": "x"}',
    )
    values = recipe.reuse_values(take)
    assert values["duration"] == 6.5 and values["seed_mode"] == "fixed" and values["seed"] == 42
    assert (values["parent_id"], values["relation"], values["camera"]) == (take.id, "reuse", "orbit")
    assert values["shot"] == '{"subject": "x"}' and values["variants"] == 1
    fresh = recipe.reuse_values(take, new_seed=True)
    assert fresh["seed_mode"] == "random" and "seed" not in fresh


def test_reuse_values_of_an_upload_keep_the_original_and_its_framing(lib):
    take = add(
        lib, mode="image-to-video", model="kling_v3", source_file="inputs/a.jpg", original_file="inputs/o.png",
        crop="0.3,0.4,1.2", source_name="me.png",
    )  # fmt: skip
    values = recipe.reuse_values(take)
    assert (values["source_file"], values["original_file"], values["crop"], values["fit"]) == (
        "inputs/a.jpg",
        "inputs/o.png",
        "0.3,0.4,1.2",
        "crop",
    )
    remix = add(lib, mode="remix", model="sora_2_remix", source_file="inputs/c.mp4", source_name="c.mp4")
    assert recipe.reuse_values(remix)["source_kind"] == "upload" and "duration" not in recipe.reuse_values(
        remix
    )


def test_lock_seed_values_keep_the_seed_and_say_so(lib):
    take = add(lib, model="kling_v3", seed=5)
    values = recipe.lock_seed_values(take)
    assert (values["seed_mode"], values["seed"], values["relation"], values["parent_id"]) == (
        "fixed",
        5,
        "lock_seed",
        take.id,
    )


def test_a_reroll_submitted_to_the_demo_gateway_joins_the_idea_as_a_child(gateway, studio_home):
    key = "varg_recipe_key_000000001"
    backend = V2Backend(
        gateway.v2_url, key, timeout=(2.0, 5.0), backoff=0.05, poll_policy=PollPolicy(first=0.1, fastest=0.05)
    )
    mgr = JobManager(backend, Library(studio_home), account_fingerprint(key), retry_backoff=0.05)
    try:
        from studio.submission import TakeRequest

        first = mgr.submit(
            TakeRequest(mode="text-to-video", model="kling_v3_standard", prompt="a paper boat", duration=3),
            "one",
        ).takes[0]
        again = mgr.submit(recipe.reroll(first), "two").takes[0]
        assert (again.parent_id, again.relation, again.idea_id) == (first.id, "reroll", first.idea_id)
        assert again.seed is not None and again.seed != first.seed and again.duration == 3
    finally:
        mgr.shutdown()


def _take(**fields) -> Take:
    duration = fields.pop("duration", 4)
    base = dict(
        id="t1", account=ACCOUNT, batch_id="b", submission_id="s", variant_index=0, mode="text-to-video",
        model="sora_2", prompt="p", duration_requested=duration, duration=duration, aspect_ratio="16:9",
        source_take_id=None, source_file=None, source_name=None, estimated_credits=1, job_id=None,
        status="completed", error=None, created_at=1.0, updated_at=1.0, completed_at=None, video_path=None,
        poster_path=None, favourite=False, cache_hit=False,
    )  # fmt: skip
    base.update(fields)
    return Take(**base)
