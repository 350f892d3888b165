"""The creation form's fields: model, duration, ratio, variants, seed, audio and the prompt.

Each field is seeded from the form store and written back to it (see `components.form_store`),
so it survives page switches, reruns and a reuse of a take's settings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from components import context
from components.errors import Slots
from components.form_store import GONE, bind, choice, lineage, remember, store, track
from studio import catalog
from studio.catalog import Catalog, Model
from studio.errors import InputError, StudioError
from studio.submission import MAX_SEED, TakeRequest, variant_seeds

RATIO_LABELS = {
    "16:9": ":material/crop_16_9: 16:9",
    "9:16": ":material/crop_portrait: 9:16",
    "1:1": ":material/crop_square: 1:1",
    "4:3": ":material/crop_landscape: 4:3",
    "3:4": ":material/crop_portrait: 3:4",
    "auto": ":material/crop_free: Auto",
}
SEED_MODES = {"random": "New seed each time", "fixed": "Fixed seed"}


def catalog_now() -> Catalog:
    """The models the gateway offers now (live on v2; the offline list until varg answers)."""
    return context.get_studio().catalog.current()


@dataclass(frozen=True)
class Settings:
    model: Model
    duration: int | None
    aspect_ratio: str | None
    variants: int
    seed: int | None = None  # the first variant's seed; None: a new random one
    audio: bool = False
    # Where the next take comes from: parent_id, relation, camera, shot (see form_store.lineage).
    origin: dict[str, Any] = field(default_factory=dict)

    def request(self, mode: str, prompt: str, **inputs: Any) -> TakeRequest:
        """The form as the core's request: these settings, the prompt, its origin and the page's inputs."""
        return TakeRequest(
            mode=mode,
            model=self.model.id,
            prompt=prompt,
            duration=self.duration,
            aspect_ratio=self.aspect_ratio,
            variants=self.variants,
            seed=self.seed,
            audio=self.audio,
            **{**self.origin, **inputs},
        )


# --- the model -------------------------------------------------------------------------------------
def resolve_model(prefix: str, mode: str, cat: Catalog) -> Model:
    """The model this form is on (its widget's value, the store, or the catalogue's default).

    A stored id under either spelling is matched; one this gateway does not list (a reused take of
    a model that is gone) falls back to the default and is remembered so the form can say so.
    """
    models = cat.for_mode(mode)
    if not models:
        raise StudioError(f"varg offers no model for {catalog.mode_label(mode).lower()} right now.")
    key = track(prefix, "model")
    saved = store(prefix)
    wanted = st.session_state.get(key, saved.get("model"))
    found = cat.find(wanted) if wanted else None
    if found is not None and mode in found.modes:
        value = found.key
    else:
        if wanted and key not in st.session_state:
            saved[GONE] = wanted
        value = (cat.default(mode) or models[0]).key
    st.session_state[key] = value
    saved["model"] = value
    return cat.get(value)


def _use_model(prefix: str, model_key: str) -> None:
    st.session_state[f"{prefix}_model"] = model_key
    saved = store(prefix)
    saved["model"] = model_key
    saved.pop(GONE, None)


def _model_changed(prefix: str) -> None:
    store(prefix).pop(GONE, None)


def _model_option(cat: Catalog) -> Callable[[str], str]:
    def label(model_key: str) -> str:
        m = cat.find(model_key)
        if m is None:
            return model_key
        if not m.available:
            return f"{m.label} (not available on varg now)"
        price = f"{m.price_per_second:g} credits/s" if m.price_per_second else f"{m.credits:,} credits a job"
        return f"{m.label} · {price}" + (" · Pro" if m.is_pro else "")

    return label


def _offer_alternative(prefix: str, alt: Model | None, warning: str, key: str) -> None:
    """Say why a model cannot be used, and offer the nearest one that can."""
    st.warning(warning, icon=":material/block:")
    if alt is not None:
        st.button(
            f"Use {alt.label} instead",
            key=f"{prefix}_{key}",
            icon=":material/swap_horiz:",
            on_click=_use_model,
            args=(prefix, alt.key),
        )


def model_select(prefix: str, mode: str, slots: Slots, cat: Catalog) -> Model:
    model = resolve_model(prefix, mode, cat)
    ids = [m.key for m in cat.for_mode(mode)]
    source = "live from varg" if cat.live else "offline list (varg not reached yet)"
    st.selectbox(
        "Model",
        ids,
        key=f"{prefix}_model",
        format_func=_model_option(cat),
        on_change=_model_changed,
        args=(prefix,),
        help=f"Models that can do this, {source}. Prices are per second of video.",
    )
    slots.add("model")
    gone = store(prefix).get(GONE)
    if gone:
        _offer_alternative(
            prefix,
            cat.alternative(gone, mode),
            f"The take you are reusing was made with {catalog.label_of(gone)}, which varg does not offer now.",
            "use_alt_gone",
        )
    if not model.available:
        reason = f" ({model.unavailable_reason})" if model.unavailable_reason else ""
        _offer_alternative(
            prefix,
            cat.alternative(model.id, mode),
            f"{model.label} is not available on varg now{reason}. Nothing can be submitted with it.",
            "use_alt",
        )
    return model


# --- length, ratio, variants, seed, audio -----------------------------------------------------------
def _whole(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def duration_select(prefix: str, model: Model, slots: Slots) -> int | None:
    """A slider for a range of seconds, pills for a list; nothing for a model that keeps the source's length."""
    if model.inherits_source or not model.durations:
        return None
    key = track(prefix, "duration")
    saved = store(prefix)
    current = _whole(st.session_state.get(key, saved.get("duration")))
    rng = model.duration_range
    valid = (
        isinstance(current, int) and not isinstance(current, bool) and rng[0] <= current <= rng[1]
        if rng
        else current in model.durations
    )
    if not valid:
        if current is None:
            value = model.default_duration or model.durations[0]
        else:
            try:
                snap = catalog.snap_duration(model, current)
                value = snap.value
                if snap.snapped:
                    saved["snap_note"] = snap.message
                    saved["snap_value"] = snap.value
            except InputError:
                value = model.default_duration or model.durations[0]
        st.session_state[key] = int(value)
    elif current is not None:
        st.session_state[key] = int(current)
    if rng:
        duration = st.slider(
            "Duration",
            min_value=rng[0],
            max_value=rng[1],
            step=1,
            key=key,
            format="%d s",
            help=f"{model.label} renders any whole number of seconds from {rng[0]} to {rng[1]}.",
        )
    elif len(model.durations) == 1:
        duration = model.durations[0]
        st.caption(f"Duration: {duration} s (the only length {model.label} renders)")
    else:
        duration = st.pills(
            "Duration",
            list(model.durations),
            key=key,
            format_func=lambda d: f"{d} s",
            required=True,
            help=f"{model.label} renders only these lengths.",
        )
    duration = int(duration if duration is not None else (model.default_duration or model.durations[0]))
    remember(prefix, "duration", duration)
    note = saved.get("snap_note")
    if note and duration == saved.get("snap_value"):
        st.caption(f":material/straighten: {note}")
    elif note:
        saved.pop("snap_note", None)
        saved.pop("snap_value", None)
    slots.add("duration")
    return duration


