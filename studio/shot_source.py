"""A shot's take file as stitching sees it: the clip asked for, and what a quick read of its packets learns."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from studio import mp4_boxes, mp4_entry
from studio.errors import InputError

DEFAULT_FPS = Fraction(24)
# Opening a take without decoding: libavformat's stream probe would decode its first ~7 frames of
# H.264 to guess their delay and pixel format, and read on up to 5 MB (7 ms for a 720p take);
# stitching needs neither (a shot's codec setup, compared whole, holds its pixel format; packets
# give every frame's time), and an MP4's index has the rest.
NO_DECODING = {"skip_frame": "all", "probesize": "32"}
AV_ERRORS = (av.FFmpegError, OSError, ValueError, EOFError, RuntimeError, IndexError)


@dataclass(frozen=True)
class Clip:
    """One shot to stitch: a video file and the part of it to keep (seconds; None: to the end)."""

    path: Path
    trim_in: float = 0.0
    trim_out: float | None = None
    name: str = ""


@dataclass(frozen=True)
class Source:
    """What a probe of a clip's file learnt (packets read, nothing decoded)."""

    clip: Clip
    codec: str
    width: int
    height: int
    pix_fmt: str  # "" unless the file says without decoding (its codec setup, `extradata`, holds it)
    sar: Fraction
    time_base: Fraction
    fps: Fraction
    extradata: bytes
    packets: tuple[tuple[float, bool], ...]  # each frame's time (s, from the stream's start) and
    # whether it is a keyframe, in stored (decoding) order: B-frames come out in another order
    frame_times: tuple[float, ...]  # the same times in showing order
    audio: tuple[str, int, str, bytes] | None  # codec, sample rate, layout, setup
    boxes: mp4_boxes.Movie | None = field(default=None, repr=False, compare=False)  # its MP4 index,
    # when it was read from the sample tables (None: read with libav)

    @property
    def duration(self) -> float:
        return self.frame_times[-1] + float(1 / self.fps) if self.frame_times else 0.0

    @property
    def trim_in(self) -> float:
        return max(0.0, self.clip.trim_in)

    @property
    def trim_out(self) -> float:
        end = self.clip.trim_out
        return self.duration if end is None else min(end, self.duration)

    @functools.cached_property
    def kept(self) -> list[float]:
        """The times of the frames inside the trim (a frame counts if it starts before the out point);
        worked out once per source (planning and copying both ask)."""
        half = float(1 / self.fps) / 2
        lo, hi = self.trim_in - half, self.trim_out - half
        return [t for t in self.frame_times if lo <= t < hi]

    def label(self, index: int) -> str:
        return self.clip.name or f"Shot {index + 1}"


def open_for_packets(path: Path) -> Any:
    """A take's file opened for its packets: quickly (NO_DECODING), or probed whole when that did not
    tell its streams' sizes and rates (files other than MP4 may keep them in their packets)."""
    box = av.open(str(path), options=NO_DECODING)
    v, a = box.streams.video[:1], box.streams.audio[:1]
    if all(s.codec_context.width and s.time_base and s.average_rate for s in v) and all(
        s.codec_context.sample_rate for s in a
    ):
        return box
    box.close()
    return av.open(str(path), options={"skip_frame": "all"})


def probe(clip: Clip) -> Source:
    """Read a clip's packets (no decoding): its format, frame times and keyframes.

    A progressive H.264 MP4 is read from its sample tables (a few hundred µs); any other file, or
    one whose index is unusual, through libav's demuxer, packet by packet."""
    try:
        return from_boxes(clip, mp4_boxes.read(clip.path))
    except mp4_boxes.CutShort:
        raise InputError(
            f"{clip.name or 'A shot'}: its video file is incomplete (cut short); download it again.",
            field="video",
        ) from None
    except mp4_boxes.CannotSplice:
        return probe_packets(clip)


def from_boxes(clip: Clip, movie: mp4_boxes.Movie) -> Source:
    """What `probe_packets` would learn, from the MP4's sample tables: the same times and keyframes
    (libav's: a video packet's time is its showing time less the edit's start; the stream starts at
    its first packet's time; the frame rate is samples over the track's whole duration)."""
    v = movie.video
    picture = mp4_entry.picture(v)
    audio = mp4_entry.sound(movie.audio) if movie.audio is not None else None
    if picture is None or (movie.audio is not None and audio is None) or not len(v.sizes):
        raise mp4_boxes.CannotSplice("a codec read with libav")
    pts = v.pts
    if int(pts.min()) < 0 or int(pts[0]) != int(pts.min()) or not int(v.durations.sum()):
        raise mp4_boxes.CannotSplice("frames before the edit's start")
    if movie.audio is not None and movie.audio.edit > int(movie.audio.durations[:1].sum()):
        raise mp4_boxes.CannotSplice("a sound edit past its first packet")
    codec, width, height, extradata, (h, w) = picture
    times = ((pts - pts[0]) / v.timescale).tolist()
    keys = [True] * len(times) if v.sync is None else v.sync.tolist()
    return Source(
        clip=clip,
        codec=codec,
        width=width,
        height=height,
        pix_fmt="",  # as libav says without decoding
        sar=Fraction(h, w) if h and w else Fraction(1),
        time_base=Fraction(1, v.timescale),
        fps=Fraction(v.timescale * len(times), int(v.durations.sum())).limit_denominator(1001),
        extradata=extradata,
        packets=tuple(zip(times, keys, strict=True)),
        frame_times=tuple(sorted(times)),
        audio=audio,
        boxes=movie,
    )


def probe_packets(clip: Clip) -> Source:
    """Read a clip's packets with libav's demuxer (no decoding): its format, frame times and keyframes."""
    try:
        container = open_for_packets(clip.path)
    except AV_ERRORS as exc:
        raise InputError(
            f"{clip.name or 'A shot'}: its video cannot be read ({exc}).", field="video"
        ) from None
    with container:
        if not container.streams.video:
            raise InputError(f"{clip.name or 'A shot'}: its file has no video.", field="video")
        vs = container.streams.video[0]
        aud = container.streams.audio[0] if container.streams.audio else None
        tb = Fraction(vs.time_base) if vs.time_base else Fraction(1, 90000)
        start, num, den = vs.start_time or 0, tb.numerator, tb.denominator
        cc = vs.codec_context
        # Every packet's time, in stored order (the index has decoding times only: with B-frames they
        # differ); packets are read, not decoded. Integer ticks to seconds: one true division each.
        packets = tuple(
            ((p.pts - start) * num / den, p.is_keyframe) for p in container.demux(vs) if p.pts is not None
        )
        rate = vs.average_rate or vs.guessed_rate or DEFAULT_FPS
        audio = None
        if aud is not None:
            ac = aud.codec_context
            audio = (ac.name, int(ac.sample_rate or 0), str(ac.layout.name), bytes(ac.extradata or b""))
        return Source(
            clip=clip,
            codec=cc.name,
            width=int(cc.width),
            height=int(cc.height),
            pix_fmt=cc.format.name if cc.format else "",  # "" unless known without decoding
            sar=Fraction(vs.sample_aspect_ratio) if vs.sample_aspect_ratio else Fraction(1),
            time_base=tb,
            fps=Fraction(rate).limit_denominator(1001),
            extradata=bytes(cc.extradata or b""),
            packets=packets,
            frame_times=tuple(sorted(t for t, _ in packets)),
            audio=audio,
        )
