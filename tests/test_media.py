"""Media checks: every bad upload gets its own clear message; good ones come out the right size."""

from __future__ import annotations

import io
import struct
import zlib
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image, JpegImagePlugin

from studio import media
from studio.errors import InputError
from studio.media import (
    MAX_UPLOAD_BYTES,
    last_frame,
    make_poster,
    prepare_image,
    probe_video,
    sniff_image_type,
)


# --- makers: real files, made here -----------------------------------------------------------
def photo(width: int, height: int, seed: int = 0) -> Image.Image:
    """A photo-like picture: smooth gradients, a few shapes and sensor noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    r = 255 * x / max(1, width - 1)
    g = 255 * y / max(1, height - 1)
    b = 128 + 100 * np.sin(x / 37.0) * np.cos(y / 53.0)
    arr = np.stack([r, g, b], axis=-1)
    arr += rng.normal(0, 6, arr.shape).astype(np.float32)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")


def encode(image: Image.Image, fmt: str, **kwargs) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **kwargs)
    return buf.getvalue()


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png_bomb(width: int = 30000, height: int = 30000) -> bytes:
    """A tiny, valid-looking PNG whose header claims width×height (1-bit greyscale, all zero)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = b"\x00" * (1 + (width + 7) // 8)
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(64)) + compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")
    )


def make_mp4(
    path: Path, *, seconds: float = 2.0, size=(320, 180), fps: int = 24, audio: bool = False
) -> Path:
    """An H.264 clip whose frames carry a bar that moves with time (so frames differ)."""
    width, height = size
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "ultrafast"}
        astream = out.add_stream("aac", rate=44100) if audio else None
        frames = round(seconds * fps)
        base = np.asarray(photo(width, height, seed=1))
        for i in range(frames):
            img = base.copy()
            x = int((width - 20) * i / max(1, frames - 1))
            img[:, x : x + 20] = (255, 255, 255) if i < frames - 1 else (255, 0, 0)
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
        if astream is not None:
            _encode_tone(out, astream, seconds)
    return path


def _encode_tone(out, astream, seconds: float) -> None:
    rate = 44100
    t = np.arange(int(rate * seconds)) / rate
    samples = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    step = astream.codec_context.frame_size or 1024
    pts = 0
    for start in range(0, len(samples), step):
        chunk = samples[start : start + step]
        frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="fltp", layout="mono")
        frame.sample_rate = rate
        frame.pts = pts
        pts += len(chunk)
        for packet in astream.encode(frame):
            out.mux(packet)
    for packet in astream.encode():
        out.mux(packet)


def make_audio_only_mp4(path: Path) -> Path:
    with av.open(str(path), "w", format="mp4") as out:
        astream = out.add_stream("aac", rate=44100)
        _encode_tone(out, astream, 1.0)
    return path


def reject(data: bytes, aspect_ratio: str = "16:9", **kwargs) -> InputError:
    with pytest.raises(InputError) as info:
        prepare_image(data, aspect_ratio, **kwargs)
    assert info.value.field == "image"
    return info.value


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return make_mp4(tmp_path_factory.mktemp("clips") / "clip.mp4", seconds=2.0, audio=True)


# --- sniffing --------------------------------------------------------------------------------
def test_sniff_goes_by_content_not_name():
    img = photo(32, 32)
    assert sniff_image_type(encode(img, "PNG")) == "png"
    assert sniff_image_type(encode(img, "JPEG")) == "jpeg"
    assert sniff_image_type(encode(img, "WEBP")) == "webp"
    assert sniff_image_type(b"%PDF-1.4\n") is None
    assert sniff_image_type(encode(img, "GIF")) is None
    assert sniff_image_type(b"") is None


def test_header_size_is_read_without_decoding():
    img = photo(123, 45)
    for fmt, kind in (("PNG", "png"), ("JPEG", "jpeg"), ("WEBP", "webp")):
        assert media.image_header_size(encode(img, fmt), kind) == (123, 45)
    assert media.image_header_size(encode(img, "WEBP", lossless=True), "webp") == (123, 45)
    assert media.image_header_size(png_bomb(), "png") == (30000, 30000)


# --- bad images: each its own message ----------------------------------------------------------
def test_zero_byte_file_is_empty():
    assert reject(b"").message == "The file is empty."


def test_oversized_upload_is_refused_before_decoding():
    data = b"\x89PNG\r\n\x1a\n" + bytes(60 * 1024 * 1024)
    assert reject(data).message == "This image is 60 MB; the limit is 50 MB."


