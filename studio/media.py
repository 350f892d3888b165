"""Media checks and preparation: image uploads, video probes, poster thumbnails and frame grabs."""

from __future__ import annotations

import io
import math
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import cast

import av
import numpy as np
from PIL import Image, ImageCms, ImageEnhance, ImageFilter

from studio import media_checks as checks
from studio.errors import InputError
from studio.library import atomic_write_bytes
from studio.media_checks import image_header_size

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_PIXELS = 40_000_000  # ~ 8000×5000: more than any camera a creative will upload
MIN_SIDE = 16
JPEG_QUALITY = 90
RATIOS = ("16:9", "9:16", "1:1", "4:3", "3:4")
FITS = ("crop", "fit")

# Pillow's own guard, as a second line behind the header check: warn above, refuse above 2×.
Image.MAX_IMAGE_PIXELS = min(Image.MAX_IMAGE_PIXELS or MAX_PIXELS, MAX_PIXELS)

_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error, TypeError)
_AV_ERRORS = (av.FFmpegError, OSError, ValueError, EOFError, RuntimeError, IndexError)
# Containers we accept for a video (ffmpeg demuxer names); rules out stills, text ("tty") and such.
_VIDEO_CONTAINERS = {"mov", "mp4", "m4v", "matroska", "webm", "avi", "mpegts", "mpeg", "flv", "asf", "ogg"}


@dataclass(frozen=True)
class PreparedImage:
    """An upload made ready for image-to-video: JPEG bytes at the chosen ratio, plus what was done."""

    data: bytes
    media_type: str
    width: int
    height: int
    original_format: str
    original_width: int
    original_height: int
    original_bytes: int
    note: str


@dataclass(frozen=True)
class VideoInfo:
    """What a probe learnt about a video file."""

    duration: float
    width: int
    height: int
    codec: str
    fps: float
    size_bytes: int
    has_audio: bool


# --- sniffing ----------------------------------------------------------------------------------
def sniff_image_type(data: bytes) -> str | None:
    """ "png", "jpeg" or "webp" by the file's magic bytes (never by its name), else None."""
    head = bytes(data[:16])
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


_ISO_BRANDS = {
    b"heic": "a HEIC photo",
    b"heix": "a HEIC photo",
    b"hevc": "a HEIC photo",
    b"heim": "a HEIC photo",
    b"heis": "a HEIC photo",
    b"mif1": "a HEIF photo",
    b"msf1": "a HEIF photo",
    b"avif": "an AVIF image",
    b"avis": "an AVIF image",
    b"qt  ": "a QuickTime video",
    b"M4A ": "an M4A audio file",
    b"M4V ": "an MP4 video",
}


def describe_content(data: bytes) -> str | None:
    """A plain-words guess at what a file is, from its first bytes ("a PDF", "a ZIP archive"...)."""
    head = bytes(data[:64])
    kind = sniff_image_type(head)
    if kind:
        return {"png": "a PNG image", "jpeg": "a JPEG image", "webp": "a WebP image"}[kind]
    if head.startswith(b"%PDF"):
        return "a PDF"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "a GIF"
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return _ISO_BRANDS.get(head[8:12], "an MP4 video")
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "a ZIP archive (or an Office document)"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "a WebM or MKV video"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "an AVI video"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "a WAV audio file"
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "an MP3 audio file"
    if head.startswith(b"OggS"):
        return "an Ogg audio or video file"
    if head.startswith(b"fLaC"):
        return "a FLAC audio file"
    if head.startswith(b"BM"):
        return "a BMP image"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "a TIFF image (or a camera raw file)"
    if head.startswith(b"8BPS"):
        return "a Photoshop document"
    if head.startswith(b"\x00\x00\x01\x00"):
        return "an icon file"
    if head.startswith(b"\x1f\x8b"):
        return "a gzip archive"
    if head.startswith((b"Rar!", b"7z\xbc\xaf")):
        return "a compressed archive"
    if head.startswith((b"\x7fELF", b"MZ")):
        return "a program"
    if _looks_like_text(bytes(data[:4096])):
        lowered = bytes(data[:512]).lstrip().lower()
        if lowered.startswith(b"<svg") or (
            lowered.startswith(b"<?xml") and b"<svg" in bytes(data[:4096]).lower()
        ):
            return "an SVG drawing"
        if lowered.startswith((b"<!doctype html", b"<html")):
            return "a web page"
        return "a text file"
    return None


