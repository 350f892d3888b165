"""A quiet ambient sound bed for a scene (wind, rain, sea, city), deterministic for a seed."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

RATE = 48_000


def _shaped(rng: np.random.Generator, n: int, lo: float, hi: float) -> np.ndarray:
    """Noise band-passed between lo and hi Hz, unit RMS: a random spectrum (what white noise's FFT
    is), shaped in the frequency domain and brought back with one inverse FFT, all in float32."""
    m = n // 2 + 1
    band = _band(n, lo, hi)
    spec = np.empty(m, np.complex64)
    spec.real = rng.standard_normal(m, np.float32) * band
    spec.imag = rng.standard_normal(m, np.float32) * band
    out = np.fft.irfft(spec, n).astype(np.float32, copy=False)
    return out / (float(np.sqrt(np.mean(out**2))) + 1e-9)


@lru_cache(maxsize=16)
def _band(n: int, lo: float, hi: float) -> np.ndarray:
    """The band-pass gain at each of an n-sample FFT's frequencies (read-only, shared)."""
    f = np.fft.rfftfreq(n, 1.0 / RATE).astype(np.float32)
    f[0] = 1e-3
    band = (1.0 / np.sqrt((1.0 + (lo / f) ** 4) * (1.0 + (f / hi) ** 4))).astype(np.float32)
    band.flags.writeable = False
    return band


_CONTROL = 64  # envelopes are slow (periods of a second and more): computed every 64 samples, then eased


def _swell(rng: np.random.Generator, n: int, period: float, depth: float) -> np.ndarray:
    k = -(-n // _CONTROL)  # control points every _CONTROL samples, one more at the end
    t = np.arange(k + 1, dtype=np.float32) * np.float32(_CONTROL / RATE)
    ph = float(rng.uniform(0, 6.28))
    wobble = 0.3 * np.sin(2 * np.pi * t / (period * 2.7) + ph * 1.7)
    env = (1.0 - depth + depth * (0.5 + 0.5 * np.sin(2 * np.pi * t / period + ph + wobble))).astype(
        np.float32
    )
    step = np.arange(_CONTROL, dtype=np.float32) / np.float32(_CONTROL)
    out = env[:-1, None] + (env[1:] - env[:-1])[:, None] * step[None, :]  # linear between control points
    return out.reshape(-1)[:n]


def ambience_of(terrain: str, water: bool, particles: frozenset[str], moods: frozenset[str]) -> set[str]:
    """Which beds a scene gets."""
    beds = {"wind"}
    if "rain" in particles or "storm" in moods:
        beds.add("rain")
    if water:
        beds.add("sea")
    if terrain == "city":
        beds.add("city")
    return beds


def ambient_bed(beds: set[str], seconds: float, seed: int) -> np.ndarray:
    """Stereo float32 samples (2, n) in -1..1, peaking around -20 dBFS: a bed to test players with."""
    n = max(RATE // 10, int(round(seconds * RATE)))
    rng = np.random.default_rng(seed ^ 0xA0D10)
    out = np.zeros((2, n), np.float32)
    for ch in range(2):
        mix = np.zeros(n, np.float32)
        if "wind" in beds:
            mix += 0.5 * _shaped(rng, n, 80, 700) * _swell(rng, n, 5.0, 0.7)
        if "rain" in beds:
            mix += 0.6 * _shaped(rng, n, 1500, 9000) * (0.85 + 0.15 * _swell(rng, n, 1.3, 1.0))
        if "sea" in beds:
            mix += 0.8 * _shaped(rng, n, 150, 2500) * _swell(rng, n, 7.0, 0.85) ** 2
        if "city" in beds:
            mix += 0.5 * _shaped(rng, n, 40, 300) + 0.15 * _shaped(rng, n, 500, 3000) * _swell(
                rng, n, 2.3, 0.8
            )
        out[ch] = mix
    out *= 0.1 / (float(np.abs(out).max()) + 1e-9)  # about -20 dBFS peak: quiet
    fade = min(n // 4, RATE // 4)
    ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
    out[:, :fade] *= ramp
    out[:, n - fade :] *= ramp[::-1]
    return out
