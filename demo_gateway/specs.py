"""Create bodies checked against a model: v1 (400 ValidationError) and v2 (422 / 404 / 503) rules, one Spec."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from demo_gateway.catalog import MAX_SEED, Model, cost_cents, find_model, snap_duration
from demo_gateway.errors import HttpError
from demo_gateway.faults import Faults
from demo_gateway.media import Source, source_problem

V1_MAX_PROMPT = 4000
V2_MAX_PROMPT = 2000
MAX_FILES = 10

Resolver = Callable[[str], Source]


@dataclass(frozen=True)
class Spec:
    """A valid create body: what to render and what it costs."""

    model: Model
    mode: str
    prompt: str
    duration: int | None
    aspect_ratio: str
    source: Source | None
    seed: int | None = None
    webhook_url: str | None = None
    billed_units: float = 0.0
    estimate: int = 0  # v2 cents
    warnings: tuple[str, ...] = ()
    input: dict[str, Any] = field(default_factory=dict)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


class _Checker:
    def __init__(self, v1: bool) -> None:
        self.v1 = v1

    def fail(self, message: str, field: str) -> HttpError:
        return HttpError(400 if self.v1 else 422, message, field=field, code="invalid_request")


def _model(body: dict[str, Any], c: _Checker, faults: Faults) -> Model:
    raw = body.get("model")
    if raw is None or raw == "":
        raise c.fail("model is required", "model")
    if not isinstance(raw, str):
        raise c.fail("model must be a string", "model")
    model = find_model(raw)
    if model is None:
        if c.v1:
            raise c.fail(f"Unknown model {raw[:60]!r}.", "model")
        raise HttpError(404, f"Unknown model {raw[:60]!r}.", field="model", code="model_not_found")
    if not c.v1:
        if model.id in faults.gone_models() or model.v1_id in faults.gone_models():
            raise HttpError(404, f"Model {model.id} was not found.", field="model", code="model_not_found")
        if model.id in faults.unpriced_models() or model.v1_id in faults.unpriced_models():
            raise HttpError(503, f"{model.id} has no active price right now.", code="no_pricing")
    return model


def _prompt(body: dict[str, Any], c: _Checker) -> str:
    prompt = body.get("prompt")
    limit = V1_MAX_PROMPT if c.v1 else V2_MAX_PROMPT
    if prompt is None:
        raise c.fail("prompt is required", "prompt")
    if not isinstance(prompt, str):
        raise c.fail("prompt must be a string", "prompt")
    if not prompt.strip():
        raise c.fail("prompt must not be empty", "prompt")
    if len(prompt) > limit:
        raise c.fail(f"prompt must be at most {limit} characters (got {len(prompt)})", "prompt")
    return prompt


def _files(body: dict[str, Any], c: _Checker, resolve: Resolver) -> list[tuple[str, Source]]:
    raw = body.get("files")
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise c.fail("files must be a list of {url} objects", "files")
    if len(raw) > MAX_FILES:
        raise c.fail(f"files takes at most {MAX_FILES} entries", "files")
    out = []
    for i, item in enumerate(raw):
        url = item.get("url") if isinstance(item, dict) else None
        if not isinstance(url, str) or not url:
            raise c.fail(f"files[{i}] must be an object with a url", "files")
        out.append((url, resolve(url)))
    return out


def _mode(model: Model, first: Source | None, c: _Checker) -> str:
    is_video = first is not None and first.media_type.startswith("video/")
    if model.is_edit or is_video:
        mode = "remix"
    elif first is not None and first.media_type.startswith("image/"):
        mode = "image-to-video"
    elif first is not None:
        raise c.fail("files[0] must be an image or a video", "files")
    else:
        mode = "text-to-video"
    if mode not in model.modes:
        if c.v1:
            raise c.fail(f"{model.v1_id} does not do {mode}.", "model")
        raise c.fail(f"{model.id} takes an image in files, not a video (it does not remix).", "files")
    if mode == "remix" and not is_video:
        name = model.v1_id if c.v1 else model.id
        raise c.fail(f"{name} remixes a video: put the source video's URL first in files.", "files")
    if mode == "remix" and first is not None:
        problem = source_problem(first.path)
        if problem:
            raise c.fail(f"files[0]: {problem}.", "files")
    return mode


def _duration(body: dict[str, Any], model: Model, c: _Checker, warnings: list[str]) -> int:
    raw = body.get("duration")
    if raw is None:
        return model.default_duration
    if not _is_number(raw):
        if model.durations:
            raise c.fail(f"duration must be one of {', '.join(str(d) for d in model.durations)}", "duration")
        raise c.fail(f"duration must be a whole number of seconds from {model.durations_text()}", "duration")
    snap = snap_duration(model, float(raw))
    if snap.message:
        warnings.append(snap.message)
    return snap.value


def _ratio(body: dict[str, Any], model: Model, mode: str, c: _Checker) -> str:
    ratios = model.ratios_for(mode)
    raw = body.get("aspect_ratio")
    if raw is not None and not isinstance(raw, str):
        raise c.fail("aspect_ratio must be a string", "aspect_ratio")
    if raw is not None and ratios and raw not in ratios:
        raise c.fail(f"aspect_ratio must be one of {', '.join(ratios)}", "aspect_ratio")
    return raw if raw and ratios else (ratios[0] if ratios else "16:9")


def check_v1(body: dict[str, Any], resolve: Resolver, faults: Faults) -> Spec:
    """A v1 create body (any failure is a 400 ValidationError naming the field)."""
    c = _Checker(v1=True)
    model = _model(body, c, faults)
    prompt = _prompt(body, c)
    files = _files(body, c, resolve)
    first = files[0][1] if files else None
    mode = _mode(model, first, c)
    warnings: list[str] = []
    duration = None if mode == "remix" else _duration(body, model, c, warnings)
    ratio = _ratio(body, model, mode, c)
    options = body.get("provider_options")
    if options is not None and not isinstance(options, dict):
        raise c.fail("provider_options must be an object", "provider_options")
    source = first if mode != "text-to-video" else None
    return Spec(model, mode, prompt, duration, ratio, source, warnings=tuple(warnings))


def check_v2(body: dict[str, Any], resolve: Resolver, faults: Faults) -> Spec:
    """A v2 create body: 422 with details.field, 404 model_not_found / file_not_found, 503 no_pricing."""
    c = _Checker(v1=False)
    model = _model(body, c, faults)
    prompt = _prompt(body, c)
    files = _files(body, c, resolve)
    first = files[0][1] if files else None
    mode = _mode(model, first, c)
    warnings: list[str] = []
    normal: dict[str, Any] = {"model": model.id, "prompt": prompt}
    duration: int | None = None
    if mode == "remix":
        if body.get("duration") is not None:
            warnings.append(f"{model.id} keeps the source's length: duration was ignored.")
    else:
        duration = normal["duration"] = _duration(body, model, c, warnings)
    ratio = _ratio(body, model, mode, c)
    if model.ratios_for(mode):
        normal["aspect_ratio"] = ratio
    if files:
        normal["files"] = [{"url": url} for url, _ in files]
    seed = body.get("seed")
    if seed is not None:
        if not model.has_seed:
            raise c.fail(f"{model.id} takes no seed.", "seed")
        if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= MAX_SEED:
            raise c.fail(f"seed must be a whole number from 0 to {MAX_SEED}", "seed")
        normal["seed"] = seed
    audio = body.get("audio")
    if audio is not None:
        if not model.audio:
            raise c.fail(f"{model.id} has no native audio.", "audio")
        if audio != "native":
            raise c.fail('audio must be "native"', "audio")
        normal["audio"] = audio
    end = body.get("end_image_url")
    if end is not None:
        if not model.end_frame:
            raise c.fail(f"{model.id} takes no end frame.", "end_image_url")
        if not isinstance(end, str) or not resolve(end).media_type.startswith("image/"):
            raise c.fail("end_image_url must be an image uploaded to this gateway", "end_image_url")
        normal["end_image_url"] = end
    webhook = _options(body, c, normal)
    _provider_options(body, c, normal)
    if mode == "remix":
        seconds = (first.seconds if first and first.seconds else None) or float(model.default_duration)
        if model.max_source_seconds:
            seconds = min(seconds, float(model.max_source_seconds))
        billed = round(seconds, 3)
    else:
        billed = float(duration or model.default_duration)
    source = first if mode != "text-to-video" else None
    return Spec(
        model,
        mode,
        prompt,
        duration,
        ratio,
        source,
        seed=seed,
        webhook_url=webhook,
        billed_units=billed,
        estimate=cost_cents(model, billed),
        warnings=tuple(warnings),
        input=normal,
    )


def _options(body: dict[str, Any], c: _Checker, normal: dict[str, Any]) -> str | None:
    options = body.get("options")
    if options is None:
        return None
    if not isinstance(options, dict):
        raise c.fail("options must be an object", "options")
    url = options.get("webhook_url")
    if url is None:
        normal["options"] = {}
        return None
    try:
        parts = urlsplit(url) if isinstance(url, str) else None
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 2000:
        raise c.fail("options.webhook_url must be an http(s) URL", "options.webhook_url")
    normal["options"] = {"webhook_url": url}
    return str(url)


def _provider_options(body: dict[str, Any], c: _Checker, normal: dict[str, Any]) -> None:
    options = body.get("provider_options")
    if options is None:
        return
    if not isinstance(options, dict):
        raise c.fail("provider_options must be an object", "provider_options")
    nested = {k: v for k, v in options.items() if isinstance(v, dict)}  # a flat bag is dropped
    if nested:
        normal["provider_options"] = nested
