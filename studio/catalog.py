"""Model facts as data: modes, durations, ratios, prices and features; one `Catalog` per gateway.

`models.json` is the offline fallback and the v1 catalogue; the live v2 catalogue is read by
`studio.live_catalog` into the same `Model`s. Ids match under either spelling (`sora-2`, `sora_2`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from studio.api.request import canonical_model_id, same_model
from studio.errors import InputError
from studio.take import Mode

DATA_FILE = Path(__file__).with_name("models.json")
MAX_VARIANTS = 4
V2_MAX_PROMPT = 2000
MODES = tuple(Mode)


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
    max_source_seconds: int | None = None  # the part of a source the model uses (longer ones are cut)
    max_source_file_seconds: int | None = None  # longer sources are refused outright
    max_source_side: int | None = None  # pixels on a source's long side
    max_source_pixels: int | None = None  # pixels of a source frame
    resolution: str = "720p"
    audio: bool = False
    seed: bool = False  # takes a seed, so variants can differ
    end_frame: bool = False  # takes an end image
    duration_range: tuple[int, int] | None = None  # whole seconds from..to (else `durations` is a list)
    price_per_second: float | None = None  # v2 cents per second of video
    max_prompt_chars: int = 4000
    available: bool = True
    unavailable_reason: str = ""

    @property
    def key(self) -> str:
        """The id under v2's spelling, for matching across spellings."""
        return canonical_model_id(self.id)

    def approx_cost(self, duration: float | None, source_seconds: float | None = None) -> int:
        """The catalogue's price for one job: per second when known (v2), else per job (v1)."""
        if self.price_per_second is None:
            return self.credits
        seconds = duration
        if self.inherits_source:
            seconds = source_seconds or self.max_source_seconds or self.default_duration or 4
            if self.max_source_seconds:
                seconds = min(seconds, self.max_source_seconds)
        if seconds is None:
            seconds = self.default_duration or 4
        return int(math.ceil(round(self.price_per_second * float(seconds), 6)))

    @property
    def is_pro(self) -> bool:
        return self.tier == "pro"

    @property
    def is_sora(self) -> bool:
        return self.family == "sora"

    def ratios_for(self, mode: str) -> tuple[str, ...]:
        """Aspect ratios offered for a mode (image-to-video may add `auto`)."""
        if mode == Mode.IMAGE and self.image_aspect_ratios:
            return self.image_aspect_ratios
        return self.aspect_ratios


def made_by_sora(model_id: str | None) -> bool:
    """The one rule for "this take was made by Sora": its model is of the Sora family.

    Known ids are looked up (either spelling); an id the catalogue no longer lists counts when
    it is a `sora…` id, as the live catalogue names families by the id's first word.
    """
    if not model_id:
        return False
    known = offline().find(model_id)
    if known is not None:
        return known.is_sora
    return canonical_model_id(model_id).rpartition(":")[2].startswith("sora")


def needs_sora_source(model: Model) -> bool:
    """A remix model that works on Sora's own videos only (others take any video)."""
    return model.is_sora and Mode.REMIX in model.modes


def remix_source_warning(model: Model, source_model: str | None, *, uploaded: bool = False) -> str | None:
    """The one rule for remix sources: why this source may be refused by this model, or None.

    `source_model`: the model that made the gallery take; `uploaded`: the source is an upload.
    """
    if not needs_sora_source(model):
        return None
    if uploaded:
        return (
            "This video was uploaded, not made by Sora. Sora remixes videos that Sora made and may "
            "reject it (a rejected job is refunded)."
        )
    if not made_by_sora(source_model):
        return (
            f"This take was not made by Sora ({label_of(source_model)} made it). Sora remixes videos "
            "that Sora made and may reject it (a rejected job is refunded)."
        )
    return None


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
    exact: bool = False  # the gateway priced this exact request (v2 /estimate)
    cached: bool = False  # the gateway has this exact request cached: free

    def plus(self, other: Estimate) -> Estimate:
        """Two submissions paid together (a sweep): totals and counts add; `per_job` is the mean."""
        count, total = self.count + other.count, self.total + other.total
        return Estimate(
            per_job=round(total / count) if count else 0,
            count=count,
            total=total,
            exact=self.exact and other.exact,
            cached=self.cached and other.cached,
        )

    def text(self, balance: int | None = None) -> str:
        """`2 × 105 = 210 credits · available 1,250 → 1,040 after`; "approx." when not the server's."""
        if self.cached and self.total == 0:
            line = "free (cached): varg already made this exact video"
        else:
            approx = "" if self.exact else "approx. "
            line = f"{approx}{self.count} × {self.per_job:,} = {self.total:,} credits"
        if balance is not None:
            line += f" · available {balance:,} → {balance - self.total:,} after"
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
            max_source_file_seconds=m.get("max_source_file_seconds"),
            max_source_side=m.get("max_source_side"),
            max_source_pixels=m.get("max_source_pixels"),
            resolution=m.get("resolution", "720p"),
            audio=bool(m.get("audio", False)),
            seed=bool(m.get("seed", False)),
            end_frame=bool(m.get("end_frame", False)),
            price_per_second=m.get("price_per_second"),
        )
    return models


@lru_cache(maxsize=1)
def default_order() -> tuple[str, ...]:
    """Which model a form starts on: the first available one of this order (data, not code)."""
    raw = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return tuple(raw.get("default_order", []))


def all_models() -> list[Model]:
    return list(_load().values())


MODE_LABELS = {Mode.TEXT: "Text to video", Mode.IMAGE: "Image to video", Mode.REMIX: "Remix"}


def mode_label(mode: str) -> str:
    return MODE_LABELS[Mode(mode)] if mode in MODE_LABELS else mode


