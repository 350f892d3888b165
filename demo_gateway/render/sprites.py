"""Anti-aliased vector drawing of subjects (`Pen`) into cels: YUV 4:2:0 sprites composited onto frames."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from demo_gateway.render.encode import YuvFrame, half, rgb_to_yuv

SS = 3  # supersampling of small sprites: shapes are drawn at 3x and reduced, for smooth edges

Colour = tuple[float, float, float]
Point = tuple[float, float]


@dataclass(frozen=True)
class Light:
    """How the scene lights its subjects: a gain per channel, the haze they sink into, night or not."""

    gain: Colour
    haze: Colour
    haze_amt: float
    night: bool
    rim: Colour

    def tone(self, c: Sequence[float], shade: float = 1.0) -> tuple[int, int, int, int]:
        out = []
        for k in range(3):
            v = c[k] * shade * self.gain[k]
            v = v + (self.haze[k] - v) * self.haze_amt
            out.append(int(max(0.0, min(255.0, v))))
        return (out[0], out[1], out[2], 255)


def glow(c: Sequence[float], a: float = 1.0) -> tuple[int, int, int, int]:
    """An emissive colour: not darkened by the scene's light."""
    return (int(c[0]), int(c[1]), int(c[2]), int(max(0.0, min(1.0, a)) * 255))


