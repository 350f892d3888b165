"""Storyboard rules (length, spend, trims, order, format), continue-from-here, the stitched reel and the zip."""

from __future__ import annotations

import json
import zipfile

import av
import pytest
from test_storyboard_helpers import finished_take

from studio import board_export, storyboard, submission
from studio.catalog import offline
from studio.errors import InputError
from studio.library import Library
from studio.stitch import StitchMode
from studio.storyboard import Reel, ReelShot, Shot, Storyboard
from studio.take import Relation


@pytest.fixture
def lib(studio_home):
    library = Library(studio_home)
    yield library
    library.close()


def test_trim_rules_name_the_problem():
    assert storyboard.check_trim(0, 3.5, 5.0) == (0.0, 3.5)
    assert storyboard.check_trim(1, 5.0, 5.0) == (1.0, None)  # up to the end stays "the end"
    assert storyboard.check_trim(4.9, None, 5.0) == (4.9, None)
    with pytest.raises(InputError, match="at least 0.1 s"):
        storyboard.check_trim(4.95, None, 5.0)
    with pytest.raises(InputError, match="before the out point"):
        storyboard.check_trim(3, 3, 5.0)
    with pytest.raises(InputError, match="past the end"):
        storyboard.check_trim(0, 5.2, 5.0)
    with pytest.raises(InputError, match="number of seconds"):
        storyboard.check_trim(True, 2, 5.0)


def test_formats_and_moves():
    assert storyboard.format_size("16:9") == (1280, 720)
    assert storyboard.format_size("9:16") == (720, 1280)
    assert storyboard.format_size("4:3") == (960, 720) and storyboard.format_size("1:1") == (720, 720)
    assert storyboard.check_ratio("auto") is None and storyboard.check_ratio("21:9") == "21:9"
    for bad in ("16x9", "0:1", "10:1"):
        with pytest.raises(InputError):
            storyboard.check_ratio(bad)
    assert storyboard.moved(["a", "b", "c"], "c", 0) == ["c", "a", "b"]
    assert storyboard.moved(["a", "b", "c"], "a", -5) == ["a", "b", "c"]
    assert storyboard.moved(["a", "b", "c"], "a", 1) == ["b", "a", "c"]
    with pytest.raises(InputError):
        storyboard.moved(["a"], "z", 0)


def test_length_and_spend_count_trims_and_each_take_once(lib):
    a = finished_take(lib, "a lighthouse at dusk", 2, billed=40)
    b = finished_take(lib, "a fox in snow", 2, "9:16", estimated=70)
    board = lib.create_storyboard("demo", "Spend")
    s1 = lib.add_shot("demo", board.id, a.id)
    lib.set_trim("demo", s1.id, 0.5, 1.5)
    s2 = lib.add_shot("demo", board.id, b.id)
    lib.add_candidate("demo", s2.id, a.id)  # the same take in two shots: paid once
    reel = lib.reel("demo", board.id)
    assert reel.length == 3.0 and reel.ratio == "16:9"  # the first shot's format
    assert (reel.spend.credits, reel.spend.billed, reel.spend.estimated) == (110, 40, 70)
    assert reel.spend.text == "110 credits (70 estimated, 1 takes)"
    lib.move_shot("demo", s2.id, 0)
    assert lib.reel("demo", board.id).ratio == "9:16"
    assert lib.set_storyboard_ratio("demo", board.id, "1:1") and lib.reel("demo", board.id).size == (720, 720)


def test_continue_from_here_asks_for_image_to_video_from_the_trims_last_frame(lib):
    source = finished_take(lib, "a lighthouse at dusk", 2, model="sora-2")
    board = lib.create_storyboard("demo", "Chain")
    shot = lib.set_trim("demo", lib.add_shot("demo", board.id, source.id).id, 0.0, 1.5)
    placed = lib.reel("demo", board.id).shots[0]
    cat = offline()
    req = storyboard.continue_request(placed, cat)
    assert (req.mode, req.model, req.aspect_ratio, req.duration) == ("image-to-video", "sora-2", "16:9", 2)
    assert req.frame_time == round(1.5 - 1 / 24, 3) and req.source_take_id == source.id
    assert (req.parent_id, req.relation, req.prompt) == (source.id, Relation.CONTINUE.value, source.prompt)
    prepared = submission.prepare(req, cat, lib, "demo")  # the real checks: the frame is grabbed
    assert prepared.image is not None and prepared.estimate.total > 0
    at_one = storyboard.continue_request(placed, cat, at=1.0, prompt="the lamp turns on")
    assert (at_one.frame_time, at_one.prompt) == (1.0, "the lamp turns on")
    with pytest.raises(InputError, match="up to the shot's end"):
        storyboard.continue_request(placed, cat, at=1.9)
    gone = cat.without("sora-2", "switched off")
    fallback = storyboard.continue_request(placed, gone)
    assert fallback.model != "sora-2" and "image-to-video" in gone.get(fallback.model).modes
    assert shot.take_id == source.id