def test_pdf_named_png_is_named_as_a_pdf():
    err = reject(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n")
    assert err.message == "This file is not a PNG, JPEG or WebP image (it looks like a PDF)."


@pytest.mark.parametrize(
    ("data", "looks"),
    [
        (encode(photo(20, 20), "GIF"), "a GIF"),
        (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom", "an MP4 video"),
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00", "a ZIP archive"),
        (b"a shopping list\nmilk\neggs\n", "a text file"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "a HEIC photo"),
    ],
)
def test_other_file_types_are_named(data, looks):
    err = reject(data)
    assert err.message.startswith("This file is not a PNG, JPEG or WebP image (it looks like ")
    assert looks in err.message


def test_corrupt_png_is_reported_as_damaged():
    good = encode(photo(64, 64), "PNG")
    # Keep the signature and IHDR, then garbage where the pixel data should be.
    corrupt = good[:33] + np.random.default_rng(3).bytes(len(good) - 45) + good[-12:]
    err = reject(corrupt)
    assert err.message == "This PNG image is damaged (its data is corrupt) and can't be read."


def test_truncated_jpeg_says_it_ends_early():
    good = encode(photo(400, 300), "JPEG", quality=90)
    err = reject(good[: len(good) // 2])
    assert err.message == "This image is damaged or incomplete (it ends early)."


def test_png_bomb_is_refused_from_its_header():
    data = png_bomb()
    assert len(data) < 10_000
    err = reject(data)
    assert "30000×30000" in err.message and "megapixels" in err.message


def test_bomb_past_the_header_check_is_still_refused_by_pillow(monkeypatch):
    monkeypatch.setattr(media, "image_header_size", lambda data, kind: None)
    err = reject(png_bomb(12000, 12000))
    assert "megapixels" in err.message


def test_tiny_image_is_refused():
    assert "only 8×8 pixels" in reject(encode(photo(8, 8), "PNG")).message


def test_unknown_ratio_and_fit_are_refused_at_their_fields():
    data = encode(photo(64, 64), "PNG")
    with pytest.raises(InputError) as info:
        prepare_image(data, "5:banana")
    assert info.value.field == "aspect_ratio"
    with pytest.raises(InputError) as info:
        prepare_image(data, "16:9", fit="stretch")
    assert info.value.field == "fit"


# --- good images ---------------------------------------------------------------------------------
def decoded(prepared) -> Image.Image:
    img = Image.open(io.BytesIO(prepared.data))
    img.load()
    return img


@pytest.mark.parametrize(
    ("ratio", "fit", "size", "expected"),
    [
        ("16:9", "crop", (1600, 1200), (1280, 720)),
        ("9:16", "crop", (1600, 1200), (675, 1200)),
        ("1:1", "crop", (1600, 1200), (1200, 1200)),  # already under 1280: never upscaled
        ("16:9", "fit", (1200, 1200), (1280, 720)),
        ("9:16", "fit", (1600, 1200), (720, 1280)),
        ("auto", "crop", (1600, 1200), (1280, 960)),
        ("auto", "fit", (800, 600), (800, 600)),
        ("4:3", "crop", (300, 300), (300, 225)),
    ],
)
def test_crop_and_fit_produce_the_right_size(ratio, fit, size, expected):
    prepared = prepare_image(encode(photo(*size), "PNG"), ratio, fit=fit, long_side=1280)
    img = decoded(prepared)
    assert (prepared.width, prepared.height) == img.size == expected
    assert img.format == "JPEG" and img.mode == "RGB"
    assert prepared.media_type == "image/jpeg" and prepared.original_format == "png"
    assert (prepared.original_width, prepared.original_height) == size
    if ratio != "auto":
        assert abs(Fraction(*img.size) - media.parse_ratio(ratio)) / media.parse_ratio(ratio) < 0.01


def test_fit_keeps_the_whole_picture_on_a_darker_blurred_background():
    img = photo(800, 800)
    prepared = prepare_image(encode(img, "PNG"), "16:9", fit="fit")
    out = np.asarray(decoded(prepared)).astype(float)
    assert out.shape == (720, 1280, 3)
    middle = out[:, 320:960]  # the picture itself, scaled to 720×720
    side = out[:, :300]
    assert side.mean() < middle.mean()  # darkened
    assert side.mean() > 5  # but not plain black: a blurred copy of the image
    assert np.abs(np.diff(side, axis=1)).mean() < np.abs(np.diff(middle, axis=1)).mean()  # blurred
    assert "fitted to 16:9" in prepared.note.lower()


def test_big_photo_is_downscaled_with_far_fewer_bytes_and_a_plain_note():
    original = encode(photo(6000, 4000), "JPEG", quality=92)
    prepared = prepare_image(original, "16:9")
    assert (prepared.width, prepared.height) == (1280, 720)
    assert max(decoded(prepared).size) <= 1280
    assert len(prepared.data) < len(original) / 5
    assert prepared.original_bytes == len(original)
    assert prepared.note == "Cropped to 16:9 and scaled from 6000×4000 to 1280×720."


def test_exif_rotated_photo_comes_out_upright_and_without_metadata():
    # Stored landscape, with a red band on the stored top edge; Orientation=6 means "turn 90° clockwise".
    arr = np.asarray(photo(1200, 800)).copy()
    arr[:100, :, :] = (255, 0, 0)
    stored = Image.fromarray(arr)
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "TestCam"  # camera make: must not leak
    data = encode(stored, "JPEG", quality=92, exif=exif.tobytes(), comment=b"secret")
    prepared = prepare_image(data, "auto")
    img = decoded(prepared)
    assert img.size == (800, 1200) and (prepared.original_width, prepared.original_height) == (800, 1200)
    out = np.asarray(img).astype(int)
    right = out[:, -40:]
    left = out[:, :40]
    assert right[..., 0].mean() > 200 and right[..., 1].mean() < 80  # the top band is now on the right
    assert left[..., 0].mean() < right[..., 0].mean()
    assert "upright" in prepared.note
    assert not img.getexif() and "comment" not in img.info and "icc_profile" not in img.info


def test_transparent_logo_is_flattened_so_it_stays_visible():
    dark_logo = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    dark_logo.paste((10, 10, 10, 255), (100, 100, 300, 300))
    out = prepare_image(encode(dark_logo, "PNG"), "1:1")
    img = np.asarray(decoded(out))
    assert img[5, 5].min() > 240 and img[200, 200].max() < 40  # dark art on white
    assert "white" in out.note
    light_logo = Image.new("LA", (400, 400), (0, 0))
    light_logo.paste((250, 255), (100, 100, 300, 300))
    out = prepare_image(encode(light_logo, "PNG"), "1:1")
    assert np.asarray(decoded(out))[5, 5].max() < 15 and "black" in out.note


@pytest.mark.parametrize("mode", ["P", "CMYK", "I;16", "L", "1"])
def test_other_colour_modes_become_rgb(mode):
    base = photo(200, 100)
    if mode == "I;16":
        grey = (np.asarray(base.convert("L")).astype(np.uint16)) * 257
        img = Image.fromarray(grey)
        assert img.mode == "I;16"
        fmt = "PNG"
    else:
        img = base.convert(mode)
        fmt = "JPEG" if mode == "CMYK" else "PNG"
    out = decoded(prepare_image(encode(img, fmt), "auto"))
    assert out.mode == "RGB" and out.size == (200, 100)
    if mode == "I;16":
        expected = np.asarray(base.convert("L")).astype(float)
        assert abs(np.asarray(out)[..., 0].astype(float).mean() - expected.mean()) < 4  # not clipped white


def test_webp_input_is_accepted():
    prepared = prepare_image(encode(photo(640, 480), "WEBP", quality=80), "4:3")
    assert prepared.original_format == "webp" and (prepared.width, prepared.height) == (640, 480)
    assert prepared.note == "Kept at 640×480 (already 4:3)."


def test_jpeg_draft_decoding_matches_full_decoding_closely(monkeypatch):
    original = encode(photo(4000, 3000, seed=5), "JPEG", quality=92)
    fast = np.asarray(decoded(prepare_image(original, "16:9"))).astype(float)
    calls = []
    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", lambda self, mode, size: calls.append(size))
    slow = np.asarray(decoded(prepare_image(original, "16:9"))).astype(float)
    assert calls  # the draft path was taken (and skipped) for the slow run
    assert fast.shape == slow.shape
    assert np.abs(fast - slow).mean() < 4


# --- video ------------------------------------------------------------------------------------
def reject_video(source) -> InputError:
    with pytest.raises(InputError) as info:
        probe_video(source)
    assert info.value.field == "video"
    return info.value


def test_probe_reads_a_real_clip(clip):
    info = probe_video(clip)
    assert (info.width, info.height) == (320, 180)
    assert info.codec == "h264" and info.has_audio is True
    assert info.fps == pytest.approx(24, abs=0.01)
    assert info.duration == pytest.approx(2.0, abs=0.1)
    assert info.size_bytes == clip.stat().st_size
    assert probe_video(clip.read_bytes()) == info


def test_probe_clip_without_audio(tmp_path):
    info = probe_video(make_mp4(tmp_path / "silent.mp4", seconds=1.0))
    assert info.has_audio is False and info.duration == pytest.approx(1.0, abs=0.1)


def test_empty_video_is_empty(tmp_path):
    assert reject_video(b"").message == "The file is empty."
    (tmp_path / "empty.mp4").write_bytes(b"")
    assert reject_video(tmp_path / "empty.mp4").message == "The file is empty."


def test_60_mb_video_is_refused_before_decoding(clip, tmp_path):
    head = clip.read_bytes()
    padded = head + bytes(60 * 1024 * 1024 - len(head))
    assert reject_video(padded).message == "This video is 60 MB; the limit is 50 MB."
    sparse = tmp_path / "big.mp4"
    with sparse.open("wb") as fh:
        fh.write(head)
        fh.truncate(MAX_UPLOAD_BYTES + 1)
    assert reject_video(sparse).message == "This video is 50.1 MB; the limit is 50 MB."


def test_audio_only_mp4_has_no_video_stream(tmp_path):
    path = make_audio_only_mp4(tmp_path / "voice.m4a")
    assert reject_video(path).message == "This file has no video stream (it is audio only)."


def test_text_file_is_not_a_video():
    err = reject_video(b"Just some notes about the shoot.\nScene 1: sunrise.\n" * 10)
    assert err.message == "This file is not a video we can read (it looks like a text file)."


def test_garbage_bytes_are_not_a_video():
    err = reject_video(np.random.default_rng(1).bytes(20_000))
    assert err.message.startswith("This file is not a video we can read")


def test_an_image_is_not_a_video():
    err = reject_video(encode(photo(64, 64), "PNG"))
    assert err.message == "This file is an image, not a video. Use image to video to animate a still."


def test_truncated_mp4_is_refused(clip):
    data = clip.read_bytes()
    reject_video(data[: len(data) // 3])


def test_poster_is_a_small_jpeg_of_a_frame(clip, tmp_path):
    out = make_poster(clip, tmp_path / "poster.jpg")
    assert out == tmp_path / "poster.jpg"
    img = Image.open(out)
    assert img.format == "JPEG" and img.size == (480, 270)
    assert [p.name for p in tmp_path.iterdir()] == ["poster.jpg"]  # no temp files left behind
    narrow = make_poster(clip, tmp_path / "small.jpg", width=160)
    assert Image.open(narrow).size == (160, 90)


def test_poster_of_a_very_short_clip(tmp_path):
    short = make_mp4(tmp_path / "short.mp4", seconds=0.25)
    assert Image.open(make_poster(short, tmp_path / "p.jpg")).size == (480, 270)


def test_outputs_over_the_upload_limit_still_get_posters_and_frames(clip, tmp_path, monkeypatch):
    monkeypatch.setattr(media, "MAX_UPLOAD_BYTES", 1000)  # the limit is for uploads, not our outputs
    reject_video(clip)
    assert Image.open(make_poster(clip, tmp_path / "p.jpg")).size == (480, 270)
    assert Image.open(io.BytesIO(last_frame(clip))).size == (320, 180)


def test_last_frame_is_the_final_frame(clip):
    png = last_frame(clip)
    img = Image.open(io.BytesIO(png))
    assert img.format == "PNG" and img.size == (320, 180)
    arr = np.asarray(img.convert("RGB")).astype(int)
    # The final frame alone has a red bar at the right edge.
    bar = arr[:, -18:-2]
    assert bar[..., 0].mean() > 180 and bar[..., 1].mean() < 90


def test_last_frame_of_a_longer_clip_uses_a_seek(tmp_path):
    longer = make_mp4(tmp_path / "long.mp4", seconds=5.0, size=(160, 90))
    arr = np.asarray(Image.open(io.BytesIO(last_frame(longer))).convert("RGB")).astype(int)
    assert arr[:, -18:-2, 0].mean() > 180 and arr[:, -18:-2, 1].mean() < 90


def test_rotated_phone_video_frames_come_out_upright(tmp_path):
    path = tmp_path / "phone.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = 64, 32, "yuv420p"
        stream.set_display_rotation(90)
        for _ in range(12):
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.zeros((32, 64, 3), np.uint8), "rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    assert Image.open(io.BytesIO(last_frame(path))).size == (32, 64)


# --- hostile sources and images (adversarial findings) -------------------------------------------
def test_a_tiny_mp4_declaring_ten_hours_is_refused_before_decoding() -> None:
    from hostile_media import stretched_mp4

    data = stretched_mp4()
    assert len(data) < 2500
    with pytest.raises(InputError) as err:
        media.probe_video(data)
    assert err.value.field == "video" and "10 h" in err.value.message


def test_a_source_whose_frames_do_not_fill_its_length_is_refused() -> None:
    from hostile_media import stretched_mp4

    with pytest.raises(InputError) as err:
        media.probe_video(stretched_mp4(frames=4, seconds_between=30))  # 90 s "long", 4 frames
    assert err.value.field == "video" and "timing is broken" in err.value.message


def test_source_resolution_and_length_limits_come_from_the_model() -> None:
    from hostile_media import plain_mp4

    from studio import catalog, media_checks

    sora = media_checks.source_limits(catalog.get_model("sora-2-remix"))
    grok = media_checks.source_limits(catalog.get_model("grok-imagine-edit"))
    assert (sora.max_side, sora.max_seconds) == (1920, 120) and grok.max_side == 3840
    wide = plain_mp4((2000, 64))
    assert media.probe_video(wide, limits=grok).width == 2000
    with pytest.raises(InputError) as err:
        media.probe_video(wide, limits=sora)
    assert err.value.field == "video" and "Sora 2 Remix takes sources up to 1920" in err.value.message
    with pytest.raises(InputError) as err:
        media.probe_video(plain_mp4((4160, 64)))  # above 4K whatever the model
    assert "4160×64" in err.value.message


def test_prepare_applies_the_chosen_models_source_limits() -> None:
    from hostile_media import plain_mp4

    from studio import catalog
    from studio.submission import TakeRequest, prepare

    def remix(model: str) -> TakeRequest:
        return TakeRequest(mode="remix", model=model, prompt="noir", source_video=plain_mp4((2000, 64)))

    assert prepare(remix("grok-imagine-edit"), catalog.offline(), None, "a").source_video is not None  # type: ignore[arg-type]
    with pytest.raises(InputError) as err:
        prepare(remix("sora-2-remix"), catalog.offline(), None, "a")  # type: ignore[arg-type]
    assert err.value.field == "video"


_PEAK_SCRIPT = """
import sys
import psutil
from studio import media
def hwm():  # this process's peak RSS (VmHWM starts afresh at exec, unlike ru_maxrss)
    line = next(l for l in open("/proc/self/status") if l.startswith("VmHWM"))
    return int(line.split()[1]) * 1024
data = open(sys.argv[1], "rb").read()
base = max(psutil.Process().memory_info().rss, hwm())
p = media.prepare_image(data, "16:9", fit=sys.argv[2], long_side=1920)
print((hwm() - base) / 2**20, p.width, p.height)
"""


@pytest.mark.parametrize("fit", ["crop", "fit"])
def test_a_36_megapixel_16_bit_png_decodes_in_bounded_memory(tmp_path: Path, fit: str) -> None:
    import subprocess
    import sys

    from hostile_media import png_16bit

    path = tmp_path / "big.png"
    path.write_bytes(png_16bit(6000, 6000))  # ~280 KB; was 584 MB of peak memory
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, "-c", _PEAK_SCRIPT, str(path), fit],
        capture_output=True, text=True, cwd=root, timeout=60, check=True,
    ).stdout.split()
    peak_mb, width, height = float(out[0]), int(out[1]), int(out[2])
    assert (width, height) == (1920, 1080)
    assert peak_mb <= 200, f"peak {peak_mb:.0f} MB"


def test_images_beyond_the_decode_budget_are_refused_with_a_message() -> None:
    big = io.BytesIO()
    Image.new("RGB", (6000, 6000)).save(big, "WEBP", lossless=True)  # libwebp needs 2 copies
    with pytest.raises(InputError) as err:
        media.prepare_image(big.getvalue(), "16:9")
    assert err.value.field == "image" and "MB allowed" in err.value.message


@pytest.mark.parametrize("size", [(16, 20000), (20000, 16), (900, 100)])
def test_extreme_aspect_ratios_are_refused_at_the_image_field(size: tuple[int, int]) -> None:
    buf = io.BytesIO()
    Image.new("RGB", size, (10, 20, 30)).save(buf, "PNG")
    with pytest.raises(InputError) as err:
        media.prepare_image(buf.getvalue(), "16:9")
    assert err.value.field == "image" and "8:1" in err.value.message


def test_an_8_to_1_image_is_still_accepted() -> None:
    buf = io.BytesIO()
    Image.new("RGB", (800, 100), (10, 20, 30)).save(buf, "PNG")
    assert media.prepare_image(buf.getvalue(), "16:9", fit="fit").width == 800