def _looks_like_text(sample: bytes) -> bool:
    if not sample or b"\x00" in sample:
        return False
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(sample) - 4:  # not just a multi-byte character cut at the end
            return False
        text = sample[: exc.start].decode("utf-8")
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
    return printable >= 0.95 * max(1, len(text))


def _megabytes(size: int) -> str:
    exact = size / (1024 * 1024)
    value = round(exact, 1)
    if size > MAX_UPLOAD_BYTES and value * 1024 * 1024 <= MAX_UPLOAD_BYTES:
        value = math.ceil(exact * 10) / 10  # never "50 MB; the limit is 50 MB"
    return f"{value:.1f}".removesuffix(".0")


def _check_size(size: int, what: str, field: str) -> None:
    if size <= 0:
        raise InputError("The file is empty.", field=field)
    if size > MAX_UPLOAD_BYTES:
        raise InputError(
            f"This {what} is {_megabytes(size)} MB; the limit is {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.",
            field=field,
        )


def _too_many_pixels(width: int, height: int) -> InputError:
    mp = width * height / 1e6
    return InputError(
        f"This image is {width}×{height} pixels ({mp:,.0f} megapixels); the limit is "
        f"{MAX_PIXELS // 1_000_000} megapixels. Export a smaller copy and try again.",
        field="image",
    )


def _ends_early(data: bytes, kind: str) -> bool:
    tail = bytes(data[-64:])
    if kind == "jpeg":
        return b"\xff\xd9" not in tail
    if kind == "png":
        return b"IEND" not in tail
    if kind == "webp":
        (riff_size,) = struct.unpack("<I", data[4:8])
        return len(data) < riff_size + 8
    return False


# --- geometry ----------------------------------------------------------------------------------
def parse_ratio(aspect_ratio: str) -> Fraction | None:
    """`"16:9"` → Fraction(16, 9); `"auto"` → None; anything else is an InputError."""
    if aspect_ratio == "auto":
        return None
    try:
        w, h = (int(part) for part in str(aspect_ratio).split(":"))
        if w <= 0 or h <= 0:
            raise ValueError
    except ValueError:
        raise InputError(
            f"Unknown aspect ratio {aspect_ratio!r}: use one of {', '.join(RATIOS)} or auto.",
            field="aspect_ratio",
        ) from None
    return Fraction(w, h)


def nearest_ratio(width: int, height: int, ratios: Sequence[str]) -> str:
    """The offered ratio closest in shape to a width×height picture (`auto` only if nothing else is offered).

    Closeness is measured on a log scale, so portrait and landscape are treated alike: 9:16 is as far
    from 1:1 as 16:9 is. A tie goes to the ratio offered first.
    """
    if not ratios:
        raise ValueError("no ratios to choose from")
    if width <= 0 or height <= 0:
        return ratios[0]
    shape = math.log(width / height)
    best: tuple[float, str] | None = None
    for ratio in ratios:
        try:
            value = parse_ratio(ratio)
        except InputError:
            continue
        if value is None:
            continue
        distance = abs(math.log(value) - shape)
        if best is None or distance < best[0] - 1e-9:
            best = (distance, ratio)
    return best[1] if best is not None else ratios[0]


def _ratio_box(width: int, height: int, ratio: Fraction, *, inside: bool) -> tuple[int, int]:
    """The box of `ratio` inside (crop) or around (fit) a width×height picture."""
    if (Fraction(width, height) > ratio) == inside:
        return max(1, round(height * ratio)), height
    return width, max(1, round(width / ratio))