def get_model(model_id: object) -> Model:
    """The offline catalogue's model with this id (either spelling), or an InputError a user can read."""
    return offline().get(model_id)


def models_for(mode: str) -> list[Model]:
    """Models of the offline catalogue that offer a mode, in catalogue order."""
    return [m for m in _load().values() if mode in m.modes]


LOCAL_PREVIEW = "Local preview"


def take_label(take: Any) -> str:
    """What made a take, honestly: `Sora 2`, or `Local preview · as Sora 2` for a demo-mode render."""
    label = label_of(take.model)
    return f"{LOCAL_PREVIEW} · as {label}" if take.local_preview else label


def download_name(take: Any) -> str:
    """The file name a take downloads as: `varg-sora-2-1a2b3c4d.mp4`, or `local-preview-as-sora-2-….mp4`."""
    model = re.sub(r"[^a-z0-9]+", "-", label_of(take.model).lower()).strip("-") or "video"
    lead = "local-preview-as" if take.local_preview else "varg"
    return f"{lead}-{model}-{take.id[:8]}.mp4"


def label_of(model_id: str | None) -> str:
    """A model's label for display, whatever catalogue made the take (an unknown id is shown as is)."""
    if not model_id:
        return "Unknown model"
    for m in _load().values():
        if same_model(m.id, model_id):
            return m.label
    return model_id.replace("_", " ").replace("-", " ").title()


class Catalog:
    """The models one gateway offers now: live (v2 `/tools`, `/pricing`) or the offline list."""

    def __init__(self, models: Iterable[Model], *, live: bool, note: str = "") -> None:
        self._models = {m.key: m for m in models}
        self.live = live
        self.note = note

    def __repr__(self) -> str:
        return f"Catalog(live={self.live}, models={len(self._models)})"

    def all(self) -> list[Model]:
        return list(self._models.values())

    def find(self, model_id: object) -> Model | None:
        if not isinstance(model_id, str) or not model_id.strip():
            return None
        return self._models.get(canonical_model_id(model_id).rpartition(":")[2])

    def get(self, model_id: object) -> Model:
        found = self.find(model_id)
        if found is None:
            raise InputError(f"Unknown model {str(model_id)[:60]!r}. Pick one from the list.", field="model")
        return found

    def for_mode(self, mode: str) -> list[Model]:
        """Every model of this mode, available or not (unavailable ones say why)."""
        return [m for m in self._models.values() if mode in m.modes]

    def offered(self, mode: str) -> list[Model]:
        return [m for m in self.for_mode(mode) if m.available]

    def default(self, mode: str) -> Model | None:
        """The first available model of this mode in the preference order of the data."""
        offered = self.offered(mode)
        for model_id in default_order():
            for m in offered:
                if same_model(m.id, model_id):
                    return m
        return offered[0] if offered else None

    def alternative(self, model_id: str | None, mode: str) -> Model | None:
        """The nearest available model of the same mode: same family, then same tier, then price."""
        gone = self.find(model_id) or (offline().find(model_id) if model_id else None)
        offered = [m for m in self.offered(mode) if not same_model(m.id, model_id)]
        if gone is not None and not gone.available:
            # A maker switching a model off takes its siblings with it (Sora 2, 2026-09-24).
            offered = [m for m in offered if m.family != gone.family] or offered
        if not offered:
            return None
        if gone is None:
            return self.default(mode) if self.default(mode) in offered else offered[0]

        def distance(m: Model) -> tuple[int, int, float]:
            price = abs((m.price_per_second or m.credits) - (gone.price_per_second or gone.credits))
            return (m.family != gone.family, m.tier != gone.tier, price)

        return min(offered, key=distance)

    def without(self, model_id: str, reason: str) -> Catalog:
        """This catalogue with one model marked unavailable (the gateway said it is gone)."""
        models = [
            replace(m, available=False, unavailable_reason=reason) if same_model(m.id, model_id) else m
            for m in self._models.values()
        ]
        return Catalog(models, live=self.live, note=self.note)


@lru_cache(maxsize=1)
def offline() -> Catalog:
    """The catalogue in `models.json` as v2 would take it: the fallback when varg can't be asked.

    v2 takes prompts of up to 2,000 characters (v1: 4,000), so the form's counter does not jump
    when the live catalogue arrives.
    """
    return Catalog(
        (replace(m, max_prompt_chars=min(m.max_prompt_chars, V2_MAX_PROMPT)) for m in _load().values()),
        live=False,
        note="offline list",
    )


@lru_cache(maxsize=1)
def v1() -> Catalog:
    """The v1 catalogue: per-job prices, the gateway's own figures (v1 has no estimate call)."""
    return Catalog((replace(m, price_per_second=None) for m in _load().values()), live=False, note="varg v1")


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


def check_variants(variants: object) -> int:
    if isinstance(variants, bool) or not isinstance(variants, int) or not 1 <= variants <= MAX_VARIANTS:
        raise InputError(f"Variants must be between 1 and {MAX_VARIANTS}.", field="variants")
    return variants


def estimate(
    model: Model, variants: int = 1, duration: float | None = None, source_seconds: float | None = None
) -> Estimate:
    """The catalogue's credits for N variants of one form (each variant is one job): approx. on v2."""
    check_variants(variants)
    per_job = model.approx_cost(duration, source_seconds)
    return Estimate(
        per_job=per_job, count=variants, total=per_job * variants, exact=model.price_per_second is None
    )


def needs_confirmation(model: Model, variants: int) -> bool:
    """Pro-tier or multi-variant submissions ask before spending."""
    return model.is_pro or variants > 1