class Pen:
    """Draws in subject units: the anchor (0, 0) is the subject's foot, y grows downwards, 1 unit = size px."""

    def __init__(
        self, box: tuple[float, float, float, float], size_px: float, light: Light, *, ss: int | None = None
    ) -> None:
        """`ss` forces a supersampling factor (1 for soft light, whose edges need none)."""
        left, top, right, bottom = box
        area = (right - left) * (bottom - top) * size_px * size_px
        self.ss = ss or (SS if area < 40_000 else 2)  # big sprites: less supersampling, same look
        self.unit = size_px * self.ss
        self.w = max(2, int(math.ceil((right - left) * size_px / 2)) * 2) * self.ss
        self.h = max(2, int(math.ceil((bottom - top) * size_px / 2)) * 2) * self.ss
        self.ax, self.ay = -left * self.unit, -top * self.unit
        self.light = light
        self.base = Image.new("RGBA", (self.w, self.h), (0, 0, 0, 0))
        self.over: Image.Image | None = None
        self.d = ImageDraw.Draw(self.base)

    # coordinates
    def p(self, x: float, y: float) -> Point:
        return (self.ax + x * self.unit, self.ay + y * self.unit)

    def _draw(self, col: tuple[int, int, int, int]) -> ImageDraw.ImageDraw:
        if col[3] >= 255:
            return self.d
        if self.over is None:
            self.over = Image.new("RGBA", (self.w, self.h), (0, 0, 0, 0))
        return ImageDraw.Draw(self.over)

    def tone(self, c: Sequence[float], shade: float = 1.0) -> tuple[int, int, int, int]:
        return self.light.tone(c, shade)

    # shapes
    def poly(self, pts: Sequence[Point], col: tuple[int, int, int, int]) -> None:
        self._draw(col).polygon([self.p(x, y) for x, y in pts], fill=col)

    def ell(self, cx: float, cy: float, rx: float, ry: float, col: tuple[int, int, int, int]) -> None:
        x0, y0 = self.p(cx - rx, cy - ry)
        x1, y1 = self.p(cx + rx, cy + ry)
        self._draw(col).ellipse((x0, y0, max(x0 + 1, x1), max(y0 + 1, y1)), fill=col)

    def rect(
        self, x0: float, y0: float, x1: float, y1: float, col: tuple[int, int, int, int], r: float = 0.0
    ) -> None:
        a, b = self.p(x0, y0)
        c, d = self.p(x1, y1)
        box = (min(a, c), min(b, d), max(a, c) + 1, max(b, d) + 1)
        if r > 0:
            self._draw(col).rounded_rectangle(box, radius=r * self.unit, fill=col)
        else:
            self._draw(col).rectangle(box, fill=col)

    def line(self, pts: Sequence[Point], width: float, col: tuple[int, int, int, int]) -> None:
        wpx = max(1, int(round(width * self.unit)))
        self._draw(col).line([self.p(x, y) for x, y in pts], fill=col, width=wpx, joint="curve")
        for x, y in (pts[0], pts[-1]):  # round caps
            self.ell(x, y, width / 2, width / 2, col)

    def petal(self, cx: float, cy: float, ang: float, length: float, width: float, col) -> None:
        """An almond shape from (cx, cy) pointing at angle `ang` (radians; 0 = right, -pi/2 = up)."""
        ca, sa = math.cos(ang), math.sin(ang)
        pts = []
        for k in range(13):
            t = k / 12
            s = math.sin(math.pi * t) * width / 2
            pts.append((cx + ca * length * t - sa * s, cy + sa * length * t + ca * s))
        for k in range(1, 12):
            t = 1 - k / 12
            s = -math.sin(math.pi * t) * width / 2
            pts.append((cx + ca * length * t - sa * s, cy + sa * length * t + ca * s))
        self.poly(pts, col)

    def halo(self, cx: float, cy: float, r: float, col: Sequence[float], a: float) -> None:
        """A soft glow of radius r around (cx, cy): drawn small, blurred, scaled up over its own box only."""
        self.flush()
        px, py = self.p(cx, cy)
        rad = r * self.unit
        x0, y0 = max(0, int(px - rad)), max(0, int(py - rad))
        x1, y1 = min(self.w, int(px + rad) + 1), min(self.h, int(py + rad) + 1)
        if x1 - x0 < 2 or y1 - y0 < 2:
            return
        k = 8
        sw, sh = max(2, (x1 - x0) // k), max(2, (y1 - y0) // k)
        fx, fy = sw / (x1 - x0), sh / (y1 - y0)
        alpha = Image.new("L", (sw, sh), 0)
        e = rad * 0.45
        ImageDraw.Draw(alpha).ellipse(
            ((px - e - x0) * fx, (py - e - y0) * fy, (px + e - x0) * fx, (py + e - y0) * fy),
            fill=int(255 * max(0.0, min(1.0, a))),
        )
        alpha = alpha.filter(ImageFilter.GaussianBlur(max(0.5, rad * 0.3 * fx)))
        clipped = (px - rad < 0, py - rad < 0, int(px + rad) + 1 > self.w, int(py + rad) + 1 > self.h)
        if any(clipped):  # a glow wider than the sprite's box fades out before its edges, never a square
            alpha = Image.fromarray(_taper(np.asarray(alpha, np.float32), clipped).astype(np.uint8), "L")
        layer = Image.new("RGBA", (sw, sh), (int(col[0]), int(col[1]), int(col[2]), 0))
        layer.putalpha(alpha)
        self.base.alpha_composite(layer.resize((x1 - x0, y1 - y0), Image.Resampling.BILINEAR), dest=(x0, y0))

    def flush(self) -> None:
        """Composite what was drawn translucently so far under what comes next."""
        if self.over is not None:
            self.base = Image.alpha_composite(self.base, self.over)
            self.d = ImageDraw.Draw(self.base)
            self.over = None

    def image(self) -> Image.Image:
        self.flush()
        im = self.base.resize((self.w // self.ss, self.h // self.ss), Image.Resampling.BOX)
        return rim_lit(im, self.light.rim) if self.light.night else im


def rim_lit(im: Image.Image, rim: Colour, strength: float = 0.75) -> Image.Image:
    """A night subject's silhouette caught by the sky's light along its top edges (a rim light), so
    a dark cat on a dark roof still reads: the edge is where the pixels above are transparent."""
    rgba = np.asarray(im, np.float32)
    a = rgba[..., 3] / 255.0
    above = np.zeros_like(a)
    above[2:, 1:] = a[:-2, :-1]  # the light comes from above, a little from the left
    edge = np.clip(a - above, 0.0, 1.0) * strength
    lit = rgba.copy()
    lit[..., :3] += np.asarray(rim, np.float32) * edge[..., None]
    return Image.fromarray(np.clip(lit, 0, 255).astype(np.uint8), "RGBA")


def _taper(a: np.ndarray, sides: tuple[bool, bool, bool, bool]) -> np.ndarray:
    """`a` faded smoothly to zero towards the chosen sides (left, top, right, bottom), from its middle
    outwards, so a clipped glow still falls off softly all round."""
    h, w = a.shape
    ramp_x = np.ones(w, np.float32)
    ramp_y = np.ones(h, np.float32)
    for on, ramp, n, flip in (
        (sides[0], ramp_x, w, False),
        (sides[1], ramp_y, h, False),
        (sides[2], ramp_x, w, True),
        (sides[3], ramp_y, h, True),
    ):
        if on:
            t = np.clip((np.arange(n, dtype=np.float32) + 0.5) / max(1.0, n / 2), 0, 1)
            t = t * t * (3 - 2 * t)
            ramp *= t[::-1] if flip else t
    return np.rint(a * ramp_y[:, None] * ramp_x[None, :])


@dataclass
class Cel:
    """One drawn pose as YUV planes with straight alpha; (ax, ay) is the anchor inside it (even px)."""

    y: np.ndarray  # (h, w) float32
    u: np.ndarray  # (h/2, w/2)
    v: np.ndarray
    a: np.ndarray  # (h, w) 0..1
    ac: np.ndarray  # (h/2, w/2)
    ax: int
    ay: int
    _spans: tuple[tuple[int, int], ...] | None = field(default=None, repr=False)
    _fixed: tuple[np.ndarray, ...] | None = field(default=None, repr=False)

    def spans(self) -> tuple[tuple[int, int], ...]:
        """The row ranges (even bounds) that hold anything: a beam and its reflection leave most of
        their box empty, and only these rows are ever blended or stretched."""
        if self._spans is None:
            self._spans = _spans_of(self.a)
        return self._spans

    def fixed(self) -> tuple[np.ndarray, ...]:
        """The cel premultiplied in 8-bit fixed point for `blit`: (keep, add) for Y, then for U and V
        with the chroma alpha: out = (cur * keep + add) >> 8, all in uint16."""
        if self._fixed is None:
            out: list[np.ndarray] = []
            for plane, alpha, step in ((self.y, self.a, 1), (self.u, self.ac, 2), (self.v, self.ac, 2)):
                keep = np.empty(alpha.shape, np.uint16)  # rows outside the spans are never read
                add = np.empty(alpha.shape, np.uint16)
                for r0, r1 in self.spans():
                    rows = slice(r0 // step, r1 // step)
                    a8 = np.rint(alpha[rows] * np.float32(256.0))
                    keep[rows] = np.float32(256.0) - a8
                    add[rows] = np.rint(plane[rows] * a8) + np.float32(128.0)
                out += [keep, add]
            self._fixed = tuple(out)
        return self._fixed


def _spans_of(alpha: np.ndarray, gap: int = 12) -> tuple[tuple[int, int], ...]:
    rows = np.nonzero(alpha.max(axis=1) > 0.0)[0]
    if rows.size == 0:
        return ()
    breaks = np.nonzero(np.diff(rows) > gap)[0]
    starts = np.concatenate(([rows[0]], rows[breaks + 1]))
    ends = np.concatenate((rows[breaks], [rows[-1]])) + 1
    h = alpha.shape[0]
    return tuple((int(a) // 2 * 2, min(h, (int(b) + 1) // 2 * 2)) for a, b in zip(starts, ends, strict=True))


def cel_of(im: Image.Image, anchor: tuple[float, float], *, shadow: float = 0.0, reflect: float = 0.0) -> Cel:
    """An RGBA image to a Cel; `shadow` adds a soft contact shadow under the anchor, `reflect` a
    faded upside-down copy below it (for things on water)."""
    ax, ay = anchor
    box = im.getchannel("A").getbbox()
    if box is not None:  # only the drawn part (a sweeping beam leaves most of its box empty)
        x0, y0, x1, y1 = box
        y1 = max(y1, min(im.height, int(ay + 0.15 * (x1 - x0)) + 2)) if shadow > 0 else y1
        y0 = min(y0, int(ay)) if reflect > 0 else y0
        x0, y0 = x0 // 2 * 2, y0 // 2 * 2
        im = im.crop((x0, y0, x1, y1))
        ax, ay = ax - x0, ay - y0
    rgba = np.array(im, np.float32)
    h, w = rgba.shape[:2]
    if reflect > 0:
        lo = int(ay)
        ref = rgba[:lo][::-1].copy()  # what stands above the waterline, mirrored below it
        ref[..., 3] *= reflect * np.linspace(1.0, 0.0, ref.shape[0], dtype=np.float32)[:, None] ** 1.5
        ref[..., :3] *= 0.8
        if lo + ref.shape[0] > h:
            rgba = np.concatenate([rgba, np.zeros((lo + ref.shape[0] - h, w, 4), np.float32)], axis=0)
        under = rgba[lo : lo + ref.shape[0]]
        a_top, a_ref = under[..., 3:4] / 255.0, ref[..., 3:4] / 255.0
        out_a = a_top + a_ref * (1 - a_top)
        under[..., :3] = (under[..., :3] * a_top + ref[..., :3] * a_ref * (1 - a_top)) / np.maximum(
            out_a, 1e-6
        )
        under[..., 3:4] = out_a * 255.0
    if shadow > 0:  # a soft elliptical contact shadow, computed on the rows around the anchor only
        cols = np.nonzero(rgba[..., 3].max(axis=0) > 40)[0]
        span = (cols.max() - cols.min() + 1) / 2 if cols.size else w / 4
        rx, ry = span * 1.05, max(2.0, span * 0.12)
        cx = (cols.max() + cols.min()) / 2 if cols.size else ax
        r0, r1 = max(0, int(ay - ry) - 1), min(rgba.shape[0], int(ay + ry) + 2)
        yy = np.arange(r0, r1, dtype=np.float32)[:, None]
        xx = np.arange(rgba.shape[1], dtype=np.float32)[None, :]
        sh = np.clip(1.0 - ((xx - cx) / rx) ** 2 - ((yy - ay) / ry) ** 2, 0, 1) ** 0.8 * shadow
        band = rgba[r0:r1]
        a = band[..., 3] / 255.0
        out_a = a + sh * (1 - a)
        band[..., :3] *= (a / np.maximum(out_a, 1e-6))[..., None]
        band[..., 3] = out_a * 255.0
    # pad to even size with the anchor on even coordinates
    h, w = rgba.shape[:2]
    ox, oy = int(round(ax)) % 2, int(round(ay)) % 2
    H, W = h + oy + (h + oy) % 2, w + ox + (w + ox) % 2
    buf = np.zeros((H, W, 4), np.float32)
    buf[oy : oy + h, ox : ox + w] = rgba
    a = np.clip((buf[..., 3] - 3.0) / 252.0, 0.0, 1.0)  # no faint haze over the whole box
    y, cb, cr = rgb_to_yuv(buf[..., :3])
    ac = half(a)
    cu = half(cb * a) / np.maximum(ac, 1e-4)
    cv = half(cr * a) / np.maximum(ac, 1e-4)
    return Cel(
        y.astype(np.float32),
        cu.astype(np.float32),
        cv.astype(np.float32),
        a.astype(np.float32),
        ac.astype(np.float32),
        int(round(ax)) + ox,
        int(round(ay)) + oy,
    )


def mirrored(cel: Cel) -> Cel:
    """The cel facing the other way (its anchor mirrored too): views of the same planes, read only."""
    w = cel.a.shape[1]
    return Cel(
        cel.y[:, ::-1],
        cel.u[:, ::-1],
        cel.v[:, ::-1],
        cel.a[:, ::-1],
        cel.ac[:, ::-1],
        w - cel.ax,
        cel.ay,
        _spans=cel._spans,
        _fixed=None if cel._fixed is None else tuple(p[:, ::-1] for p in cel._fixed),
    )


def stretch(cel: Cel, fx: float) -> Cel:
    """The cel squeezed horizontally by |fx| about its anchor (mirrored when fx < 0).

    Only the rows that hold anything are resampled (rows are independent in a horizontal stretch)."""
    h, w = cel.a.shape
    k = max(0.02, abs(fx))
    nw = max(2, int(round(w * k / 2)) * 2)
    sx = nw / w
    spans = cel.spans()

    def fit(a: np.ndarray, width: int, chroma: bool) -> np.ndarray:
        out = np.zeros((a.shape[0], width), np.float32)
        for r0, r1 in spans:
            if chroma:
                r0, r1 = r0 // 2, r1 // 2
            im = Image.fromarray(np.ascontiguousarray(a[r0:r1]), "F").resize(
                (width, r1 - r0), Image.Resampling.BILINEAR
            )
            out[r0:r1] = np.asarray(im, np.float32)
        return out

    out = Cel(
        fit(cel.y, nw, False),
        fit(cel.u, nw // 2, True),
        fit(cel.v, nw // 2, True),
        fit(cel.a, nw, False),
        fit(cel.ac, nw // 2, True),
        int(round(cel.ax * sx / 2)) * 2,
        cel.ay,
        _spans=spans,
    )
    return mirrored(out) if fx < 0 else out


def blit(f: YuvFrame, cel: Cel, x: float, y: float, opacity: float = 1.0) -> tuple[int, int, int, int] | None:
    """Alpha-blends a cel onto the frame with its anchor at (x, y); returns the box it touched (or None).

    Only the cel's non-empty rows are touched; at full opacity the blend is 8-bit fixed point."""
    x0 = int(round((x - cel.ax) / 2)) * 2
    y0 = int(round((y - cel.ay) / 2)) * 2
    h, w = cel.a.shape
    fx0, fy0 = max(0, x0), max(0, y0)
    fx1, fy1 = min(f.width, x0 + w), min(f.height, y0 + h)
    if fx1 <= fx0 or fy1 <= fy0 or opacity <= 0.0:
        return None
    sx = slice(fx0 - x0, fx1 - x0)
    csx = slice(sx.start // 2, sx.stop // 2)
    fixed = cel.fixed() if opacity >= 1.0 else None
    for r0, r1 in cel.spans():
        r0, r1 = max(r0, fy0 - y0), min(r1, fy1 - y0)  # all even
        if r1 <= r0:
            continue
        dy = slice(y0 + r0, y0 + r1)
        dcy = slice(dy.start // 2, dy.stop // 2)
        sy, csy = slice(r0, r1), slice(r0 // 2, r1 // 2)
        if fixed is not None:
            keep_y, add_y, keep_u, add_u, keep_v, add_v = fixed
            _mix8(f.y[dy, fx0:fx1], keep_y[sy, sx], add_y[sy, sx])
            _mix8(f.u[dcy, fx0 // 2 : fx1 // 2], keep_u[csy, csx], add_u[csy, csx])
            _mix8(f.v[dcy, fx0 // 2 : fx1 // 2], keep_v[csy, csx], add_v[csy, csx])
            continue
        op = np.float32(opacity)
        a = cel.a[sy, sx] * op
        cur = f.y[dy, fx0:fx1].astype(np.float32)
        f.y[dy, fx0:fx1] = (cur + (cel.y[sy, sx] - cur) * a + 0.5).astype(np.uint8)
        ac = cel.ac[csy, csx] * op
        for plane, src in ((f.u, cel.u), (f.v, cel.v)):
            cur = plane[dcy, fx0 // 2 : fx1 // 2].astype(np.float32)
            plane[dcy, fx0 // 2 : fx1 // 2] = (cur + (src[csy, csx] - cur) * ac + 0.5).astype(np.uint8)
    return fx0, fy0, fx1, fy1


def _mix8(dst: np.ndarray, keep: np.ndarray, add: np.ndarray) -> None:
    """dst = (dst * keep + add) >> 8 in place (uint8 dst, uint16 keep/add from Cel.fixed)."""
    t = dst.astype(np.uint16)
    t *= keep
    t += add
    t >>= 8
    dst[:] = t
