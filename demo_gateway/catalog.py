"""The gateway's model catalogue: its data file, id normalising, duration snapping, JSON Schemas and prices."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from functools import cache
from pathlib import Path
from typing import Any

DATA_FILE = Path(__file__).with_name("models.json")
MODES = ("text-to-video", "image-to-video", "remix")
MAX_SEED = 2147483647


@dataclass(frozen=True)
class Model:
    id: str  # canonical v2 id, e.g. "sora_2"
    v1_id: str  # dashed v1 id, e.g. "sora-2"
    label: str
    family: str
    tier: str
    modes: tuple[str, ...]
    credits: int  # v1: per job
    unit_price_cents: float  # v2: per second
    durations: tuple[int, ...]  # an enum; empty for a range or an edit model
    min_seconds: int | None  # a range
    max_seconds: int | None
    default_duration: int
    aspect_ratios: tuple[str, ...]
    image_aspect_ratios: tuple[str, ...]
    has_seed: bool
    audio: bool
    end_frame: bool
    resolution: str
    max_source_seconds: int | None
    notes: str

    @property
    def is_edit(self) -> bool:
        return self.modes == ("remix",)

    @property
    def is_sora(self) -> bool:
        return self.family == "sora"

    def ratios_for(self, mode: str) -> tuple[str, ...]:
        if mode == "image-to-video" and self.image_aspect_ratios:
            return self.image_aspect_ratios
        return self.aspect_ratios

    def all_ratios(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.aspect_ratios + self.image_aspect_ratios))

    def durations_text(self) -> str:
        if self.durations:
            *head, last = [str(d) for d in self.durations]
            return f"{', '.join(head)} or {last} s" if head else f"{last} s"
        return f"{self.min_seconds} to {self.max_seconds} s"


@dataclass(frozen=True)
class Snap:
    requested: float
    value: int
    message: str | None  # set when the value changed


def _model(d: dict[str, Any]) -> Model:
    dur = d.get("duration") or {}
    return Model(
        id=d["id"],
        v1_id=d["v1_id"],
        label=d["label"],
        family=d["family"],
        tier=d["tier"],
        modes=tuple(d["modes"]),
        credits=int(d["credits"]),
        unit_price_cents=float(d["unit_price_cents"]),
        durations=tuple(int(x) for x in dur.get("enum", ())),
        min_seconds=dur.get("min"),
        max_seconds=dur.get("max"),
        default_duration=int(d["default_duration"]),
        aspect_ratios=tuple(d.get("aspect_ratios") or ()),
        image_aspect_ratios=tuple(d.get("image_aspect_ratios") or ()),
        has_seed=bool(d.get("has_seed", True)),
        audio=bool(d.get("audio")),
        end_frame=bool(d.get("end_frame")),
        resolution=d.get("resolution") or "720p",
        max_source_seconds=d.get("max_source_seconds"),
        notes=d.get("notes") or "",
    )


@cache
def all_models() -> tuple[Model, ...]:
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return tuple(_model(d) for d in data["models"])


@cache
def _index() -> dict[str, Model]:
    out: dict[str, Model] = {}
    for m in all_models():
        out[m.id] = m
        out[m.v1_id] = m
    return out


def canonical_id(raw: str) -> str:
    """`fal:kling-v3` -> `kling_v3` (a provider pin is dropped, dashes become underscores)."""
    text = raw.strip()
    if ":" in text:
        text = text.split(":", 1)[1]
    return text.replace("-", "_").lower()


def find_model(raw: str) -> Model | None:
    """A model by canonical id, dashed id or provider-pinned id; None if unknown."""
    if not isinstance(raw, str) or not raw.strip() or len(raw) > 200:
        return None
    return _index().get(raw.strip()) or _index().get(canonical_id(raw))


def snap_duration(model: Model, requested: float) -> Snap:
    """varg's rules: an enum snaps to the nearest value (ties go down); a range clamps and rounds."""
    if model.durations:
        value = min(model.durations, key=lambda d: (abs(d - requested), d))
    else:
        lo = model.min_seconds or 1
        hi = model.max_seconds or max(lo, 60)
        value = int(min(hi, max(lo, math.floor(requested + 0.5))))
    message = None
    if value != requested:
        shown = int(requested) if float(requested).is_integer() else requested
        message = f"{model.id} renders {model.durations_text()}: {shown} s became {value} s."
    return Snap(requested, value, message)


