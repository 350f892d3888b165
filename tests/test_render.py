"""The local renderer makes real H.264 MP4s: checked by decoding them with PyAV (no mocks)."""

from __future__ import annotations

import hashlib
import wave
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from demo_gateway.errors import InputError
from demo_gateway.render import (
    FPS,
    RenderResult,
    camera_move,
    frame_size,
    render_image_to_video,
    render_remix,
    render_text_to_video,
)
from demo_gateway.render.scene import read_prompt
from demo_gateway.render.styles import pick_style

# --- helpers ----------------------------------------------------------------------------------------


def decode(path: Path) -> tuple[dict, list[np.ndarray]]:
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        info = {
            "codec": s.codec_context.name,
            "pix_fmt": s.codec_context.pix_fmt,
            "width": s.codec_context.width,
            "height": s.codec_context.height,
            "rate": float(s.average_rate),
            "duration": float(s.duration * s.time_base) if s.duration else c.duration / 1e6,
        }
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(s)]
    return info, frames


def assert_playable_mp4(path: Path, size: tuple[int, int], duration: float) -> list[np.ndarray]:
    info, frames = decode(path)
    assert info["codec"] == "h264"
    assert info["pix_fmt"] == "yuv420p"
    assert (info["width"], info["height"]) == size
    assert info["rate"] == pytest.approx(24.0)
    assert len(frames) == round(duration * 24)
    assert abs(info["duration"] - duration) <= 1 / 24 + 1e-6
    data = path.read_bytes()
    assert 0 <= data.find(b"moov") < data.find(b"mdat"), "moov must come before mdat (faststart)"
    assert not [p for p in path.parent.iterdir() if p.name.startswith(f".{path.name}")], "temp file left"
    return frames


def diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


def region_share(frame: np.ndarray, colour: tuple[int, int, int], tol: int = 40) -> float:
    d = np.abs(frame.astype(np.int16) - np.array(colour, np.int16)).max(axis=-1)
    return float((d < tol).mean())


def marker_x(frame: np.ndarray, colour: tuple[int, int, int]) -> float:
    d = np.abs(frame.astype(np.int16) - np.array(colour, np.int16)).max(axis=-1)
    xs = np.nonzero(d < 40)[1]
    assert xs.size, "marker not visible"
    return float(xs.mean())


YELLOW = (240, 200, 40)
RED = (220, 30, 30)


def test_photo(path: Path, size: tuple[int, int] = (1200, 800)) -> Path:
    """A busy photo-like image: smooth colour field, a yellow disc in the centre, a red marker left of it."""
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.stack(
        [60 + 40 * np.sin(xx / 90), 90 + 50 * np.cos(yy / 70), 140 + 60 * np.sin((xx + yy) / 120)], axis=-1
    )
    img[(xx - w / 2) ** 2 + (yy - h / 2) ** 2 < (min(w, h) / 8) ** 2] = YELLOW
    img[int(h * 0.45) : int(h * 0.55), int(w * 0.3) : int(w * 0.34)] = RED
    Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(path)
    return path


test_photo.__test__ = False  # a helper, not a test


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("render")


@pytest.fixture(scope="module")
def ocean(work: Path) -> tuple[RenderResult, list[np.ndarray]]:
    result = render_text_to_video("sunset over the ocean", 1.0, "16:9", work / "ocean.mp4")
    return result, assert_playable_mp4(result.path, (1280, 720), 1.0)


@pytest.fixture(scope="module")
def photo(work: Path) -> Path:
    return test_photo(work / "photo.png")


# --- frame sizes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ratio", "source", "expected"),
    [
        ("16:9", None, (1280, 720)),
        ("9:16", None, (720, 1280)),
        ("1:1", None, (720, 720)),
        ("4:3", None, (960, 720)),
        ("3:4", None, (720, 960)),
        ("auto", (1600, 1000), (1280, 800)),
        ("auto", (600, 900), (854, 1280)),
        ("auto", (1001, 1001), (1280, 1280)),
        ("auto", (333, 111), (1280, 426)),
        ("auto", None, (1280, 720)),
        ("21:9", None, (1280, 720)),
        ("", None, (1280, 720)),
    ],
)
def test_frame_size_follows_the_ratio_with_even_sides(ratio, source, expected):
    w, h = frame_size(ratio, source)
    assert (w, h) == expected
    assert w % 2 == 0 and h % 2 == 0


