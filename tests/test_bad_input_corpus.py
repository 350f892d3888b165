"""The bad-input corpus: every broken upload, odd prompt and hand-edited request is refused clearly.

The corpus is written by the tests themselves into `tests/data/generated/` (git-ignored) from
`factories`; nothing is downloaded. Every case drives `JobManager.prepare` and `JobManager.submit`
against a real local gateway. A refused case must raise a short, plain `InputError` at the right
field, with no request reaching the gateway and no take (or stored input) left behind. A good case
must prepare, submit and complete, with the prompt kept exactly as typed.
"""

from __future__ import annotations

import io
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hostile_media
import pytest
from PIL import Image

import factories
from studio.api.v1 import V1Backend
from studio.errors import InputError
from studio.jobs import JobManager, Prepared, TakeRequest
from studio.library import Library, account_fingerprint

GENERATED = Path(__file__).parent / "data" / "generated"
KEY = "varg_corpus_key_0123456789"

HTML_PROMPT = "<script>alert(1)</script><img src=x onerror=alert(2)> a fox in the snow & <b>stars</b>"
RTL_EMOJI_PROMPT = "שקיעה מעל הים 🌅🌊 غروب الشمس فوق البحر 🐟 — sunset over the sea"
# Joiners and non-ASCII spaces are part of real text: a ZWJ emoji sequence (artist), a Persian
# word that needs its zero-width non-joiner, a no-break space and an ideographic space.
JOINED_TEXT_PROMPT = "👩\u200d🎨 paints می\u200cخواهم at 10\u00a0km, 東京\u3000夜"


# --- the corpus on disk ------------------------------------------------------------------------
def _corpus_bytes() -> dict[str, bytes]:
    photo = factories.photo(640, 480)
    return {
        # images for image-to-video
        "corrupt.png": factories.corrupt_png(),
        "truncated.jpg": factories.truncated_jpeg(),
        "animation.gif": factories.gif_bytes(),
        "fine.webp": factories.photo(640, 360, fmt="WEBP"),
        "bomb.png": factories.png_bomb(),
        "jpeg-named.png": photo,
        "document-named.png": factories.pdf_bytes(),
        "archive-named.jpg": factories.zip_bytes(),
        "orientation-3.jpg": factories.oriented_jpeg(3),
        "orientation-6.jpg": factories.oriented_jpeg(6),
        "orientation-8.jpg": factories.oriented_jpeg(8),
        "sixteen-bit.png": factories.png_16bit(),
        "cmyk.jpg": factories.cmyk_jpeg(),
        "palette-transparent.png": factories.palette_png_with_transparency(),
        "empty.png": b"",
        "empty.jpg": b"",
        # sources for remix
        "oversized.mp4": factories.oversized_video(60),
        "audio-only.mp4": factories.audio_only_mp4(),
        "empty.mp4": b"",
        "text-named.mp4": b"These are my notes for the shoot, not a video.\nScene 1: the harbour.\n",
        "truncated.mp4": factories.truncated_mp4(),
        "tiny.mp4": factories.mp4(1.0),
        "photo-named.mp4": photo,
        # hostile files (adversarial test): tiny files that declare huge work
        "ten-hours.mp4": hostile_media.stretched_mp4(),
        "sparse-frames.mp4": hostile_media.stretched_mp4(frames=4, seconds_between=30),
        "above-4k.mp4": hostile_media.plain_mp4((4160, 64)),
        "wider-than-sora.mp4": hostile_media.plain_mp4((2000, 64)),
        "sliver.png": _png(16, 20000),
        "strip.png": _png(20000, 16),
    }


