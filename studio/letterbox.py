"""Fitting a shot's frames into the film's format: scaled to fit and centred on black, inside libavfilter."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import cast

import av
import av.filter


@dataclass(frozen=True)
class Box:
    """Where a shot's picture sits in the film's frame: its size and top-left corner (all even)."""

    width: int
    height: int
    x: int
    y: int

    @classmethod
    def fit(cls, width: int, height: int, sar: Fraction, film_w: int, film_h: int) -> Box:
        """The largest even-sized picture of the shot's shape that fits the film's frame, centred."""
        shown = Fraction(width) * sar
        scale = min(Fraction(film_w) / shown, Fraction(film_h, height))
        w = min(film_w, max(2, round(shown * scale / 2) * 2))
        h = min(film_h, max(2, round(height * scale / 2) * 2))
        return cls(w, h, (film_w - w) // 2 // 2 * 2, (film_h - h) // 2 // 2 * 2)


class Letterbox:
    """A shot's decoded frames in, frames of the film's format out: yuv420p in limited range, scaled to
    fit and padded with black bars (letterbox or pillarbox), square pixels. Frames that already are
    the film's format pass through untouched. One libavfilter graph per input shape, built on the
    first frame of that shape (a decoder may switch shape mid-stream)."""

    def __init__(self, film_w: int, film_h: int, time_base: Fraction, sar: Fraction = Fraction(1)) -> None:
        """`time_base`: the frames' (their stream's); `sar`: the shot's pixel shape (its stream's)."""
        self.film_w, self.film_h, self.time_base, self.sar = film_w, film_h, time_base, sar or Fraction(1)
        self._shape: tuple[int, int, str, int, int] | None = None
        # The graph and its two ends; the graph is kept too: its filters hold no reference to it.
        self._ends: tuple[av.filter.Graph, av.filter.FilterContext, av.filter.FilterContext] | None = None
        self._last_in: av.VideoFrame | None = None
        self._last_out: av.VideoFrame | None = None

    def __call__(self, frame: av.VideoFrame) -> av.VideoFrame:
        if frame is self._last_in and self._last_out is not None:  # a frame held for another slot
            return self._last_out
        shape = (frame.width, frame.height, frame.format.name, int(frame.colorspace), int(frame.color_range))
        if shape != self._shape:
            self._shape, self._ends = shape, self._graph(*shape)
        if self._ends is None:
            out = frame
        else:
            _, source, sink = self._ends
            source.push(frame)
            out = cast(av.VideoFrame, sink.pull())  # one frame out for each frame in
        self._last_in, self._last_out = frame, out
        return out

    def _graph(
        self, width: int, height: int, pix_fmt: str, colorspace: int, color_range: int
    ) -> tuple[av.filter.Graph, av.filter.FilterContext, av.filter.FilterContext] | None:
        """buffer → scale (to the box, limited range, yuv420p) → pad (black) → setsar → buffersink."""
        W, H, sar = self.film_w, self.film_h, self.sar
        if (width, height, pix_fmt, sar) == (W, H, "yuv420p", 1) and color_range != 2:  # 2: full range
            return None
        box = Box.fit(width, height, sar, W, H)
        graph = av.filter.Graph()
        nodes = [
            graph.add(
                "buffer",
                video_size=f"{width}x{height}",
                pix_fmt=pix_fmt,
                time_base=str(self.time_base),
                pixel_aspect=f"{sar.numerator}/{sar.denominator}",
                colorspace=str(colorspace),
                range=str(color_range),
            ),
            graph.add("scale", f"w={box.width}:h={box.height}:out_range=tv:flags=bilinear"),
            graph.add("format", "yuv420p"),
        ]
        if (box.width, box.height) != (W, H):
            nodes.append(graph.add("pad", f"{W}:{H}:{box.x}:{box.y}:black"))
        nodes += [graph.add("setsar", "1"), graph.add("buffersink")]
        graph.link_nodes(*nodes).configure()
        return graph, nodes[0], nodes[-1]