# --- reading prompts -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prompt", "time", "terrain", "expect"),
    [
        ("sunset over the ocean", "sunset", "islands", {"water"}),
        ("rainy neon city at night", "night", "city", {"rain", "neon", "wet"}),
        ("snowy mountains at dawn", "dawn", "mountains", {"snow", "snowcaps"}),
        ("forest with fireflies", "night", "forest", {"fireflies"}),
        ("desert dunes under stars", "night", "desert", {"dust"}),
        ("aurora over a frozen lake", "night", "islands", {"water", "aurora", "winter"}),
        ("stormy sea with lightning", None, "islands", {"water", "rain", "storm", "lightning"}),
    ],
)
def test_the_scene_follows_the_prompt_keywords(prompt, time, terrain, expect):
    spec = read_prompt(prompt, seed=1)
    if time:
        assert spec.time == time
    assert spec.terrain == terrain
    flags = set(spec.particles) | set(spec.moods)
    flags |= {name for name in ("water", "wet", "snowcaps", "aurora", "lightning") if getattr(spec, name)}
    assert expect <= flags


@pytest.mark.parametrize(
    ("prompt", "style"),
    [
        ("make it a watercolor painting", "watercolour"),
        ("film noir, black and white", "noir"),
        ("old vintage film", "sepia"),
        ("a winter version with snow", "winter"),
        ("turn day into night", "night"),
        ("as an anime cartoon", "comic"),
        ("8-bit pixel art", "pixel"),
        ("cyberpunk neon glow", "neon"),
        ("more dramatic", "cinematic"),
        ("noir first, then watercolour", "noir"),
    ],
)
def test_remix_style_is_picked_from_the_prompt(prompt, style):
    assert pick_style(prompt) == style


@pytest.mark.parametrize(
    ("prompt", "move"),
    [
        ("slow zoom in on her face", "in"),
        ("dolly in", "in"),
        ("push in", "in"),
        ("zoom out slowly", "out"),
        ("pull back to reveal the city", "out"),
        ("pan left across the room", "left"),
        ("pan right", "right"),
        ("tilt up to the sky", "up"),
        ("pan down", "down"),
        ("a sunrise over the hills", "kenburns"),
    ],
)
def test_camera_move_is_read_from_the_prompt(prompt, move):
    assert camera_move(prompt) == move


# --- text to video -------------------------------------------------------------------------------------


def test_text_to_video_is_a_playable_h264_mp4_with_exact_length(ocean):
    result, frames = ocean
    assert result == RenderResult(result.path, 1280, 720, FPS, 24, 1.0)
    assert len(frames) == 24


def test_text_to_video_frames_change_over_time(ocean):
    _, frames = ocean
    assert diff(frames[0], frames[-1]) > 1.5
    assert diff(frames[0], frames[1]) > 0.05


def test_text_to_video_portrait_and_frame_count_rounding(work):
    result = render_text_to_video("rainy neon city at night", 0.55, "9:16", work / "city.mp4")
    assert (result.width, result.height, result.frames) == (720, 1280, 13)
    assert_playable_mp4(result.path, (720, 1280), 13 / 24)


def test_text_to_video_is_deterministic_for_the_same_prompt(work):
    a = render_text_to_video("Snowy mountains at dawn", 0.5, "16:9", work / "a.mp4")
    b = render_text_to_video("  snowy   MOUNTAINS at dawn ", 0.5, "16:9", work / "b.mp4")
    _, fa = decode(a.path)
    _, fb = decode(b.path)
    assert all(np.array_equal(x, y) for x, y in zip(fa, fb, strict=True))
    digest = [hashlib.sha256(p.read_bytes()).hexdigest() for p in (a.path, b.path)]
    assert digest[0] == digest[1]


