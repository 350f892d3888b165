"""Remix looks for the local renderer: per-frame style transforms on YUV 4:2:0 planes, picked from a prompt."""

from __future__ import annotations

import re

import numpy as np
from PIL import Image, ImageFilter

from demo_gateway.render import planes
from demo_gateway.render.encode import YuvFrame, rgb_to_yuv
from demo_gateway.render.finisher import Grain, Vignette
from demo_gateway.render.particles import ParticleField

_STYLE_WORDS: dict[str, str] = {
    "watercolour": r"watercolou?rs?|aquarelle|gouache|painting|painted|paint|painterly|impressionis\w*"
    r"|pastels?",
    "noir": r"noir|black and white|black-and-white|b&w|b/w|monochrome|grayscale|greyscale",
    "sepia": r"sepia|vintage|old film|old-timey|old movie|retro film|silent film|antique|aged|old photo"
    r"|1920s|1930s|1940s|1950s|super ?8|8mm|16mm",
    "winter": r"winter|wintry|snow|snowy|snowing|snowfall|frozen|icy|ice|frost|frosty|blizzard|christmas",
    "night": r"night|nighttime|midnight|moonlight|moonlit|after dark|day for night|nocturnal",
    "comic": r"comic|comics|cartoon|anime|manga|cel|cel-shaded|toon|graphic novel|pop art|ink",
    "pixel": r"pixel|pixels|pixelated|pixel art|8-bit|8 bit|16-bit|16 bit|retro game|minecraft|voxel",
    "neon": r"neon|cyberpunk|synthwave|glow|glowing|tron|vaporwave|outrun|laser",
}
STYLES = (*_STYLE_WORDS, "cinematic")
# looks a text-to-video scene takes on as a whole (neon, night and winter it paints itself)
SCENE_STYLES = ("watercolour", "noir", "sepia", "comic", "pixel")


def pick_style(prompt: str) -> str:
    """The style whose keyword comes first in the prompt; "cinematic" when none does."""
    text = " ".join((prompt or "").lower().split())
    best: tuple[int, str] | None = None
    for name, pattern in _STYLE_WORDS.items():
        m = re.search(rf"(?<!\w)(?:{pattern})(?!\w)", text)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), name)
    return best[1] if best else "cinematic"


# --- lookup tables ------------------------------------------------------------------------------------

_CODES = np.arange(256, dtype=np.float32)
_LEVEL = np.clip((_CODES - 16.0) / 219.0, 0.0, 1.0)  # luma code -> 0..1