def cost_cents(model: Model, seconds: float) -> int:
    """ceil(unit price × seconds), in exact decimal arithmetic."""
    total = Decimal(str(model.unit_price_cents)) * Decimal(str(seconds))
    return int(total.to_integral_value(rounding=ROUND_CEILING))


def price_row(model: Model) -> dict[str, Any]:
    return {
        "model": model.id,
        "capability": "video",
        "unit": "second",
        "unit_price_cents": model.unit_price_cents,
        "default_duration": model.default_duration,
        "default_cost_cents": cost_cents(model, model.default_duration),
    }


# --- JSON Schemas (v2 discovery) ---------------------------------------------------------------------
def _files_schema(media: str) -> dict[str, Any]:
    return {
        "type": "array",
        "maxItems": 10,
        "items": {
            "type": "object",
            "required": ["url"],
            "properties": {"url": {"type": "string", "format": "uri", "contentMediaType": media}},
        },
    }


_OPTIONS = {"type": "object", "properties": {"webhook_url": {"type": "string", "format": "uri"}}}
_PROMPT = {"type": "string", "minLength": 1, "maxLength": 2000}


def model_schema(model: Model) -> dict[str, Any]:
    """The JSON Schema of one model's create body, read with standard keywords only."""
    props: dict[str, Any] = {
        "model": {"type": "string", "const": model.id},
        "prompt": dict(_PROMPT),
    }
    if model.durations:
        props["duration"] = {
            "type": "integer",
            "enum": list(model.durations),
            "default": model.default_duration,
        }
    elif not model.is_edit:
        props["duration"] = {
            "type": "integer",
            "minimum": model.min_seconds,
            "maximum": model.max_seconds,
            "default": model.default_duration,
        }
    ratios = model.all_ratios()
    if ratios:
        props["aspect_ratio"] = {"type": "string", "enum": list(ratios), "default": ratios[0]}
    if model.has_seed:
        props["seed"] = {"type": "integer", "minimum": 0, "maximum": MAX_SEED}
    if model.audio:
        props["audio"] = {"type": "string", "enum": ["native"]}
    if model.end_frame:
        props["end_image_url"] = {"type": "string", "format": "uri", "contentMediaType": "image/*"}
    props["files"] = _files_schema("video/*" if model.is_edit else "image/*")
    props["options"] = _OPTIONS
    props["provider_options"] = {"type": "object", "additionalProperties": {"type": "object"}}
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": model.label,
        "description": model.notes,
        "type": "object",
        "required": ["model", "prompt", "files"] if model.is_edit else ["model", "prompt"],
        "properties": props,
        "x-resolution": model.resolution,
    }
    if model.max_source_seconds is not None:
        schema["x-max-source-seconds"] = int(model.max_source_seconds)
    return schema


def tool_schema(models: tuple[Model, ...]) -> dict[str, Any]:
    """The video tool's schema over every model (model is an enum of their ids)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "video",
        "type": "object",
        "required": ["model", "prompt"],
        "properties": {
            "model": {"type": "string", "enum": [m.id for m in models]},
            "prompt": dict(_PROMPT),
            "duration": {"type": "integer", "minimum": 1},
            "aspect_ratio": {"type": "string"},
            "seed": {"type": "integer", "minimum": 0, "maximum": MAX_SEED},
            "audio": {"type": "string", "enum": ["native"]},
            "end_image_url": {"type": "string", "format": "uri"},
            "files": _files_schema("*/*"),
            "options": _OPTIONS,
            "provider_options": {"type": "object"},
        },
    }


OUTPUT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "version": {"type": "string"},
        "outputs": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["url", "media_type"],
                "properties": {
                    "url": {"type": "string", "format": "uri"},
                    "file_id": {"type": "string"},
                    "media_type": {"type": "string"},
                    "size_bytes": {"type": "integer"},
                    "thumbnail_url": {"type": ["string", "null"]},
                },
            },
        },
    },
}
EXAMPLE: dict[str, Any] = {
    "model": "kling_v3",
    "prompt": "a lighthouse on a cliff at dusk, waves below",
    "duration": 5,
    "aspect_ratio": "16:9",
    "seed": 7,
}