def test_different_prompts_make_visibly_different_scenes(work, ocean):
    night = render_text_to_video("night city rain", 0.25, "16:9", work / "night.mp4")
    desert = render_text_to_video("desert sunset", 0.25, "16:9", work / "desert.mp4")
    _, fn = decode(night.path)
    _, fd = decode(desert.path)
    mean_night = fn[0].reshape(-1, 3).mean(axis=0)
    mean_desert = fd[0].reshape(-1, 3).mean(axis=0)
    assert np.abs(mean_night - mean_desert).sum() > 60
    assert mean_night.mean() < mean_desert.mean()  # night is darker
    assert mean_desert[0] > mean_desert[2]  # a sunset desert is warm
    assert diff(fd[0], ocean[1][0]) > 10  # and unlike the sunset ocean


def test_text_to_video_replaces_an_existing_file_atomically(work):
    out = work / "replace.mp4"
    out.write_bytes(b"old contents")
    render_text_to_video("forest with fireflies", 0.25, "16:9", out)
    assert out.read_bytes()[4:8] == b"ftyp"
    assert sorted(p.name for p in work.iterdir() if p.name.startswith(".")) == []


def test_a_very_short_duration_still_gives_one_frame(work):
    result = render_text_to_video("a quiet lake", 0.01, "1:1", work / "short.mp4")
    assert result.frames == 1
    _, frames = decode(result.path)
    assert len(frames) == 1 and frames[0].shape == (720, 720, 3)


# --- image to video ------------------------------------------------------------------------------------


def test_image_zoom_in_makes_the_centre_grow(work, photo):
    result = render_image_to_video(photo, "slow zoom in on the sun", 1.0, "16:9", work / "zin.mp4")
    frames = assert_playable_mp4(result.path, (1280, 720), 1.0)
    first, last = region_share(frames[0], YELLOW), region_share(frames[-1], YELLOW)
    assert first > 0.02
    assert last > first * 1.4


def test_image_zoom_out_makes_the_centre_shrink(work, photo):
    result = render_image_to_video(photo, "pull back to reveal", 0.5, "16:9", work / "zout.mp4")
    _, frames = decode(result.path)
    assert region_share(frames[-1], YELLOW) < region_share(frames[0], YELLOW) / 1.3


@pytest.mark.parametrize(("prompt", "sign"), [("pan left across", 1), ("pan right across", -1)])
def test_image_pans_move_the_picture_the_right_way(work, photo, prompt, sign):
    result = render_image_to_video(photo, prompt, 0.5, "16:9", work / f"pan{sign}.mp4")
    _, frames = decode(result.path)
    moved = marker_x(frames[-1], RED) - marker_x(frames[0], RED)
    assert moved * sign > 20  # panning left slides the picture right, and the other way


def test_image_default_move_is_a_gentle_ken_burns(work, photo):
    result = render_image_to_video(photo, "a portrait", 0.5, "16:9", work / "kb.mp4")
    _, frames = decode(result.path)
    assert 0.5 < diff(frames[0], frames[-1]) < 40
    assert region_share(frames[-1], YELLOW) > region_share(frames[0], YELLOW)


def test_image_auto_ratio_keeps_the_image_shape(work, tmp_path):
    tall = test_photo(tmp_path / "tall.jpg", (600, 900))
    result = render_image_to_video(tall, "zoom in", 0.25, "auto", work / "auto.mp4")
    assert (result.width, result.height) == (854, 1280)
    assert_playable_mp4(result.path, (854, 1280), 0.25)


def test_image_is_cropped_to_a_portrait_frame(work, photo):
    result = render_image_to_video(photo, "snow falling", 0.25, "9:16", work / "tall.mp4")
    frames = assert_playable_mp4(result.path, (720, 1280), 0.25)
    assert frames[0].shape == (1280, 720, 3)


def test_image_to_video_is_deterministic(work, photo):
    a = render_image_to_video(photo, "sparkles, pan up", 0.25, "16:9", work / "ia.mp4")
    b = render_image_to_video(photo, "sparkles, pan up", 0.25, "16:9", work / "ib.mp4")
    assert a.path.read_bytes() == b.path.read_bytes()