def ratio_select(prefix: str, model: Model, mode: str, slots: Slots) -> str | None:
    ratios = [] if model.inherits_source else list(model.ratios_for(mode))
    if not ratios:
        return None
    key = bind(prefix, "aspect_ratio", ratios[0], ratios)
    ratio = st.segmented_control(
        "Aspect ratio",
        ratios,
        key=key,
        format_func=lambda r: RATIO_LABELS.get(r, r),
        required=True,
    )
    ratio = ratio or ratios[0]
    remember(prefix, "aspect_ratio", ratio)
    slots.add("aspect_ratio")
    return ratio


def variants_select(prefix: str, slots: Slots) -> int:
    options = list(range(1, catalog.MAX_VARIANTS + 1))
    key = bind(prefix, "variants", 1, options)
    variants = st.segmented_control(
        "Variants",
        options,
        key=key,
        required=True,
        help="Each variant is its own job (and its own charge).",
    )
    variants = int(variants or 1)
    remember(prefix, "variants", variants)
    slots.add("variants")
    return variants


def seed_select(prefix: str, model: Model, variants: int, slots: Slots) -> int | None:
    """A new seed each time, or a fixed seed, for models that take one; None means a random seed."""
    if not model.seed:
        if variants > 1:
            st.caption(
                f":material/content_copy: {model.label} takes no seed: its variants may come back identical."
            )
        return None
    seed_mode = choice(
        prefix,
        "seed_mode",
        "Seed",
        SEED_MODES,
        "random",
        help="The same seed, prompt and settings give the same video again.",
    )
    seed: int | None = None
    if seed_mode == "fixed":
        key = bind(prefix, "seed", 0)
        value = st.session_state.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEED:
            st.session_state[key] = 0
        seed = int(st.number_input("Seed number", min_value=0, max_value=MAX_SEED, step=1, key=key) or 0)
        remember(prefix, "seed", seed)
        if variants > 1:
            seeds = variant_seeds(model, variants, seed)
            st.caption(f"Each variant gets its own seed: {', '.join(str(s) for s in seeds)}.")
        else:
            st.caption(f"Seed {seed}: the same recipe renders the same video.")
    elif variants > 1:
        st.caption(f"A new random seed, and {variants} distinct seeds for the variants (seed, seed + 1, …).")
    else:
        st.caption("A new random seed each time; it is kept with the take.")
    slots.add("seed")
    return seed


