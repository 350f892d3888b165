"""The remix looks' fast paths: integer upscales, lookups and grain give the pictures the slow ones did."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from demo_gateway.render.encode import YuvFrame
from demo_gateway.render.finisher import Grain
from demo_gateway.render.planes import grow as _grow
from demo_gateway.render.planes import up2 as _up2
from demo_gateway.render.styles import STYLES, _take, make_style


def _planes(w: int, h: int, seed: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A picture with soft gradients, hard-edged shapes and some noise, as YUV 4:2:0 planes."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    y = 60 + 80 * np.sin(xx / 37.0) ** 2 + 40 * (yy / h)
    y[h // 4 : h // 2, w // 5 : w // 2] = 220
    y[h // 2 : h - 10, w // 2 : w - 20] = 30
    y = np.clip(y + rng.normal(0, 3, y.shape), 16, 235).astype(np.uint8)
    u = rng.integers(100, 160, (h // 2, w // 2)).astype(np.uint8)
    v = np.full((h // 2, w // 2), 140, np.uint8)
    return y, u, v


@pytest.mark.parametrize("shape", [(90, 160), (45, 81), (1, 1), (7, 3)])
def test_up2_is_pillows_bilinear_within_one_code(shape):
    a = np.random.default_rng(1).integers(0, 256, shape).astype(np.uint8)
    ours = _up2(a).astype(int)
    theirs = np.asarray(
        Image.fromarray(a, "L").resize((shape[1] * 2, shape[0] * 2), Image.Resampling.BILINEAR)
    )
    assert ours.shape == theirs.shape
    assert np.abs(ours - theirs.astype(int)).max() <= 1


def test_up2_plus_adds_a_plane_and_saturates():
    rng = np.random.default_rng(2)
    a = rng.integers(0, 256, (40, 60)).astype(np.uint8)
    plus = rng.integers(0, 256, (80, 120)).astype(np.uint8)
    want = np.minimum(_up2(a).astype(int) + plus, 255)
    got = _up2(a, plus=plus).astype(int)
    assert np.abs(got - want).max() <= 1  # one rounding instead of two
    assert got.max() == 255  # saturated, not wrapped round to dark codes
    assert (got >= np.maximum(_up2(a).astype(int), plus) - 1).all()


@pytest.mark.parametrize(
    ("src", "size"), [((90, 160), (640, 360)), ((45, 80), (641, 361)), ((60, 107), (640, 360))]
)
def test_grow_reaches_any_size_and_keeps_flat_areas_flat(src, size):
    flat = np.full(src, 77, np.uint8)
    out = _grow(flat, size)
    assert out.shape == (size[1], size[0])
    assert (out == 77).all()
    step = np.zeros(src, np.uint8)
    step[:, src[1] // 2 :] = 200
    row = _grow(step, size)[size[1] // 2].astype(int)
    assert (np.diff(row) >= 0).all() and row[0] == 0 and row[-1] == 200  # a soft edge, no ringing


def test_take_through_pillow_is_an_exact_lookup():
    rng = np.random.default_rng(4)
    lut = rng.integers(0, 256, 256).astype(np.uint8)
    big = rng.integers(0, 256, (720, 1280)).astype(np.uint8)
    out = np.empty_like(big)
    assert _take(lut, big, out=out) is out
    assert np.array_equal(out, lut[big])
    strided = big[0::2, 0::2]  # not contiguous: the numpy path
    assert np.array_equal(_take(lut, strided, out=np.empty_like(strided)), lut[strided])
    wide = lut.astype(np.int16) - 128  # an int16 table: numpy path, values kept
    assert np.array_equal(_take(wide, big), wide[big])


def test_midtone_grain_is_exact_and_stronger_in_the_midtones():
    w, h = 640, 360
    y = np.tile(np.linspace(16, 235, w).astype(np.uint8), (h, 1))
    full = y.copy()
    Grain(w, h, 2.5, np.random.default_rng(9)).apply(full)
    weighted = y.copy()
    Grain(w, h, 2.5, np.random.default_rng(9), midtones=(70, 190)).apply(weighted)
    noise_full = full.astype(int) - y
    noise = weighted.astype(int) - y
    assert np.abs(noise).max() <= 12  # a wrapping add that never wrapped: no black or white sparks
    mid, dark = (y >= 80) & (y <= 180), y < 60
    assert np.array_equal(noise[mid], noise_full[mid])  # the same grain, full strength, in the midtones
    assert 0.3 < noise[dark].std() / noise_full[dark].std() < 0.6  # and about half of it in the shadows
    again = y.copy()
    Grain(w, h, 2.5, np.random.default_rng(9), midtones=(70, 190)).apply(again)
    assert np.array_equal(again, weighted)


def _styled(name: str, w: int, h: int, seed: int, frames: int = 3) -> list[YuvFrame]:
    y, u, v = _planes(w, h)
    style = make_style(name, w, h, seed)
    out = []
    for i in range(frames):
        f = YuvFrame(w, h)
        style.apply(y, u, v, i / 24, f)
        out.append(f)
    return out


def test_sepia_toning_follows_the_picture_not_its_grain():
    """On a left-to-right luma ramp the brown toning must rise smoothly with the ramp; toned from the
    grainy luma (as it once was) it steps back and forth wherever grain tips a code over."""
    w, h = 320, 180
    y = np.tile(np.clip(np.linspace(-100, 350, w), 16, 235).astype(np.uint8), (h, 1))
    u = np.full((h // 2, w // 2), 128, np.uint8)
    for seed in range(3):
        f = YuvFrame(w, h)
        make_style("sepia", w, h, seed).apply(y, u, u.copy(), 0.0, f)
        assert f.y[80:100, 140:180].std() > 1.0  # the luma is grainy
        for c in (f.u, f.v):
            steps = np.diff(c[40:50, 50:110].astype(int), axis=1)  # the middle, where no vignette falls
            assert (steps * np.sign(steps.sum()) >= 0).all()  # monotone: no grain in the toning


def test_sepia_flicker_holds_for_two_frames():
    w, h = 320, 180
    y = np.full((h, w), 120, np.uint8)
    u = np.full((h // 2, w // 2), 128, np.uint8)
    style = make_style("sepia", w, h, 5)
    levels = []
    for i in range(16):
        f = YuvFrame(w, h)
        style.apply(y, u, u, i / 24, f)
        levels.append(int(np.median(f.y[40:140, 60:260])))  # the median shrugs off grain, dust, scratches
    pairs = [levels[k : k + 2] for k in range(0, 16, 2)]
    assert all(abs(a - b) <= 1 for a, b in pairs)
    assert len({a for a, _ in pairs}) > 2  # and it still flickers


@pytest.mark.parametrize("name", STYLES)
@pytest.mark.parametrize(("w", "h"), [(320, 180), (322, 182), (1282, 722)])
def test_every_style_renders_any_even_size_deterministically(name, w, h):
    a = _styled(name, w, h, seed=7, frames=2)
    b = _styled(name, w, h, seed=7, frames=2)
    for fa, fb in zip(a, b, strict=True):
        assert np.array_equal(fa.buf, fb.buf)
    assert a[-1].y.shape == (h, w)


def test_comic_ink_matches_the_bilinear_upscaled_outline():
    """The ink outline drawn through the integer upscale is the one Pillow's bilinear resize draws."""
    from demo_gateway.render import planes as P

    w, h = 640, 360
    y, u, v = _planes(w, h)
    f = YuvFrame(w, h)
    style = make_style("comic", w, h, 1)
    style.apply(y, u, v, 0.0, f)
    half = P.median5(np.asarray(P.shrink(P.image(y), P.size_div(w, h, 2))))
    ink = P.image((P.edges(half) > 32).astype(np.uint8) * 255).resize((w, h), Image.Resampling.BILINEAR)
    poster = P.image(np.asarray(style.poster, np.uint8)[y])
    want = np.asarray(Image.composite(P.image(style.ink_y), poster, ink)).astype(int)
    assert (f.y < 30).mean() > 0.01  # there is ink to compare
    assert np.abs(f.y.astype(int) - want).max() <= 2


def test_noir_and_sepia_grain_changes_with_the_seed():
    for name in ("noir", "sepia"):
        a = _styled(name, 320, 180, seed=1, frames=1)[0]
        b = _styled(name, 320, 180, seed=2, frames=1)[0]
        assert np.abs(a.y.astype(int) - b.y.astype(int)).mean() > 0.5, name