@pytest.mark.parametrize("content", [b"not an image at all", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, b""])
def test_unreadable_images_raise_input_error(tmp_path, content):
    bad = tmp_path / "bad.png"
    bad.write_bytes(content)
    out = tmp_path / "out.mp4"
    with pytest.raises(InputError) as err:
        render_image_to_video(bad, "zoom in", 1.0, "16:9", out)
    assert err.value.field == "image"
    assert "image" in err.value.message.lower()
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.png"]


def test_a_missing_image_raises_input_error(tmp_path):
    with pytest.raises(InputError):
        render_image_to_video(tmp_path / "nope.png", "zoom in", 1.0, "16:9", tmp_path / "out.mp4")


# --- remix ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def remixes(work, ocean) -> dict[str, list[np.ndarray]]:
    source = ocean[0].path
    out = {}
    for name, prompt in {
        "noir": "make it film noir",
        "sepia": "an old vintage sepia film",
        "default": "make it more dramatic",
        "pixel": "8-bit pixel art",
    }.items():
        result = render_remix(source, prompt, work / f"remix_{name}.mp4")
        assert (result.width, result.height, result.frames) == (1280, 720, 24)
        out[name] = assert_playable_mp4(result.path, (1280, 720), 1.0)
    return out


def test_remix_noir_is_near_greyscale(remixes):
    frame = remixes["noir"][12].astype(np.int16)
    # away from the corner mark, the three channels agree
    core = frame[:600]
    assert np.abs(core[..., 0] - core[..., 1]).mean() < 3
    assert np.abs(core[..., 1] - core[..., 2]).mean() < 3


def test_remix_sepia_is_warm_brown(remixes):
    r, g, b = remixes["sepia"][12].reshape(-1, 3).mean(axis=0)
    assert r > g > b
    assert r - b > 20


def test_remix_styles_differ_from_the_source_and_each_other(remixes, ocean):
    source = ocean[1][12]
    styled = {k: v[12] for k, v in remixes.items()}
    for name, frame in styled.items():
        assert diff(frame, source) > 4, name
    names = sorted(styled)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert diff(styled[a], styled[b]) > 4, (a, b)


def test_remix_frames_still_change_over_time(remixes):
    frames = remixes["default"]
    assert diff(frames[0], frames[-1]) > 1.0


@pytest.fixture(scope="module")
def odd_source(work) -> Path:
    """A 30 fps, 1.5 s clip with odd dimensions (PNG codec in QuickTime), moving content."""
    path = work / "odd.mov"
    with av.open(str(path), "w") as c:
        s = c.add_stream("png", rate=30)
        s.width, s.height, s.pix_fmt = 321, 241, "rgb24"
        for i in range(45):
            img = np.zeros((241, 321, 3), np.uint8)
            img[:, :, 2] = 120
            img[60:180, 5 + i * 5 : 65 + i * 5] = (250, 250, 250)
            f = av.VideoFrame.from_ndarray(img, format="rgb24")
            f.pts = i
            for p in s.encode(f):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return path


def test_remix_keeps_size_made_even_and_resamples_to_24_fps(work, odd_source):
    result = render_remix(odd_source, "comic book", work / "odd_out.mp4")
    assert (result.width, result.height) == (320, 240)
    assert result.frames == 36
    frames = assert_playable_mp4(result.path, (320, 240), 1.5)
    assert diff(frames[0], frames[-1]) > 3


def test_remix_is_cut_to_max_seconds(work, odd_source):
    result = render_remix(odd_source, "neon glow", work / "cut.mp4", max_seconds=0.5)
    assert result.frames == 12
    assert_playable_mp4(result.path, (320, 240), 0.5)


def test_remix_is_deterministic(work, odd_source):
    a = render_remix(odd_source, "winter snow", work / "wa.mp4", max_seconds=0.5)
    b = render_remix(odd_source, "winter snow", work / "wb.mp4", max_seconds=0.5)
    assert a.path.read_bytes() == b.path.read_bytes()


