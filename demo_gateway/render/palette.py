"""The colours of a scene: sky, light, haze and land for its time of day, weather and mood."""

from __future__ import annotations

import numpy as np

from demo_gateway.render.scene_spec import SceneSpec

# --- palettes ---------------------------------------------------------------------------------------

_SKIES: dict[str, dict[str, tuple[float, float, float]]] = {
    "day": {
        "zenith": (34, 88, 176),
        "mid": (92, 156, 222),
        "horizon": (196, 222, 240),
        "sun": (255, 252, 238),
        "glow": (255, 236, 196),
        "haze": (168, 196, 220),
        "light": (1.0, 1.0, 1.0),
        "cloud_lit": (252, 252, 255),
        "cloud_dark": (168, 180, 200),
        "water": (28, 72, 110),
    },
    "sunset": {
        "zenith": (30, 32, 86),
        "mid": (150, 70, 112),
        "horizon": (255, 158, 78),
        "sun": (255, 232, 170),
        "glow": (255, 142, 60),
        "haze": (196, 112, 110),
        "light": (0.5, 0.36, 0.46),
        "cloud_lit": (255, 176, 120),
        "cloud_dark": (96, 62, 98),
        "water": (40, 30, 60),
    },
    "dawn": {
        "zenith": (48, 70, 140),
        "mid": (180, 140, 180),
        "horizon": (255, 208, 168),
        "sun": (255, 244, 214),
        "glow": (255, 196, 150),
        "haze": (186, 164, 186),
        "light": (0.62, 0.56, 0.68),
        "cloud_lit": (255, 214, 200),
        "cloud_dark": (132, 118, 156),
        "water": (52, 62, 100),
    },
    "night": {
        "zenith": (3, 6, 20),
        "mid": (10, 20, 50),
        "horizon": (32, 50, 92),
        "sun": (236, 240, 255),
        "glow": (110, 140, 210),
        "haze": (28, 42, 78),
        "light": (0.3, 0.36, 0.52),
        "cloud_lit": (72, 84, 116),
        "cloud_dark": (16, 20, 36),
        "water": (6, 14, 30),
    },
}
_NEON = {
    "zenith": (10, 4, 30),
    "mid": (52, 14, 86),
    "horizon": (214, 58, 146),
    "glow": (255, 70, 170),
    "haze": (118, 34, 112),
    "light": (0.3, 0.22, 0.42),
    "cloud_lit": (170, 56, 140),
    "cloud_dark": (30, 12, 46),
    "water": (16, 6, 30),
}
_STORM = {
    "day": {
        "zenith": (60, 68, 82),
        "mid": (104, 112, 126),
        "horizon": (156, 162, 170),
        "haze": (128, 136, 146),
        "light": (0.55, 0.58, 0.62),
        "cloud_lit": (150, 156, 166),
        "cloud_dark": (66, 70, 82),
        "water": (40, 50, 60),
    },
    "night": {
        "zenith": (6, 8, 14),
        "mid": (16, 20, 30),
        "horizon": (40, 46, 60),
        "haze": (30, 36, 50),
        "cloud_lit": (48, 52, 66),
        "cloud_dark": (12, 14, 22),
    },
}
_WINTER_DAY = {
    "zenith": (80, 128, 192),
    "mid": (150, 186, 226),
    "horizon": (226, 236, 248),
    "haze": (196, 212, 232),
    "water": (48, 80, 112),
}
_AUTUMN_DAY = {"horizon": (250, 206, 150), "haze": (210, 170, 134), "glow": (255, 200, 120)}

_TERRAIN_COLOURS: dict[str, tuple[float, float, float]] = {
    "mountains": (44, 56, 82),
    "forest": (14, 42, 34),
    "desert": (214, 150, 92),
    "city": (30, 32, 46),
    "hills": (44, 90, 58),
    "islands": (36, 50, 58),
}


def palette_of(spec: SceneSpec) -> dict[str, np.ndarray]:
    pal = dict(_SKIES[spec.time])
    if "neon" in spec.moods:
        pal.update(_NEON)
    elif "storm" in spec.moods:
        pal.update(_STORM["night" if spec.time == "night" else "day"])
        if spec.time in ("sunset", "dawn"):
            pal["horizon"] = tuple(
                0.6 * np.array(pal["horizon"]) + 0.4 * np.array(_SKIES[spec.time]["horizon"])
            )
    elif "winter" in spec.moods and spec.time == "day":
        pal.update(_WINTER_DAY)
    elif "autumn" in spec.moods and spec.time in ("day", "sunset"):
        pal.update(_AUTUMN_DAY)
    land = np.array(_TERRAIN_COLOURS[spec.terrain], np.float32)
    if spec.terrain in ("forest", "hills") and "autumn" in spec.moods:
        land = np.array((120, 56, 30), np.float32)
    if spec.terrain in ("forest", "hills", "mountains") and "winter" in spec.moods:
        land = np.array((70, 86, 110), np.float32)
    out = {k: np.array(v, np.float32) for k, v in pal.items()}
    out["land"] = land * out["light"]
    if spec.terrain == "desert" and spec.time == "day":
        out["haze"] = 0.5 * out["haze"] + 0.5 * np.array((232, 204, 168), np.float32)
    if "misty" in spec.moods:
        out["haze"] = 0.7 * out["haze"] + 0.3 * out["horizon"]
    return out
