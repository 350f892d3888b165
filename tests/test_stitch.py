"""The stitched MP4: stream copy when the shots match, letterboxed re-encode when not, sound kept."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from demo_gateway.render import render_text_to_video
from studio import stitch
from studio.errors import InputError
from studio.letterbox import Box, Letterbox
from studio.stitch import Clip, StitchMode


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("stitch_sources")
    made = {}
    for name, prompt, seconds, ratio in [
        ("wide_a", "a lighthouse at dusk", 3, "16:9"),
        ("wide_b", "a red fox running in snow", 2, "16:9"),
        ("tall", "a forest in the rain", 2, "9:16"),
    ]:
        made[name] = render_text_to_video(prompt, seconds, ratio, root / f"{name}.mp4").path
    made["loud"] = with_sound(root / "loud.mp4", 2.0, 1280, 720, tone=440.0)
    made["loud_30fps_small"] = with_sound(root / "loud30.mp4", 1.5, 640, 360, tone=220.0, fps=30)
    return made


def with_sound(path: Path, seconds: float, width: int, height: int, *, tone: float, fps: int = 24) -> Path:
    """An H.264 + AAC MP4: a grey ramp and a sine tone."""
    with av.open(str(path), "w") as box:
        v = box.add_stream("libx264", rate=fps)
        v.width, v.height, v.pix_fmt = width, height, "yuv420p"
        a = box.add_stream("aac", rate=48000, layout="stereo")
        for i in range(round(seconds * fps)):
            pic = np.full((height, width, 3), 40 + i % 150, np.uint8)
            box.mux(v.encode(av.VideoFrame.from_ndarray(pic, format="rgb24")))
        n = round(seconds * 48000)
        t = np.arange(n) / 48000
        pcm = np.tile((0.5 * np.sin(2 * np.pi * tone * t)).astype(np.float32), (2, 1))
        for at in range(0, n, 1024):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(pcm[:, at : at + 1024]), format="fltp", layout="stereo"
            )
            frame.sample_rate, frame.pts, frame.time_base = 48000, at, Fraction(1, 48000)
            box.mux(a.encode(frame))
        box.mux(v.encode(None))
        box.mux(a.encode(None))
    return path


def decoded(path: Path) -> tuple[list[np.ndarray], int, int]:
    """Every frame's luma plane, and the size."""
    with av.open(str(path)) as box:
        v = box.streams.video[0]
        frames = [f.to_ndarray(format="gray") for f in box.decode(v)]
        return frames, v.width, v.height


def sound(path: Path) -> np.ndarray:
    """The decoded sound as mono float samples at its rate (48 kHz here)."""
    with av.open(str(path)) as box:
        parts = [f.to_ndarray().reshape(-1, f.samples)[0] for f in box.decode(box.streams.audio[0])]
    return np.concatenate(parts)