def test_remix_of_garbage_raises_input_error(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"garbage" * 100)
    out = tmp_path / "out.mp4"
    with pytest.raises(InputError) as err:
        render_remix(bad, "noir", out)
    assert err.value.field == "video"
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.mp4"]


def test_remix_of_audio_only_or_missing_file_raises_input_error(tmp_path):
    audio = tmp_path / "tone.wav"
    with wave.open(str(audio), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes((np.sin(np.arange(8000) / 5) * 8000).astype("<i2").tobytes())
    with pytest.raises(InputError, match="no video"):
        render_remix(audio, "noir", tmp_path / "out.mp4")
    with pytest.raises(InputError, match="not found"):
        render_remix(tmp_path / "missing.mp4", "noir", tmp_path / "out.mp4")


# --- the camera helpers and the bench ------------------------------------------------------------------


def test_frame_camera_zooms_about_the_centre_and_holds_inside_the_frame():
    from demo_gateway.render.camera import Pose
    from demo_gateway.render.encode import YuvFrame
    from demo_gateway.render.scene import frame_camera

    f = YuvFrame(320, 180)
    f.y[:] = np.arange(320, dtype=np.uint8)[None, :] // 2 + 40  # a horizontal ramp
    f.u[:], f.v[:] = 100, 150
    before = f.y.copy()
    frame_camera(f, Pose())  # no zoom: untouched
    assert np.array_equal(f.y, before)
    frame_camera(f, Pose(zoom=1.25))
    assert f.y.shape == (180, 320)
    row = f.y[90].astype(float)
    assert abs(row[160] - before[90, 160]) <= 2  # the centre stays put
    assert row[10] > before[90, 10] + 5 and row[-10] < before[90, -10] - 5  # the edges come in
    assert int(f.u.min()) >= 99 and int(f.v.max()) <= 151  # chroma stays aligned and flat
    g = YuvFrame(320, 180)
    g.y[:] = before
    g.u[:], g.v[:] = 100, 150
    frame_camera(g, Pose(zoom=1.05, shake_x=1.0, y=-5.0))  # asks far outside: held at the edge
    assert np.abs(g.y[:, -1].astype(int) - before[:, -1].astype(int)).max() <= 2  # the right edge, held


@pytest.mark.parametrize("crop", [(24, 14, 160, 96), (0, 0, 162, 98), (38, 22, 162, 98), (10, 6, 190, 114)])
def test_scale_crop_frames_the_crop_like_an_exact_bilinear_resize(crop):
    """The swscale path (one thread, a new context per crop size) puts every plane where Pillow's
    exact sub-pixel bilinear resize of the same box does: within one code value on ramps steep enough
    that one value is about one pixel, so the framing is right to a pixel, chroma aligned with luma."""
    from demo_gateway.render.encode import YuvFrame, scale_crop

    w, h = 200, 120
    x0, y0, cw, ch = crop
    f = YuvFrame(w, h)
    f.y[:] = 30 + np.arange(w, dtype=np.uint8)[None, :]  # one code value per pixel
    f.u[:] = 40 + 2 * np.arange(w // 2, dtype=np.uint8)[None, :]
    f.v[:] = 40 + 2 * np.arange(h // 2, dtype=np.uint8)[:, None]
    planes = [(f.y.copy(), 1), (f.u.copy(), 2), (f.v.copy(), 2)]
    scale_crop(f, x0, y0, cw, ch)
    for out, (src, k) in zip((f.y, f.u, f.v), planes, strict=True):
        box = (x0 / k, y0 / k, (x0 + cw) / k, (y0 + ch) / k)
        ref = Image.fromarray(src).resize((w // k, h // k), Image.Resampling.BILINEAR, box=box)
        assert np.abs(out.astype(int) - np.asarray(ref)).max() <= 1


def test_scale_crop_on_one_thread_gives_the_pixels_swscale_gives_by_default():
    from demo_gateway.render.encode import SWS, YuvFrame, plane_view, scale_crop

    if int(av.__version__.split(".")[0]) >= 17:  # PyAV takes `threads` from 17: the trick must be on
        assert SWS == {"threads": 1}

    rng = np.random.default_rng(3)
    f = YuvFrame(640, 360)
    f.buf[:] = rng.integers(0, 256, f.buf.shape, dtype=np.uint8)
    x0, y0, cw, ch = 52, 30, 522, 294
    src = av.VideoFrame(cw, ch, "yuv420p")
    plane_view(src, 0)[:] = f.y[y0 : y0 + ch, x0 : x0 + cw]
    plane_view(src, 1)[:] = f.u[y0 // 2 : (y0 + ch) // 2, x0 // 2 : (x0 + cw) // 2]
    plane_view(src, 2)[:] = f.v[y0 // 2 : (y0 + ch) // 2, x0 // 2 : (x0 + cw) // 2]
    ref = src.reformat(width=640, height=360, format="yuv420p", interpolation="BILINEAR")
    scale_crop(f, x0, y0, cw, ch)
    for k, plane in enumerate((f.y, f.u, f.v)):
        assert np.array_equal(plane, plane_view(ref, k))


def _cover_reference(dst: np.ndarray, fill: np.ndarray, ridge: np.ndarray, row0: int) -> None:
    """The silhouette cover spelled out a column at a time."""
    for x in range(dst.shape[1]):
        edge = int(np.floor(ridge[x] + 0.5)) - row0
        for r in range(max(0, edge + 1), dst.shape[0]):
            dst[r, x] = fill[r, x]
        if 0 <= edge < dst.shape[0]:
            a = min(1.0, max(0.0, np.float32(edge + row0) - ridge[x] + np.float32(0.5)))
            cur = np.float32(dst[edge, x])
            dst[edge, x] = np.uint8(cur + (np.float32(fill[edge, x]) - cur) * np.float32(a) + np.float32(0.5))


def test_the_silhouette_cover_matches_a_column_by_column_reference():
    """The byte-mask blend (one mask shared by u and v) covers exactly the rows below the ridge and
    blends the edge row by coverage, ridges above, inside and below the band included."""
    from demo_gateway.render.scene import _cover

    rng = np.random.default_rng(11)
    rows = np.arange(400, dtype=np.int16)[:, None]
    for row0 in (0, 37):
        n, w = 60, 96
        ridge = (row0 + rng.uniform(-8, n + 8, w)).astype(np.float32)
        ridge[:5] = row0 - 20.0  # wholly above the band: every row covered
        ridge[5:10] = row0 + n + 20.0  # wholly below: nothing covered
        dsts = tuple(rng.integers(0, 256, (n, w), dtype=np.uint8) for _ in range(2))
        pano = tuple(rng.integers(0, 256, (n, w + 30), dtype=np.uint8) for _ in range(2))
        fills = tuple(p[:, 7 : 7 + w] for p in pano)  # a window of a wider panorama, as drawn
        expected = [d.copy() for d in dsts]
        for e, fill in zip(expected, fills, strict=True):
            _cover_reference(e, fill, ridge, row0)
        _cover(dsts, fills, ridge, row0, rows)
        for got, want in zip(dsts, expected, strict=True):
            assert np.array_equal(got, want)
        assert np.array_equal(dsts[0][:, :5], fills[0][:, :5])


def test_the_render_bench_still_imports_and_lists_every_camera_preset():
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "bench" / "bench_render.py"
    spec = importlib.util.spec_from_file_location("bench_render", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert callable(module.main)
    from demo_gateway.render import camera_of

    moves = {camera_of(p) for p in module.CAMERA_PHRASES}
    assert len(module.CAMERA_PHRASES) == len(moves) == 12


def test_image_auto_ratio_at_1080p_on_an_exact_fit_renders(work, photo):
    # 1200x800 at "auto" 1080p is 1920x1280: an exact fit whose crop box float rounding once pushed
    # a hair outside the picture (a ValueError, a failed job)
    result = render_image_to_video(
        photo, "static locked-off camera", 0.1, "auto", work / "fit.mp4", resolution="1080p"
    )
    assert (result.width, result.height) == (1920, 1280)
    assert_playable_mp4(result.path, (1920, 1280), result.frames / 24)
