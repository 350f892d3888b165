"""Stream copy at box level: the spliced film against PyAV's packet copy, on demo renders and on real-like
takes (H.264 with B-frames and keyframes every second, AAC sound); files it does not understand fall
back to the packet copy; a damaged take never leaves a half film behind."""

from __future__ import annotations

import errno
import hashlib
import os
import struct
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from av.video.frame import PictureType

from demo_gateway.render import render_text_to_video
from studio import mp4_boxes, mp4_splice, shot_source, stitch
from studio.errors import InputError
from studio.mp4_boxes import CannotSplice
from studio.stitch import Clip, StitchMode


def real_take(
    src: Path, out: Path, seed: int, *, keyframes: int = 24, sound: bool = True, fps: int = 24
) -> Path:
    """`src`'s pictures as a real take: H.264 with B-frames, a keyframe every `keyframes` frames, and
    AAC stereo sound (a tone with noise)."""
    with av.open(str(src)) as box, av.open(str(out), "w", format="mp4") as dst:
        vs = box.streams.video[0]
        v = dst.add_stream("libx264", rate=fps)
        v.width, v.height, v.pix_fmt = vs.width, vs.height, "yuv420p"
        v.bit_rate = 2_000_000
        v.options = {
            "preset": "veryfast",
            "x264-params": f"keyint={keyframes}:min-keyint={keyframes}:scenecut=0",
        }
        a = dst.add_stream("aac", rate=48000, layout="stereo") if sound else None
        frames = 0
        for frame in box.decode(vs):
            frame.pts, frame.time_base = frames, Fraction(1, fps)
            frame.pict_type = PictureType.NONE  # let libx264 choose: B-frames
            dst.mux(v.encode(frame))
            frames += 1
        dst.mux(v.encode(None))
        if a is not None:
            n = frames * 48000 // fps
            t = np.arange(n) / 48000
            noise = np.random.default_rng(seed).normal(0, 0.05, (2, n))
            pcm = (0.3 * np.sin(2 * np.pi * (220 + 40 * seed) * t) + noise).astype(np.float32)
            for at in range(0, n, 1024):
                chunk = av.AudioFrame.from_ndarray(
                    np.ascontiguousarray(pcm[:, at : at + 1024]), format="fltp"
                )
                chunk.sample_rate, chunk.pts, chunk.time_base = 48000, at, Fraction(1, 48000)
                dst.mux(a.encode(chunk))
            dst.mux(a.encode(None))
    return out


@pytest.fixture(scope="module")
def takes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("box_takes")
    made = {}
    for name, prompt, seconds in [("demo_a", "a lighthouse at dusk", 3), ("demo_b", "a fox in snow", 2)]:
        made[name] = render_text_to_video(prompt, seconds, "16:9", root / f"{name}.mp4").path
    made["real_a"] = real_take(made["demo_a"], root / "real_a.mp4", 1)
    made["real_b"] = real_take(made["demo_b"], root / "real_b.mp4", 2)
    made["real_quiet"] = real_take(made["demo_b"], root / "real_quiet.mp4", 3, sound=False)
    made["real_30fps"] = real_take(made["demo_b"], root / "real_30fps.mp4", 4, keyframes=30, fps=30)
    return made


def look(path: Path) -> tuple[list[str], int, float]:
    """Every frame's md5 (all planes), the decoded sound's sample count, the duration (s)."""
    with av.open(str(path)) as box:
        frames = [hashlib.md5(f.to_ndarray().tobytes()).hexdigest() for f in box.decode(box.streams.video[0])]
        samples = 0
        if box.streams.audio:
            box.seek(0)
            samples = sum(f.samples for f in box.decode(box.streams.audio[0]))
        return frames, samples, (box.duration or 0) / 1e6


def top_boxes(path: Path) -> list[str]:
    names, data, at = [], path.read_bytes(), 0
    while at + 8 <= len(data):
        size, kind = int.from_bytes(data[at : at + 4], "big"), data[at + 4 : at + 8].decode("latin-1")
        size = int.from_bytes(data[at + 8 : at + 16], "big") if size == 1 else size or len(data) - at
        names.append(kind)
        at += size
    return names


