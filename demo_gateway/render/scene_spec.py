"""What a prompt asks of a text-to-video scene (`SceneSpec`), read by keywords (`read_prompt`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from demo_gateway.render.actors import habitat_of
from demo_gateway.render.camera import CameraMove, camera_of
from demo_gateway.render.kinds import Habitat, Kind
from demo_gateway.render.subjects import Subject, find_subjects

# --- reading the prompt ---------------------------------------------------------------------------

_TIME_EXPLICIT = {
    "night": r"night|nights|nighttime|midnight|nocturnal",
    "sunset": r"sunset|sunsets|sundown|dusk|golden hour|evening|twilight",
    "dawn": r"dawn|sunrise|daybreak|morning|first light",
    "day": r"day|daytime|noon|midday|afternoon|sunny|sunshine|bright|summer",
}
_TIME_IMPLIED = {
    "night": r"stars?|starry|starlit|moon|moonlit|moonlight|galaxy|milky way|aurora|northern lights"
    r"|fireflies|firefly|neon|cyberpunk|synthwave|vaporwave|retrowave|dark",
}
_TERRAIN = {
    "city": r"city|cities|skyline|urban|streets?|downtown|skyscrapers?|metropolis|buildings?|rooftops?"
    r"|tokyo|new york|manhattan|town|paris|london|rome|venice|berlin|hong kong|shanghai|seoul|dubai|chicago"
    r"|san francisco|los angeles|barcelona|amsterdam|istanbul|alley|alleyway|plaza|subway|caf[eé]s?",
    "forest": r"forests?|woods|woodland|trees?|jungle|pines?|grove|rainforest|taiga",
    "desert": r"deserts?|dunes?|sand|sandy|sahara|canyon|mesa",
    "mountains": r"mountains?|alps|alpine|peaks?|summit|ridges?|valley|volcano|cliffs?|glacier|himalaya",
    "hills": r"hills?|meadows?|fields?|countryside|prairie|grassland|farmland|vineyard|gardens?|parks?|lawns?"
    r"|backyard|orchard|savann?ah?|plains",
}
_TERRAIN_IMPLIED = {
    "city": r"neon|cyberpunk|synthwave|vaporwave|retrowave|blade runner",
    "forest": r"fireflies|firefly|autumn|fall foliage|elves|fairy",
    "mountains": r"snowy|winter|arctic",
    "desert": r"dust|dusty|sandstorm",
}
_WATER = r"oceans?|seas?|beach|coast|coastline|shore|seaside|waves?|lakes?|rivers?|bay|harbou?r|lagoon|water|pond|reflections?|islands?|sail(?:ing|boat)?"
_MOODS = {
    "neon": r"neon|cyberpunk|synthwave|vaporwave|retrowave|blade runner",
    "autumn": r"autumn|autumnal|fall foliage|fall|october|maple|foliage",
    "winter": r"winter|wintry|snow|snowy|snowfall|ice|icy|frozen|arctic|glacier|blizzard|frost|frosty",
    "storm": r"storm|stormy|thunder|thunderstorm|lightning|overcast|rain|rainy|raining|downpour|drizzle|cloudy|grey|gray|gloomy|monsoon",
    "misty": r"fog|foggy|mist|misty|haze|hazy|ethereal|dreamy",
}
_PARTICLES = {
    "rain": r"rain|rainy|raining|downpour|drizzle|storm|stormy|thunderstorm|monsoon|rainfall",
    "snow": r"snow|snowing|snowfall|snowflakes?|blizzard|winter|snowy|flurr(?:y|ies)",
    "fireflies": r"fireflies|firefly|glow ?worms?|fairy|fairies|magical|magic|enchanted",
    "dust": r"dust|dusty|sandstorm|pollen|motes|windy|desert|dunes?",
    "embers": r"embers?|sparks|fire|campfire|bonfire|ash|volcano|lava",
    "sparkles": r"sparkles?|sparkling|glitter|glittering|twinkl\w*|stardust|shimmer\w*",
}


def _find(text: str, pattern: str) -> int | None:
    m = re.search(rf"\b(?:{pattern})\b", text)
    return m.start() if m else None


def _earliest(text: str, table: dict[str, str]) -> str | None:
    best: tuple[int, str] | None = None
    for key, pattern in table.items():
        pos = _find(text, pattern)
        if pos is not None and (best is None or pos < best[0]):
            best = (pos, key)
    return best[1] if best else None


@dataclass(frozen=True)
class SceneSpec:
    """What the prompt asks for, read by keywords; anything unsaid is chosen from the seed."""

    time: str  # day | sunset | dawn | night
    terrain: str  # mountains | forest | desert | city | hills | islands
    water: bool  # open water with reflections
    wet: bool  # a wet street reflecting the city
    moods: frozenset[str]
    particles: frozenset[str]
    clouds: float  # 0..1 cover
    snowcaps: bool
    aurora: bool
    lightning: bool
    seed: int
    camera: CameraMove = CameraMove.DRIFT
    subjects: tuple[Subject, ...] = ()


def read_prompt(prompt: str, seed: int, *, subjects: bool = True) -> SceneSpec:
    """The scene a prompt describes; `subjects=False` leaves its subjects out (the bare landscape)."""
    text = " ".join((prompt or "").lower().split())
    pick = np.random.default_rng(seed ^ 0xC0FFEE)
    cast = find_subjects(text, seed)  # read either way: a boat still implies water
    named_terrain = _earliest(text, _TERRAIN) is not None
    moods = frozenset(k for k, p in _MOODS.items() if _find(text, p) is not None)
    particles = {k for k, p in _PARTICLES.items() if _find(text, p) is not None}
    time = _earliest(text, _TIME_EXPLICIT) or _earliest(text, _TIME_IMPLIED)
    if time is None:
        time = str(pick.choice(["day", "sunset", "dawn", "day", "sunset", "night"]))
    water = _find(text, _WATER) is not None
    # a boat, a swimming swan or a leaping whale needs water; a lighthouse stands by the sea
    needs_water = any(habitat_of(s, True) is Habitat.WATER and s.kind is not Kind.LIGHTHOUSE for s in cast)
    if needs_water or (any(s.kind is Kind.LIGHTHOUSE for s in cast) and not named_terrain):
        water = True
    terrain = _earliest(text, _TERRAIN) or _earliest(text, _TERRAIN_IMPLIED)
    if terrain is None:
        terrain = "islands" if water else str(pick.choice(["mountains", "hills", "forest", "mountains"]))
    if "snow" in particles and "rain" in particles:
        particles.discard("rain" if _find(text, _PARTICLES["snow"]) is not None else "snow")
    if (
        "dust" in particles
        and terrain != "desert"
        and _find(text, r"dust|dusty|sandstorm|pollen|motes") is None
    ):
        particles.discard("dust")
    if _find(text, r"snowy|snow-capped|snowcapped|winter|alpine|alps|himalaya|glacier") is not None:
        snowcaps = terrain == "mountains"
    else:
        snowcaps = terrain == "mountains" and "winter" in moods
    if _find(text, r"clear|cloudless|starry|stars") is not None:
        clouds = 0.12
    elif "storm" in moods:
        clouds = 0.82 if "rain" in particles else 0.7
    else:
        clouds = float(pick.uniform(0.25, 0.45))
    wet = terrain == "city" and ("rain" in particles or _find(text, r"wet|puddles?|reflections?") is not None)
    return SceneSpec(
        time=time,
        terrain=terrain,
        water=water and not wet,
        wet=wet,
        moods=moods,
        particles=frozenset(particles),
        clouds=clouds,
        snowcaps=snowcaps,
        aurora=_find(text, r"aurora|auroras|northern lights|borealis") is not None,
        lightning=_find(text, r"thunder|thunderstorm|lightning") is not None,
        seed=seed,
        camera=camera_of(text),
        subjects=cast if subjects else (),
    )
