"""A take's recipe between takes: what changed along an edge, re-roll, make final, reuse values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from studio import camera, catalog
from studio.api.request import same_model
from studio.catalog import Catalog, Model
from studio.errors import InputError
from studio.library import Library
from studio.submission import TakeRequest
from studio.take import Mode, Relation, Take

# "Final" length: a final is at least this long (when the target model renders it), never shorter
# than the draft. Sora 2 4 s → Sora 2 Pro 12 s; Kling v3 Standard 5 s → Kling v3 12 s.
FINAL_SECONDS = 12
TIER_RANK = {"pro": 2, "standard": 1}


@dataclass(frozen=True)
class Change:
    """One recipe field that differs between a parent and its child."""

    field: str
    label: str
    before: str
    after: str

    @property
    def text(self) -> str:
        return f"{self.label} {self.before} → {self.after}"


def _seconds(value: float | None) -> str:
    if value is None:
        return "source length"
    return f"{float(value):g} s"


def asked_duration(take: Take) -> float | None:
    """The length the user asked for (the gateway's, when the request did not say)."""
    return take.duration_requested if take.duration_requested is not None else take.duration


def _source(take: Take) -> str:
    if take.source_take_id:
        text = f"take {take.source_take_id[:8]}"
        if take.frame_time is not None:
            text += f" at {take.frame_time:g} s"
        return text
    if take.source_name:
        return take.source_name
    if take.source_file and take.mode != Mode.TEXT:
        return "an upload"
    return "none"


def _camera(key: str | None) -> str:
    if not key:
        return "none"
    preset = camera.find(key)
    return preset.label if preset is not None else key


def _framing(crop: str | None) -> str:
    return crop or "centred"


def changes(parent: Take, child: Take) -> list[Change]:
    """The recipe fields (not the prompt: see prompt_diff) that differ from parent to child."""
    out: list[Change] = []

    def add(field: str, label: str, before: str, after: str) -> None:
        if before != after:
            out.append(Change(field, label, before, after))

    if not same_model(parent.model, child.model):
        add("model", "Model", catalog.label_of(parent.model), catalog.label_of(child.model))
    before, after = asked_duration(parent), asked_duration(child)
    if (before is None) != (after is None) or (before is not None and after is not None and before != after):
        add("duration", "Duration", _seconds(before), _seconds(after))
    add("aspect_ratio", "Ratio", parent.aspect_ratio or "source", child.aspect_ratio or "source")
    add(
        "seed",
        "Seed",
        "none" if parent.seed is None else str(parent.seed),
        "none" if child.seed is None else str(child.seed),
    )
    add("source", "Source", _source(parent), _source(child))
    add("camera", "Camera", _camera(parent.camera), _camera(child.camera))
    add("audio", "Audio", "on" if parent.audio else "off", "on" if child.audio else "off")
    add("crop", "Framing", _framing(parent.crop), _framing(child.crop))
    add("end_file", "End frame", "yes" if parent.end_file else "none", "yes" if child.end_file else "none")
    return out


# --- the same recipe again --------------------------------------------------------------------
def _inputs(take: Take, library: Library | None) -> dict[str, Any]:
    """The request fields that bring back this take's inputs (source take, image, video, end frame)."""
    values: dict[str, Any] = {}
    if take.mode == Mode.IMAGE:
        if take.source_take_id:
            values.update(source_take_id=take.source_take_id, frame_time=take.frame_time, crop=take.crop)
        elif take.original_file:
            values.update(original_file=take.original_file, crop=take.crop, source_name=take.source_name)
        elif take.source_file:  # an older upload: its framed image is all there is, so no re-framing
            values.update(original_file=take.source_file, source_name=take.source_name)
        if take.end_file:
            values.update(end_image=_read(library, take.end_file, "end frame"), end_image_name="end frame")
    elif take.mode == Mode.REMIX:
        if take.source_take_id:
            values.update(source_take_id=take.source_take_id)
        elif take.source_file:
            values.update(
                source_video=_read(library, take.source_file, "source video"), source_name=take.source_name
            )
    return values


def _read(library: Library | None, rel: str, what: str) -> bytes:
    if library is None:
        raise InputError(
            f"This take's {what} lives in the library; open it there to try again.", field="source"
        )
    try:
        return library.path(rel).read_bytes()
    except OSError:
        raise InputError(
            f"This take's {what} is missing from the library folder, so its recipe cannot be sent again.",
            field="source",
        ) from None


def reroll(take: Take, library: Library | None = None) -> TakeRequest:
    """The same recipe with a new random seed, one take, recorded as a re-roll of `take`.

    `library` reads the inputs kept only as files (an uploaded remix source, an end frame).
    """
    return TakeRequest(
        mode=take.mode,
        model=take.model,
        prompt=take.prompt,
        duration=None if take.mode == Mode.REMIX else asked_duration(take),
        aspect_ratio=take.aspect_ratio,
        variants=1,
        seed=None,
        audio=bool(take.audio),
        parent_id=take.id,
        relation=Relation.REROLL.value,
        camera=take.camera,
        shot=take.shot,
        **_inputs(take, library),
    )


def can_reroll(take: Take, model: Model | None) -> str | None:
    """Why a re-roll of this take makes no sense now (None: go ahead). `model`: the catalogue's."""
    label = catalog.label_of(take.model)
    if model is None:
        return f"{label} is not offered by varg now, so this recipe cannot be re-rolled."
    if not model.available:
        reason = f" ({model.unavailable_reason})" if model.unavailable_reason else ""
        return f"{model.label} is not available on varg right now{reason}."
    if take.mode not in model.modes:
        return f"{model.label} does not do {catalog.mode_label(take.mode).lower()} now."
    if not model.seed:
        return f"{model.label} takes no seed: the same recipe may come back as the very same video."
    return None


# --- draft → final ------------------------------------------------------------------------------
@dataclass(frozen=True)
class FinalPlan:
    """One way to make a take final: this model at this length (None: the source's length)."""

    model: str
    duration: int | None
    label: str
    seed: bool = False  # the target takes a seed, so the draft's seed is sent again


def _length(model: Model, wanted: float) -> int | None:
    """The length this model renders nearest `wanted` without going under it (else its longest)."""
    if model.inherits_source or not model.durations:
        return None
    longer = [d for d in model.durations if d >= wanted]
    return min(longer) if longer else max(model.durations)


def final_plans(take: Take, cat: Catalog) -> list[FinalPlan]:
    """The upgrades of a draft, best first; [] when nothing is better.

    Rule: the family's highest available tier for this mode at the final length (the draft's
    length or FINAL_SECONDS, whichever is longer, as the model renders it), then that tier at the
    draft's length, then the draft's own model at the final length. Targets must keep the take's
    ratio and end frame.
    """
    current = cat.find(take.model) or catalog.offline().find(take.model)
    if current is None:
        return []
    family = [
        m
        for m in cat.offered(take.mode)
        if m.family == current.family
        and m.inherits_source == current.inherits_source
        and (
            not take.aspect_ratio
            or not m.ratios_for(take.mode)
            or take.aspect_ratio in m.ratios_for(take.mode)
        )
        and (not take.end_file or m.end_frame)
    ]
    if not family:
        return []
    rank = TIER_RANK.get(current.tier, 0)
    top = max(family, key=lambda m: (TIER_RANK.get(m.tier, 0), m.price_per_second or m.credits))
    own = next((m for m in family if same_model(m.id, current.id)), None)
    draft = asked_duration(take)
    base = float(draft) if draft is not None else float(current.default_duration or 4)
    candidates: list[tuple[Model, int | None]] = []
    if TIER_RANK.get(top.tier, 0) > rank:
        candidates.append((top, _length(top, max(base, FINAL_SECONDS))))
        candidates.append((top, _length(top, base)))
    if own is not None:
        candidates.append((own, _length(own, max(base, FINAL_SECONDS))))
    plans: list[FinalPlan] = []
    seen: set[tuple[str, int | None]] = set()
    for model, length in candidates:
        key = (model.key, length)
        is_draft = same_model(model.id, current.id) and (length is None or length <= base)
        if key in seen or is_draft:
            continue
        seen.add(key)
        where = f" · {length} s" if length is not None else " · the source's length"
        plans.append(FinalPlan(model=model.id, duration=length, label=model.label + where, seed=model.seed))
    return plans


def final_request(take: Take, plan: FinalPlan, library: Library | None = None) -> TakeRequest:
    """The draft's prompt, inputs and seed (when the target takes one) on the plan's model and length."""
    return TakeRequest(
        mode=take.mode,
        model=plan.model,
        prompt=take.prompt,
        duration=plan.duration,
        aspect_ratio=take.aspect_ratio,
        variants=1,
        seed=take.seed if plan.seed else None,
        audio=bool(take.audio),
        parent_id=take.id,
        relation=Relation.FINAL.value,
        camera=take.camera,
        shot=take.shot,
        **_inputs(take, library),
    )


# --- the form, pre-filled -----------------------------------------------------------------------
def reuse_values(take: Take, *, new_seed: bool = False) -> dict[str, Any]:
    """The creation form's values for this take's recipe (same seed, or a new one), as a reuse."""
    values: dict[str, Any] = {
        "model": take.model,
        "prompt": take.prompt,
        "variants": 1,
        "audio": bool(take.audio),
    }
    if take.mode != Mode.REMIX:
        asked = asked_duration(take)
        if asked is not None:
            values["duration"] = float(asked) if float(asked) % 1 else int(asked)
    if take.aspect_ratio:
        values["aspect_ratio"] = take.aspect_ratio
    if take.seed is not None and not new_seed:
        values.update(seed_mode="fixed", seed=int(take.seed))
    else:
        values.update(seed_mode="random")
    if take.mode == Mode.IMAGE:
        values.update(
            source_take_id=take.source_take_id,
            source_file=None,
            source_name=None,
            frame_time=take.frame_time if take.source_take_id else None,
            original_file=None,
            crop=take.crop,
        )
        if not take.source_take_id and take.source_file:
            values.update(source_file=take.source_file, source_name=take.source_name, fit="crop")
            if take.original_file:
                values.update(original_file=take.original_file)
            else:
                values.update(crop=None)  # the kept image is already framed
    if take.mode == Mode.REMIX:
        if take.source_take_id:
            values.update(source_kind="gallery", source_take_id=take.source_take_id)
        elif take.source_file:
            values.update(source_kind="upload", source_file=take.source_file, source_name=take.source_name)
    values.update(camera=take.camera, shot=take.shot, parent_id=take.id, relation=Relation.REUSE.value)
    return values


def lock_seed_values(take: Take) -> dict[str, Any]:
    """The form's values to edit the prompt and keep the seed (a lock-seed child of this take)."""
    values = reuse_values(take)
    if take.seed is not None:
        values.update(seed_mode="fixed", seed=int(take.seed), relation=Relation.LOCK_SEED.value)
    return values