def _png(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (90, 60, 30)).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture(scope="session")
def corpus() -> dict[str, Path]:
    """Writes the corpus to tests/data/generated/ (atomically; the folder is git-ignored)."""
    GENERATED.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for name, data in _corpus_bytes().items():
        path = GENERATED / name
        tmp = path.with_name(f".{name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        paths[name] = path
    return paths


# --- the cases ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    id: str
    request: Callable[[dict[str, Path]], TakeRequest]
    field: str | None = None  # the control a refusal names; None: the input is good
    words: str = ""  # what a refusal's message must say (case-insensitive)
    check: Callable[[Prepared], None] | None = None  # more checks for a good input
    marks: tuple[Any, ...] = ()


def _image(name: str, ratio: str = "16:9", **extra: Any) -> Callable[[dict[str, Path]], TakeRequest]:
    def build(corpus: dict[str, Path]) -> TakeRequest:
        return TakeRequest(
            mode="image-to-video",
            model="sora-2",
            prompt="slow push in",
            duration=4,
            aspect_ratio=ratio,
            image=corpus[name].read_bytes(),
            image_name=name,
            **extra,
        )

    return build


def _remix(name: str) -> Callable[[dict[str, Path]], TakeRequest]:
    def build(corpus: dict[str, Path]) -> TakeRequest:
        return TakeRequest(
            mode="remix",
            model="sora-2-remix",
            prompt="film noir",
            source_video=corpus[name].read_bytes(),
            source_name=name,
        )

    return build


def _text(**changes: Any) -> Callable[[dict[str, Path]], TakeRequest]:
    values: dict[str, Any] = {
        "mode": "text-to-video",
        "model": "sora-2",
        "prompt": "a lighthouse at dusk, rain",
        "duration": 4,
        "aspect_ratio": "16:9",
    }
    values.update(changes)
    return lambda corpus: TakeRequest(**values)


def _marker_corner(prepared: Prepared) -> str:
    """Which corner of the prepared picture holds the red marker block."""
    assert prepared.image is not None
    im = Image.open(io.BytesIO(prepared.image.data)).convert("RGB")
    w, h = im.size
    corners = {
        "top-left": (w // 16, h // 16),
        "top-right": (w - 1 - w // 16, h // 16),
        "bottom-left": (w // 16, h - 1 - h // 16),
        "bottom-right": (w - 1 - w // 16, h - 1 - h // 16),
    }

    def redness(xy: tuple[int, int]) -> int:
        r, g, b = im.getpixel(xy)
        return r - (g + b) // 2

    return max(corners, key=lambda name: redness(corners[name]))


def _upright(corner: str, portrait: bool) -> Callable[[Prepared], None]:
    def check(prepared: Prepared) -> None:
        assert prepared.image is not None
        assert (prepared.image.height > prepared.image.width) == portrait
        assert _marker_corner(prepared) == corner
        assert "upright" in prepared.image.note

    return check


def _not_flat(prepared: Prepared) -> None:
    assert prepared.image is not None
    im = Image.open(io.BytesIO(prepared.image.data)).convert("L")
    low, high = im.getextrema()
    assert high - low > 40, "the picture came out flat"


def _prompt_is(text: str) -> Callable[[Prepared], None]:
    def check(prepared: Prepared) -> None:
        assert prepared.prompt == text

    return check


def _snapped(words: str, value: int) -> Callable[[Prepared], None]:
    def check(prepared: Prepared) -> None:
        assert prepared.duration == value
        assert prepared.snap is not None and prepared.snap.snapped
        assert any(words in w for w in prepared.warnings), prepared.warnings

    return check


def _clean_control(prepared: Prepared) -> None:
    assert prepared.prompt.startswith("a calm sea")
    assert "at dawn" in prepared.prompt
    assert all(ch.isprintable() for ch in prepared.prompt)


def _warns_about_upload(prepared: Prepared) -> None:
    assert prepared.source_video is not None and prepared.source_video.duration > 0
    assert any("may reject it" in w for w in prepared.warnings)


CASES: list[Case] = [
    # images
    Case("corrupt-png", _image("corrupt.png"), "image", "damaged"),
    Case("truncated-jpeg", _image("truncated.jpg"), "image", "damaged or incomplete"),
    Case("gif", _image("animation.gif"), "image", "GIF"),
    Case("webp-is-fine", _image("fine.webp"), check=_not_flat),
    Case("png-bomb", _image("bomb.png"), "image", "megapixels"),
    Case("jpeg-named-png", _image("jpeg-named.png"), check=_not_flat),
    Case("pdf-named-png", _image("document-named.png"), "image", "PDF"),
    Case("zip-named-jpg", _image("archive-named.jpg"), "image", "ZIP"),
    Case("exif-orientation-3", _image("orientation-3.jpg", "auto"), check=_upright("bottom-right", False)),
    Case("exif-orientation-6", _image("orientation-6.jpg", "auto"), check=_upright("top-right", True)),
    Case("exif-orientation-8", _image("orientation-8.jpg", "auto"), check=_upright("bottom-left", True)),
    Case("png-16-bit", _image("sixteen-bit.png"), check=_not_flat),
    Case("cmyk-jpeg", _image("cmyk.jpg"), check=_not_flat),
    Case("palette-png-transparent", _image("palette-transparent.png"), check=_not_flat),
    Case("zero-byte-png", _image("empty.png"), "image", "empty"),
    Case("zero-byte-jpg", _image("empty.jpg"), "image", "empty"),
    Case("unknown-fit", _image("fine.webp", fit="stretch"), "fit", "crop or fit"),
    Case("image-mode-without-image", _text(mode="image-to-video"), "image", "upload an image"),
    # remix sources
    Case("oversized-mp4", _remix("oversized.mp4"), "video", "50 MB"),
    Case("audio-only-mp4", _remix("audio-only.mp4"), "video", "audio only"),
    Case("zero-length-mp4", _remix("empty.mp4"), "video", "empty"),
    Case("text-named-mp4", _remix("text-named.mp4"), "video", "text file"),
    Case("truncated-mp4", _remix("truncated.mp4"), "video", "not a video we can read"),
    Case("photo-named-mp4", _remix("photo-named.mp4"), "video", "image, not a video"),
    Case("tiny-mp4-is-fine", _remix("tiny.mp4"), check=_warns_about_upload),
    Case("ten-hour-mp4-of-2-kb", _remix("ten-hours.mp4"), "video", "10 h 0 min"),
    Case("frames-do-not-fill-length", _remix("sparse-frames.mp4"), "video", "timing is broken"),
    Case("source-above-4k", _remix("above-4k.mp4"), "video", "4160×64"),
    Case("source-above-the-models-limit", _remix("wider-than-sora.mp4"), "video", "up to 1920 pixels"),
    Case("image-16x20000", _image("sliver.png"), "image", "8:1"),
    Case("image-20000x16", _image("strip.png"), "image", "8:1"),
    Case("remix-without-source", _text(mode="remix", model="sora-2-remix"), "source", "gallery take"),
    Case("remix-of-unknown-take", _text(mode="remix", model="sora-2-remix", source_take_id="nope"), "source"),
    # prompts
    Case("empty-prompt", _text(prompt=""), "prompt", "prompt"),
    Case("whitespace-prompt", _text(prompt=" \n\t\u3000 "), "prompt", "prompt"),
    Case("over-long-prompt", _text(prompt="x" * 4001), "prompt", "4,001"),
    Case("longest-prompt", _text(prompt="y" * 4000), check=_prompt_is("y" * 4000)),
    Case("html-prompt-is-plain-text", _text(prompt=HTML_PROMPT), check=_prompt_is(HTML_PROMPT)),
    Case(
        "control-chars-cleaned",
        _text(prompt="a calm sea\x00 at dawn\x07\x1b\ud800\x7f"),
        check=_clean_control,
    ),
    Case("only-control-chars", _text(prompt="\x00\x01\x1b\x7f"), "prompt", "prompt"),
    Case("rtl-and-emoji", _text(prompt=RTL_EMOJI_PROMPT), check=_prompt_is(RTL_EMOJI_PROMPT)),
    Case(
        "joiners-and-no-break-spaces-kept",
        _text(prompt=JOINED_TEXT_PROMPT),
        check=_prompt_is(JOINED_TEXT_PROMPT),
    ),
    Case("prompt-not-text", _text(prompt=None), "prompt", "prompt"),
    Case("prompt-a-number", _text(prompt=12345), "prompt", "prompt"),
    # hand-edited session state: models and modes
    Case("unknown-model", _text(model="sora-9"), "model", "unknown model"),
    Case("empty-model", _text(model=""), "model", "unknown model"),
    Case("model-none", _text(model=None), "model", "unknown model"),
    Case("remix-model-in-text-mode", _text(model="sora-2-remix"), "model", "does not do"),
    Case("text-model-in-remix-mode", _text(mode="remix"), "model", "does not do"),
    Case("unknown-mode", _text(mode="video-to-audio"), "mode", "unknown mode"),
    # durations
    Case("duration-zero", _text(duration=0), "duration", "positive"),
    Case("duration-negative", _text(duration=-1), "duration", "positive"),
    Case("duration-7.5-snaps", _text(duration=7.5), check=_snapped("7.5 s became 8 s", 8)),
    # (on wan-2.5, whose longest take is 10 s, to keep the render short)
    Case("duration-huge-snaps", _text(model="wan-2.5", duration=10**9), check=_snapped("became 10 s", 10)),
    Case("duration-nan", _text(duration=float("nan")), "duration", "number"),
    Case("duration-infinite", _text(duration=float("inf")), "duration", "number"),
    Case("duration-ten", _text(duration="ten"), "duration", "number"),
    Case("duration-true", _text(duration=True), "duration", "number"),
    Case(
        "duration-astronomical",
        _text(duration=10**400),
        "duration",
        "number",
    ),
    # ratios
    Case("ratio-4-3-on-sora", _text(aspect_ratio="4:3"), "aspect_ratio", "aspect ratios"),
    Case("ratio-auto-in-text-mode", _text(aspect_ratio="auto"), "aspect_ratio", "aspect ratios"),
    Case("ratio-with-space", _text(aspect_ratio="16:9 "), "aspect_ratio", "aspect ratios"),
    Case("ratio-a-number", _text(aspect_ratio=169), "aspect_ratio", "aspect ratios"),
    Case("ratio-image-21-9", _image("fine.webp", "21:9"), "aspect_ratio", "aspect ratios"),
    Case("ratio-vertical-is-fine", _text(aspect_ratio="9:16")),
    # variants
    Case("variants-zero", _text(variants=0), "variants", "between 1 and 4"),
    Case("variants-five", _text(variants=5), "variants", "between 1 and 4"),
    Case("variants-a-string", _text(variants="2"), "variants", "between 1 and 4"),
    Case("variants-negative", _text(variants=-1), "variants", "between 1 and 4"),
    Case("variants-float", _text(variants=2.0), "variants", "between 1 and 4"),
]

_NOISE = ("Traceback", "<class", "object at 0x", "Error(", 'File "', "\n  ")


def _assert_clear(err: InputError, field: str, words: str) -> None:
    message = err.message
    assert isinstance(message, str) and message.strip(), "empty message"
    assert len(message) < 200, f"too long for a form: {message!r}"
    for noise in _NOISE:
        assert noise not in message, f"{noise!r} in {message!r}"
    assert str(err) == message
    assert err.field == field, f"field {err.field!r}, expected {field!r}: {message}"
    assert words.lower() in message.lower(), f"{words!r} not in {message!r}"


def _state(mgr: JobManager) -> tuple[int, int, list[str]]:
    """The account's takes, open takes of any account, every media file: what a refusal must not change."""
    lib = mgr.library
    files = sorted(str(p.relative_to(lib.media_root)) for p in lib.media_root.rglob("*") if p.is_file())
    return sum(1 for _ in lib.list(mgr.account, limit=None)), len(lib.open_takes()), files


def _wait_done(mgr: JobManager, take_id: str, timeout: float = 90.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        take = mgr.library.get(take_id)
        if take is not None and not take.is_open:
            return take
        time.sleep(0.05)
    raise AssertionError(f"take still open: {mgr.library.get(take_id)}")


@pytest.fixture
def mgr(gateway, studio_home):
    client = V1Backend(gateway.v1_url, KEY, timeout=(2.0, 10.0), backoff=0.05)
    m = JobManager(
        client, Library(studio_home), account_fingerprint(KEY), poll_interval=0.3, retry_backoff=0.05
    )
    yield m
    m.shutdown()
    client.close()


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=c.marks) for c in CASES])
def test_every_case_is_refused_clearly_or_goes_through_whole(case: Case, corpus, mgr, gateway):
    req = case.request(corpus)
    before = _state(mgr)
    assert before[:2] == (0, 0)
    if case.field is not None:
        with pytest.raises(InputError) as prepared_err:
            mgr.prepare(req)
        _assert_clear(prepared_err.value, case.field, case.words)
        with pytest.raises(InputError) as submitted_err:
            mgr.submit(req, f"corpus-{case.id}")
        _assert_clear(submitted_err.value, case.field, case.words)
        assert submitted_err.value.message == prepared_err.value.message
        assert gateway.stats()["requests"] == {}, "a refused input reached the gateway"
        assert gateway.stats()["creates"] == 0
        assert _state(mgr) == before, "a refused input left state behind"
        return

    prepared = mgr.prepare(req)
    if case.check is not None:
        case.check(prepared)
    assert gateway.stats()["requests"] == {}, "prepare must not call the gateway"
    result = mgr.submit(prepared, f"corpus-{case.id}")
    assert result.created and len(result.takes) == 1
    take = _wait_done(mgr, result.takes[0].id)
    assert take.status == "completed", take.error
    assert take.prompt == prepared.prompt
    assert take.video_path and mgr.library.path(take.video_path).stat().st_size > 1000
    assert gateway.stats()["creates"] == 1
    assert mgr.library.count(mgr.account) == 1


def test_the_corpus_is_written_by_the_tests_into_the_ignored_folder(corpus):
    assert set(corpus) == set(_corpus_bytes())
    for name, path in corpus.items():
        assert path.parent == GENERATED and path.name == name
    assert corpus["oversized.mp4"].stat().st_size == 60 * 1024 * 1024
    assert corpus["empty.mp4"].stat().st_size == 0
    ignored = (Path(__file__).parent.parent / ".gitignore").read_text()
    assert "/tests/data/generated/" in ignored


def test_a_refused_form_then_a_fixed_one_makes_exactly_one_take(corpus, mgr, gateway):
    bad = _image("document-named.png")(corpus)
    with pytest.raises(InputError):
        mgr.submit(bad, "form-1")
    good = TakeRequest(
        **{**bad.__dict__, "image": corpus["fine.webp"].read_bytes(), "image_name": "fine.webp"}
    )
    take = _wait_done(mgr, mgr.submit(good, "form-1").takes[0].id)
    assert take.status == "completed", take.error
    assert gateway.stats()["creates"] == 1
    assert [t.id for t in mgr.library.list(mgr.account)] == [take.id]