def _take(lut: np.ndarray, idx: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """lut[idx]: mode "clip" skips the bounds check (uint8 codes are always in range) and is much faster;
    a whole uint8 picture goes through Pillow's point(), faster still (no index array to widen)."""
    if (
        out is not None
        and lut.dtype == idx.dtype == np.uint8
        and idx.ndim == 2
        and idx.flags.c_contiguous
        and idx.size > 65536
    ):
        out[:] = np.asarray(planes.image(idx).point(lut.tolist()))
        return out
    return np.take(lut, idx, out=out, mode="clip")


def _u8(a: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(a), 0, 255).astype(np.uint8)


def _luma_lut(points: list[tuple[float, float]]) -> np.ndarray:
    """A luma LUT through (in, out) points given in 0..1 of the video range 16..235."""
    xs, ys = zip(*points, strict=True)
    return _u8(16.0 + np.interp(_LEVEL, xs, ys) * 219.0)


def _chroma_lut(scale: float, shift: float = 0.0, step: float = 0.0) -> np.ndarray:
    """A chroma LUT: saturation `scale` around 128, then `shift`, optionally quantised to `step`."""
    c = (_CODES - 128.0) * scale + shift
    if step:
        c = np.round(c / step) * step
    return _u8(128.0 + c)


def _chroma_of(rgb: tuple[float, float, float]) -> tuple[float, float]:
    _, u, v = rgb_to_yuv(np.array(rgb, np.float32))
    return float(u) - 128.0, float(v) - 128.0


# --- styles --------------------------------------------------------------------------------------------


class Style:
    """Writes one styled frame from a source frame's planes; may keep state across frames."""

    name = "cinematic"

    def __init__(self, width: int, height: int, seed: int) -> None:
        self.w, self.h = width, height
        self.rng = np.random.default_rng(seed)

    def apply(self, y: np.ndarray, u: np.ndarray, v: np.ndarray, t: float, out: YuvFrame) -> None:
        raise NotImplementedError


class Cinematic(Style):
    """Teal shadows, warm highlights, a gentle S-curve and a vignette."""

    name = "cinematic"

    def __init__(self, width: int, height: int, seed: int) -> None:
        super().__init__(width, height, seed)
        v = np.linspace(0, 1, 33)
        self.lut = _luma_lut(
            list(zip(v, np.clip(v + 0.35 * (v - 0.5) * (1 - np.abs(2 * v - 1)), 0, 1), strict=True))
        )
        self.sat = _chroma_lut(0.92)
        lv = (_CODES - 126.0) / 110.0
        hi, lo = np.clip(lv, 0, 1) ** 0.9, np.clip(-lv, 0, 1) ** 0.9
        teal, orange = _chroma_of((0, 150, 170)), _chroma_of((255, 160, 80))
        du = np.rint(0.16 * (hi * orange[0] + lo * teal[0])).astype(np.int16)
        dv = np.rint(0.16 * (hi * orange[1] + lo * teal[1])).astype(np.int16)
        # one table per chroma plane, indexed by (luma << 8 | chroma): the tint and the saturation in one look-up
        sat = self.sat.astype(np.int16)[None, :]
        self.tab_u, self.tab_v = (
            np.clip(sat + d[:, None], 0, 255).astype(np.uint8).ravel() for d in (du, dv)
        )
        self.vig = Vignette(width, height, 0.35)

    def apply(self, y, u, v, t, out):
        _take(self.lut, y, out=out.y)
        self.vig.apply(out.y)
        idx = y[0::2, 0::2].astype(np.uint16)
        idx <<= 8
        for src, tab, dst in ((u, self.tab_u, out.u), (v, self.tab_v, out.v)):
            _take(tab, np.bitwise_or(idx, src), out=dst)


class Noir(Style):
    """High-contrast black and white: crushed blacks, grain, a heavy vignette."""

    name = "noir"

    def __init__(self, width: int, height: int, seed: int) -> None:
        super().__init__(width, height, seed)
        self.lut = _luma_lut(
            [(0, 0), (0.12, 0.0), (0.35, 0.2), (0.5, 0.45), (0.7, 0.78), (0.88, 0.97), (1, 1)]
        )
        self.vig = Vignette(width, height, 0.6)
        self.grain = Grain(width, height, 2.5, self.rng, midtones=(70, 190))

    def apply(self, y, u, v, t, out):
        _take(self.lut, y, out=out.y)
        self.vig.apply(out.y)
        self.grain.apply(out.y)
        out.u.fill(128)
        out.v.fill(128)


class Sepia(Style):
    """Warm brown toning, faded blacks, flicker, grain, dust and the odd scratch."""

    name = "sepia"

    def __init__(self, width: int, height: int, seed: int) -> None:
        super().__init__(width, height, seed)
        self.lut = _luma_lut([(0, 0.08), (0.25, 0.25), (0.5, 0.52), (0.8, 0.83), (1, 0.94)]).astype(np.int16)
        self.vig = Vignette(width, height, 0.65)
        self.grain = Grain(width, height, 2.5, self.rng, midtones=(70, 190))
        lo_u, lo_v = _chroma_of((90, 58, 30))
        hi_u, hi_v = _chroma_of((250, 230, 195))
        self.lut_u = _u8(128 + lo_u + (hi_u - lo_u) * _LEVEL * 0.6)
        self.lut_v = _u8(128 + lo_v + (hi_v - lo_v) * _LEVEL * 0.6)
        self.frames, self.flicker = 0, 0

    def apply(self, y, u, v, t, out):
        rng = self.rng
        if self.frames % 2 == 0:  # the exposure flickers every other frame: as visible, cheaper to encode
            self.flicker = int(rng.integers(-5, 6))
        self.frames += 1
        _take(np.clip(self.lut + self.flicker, 0, 255).astype(np.uint8), y, out=out.y)
        self.vig.apply(out.y)
        # the toning follows the picture, not its grain (grainy chroma costs the encoder, and is not seen)
        tone = out.y[0::2, 0::2]
        _take(self.lut_u, tone, out=out.u)
        _take(self.lut_v, tone, out=out.v)
        self.grain.apply(out.y)
        if rng.random() < 0.35:  # a vertical scratch
            x = int(rng.integers(0, self.w))
            col = out.y[:, x : x + 1]
            col[:] = np.minimum(col.astype(np.int16) + int(rng.integers(25, 60)), 255)
        for _ in range(int(rng.integers(0, 5))):  # dust specks
            cy, cx = int(rng.integers(0, max(1, self.h - 4))), int(rng.integers(0, max(1, self.w - 4)))
            s = int(rng.integers(1, 4))
            out.y[cy : cy + s, cx : cx + s] = 24 if rng.random() < 0.7 else 230


class Winter(Style):
    """Cool, bright and slightly desaturated, with falling snow."""

    name = "winter"

    def __init__(self, width: int, height: int, seed: int) -> None:
        super().__init__(width, height, seed)
        self.lut = _luma_lut([(0, 0.06), (0.5, 0.6), (1, 1)])
        cu, cv = _chroma_of((200, 225, 255))
        self.lut_u = _chroma_lut(0.6, cu * 0.5)
        self.lut_v = _chroma_lut(0.6, cv * 0.5)
        self.snow = ParticleField({"snow"}, width, height, self.rng)

    def apply(self, y, u, v, t, out):
        _take(self.lut, y, out=out.y)
        _take(self.lut_u, u, out=out.u)
        _take(self.lut_v, v, out=out.v)
        self.snow.draw(out, t)


class Night(Style):
    """Day for night: dark blue, desaturated, with stars lifted in the dark upper sky."""

    name = "night"

    def __init__(self, width: int, height: int, seed: int) -> None:
        super().__init__(width, height, seed)
        v = np.linspace(0, 1, 33)
        self.lut = _luma_lut(list(zip(v, 0.62 * v**1.7, strict=True)))
        self.vig = Vignette(width, height, 0.5)
        cu, cv = _chroma_of((40, 70, 160))
        self.lut_u = _chroma_lut(0.35, cu * 0.55)
        self.lut_v = _chroma_lut(0.35, cv * 0.55)
        count = int(width * height / 1800)
        self.sy = self.rng.integers(0, int(height * 0.5), count)
        self.sx = self.rng.integers(0, width, count)
        self.sb = (40 + 180 * self.rng.random(count) ** 4).astype(np.float32)
        self.sp = self.rng.uniform(0, 6.28, count).astype(np.float32)

    def apply(self, y, u, v, t, out):
        _take(self.lut, y, out=out.y)
        self.vig.apply(out.y)
        cur = out.y[self.sy, self.sx]
        dark = cur < 48
        lift = self.sb * (0.65 + 0.35 * np.sin(t * 3.0 + self.sp))
        out.y[self.sy[dark], self.sx[dark]] = np.minimum(cur[dark] + lift[dark], 255).astype(np.uint8)
        _take(self.lut_u, u, out=out.u)
        _take(self.lut_v, v, out=out.v)


class Comic(Style):
    """Flat posterised tones, punchy colour and bold black ink outlines."""

    name = "comic"

    def __init__(self, width: int, height: int, seed: int) -> None:
        super().__init__(width, height, seed)
        levels = np.array([0.06, 0.3, 0.55, 0.8, 1.0])
        self.poster = list(_u8(16 + levels[np.clip((_LEVEL * 5).astype(np.int64), 0, 4)] * 219))
        self.lut_c = _chroma_lut(1.7, step=10.0)
        self.ink_y = np.full((height, width), 18, np.uint8)

    def apply(self, y, u, v, t, out):
        w, h = self.w, self.h
        # outlines found at half size (bold, clean lines), after a median that removes features a few
        # pixels across: glints on water are highlights, not shapes to ink (they came out as black specks)
        half = planes.median5(np.asarray(planes.shrink(planes.image(y), planes.size_div(w, h, 2))))
        ink_c = planes.edges(half) > 32
        ink = planes.image(planes.grow(ink_c.view(np.uint8) * np.uint8(255), (w, h)))
        planes.put(out.y, Image.composite(planes.image(self.ink_y), planes.image(y).point(self.poster), ink))
        for src, dst in ((u, out.u), (v, out.v)):
            _take(self.lut_c, src, out=dst)
            dst[ink_c] = 128


class Pixel(Style):
    """Chunky pixels with a reduced palette, like an 8-bit game."""

    name = "pixel"

    def __init__(self, width: int, height: int, seed: int) -> None:
        super().__init__(width, height, seed)
        block = max(4, round(min(width, height) / 72) // 2 * 2)
        self.small = (max(1, width // block), max(1, height // block))
        self.lut = _u8(16 + np.round(_LEVEL * 7) / 7 * 219)
        self.lut_c = _chroma_lut(1.35, step=12.0)

    def apply(self, y, u, v, t, out):
        def blocky(a: np.ndarray, size: tuple[int, int]) -> np.ndarray:
            return np.asarray(
                planes.shrink(planes.image(a), self.small).resize(size, Image.Resampling.NEAREST)
            )

        _take(self.lut, blocky(y, (self.w, self.h)), out=out.y)
        half = planes.size_div(self.w, self.h, 2)
        _take(self.lut_c, blocky(u, half), out=out.u)
        _take(self.lut_c, blocky(v, half), out=out.v)


class Neon(Style):
    """Glowing outlines on a near-black frame, drifting between magenta and cyan."""

    name = "neon"

    def __init__(self, width: int, height: int, seed: int) -> None:
        super().__init__(width, height, seed)
        self.dark = list(_u8(16 + (_CODES - 16) * 0.16))
        self.glow_gain = [min(255, i * 3) for i in range(256)]
        self.fade_c = _chroma_lut(0.3)
        self.black_y = None
        # a colour field twice as wide as the (half-size) chroma plane, slid along over time
        cw, ch = width // 2, height // 2
        xs = np.arange(cw * 2, dtype=np.float32)[None, :] / cw
        ys = np.arange(ch, dtype=np.float32)[:, None] / ch
        mix = 0.5 + 0.5 * np.sin((xs * 2.2 + ys * 1.3) * np.pi)
        (mu, mv), (cu, cv) = _chroma_of((255, 40, 210)), _chroma_of((30, 230, 255))
        self.field_u = _u8(128 + mu + (cu - mu) * mix)
        self.field_v = _u8(128 + mv + (cv - mv) * mix)

    def apply(self, y, u, v, t, out):
        w, h = self.w, self.h
        half = planes.shrink(planes.image(y), planes.size_div(w, h, 2))
        lines = planes.image(np.clip((planes.edges(np.asarray(half)) - 6) * 5, 0, 255).astype(np.uint8))
        glow = (
            planes.shrink(lines, planes.size_div(w, h, 8))
            .filter(ImageFilter.GaussianBlur(1.5))
            .point(self.glow_gain)
        )
        lit = planes.add(np.asarray(lines), planes.grow(np.asarray(glow), lines.size))
        light = planes.image(lit)
        # the picture, dimmed, under the lines: at half size too (it is dark enough that one pixel of
        # softness does not show), added before the one upscale
        out.y[:] = planes.grow(planes.add(lit, np.asarray(half.point(self.dark))), (w, h))
        off = int(t * 40) % (w // 2)
        for plane, field, dst in ((u, self.field_u, out.u), (v, self.field_v, out.v)):
            colour = planes.image(field[:, off : off + w // 2])
            planes.put(dst, Image.composite(colour, planes.image(_take(self.fade_c, plane)), light))


class Watercolour(Style):
    """Soft washes of colour on textured paper, darker pigment where the edges pool."""

    name = "watercolour"

    def __init__(self, width: int, height: int, seed: int) -> None:
        super().__init__(width, height, seed)
        rng = self.rng
        fibres = rng.normal(0, 1, (height // 2, width // 2)).astype(np.float32)
        fibres = np.asarray(
            Image.fromarray(fibres, "F").resize((width, height), Image.Resampling.BILINEAR), np.float32
        )
        blotch = rng.normal(0, 1, (height // 40 + 2, width // 40 + 2)).astype(np.float32)
        blotch = np.asarray(
            Image.fromarray(blotch, "F").resize((width, height), Image.Resampling.BICUBIC), np.float32
        )
        paper = np.clip(np.rint(fibres * 4.0 + blotch * 5.0), -14, 14)
        self.paper = (paper.astype(np.int16) % 256).astype(np.uint8)  # -14..14 modulo 256: one wrapping add
        steps = np.round(_LEVEL * 7) / 7
        soft = 0.55 * steps + 0.45 * _LEVEL
        wash = 16.0 + (0.12 + 0.88 * soft) * 219.0
        self.wash = _u8(235.0 - (235.0 - wash) * 0.85)  # lighter, like pigment on white paper
        self.pool = np.array([int(min(60, i) * 1.2) for i in range(256)], np.int16)
        self.bleed = list(_chroma_lut(1.35))

    def apply(self, y, u, v, t, out):
        w, h = self.w, self.h
        small = planes.shrink(planes.image(y), planes.size_div(w, h, 4))
        pooled = _take(self.wash, np.asarray(small)).astype(np.int16)
        pooled -= _take(self.pool, np.minimum(planes.edges(np.asarray(small)), 255))
        np.clip(pooled, 16, 240, out=pooled)
        out.y[:] = planes.grow(pooled.astype(np.uint8), (w, h))
        np.clip(out.y, 16, 240, out=out.y)  # so the true sum stays in 2..254 and the wrapping add is exact
        out.y += self.paper
        for src, dst in ((u, out.u), (v, out.v)):
            tiny = planes.shrink(planes.image(src), planes.size_div(w, h, 12)).point(self.bleed)
            soft = tiny.resize(
                planes.size_div(w, h, 4), Image.Resampling.BICUBIC
            )  # then twice as big, cheaply
            dst[:] = planes.grow(np.asarray(soft), planes.size_div(w, h, 2))


_CLASSES: dict[str, type[Style]] = {
    cls.name: cls for cls in (Cinematic, Noir, Sepia, Winter, Night, Comic, Pixel, Neon, Watercolour)
}


def make_style(name: str, width: int, height: int, seed: int) -> Style:
    return _CLASSES.get(name, Cinematic)(width, height, seed)
