"""The text-to-video scene's speed tricks give the pictures their slow references give."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from demo_gateway.render import terrain
from demo_gateway.render.encode import YuvFrame, to_u8
from demo_gateway.render.framing import seed_of, seed_parts
from demo_gateway.render.noise import smoothstep
from demo_gateway.render.scene import TextScene
from demo_gateway.render.scene_spec import read_prompt

W, H, N = 640, 360, 24


def _spec(prompt: str, seed: int | None = None):
    return read_prompt(prompt, seed_of(prompt, *seed_parts(seed)), subjects=False)


class _FullSky(TextScene):
    """The slow reference: every sky row worked on, even those the water always covers."""

    def _sky_rows(self) -> int:
        return self.h


def _sky_twice(prompt: str, seed: int | None) -> tuple[TextScene, TextScene]:
    """The scene's sky as built, and the reference sky from the very same random states."""
    states = {}
    build = TextScene._build_sky

    def recording(self: TextScene, rng: np.random.Generator, dither: np.random.Generator) -> None:
        states["rng"], states["dither"] = copy.deepcopy(rng), copy.deepcopy(dither)
        build(self, rng, dither)
        states["rng_after"] = rng.bit_generator.state
        states["dither_after"] = dither.bit_generator.state

    scene = TextScene.__new__(TextScene)
    TextScene._build_sky = recording  # type: ignore[method-assign]
    try:
        TextScene.__init__(scene, _spec(prompt, seed), W, H, N)
    finally:
        TextScene._build_sky = build  # type: ignore[method-assign]
    ref = _FullSky.__new__(_FullSky)
    ref.__dict__.update(scene.__dict__)
    rng, dither = states["rng"], states["dither"]
    ref._build_sky(rng, dither)
    # and the random draws after the sky are the ones the full sky leaves
    assert states["rng_after"] == rng.bit_generator.state
    assert states["dither_after"] == dither.bit_generator.state
    return scene, ref


@pytest.mark.parametrize(
    ("prompt", "seed"),
    [
        ("sunset over the ocean, slow dolly in", None),  # the sun's disc close to the horizon
        ("a moonlit bay at night", 3),  # moon, stars
        ("aurora over a lake at night, starry sky", None),
        ("cloudy harbour at sunset", None),  # heavy clouds reach the horizon
        ("rainy neon city at night", None),  # a wet street
    ],
)
def test_sky_over_water_matches_the_full_sky_above_the_horizon(prompt: str, seed: int | None) -> None:
    scene, ref = _sky_twice(prompt, seed)
    assert scene._sky_rows() < H, "the trick is in use for this prompt"
    hz, hc = scene.horizon, scene.horizon // 2
    assert scene.sun == ref.sun
    # the same sums on arrays of another length: numpy's vector exp/sin may round a last bit otherwise
    pairs = (
        (scene.sky_y[:hz], ref.sky_y[:hz]),
        (scene.sky_u[:hc], ref.sky_u[:hc]),
        (scene.sky_v[:hc], ref.sky_v[:hc]),
    )
    for got, want in pairs:
        diff = np.abs(got.astype(np.int16) - want)
        assert diff.max() <= 1
        assert np.count_nonzero(diff) <= got.size // 10_000


