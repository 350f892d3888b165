"""What a creation form asks for, checked and prepared before anything is spent (no API call)."""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass

from studio import catalog, media, media_checks
from studio.api.request import VideoRequest
from studio.catalog import Catalog, Estimate, Model, Snap
from studio.errors import InputError
from studio.library import Library, Take
from studio.media import PreparedImage, VideoInfo
from studio.take import Mode

MAX_SEED = 2**31 - 1


@dataclass(frozen=True)
class TakeRequest:
    """What a creation form asks for, as plain values."""

    mode: str
    model: str
    prompt: str
    duration: float | None = None
    aspect_ratio: str | None = None
    variants: int = 1
    image: bytes | None = None
    image_name: str | None = None
    fit: str = "crop"
    source_take_id: str | None = None
    source_video: bytes | None = None
    source_name: str | None = None
    seed: int | None = None  # the first variant's seed (others follow it); None: a new random seed
    audio: bool = False
    crop: str | None = None  # image-to-video framing, `media.Framing` as text "x,y,zoom"
    frame_time: float | None = None  # animate the frame at this time of the source take (None: last)
    end_image: bytes | None = None  # an end frame, for models that take one
    end_image_name: str | None = None
    original_file: str | None = None  # a kept original image (library path) this request re-frames
    # Where it comes from and what it records (no effect on what is sent):
    parent_id: str | None = None
    relation: str | None = None  # a take.Relation value
    camera: str | None = None  # the camera preset whose phrase is in the prompt
    shot: str | None = None  # the shot card (JSON) the prompt was composed from
    sweep_id: str | None = None
    continues_shot: str | None = None  # a storyboard shot: the new takes join the shot after it


@dataclass(frozen=True)
class Prepared:
    """A request with every check passed and every input prepared; nothing spent yet."""

    request: TakeRequest
    model: Model
    prompt: str
    duration: int | None
    snap: Snap | None
    aspect_ratio: str | None
    estimate: Estimate  # the catalogue's figure; the exact one comes from the gateway
    image: PreparedImage | None
    source_video: VideoInfo | None
    source_take: Take | None
    warnings: tuple[str, ...]
    seeds: tuple[int | None, ...]  # one per variant
    end_image: PreparedImage | None = None

    def video_request(self, variant: int = 0, files: tuple[str, ...] = ()) -> VideoRequest:
        """The create this variant will send (the estimate prices exactly this)."""
        return VideoRequest(
            model=self.model.id,
            prompt=self.prompt,
            duration=self.duration,
            aspect_ratio=self.aspect_ratio,
            files=files,
            seed=self.seeds[variant] if variant < len(self.seeds) else None,
            audio=self.request.audio and self.model.audio,
        )

    @property
    def identical_variants(self) -> bool:
        """Several variants of a model without seeds: varg may answer them with one cached video."""
        return self.estimate.count > 1 and not self.model.seed


def unavailable_message(cat: Catalog, model: Model, mode: str) -> str:
    alt = cat.alternative(model.id, mode)
    reason = f" ({model.unavailable_reason})" if model.unavailable_reason else ""
    tail = f" Try {alt.label} instead." if alt else " No other model of this kind is available right now."
    return f"{model.label} is not available on varg right now{reason}.{tail}"