def _scaled(width: int, height: int, long_side: int) -> tuple[int, int]:
    scale = min(1.0, long_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _exif_orientation(im: Image.Image) -> int:
    try:
        return int(im.getexif().get(0x0112, 1) or 1)
    except _DECODE_ERRORS:
        return 1


# --- colour ------------------------------------------------------------------------------------
_SRGB = None


def _to_srgb(im: Image.Image) -> Image.Image:
    """Convert through an embedded ICC profile (CMYK, Display P3...) to sRGB; stripped later."""
    global _SRGB
    icc = im.info.get("icc_profile")
    if not icc or im.mode not in ("RGB", "RGBA", "CMYK", "L"):
        return im
    try:
        if _SRGB is None:
            _SRGB = ImageCms.createProfile("sRGB")
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        out_mode = "RGBA" if im.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(im, source, _SRGB, outputMode=out_mode)
        return converted if converted is not None else im
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return im


_ORIENTATION_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _top_value(im: Image.Image) -> float:
    """The white level of a 16/32-bit grey picture (from the whole picture, not a band of it)."""
    if im.mode not in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        return 255.0
    # A single-band image: getextrema() is one (min, max) pair of numbers.
    _, high = cast(tuple[float, float], im.getextrema())
    return 255.0 if high <= 255 else (65535.0 if im.mode != "F" else float(high))


def _normalise_mode(im: Image.Image, top: float | None = None) -> Image.Image:
    """Any decoded mode (palette, 16-bit, CMYK, grey + alpha...) as RGB or RGBA."""
    if im.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        white = _top_value(im) if top is None else top
        im = im.convert("I") if im.mode.startswith("I;16") else im
        im = im.point(lambda v: v * (255.0 / white)).convert("L")
    has_alpha = "A" in im.getbands() or "a" in im.getbands() or "transparency" in im.info
    return im.convert("RGBA" if has_alpha else "RGB")


def _flatten(im: Image.Image) -> tuple[Image.Image, str | None]:
    """RGB without alpha; says where the transparent parts went, if there were any."""
    if im.mode != "RGBA":
        return im.convert("RGB"), None
    alpha = im.getchannel("A")
    if alpha.getextrema()[0] == 255:
        return im.convert("RGB"), None
    # Dark artwork goes on white, light artwork on black: whatever keeps it visible.
    small = np.asarray(im.resize((64, 64), Image.Resampling.BOX), dtype=np.float32)
    weight = small[..., 3] / 255.0
    luma = small[..., :3] @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    mean = float((luma * weight).sum() / max(float(weight.sum()), 1e-6))
    shade = 255 if mean < 128 else 0
    flat = Image.new("RGB", im.size, (shade, shade, shade))
    flat.paste(im.convert("RGB"), mask=alpha)
    return flat, f"put the transparent parts on {'white' if shade else 'black'}"


# --- prepare -----------------------------------------------------------------------------------
def _open_checked(data: bytes, kind: str) -> Image.Image:
    """Open with Pillow, refusing bombs; verify the whole file, then re-open lazily for decoding."""
    try:
        with Image.open(io.BytesIO(data), formats=[kind.upper()]) as probe:
            probe.verify()
        return Image.open(io.BytesIO(data), formats=[kind.upper()])
    except Image.DecompressionBombError:
        size = image_header_size(data, kind) or (0, 0)
        raise _too_many_pixels(*size) from None
    except _DECODE_ERRORS as exc:
        raise _damaged(data, kind) from exc


def _damaged(data: bytes, kind: str) -> InputError:
    if _ends_early(data, kind):
        return InputError("This image is damaged or incomplete (it ends early).", field="image")
    return InputError(
        f"This {kind.upper()} image is damaged (its data is corrupt) and can't be read.", field="image"
    )


@dataclass(frozen=True)
class Framing:
    """Where a crop sits in the image: an anchor (0 left/top .. 1 right/bottom) and a zoom (1 = widest)."""

    x: float = 0.5
    y: float = 0.5
    zoom: float = 1.0

    MAX_ZOOM = 4.0

    def __post_init__(self) -> None:
        for name, value, low, high in (
            ("x", self.x, 0.0, 1.0),
            ("y", self.y, 0.0, 1.0),
            ("zoom", self.zoom, 1.0, self.MAX_ZOOM),
        ):
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not low <= float(value) <= high
            ):
                raise InputError(f"The framing's {name} must be from {low:g} to {high:g}.", field="crop")

    @classmethod
    def parse(cls, text: str | None) -> Framing:
        """`"x,y,zoom"` as the library stores it (None or empty: centred, widest)."""
        if not text:
            return cls()
        try:
            x, y, zoom = (float(part) for part in str(text).split(","))
        except ValueError:
            raise InputError("The framing is not three numbers x,y,zoom.", field="crop") from None
        return cls(x, y, zoom)

    def __str__(self) -> str:
        return f"{self.x:.3g},{self.y:.3g},{self.zoom:.3g}"

    @property
    def centred(self) -> bool:
        return (self.x, self.y, self.zoom) == (0.5, 0.5, 1.0)