def test_frames_over_water_show_what_the_full_sky_shows() -> None:
    prompt = "sunset over the ocean, camera pans left"
    scene, ref = _sky_twice(prompt, None)
    for i in (0, N // 2, N - 1):
        a, b = YuvFrame(W, H), YuvFrame(W, H)
        scene.draw(i, a)
        ref.draw(i, b)
        assert np.abs(a.buf.astype(np.int16) - b.buf).max() <= 1


def test_snow_rows_leave_out_only_rows_without_snow() -> None:
    rng = np.random.default_rng(5)
    for _ in range(50):
        rows = int(rng.integers(1, 60))
        edge = (
            rng.uniform(-30, 10) - np.arange(rows, dtype=np.float32)[:, None] * rng.uniform(0.2, 3)
        ).astype(np.float32) + rng.normal(0, 3, (rows, 40)).astype(np.float32)
        r = terrain._snow_rows(edge)
        assert not smoothstep(-4.0, 4.0, edge[r:]).any()
        if r:
            assert smoothstep(-4.0, 4.0, edge[r - 1]).any()
    assert terrain._snow_rows(np.full((5, 3), -4.0, np.float32)) == 0
    assert terrain._snow_rows(np.full((5, 3), -3.9, np.float32)) == 5


@pytest.mark.parametrize("prompt", ["snowy mountains at dawn", "snowy mountains at night, orbit"])
def test_snowcaps_match_the_slow_reference(prompt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = _spec(prompt)
    assert spec.snowcaps and spec.terrain == "mountains"
    fast = TextScene(spec, W, H, N)
    monkeypatch.setattr(terrain, "_snow_rows", lambda edge: edge.shape[0])
    slow = TextScene(spec, W, H, N)
    assert len(fast.layers) == len(slow.layers) == 4
    for a, b in zip(fast.layers, slow.layers, strict=True):
        assert a.top == b.top
        for p, q in ((a.fy, b.fy), (a.fu, b.fu), (a.fv, b.fv)):
            assert np.array_equal(p, q)


def _reference_water(scene: TextScene, f: YuvFrame, t: float, sky_off: int) -> None:
    """The water as it was drawn before: every row shifted in a Python loop, the glint added densely."""
    h, w, hz = scene.h, scene.w, scene.horizon
    dx = scene.w_amp * (
        0.55 * np.sin(scene.w_swell * 0.35 - t * 1.7)
        + scene.w_jitter * np.sin(scene.w_rowfreq * t + scene.w_rowphase)
    )
    shifts = np.rint(dx).astype(np.int64)
    pad = scene.w_pad

    def shifted(rows: np.ndarray, sh: np.ndarray) -> np.ndarray:
        n, ww = rows.shape
        padded = np.concatenate([np.repeat(rows[:, :1], pad, 1), rows, np.repeat(rows[:, -1:], pad, 1)], 1)
        return np.stack([padded[j, pad + d : pad + d + ww] for j, d in enumerate(sh.tolist())])

    out = shifted(f.y[scene.w_src], shifts)
    swell = 1.0 + 0.025 * np.sin(scene.w_swell - t * 2.2)
    wy, wu, wv = scene.w_col
    refl = scene.w_refl[:, 0]
    y = out * (refl * swell)[:, None]
    y += (wy * (1.0 - refl) * swell + 0.5)[:, None]
    off = int(t * 14) % 64
    y += scene.w_streak[:, off : off + w]
    if scene.glint is not None:
        g0, g1 = scene.glint_x
        cols, flat, vals = scene.glint[int(round(t * 24)) % len(scene.glint)]
        pattern = np.zeros((h - hz, g1 - g0), np.float32)
        pattern[(flat - cols) // w, cols] = vals
        a, b = max(0, g0 - sky_off), min(w, g1 - sky_off)
        if b > a:
            y[:, a:b] += pattern[:, a - (g0 - sky_off) : b - (g0 - sky_off)]
    np.clip(y, 0, 255, out=y)
    f.y[hz:] = y
    hc = hz // 2
    sel = slice(0, 2 * (h // 2 - hc), 2)
    csrc = np.clip(scene.w_src[sel] // 2, 0, h // 2 - 1)
    for plane, base in ((f.u, wu), (f.v, wv)):
        cout = shifted(plane[csrc], shifts[sel] // 2)
        plane[hc:] = to_u8(base + (cout - np.float32(base)) * scene.w_refl[sel])


@pytest.mark.parametrize("prompt", ["a comic sailboat on the ocean", "rainy neon city at night"])
def test_water_matches_the_slow_reference(prompt: str) -> None:
    scene = TextScene(_spec(prompt), W, H, N)
    if "ocean" in prompt:
        assert scene.glint is not None, "the sun's glitter is drawn"
        g0, g1 = scene.glint_x
        offsets = [0, g0 - W + 40, g1 - 30, g0 + 5, g1 + 10]  # the glitter cut at either edge, or gone
    else:
        offsets = [0, 7]
    base = YuvFrame(W, H)
    scene.draw(3, base)
    for i, sky_off in zip((0, 5, 11, 17, 23), offsets * 3, strict=False):
        a, b = YuvFrame(W, H), YuvFrame(W, H)
        a.buf[:] = b.buf[:] = base.buf
        scene._draw_water(a, i / 24, sky_off)
        _reference_water(scene, b, i / 24, sky_off)
        assert np.array_equal(a.y, b.y)
        for got, want in ((a.u, b.u), (a.v, b.v)):  # mixed in fixed point: one rounding apart at most
            assert np.abs(got.astype(np.int16) - want).max() <= 1
        assert not np.array_equal(a.buf, base.buf)


class _FullFill(TextScene):
    """The slow reference: every land fill worked on down to the frame's foot."""

    def _land_bottom(self) -> int:
        return self.h


@pytest.mark.parametrize(
    ("prompt", "seed", "terrain"),
    [
        ("a comic sailboat on the ocean", None, "islands"),
        ("tropical islands in the ocean", 3, "islands"),
        ("rainy neon city at night", None, "city"),  # a wet street
        ("a city harbour at sunset", 2, "city"),
    ],
)
def test_land_over_water_matches_the_full_fill(prompt: str, seed: int | None, terrain: str) -> None:
    spec = _spec(prompt, seed)
    assert spec.terrain == terrain and (spec.water or spec.wet)
    fast, slow = TextScene(spec, W, H, N), _FullFill(spec, W, H, N)
    assert fast.rng.bit_generator.state == slow.rng.bit_generator.state
    hz = fast.horizon
    for a, b in zip(fast.layers, slow.layers, strict=True):
        assert a.top == b.top and a.fy.shape == b.fy.shape and a.fu.shape == b.fu.shape
        assert a.fy.shape[0] > hz - a.top, "rows under the horizon are left out"
        rows, crows = hz - a.top, hz // 2 - a.top // 2
        for got, want in (
            (a.fy[:rows], b.fy[:rows]),
            (a.fu[:crows], b.fu[:crows]),
            (a.fv[:crows], b.fv[:crows]),
        ):
            diff = np.abs(got.astype(np.int16) - want)
            assert diff.max() <= 1 and np.count_nonzero(diff) <= got.size // 10_000
    for i in (0, N - 1):
        x, y = YuvFrame(W, H), YuvFrame(W, H)
        fast.draw(i, x)
        slow.draw(i, y)
        assert np.abs(x.buf.astype(np.int16) - y.buf).max() <= 1