def audio_toggle(prefix: str, model: Model) -> bool:
    if not model.audio:
        return False
    key = bind(prefix, "audio", False, [True, False])
    audio = st.toggle(
        "Native audio",
        key=key,
        help=f"{model.label} can render its own sound with the picture.",
    )
    remember(prefix, "audio", bool(audio))
    return bool(audio)


def settings_row(prefix: str, mode: str, slots: Slots, *, stacked: bool = False) -> Settings:
    """Model and variants, then duration and aspect ratio, then seed and audio when the model has them.

    A model that keeps its source's length and ratio (`inherits_source`) shows neither control.
    `stacked`: one field under the other, for a narrow settings panel.
    """
    cat = catalog_now()
    if stacked:
        model = model_select(prefix, mode, slots, cat)
        variants = variants_select(prefix, slots)
        if model.inherits_source:
            st.caption(f":material/straighten: {model.label} keeps the source's length and aspect ratio.")
            duration = ratio = None
        else:
            duration = duration_select(prefix, model, slots)
            ratio = ratio_select(prefix, model, mode, slots)
        seed = seed_select(prefix, model, variants, slots) if model.seed or variants > 1 else None
        audio = audio_toggle(prefix, model)
        return Settings(model, duration, ratio, variants, seed=seed, audio=audio, origin=lineage(prefix))
    top = st.columns([3, 2], gap="medium", vertical_alignment="top")
    with top[0]:
        model = model_select(prefix, mode, slots, cat)
    with top[1]:
        variants = variants_select(prefix, slots)
    duration = ratio = None
    if model.inherits_source:
        st.caption(f":material/straighten: {model.label} keeps the source's length and aspect ratio.")
    else:
        bottom = st.columns(2, gap="medium", vertical_alignment="top")
        with bottom[0]:
            duration = duration_select(prefix, model, slots)
        with bottom[1]:
            ratio = ratio_select(prefix, model, mode, slots)
    seed: int | None = None
    audio = False
    has_seed_row = model.seed or variants > 1
    if has_seed_row or model.audio:
        extra = iter(st.columns(2, gap="medium", vertical_alignment="center" if not model.seed else "top"))
        if has_seed_row:
            with next(extra):
                seed = seed_select(prefix, model, variants, slots)
        with next(extra):
            audio = audio_toggle(prefix, model)
    return Settings(
        model=model,
        duration=duration,
        aspect_ratio=ratio,
        variants=variants,
        seed=seed,
        audio=audio,
        origin=lineage(prefix),
    )
