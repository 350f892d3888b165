"""Camera presets: a phrase each, put into a prompt once and recognised in it again."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from studio.errors import InputError

DATA_FILE = Path(__file__).parent / "data" / "cameras.json"


@dataclass(frozen=True)
class Preset:
    """One camera move: its key (kept with the take), label, prompt phrase and material icon name."""

    key: str
    label: str
    phrase: str
    icon: str

    @property
    def material_icon(self) -> str:
        return f":material/{self.icon}:"


@lru_cache(maxsize=1)
def _load() -> dict[str, Preset]:
    raw = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return {p["key"]: Preset(p["key"], p["label"], p["phrase"], p["icon"]) for p in raw["presets"]}


def presets() -> list[Preset]:
    """Every preset, in the data's order."""
    return list(_load().values())


def get(key: str) -> Preset:
    """The preset with this key, or an InputError a user can read."""
    found = _load().get(key) if isinstance(key, str) else None
    if found is None:
        raise InputError(f"Unknown camera preset {str(key)[:40]!r}.", field="camera")
    return found


def find(value: str | None) -> Preset | None:
    """The preset a user means by a key, label or phrase (any case), or None."""
    if not isinstance(value, str):
        return None
    wanted = " ".join(value.split()).casefold()
    for p in _load().values():
        if wanted in (p.key.casefold(), p.label.casefold(), p.phrase.casefold()):
            return p
    return None


@lru_cache(maxsize=1)
def _patterns() -> list[tuple[str, re.Pattern[str]]]:
    # Longest phrases first, so one that contains another is found (and removed) whole.
    ordered = sorted(_load().values(), key=lambda p: len(p.phrase), reverse=True)
    return [
        (p.key, re.compile(r"(?:\s*[,;]\s*)?(?<![\w-])" + re.escape(p.phrase) + r"(?![\w-])", re.IGNORECASE))
        for p in ordered
    ]


def _tidy(text: str) -> str:
    text = re.sub(r"\s*,(?:\s*,)+", ",", text)  # ", ," left where a phrase was
    text = re.sub(r"[ \t]{2,}", " ", text)
    return text.strip().strip(",;").strip()


def strip(prompt: str) -> str:
    """The prompt without any preset's phrase (and the comma before it)."""
    text = prompt or ""
    for _, pattern in _patterns():
        text = pattern.sub("", text)
    return _tidy(text)


def apply(prompt: str, key: str | None) -> str:
    """The prompt with this preset's phrase once at its end (", <phrase>"); None removes any."""
    base = strip(prompt)
    if key is None:
        return base
    phrase = get(key).phrase
    base = base.rstrip(" .,;")
    return f"{base}, {phrase}" if base else phrase


def detect(prompt: str) -> str | None:
    """The key of the preset whose phrase is in the prompt (the one nearest its end), or None."""
    best: tuple[int, str] | None = None
    for key, pattern in _patterns():
        for match in pattern.finditer(prompt or ""):
            if best is None or match.end() > best[0]:
                best = (match.end(), key)
    return best[1] if best else None