def prepare(req: TakeRequest, cat: Catalog, library: Library, account: str) -> Prepared:
    """Check and prepare everything a submission needs. Raises InputError; makes no API call."""
    if req.mode not in catalog.MODES:
        raise InputError(f"Unknown mode {str(req.mode)[:40]!r}.", field="mode")
    model = cat.get(req.model)
    if req.mode not in model.modes:
        raise InputError(
            f"{model.label} does not do {catalog.mode_label(req.mode).lower()}. Pick another model.",
            field="model",
        )
    if not model.available:
        raise InputError(unavailable_message(cat, model, req.mode), field="model")
    prompt = clean_prompt(req.prompt, model.max_prompt_chars)
    variants = catalog.check_variants(req.variants)
    warnings: list[str] = []

    snap: Snap | None = None
    duration: int | None = None
    if not model.inherits_source and model.durations:
        asked = req.duration if req.duration is not None else model.default_duration
        snap = catalog.snap_duration(model, asked)
        duration = snap.value
        if snap.snapped:
            warnings.append(snap.message)
    ratio: str | None = None
    if model.ratios_for(req.mode):
        ratio = catalog.check_ratio(model, req.mode, req.aspect_ratio or model.ratios_for(req.mode)[0])

    image: PreparedImage | None = None
    end_image: PreparedImage | None = None
    source_video: VideoInfo | None = None
    source_take: Take | None = None
    if req.end_image is not None and req.mode != Mode.IMAGE:
        raise InputError("An end frame goes with image-to-video only.", field="end_image")
    if req.source_take_id:
        source_take = library.get(req.source_take_id, account=account)
        if source_take is None or not source_take.video_path:
            raise InputError("That gallery take is gone or has no video yet.", field="source")
    long_side = 1920 if model.resolution == "1080p" else 1280

    if req.mode == Mode.IMAGE:
        if req.fit not in ("crop", "fit"):
            raise InputError("Choose crop or fit.", field="fit")
        framing = media.Framing.parse(req.crop)
        if source_take is not None:
            video = library.path(source_take.video_path or "")
            raw = media.last_frame(video) if req.frame_time is None else media.frame_at(video, req.frame_time)
        elif req.image is not None:
            raw = req.image
        elif req.original_file:
            raw = library.path(req.original_file).read_bytes()
        else:
            raise InputError("Upload an image to animate.", field="image")
        image = media.prepare_image(raw, ratio or "auto", fit=req.fit, long_side=long_side, framing=framing)
        if req.end_image is not None:
            if not model.end_frame:
                raise InputError(
                    f"{model.label} takes no end frame: remove it or pick another model.", field="end_image"
                )
            end_image = media.prepare_image(req.end_image, ratio or "auto", fit=req.fit, long_side=long_side)
    elif req.mode == Mode.REMIX:
        limits = media_checks.source_limits(model)  # refused before anything is spent
        if source_take is not None:
            source_video = media.probe_video(library.path(source_take.video_path or ""), limits=limits)
            warning = catalog.remix_source_warning(model, source_take.model)
        elif req.source_video is not None:
            source_video = media.probe_video(req.source_video, limits=limits)
            warning = catalog.remix_source_warning(model, None, uploaded=True)
        else:
            raise InputError("Choose a gallery take or upload a video to remix.", field="source")
        if warning:
            warnings.append(warning)
        if model.max_source_seconds and source_video.duration > model.max_source_seconds + 0.05:
            warnings.append(
                f"{model.label} uses the first {model.max_source_seconds} s of the source "
                f"({source_video.duration:.1f} s)."
            )
    seeds = variant_seeds(model, variants, req.seed)
    est = catalog.estimate(model, variants, duration, source_video.duration if source_video else None)
    if variants > 1 and not model.seed:
        warnings.append(
            f"{model.label} takes no seed, so identical variants may come back as one cached video "
            "(the copies are free)."
        )
    return Prepared(
        request=req,
        model=model,
        prompt=prompt,
        duration=duration,
        snap=snap,
        aspect_ratio=ratio,
        estimate=est,
        image=image,
        source_video=source_video,
        source_take=source_take,
        warnings=tuple(warnings),
        seeds=seeds,
        end_image=end_image,
    )


def pricing_sketch(
    req: TakeRequest,
    model: Model,
    duration: int | None,
    aspect_ratio: str | None,
    *,
    source_seconds: float | None = None,
) -> Prepared:
    """The submission as far as its price goes: no media work, no API call, a lenient prompt.

    The estimate line prices this while the user types; `prepare` does the full checks at Generate.
    """
    variants = catalog.check_variants(req.variants)
    try:
        text = clean_prompt(req.prompt, model.max_prompt_chars)
    except InputError:
        text = " ".join(str(req.prompt).split())[: model.max_prompt_chars] or "a shot"
    return Prepared(
        request=req,
        model=model,
        prompt=text,
        duration=duration,
        snap=None,
        aspect_ratio=aspect_ratio,
        estimate=catalog.estimate(model, variants, duration, source_seconds),
        image=None,
        source_video=None,
        source_take=None,
        warnings=(),
        seeds=tuple(None for _ in range(variants)),
    )


def variant_seeds(model: Model, variants: int, first: int | None) -> tuple[int | None, ...]:
    """A distinct seed per variant when the model takes seeds (the first may be given: "same seed")."""
    if not model.seed:
        return tuple(None for _ in range(variants))
    if first is None or isinstance(first, bool) or not isinstance(first, int) or not 0 <= first <= MAX_SEED:
        if first is not None:
            raise InputError(f"A seed is a whole number from 0 to {MAX_SEED:,}.", field="seed")
        first = secrets.randbelow(MAX_SEED)
    return tuple((first + i) % (MAX_SEED + 1) for i in range(variants))


def check_affordable(estimate: Estimate, *, balance: int | None, budget_left: int | None) -> None:
    if balance is not None and estimate.total > balance:
        raise InputError(
            f"This needs {estimate.total:,} credits and {balance:,} are available. "
            "Lower the variants or pick a cheaper model.",
            field="submit",
        )
    if budget_left is not None and estimate.total > budget_left:
        raise InputError(
            f"This needs {estimate.total:,} credits and this session's budget has "
            f"{max(budget_left, 0):,} left.",
            field="submit",
        )


def clean_prompt(prompt: object, limit: int = 4000) -> str:
    if not isinstance(prompt, str):
        raise InputError("Write a prompt first.", field="prompt")
    text = "".join(ch for ch in prompt if ch in "\n\t" or not _invisible(ch)).strip()
    if not text:
        raise InputError("Write a prompt first: describe the shot you want.", field="prompt")
    if len(text) > limit:
        raise InputError(
            f"The prompt is {len(text):,} characters; this model takes at most {limit:,}. "
            f"Shorten it by {len(text) - limit:,}.",
            field="prompt",
        )
    return text


# Bidirectional overrides and isolates can disguise a prompt's text; control, surrogate, private and
# unassigned code points carry nothing a model can use. Joiners and non-ASCII spaces are kept.
_BIDI_CONTROLS = frozenset(chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def _invisible(ch: str) -> bool:
    return ch in _BIDI_CONTROLS or unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn")