def packet_copy(clips: list[Clip], out: Path, monkeypatch: pytest.MonkeyPatch) -> stitch.StitchResult:
    """The reference: the same stitch with the box path turned off (PyAV copies packet by packet)."""
    with monkeypatch.context() as m:
        m.setattr(stitch, "_splice", lambda *args: None)
        result = stitch.stitch(clips, out, 1280, 720)
    assert result.mode is StitchMode.COPY and not result.spliced
    return result


def test_probe_reads_the_sample_tables_and_learns_what_libav_learns(takes):
    for path in takes.values():
        clip = Clip(path, name="Shot")
        boxes, packets = shot_source.probe(clip), shot_source.probe_packets(clip)
        assert boxes.boxes is not None and packets.boxes is None
        assert boxes == packets  # every field: times, keyframes, rate, setup, sound
    real = shot_source.probe(Clip(takes["real_a"]))
    assert real.packets != tuple(sorted(real.packets))  # B-frames: stored order is not showing order
    assert [t for t, key in real.packets if key] == [0.0, 1.0, 2.0]
    assert real.audio == ("aac", 48000, "stereo", real.audio[3])


CASES = {
    "demo": ["demo_a", ("demo_b", 0.0, 1.5), "demo_a"],
    "real": ["real_a", ("real_b", 1.0, None), ("real_a", 0.0, 2.0), ("real_b", 1.0, 1.5)],
    "real_30fps": [("real_30fps", 1.0, None), "real_30fps"],
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_spliced_film_is_the_packet_copy_frame_for_frame(takes, tmp_path, monkeypatch, case):
    clips = [Clip(takes[c]) if isinstance(c, str) else Clip(takes[c[0]], c[1], c[2]) for c in CASES[case]]
    seen: list[tuple[int, int]] = []
    result = stitch.stitch(clips, tmp_path / "box.mp4", 1280, 720, progress=lambda d, t: seen.append((d, t)))
    assert result.mode is StitchMode.COPY and result.spliced
    reference = packet_copy(clips, tmp_path / "av.mp4", monkeypatch)
    got, want = look(tmp_path / "box.mp4"), look(tmp_path / "av.mp4")
    assert len(got[0]) == len(want[0]) == result.frames == reference.frames
    assert got[0] == want[0]  # the same pictures, in the same order
    assert abs(got[1] - want[1]) <= 1024 and (got[1] > 0) == case.startswith("real")
    assert got[2] == pytest.approx(want[2], abs=0.03) == pytest.approx(result.duration, abs=0.03)
    boxes = top_boxes(tmp_path / "box.mp4")
    assert boxes.index("moov") < boxes.index("mdat") and boxes.count("mdat") == 1
    assert seen[-1] == (result.frames, result.frames) and [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["av.mp4", "box.mp4"]


def test_trims_keep_the_right_frames_from_a_keyframe_on(takes, tmp_path):
    whole, _, _ = look(takes["real_b"])
    result = stitch.stitch([Clip(takes["real_b"], 1.0, 1.5)], tmp_path / "cut.mp4", 1280, 720)
    assert result.spliced and result.frames == 12 and result.duration == pytest.approx(0.5)
    frames, samples, seconds = look(tmp_path / "cut.mp4")
    assert frames == whole[24:36]  # from the keyframe at 1 s, up to the out point
    assert seconds == pytest.approx(0.5, abs=0.03) and 0.5 * 48000 <= samples <= 0.5 * 48000 + 2048


def test_with_64_bit_offsets_the_film_is_the_same(takes, tmp_path, monkeypatch):
    clips = [Clip(takes["real_a"]), Clip(takes["real_b"])]
    small = stitch.stitch(clips, tmp_path / "small.mp4", 1280, 720)
    monkeypatch.setattr(mp4_splice, "OFFSET_LIMIT", 0)
    large = stitch.stitch(clips, tmp_path / "large.mp4", 1280, 720)
    assert small.spliced and large.spliced
    data = (tmp_path / "large.mp4").read_bytes()
    assert b"co64" in data and b"stco" not in data
    assert look(tmp_path / "small.mp4") == look(tmp_path / "large.mp4")


def fragmented(src: Path, out: Path) -> Path:
    """The same take remuxed as a fragmented MP4 (moof boxes)."""
    with (
        av.open(str(src)) as box,
        av.open(str(out), "w", format="mp4", options={"movflags": "frag_keyframe+empty_moov"}) as dst,
    ):
        streams = {
            s.index: dst.add_stream_from_template(s) for s in box.streams if s.type in ("video", "audio")
        }
        for packet in box.demux():
            if packet.dts is not None and packet.stream.index in streams:
                packet.stream = streams[packet.stream.index]
                dst.mux(packet)
    return out


def renamed_encoder(src: Path, out: Path) -> Path:
    """The same take with another compressor name in its sample description: libav sees no difference."""
    data = bytearray(src.read_bytes())
    at = data.index(b"avc1", data.index(b"stsd"))
    data[at + 4 + 42 : at + 4 + 42 + 8] = b"\x07another"
    out.write_bytes(bytes(data))
    return out


def test_files_it_does_not_understand_go_through_pyav_and_still_come_out_right(takes, tmp_path):
    frag = fragmented(takes["real_b"], tmp_path / "frag.mp4")
    with pytest.raises(CannotSplice, match="fragmented"):
        mp4_boxes.read(frag)
    assert shot_source.probe(Clip(frag)).boxes is None
    other = renamed_encoder(takes["real_b"], tmp_path / "other.mp4")
    assert shot_source.probe(Clip(other)).boxes is not None
    for name, clips in [
        ("frag", [Clip(takes["real_a"]), Clip(frag)]),
        ("other", [Clip(takes["real_a"]), Clip(other)]),  # sample descriptions differ
    ]:
        result = stitch.stitch(clips, tmp_path / f"{name}_film.mp4", 1280, 720)
        assert result.mode is StitchMode.COPY and not result.spliced
        frames, samples, _ = look(tmp_path / f"{name}_film.mp4")
        assert len(frames) == result.frames == 72 + 48 and samples > 4 * 48000
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "frag.mp4",
        "frag_film.mp4",
        "other.mp4",
        "other_film.mp4",
    ]


def second_video_track(src: Path, out: Path) -> Path:
    with av.open(str(src)) as box, av.open(str(out), "w", format="mp4") as dst:
        first = dst.add_stream_from_template(box.streams.video[0])
        second = dst.add_stream_from_template(box.streams.video[0])
        for packet in box.demux(box.streams.video[0]):
            if packet.dts is not None:
                for s in (first, second):
                    packet.stream = s
                    dst.mux(packet)
    return out


def test_a_take_with_two_pictures_is_read_with_libav(takes, tmp_path):
    two = second_video_track(takes["real_quiet"], tmp_path / "two.mp4")
    with pytest.raises(CannotSplice, match="tracks"):
        mp4_boxes.read(two)
    result = stitch.stitch([Clip(two), Clip(takes["real_quiet"])], tmp_path / "film.mp4", 1280, 720)
    assert result.mode is StitchMode.COPY and not result.spliced
    assert len(look(tmp_path / "film.mp4")[0]) == 96


def test_a_take_cut_short_or_with_a_damaged_index_fails_cleanly_and_leaves_no_film(takes, tmp_path):
    data = takes["demo_b"].read_bytes()  # moov first: a cut keeps the index, loses media
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(mp4_boxes.CutShort):
        mp4_boxes.read(cut)
    out = tmp_path / "films" / "film.mp4"
    with pytest.raises(InputError, match="Opening: its video file is incomplete"):
        stitch.stitch([Clip(cut, name="Opening"), Clip(takes["demo_b"])], out, 1280, 720)
    assert not out.exists()

    bad = bytearray(data)  # an index pointing past the end of the file
    at = bad.index(b"stco")
    struct.pack_into(">I", bad, at + 12, len(data) + 10)
    (tmp_path / "bad.mp4").write_bytes(bytes(bad))
    with pytest.raises(CannotSplice, match="cut short"):
        mp4_boxes.read(tmp_path / "bad.mp4")
    for garbage in (b"", b"\0\0\0\x08ftyp", b"\0\0\0\x10ftypisom" + b"\0" * 4 + b"\xff" * 40):
        (tmp_path / "junk.mp4").write_bytes(garbage)
        with pytest.raises(CannotSplice):
            mp4_boxes.read(tmp_path / "junk.mp4")


def test_a_take_cut_short_after_it_was_planned_leaves_nothing_and_the_packet_copy_decides(takes, tmp_path):
    victim = tmp_path / "victim.mp4"
    victim.write_bytes(takes["real_a"].read_bytes())
    made = stitch.plan([Clip(takes["real_b"]), Clip(victim)], 1280, 720)
    assert made.mode is StitchMode.COPY and all(s.boxes is not None for s in made.sources)
    data = victim.read_bytes()  # moov last: cut its media short, keep its index
    moov = data.index(b"moov") - 4
    mdat = data.index(b"mdat") - 4
    victim.write_bytes(data[: mdat + (moov - mdat) // 2])
    path = tmp_path / "part.mp4"
    assert stitch._splice(made, path, lambda d, t: None) is None
    assert not path.exists()


@pytest.mark.parametrize("way", ["in the kernel", "read and written"])
def test_without_a_mapping_the_bytes_are_copied_another_way_and_the_film_is_the_same(
    takes, tmp_path, monkeypatch, way
):
    clips = [Clip(takes["real_a"]), Clip(takes["real_b"], 0, 1.5)]
    mapped = stitch.stitch(clips, tmp_path / "mapped.mp4", 1280, 720)
    calls: list[str] = []

    def refuse(what: str, err: int):
        def call(*args: object, **kwargs: object) -> int:
            calls.append(what)
            raise OSError(err, what)

        return call

    monkeypatch.setattr(mp4_splice.mmap, "mmap", refuse("mmap", errno.ENODEV))
    if way == "read and written":
        monkeypatch.setattr(os, "copy_file_range", refuse("copy_file_range", errno.EXDEV))
    other = stitch.stitch(clips, tmp_path / "other.mp4", 1280, 720)
    assert mapped.spliced and other.spliced and "mmap" in calls
    assert ("copy_file_range" in calls) == (way == "read and written")
    assert (tmp_path / "mapped.mp4").read_bytes() == (tmp_path / "other.mp4").read_bytes()

    short = tmp_path / "short.bin"
    short.write_bytes(b"x" * 100)
    with open(short, "rb") as src, open(tmp_path / "into.bin", "wb") as dst:
        with pytest.raises(CannotSplice, match="shorter"):
            mp4_splice._copy_range(src.fileno(), dst.fileno(), 50, 80, 0)


def test_a_mapped_copy_moves_exactly_the_range_asked_for(tmp_path):
    data = os.urandom(3 * mp4_splice.mmap.ALLOCATIONGRANULARITY + 123)
    (tmp_path / "src.bin").write_bytes(data)
    with open(tmp_path / "src.bin", "rb") as src, open(tmp_path / "dst.bin", "wb") as dst:
        dst.write(b"head")
        start, count = mp4_splice.mmap.ALLOCATIONGRANULARITY + 7, len(data) // 2  # not page aligned
        assert mp4_splice._mapped(src.fileno(), dst.fileno(), start, count, 4)
    assert (tmp_path / "dst.bin").read_bytes() == b"head" + data[start : start + count]


def test_an_index_read_before_is_given_again_only_while_the_file_is_the_same(takes, tmp_path):
    take = tmp_path / "take.mp4"
    take.write_bytes(takes["demo_a"].read_bytes())
    first = mp4_boxes.read(take)
    assert mp4_boxes.read(take) is first  # remembered: an export reads each take twice
    with pytest.raises(ValueError):
        first.video.sizes[0] = 1  # shared, so read-only

    other = tmp_path / "other.mp4"  # another take renamed over it (a new inode)
    other.write_bytes(takes["demo_b"].read_bytes())
    os.replace(other, take)
    again = mp4_boxes.read(take)
    assert again is not first and len(again.video.sizes) == 48  # 2 s at 24 fps, not the 3 s take

    data = take.read_bytes()  # rewritten in place, cut short: the same inode, a new size
    with take.open("r+b") as f:
        f.truncate(len(data) // 2)
    with pytest.raises(mp4_boxes.CutShort):
        mp4_boxes.read(take)

    mp4_boxes.forget()
    take.write_bytes(data)
    assert mp4_boxes.read(take) is not again  # forgotten: read afresh