def test_matching_shots_are_stream_copied_frame_for_frame(videos, tmp_path):
    out = tmp_path / "film.mp4"
    seen: list[tuple[int, int]] = []
    clips = [Clip(videos["wide_a"]), Clip(videos["wide_b"], 0.0, 1.5)]
    result = stitch.stitch(clips, out, 1280, 720, progress=lambda d, t: seen.append((d, t)))
    assert result.mode is StitchMode.COPY and result.reasons == () and result.spliced  # at box level
    frames, w, h = decoded(out)
    assert (w, h) == (1280, 720) and len(frames) == 72 + 36 == result.frames
    assert result.duration == pytest.approx(4.5)
    a, _, _ = decoded(videos["wide_a"])
    b, _, _ = decoded(videos["wide_b"])
    assert np.array_equal(frames[0], a[0]) and np.array_equal(frames[71], a[71])
    assert np.array_equal(frames[72], b[0]) and np.array_equal(frames[-1], b[35])  # cut after 1.5 s
    assert seen[-1] == (108, 108) and [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert [p.name for p in tmp_path.iterdir()] == ["film.mp4"]  # no temp file left


def test_mixed_ratios_are_letterboxed_to_the_storyboard_format_and_re_encoded(videos, tmp_path):
    out = tmp_path / "mixed.mp4"
    result = stitch.stitch([Clip(videos["wide_a"], 0, 2), Clip(videos["tall"])], out, 1280, 720)
    assert result.mode is StitchMode.ENCODE
    assert any("differs from the first shot" in r for r in result.reasons)
    frames, w, h = decoded(out)
    assert (w, h) == (1280, 720)
    assert abs(len(frames) - 96) <= 2  # 2 s + 2 s at 24 fps, ± one frame per shot
    wide, tall = frames[24], frames[72]
    assert wide[:, :200].std() > 5  # a full-frame picture
    assert tall[:, :200].max() <= 20 and tall[:, -200:].max() <= 20  # black bars either side
    assert tall[:, :200].std() < 1 and tall[:, 560:720].std() > 5  # the tall picture in the middle


def test_a_trim_between_keyframes_re_encodes_the_film_at_the_trimmed_length(videos, tmp_path):
    out = tmp_path / "trimmed.mp4"
    plan = stitch.plan([Clip(videos["wide_a"], 1.0, 2.5), Clip(videos["wide_b"])], 1280, 720)
    assert plan.mode is StitchMode.ENCODE
    assert plan.reasons == ("Shot 1's trim starts at 1 s, between keyframes",)
    result = stitch.stitch([Clip(videos["wide_a"], 1.0, 2.5), Clip(videos["wide_b"])], out, 1280, 720)
    frames, _, _ = decoded(out)
    assert abs(len(frames) - (36 + 48)) <= 2 and result.frames == len(frames)
    source, _, _ = decoded(videos["wide_a"])
    # The first frame is the source's frame at 1.0 s (encoded again: close, not identical).
    assert np.abs(frames[0].astype(int) - source[24]).mean() < 4
    assert (
        np.abs(frames[0].astype(int) - source[0]).mean() > np.abs(frames[0].astype(int) - source[24]).mean()
    )


def test_sound_is_copied_with_matching_shots(videos, tmp_path):
    out = tmp_path / "copied_sound.mp4"
    result = stitch.stitch([Clip(videos["loud"]), Clip(videos["loud"], 0, 1.0)], out, 1280, 720)
    assert result.mode is StitchMode.COPY and result.audio and result.spliced
    pcm = sound(out)
    assert len(pcm) / 48000 == pytest.approx(3.0, abs=0.1)
    assert np.sqrt(np.mean(pcm[48000:96000] ** 2)) > 0.2


def test_with_b_frames_every_out_point_copies_cleanly_or_re_encodes_and_keeps_its_length(videos, tmp_path):
    whole, _, _ = decoded(videos["loud"])  # libx264's defaults: B-frames
    modes = set()
    for frames_kept in (7, 12, 19, 25, 31, 40):
        out = tmp_path / f"cut{frames_kept}.mp4"
        result = stitch.stitch([Clip(videos["loud"], 0, frames_kept / 24)], out, 1280, 720)
        modes.add(result.mode)
        got, _, _ = decoded(out)
        assert len(got) == frames_kept == result.frames
        if result.mode is StitchMode.COPY:
            assert all(np.array_equal(a, b) for a, b in zip(got, whole, strict=False))
        else:
            assert "B-frames" in result.reasons[0]
    assert modes == {StitchMode.COPY, StitchMode.ENCODE}  # both kinds of cut met


def test_sound_is_kept_and_silence_fills_shots_without_it_when_re_encoding(videos, tmp_path):
    out = tmp_path / "sound.mp4"
    clips = [Clip(videos["wide_b"], 0, 1.0), Clip(videos["loud_30fps_small"])]
    result = stitch.stitch(clips, out, 1280, 720)
    assert result.mode is StitchMode.ENCODE and result.audio
    frames, w, h = decoded(out)
    assert (w, h) == (1280, 720) and abs(len(frames) - (24 + 36)) <= 2  # 30 fps made 24 fps
    pcm = sound(out)
    assert len(pcm) / 48000 == pytest.approx(2.5, abs=0.1)
    assert np.sqrt(np.mean(pcm[2400:45600] ** 2)) < 0.01  # the silent shot
    assert np.sqrt(np.mean(pcm[60000:100000] ** 2)) > 0.2  # the tone


def test_a_failed_stitch_leaves_no_file_behind(videos, tmp_path):
    out = tmp_path / "film.mp4"

    def cancel(done: int, total: int) -> None:
        if done == 10:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        stitch.stitch([Clip(videos["wide_a"]), Clip(videos["tall"])], out, 1280, 720, progress=cancel)
    assert list(tmp_path.iterdir()) == []
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video at all")
    with pytest.raises(InputError, match="cannot be read"):
        stitch.stitch([Clip(junk, name="Opening")], out, 1280, 720)
    with pytest.raises(InputError, match="outside its video"):
        stitch.stitch([Clip(videos["wide_b"], 5.0, None)], out, 1280, 720)
    assert not out.exists()


def yuv(width: int, height: int, y: int, u: int, v: int, fmt: str = "yuv420p") -> av.VideoFrame:
    """A flat frame of one colour (Y, U, V), planar 4:2:0."""
    planes = np.empty((height * 3 // 2, width), np.uint8)
    planes[:height], planes[height : height + height // 4], planes[height + height // 4 :] = y, u, v
    return av.VideoFrame.from_ndarray(planes, format=fmt)


def planes(frame: av.VideoFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Luma and the two chroma planes (half size) of a yuv420p frame."""
    w, h = frame.width, frame.height
    a = frame.to_ndarray()
    u = a[h : h + h // 4].reshape(h // 2, w // 2)
    v = a[h + h // 4 :].reshape(h // 2, w // 2)
    return a[:h], u, v


def test_letterbox_centres_the_picture_on_black_bars_in_the_film_format():
    # A tall 720×1280 shot in a 16:9 film: 404×720 in the middle, black bars left and right.
    assert Box.fit(720, 1280, Fraction(1), 1280, 720) == Box(404, 720, 438, 0)
    fit = Letterbox(1280, 720, Fraction(1, 24))
    tall = yuv(720, 1280, 180, 90, 170)
    out = fit(tall)
    assert (out.width, out.height, out.format.name) == (1280, 720, "yuv420p")
    y, u, v = planes(out)
    assert (y[:, :436] == 16).all() and (y[:, 844:] == 16).all()  # black, limited range
    assert (u[:, :218] == 128).all() and (v[:, 422:] == 128).all()  # no colour in the bars
    assert np.abs(y[:, 442:838].astype(int) - 180).max() <= 2  # the picture, whole height
    assert (
        np.abs(u[:, 221:419].astype(int) - 90).max() <= 2
        and np.abs(v[:, 221:419].astype(int) - 170).max() <= 2
    )
    assert fit(tall) is out  # a frame held for two slots is fitted once

    # A wide shot in a 9:16 film: bars above and below.
    y, _, _ = planes(Letterbox(720, 1280, Fraction(1, 24))(yuv(1280, 720, 180, 128, 128)))
    assert (y[:436] == 16).all() and (y[844:] == 16).all()
    assert np.abs(y[442:838].astype(int) - 180).max() <= 2

    # Already the film's format: untouched. Anamorphic 960×720 shown 4:3 wide fills a 4:3 film.
    same = yuv(1280, 720, 100, 128, 128)
    assert Letterbox(1280, 720, Fraction(1, 24))(same) is same
    y, _, _ = planes(Letterbox(960, 720, Fraction(1, 24))(yuv(720, 720, 100, 128, 128)))
    assert (y[:, :110] == 16).all() and np.abs(y[:, 130:830].astype(int) - 100).max() <= 2  # square: bars
    assert Box.fit(720, 720, Fraction(4, 3), 960, 720) == Box(960, 720, 0, 0)
    y, _, _ = planes(Letterbox(960, 720, Fraction(1, 24), Fraction(4, 3))(yuv(720, 720, 100, 128, 128)))
    assert np.abs(y.astype(int) - 100).max() <= 2  # no bars: the pixels were wide

    # Full-range pictures come out in limited range (white 255 becomes 235).
    y, _, _ = planes(Letterbox(1280, 720, Fraction(1, 24))(yuv(1280, 720, 255, 128, 128, "yuvj420p")))
    assert np.abs(y.astype(int) - 235).max() <= 1


def top_boxes(path: Path) -> list[str]:
    """The MP4's top-level boxes, in file order."""
    names, data, at = [], path.read_bytes(), 0
    while at + 8 <= len(data):
        size, kind = int.from_bytes(data[at : at + 4], "big"), data[at + 4 : at + 8].decode()
        size = int.from_bytes(data[at + 8 : at + 16], "big") if size == 1 else size or len(data) - at
        names.append(kind)
        at += size
    return names


def test_the_index_comes_first_so_players_start_early_even_when_its_room_was_too_small(
    videos, tmp_path, monkeypatch
):
    monkeypatch.setattr(stitch, "_splice", lambda *args: None)  # the packet copy (PyAV's muxer)
    clips = [Clip(videos["loud"]), Clip(videos["loud"], 0, 1.0)]
    made = stitch.stitch(clips, tmp_path / "roomy.mp4", 1280, 720)
    assert not made.spliced
    boxes = top_boxes(tmp_path / "roomy.mp4")
    assert boxes.index("moov") < boxes.index("mdat")  # written into the room kept for it
    monkeypatch.setattr(stitch, "_index_room", lambda made: 64)  # far too small: moved after all
    again = stitch.stitch(clips, tmp_path / "tight.mp4", 1280, 720)
    boxes = top_boxes(tmp_path / "tight.mp4")
    assert boxes.index("moov") < boxes.index("mdat") and again.frames == made.frames == 72
    a, _, _ = decoded(tmp_path / "roomy.mp4")
    b, _, _ = decoded(tmp_path / "tight.mp4")
    assert len(a) == len(b) == 72 and all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["roomy.mp4", "tight.mp4"]


def test_a_take_in_a_stream_format_without_an_index_is_probed_whole(videos, tmp_path):
    ts = tmp_path / "take.ts"
    with av.open(str(videos["wide_b"])) as src, av.open(str(ts), "w", format="mpegts") as out:
        copy = out.add_stream_from_template(src.streams.video[0])
        for packet in src.demux(src.streams.video[0]):
            if packet.dts is not None:
                packet.stream = copy
                out.mux(packet)
    mp4, other = stitch.probe(Clip(videos["wide_b"])), stitch.probe(Clip(ts))
    assert (other.width, other.height, other.fps, other.codec) == (1280, 720, 24, "h264")
    assert len(other.frame_times) == len(mp4.frame_times) == 48
    assert other.duration == pytest.approx(mp4.duration, abs=0.01)