def test_continue_picks_an_image_to_video_model_of_the_family_for_a_remix_take(lib):
    take = finished_take(lib, "a remix", 2, model="sora-2-remix")
    placed = ReelShot(Shot("s", "b", 0, None, take.id, 0.0, None, (take.id,)), take, (take,))
    req = storyboard.continue_request(placed, offline())
    assert req.model in ("sora-2", "sora-2-pro") and req.aspect_ratio == "16:9"
    pending = ReelShot(placed.shot, None, ())
    with pytest.raises(InputError, match="no finished take"):
        storyboard.continue_request(pending, offline())


def test_the_stitched_reel_and_the_zip_of_its_shots(lib, tmp_path):
    root = finished_take(lib, "a lighthouse at dusk", 2, billed=50)
    kid = finished_take(lib, "a lighthouse at night", 2, parent=root, relation="reroll", estimated=80)
    tall = finished_take(lib, "a fox in snow", 1, "9:16", seed=None)
    board = lib.create_storyboard("demo", "Night falls")
    first = lib.add_shot("demo", board.id, kid.id, name="Night / falls")
    lib.set_trim("demo", first.id, 0.0, 1.25)
    lib.add_shot("demo", board.id, tall.id)
    reel = lib.reel("demo", board.id)
    seen: list[int] = []
    result = board_export.stitch_reel(reel, lib, tmp_path / "film.mp4", progress=lambda d, t: seen.append(d))
    assert result.mode is StitchMode.ENCODE and (result.width, result.height) == (1280, 720)
    with av.open(str(tmp_path / "film.mp4")) as box:
        frames = sum(1 for _ in box.decode(box.streams.video[0]))
    assert abs(frames - (30 + 24)) <= 2 and seen[-1] == result.frames

    out = board_export.export_zip(reel, lib, tmp_path / "board.zip")
    with zipfile.ZipFile(out) as box:
        names = set(box.namelist())
        data = json.loads(box.read("manifest.json"))
        assert box.read("shots/01 Night falls.mp4") == lib.path(kid.video_path).read_bytes()
    assert names == {
        "manifest.json",
        "shots/01 Night falls.mp4",
        "shots/02 Shot 2.mp4",
        "timeline.otio",
        "timeline.xml",
        "timeline.edl",
    }
    assert data["storyboard"] == {"id": board.id, "name": "Night falls", "ratio": "16:9"}
    assert data["totals"]["shots"] == 2 and data["totals"]["length"] == 2.25
    assert (data["totals"]["credits"], data["totals"]["billed_credits"]) == (180, 0)  # root is no candidate
    one, two = data["shots"]
    assert (one["name"], one["trim_in"], one["trim_out"], one["length"]) == ("Night / falls", 0.0, 1.25, 1.25)
    assert one["recipe"]["prompt"] == "a lighthouse at night" and one["recipe"]["seed"] == 7
    assert (one["recipe"]["credits"], one["recipe"]["credits_are"]) == (80, "estimated")
    assert one["lineage"] == [
        {"take_id": root.id, "relation": None, "model": "kling-v3", "prompt": root.prompt}
    ]
    assert (two["trim_out"], two["recipe"]["seed"], two["lineage"]) == (1.0, None, [])
    assert {p.name for p in tmp_path.iterdir()} == {"film.mp4", "board.zip"}  # no temp files left


def test_exports_wait_for_every_shot_to_have_a_finished_take(lib, tmp_path):
    take = finished_take(lib, "a lighthouse", 1)
    lib.update(take.id, status="processing")
    board = lib.create_storyboard("demo", "Pending")
    lib.add_shot("demo", board.id, take.id, name="Dawn")
    reel = lib.reel("demo", board.id)
    assert isinstance(reel, Reel) and isinstance(reel.board, Storyboard)
    with pytest.raises(InputError, match="Dawn"):
        board_export.stitch_reel(reel, lib, tmp_path / "film.mp4")
    with pytest.raises(InputError, match="Dawn"):
        board_export.export_zip(reel, lib, tmp_path / "board.zip")
    assert list(tmp_path.iterdir()) == []
