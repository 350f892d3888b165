"""Model facts as data: modes, durations, ratios and credits, read from `models.json`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from studio.errors import InputError

DATA_FILE = Path(__file__).with_name("models.json")
MAX_VARIANTS = 4
MODES = ("text-to-video", "image-to-video", "remix")


@dataclass(frozen=True)
class Model:
    id: str
    label: str
    family: str
    tier: str
    modes: tuple[str, ...]
    durations: tuple[int, ...]
    default_duration: int | None
    aspect_ratios: tuple[str, ...]
    image_aspect_ratios: tuple[str, ...]
    credits: int
    notes: str = ""
    inherits_source: bool = False
    max_source_seconds: int | None = None
    resolution: str = "720p"
    audio: bool = False

    @property
    def is_pro(self) -> bool:
        return self.tier == "pro"

    @property
    def is_sora(self) -> bool:
        return self.family == "sora"

    def ratios_for(self, mode: str) -> tuple[str, ...]:
        """Aspect ratios offered for a mode (image-to-video may add `auto`)."""
        if mode == "image-to-video" and self.image_aspect_ratios:
            return self.image_aspect_ratios
        return self.aspect_ratios


@dataclass(frozen=True)
class Snap:
    """A requested duration and the allowed one it became."""

    requested: float
    value: int
    snapped: bool
    message: str


@dataclass(frozen=True)
class Estimate:
    per_job: int
    count: int
    total: int

    def text(self, balance: int | None = None) -> str:
        """`4 × 100 = 400 credits · balance 1,250 → 850 after` (an estimate)."""
        line = f"{self.count} × {self.per_job:,} = {self.total:,} credits"
        if balance is not None:
            line += f" · balance {balance:,} → {balance - self.total:,} after"
        return line


@lru_cache(maxsize=1)
def _load() -> dict[str, Model]:
    raw = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    models: dict[str, Model] = {}
    for m in raw["models"]:
        models[m["id"]] = Model(
            id=m["id"],
            label=m["label"],
            family=m.get("family", m["id"]),
            tier=m.get("tier", "standard"),
            modes=tuple(m["modes"]),
            durations=tuple(int(d) for d in m.get("durations", [])),
            default_duration=m.get("default_duration"),
            aspect_ratios=tuple(m.get("aspect_ratios", [])),
            image_aspect_ratios=tuple(m.get("image_aspect_ratios", [])),
            credits=int(m["credits"]),
            notes=m.get("notes", ""),
            inherits_source=bool(m.get("inherits_source", False)),
            max_source_seconds=m.get("max_source_seconds"),
            resolution=m.get("resolution", "720p"),
            audio=bool(m.get("audio", False)),
        )
    return models


def all_models() -> list[Model]:
    return list(_load().values())


def mode_label(mode: str) -> str:
    return {"text-to-video": "Text to video", "image-to-video": "Image to video", "remix": "Remix"}.get(
        mode, mode
    )


def get_model(model_id: object) -> Model:
    """The model with this id, or an InputError a user can read."""
    models = _load()
    if not isinstance(model_id, str) or model_id not in models:
        raise InputError(f"Unknown model {str(model_id)[:60]!r}. Pick one from the list.", field="model")
    return models[model_id]


def models_for(mode: str) -> list[Model]:
    """Models that offer a mode, in catalog order (the Sora models first)."""
    return [m for m in _load().values() if mode in m.modes]


def snap_duration(model: Model, requested: object) -> Snap:
    """The allowed duration nearest to `requested` (ties go to the shorter one), and whether it moved."""
    if model.inherits_source:
        raise InputError(f"{model.label} keeps the source's length; no duration is chosen.", field="duration")
    if isinstance(requested, bool) or not isinstance(requested, int | float):
        try:
            requested = float(str(requested).strip())
        except (ValueError, OverflowError):
            raise InputError("Duration must be a number of seconds.", field="duration") from None
    try:
        req = float(requested)
    except OverflowError:
        raise InputError("Duration must be a positive number of seconds.", field="duration") from None
    if req != req or req in (float("inf"), float("-inf")) or req <= 0:
        raise InputError("Duration must be a positive number of seconds.", field="duration")
    best = min(model.durations, key=lambda d: (abs(d - req), d))
    snapped = float(best) != req
    if snapped:
        allowed = ", ".join(str(d) for d in model.durations)
        msg = f"{model.label} renders {allowed} s only: {req:g} s became {best} s."
    else:
        msg = ""
    return Snap(requested=req, value=best, snapped=snapped, message=msg)


def check_ratio(model: Model, mode: str, ratio: object) -> str:
    allowed = model.ratios_for(mode)
    if not allowed:
        return ""
    if ratio not in allowed:
        raise InputError(
            f"{model.label} offers aspect ratios {', '.join(allowed)}; {str(ratio)[:20]!r} is not one.",
            field="aspect_ratio",
        )
    return str(ratio)


def estimate(model: Model, variants: int = 1) -> Estimate:
    """Credits for N variants of one form (each variant is one job)."""
    if isinstance(variants, bool) or not isinstance(variants, int) or not 1 <= variants <= MAX_VARIANTS:
        raise InputError(f"Variants must be between 1 and {MAX_VARIANTS}.", field="variants")
    return Estimate(per_job=model.credits, count=variants, total=model.credits * variants)


def needs_confirmation(model: Model, variants: int) -> bool:
    """Pro-tier or multi-variant submissions ask before spending."""
    return model.is_pro or variants > 1