def prepare_image(
    data: bytes,
    aspect_ratio: str,
    *,
    fit: str = "crop",
    long_side: int = 1280,
    framing: Framing | None = None,
) -> PreparedImage:
    """Check an uploaded image and make it ready to send: upright, RGB, at the ratio, ≤ long_side.

    Every rejection is an `InputError(field="image")` with a message fit for the form.
    """
    if fit not in FITS:
        raise InputError(f"Unknown fit {fit!r}: use crop or fit.", field="fit")
    if long_side < MIN_SIDE:
        raise ValueError(f"long_side must be at least {MIN_SIDE}")
    ratio = parse_ratio(aspect_ratio)
    data = bytes(data)
    _check_size(len(data), "image", "image")
    kind = sniff_image_type(data)
    if kind is None:
        what = describe_content(data)
        looks = f" (it looks like {what})" if what else ""
        raise InputError(f"This file is not a PNG, JPEG or WebP image{looks}.", field="image")
    header = image_header_size(data, kind)
    if header is not None:
        if header[0] * header[1] > MAX_PIXELS:
            raise _too_many_pixels(*header)
        if header[0] <= 0 or header[1] <= 0:
            raise _damaged(data, kind)
        checks.check_aspect(*header)

    im = _open_checked(data, kind)
    try:
        stored_w, stored_h = im.size
        if stored_w * stored_h > MAX_PIXELS:
            raise _too_many_pixels(stored_w, stored_h)
        if min(stored_w, stored_h) < MIN_SIDE:
            raise InputError(
                f"This image is only {stored_w}×{stored_h} pixels; use one at least {MIN_SIDE} "
                "pixels on each side.",
                field="image",
            )
        checks.check_aspect(stored_w, stored_h)
        orientation = _exif_orientation(im)
        turned = orientation in (5, 6, 7, 8)
        orig_w, orig_h = (stored_h, stored_w) if turned else (stored_w, stored_h)
        target = ratio if ratio is not None else Fraction(orig_w, orig_h)
        box_w, box_h = _ratio_box(orig_w, orig_h, target, inside=(fit == "crop"))
        out_w, out_h = _scaled(box_w, box_h, long_side)
        scale = out_w / box_w
        if kind == "jpeg" and scale < 0.5:
            # Let libjpeg decode at 1/2, 1/4 or 1/8 scale: far faster, and still ≥ what we need.
            need_w = math.ceil(stored_w * scale) + 1
            need_h = math.ceil(stored_h * scale) + 1
            im.draft("RGB", (need_w, need_h))
        # Bounded decode: refuse what would not fit the budget, then reduce a band at a time.
        checks.check_decode_budget(*im.size, im.mode, kind)
        im.load()
        top = _top_value(im)
        factor = checks.reduce_factor(scale * stored_w / im.size[0], *im.size)
        im = checks.reduce_in_bands(im, factor, lambda band: _normalise_mode(_to_srgb(band), top))
        if 2 <= orientation <= 8:
            im = im.transpose(_ORIENTATION_TRANSPOSE[orientation])
        im, alpha_note = _flatten(im)
    except InputError:
        raise
    except Image.DecompressionBombError:
        raise _too_many_pixels(*im.size) from None
    except _DECODE_ERRORS as exc:
        raise _damaged(data, kind) from exc

    # The decoded picture may be smaller than the original (draft); work in its own pixels.
    dec_w, dec_h = im.size
    frame = framing or Framing()
    if fit == "crop":
        crop_w = max(1, min(dec_w, round(box_w * dec_w / orig_w / frame.zoom)))
        crop_h = max(1, min(dec_h, round(box_h * dec_h / orig_h / frame.zoom)))
        left, top = round((dec_w - crop_w) * frame.x), round((dec_h - crop_h) * frame.y)
        picture = im.resize(
            (out_w, out_h),
            Image.Resampling.LANCZOS,
            box=(left, top, left + crop_w, top + crop_h),
            reducing_gap=3.0,
        )
    else:
        picture = _letterbox(im, out_w, out_h, box_w, box_h, orig_w, orig_h)

    changed_shape = (box_w, box_h) != (orig_w, orig_h) and abs(box_w - orig_w) + abs(box_h - orig_h) > 2
    parts: list[str] = []
    if 2 <= orientation <= 8:
        parts.append("turned upright (as the camera recorded it)")
    if fit == "crop" and not frame.centred:
        parts.append(f"framed at {frame.zoom:g}× zoom" if frame.zoom > 1 else "framed off-centre")
    if changed_shape and fit == "crop":
        parts.append(f"cropped to {aspect_ratio}")
    elif changed_shape:
        parts.append(f"fitted to {aspect_ratio} on a blurred background")
    if alpha_note:
        parts.append(alpha_note)
    if (out_w, out_h) != (box_w, box_h):
        parts.append(f"scaled from {orig_w}×{orig_h} to {out_w}×{out_h}")
    elif changed_shape:
        parts.append(f"now {out_w}×{out_h}")
    if parts:
        note = _sentence(parts)
    else:
        note = f"Kept at {out_w}×{out_h}" + (f" (already {aspect_ratio})." if ratio is not None else ".")

    picture.info = {}  # no EXIF, ICC, comments or other metadata leave the studio
    buf = io.BytesIO()
    picture.save(buf, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return PreparedImage(
        data=buf.getvalue(),
        media_type="image/jpeg",
        width=out_w,
        height=out_h,
        original_format=kind,
        original_width=orig_w,
        original_height=orig_h,
        original_bytes=len(data),
        note=note,
    )


def _sentence(parts: list[str]) -> str:
    text = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return text[0].upper() + text[1:] + "."


def _letterbox(
    im: Image.Image, out_w: int, out_h: int, box_w: int, box_h: int, orig_w: int, orig_h: int
) -> Image.Image:
    """The whole picture, centred on a blurred, darkened, cover-cropped copy of itself."""
    fg_w = max(1, min(out_w, round(orig_w * out_w / box_w)))
    fg_h = max(1, min(out_h, round(orig_h * out_h / box_h)))
    foreground = im.resize((fg_w, fg_h), Image.Resampling.LANCZOS, reducing_gap=3.0)
    if (fg_w, fg_h) == (out_w, out_h):
        return foreground
    # The background is made small (blur is cheap there and looks the same), then enlarged.
    small_w, small_h = max(1, out_w // 8), max(1, out_h // 8)
    dec_w, dec_h = im.size
    cw, ch = _ratio_box(dec_w, dec_h, Fraction(out_w, out_h), inside=True)
    left, top = (dec_w - cw) // 2, (dec_h - ch) // 2
    background = im.resize(
        (small_w, small_h), Image.Resampling.BILINEAR, box=(left, top, left + cw, top + ch)
    )
    background = background.filter(ImageFilter.GaussianBlur(radius=max(2, small_w // 24)))
    background = ImageEnhance.Brightness(background).enhance(0.45)
    background = background.resize((out_w, out_h), Image.Resampling.BICUBIC)
    background = background.filter(ImageFilter.GaussianBlur(radius=4))
    background.paste(foreground, ((out_w - fg_w) // 2, (out_h - fg_h) // 2))
    return background


# --- video -------------------------------------------------------------------------------------
def _open_video(
    source: bytes | Path, field: str = "video", *, upload: bool = True
) -> tuple[av.container.InputContainer, int]:
    """Open a video for reading; `upload=False` skips the upload size limit (our own outputs)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        size = len(data)
        head = data[:4096]
        stream_in: object = io.BytesIO(data)
    else:
        path = Path(source)
        try:
            size = path.stat().st_size
            with path.open("rb") as fh:
                head = fh.read(4096)
        except OSError:
            raise InputError("The video file is missing or can't be read.", field=field) from None
        stream_in = str(path)
    if upload:
        _check_size(size, "video", field)
    elif size == 0:
        raise InputError("The file is empty.", field=field)
    if sniff_image_type(head) or head.startswith((b"GIF87a", b"GIF89a")):
        raise InputError(
            "This file is an image, not a video. Use image to video to animate a still.", field=field
        )
    if _looks_like_text(head) or head.startswith(b"%PDF"):
        what: str | None = describe_content(head) or "a text file"
        raise InputError(f"This file is not a video we can read (it looks like {what}).", field=field)
    try:
        container = av.open(stream_in, mode="r")
    except _AV_ERRORS:
        what = describe_content(head)
        looks = f" (it looks like {what})" if what and "video" not in what else ""
        raise InputError(f"This file is not a video we can read{looks}.", field=field) from None
    try:
        _video_stream(container, field)
        if not set(container.format.name.split(",")) & _VIDEO_CONTAINERS:
            raise InputError("This file is not a video we can read.", field=field)
    except InputError:
        container.close()
        raise
    return container, size


def _video_stream(
    container: av.container.InputContainer, field: str = "video"
) -> av.video.stream.VideoStream:
    attached = av.stream.Disposition.attached_pic
    streams = [s for s in container.streams.video if not (s.disposition & attached)]
    if not streams:
        if container.streams.audio:
            raise InputError("This file has no video stream (it is audio only).", field=field)
        raise InputError("This file has no video stream.", field=field)
    return streams[0]


def probe_video(source: bytes | Path, *, limits: checks.SourceLimits | None = None) -> VideoInfo:
    """Check a video before it is used: size, a real video stream, a length, a decodable frame.

    Within `limits` (a model's, else the studio's): resolution and declared length are read from the
    headers and the frames counted (not decoded) before the first frame is decoded.
    """
    limits = limits or checks.SourceLimits()
    container, size = _open_video(source)
    try:
        stream = _video_stream(container)
        has_audio = bool(container.streams.audio)
        fps_q = stream.average_rate or stream.guessed_rate or stream.base_rate
        fps = float(fps_q) if fps_q else 0.0
        declared = 0.0
        if stream.duration and stream.time_base:
            declared = float(stream.duration * stream.time_base)
        elif container.duration:
            declared = container.duration / av.time_base
        codec = stream.codec_context
        if codec is None:  # a stream PyAV cannot even describe is no video the studio can use
            raise InputError("This video's picture stream cannot be read.", field="video")
        checks.check_source_header(codec.width, codec.height, declared, limits)
        try:
            frames = checks.count_packets(container, stream, limits.max_packets)
        except _AV_ERRORS:
            frames = 0
        checks.check_source_frames(frames, declared, limits)
        duration = declared if declared > 0 else (frames / fps if fps else 0.0)
        checks.check_source_header(0, 0, duration, limits)
        try:
            first = next(container.decode(stream), None)
        except _AV_ERRORS:
            first = None
        if first is None:
            raise InputError("This video is damaged: not a single frame could be decoded.", field="video")
        if round(duration, 3) <= 0:  # a few microseconds (a broken time base) is no length either
            raise InputError("This video has no length (zero seconds).", field="video")
        width = stream.codec_context.width or first.width
        height = stream.codec_context.height or first.height
        checks.check_source_header(int(width), int(height), duration, limits)
        return VideoInfo(
            duration=round(duration, 3),
            width=int(width),
            height=int(height),
            codec=stream.codec_context.name or "unknown",
            fps=round(fps, 3),
            size_bytes=size,
            has_audio=has_audio,
        )
    finally:
        container.close()


def _frame_image(frame: av.VideoFrame, stream: av.video.stream.VideoStream) -> Image.Image:
    """A decoded frame as the viewer sees it: square pixels, rotation applied."""
    image = frame.to_image()
    sar = stream.sample_aspect_ratio
    if sar and sar != 1 and sar > 0:
        image = image.resize((max(1, round(image.width * sar)), image.height), Image.Resampling.BICUBIC)
    rotation = int(getattr(frame, "rotation", 0) or 0) % 360
    if rotation:
        # The display matrix says how far to turn counter-clockwise to show the frame upright.
        image = image.rotate(rotation, expand=True)
    return image


def _seconds(frame: av.VideoFrame) -> float:
    return float(frame.time) if frame.time is not None else 0.0


def _poster_time(duration: float) -> float:
    return 1.0 if duration >= 2.0 else duration / 2


def _grab(video: Path, at: float | None | Callable[[float], float]) -> Image.Image:
    """The frame at `at` seconds (a function of the duration, or the last frame if None).

    Seeks to the keyframe before the wanted time, then decodes forward from there.
    """
    container, _ = _open_video(Path(video), upload=False)
    try:
        stream = _video_stream(container)
        stream.thread_type = "AUTO"
        duration = 0.0
        if stream.duration and stream.time_base:
            duration = float(stream.duration * stream.time_base)
        elif container.duration:
            duration = container.duration / av.time_base
        start = float(stream.start_time * stream.time_base) if stream.start_time and stream.time_base else 0.0
        if callable(at):
            at = at(duration)
        target = at if at is not None else max(0.0, duration - 1.0)
        chosen = None
        for attempt in range(2):
            if attempt == 0 and target > 0.5 and stream.time_base:
                try:
                    container.seek(int((start + target) / stream.time_base), stream=stream, backward=True)
                except _AV_ERRORS:
                    continue
            elif attempt == 1:
                container.seek(0)
            try:
                for frame in container.decode(stream):
                    chosen = frame
                    if at is not None and _seconds(frame) - start >= at:
                        break
            except _AV_ERRORS:
                pass
            if chosen is not None:
                break
        if chosen is None:
            raise InputError("This video is damaged: not a single frame could be decoded.", field="video")
        return _frame_image(chosen, stream)
    finally:
        container.close()


def make_poster(video: Path, out: Path, *, width: int = 480) -> Path:
    """A JPEG thumbnail of a representative frame (1 s in, or the middle of a short clip)."""
    image = _grab(Path(video), _poster_time)
    height = max(2, round(image.height * width / image.width / 2) * 2)
    image = image.convert("RGB").resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=82, optimize=True, progressive=True)
    return atomic_write_bytes(Path(out), buf.getvalue())


def frame_at(video: Path, seconds: float) -> bytes:
    """The frame shown at `seconds` into a video, as PNG bytes (past the end: the last frame)."""
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, (int, float))
        or not math.isfinite(seconds)
        or seconds < 0
    ):
        raise InputError("Pick a time from the start of the video.", field="frame_time")
    image = _grab(Path(video), float(seconds))
    buf = io.BytesIO()
    image.convert("RGB").save(buf, "PNG", compress_level=6)
    return buf.getvalue()


def last_frame(video: Path) -> bytes:
    """The final frame of a video as PNG bytes (e.g. to animate it further)."""
    image = _grab(Path(video), None)
    buf = io.BytesIO()
    image.convert("RGB").save(buf, "PNG", compress_level=6)
    return buf.getvalue()
