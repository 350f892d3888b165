"""The editor's timeline: OTIO, FCP 7 XML and CMX 3600 EDL read back with OTIO match the storyboard."""

from __future__ import annotations

import zipfile

import opentimelineio as otio
import pytest
from test_storyboard_helpers import finished_take

from studio import board_export, timeline
from studio.library import Library
from studio.timeline import TimelineFormat


@pytest.fixture
def lib(studio_home):
    library = Library(studio_home)
    yield library
    library.close()


@pytest.fixture
def reel(lib):
    """Three shots, the middle one trimmed, then moved so the order differs from the making order."""
    a = finished_take(lib, "a lighthouse at dusk", 3)
    b = finished_take(lib, "waves on rocks", 2, billed=30)
    c = finished_take(lib, "a fox in the snow", 2, "9:16")
    board = lib.create_storyboard("demo", "Coast")
    lib.add_shot("demo", board.id, a.id, name="Opening")
    shot_b = lib.add_shot("demo", board.id, b.id, name="Waves: close")
    lib.set_trim("demo", shot_b.id, 0.5, 1.75)
    shot_c = lib.add_shot("demo", board.id, c.id)
    lib.set_trim("demo", shot_c.id, 0.25, None)
    lib.move_shot("demo", shot_c.id, 1)
    return lib.reel("demo", board.id)


def expected(reel, lib: Library) -> list[tuple[str, int, int, int, str]]:
    """(name, trim in frame, length in frames, media length in frames, file URL) per shot, in order."""
    rows = []
    for s in reel.shots:
        end = s.trim_out
        rows.append(
            (
                s.shot.label(),
                round(s.shot.trim_in * 24),
                round(end * 24) - round(s.shot.trim_in * 24),
                round(s.take.duration * 24),
                lib.path(s.take.video_path).resolve().as_uri(),
            )
        )
    return rows


def clips(tl) -> list[tuple[str, int, int]]:
    return [
        (c.name, round(c.source_range.start_time.to_frames()), round(c.source_range.duration.to_frames()))
        for c in tl.find_clips()
    ]


@pytest.mark.parametrize("kind", list(TimelineFormat))
def test_each_format_reads_back_with_the_storyboards_order_durations_and_trims(reel, lib, tmp_path, kind):
    want = expected(reel, lib)
    assert [w[0] for w in want] == ["Opening", "Shot 2", "Waves: close"]
    path = timeline.export(reel, lib, tmp_path / f"coast.{kind.value}")
    extra = {"rate": 24} if kind is TimelineFormat.EDL else {}
    back = otio.adapters.read_from_file(str(path), **extra)
    assert clips(back) == [(n, start, length) for n, start, length, _, _ in want]
    assert [(s, ln) for _, s, ln in clips(back)] == [(0, 72), (6, 42), (12, 30)]  # 3 s; 0.25–2 s; 0.5–1.75 s
    urls = [c.media_reference.target_url for c in back.find_clips()]
    assert urls == [w[4] for w in want]
    assert back.duration().to_frames() == sum(w[2] for w in want) == round(reel.length * 24)
    if kind is not TimelineFormat.EDL:  # an EDL keeps no media lengths
        lengths = [round(c.media_reference.available_range.duration.to_frames()) for c in back.find_clips()]
        assert lengths == [w[3] for w in want]


def test_the_otio_file_carries_each_takes_recipe(reel, lib, tmp_path):
    back = otio.adapters.read_from_file(str(timeline.export(reel, lib, tmp_path / "coast.otio")))
    meta = [dict(c.metadata["varg_studio"]) for c in back.find_clips()]
    assert [m["prompt"] for m in meta] == ["a lighthouse at dusk", "a fox in the snow", "waves on rocks"]
    assert [m["take_id"] for m in meta] == [s.take.id for s in reel.shots]
    assert meta[2]["credits"] == 30 and meta[2]["credits_are"] == "billed" and meta[0]["seed"] == 7
    assert back.metadata["varg_studio"]["storyboard_id"] == reel.board.id


def test_export_all_writes_three_files_and_the_zip_timeline_points_inside_the_zip(reel, lib, tmp_path):
    written = timeline.export_all(reel, lib, tmp_path / "out")
    assert sorted(p.name for p in written.values()) == ["timeline.edl", "timeline.otio", "timeline.xml"]
    box = board_export.export_zip(reel, lib, tmp_path / "coast.zip")
    with zipfile.ZipFile(box) as z:
        text = z.read("timeline.otio").decode()
        names = z.namelist()
    inside = otio.adapters.read_from_string(text, "otio_json")
    urls = [c.media_reference.target_url for c in inside.find_clips()]
    assert urls == ["shots/01 Opening.mp4", "shots/02 Shot 2.mp4", "shots/03 Waves close.mp4"]
    assert all(u in names for u in urls)
