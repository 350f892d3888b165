"""The shot card: a structured prompt (subject, action, camera, lighting, style) and its sweeps."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, replace

from studio import camera
from studio.errors import InputError

FIELDS = ("subject", "action", "camera", "lighting", "style")
LABELS = {
    "subject": "Subject",
    "action": "Action",
    "camera": "Camera",
    "lighting": "Lighting",
    "style": "Style",
}
MAX_FIELD = 300  # characters per field
MIN_SWEEP, MAX_SWEEP = 2, 4
_LIGHT_WORDS = re.compile(r"\b(light|lights|lighting|lit|glow|shadows?|sun|sunlight|moonlight)\b", re.I)
_STYLE_WORDS = re.compile(r"\b(style|look|aesthetic|film|render|animation)\b", re.I)


@dataclass(frozen=True)
class ShotCard:
    """The five parts of a shot; any may be empty."""

    subject: str = ""
    action: str = ""
    camera: str = ""
    lighting: str = ""
    style: str = ""

    @property
    def empty(self) -> bool:
        return not any(_clean(getattr(self, f)) for f in FIELDS)


def _clean(value: object) -> str:
    """One line of text: single spaces, no trailing sentence punctuation."""
    return " ".join(str(value or "").split()).rstrip(" .,;")


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def camera_phrase(value: str) -> str:
    """A camera field as prompt text: a preset's key or label becomes its phrase."""
    preset = camera.find(value)
    return preset.phrase if preset is not None else _clean(value)


def compose(card: ShotCard) -> str:
    """One sentence: "A red balloon rises over a harbour, slow dolly in, golden-hour light, watercolour style."

    Subject and action make the head; camera, lighting and style follow, comma-separated.
    Lighting gains " light" and style " style" unless they already say so; "" for an empty card.
    """
    head = " ".join(p for p in (_clean(card.subject), _clean(card.action)) if p)
    cam = camera_phrase(card.camera) if _clean(card.camera) else ""
    light = _clean(card.lighting)
    if light and not _LIGHT_WORDS.search(light):
        light += " light"
    style = _clean(card.style)
    if style and not _STYLE_WORDS.search(style):
        style += " style"
    parts = [p for p in (head, cam, light, style) if p]
    if not parts:
        return ""
    return _capital(", ".join(parts)) + "."


def camera_key(card: ShotCard) -> str | None:
    """The camera preset the card's camera field names, if any (recorded with the take)."""
    preset = camera.find(card.camera)
    return preset.key if preset is not None else None


def to_json(card: ShotCard) -> str:
    return json.dumps(asdict(card), ensure_ascii=False, sort_keys=True)


def from_json(text: str | None) -> ShotCard:
    """A card from its JSON (None or "" is an empty card); junk is an InputError, never a crash."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return ShotCard()
    bad = InputError("The shot card could not be read: it is not a shot card.", field="shot")
    if not isinstance(text, str):
        raise bad
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError):
        raise bad from None
    if not isinstance(raw, dict):
        raise bad
    values: dict[str, str] = {}
    for name in FIELDS:
        value = raw.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            raise bad
        values[name] = check_field(name, value)
    return ShotCard(**values)


def check_field(name: str, value: str) -> str:
    """A field's text, or an InputError naming the field when it is too long."""
    text = " ".join(value.split())
    if len(text) > MAX_FIELD:
        raise InputError(
            f"{LABELS.get(name, name)} is {len(text):,} characters; a shot card field takes at most "
            f"{MAX_FIELD}.",
            field="shot",
        )
    return text


def sweep_values(values: list[str] | tuple[str, ...] | str) -> list[str]:
    """The distinct non-empty values a user typed (a string: one per line), in their order."""
    items = values.splitlines() if isinstance(values, str) else list(values)
    seen: dict[str, str] = {}
    for item in items:
        text = " ".join(str(item or "").split())
        if text and text.casefold() not in seen:
            seen[text.casefold()] = text
    return list(seen.values())


def sweep(card: ShotCard, field: str, values: list[str] | tuple[str, ...] | str) -> list[ShotCard]:
    """One card per value of one field (2 to 4 distinct values), the other fields unchanged."""
    if field not in FIELDS:
        raise InputError(f"Pick a field to sweep: {', '.join(FIELDS)}.", field="sweep")
    distinct = sweep_values(values)
    label = LABELS[field].lower()
    if len(distinct) < MIN_SWEEP:
        raise InputError(
            f"A sweep needs {MIN_SWEEP} to {MAX_SWEEP} different {label} values, one per line; "
            f"{'one was' if len(distinct) == 1 else 'none were'} given.",
            field="sweep",
        )
    if len(distinct) > MAX_SWEEP:
        raise InputError(
            f"A sweep takes at most {MAX_SWEEP} {label} values; {len(distinct)} were given. Remove "
            f"{len(distinct) - MAX_SWEEP}.",
            field="sweep",
        )
    return [replace(card, **{field: check_field(field, v)}) for v in distinct]
